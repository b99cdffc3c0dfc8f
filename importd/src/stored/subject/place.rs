//! Where a tenant's outputs are, for reading and replacing one: a local storage folder,
//! reached through directory handles (no link followed), or an object-store prefix.
//!
//! A local replacement is written to a hidden name beside the output (`.<name>.subject.tmp`:
//! DuckDB, Spark and Polars skip names starting with `.`), fsynced, then renamed over it
//! through the folder's handle and the folder fsynced. An object is replaced by one upload to
//! the same key (a PUT or a multipart upload: whole or not at all). Beside the output, a
//! hidden note (`.<name>.subject.json`) keeps the erasure's audit body (names, hashes and
//! counts) while the rewrite is pending, so a later run can write the record a crash missed.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Seek, SeekFrom};

use crate::daemon::config::Tenant;
use crate::daemon::places::Place;
use crate::daemon::publish::sha256_of;
use crate::store::s3::ObjectDir;
use crate::store::{Dir, DirError};

/// A tenant's storage.
#[derive(Debug)]
pub enum Storage<'a> {
    Local(Dir),
    Object(&'a ObjectDir),
}

/// A readable copy of an output and the SHA-256 of its bytes.
#[derive(Debug)]
pub struct Held {
    pub file: File,
    pub sha256: String,
}

/// A replacement being written: a hidden file beside a local output, a temporary file for an
/// object.
#[derive(Debug)]
pub struct Staging {
    pub file: File,
}

fn io(what: &str, e: std::io::Error) -> String {
    format!("{what} ({})", e.kind())
}

/// `(folder, name)` of a stored path.
fn split(rel: &str) -> Result<(&str, &str), String> {
    rel.rsplit_once('/').ok_or_else(|| format!("{rel} is not a stored output's path"))
}

