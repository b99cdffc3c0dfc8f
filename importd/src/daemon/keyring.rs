//! A tenant's key ring: every master key the tenant has used, by key id, one of them active.
//!
//! A tenant configured with `key_file` has a ring of one key that cannot rotate. One
//! configured with `key_dir` has a ring folder:
//!
//! ```text
//! <key_dir>/ring.json        {"version":1,"keys":[{"id":"…","file":"<id>.key","created":"…Z","status":"active"}, …]}
//! <key_dir>/<key id>.key     64 hex digits, mode 0600 or 0400, one per generation
//! ```
//!
//! `status` is `active` (exactly one: new imports use it) or `retired` (never used to write
//! again, kept so data written under it can be revealed, found and erased, and its audit
//! records verified; `retired` then names when). Each key file is checked against its id at
//! load. `ring.json` is replaced atomically (temporary file, fsync, rename, folder fsync).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anonymizer_core::{KeySet, MasterKey};
use serde::{Deserialize, Serialize};

/// The ring's manifest file name inside `key_dir`.
pub const RING_FILE: &str = "ring.json";

/// Whether a key may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Retired,
}

/// One line of `ring.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingEntry {
    pub id: String,
    /// The key file's name inside the ring folder.
    pub file: String,
    /// RFC 3339, UTC.
    pub created: String,
    pub status: KeyStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<String>,
}

/// `ring.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingManifest {
    pub version: u32,
    pub keys: Vec<RingEntry>,
}

/// One generation's keys.
#[derive(Debug, Clone)]
pub struct RingKey {
    pub entry: RingEntry,
    pub keys: Arc<KeySet>,
}

impl RingKey {
    pub fn id(&self) -> &str {
        &self.entry.id
    }
}

/// Where a tenant's keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// One key file: a ring of one that cannot rotate.
    File(PathBuf),
    /// A ring folder.
    Dir(PathBuf),
}

impl KeySource {
    /// The file or folder that holds the keys.
    pub fn path(&self) -> &Path {
        match self {
            KeySource::File(p) | KeySource::Dir(p) => p,
        }
    }
}

/// Every key of a tenant, oldest first; exactly one active.
#[derive(Debug, Clone)]
pub struct KeyRing {
    pub source: KeySource,
    keys: Vec<RingKey>,
    active: usize,
}

impl KeyRing {
    /// Reads the ring: one key file, or a ring folder's manifest and every key it names.
    /// Errors are one sentence naming the file, never key material.
    pub fn load(source: &KeySource) -> Result<KeyRing, String> {
        match source {
            KeySource::File(path) => {
                let key = MasterKey::load(path).map_err(|e| e.to_string())?;
                let created = std::fs::metadata(path)
                    .and_then(|m| m.modified())
                    .map(|t| {
                        chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    })
                    .unwrap_or_default();
                let entry = RingEntry {
                    id: key.key_id(),
                    file: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                    created,
                    status: KeyStatus::Active,
                    retired: None,
                };
                Ok(KeyRing {
                    source: source.clone(),
                    keys: vec![RingKey { entry, keys: Arc::new(key.key_set()) }],
                    active: 0,
                })
            }
            KeySource::Dir(dir) => {
                // A ring is written by `keys rotate` and destroyed by offboarding: a link in
                // it would make either act on a file elsewhere.
                if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
                    return Err(format!(
                        "key ring {}: it is a symbolic link; key_dir must name the folder itself",
                        dir.display()
                    ));
                }
                let manifest = read_manifest(dir)?;
                let shown = dir.join(RING_FILE);
                let mut keys = Vec::with_capacity(manifest.keys.len());
                for entry in manifest.keys {
                    if !is_plain_name(&entry.file) {
                        return Err(format!(
                            "key ring {}: key `{}` names the file `{}`, which is not a plain file name in the ring folder",
                            shown.display(),
                            entry.id,
                            entry.file
                        ));
                    }
                    let path = dir.join(&entry.file);
                    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                        return Err(format!(
                            "key ring {}: the key file `{}` is a symbolic link; a ring holds its key files itself",
                            shown.display(),
                            entry.file
                        ));
                    }
                    let key = MasterKey::load(&path).map_err(|e| e.to_string())?;
                    if key.key_id() != entry.id {
                        return Err(format!(
                            "key ring {}: the key file `{}` does not hold key `{}` (its id is {})",
                            shown.display(),
                            entry.file,
                            entry.id,
                            key.key_id()
                        ));
                    }
                    keys.push(RingKey { entry, keys: Arc::new(key.key_set()) });
                }
                let active: Vec<usize> = keys
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| k.entry.status == KeyStatus::Active)
                    .map(|(i, _)| i)
                    .collect();
                let [active] = active[..] else {
                    return Err(format!(
                        "key ring {}: {} keys are active; exactly one must be",
                        shown.display(),
                        active.len()
                    ));
                };
                let mut seen = std::collections::BTreeSet::new();
                if let Some(twice) = keys.iter().find(|k| !seen.insert(k.id().to_string())) {
                    return Err(format!("key ring {}: key `{}` is listed twice", shown.display(), twice.id()));
                }
                Ok(KeyRing { source: source.clone(), keys, active })
            }
        }
    }

    /// The key new imports use.
    pub fn active(&self) -> &RingKey {
        &self.keys[self.active]
    }

    /// A key by id, active or retired.
    pub fn get(&self, id: &str) -> Option<&RingKey> {
        self.keys.iter().find(|k| k.id() == id)
    }

    /// Every key, oldest first.
    pub fn all(&self) -> &[RingKey] {
        &self.keys
    }
}

