//! The raw copies the daemon keeps of inputs: archived inputs (`keep_input_days`) and
//! quarantined originals, in the state folder (`archive/<tenant>/<dataset>/<id>`,
//! `quarantine/<tenant>/<dataset>/<id>/`) or, for object-store drop folders, below the
//! dataset's drop prefix (`<tenant>/<dataset>/.importd/{archive,quarantine}/<id>`).
//!
//! They hold the raw value, so they are matched by value: read with the dataset's reader
//! where it can read them (rows whose named column equals the value, or whose free text
//! holds it as a whole word: [`super::bounds`]); only a file the reader cannot read is
//! searched byte by byte, with the same boundaries, and then no row is exported (none is
//! known). A match is erased by deleting the copy whole: it is the customer's original, not
//! worth rewriting.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Seek, SeekFrom};

use anonymizer_core::io::{open_source, Input, SourceOptions};
use anonymizer_core::rule::Action;
use anonymizer_core::Rules;
use arrow_array::RecordBatch;

use super::bounds;
use super::forms::texts;
use crate::daemon::config::{Settings, Tenant};
use crate::daemon::objects::KEPT;
use crate::store::s3::ObjectDir;
use crate::store::{Dir, DirError};

/// One raw copy of an input.
#[derive(Debug)]
pub struct RawCopy {
    pub dataset: String,
    pub import_id: String,
    /// `archive` or `quarantine`.
    pub kind: &'static str,
    pub at: RawAt,
}

/// Where a raw copy is.
#[derive(Debug)]
pub enum RawAt {
    /// `dir/name`; a quarantine folder `parent/folder` goes with it when erased.
    Local { dir: Dir, name: OsString, folder: Option<(Dir, OsString)> },
    /// The object's key in the drop store, and the other objects of its quarantine folder.
    Object { key: String, with: Vec<String> },
}

impl RawCopy {
    /// How the copy is shown: kind, dataset and import id (never the original's name).
    pub fn label(&self) -> String {
        let place = if matches!(self.at, RawAt::Object { .. }) { " (object store)" } else { "" };
        format!("{} copy {}/{}{place}", self.kind, self.dataset, self.import_id)
    }
}

fn io(what: &str, e: std::io::Error) -> String {
    format!("{what} ({})", e.kind())
}

/// Every raw copy of `dataset`'s inputs, locally and in the tenant's drop store.
pub fn copies(settings: &Settings, tenant: &Tenant, dataset: &str) -> Result<Vec<RawCopy>, String> {
    let mut out = Vec::new();
    let state = match Dir::open(&settings.state_dir) {
        Ok(d) => Some(d),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&format!("{}: the state folder cannot be opened", settings.state_dir.display()), e)),
    };
    let t = tenant.id.as_str();
    if let Some(state) = state {
        let open = |rel: &str| match state.open_dir(rel) {
            Ok(d) => Ok(Some(d)),
            Err(DirError::Missing) => Ok(None),
            Err(e) => Err(format!("{}/{rel}: refused ({e})", settings.state_dir.display())),
        };
        if let Some(dir) = open(&format!("archive/{t}/{dataset}"))? {
            for e in dir.entries().map_err(|e| io("the archive cannot be listed", e))? {
                if crate::store::is_dir(&e.stat) || !is_file(&e.stat) {
                    continue;
                }
                let import_id = e.name.to_string_lossy().into_owned();
                let at = RawAt::Local {
                    dir: dir.try_clone().map_err(|e| io("the archive", e))?,
                    name: e.name,
                    folder: None,
                };
                out.push(RawCopy { dataset: dataset.to_string(), import_id, kind: "archive", at });
            }
        }
        if let Some(parent) = open(&format!("quarantine/{t}/{dataset}"))? {
            for e in parent.entries().map_err(|e| io("the quarantine cannot be listed", e))? {
                if !crate::store::is_dir(&e.stat) {
                    continue;
                }
                let Ok(dir) = parent.open_dir(&e.name.to_string_lossy()) else { continue };
                let import_id = e.name.to_string_lossy().into_owned();
                for f in dir.entries().map_err(|e| io("the quarantine cannot be listed", e))? {
                    if f.name == "reason.json" || !is_file(&f.stat) {
                        continue;
                    }
                    let folder = Some((parent.try_clone().map_err(|e| io("the quarantine", e))?, e.name.clone()));
                    let at = RawAt::Local {
                        dir: dir.try_clone().map_err(|e| io("the quarantine", e))?,
                        name: f.name,
                        folder,
                    };
                    out.push(RawCopy {
                        dataset: dataset.to_string(),
                        import_id: import_id.clone(),
                        kind: "quarantine",
                        at,
                    });
                }
            }
        }
    }
    if let Some(store) = &tenant.places.drop_store {
        for kind in ["archive", "quarantine"] {
            let base = format!("{t}/{dataset}/{KEPT}/{kind}");
            let all = store.list_all(&base).map_err(|e| io(&format!("{}/{base}: cannot be listed", store.url()), e))?;
            let keys: Vec<String> = all.iter().map(|(k, _)| k.clone()).collect();
            for (key, _) in &all {
                let rest = key.strip_prefix(&format!("{base}/")).unwrap_or(key);
                let (import_id, name) = rest.split_once('/').unwrap_or((rest, ""));
                if name == "reason.json" {
                    continue;
                }
                let with = keys
                    .iter()
                    .filter(|k| kind == "quarantine" && *k != key && k.starts_with(&format!("{base}/{import_id}/")))
                    .cloned()
                    .collect();
                let at = RawAt::Object { key: key.clone(), with };
                out.push(RawCopy { dataset: dataset.to_string(), import_id: import_id.to_string(), kind, at });
            }
        }
    }
    Ok(out)
}

