//! `importd reveal`: decrypts one value of an `encrypt`ed column with the tenant's key.
//! The revealed value goes to stdout only; nothing is logged.

use anonymizer_core::reveal;

use crate::cli::args::RevealArgs;
use crate::exit::Failure;

pub fn run(args: &RevealArgs) -> Result<(), Failure> {
    let rules = crate::exit::rules(&args.rules)?;
    let key = crate::exit::key(&args.key_file)?;
    let plain =
        reveal(&rules, &key.key_set(), &args.column, &args.value).map_err(|e| Failure::usage(format!("error: {e}")))?;
    println!("{plain}");
    Ok(())
}
