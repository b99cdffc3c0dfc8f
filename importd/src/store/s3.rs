//! Objects in an S3-compatible store below an `s3://bucket/prefix` location: the object-store
//! counterpart of [`super::local`] for `drop_dir` and `storage_dir`. Every key is a plain
//! relative path checked as text before any request ([`S3Url`]'s module), joined below
//! `<prefix>/`; nothing outside it is ever read, written, listed or deleted.
//!
//! The API is synchronous: the daemon calls it from blocking threads (`spawn_blocking`, the
//! import threads) or from inside `tokio::task::block_in_place`, never straight from an async
//! task. Each call runs on one process-wide runtime of two worker threads kept for this
//! module (`runtime.block_on`: the call's own future runs on the calling thread, so the local
//! file is read and written there, and the connections run on the workers).
//!
//! Configuration ([`ObjectDir::open`]) is object_store's: the `AWS_*` variables it knows, read
//! from the environment, in particular `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT`, and
//! `AWS_ENDPOINT_URL_S3` before both), `AWS_REGION` (or `AWS_DEFAULT_REGION`; `us-east-1`
//! without either), `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, and
//! without keys the web-identity, container and instance credentials. `AWS_PROFILE` and
//! `~/.aws/` are not read. With a custom endpoint, requests are path-style (`endpoint/bucket/
//! key`, as MinIO and moto need) and plain HTTP is allowed exactly when the endpoint is
//! `http://`; against AWS itself, virtual-hosted style unless the bucket name has a dot.
//!
//! Timeouts: two clients share the configuration. Short requests (list, head, delete, small
//! put and read) go through one with a 20 s limit per request, a 5 s connect limit and a few
//! retries within 15 s, so a dead or hung server is an error within about 20 s. Transfers
//! (download, upload, copy) cannot have a per-request limit (a large body takes as long as
//! it takes), so theirs is 6 h and this module bounds the waits instead: 60 s for an answer
//! or between two pieces of a download, 120 s for a part of an upload, 15 min for a copy.

mod client;
mod error;
mod stream;
mod url;

pub use url::S3Url;

use std::fmt;
use std::fs::File;
use std::future::{poll_fn, Future};
use std::io::{self, ErrorKind, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::{GetOptions, MultipartUpload, ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

/// An upload's part size: S3 needs at least 5 MiB for every part but the last.
const PART_SIZE: usize = 8 << 20;
/// Parts sent at once; with the one being read, memory stays under 3 parts per upload.
const PARTS_IN_FLIGHT: usize = 2;
/// The largest object [`ObjectDir::read`] takes into memory.
const READ_LIMIT: u64 = 16 << 20;
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
const PART_TIMEOUT: Duration = Duration::from_secs(120);
const COPY_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// A folder of objects: `s3://bucket/prefix`.
#[derive(Clone)]
pub struct ObjectDir {
    inner: Arc<Inner>,
}

struct Inner {
    url: S3Url,
    root: Path,
    control: AmazonS3,
    transfer: AmazonS3,
    runtime: &'static Runtime,
}

impl fmt::Debug for ObjectDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectDir").field("url", &self.url()).finish_non_exhaustive()
    }
}

/// An object directly in a listed folder, or found by [`ObjectDir::head`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    /// The key's last segment.
    pub name: String,
    pub size: u64,
    /// As the server gave it (with its quotes); opaque, handed back to [`ObjectDir::download`].
    /// A multipart upload's ends in `-<parts>"`.
    pub etag: String,
    pub last_modified_ms: i64,
}

/// Why a download pinned to an ETag got nothing.
#[derive(Debug)]
pub enum Fetch {
    /// The object is gone.
    Missing,
    /// The object was replaced since its ETag was taken.
    Changed,
    Io(io::Error),
}

impl fmt::Display for Fetch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fetch::Missing => f.write_str("the object is gone"),
            Fetch::Changed => f.write_str("the object changed since it was listed"),
            Fetch::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Fetch {}

