//! Whether the audit chain agrees with the ledger about a tenant's outputs, and, where it does
//! not, which of the two is ahead: the one a record is missing from can be caught up by a
//! writer still at work (the daemon records a commit in the ledger before the audit; an
//! erasure is audited before the ledger ends it), so a disagreement is trusted only when the
//! reads were in the order that rules the writer out (see [`Side`]).

use std::collections::BTreeMap;

use crate::daemon::ledger::StoredOutput;
use crate::stored::verify::chain::Chain;
use crate::stored::verify::Kind;

/// Which record is ahead of the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The ledger knows something the audit chain does not: trusted when the ledger was read
    /// before the chain (what the ledger shows done was audited before it was done).
    LedgerAhead,
    /// The chain knows something the ledger does not: trusted when the chain was read
    /// before the ledger (the daemon records a commit in the ledger before the audit).
    AuditAhead,
}

/// One disagreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    pub side: Side,
    pub kind: Kind,
    pub path: String,
    /// The import the ledger (or, for an output the ledger does not list, the chain) names.
    pub import_id: String,
    pub detail: String,
}

/// First 16 hex digits of a SHA-256, for messages.
pub fn short(sha: &str) -> &str {
    sha.get(..16).unwrap_or(sha)
}

/// Every disagreement between the ledger's outputs and the chain.
pub fn disagreements(outputs: &BTreeMap<String, StoredOutput>, chain: &Chain) -> Vec<Disagreement> {
    let mut out = Vec::new();
    for (path, o) in outputs {
        let id = o.import_id.as_str();
        let mut say = |side, kind, detail: String| {
            out.push(Disagreement { side, kind, path: path.clone(), import_id: id.to_string(), detail });
        };
        let trail = chain.outputs.get(path).filter(|t| !t.committed_by.is_empty());
        let Some(trail) = trail else {
            say(
                Side::LedgerAhead,
                Kind::AuditMissing,
                format!(
                    "the ledger lists it committed by import {id}; the audit chain has no committed record naming it"
                ),
            );
            continue;
        };
        if !trail.committed_by.iter().any(|c| c == id) {
            say(
                Side::LedgerAhead,
                Kind::AuditDiffers,
                format!(
                    "the audit chain's committed record names import {}; the ledger names import {id}",
                    trail.committed_by.join(", ")
                ),
            );
            continue;
        }
        let accepted = |sha: &str| sha == o.sha256 || o.pending.as_deref() == Some(sha);
        match trail.last() {
            Some(last) if accepted(last) => {}
            Some(last) if trail.history.iter().any(|h| accepted(h)) => say(
                Side::AuditAhead,
                Kind::AuditDiffers,
                format!(
                    "the audit chain records a later erasure (SHA-256 {}…) than the ledger (SHA-256 {}…)",
                    short(last),
                    short(&o.sha256)
                ),
            ),
            last => say(
                Side::LedgerAhead,
                Kind::AuditMissing,
                format!(
                    "the ledger records SHA-256 {}… for it, which no audit record gives it (an erasure the chain does not show; its last is {}…)",
                    short(&o.sha256),
                    short(last.unwrap_or("none"))
                ),
            ),
        }
    }
    for (path, trail) in &chain.outputs {
        if let (Some(id), false) = (trail.committed_by.first(), outputs.contains_key(path)) {
            out.push(Disagreement {
                side: Side::AuditAhead,
                kind: Kind::AuditDiffers,
                path: path.clone(),
                import_id: id.clone(),
                detail: format!("the audit chain records it committed by import {id}; the ledger does not list it"),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::ledger::ImportId;
    use crate::stored::verify::chain::Trail;

    fn output(path: &str, id: &str, sha: &str, pending: Option<&str>) -> (String, StoredOutput) {
        let o = StoredOutput {
            tenant: "t".into(),
            dataset: "d".into(),
            import_id: ImportId(id.into()),
            path: path.into(),
            sha256: sha.into(),
            pending: pending.map(str::to_string),
        };
        (path.to_string(), o)
    }

    fn trail(ids: &[&str], history: &[&str]) -> Trail {
        Trail {
            committed_by: ids.iter().map(|s| s.to_string()).collect(),
            history: history.iter().map(|s| s.to_string()).collect(),
            erasures: history.len().saturating_sub(1) as u64,
        }
    }

    #[test]
    fn each_disagreement_is_named_with_the_side_that_is_ahead() {
        let outputs: BTreeMap<_, _> = [
            output("t/d/p/a", "a", "sa", None),         // agrees
            output("t/d/p/b", "b", "sb2", Some("sb3")), // pending: the chain's sb3 or sb2 both fine
            output("t/d/p/c", "c", "sc", None),         // no committed record (a truncated chain)
            output("t/d/p/d", "d", "sd2", None),        // an erasure the chain does not show
            output("t/d/p/e", "e", "se", None),         // the chain shows a later erasure
            output("t/d/p/f", "f", "sf", None),         // committed by another import in the chain
        ]
        .into();
        let mut chain = Chain::default();
        chain.outputs.insert("t/d/p/a".into(), trail(&["a"], &["sa"]));
        chain.outputs.insert("t/d/p/b".into(), trail(&["b"], &["sb", "sb2", "sb3"]));
        chain.outputs.insert("t/d/p/d".into(), trail(&["d"], &["sd"]));
        chain.outputs.insert("t/d/p/e".into(), trail(&["e"], &["se", "se2"]));
        chain.outputs.insert("t/d/p/f".into(), trail(&["x"], &["sf"]));
        chain.outputs.insert("t/d/p/g".into(), trail(&["g"], &["sg"])); // not in the ledger
        let got: Vec<(String, Side, Kind)> = disagreements(&outputs, &chain)
            .into_iter()
            .map(|d| (d.path.rsplit('/').next().unwrap_or_default().to_string(), d.side, d.kind))
            .collect();
        let want = |p: &str, s, k| (p.to_string(), s, k);
        assert_eq!(
            got,
            vec![
                want("c", Side::LedgerAhead, Kind::AuditMissing),
                want("d", Side::LedgerAhead, Kind::AuditMissing),
                want("e", Side::AuditAhead, Kind::AuditDiffers),
                want("f", Side::LedgerAhead, Kind::AuditDiffers),
                want("g", Side::AuditAhead, Kind::AuditDiffers),
            ]
        );
    }
}
