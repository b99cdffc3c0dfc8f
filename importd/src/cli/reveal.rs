//! `importd reveal`: decrypts one value of an `encrypt`ed column with the tenant's key (a key
//! file, or the key of a ring folder named by its id). The revealed value goes to stdout
//! only; nothing is logged.

use anonymizer_core::reveal;

use crate::cli::args::RevealArgs;
use crate::daemon::keyring::{KeyRing, KeySource};
use crate::exit::Failure;

pub fn run(args: &RevealArgs) -> Result<(), Failure> {
    let rules = crate::exit::rules(&args.rules)?;
    let keys = if args.key_file.is_dir() {
        let ring = KeyRing::load(&KeySource::Dir(args.key_file.clone()))
            .map_err(|e| Failure::config(format!("error: {e}")))?;
        let key = match (&args.key_id, ring.all()) {
            (Some(id), _) => ring.get(id).ok_or_else(|| {
                Failure::usage(format!(
                    "error: {}: the key ring holds no key {}",
                    args.key_file.display(),
                    id.escape_debug()
                ))
            })?,
            (None, [only]) => only,
            (None, _) => {
                return Err(Failure::usage(format!(
                    "error: {}: the key ring holds {} keys; name the one the value was encrypted under with \
                     --key-id (an output's importd.key_id)",
                    args.key_file.display(),
                    ring.all().len()
                )))
            }
        };
        key.keys.clone()
    } else {
        let key = crate::exit::key(&args.key_file)?;
        if let Some(id) = &args.key_id {
            if *id != key.key_id() {
                return Err(Failure::usage(format!(
                    "error: {}: this key file holds key {}, not {}",
                    args.key_file.display(),
                    key.key_id(),
                    id.escape_debug()
                )));
            }
        }
        std::sync::Arc::new(key.key_set())
    };
    let plain = reveal(&rules, &keys, &args.column, &args.value).map_err(|e| Failure::usage(format!("error: {e}")))?;
    println!("{plain}");
    Ok(())
}
