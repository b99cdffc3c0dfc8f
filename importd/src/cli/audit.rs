//! `importd audit verify`: checks a tenant's audit chain.

use std::path::Path;

use crate::daemon::audit::{verify, Verdict};
use crate::exit::Failure;

/// `importd audit verify`: exit 0 if the tenant's chain holds, 1 naming the first broken record.
pub fn verify_command(config: &Path, tenant: &str) -> Result<(), Failure> {
    let settings = crate::daemon::config::Settings::load(config)?;
    let Some(t) = settings.tenant(tenant) else {
        return Err(Failure::usage(format!(
            "error: {}: no tenant `{}` is configured",
            config.display(),
            tenant.escape_debug()
        )));
    };
    let path = settings.audit_path(&t.id);
    match verify(&path, t.keys.audit_key()) {
        Ok(Verdict::Intact { records }) => {
            println!("{}: {records} records, chain intact", path.display());
            Ok(())
        }
        Ok(Verdict::Broken { line, seq, why }) => Err(Failure::runtime(format!(
            "error: {}:{line}: record{} is broken: {why}",
            path.display(),
            seq.map(|s| format!(" seq {s}")).unwrap_or_default()
        ))),
        Err(e) => Err(Failure::runtime(format!("error: {}: cannot read the audit log ({})", path.display(), e.kind()))),
    }
}
