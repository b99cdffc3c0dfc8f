//! The S3 layer (`importd::store::s3`) against a real S3-compatible server (moto): listings
//! keep to their folder and prefix, downloads are pinned to an ETag, uploads are multipart and
//! appear whole or not at all, keys that leave the prefix are refused before any request, the
//! calls work from the threads the daemon uses, and a dead or hung server is an error in time.
//!
//! One moto serves every test here (each in its own bucket); `ObjectDir::open_with` takes the
//! server's settings explicitly, so no test touches the process environment.

use std::io::{Read, Seek, Write};
use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use importd::store::s3::{Fetch, ObjectDir, ObjectEntry, S3Url};

use crate::servers::s3::S3Server;

/// The shared server, or `None` (after a SKIPPED line) without moto.
fn server() -> Option<&'static S3Server> {
    static SERVER: OnceLock<Option<S3Server>> = OnceLock::new();
    let mut started_here = false;
    let server = SERVER
        .get_or_init(|| {
            started_here = true;
            S3Server::start()
        })
        .as_ref();
    if server.is_none() && !started_here {
        let test = std::thread::current().name().unwrap_or("an S3 test").to_string();
        crate::support::skipped(&test, "the Python module `moto.server` (set IMPORTD_PYTHON)");
    }
    server
}

/// A fresh bucket and the folder `s3://<bucket>/<prefix>` in it.
fn bucket(s: &S3Server, bucket: &str, prefix: &str) -> ObjectDir {
    s.create_bucket(bucket);
    open(s, &format!("s3://{bucket}/{prefix}"))
}

fn open(s: &S3Server, url: &str) -> ObjectDir {
    ObjectDir::open_with(&S3Url::parse(url).unwrap(), &s.env()).unwrap()
}

fn names(entries: &[ObjectEntry]) -> Vec<&str> {
    let mut names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    names.sort();
    names
}

/// Seeded bytes that no compression or deduplication can shortcut.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn file_with(bytes: &[u8]) -> std::fs::File {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(bytes).unwrap();
    f.rewind().unwrap();
    f
}

fn download(dir: &ObjectDir, rel: &str, etag: &str) -> Result<Vec<u8>, Fetch> {
    let mut f = tempfile::tempfile().unwrap();
    let n = dir.download(rel, etag, &mut f)?;
    let mut bytes = Vec::new();
    f.rewind().unwrap();
    f.read_to_end(&mut bytes).unwrap();
    assert_eq!(n, bytes.len() as u64);
    Ok(bytes)
}

#[test]
#[ignore = "needs an S3-compatible server (.ci/run installs moto)"]
fn a_listing_sees_only_the_objects_directly_in_its_folder() {
    let Some(s) = server() else { return };
    let dir = bucket(s, "listing", "root");
    for key in ["a/x.csv", "a/y.csv", "a/deeper/z.csv", "ab/w.csv", "a.csv"] {
        dir.put(key, key.as_bytes().to_vec()).unwrap();
    }
    // Beside the prefix, with names that share its start, and a console-made "folder".
    open(s, "s3://listing/rootother").put("a/evil.csv", b"x".to_vec()).unwrap();
    open(s, "s3://listing").put("a/q.csv", b"x".to_vec()).unwrap();
    s.put_raw("listing", "root/a/", b"");

    let a = dir.list("a").unwrap();
    assert_eq!(names(&a), ["x.csv", "y.csv"]);
    let x = a.iter().find(|e| e.name == "x.csv").unwrap();
    assert_eq!(x.size, 7);
    assert!(x.etag.len() > 2 && x.last_modified_ms > 1_600_000_000_000, "{x:?}");
    assert_eq!(names(&dir.list("ab").unwrap()), ["w.csv"]);
    assert_eq!(names(&dir.list("").unwrap()), ["a.csv"]);
    assert!(dir.list("nothing/here").unwrap().is_empty());

    let all: Vec<String> = dir.list_all("").unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(all, ["a.csv", "a/deeper/z.csv", "a/x.csv", "a/y.csv", "ab/w.csv"]);
    let below_a: Vec<String> = dir.list_all("a").unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(below_a, ["a/deeper/z.csv", "a/x.csv", "a/y.csv"]);

    // A key this layer could not name (object_store refuses `..` and empty segments) fails
    // its folder's listing with a clear error, and only that folder's.
    s.put_raw("listing", "root/bad/%2E%2E", b"x");
    let e = dir.list("bad").unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData, "{e}");
    assert!(e.to_string().starts_with("cannot list s3://listing/root/bad: the bucket holds a key that is not"), "{e}");
    assert_eq!(names(&dir.list("a").unwrap()), ["x.csv", "y.csv"]);
}

