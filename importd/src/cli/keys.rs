//! `importd keys new`: a fresh master key, written with mode 0600, never over an existing file.

use std::io::Write;
use std::path::Path;

use anonymizer_core::error::KeyProblem;
use anonymizer_core::{Error, ErrorKind, MasterKey};

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
        .map_err(|e| Failure::runtime(format!("error: key file {}: writing failed ({})", out.display(), e.kind())))
}
