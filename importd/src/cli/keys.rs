//! `importd keys new|ring|rotate|list`: fresh master keys (mode 0600, never over an existing
//! file) and tenants' key rings (`daemon/keyring.rs`).

use std::io::Write;
use std::path::Path;

use anonymizer_core::error::KeyProblem;
use anonymizer_core::{Error, ErrorKind, MasterKey};
use serde_json::{json, Map};

use crate::daemon::config::{Settings, Tenant};
use crate::daemon::keyring::{read_manifest, write_manifest, KeySource, KeyStatus, RingEntry, RingManifest, RING_FILE};
use crate::daemon::records::Records;
use crate::exit::Failure;

pub fn new_key(out: &Path) -> Result<String, Failure> {
    let key = MasterKey::generate().map_err(|e| Failure::runtime(format!("error: {e}")))?;
    write_key(&key, out)?;
    Ok(key.key_id())
}

/// Writes `key` to a new file with mode 0600 and fsyncs it.
pub fn write_key(key: &MasterKey, out: &Path) -> Result<(), Failure> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(out).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            let e = Error::from(ErrorKind::Key { path: out.to_path_buf(), problem: KeyProblem::Exists });
            Failure::runtime(format!("error: {e}"))
        }
        kind => Failure::runtime(format!("error: key file {}: cannot create it ({kind})", out.display())),
    })?;
    let hex = key.to_hex();
    f.write_all(hex.as_bytes())
        .and_then(|_| f.write_all(b"\n"))
        .and_then(|_| f.sync_all())
        .map_err(|e| Failure::runtime(format!("error: key file {}: writing failed ({})", out.display(), e.kind())))?;
    // The file's name is durable too.
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    crate::daemon::keyring::sync_dir(parent)
        .map_err(|e| Failure::runtime(format!("error: key file {}: fsync failed ({})", out.display(), e.kind())))
}

/// `importd keys ring`: a new ring folder with one active key (fresh, or the key of `from`).
pub fn new_ring(dir: &Path, from: Option<&Path>) -> Result<(), Failure> {
    let key = match from {
        Some(path) => crate::exit::key(path)?,
        None => MasterKey::generate().map_err(|e| Failure::runtime(format!("error: {e}")))?,
    };
    if dir.join(RING_FILE).exists() {
        return Err(Failure::runtime(format!("error: {}: a key ring is already there", dir.display())));
    }
    // A ring folder holds only its own keys: offboarding destroys everything in it.
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(Failure::runtime(format!(
            "error: {}: the folder is not empty; a key ring needs a folder of its own",
            dir.display()
        )));
    }
    create_private_dir(dir)?;
    let entry = add_key(dir, &key)?;
    let manifest = RingManifest { version: 1, keys: vec![entry] };
    write_manifest(dir, &manifest)
        .map_err(|e| Failure::runtime(format!("error: {}: writing the ring failed ({})", dir.display(), e.kind())))?;
    println!(
        "started the key ring {} with key {} (active); set key_dir = \"{}\" for the tenant",
        dir.display(),
        key.key_id(),
        dir.display()
    );
    if let Some(path) = from {
        println!(
            "the ring holds a copy of {}: once the tenant uses key_dir, destroy that file (and its backups), or \
             offboarding cannot destroy every copy of the key",
            path.display()
        );
    }
    Ok(())
}