#[test]
#[ignore = "needs an S3-compatible server (.ci/run installs moto)"]
fn a_download_is_pinned_to_the_etag_it_was_listed_with() {
    let Some(s) = server() else { return };
    let dir = bucket(s, "pinned", "drop");
    dir.put("t/d/f.csv", b"first\n".to_vec()).unwrap();
    let first = dir.head("t/d/f.csv").unwrap().unwrap();
    assert_eq!(download(&dir, "t/d/f.csv", &first.etag).unwrap(), b"first\n");

    dir.put("t/d/f.csv", b"second version\n".to_vec()).unwrap();
    assert!(matches!(download(&dir, "t/d/f.csv", &first.etag), Err(Fetch::Changed)));
    let second = dir.list("t/d").unwrap().pop().unwrap();
    assert_ne!(second.etag, first.etag);
    assert_eq!(download(&dir, "t/d/f.csv", &second.etag).unwrap(), b"second version\n");

    dir.delete("t/d/f.csv").unwrap();
    assert!(matches!(download(&dir, "t/d/f.csv", &second.etag), Err(Fetch::Missing)));
    assert!(matches!(download(&dir, "t/d/never.csv", "\"0\""), Err(Fetch::Missing)));
}

#[test]
#[ignore = "needs an S3-compatible server (.ci/run installs moto)"]
fn uploads_round_trip_multipart_when_large_and_whole_when_small() {
    let Some(s) = server() else { return };
    let dir = bucket(s, "uploads", "storage");
    let mib = 1 << 20;
    for (name, len, parts) in [
        ("large.parquet", 20 * mib + 123, Some(3)),
        ("one-part.parquet", 8 * mib, Some(1)),
        ("small.csv", 1000, None),
        ("empty.csv", 0, None),
    ] {
        let bytes = noise(len, len as u64);
        dir.upload(&format!("t/d/{name}"), &mut file_with(&bytes)).unwrap();
        let head = dir.head(&format!("t/d/{name}")).unwrap().unwrap();
        assert_eq!(head.size, len as u64, "{name}");
        match parts {
            Some(n) => assert!(head.etag.ends_with(&format!("-{n}\"")), "{name} is not multipart: {head:?}"),
            None => assert!(!head.etag.contains('-'), "{name}: {head:?}"),
        }
        assert!(download(&dir, &format!("t/d/{name}"), &head.etag).unwrap() == bytes, "{name} differs");
    }
    assert_eq!(s.pending_uploads("uploads"), 0);
}

#[test]
#[ignore = "needs an S3-compatible server (.ci/run installs moto)"]
fn an_upload_that_fails_midway_leaves_no_object() {
    let Some(s) = server() else { return };
    let dir = bucket(s, "aborted", "storage");
    // A file whose reads fail after 10 MiB: one end of a socket pair, with a read timeout,
    // fed 10 MiB by a writer that then goes quiet.
    let (reader, mut writer) = std::os::unix::net::UnixStream::pair().unwrap();
    reader.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let (done, quiet) = std::sync::mpsc::channel::<()>();
    let feed = std::thread::spawn(move || {
        writer.write_all(&noise(10 << 20, 7)).unwrap();
        let _ = quiet.recv();
    });
    let mut from = std::fs::File::from(std::os::fd::OwnedFd::from(reader));
    let err = dir.upload("t/d/out.parquet", &mut from).unwrap_err();
    drop(done);
    assert!(err.to_string().starts_with("cannot upload to s3://aborted/storage/t/d/out.parquet: "), "{err}");
    assert!(dir.head("t/d/out.parquet").unwrap().is_none());
    assert!(dir.list_all("").unwrap().is_empty());
    assert_eq!(s.pending_uploads("aborted"), 0, "the multipart upload was not aborted");
    // moto writes a request's log line after answering it: wait for the lines, not the
    // answers (the test above already saw no pending upload).
    let logged = |what: &str| crate::site::wait_until(Duration::from_secs(10), || s.log().contains(what));
    // (No quote before the method: moto colours lines of other statuses than 200, and the
    // colour codes stand between the quote and the method.)
    assert!(logged("PUT /aborted/storage/t/d/out.parquet?partNumber=1&"), "no part was sent:\n{}", s.log());
    assert!(logged("DELETE /aborted/storage/t/d/out.parquet?uploadId="), "not aborted:\n{}", s.log());
    feed.join().unwrap();
}

