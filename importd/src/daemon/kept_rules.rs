//! Every rule file version the daemon imported with is kept, byte for byte, under
//! `<state_dir>/rules/<tenant>/<dataset>/<sha256>.toml` (written and fsynced when the daemon
//! opens and when a reload is accepted), so that a later reader of an output (a subject
//! request) can recompute what that version stored: each output's footer names its version
//! in `importd.rules_sha256`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anonymizer_core::{parse_rules, Rules};
use ring::digest;

/// A rule file read once: its rules and the bytes whose SHA-256 is `Rules::sha256`. The
/// error is the message to show (the rule file's diagnostics, compiler-style).
pub fn read(path: &Path) -> Result<(Rules, Arc<[u8]>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("error: reading rule file {}: {e}", path.display()))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| format!("error: reading rule file {}: stream did not contain valid UTF-8", path.display()))?;
    let rules = parse_rules(text, &path.display().to_string()).map_err(|d| d.to_string())?;
    Ok((rules, Arc::from(bytes)))
}

/// Where the version `sha256` of a dataset's rule file is kept.
pub fn path(state_dir: &Path, tenant: &str, dataset: &str, sha256: &str) -> PathBuf {
    state_dir.join("rules").join(tenant).join(dataset).join(format!("{sha256}.toml"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    digest::digest(&digest::SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Keeps `bytes` at `path` durably (a temporary beside it, fsynced, renamed, the folder
/// fsynced); a version already kept with these bytes is left as it is.
pub fn keep(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|b| b == bytes) {
        return Ok(());
    }
    let dir = path.parent().ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(".new");
    let temp = dir.join(temp_name);
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&temp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&temp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

/// Keeps each `(tenant, dataset, loaded rules)` version (the daemon, when it opens); the
/// error names the file that could not be written.
pub fn keep_all<'a>(
    state_dir: &Path,
    versions: impl Iterator<Item = (&'a str, &'a str, Arc<Rules>, Arc<[u8]>)>,
) -> Result<(), String> {
    for (tenant, dataset, rules, source) in versions {
        let kept = path(state_dir, tenant, dataset, &rules.sha256);
        keep(&kept, &source)
            .map_err(|e| format!("error: {}: cannot keep the rule file version ({})", kept.display(), e.kind()))?;
    }
    Ok(())
}

/// The kept version `sha256` of a dataset's rule file, parsed; `None` if it is not kept.
/// A kept file whose bytes do not hash to its name is refused.
pub fn load(state_dir: &Path, tenant: &str, dataset: &str, sha256: &str) -> Result<Option<Rules>, String> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let p = path(state_dir, tenant, dataset, sha256);
    let bytes = match std::fs::read(&p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: cannot be read ({})", p.display(), e.kind())),
    };
    if sha256_hex(&bytes) != sha256 {
        return Err(format!("{}: its bytes do not match its name (run `importd verify`)", p.display()));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| format!("{}: not UTF-8", p.display()))?;
    parse_rules(text, &p.display().to_string())
        .map(Some)
        .map_err(|_| format!("{}: the kept rule file no longer parses", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_kept_by_its_hash_and_read_back_only_if_it_matches() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let text = "version = 1\n[columns]\nid = \"keep\"\n";
        let rules = parse_rules(text, "r.toml").map_err(|e| e.to_string())?;
        let p = path(dir.path(), "acme", "orders", &rules.sha256);
        keep(&p, text.as_bytes()).map_err(|e| e.to_string())?;
        keep(&p, text.as_bytes()).map_err(|e| e.to_string())?;
        let back = load(dir.path(), "acme", "orders", &rules.sha256)?.map(|r| r.sha256);
        assert_eq!(back, Some(rules.sha256.clone()));
        assert_eq!(load(dir.path(), "acme", "orders", &"0".repeat(64))?.map(|r| r.sha256), None);
        assert_eq!(load(dir.path(), "acme", "orders", "../x")?.map(|r| r.sha256), None);
        std::fs::write(&p, "version = 1\n").map_err(|e| e.to_string())?;
        assert!(load(dir.path(), "acme", "orders", &rules.sha256).is_err(), "a tampered version is refused");
        Ok(())
    }
}