/// Whether `name` is a file a ring folder may hold: its manifest, the manifest's temporary,
/// the rotation lock, or a key file named by a key id (`<16 hex digits>.key`).
pub fn is_ring_file(name: &str) -> bool {
    let key_named =
        name.strip_suffix(".key").is_some_and(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()));
    key_named || matches!(name, RING_FILE | ".ring.json.tmp" | ".rotate.lock")
}

/// Reads and checks `<dir>/ring.json`.
pub fn read_manifest(dir: &Path) -> Result<RingManifest, String> {
    let path = dir.join(RING_FILE);
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(format!("key ring {}: it is a symbolic link", path.display()));
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("key ring {}: cannot be read ({})", path.display(), e.kind()))?;
    let manifest: RingManifest = serde_json::from_str(&text).map_err(|e| {
        format!("key ring {}: line {}, column {}: not a key ring manifest", path.display(), e.line(), e.column())
    })?;
    if manifest.version != 1 {
        return Err(format!("key ring {}: version {} is not supported (1 is)", path.display(), manifest.version));
    }
    if manifest.keys.is_empty() {
        return Err(format!("key ring {}: it lists no key", path.display()));
    }
    Ok(manifest)
}

/// Replaces `<dir>/ring.json` atomically: a temporary file, fsynced, renamed, folder fsynced.
pub fn write_manifest(dir: &Path, manifest: &RingManifest) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = dir.join(".ring.json.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
    let mut text = serde_json::to_string_pretty(manifest).map_err(std::io::Error::other)?;
    text.push('\n');
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(RING_FILE))?;
    sync_dir(dir)
}

/// Fsyncs a folder, so the names in it are durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring_dir(dir: &Path, keys: &[(&MasterKey, KeyStatus)]) -> Result<(), Box<dyn std::error::Error>> {
        let mut entries = Vec::new();
        for (k, status) in keys {
            let file = format!("{}.key", k.key_id());
            std::fs::write(dir.join(&file), k.to_hex().as_bytes())?;
            std::fs::set_permissions(dir.join(&file), std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
            entries.push(RingEntry {
                id: k.key_id(),
                file,
                created: "2026-01-01T00:00:00Z".into(),
                status: *status,
                retired: None,
            });
        }
        write_manifest(dir, &RingManifest { version: 1, keys: entries })?;
        Ok(())
    }

    #[test]
    fn a_ring_folder_gives_every_key_by_id_and_the_active_one() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let (a, b) = (MasterKey::from_bytes([1; 32]), MasterKey::from_bytes([2; 32]));
        ring_dir(dir.path(), &[(&a, KeyStatus::Retired), (&b, KeyStatus::Active)])?;
        let ring = KeyRing::load(&KeySource::Dir(dir.path().into()))?;
        assert_eq!(ring.active().id(), b.key_id());
        assert_eq!(ring.get(&a.key_id()).ok_or("a")?.keys.key_id(), a.key_id());
        assert_eq!(ring.all().len(), 2);
        Ok(())
    }

    #[test]
    fn a_ring_with_two_active_keys_or_a_key_under_the_wrong_id_is_refused() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let (a, b) = (MasterKey::from_bytes([1; 32]), MasterKey::from_bytes([2; 32]));
        ring_dir(dir.path(), &[(&a, KeyStatus::Active), (&b, KeyStatus::Active)])?;
        let e = KeyRing::load(&KeySource::Dir(dir.path().into())).unwrap_err();
        assert!(e.contains("2 keys are active"), "{e}");

        let mut m = read_manifest(dir.path())?;
        m.keys[1].status = KeyStatus::Retired;
        m.keys[1].file = m.keys[0].file.clone();
        write_manifest(dir.path(), &m)?;
        let e = KeyRing::load(&KeySource::Dir(dir.path().into())).unwrap_err();
        assert!(e.contains("does not hold key"), "{e}");

        m.keys[1].file = "../x.key".into();
        write_manifest(dir.path(), &m)?;
        let e = KeyRing::load(&KeySource::Dir(dir.path().into())).unwrap_err();
        assert!(e.contains("not a plain file name"), "{e}");
        Ok(())
    }
}