#[test]
#[ignore = "needs an S3-compatible server (.ci/run installs moto)"]
fn put_read_head_copy_and_delete() {
    let Some(s) = server() else { return };
    let dir = bucket(s, "basics", "p/q");
    assert!(dir.head("t/reason.json").unwrap().is_none());
    assert_eq!(dir.read("t/reason.json").unwrap_err().kind(), std::io::ErrorKind::NotFound);
    dir.put("t/reason.json", b"{\"kind\":\"x\"}".to_vec()).unwrap();
    assert_eq!(dir.read("t/reason.json").unwrap(), b"{\"kind\":\"x\"}");
    assert_eq!(dir.head("t/reason.json").unwrap().unwrap().size, 12);
    assert_eq!(dir.head("t/reason.json").unwrap().unwrap().name, "reason.json");

    // Keys are sent as they are: spaces, non-ASCII letters and `%` are part of the name.
    dir.put("t/a b/ü %20.csv", b"odd".to_vec()).unwrap();
    assert_eq!(names(&dir.list("t/a b").unwrap()), ["ü %20.csv"]);
    assert_eq!(dir.read("t/a b/ü %20.csv").unwrap(), b"odd");
    assert!(dir.head("t/a b/ü 2.csv").unwrap().is_none());
    dir.delete("t/a b/ü %20.csv").unwrap();

    dir.copy("t/reason.json", "u/copied.json").unwrap();
    assert_eq!(dir.read("u/copied.json").unwrap(), b"{\"kind\":\"x\"}");
    let err = dir.copy("t/missing.json", "u/x.json").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}");

    dir.delete("t/reason.json").unwrap();
    assert!(dir.head("t/reason.json").unwrap().is_none());
    dir.delete("t/reason.json").unwrap();
    let keys: Vec<String> = open(s, "s3://basics").list_all("").unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["p/q/u/copied.json"]);

    let err = open(s, "s3://no-such-bucket/p").list("t").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(err.to_string(), "cannot list s3://no-such-bucket/p/t: the bucket does not exist");
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs without a server: a key check that let a request through would meet a closed port
/// and fail with ConnectionRefused instead of InvalidInput.
#[test]
fn keys_that_leave_the_prefix_are_refused_before_any_request() {
    let options = [
        ("AWS_ENDPOINT_URL".to_string(), format!("http://127.0.0.1:{}", closed_port())),
        ("AWS_ACCESS_KEY_ID".to_string(), "k".to_string()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), "s3cr3t-canary".to_string()),
    ];
    let dir = ObjectDir::open_with(&S3Url::parse("s3://bucket/prefix").unwrap(), &options).unwrap();
    assert!(!format!("{dir:?}").contains("s3cr3t"), "{dir:?}");
    for bad in ["../x", "t/../../x", "/etc/passwd", "t//x", "t/x/", ".", "t/./x", "t\\..\\x", "t/\u{7}", ""] {
        let refused = |r: std::io::Result<()>| {
            let e = r.unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{bad:?}: {e}");
            assert!(e.to_string().starts_with("refused an object key below s3://bucket/prefix: it "), "{e}");
        };
        refused(dir.head(bad).map(drop));
        refused(dir.read(bad).map(drop));
        refused(dir.put(bad, b"x".to_vec()));
        refused(dir.delete(bad));
        refused(dir.copy("t/ok", bad));
        refused(dir.copy(bad, "t/ok"));
        refused(dir.upload(bad, &mut file_with(b"x")));
        match dir.download(bad, "\"e\"", &mut tempfile::tempfile().unwrap()) {
            Err(Fetch::Io(e)) => refused(Err(e)),
            other => panic!("{bad:?}: {other:?}"),
        }
        if !bad.is_empty() {
            refused(dir.list(bad).map(drop));
            refused(dir.list_all(bad).map(drop));
        }
    }
    // A good key does reach the (closed) endpoint.
    let e = dir.head("t/ok").unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
    assert!(!e.to_string().contains("s3cr3t"), "{e}");
    for (bucket, prefix) in [("bucket", "../up"), ("bucket", "p/"), ("Bucket", "p"), ("bucket/x", "p")] {
        let url = S3Url { bucket: bucket.into(), prefix: prefix.into() };
        let e = ObjectDir::open_with(&url, &options).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{url}: {e}");
    }
    let unknown = [("AWS_NO_SUCH_OPTION".to_string(), "1".to_string())];
    let e = ObjectDir::open_with(&S3Url::parse("s3://bucket").unwrap(), &unknown).unwrap_err();
    assert_eq!(e.to_string(), "cannot use s3://bucket: AWS_NO_SUCH_OPTION is not an option of the S3 client");
}

