//! Searching one dataset's committed outputs: each output is read under the rule file
//! version its footer names (`importd.rules_sha256`: the version in force, or one the daemon
//! kept under `<state_dir>/rules/`; any other is reported as not searched), under the key
//! its footer names; matching rows are counted, exported, or erased.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use anonymizer_core::Rules;
use serde_json::json;

use super::forms::{ambiguous, search_for, Search, Terms};
use super::place::Storage;
use super::scan::{self, Matcher};
use super::{rewrite, row_json, rows_word, runtime, Mode, Report, Request};
use crate::daemon::config::{Settings, Tenant};
use crate::daemon::kept_rules;
use crate::daemon::ledger::StoredOutput;
use crate::daemon::records::Records;
use crate::exit::Failure;

/// The footer key that names the rule file version an output was written under.
pub const RULES_SHA256: &str = "importd.rules_sha256";

/// The rule file versions of one dataset: the one in force and those the daemon kept.
#[derive(Debug)]
pub struct Versions {
    state_dir: std::path::PathBuf,
    tenant: String,
    dataset: String,
    current: Arc<Rules>,
    kept: BTreeMap<String, Result<Option<Arc<Rules>>, String>>,
    pub terms: Terms,
}

impl Versions {
    pub fn new(settings: &Settings, tenant: &Tenant, dataset: &str, current: Arc<Rules>) -> Versions {
        Versions {
            state_dir: settings.state_dir.clone(),
            tenant: tenant.id.as_str().to_string(),
            dataset: dataset.to_string(),
            current,
            kept: BTreeMap::new(),
            terms: Terms::default(),
        }
    }

    /// The rules an output was written under (`None` in its footer: the rules in force);
    /// `Ok(None)` when that version is neither in force nor kept.
    pub fn of(&mut self, sha256: Option<&str>) -> Result<Option<Arc<Rules>>, String> {
        let Some(sha) = sha256.filter(|s| *s != self.current.sha256) else { return Ok(Some(self.current.clone())) };
        self.kept
            .entry(sha.to_string())
            .or_insert_with(|| {
                kept_rules::load(&self.state_dir, &self.tenant, &self.dataset, sha).map(|r| r.map(Arc::new))
            })
            .clone()
    }
}

/// A version's hash, shortened for a report line.
fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// Searches `outputs` (one dataset's) for the request's subject.
pub fn search<'o>(
    settings: &Settings,
    records: &mut Records<'_>,
    (req, storage): (&Request<'_>, &Storage<'_>),
    versions: &mut Versions,
    outputs: impl Iterator<Item = &'o StoredOutput>,
    report: &mut Report,
    export: &mut dyn Write,
) -> Result<(), Failure> {
    let tenant = req.tenant;
    let ring = tenant.ring();
    for o in outputs {
        let (path, dataset) = (o.path.as_str(), o.dataset.as_str());
        if o.pending.is_some() {
            report.lines.push(format!("{path}: an erasure is still pending on it; not searched"));
            report.unsearched += 1;
            continue;
        }
        let held = match storage.fetch(path) {
            Ok(Some(h)) => h,
            Ok(None) => {
                report.lines.push(format!("{path}: missing from storage (run `importd verify`); not searched"));
                report.unsearched += 1;
                continue;
            }
            Err(e) => {
                report.lines.push(format!("{e}; not searched"));
                report.unsearched += 1;
                continue;
            }
        };
        if held.sha256 != o.sha256 {
            report.lines.push(format!(
                "{path}: storage holds bytes the ledger does not record (run `importd verify`); not searched"
            ));
            report.unsearched += 1;
            continue;
        }
        let opened = match scan::open(&held.file) {
            Ok(o) => o,
            Err(e) => {
                report.lines.push(format!("{path}: {e}; not searched"));
                report.unsearched += 1;
                continue;
            }
        };
        let version = opened.metadata.iter().find(|(k, _)| k == RULES_SHA256).map(|(_, v)| v.clone());
        let rules = match versions.of(version.as_deref()) {
            Ok(Some(r)) => r,
            Ok(None) => {
                report.lines.push(format!(
                    "{path}: written under rule file version {}…, which is neither in force nor kept under {}/rules/; not searched",
                    short(version.as_deref().unwrap_or_default()),
                    settings.state_dir.display()
                ));
                report.unsearched += 1;
                continue;
            }
            Err(e) => {
                report.lines.push(format!("{path}: {e}; not searched"));
                report.unsearched += 1;
                continue;
            }
        };
        let older = if rules.sha256 == versions.current.sha256 {
            String::new()
        } else {
            format!(" (under its rule file version {}…)", short(&rules.sha256))
        };
        let many_to_one =
            ambiguous(&rules, req.column).is_some() && search_for(&rules, req.column, true) == Search::Exact;
        let keys: Vec<_> = match opened.key_id().and_then(|id| ring.get(id)) {
            Some(k) => vec![k],
            None => ring.all().iter().collect(),
        };
        let mut m = Matcher::default();
        m.include_ambiguous = req.include_ambiguous;
        for (i, field) in opened.schema.fields().iter().enumerate() {
            let is_named = field.name() == req.column;
            for k in &keys {
                let term = versions
                    .terms
                    .get(&rules, (k.id(), &k.keys), field.name(), is_named, req.value)
                    .map_err(|e| runtime(format!("dataset {dataset}: {e}")))?;
                if let Some((how, form)) = term {
                    let many = is_named && many_to_one && how == Search::Exact;
                    m.add(i, &how, form, many);
                }
            }
        }
        if m.is_empty() {
            continue;
        }
        let key_shown = opened.key_id().unwrap_or("none").to_string();
        let found = scan::count(opened, &m, |row, maybe_other| {
            if req.mode != Mode::Export {
                return Ok(());
            }
            let mut line = json!({"dataset": dataset, "import_id": o.import_id, "output": path, "key_id": key_shown, "row": row_json(row)?});
            if maybe_other {
                line["may_belong_to_others"] = json!(true);
            }
            writeln!(export, "{line}").map_err(|e| format!("the export cannot be written ({})", e.kind()))
        })
        .map_err(|e| runtime(format!("{path}: {e}")))?;
        if found.total() == 0 {
            continue;
        }
        report.ambiguous += found.ambiguous;
        let kept = if req.include_ambiguous { 0 } else { found.ambiguous };
        let gone = found.total() - kept;
        match req.mode {
            Mode::Erase { dry_run } => {
                report.ambiguous_kept += kept;
                let left = match kept {
                    0 => String::new(),
                    n => format!("; {} matched only through the many-to-one column left in place", rows_word(n)),
                };
                if gone == 0 {
                    report.lines.push(format!("{path}: nothing removed{left}"));
                    continue;
                }
                report.rows += gone;
                report.outputs += 1;
                if dry_run {
                    report.lines.push(format!("{path}: {} would be removed{older}{left}", rows_word(gone)));
                } else {
                    let removed = rewrite::erase(settings, records, (tenant, storage), o, &held, (&m, req.column))?;
                    report.rewritten += 1;
                    report.lines.push(format!("{path}: {} removed{older}{left}", rows_word(removed)));
                }
            }
            _ => {
                let maybe = match found.ambiguous {
                    0 => String::new(),
                    n => format!("; {} only through the many-to-one column (may belong to others)", rows_word(n)),
                };
                report.rows += found.total();
                report.outputs += 1;
                report.lines.push(format!("{path}: {} (key {key_shown}){older}{maybe}", rows_word(found.total())));
            }
        }
    }
    Ok(())
}