fn is_file(st: &rustix::fs::Stat) -> bool {
    rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile
}

/// A raw copy's content, readable from its start, and its size.
pub fn open(copy: &RawCopy, drop_store: Option<&ObjectDir>) -> Result<(File, u64), String> {
    let label = copy.label();
    let file = match &copy.at {
        RawAt::Local { dir, name, .. } => {
            let f = dir.open_file(name).map_err(|e| io(&format!("{label}: cannot be opened"), e))?;
            if !f.metadata().map_err(|e| io(&label, e))?.is_file() {
                return Err(format!("{label} is not a regular file"));
            }
            f
        }
        RawAt::Object { key, .. } => {
            let store = drop_store.ok_or_else(|| format!("{label}: the drop store is not opened"))?;
            let entry = store.head(key).map_err(|e| io(&label, e))?.ok_or_else(|| format!("{label} is gone"))?;
            let mut tmp = tempfile::tempfile().map_err(|e| io("a temporary file cannot be made", e))?;
            store.download(key, &entry.etag, &mut tmp).map_err(|e| format!("{label}: cannot be read ({e})"))?;
            tmp
        }
    };
    let size = file.metadata().map_err(|e| io(&label, e))?.len();
    Ok((file, size))
}

/// How a raw copy was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Read with the dataset's reader: the rows that hold the value.
    Read { rows: u64 },
    /// Not readable as the dataset's input: whether its bytes hold the value as a whole word.
    Bytes { found: bool },
}

impl Method {
    pub fn found(&self) -> bool {
        matches!(self, Method::Read { rows } if *rows > 0) || matches!(self, Method::Bytes { found: true })
    }

    pub fn describe(&self) -> String {
        match self {
            Method::Read { rows } => format!("{rows} row{} (read with the dataset's reader)", if *rows == 1 { "" } else { "s" }),
            Method::Bytes { .. } => {
                "the value's bytes (byte search: the file is not readable as a table; no row is known, so none is exported)"
                    .into()
            }
        }
    }
}

/// Matches the copy's content against `value` (in `column`, or inside any `redact` column's
/// text); `each` gets every matching row, read as text.
pub fn matches(
    file: &File,
    name: &str,
    rules: &Rules,
    so: &SourceOptions,
    (column, value): (&str, &str),
    mut each: impl FnMut(&RecordBatch),
) -> Result<Method, String> {
    let mut rows = None;
    let mut f = file.try_clone().map_err(|e| io("the copy cannot be read", e))?;
    f.seek(SeekFrom::Start(0)).map_err(|e| io("the copy cannot be read", e))?;
    if let Ok(mut source) = open_source(Input::File(f), name, &rules.input, so) {
        let named: Vec<usize> =
            source.header.iter().enumerate().filter(|(_, h)| *h == column).map(|(i, _)| i).collect();
        let text: Vec<usize> = source
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| rules.rule_for(h).is_some_and(|r| matches!(r.action, Action::Redact { .. })))
            .map(|(i, _)| i)
            .collect();
        let mut n = 0u64;
        let mut readable = true;
        loop {
            let batch = match source.reader.next_batch().map(|b| b.map(|b| b.decode())) {
                Ok(None) => break,
                Ok(Some(Ok(b))) => b,
                Ok(Some(Err(_))) | Err(_) => {
                    readable = false;
                    break;
                }
            };
            let mut hit = vec![false; batch.num_rows()];
            for (cols, within) in [(&named, false), (&text, true)] {
                for c in cols.iter() {
                    for (i, cell) in texts(batch.column(*c))?.into_iter().enumerate() {
                        if cell.is_some_and(|s| if within { bounds::within(&s, value) } else { s == value }) {
                            hit[i] = true;
                        }
                    }
                }
            }
            for (i, h) in hit.into_iter().enumerate() {
                if h {
                    n += 1;
                    each(&batch.slice(i, 1));
                }
            }
        }
        if readable {
            rows = Some(n);
        }
    }
    match rows {
        Some(rows) => Ok(Method::Read { rows }),
        None => Ok(Method::Bytes { found: bounds::file_holds(file, value.as_bytes(), 1 << 20)? }),
    }
}

/// Deletes a raw copy whole (a quarantine folder with its reason.json), durably.
pub fn delete(copy: &RawCopy, drop_store: Option<&ObjectDir>) -> Result<(), String> {
    let label = copy.label();
    let fail = |e| io(&format!("{label}: cannot be deleted"), e);
    match &copy.at {
        RawAt::Local { dir, name, folder } => {
            dir.remove_file(name).map_err(fail)?;
            if let Some((parent, id)) = folder {
                for e in dir.entries().map_err(fail)? {
                    if is_file(&e.stat) || !crate::store::is_dir(&e.stat) {
                        dir.remove_file(&e.name).map_err(fail)?;
                    }
                }
                dir.sync().map_err(fail)?;
                // When something else is in it, the original is gone and the folder stays.
                if parent.remove_dir(id).is_ok() {
                    parent.sync().map_err(fail)?;
                }
            } else {
                dir.sync().map_err(fail)?;
            }
        }
        RawAt::Object { key, with } => {
            let store = drop_store.ok_or_else(|| format!("{label}: the drop store is not opened"))?;
            store.delete(key).map_err(fail)?;
            for k in with {
                store.delete(k).map_err(fail)?;
            }
        }
    }
    Ok(())
}

/// The name the dataset's reader sees (its extension helps it pick the format).
pub fn reader_name(copy: &RawCopy) -> String {
    match &copy.at {
        RawAt::Local { name, .. } => name.to_string_lossy().into_owned(),
        RawAt::Object { key, .. } => key.rsplit('/').next().unwrap_or_default().to_string(),
    }
}
