//! `importd audit verify`: checks a tenant's audit chain, in `<state_dir>/audit/` or, with a
//! shared ledger, in PostgreSQL.

use std::path::Path;

use crate::daemon::audit::{verify, verify_lines, AuditKey, Verdict};
use crate::daemon::ledger::PostgresLedger;
use crate::daemon::places::LedgerKind;
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
    let (place, verdict) = match &settings.ledger {
        LedgerKind::Sqlite => {
            let path = settings.audit_path(&t.id);
            let shown = path.display().to_string();
            let verdict = verify(&path, &AuditKey::ring(&t.ring()))
                .map_err(|e| Failure::runtime(format!("error: {shown}: cannot read the audit log ({})", e.kind())))?;
            (shown, verdict)
        }
        LedgerKind::Postgres(url) => {
            let shown = format!("the ledger's audit chain of tenant {}", t.id);
            let node = format!("{}:audit-verify", settings.cluster.node);
            let lines = PostgresLedger::connect(url, &node, settings.cluster.lease)
                .and_then(|mut l| l.audit_lines(t.id.as_str()))
                .map_err(|e| Failure::runtime(format!("error: {shown} cannot be read ({e})")))?;
            let verdict = verify_lines(lines.into_iter().map(Ok), &AuditKey::ring(&t.ring()))
                .map_err(|e| Failure::runtime(format!("error: {shown} cannot be read ({})", e.kind())))?;
            (shown, verdict)
        }
    };
    match verdict {
        Verdict::Intact { records } => {
            println!("{place}: {records} records, chain intact");
            Ok(())
        }
        Verdict::Broken { line, seq, why } => Err(Failure::runtime(format!(
            "error: {place}:{line}: record{} is broken: {why}",
            seq.map(|s| format!(" seq {s}")).unwrap_or_default()
        ))),
    }
}