#[test]
#[ignore = "needs an S3-compatible server (.ci/run installs moto)"]
fn calls_work_from_block_in_place_spawn_blocking_and_plain_threads() {
    let Some(s) = server() else { return };
    let dir = bucket(s, "threads", "p");
    let daemon = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let d = dir.clone();
    daemon.block_on(async move {
        tokio::task::block_in_place(|| d.put("t/in-place", b"1".to_vec())).unwrap();
        let d2 = d.clone();
        tokio::task::spawn_blocking(move || d2.put("t/blocking", b"2".to_vec())).await.unwrap().unwrap();
        let d3 = d.clone();
        let spawned = tokio::spawn(async move { tokio::task::block_in_place(|| d3.read("t/blocking")) });
        assert_eq!(spawned.await.unwrap().unwrap(), b"2");
    });
    let single = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let d = dir.clone();
    let listed = single.block_on(async move { tokio::task::spawn_blocking(move || d.list("t")).await.unwrap() });
    assert_eq!(names(&listed.unwrap()), ["blocking", "in-place"]);
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let d = dir.clone();
            std::thread::spawn(move || d.upload(&format!("u/{i}"), &mut file_with(&noise(3000, i))).unwrap())
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(dir.list("u").unwrap().len(), 8);
    drop(daemon);
}

#[test]
#[ignore = "needs an S3-compatible server (.ci/run installs moto)"]
fn a_stopped_server_is_an_error_within_the_timeout() {
    // Its own server: this test stops it.
    let Some(mut s) = S3Server::start() else { return };
    let dir = bucket(&s, "stopped", "p");
    dir.put("t/x", b"x".to_vec()).unwrap();
    s.stop();
    let start = Instant::now();
    let e = dir.list("t").unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(30), "took {:?}", start.elapsed());
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
    assert_eq!(e.to_string(), "cannot list s3://stopped/p/t: cannot connect to the endpoint");
    let start = Instant::now();
    assert!(matches!(download(&dir, "t/x", "\"e\""), Err(Fetch::Io(_))));
    assert!(dir.upload("t/y", &mut file_with(&noise(9 << 20, 1))).is_err());
    assert!(start.elapsed() < Duration::from_secs(30), "took {:?}", start.elapsed());
}

#[test]
#[ignore = "waits out the 20 s request timeout against a server that never answers"]
fn a_hung_server_is_an_error_within_the_timeout() {
    // Accepts connections (the kernel does, into the backlog) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let options = [
        ("AWS_ENDPOINT_URL".to_string(), format!("http://{}", silent.local_addr().unwrap())),
        ("AWS_ACCESS_KEY_ID".to_string(), "k".to_string()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), "s".to_string()),
    ];
    let dir = ObjectDir::open_with(&S3Url::parse("s3://hung/p").unwrap(), &options).unwrap();
    let start = Instant::now();
    let e = dir.list("t").unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(45), "took {:?}", start.elapsed());
    assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{e}");
    drop(silent);
}