/// `importd keys rotate`: a fresh key becomes active, the active one retired. The ring file is
/// replaced atomically before the audit records are written (`key_rotated`, `key_retired`,
/// under the new key); a running daemon picks the new ring up before its next import.
pub fn rotate(config: &Path, tenant: &str) -> Result<(), Failure> {
    let settings = crate::daemon::config::Settings::load(config)?;
    let t = configured(&settings, config, tenant)?;
    let ring = t.ring();
    let KeySource::Dir(dir) = &ring.source else {
        return Err(Failure::usage(format!(
            "error: tenant `{tenant}` has one key_file ({}), which cannot rotate; start a ring from it with \
             `importd keys ring --dir <folder> --from {}` and set key_dir = \"<folder>\" instead of key_file",
            ring.source.path().display(),
            ring.source.path().display()
        )));
    };
    // One rotation at a time: two at once would each write a ring without the other's key.
    let lock_path = dir.join(".rotate.lock");
    let lock = std::fs::File::options().create(true).truncate(false).write(true).open(&lock_path).map_err(|e| {
        Failure::runtime(format!("error: {}: cannot open the lock file ({})", lock_path.display(), e.kind()))
    })?;
    lock.lock()
        .map_err(|e| Failure::runtime(format!("error: {}: cannot lock it ({})", lock_path.display(), e.kind())))?;
    let mut manifest = read_manifest(dir).map_err(|e| Failure::runtime(format!("error: {e}")))?;
    let key = MasterKey::generate().map_err(|e| Failure::runtime(format!("error: {e}")))?;
    // The intent first, under the key in force: a rotation that is cut short (or whose
    // records cannot be written afterwards) is still in the chain, naming the new key.
    let mut records = Records::open(&settings, "keys-rotate")?;
    let mut body = Map::new();
    body.insert("key_id".into(), json!(key.key_id()));
    body.insert("previous".into(), json!(ring.active().id()));
    records.audit(t, "key_rotation_started", body)?;
    crash_point!("keys.after_rotation_started");
    let entry = add_key(dir, &key)?;
    let now = entry.created.clone();
    let previous: Vec<String> = manifest
        .keys
        .iter_mut()
        .filter(|k| k.status == KeyStatus::Active)
        .map(|k| {
            k.status = KeyStatus::Retired;
            k.retired = Some(now.clone());
            k.id.clone()
        })
        .collect();
    manifest.keys.push(entry);
    write_manifest(dir, &manifest)
        .map_err(|e| Failure::runtime(format!("error: {}: writing the ring failed ({})", dir.display(), e.kind())))?;
    crash_point!("keys.after_ring_written");
    t.refresh_ring().map_err(|e| Failure::runtime(format!("error: {e}")))?;
    let mut body = Map::new();
    body.insert("key_id".into(), json!(key.key_id()));
    body.insert("previous".into(), json!(previous));
    records.audit(t, "key_rotated", body)?;
    for id in &previous {
        let mut body = Map::new();
        body.insert("key_id".into(), json!(id));
        records.audit(t, "key_retired", body)?;
    }
    println!(
        "tenant {tenant}: key {} is active; retired {}",
        key.key_id(),
        if previous.is_empty() { "none".to_string() } else { previous.join(", ") }
    );
    Ok(())
}

/// `importd keys list`: the tenant's ring, oldest first.
pub fn list(config: &Path, tenant: &str) -> Result<(), Failure> {
    let settings = crate::daemon::config::Settings::load(config)?;
    let t = configured(&settings, config, tenant)?;
    for k in t.ring().all() {
        let status = match k.entry.status {
            KeyStatus::Active => "active".to_string(),
            KeyStatus::Retired => format!("retired {}", k.entry.retired.as_deref().unwrap_or("")),
        };
        println!("{}  created {}  {}", k.id(), k.entry.created, status.trim_end());
    }
    Ok(())
}

/// The configured tenant, or a usage error naming the configuration.
pub fn configured<'a>(settings: &'a Settings, config: &Path, tenant: &str) -> Result<&'a Tenant, Failure> {
    settings.tenant(tenant).ok_or_else(|| {
        Failure::usage(format!("error: {}: no tenant `{}` is configured", config.display(), tenant.escape_debug()))
    })
}

/// Writes `key` into the ring folder as `<id>.key` and returns its ring entry (active).
fn add_key(dir: &Path, key: &MasterKey) -> Result<RingEntry, Failure> {
    let id = key.key_id();
    let file = format!("{id}.key");
    write_key(key, &dir.join(&file))?;
    let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(RingEntry { id, file, created, status: KeyStatus::Active, retired: None })
}

fn create_private_dir(dir: &Path) -> Result<(), Failure> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|e| Failure::runtime(format!("error: {}: cannot create it ({})", dir.display(), e.kind())))
}