impl ObjectDir {
    /// Opens `url` with the `AWS_*` environment variables object_store knows (see the
    /// module's documentation). Makes no request.
    pub fn open(url: &S3Url) -> io::Result<ObjectDir> {
        let options: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| k.starts_with("AWS_") && k.to_ascii_lowercase().parse::<AmazonS3ConfigKey>().is_ok())
            .collect();
        ObjectDir::open_with(url, &options)
    }

    /// Opens `url` with explicit options instead of the environment: the same names as the
    /// variables (`AWS_ENDPOINT_URL`, …; any case), every one of which must be known. The
    /// bucket always comes from `url`. Makes no request.
    pub fn open_with(url: &S3Url, options: &[(String, String)]) -> io::Result<ObjectDir> {
        let bad = |why: String| io::Error::new(ErrorKind::InvalidInput, format!("cannot use {url}: {why}"));
        // The fields are public: a location built by hand is held to the same rules.
        match S3Url::parse(&url.to_string()) {
            Ok(parsed) if parsed == *url => {}
            Ok(_) => return Err(bad("the bucket name or the prefix is malformed".into())),
            Err(why) => return Err(bad(why)),
        }
        let (control, transfer) = client::build(url, options).map_err(bad)?;
        let root = Path::parse(&url.prefix).map_err(|_| bad("the prefix is not a plain path".into()))?;
        Ok(ObjectDir {
            inner: Arc::new(Inner { url: url.clone(), root, control, transfer, runtime: client::runtime()? }),
        })
    }

    /// `s3://bucket/prefix`, for messages.
    pub fn url(&self) -> String {
        self.inner.url.to_string()
    }

    /// The objects directly in `folder` (`""` for the prefix itself): no deeper keys, no
    /// "folders".
    pub fn list(&self, folder: &str) -> io::Result<Vec<ObjectEntry>> {
        let dir = self.folder(folder)?;
        let (objects, _) =
            self.block(self.direct(&dir)).map_err(|e| error::io_error("list", &self.place(folder), &e))?;
        Ok(objects.iter().map(entry).collect())
    }

    /// Every object below `folder` (`""` for the prefix itself), with its key relative to the
    /// prefix, in key order. Walks the folders one listing each, so a console-made "folder"
    /// object (`a/`) is never mistaken for a file.
    pub fn list_all(&self, folder: &str) -> io::Result<Vec<(String, ObjectEntry)>> {
        let mut folders = vec![self.folder(folder)?];
        let mut all = Vec::new();
        while let Some(dir) = folders.pop() {
            let (objects, inner) =
                self.block(self.direct(&dir)).map_err(|e| error::io_error("list", &self.place(folder), &e))?;
            all.extend(objects.iter().filter_map(|m| Some((below(&self.inner.root, &m.location)?, entry(m)))));
            folders.extend(inner);
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(all)
    }

    /// The objects and the folders directly in `dir`.
    async fn direct(&self, dir: &Path) -> object_store::Result<(Vec<ObjectMeta>, Vec<Path>)> {
        let listed = self.inner.control.list_with_delimiter(Some(dir)).await?;
        let direct = |p: &Path| below(dir, p).is_some_and(|rel| !rel.is_empty() && !rel.contains('/'));
        let objects = listed.objects.into_iter().filter(|m| direct(&m.location)).collect();
        Ok((objects, listed.common_prefixes.into_iter().filter(|p| direct(p)).collect()))
    }

    /// The object at `rel`, if there is one.
    pub fn head(&self, rel: &str) -> io::Result<Option<ObjectEntry>> {
        let key = self.key(rel)?;
        match self.block(self.inner.control.head(&key)) {
            Ok(meta) => Ok(Some(entry(&meta))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(error::io_error("look up", &self.place(rel), &e)),
        }
    }

    /// Writes the object at `rel`, as it was when its ETag was `etag`, at `to`'s position,
    /// a piece at a time; fsyncs `to` and returns the bytes written. `to` may hold a part of
    /// the object after an error.
    pub fn download(&self, rel: &str, etag: &str, to: &mut File) -> Result<u64, Fetch> {
        let key = self.key(rel).map_err(Fetch::Io)?;
        let options = GetOptions { if_match: Some(etag.to_string()), ..GetOptions::default() };
        let fetched = self.block(async {
            let got = within(ANSWER_TIMEOUT, self.inner.transfer.get_opts(&key, options)).await?;
            let size = got.meta.size;
            let mut body = got.into_stream();
            let mut written = 0u64;
            loop {
                let next = tokio::time::timeout(ANSWER_TIMEOUT, poll_fn(|cx| body.as_mut().poll_next(cx))).await;
                let piece = match next.map_err(|_| Failure::TimedOut)? {
                    Some(piece) => piece.map_err(Failure::Store)?,
                    None => break,
                };
                to.write_all(&piece).map_err(Failure::File)?;
                written += piece.len() as u64;
            }
            if written != size {
                return Err(Failure::Short);
            }
            to.sync_all().map_err(Failure::File)?;
            Ok(written)
        });
        fetched.map_err(|f| match f {
            Failure::Store(object_store::Error::NotFound { .. }) => Fetch::Missing,
            Failure::Store(object_store::Error::Precondition { .. }) => Fetch::Changed,
            f => Fetch::Io(f.at("download", &self.place(rel))),
        })
    }

    /// Stores `from` (read from its position to its end) as the object at `rel`. The object
    /// appears whole or not at all: a file of a part or more goes up as a multipart upload
    /// (parts of 8 MiB, at most two in flight), which is aborted on any error.
    pub fn upload(&self, rel: &str, from: &mut File) -> io::Result<()> {
        let key = self.key(rel)?;
        let first = read_part(from).map_err(|e| Failure::File(e).at("upload to", &self.place(rel)))?;
        let transfer = &self.inner.transfer;
        let sent = if first.len() < PART_SIZE {
            self.block(within(PART_TIMEOUT, transfer.put(&key, first.into()))).map(drop)
        } else {
            self.block(async {
                let mut upload = within(ANSWER_TIMEOUT, transfer.put_multipart(&key)).await?;
                let mut parts = JoinSet::new();
                let sent = send_parts(upload.as_mut(), &mut parts, first, from).await;
                if sent.is_err() {
                    parts.shutdown().await;
                    let _ = within(ANSWER_TIMEOUT, upload.abort()).await;
                }
                sent
            })
        };
        sent.map_err(|f| f.at("upload to", &self.place(rel)))
    }

    /// Stores a small object whole.
    pub fn put(&self, rel: &str, bytes: Vec<u8>) -> io::Result<()> {
        let key = self.key(rel)?;
        let put = self.block(self.inner.control.put(&key, PutPayload::from(bytes)));
        put.map(drop).map_err(|e| error::io_error("write", &self.place(rel), &e))
    }

    /// Reads a small object (up to 16 MiB) whole.
    pub fn read(&self, rel: &str) -> io::Result<Vec<u8>> {
        let key = self.key(rel)?;
        let fail = |e| error::io_error("read", &self.place(rel), &e);
        self.block(async {
            let got = self.inner.control.get(&key).await.map_err(fail)?;
            if got.meta.size > READ_LIMIT {
                return Err(error::local(ErrorKind::InvalidData, "read", &self.place(rel), "it is over 16 MiB"));
            }
            Ok(got.bytes().await.map_err(fail)?.to_vec())
        })
    }

    /// Copies the object at `from` to `to` inside the store (S3's CopyObject: up to 5 GiB).
    pub fn copy(&self, from: &str, to: &str) -> io::Result<()> {
        let (source, target) = (self.key(from)?, self.key(to)?);
        let copied = self.block(within(COPY_TIMEOUT, self.inner.transfer.copy(&source, &target)));
        copied.map_err(|f| f.at("copy", &format!("{} to {to}", self.place(from))))
    }

    /// Deletes the object at `rel`; one that is not there is fine.
    pub fn delete(&self, rel: &str) -> io::Result<()> {
        let key = self.key(rel)?;
        match self.block(self.inner.control.delete(&key)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(error::io_error("delete", &self.place(rel), &e)),
        }
    }

    /// `<prefix>/<rel>` for a plain relative `rel`; anything else is refused here, before
    /// any request.
    fn key(&self, rel: &str) -> io::Result<Path> {
        let refused = |why: &str| {
            io::Error::new(ErrorKind::InvalidInput, format!("refused an object key below {}: it {why}", self.url()))
        };
        url::check_relative(rel).map_err(refused)?;
        let prefix = &self.inner.url.prefix;
        let full = if prefix.is_empty() { rel.to_string() } else { format!("{prefix}/{rel}") };
        if full.len() > 1024 {
            return Err(refused("is longer than S3 allows (1024 bytes with the prefix)"));
        }
        Path::parse(&full).map_err(|_| refused("is not a plain path"))
    }

    fn folder(&self, rel: &str) -> io::Result<Path> {
        if rel.is_empty() {
            Ok(self.inner.root.clone())
        } else {
            self.key(rel)
        }
    }

    fn place(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.url()
        } else {
            format!("{}/{rel}", self.inner.url)
        }
    }

    fn block<F: Future>(&self, f: F) -> F::Output {
        self.inner.runtime.block_on(f)
    }
}