impl<'a> Storage<'a> {
    pub fn of(tenant: &'a Tenant) -> Result<Storage<'a>, String> {
        match (&tenant.places.storage, &tenant.places.storage_store) {
            (_, Some(store)) => Ok(Storage::Object(store)),
            (Place::Local(path), None) => Dir::open(path)
                .map(Storage::Local)
                .map_err(|e| io(&format!("{}: the storage folder cannot be opened", path.display()), e)),
            (Place::Object(u), None) => Err(format!("{u}: the object store is not opened")),
        }
    }

    fn folder(&self, rel: &str) -> Result<Option<(Dir, OsString)>, String> {
        let Storage::Local(root) = self else { return Ok(None) };
        let (folder, name) = split(rel)?;
        match root.open_dir(folder) {
            Ok(d) => Ok(Some((d, OsString::from(name)))),
            Err(DirError::Missing) => Err(format!("{rel}: its folder is missing")),
            Err(e) => Err(format!("{rel}: its folder is refused ({e})")),
        }
    }

    /// The output at `rel` as storage holds it now; `None` if it is not there.
    pub fn fetch(&self, rel: &str) -> Result<Option<Held>, String> {
        let mut file = match self {
            Storage::Local(root) => {
                let (folder, name) = split(rel)?;
                let dir = match root.open_dir(folder) {
                    Ok(d) => d,
                    Err(DirError::Missing) => return Ok(None),
                    Err(e) => return Err(format!("{rel}: its folder is refused ({e})")),
                };
                let file = match dir.open_file(std::ffi::OsStr::new(name)) {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(io(&format!("{rel}: it cannot be opened"), e)),
                };
                let meta = file.metadata().map_err(|e| io(&format!("{rel}: it cannot be read"), e))?;
                if !meta.is_file() {
                    return Err(format!("{rel} is not a regular file; it is left alone"));
                }
                file
            }
            Storage::Object(store) => {
                let Some(entry) = store.head(rel).map_err(|e| io(&format!("{rel}: it cannot be read"), e))? else {
                    return Ok(None);
                };
                let mut tmp = tempfile::tempfile().map_err(|e| io("a temporary file cannot be made", e))?;
                store.download(rel, &entry.etag, &mut tmp).map_err(|e| format!("{rel}: it cannot be read ({e})"))?;
                tmp
            }
        };
        file.seek(SeekFrom::Start(0)).map_err(|e| io(&format!("{rel}: it cannot be read"), e))?;
        let sha256 = sha256_of(&mut file).map_err(|e| io(&format!("{rel}: it cannot be read"), e))?;
        file.seek(SeekFrom::Start(0)).map_err(|e| io(&format!("{rel}: it cannot be read"), e))?;
        Ok(Some(Held { file, sha256 }))
    }

    /// A new, empty replacement for `rel` (a leftover of an earlier run is removed first).
    pub fn stage(&self, rel: &str) -> Result<Staging, String> {
        match self.folder(rel)? {
            Some((dir, name)) => {
                let temp = hidden(&name, "tmp");
                remove(&dir, &temp)
                    .map_err(|e| io(&format!("{rel}: a leftover temporary file cannot be removed"), e))?;
                let file =
                    dir.create_new(&temp, 0o600).map_err(|e| io(&format!("{rel}: the new file cannot be made"), e))?;
                Ok(Staging { file })
            }
            None => Ok(Staging { file: tempfile::tempfile().map_err(|e| io("a temporary file cannot be made", e))? }),
        }
    }

    /// Puts the staged replacement at `rel`: the rename (local) or the upload (object) is the
    /// commit point.
    pub fn publish(&self, rel: &str, staging: Staging) -> Result<(), String> {
        match self {
            Storage::Local(_) => {
                let Some((dir, name)) = self.folder(rel)? else { return Err(format!("{rel}: no folder")) };
                drop(staging);
                dir.rename(&hidden(&name, "tmp"), &dir, &name)
                    .map_err(|e| io(&format!("{rel}: the rename failed"), e))?;
                crash_point!("subject.after_rename");
                dir.sync().map_err(|e| io(&format!("{rel}: its folder cannot be made durable"), e))
            }
            Storage::Object(store) => {
                let mut f = staging.file;
                f.seek(SeekFrom::Start(0)).map_err(|e| io(&format!("{rel}: the new file cannot be read"), e))?;
                store.upload(rel, &mut f).map_err(|e| io(&format!("{rel}: the upload failed"), e))?;
                crash_point!("subject.after_rename");
                Ok(())
            }
        }
    }

    /// Writes the pending rewrite's note beside `rel` durably.
    pub fn write_note(&self, rel: &str, bytes: Vec<u8>) -> Result<(), String> {
        let fail = |e| io(&format!("{rel}: the rewrite's note cannot be written"), e);
        match self.folder(rel)? {
            Some((dir, name)) => {
                let note = hidden(&name, "json");
                remove(&dir, &note).map_err(fail)?;
                let mut f = dir.create_new(&note, 0o600).map_err(fail)?;
                std::io::Write::write_all(&mut f, &bytes).and_then(|()| f.sync_all()).map_err(fail)?;
                dir.sync().map_err(fail)
            }
            None => match self {
                Storage::Object(store) => store.put(&note_key(rel)?, bytes).map_err(fail),
                Storage::Local(_) => Ok(()),
            },
        }
    }

    /// The note beside `rel`, if there is one.
    pub fn read_note(&self, rel: &str) -> Result<Option<Vec<u8>>, String> {
        let fail = |e| io(&format!("{rel}: the rewrite's note cannot be read"), e);
        match self.folder(rel)? {
            Some((dir, name)) => match dir.open_file(&hidden(&name, "json")) {
                Ok(mut f) => {
                    let mut b = Vec::new();
                    std::io::Read::read_to_end(&mut f, &mut b).map_err(fail)?;
                    Ok(Some(b))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(fail(e)),
            },
            None => match self {
                Storage::Object(store) => match store.head(&note_key(rel)?).map_err(fail)? {
                    Some(_) => store.read(&note_key(rel)?).map(Some).map_err(fail),
                    None => Ok(None),
                },
                Storage::Local(_) => Ok(None),
            },
        }
    }

    /// Removes what a rewrite of `rel` leaves beside it (temporary file, note); says whether
    /// there was any.
    pub fn clear(&self, rel: &str) -> Result<bool, String> {
        let fail = |e| io(&format!("{rel}: a leftover of a rewrite cannot be removed"), e);
        match self.folder(rel)? {
            Some((dir, name)) => {
                let a = remove(&dir, &hidden(&name, "tmp")).map_err(fail)?;
                let b = remove(&dir, &hidden(&name, "json")).map_err(fail)?;
                if a || b {
                    dir.sync().map_err(fail)?;
                }
                Ok(a || b)
            }
            None => match self {
                Storage::Object(store) => {
                    let key = note_key(rel)?;
                    let there = store.head(&key).map_err(fail)?.is_some();
                    if there {
                        store.delete(&key).map_err(fail)?;
                    }
                    Ok(there)
                }
                Storage::Local(_) => Ok(false),
            },
        }
    }
}

/// `.<name>.subject.<ext>`
fn hidden(name: &std::ffi::OsStr, ext: &str) -> OsString {
    let mut s = OsString::from(".");
    s.push(name);
    s.push(format!(".subject.{ext}"));
    s
}

fn note_key(rel: &str) -> Result<String, String> {
    let (folder, name) = split(rel)?;
    Ok(format!("{folder}/.{name}.subject.json"))
}

/// Removes `name` from `dir` if it is there; says whether it was.
fn remove(dir: &Dir, name: &std::ffi::OsStr) -> std::io::Result<bool> {
    match dir.remove_file(name) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temporary_is_named_as_daemon_recovery_leaves_it() {
        let temp = hidden(std::ffi::OsStr::new("a.parquet"), "tmp").to_string_lossy().into_owned();
        assert_eq!(temp, ".a.parquet.subject.tmp");
        assert!(temp.ends_with(crate::daemon::recover::SUBJECT_TEMP));
    }
}
