//! `importd reveal`: decrypts one value of an `encrypt`ed column with the tenant's key.
//! The revealed value goes to stdout only; nothing is logged.

use anonymizer_core::{load_rules, reveal, ErrorKind, MasterKey};

use crate::cli::RevealArgs;
use crate::exit::Failure;

pub fn run(args: &RevealArgs) -> Result<(), Failure> {
    let rules = load_rules(&args.rules).map_err(|e| match e.kind() {
        ErrorKind::Rules(_) => Failure::config(e.to_string()),
        _ => Failure::config(format!("error: {e}")),
    })?;
    let key = MasterKey::load(&args.key_file).map_err(|e| Failure::config(format!("error: {e}")))?;
    let plain =
        reveal(&rules, &key.key_set(), &args.column, &args.value).map_err(|e| Failure::usage(format!("error: {e}")))?;
    println!("{plain}");
    Ok(())
}