/// What went wrong inside one call, before it is given its place.
enum Failure {
    Store(object_store::Error),
    File(io::Error),
    TimedOut,
    Short,
    Task,
}

impl Failure {
    fn at(self, op: &str, place: &str) -> io::Error {
        match self {
            Failure::Store(e) => error::io_error(op, place, &e),
            Failure::File(e) => error::local(e.kind(), op, place, format_args!("the local file failed ({})", e.kind())),
            Failure::TimedOut => error::local(ErrorKind::TimedOut, op, place, "the endpoint did not answer in time"),
            Failure::Short => error::local(ErrorKind::UnexpectedEof, op, place, "the object ended early"),
            Failure::Task => error::local(ErrorKind::Other, op, place, "a part's upload was cancelled"),
        }
    }
}

/// `f`, unless `limit` passes first.
async fn within<T>(limit: Duration, f: impl Future<Output = object_store::Result<T>>) -> Result<T, Failure> {
    match tokio::time::timeout(limit, f).await {
        Ok(done) => done.map_err(Failure::Store),
        Err(_) => Err(Failure::TimedOut),
    }
}

/// Sends `first` and the rest of `from` as parts, then completes the upload.
async fn send_parts(
    upload: &mut dyn MultipartUpload,
    parts: &mut JoinSet<object_store::Result<()>>,
    first: Vec<u8>,
    from: &mut File,
) -> Result<(), Failure> {
    let mut part = first;
    while !part.is_empty() {
        while parts.len() >= PARTS_IN_FLIGHT {
            joined(parts).await?;
        }
        parts.spawn(upload.put_part(PutPayload::from(part)));
        part = read_part(from).map_err(Failure::File)?;
    }
    while !parts.is_empty() {
        joined(parts).await?;
    }
    within(PART_TIMEOUT, upload.complete()).await.map(drop)
}

/// Waits for one part's upload.
async fn joined(parts: &mut JoinSet<object_store::Result<()>>) -> Result<(), Failure> {
    match tokio::time::timeout(PART_TIMEOUT, parts.join_next()).await {
        Err(_) => Err(Failure::TimedOut),
        Ok(None) => Ok(()),
        Ok(Some(Ok(sent))) => sent.map_err(Failure::Store),
        Ok(Some(Err(_))) => Err(Failure::Task),
    }
}

/// Up to one part of `from`; shorter only at its end.
fn read_part(from: &mut File) -> io::Result<Vec<u8>> {
    let mut part = Vec::with_capacity(PART_SIZE);
    from.take(PART_SIZE as u64).read_to_end(&mut part)?;
    Ok(part)
}

/// `path`'s segments below `dir`, joined by `/`, if it is below it (`""` for `dir` itself).
fn below(dir: &Path, path: &Path) -> Option<String> {
    let parts: Vec<_> = path.prefix_match(dir)?.map(|p| p.as_ref().to_string()).collect();
    Some(parts.join("/"))
}

fn entry(meta: &ObjectMeta) -> ObjectEntry {
    ObjectEntry {
        name: meta.location.filename().unwrap_or_default().to_string(),
        size: meta.size,
        etag: meta.e_tag.clone().unwrap_or_default(),
        last_modified_ms: meta.last_modified.timestamp_millis(),
    }
}
