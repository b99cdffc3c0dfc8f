//! One import: claimed → started → committed | quarantined | duplicate, each step recorded in
//! the ledger before the next is taken. Runs on a blocking thread; the transform itself runs
//! on the shared rayon pool. A panic or error fails this import, never the daemon.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anonymizer_core::error::{InputProblem, OutputProblem};
use anonymizer_core::io::{open_source, BatchSink, BatchSource, Input, InputBatch, ParquetOptions, ParquetWriter};
use anonymizer_core::{run, Error, ErrorKind, KeySet, RulePlan, Rules, RunOptions, RunReport};
use serde_json::{json, Map, Value};

use crate::daemon::claim;
use crate::daemon::config::OnDuplicate;
use crate::daemon::dispose::{finish, quarantine};
use crate::daemon::intake::{self, open_claimed, Opened, Refusal};
use crate::daemon::ledger::{Entry, ImportId, ImportState, Phase};
use crate::daemon::objects::{self, Output};
use crate::daemon::outcome::{Outcome, Reason, ReasonKind};
use crate::daemon::publish::Staged;
use crate::daemon::state::{is_fenced, Daemon};
use crate::daemon::watch::Candidate;

/// What a worker is asked to do.
#[derive(Debug)]
pub enum Work {
    /// Claim this ready file and import it.
    New(Candidate),
    /// Continue an import the ledger knows (after a restart, a transient error, or a wait).
    Resume(ImportId),
    /// During a graceful stop: finish an import whose output may be published (record its
    /// commit, audit, dispose), never process it again; one found unpublished is rolled
    /// back and left to the next start.
    Finish(ImportId),
}

/// Runs one job to its outcome; never panics.
pub fn run_job(d: &Daemon, work: Work) -> Outcome {
    let started = Instant::now();
    let finish_only = matches!(work, Work::Finish(_));
    let id = match work {
        Work::New(c) => match c.object.as_ref().map_or_else(|| claim::claim(d, &c), |o| objects::claim(d, &c, o)) {
            Ok(Some(id)) => id,
            Ok(None) => return Outcome::Vanished,
            Err(e) => return Outcome::NotClaimed(e.to_string()),
        },
        Work::Resume(id) | Work::Finish(id) => id,
    };
    let owner = d.import(&id).ok().flatten().map(|s| (s.tenant, s.dataset)).unwrap_or_default();
    let outcome =
        catch_unwind(AssertUnwindSafe(|| process(d, &id, finish_only))).unwrap_or_else(|_| after_panic(d, &id));
    d.lease_released(&id);
    if matches!(outcome, Outcome::LostLease | Outcome::Vanished) {
        // Whoever finishes the import now, it is not this run: a lease that only ran short
        // is given up so a daemon (this one too) takes it over at once, and a spooled copy
        // of an object-store file (the object is the original) is not kept here.
        objects::let_go(d, &id);
    }
    crate::daemon::telemetry::finished(&d.metrics, &id, &owner, &outcome, started.elapsed());
    outcome
}

/// A contained panic: what happens next depends on how far the import got. Before
/// `publishing` the file is quarantined (`internal`); an import whose output may be published
/// is settled on its resume, and one whose outcome is recorded is finished again, so a panic
/// never turns a committed import into a quarantined one.
fn after_panic(d: &Daemon, id: &ImportId) -> Outcome {
    let st = match current(d, id) {
        Ok(st) => st,
        Err(outcome) => return outcome,
    };
    match &st.phase {
        Phase::Claimed | Phase::Started { .. } | Phase::RolledBack { .. } => {
            tracing::error!(tenant = %st.tenant, import_id = %id, "internal error (panic) while importing; the file is quarantined");
            quarantine(d, id, &st, Reason::new(ReasonKind::Internal, "an internal error stopped the import"))
        }
        Phase::Publishing { .. } | Phase::Committed { .. } | Phase::Duplicate { .. } | Phase::Quarantined { .. } => {
            tracing::error!(tenant = %st.tenant, import_id = %id, phase = st.phase.word(), "internal error (panic) while finishing an import; it is resumed");
            later(id, Duration::from_secs(5))
        }
        Phase::Done | Phase::Abandoned => Outcome::Vanished,
    }
}

fn process(d: &Daemon, id: &ImportId, finish_only: bool) -> Outcome {
    let st = match current(d, id) {
        Ok(st) => st,
        Err(outcome) => return outcome,
    };
    if d.is_abandoning(id) {
        return settle_abandoned(d, id, &st);
    }
    let st = match &st.phase {
        Phase::Committed { .. } | Phase::Duplicate { .. } | Phase::Quarantined { .. } => return finish(d, id, &st),
        Phase::Done | Phase::Abandoned => return Outcome::Vanished,
        Phase::Publishing { .. } => match settle_publishing(d, id, &st) {
            Ok(true) => return finish_recorded(d, id),
            // Not published: rolled back (recorded just now), so it runs again from there.
            Ok(false) => match current(d, id) {
                Ok(st) => st,
                Err(outcome) => return outcome,
            },
            Err(e) => return retry_later(d, id, &st, e.to_string()),
        },
        Phase::Claimed | Phase::Started { .. } | Phase::RolledBack { .. } => st,
    };
    if finish_only {
        return Outcome::Stopped; // nothing was published: the next start runs it again
    }
    let Some((tenant, dataset)) = d.dataset(&st.tenant, &st.dataset) else {
        let reason = Reason::new(ReasonKind::UnknownDataset, "the tenant or dataset is no longer in the configuration");
        return quarantine(d, id, &st, reason);
    };
    if st.attempts >= d.settings.max_attempts {
        let cause = match &st.phase {
            Phase::RolledBack { cause } => cause.clone(),
            _ => "unknown".into(),
        };
        let message = format!("the import was started {} times without finishing; last cause: {cause}", st.attempts);
        return quarantine(d, id, &st, Reason::new(ReasonKind::AttemptsExhausted, message));
    }
    if let Some(source) = &st.source {
        if source.size > d.settings.max_file_bytes {
            let refusal = Refusal::TooLarge { size: source.size, limit: d.settings.max_file_bytes };
            return quarantine(d, id, &st, refusal.reason());
        }
        // An object-store drop file: spooled at the claim, or again by a daemon that took
        // the import over.
        match objects::spool(d, id, &tenant.id, source) {
            Ok(true) => {}
            Ok(false) => {
                if let Err(e) = d.record(Entry::Abandoned { id: id.clone() }) {
                    return retry_later(d, id, &st, e.to_string());
                }
                return Outcome::Vanished;
            }
            Err(e) => return retry(d, id, &st, format!("downloading the claimed object failed ({})", e.kind())),
        }
    }
    let opened = d
        .processing_dir()
        .and_then(|dir| open_claimed(&dir, std::ffi::OsStr::new(id.as_str()), d.settings.max_file_bytes));
    let (file, meta) = match opened {
        Ok(Opened::File(f, m)) => (f, m),
        Ok(Opened::Refused(r)) => return quarantine(d, id, &st, r.reason()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            tracing::error!(import_id = %id, "the claimed file is gone from processing/; nothing to import");
            if let Err(e) = d.record(Entry::Abandoned { id: id.clone() }) {
                return retry_later(d, id, &st, e.to_string());
            }
            return Outcome::Vanished;
        }
        Err(e) => return retry(d, id, &st, format!("opening the claimed file failed ({})", e.kind())),
    };
    let sha256 = match hash(&file, meta.len()) {
        Ok(Some(h)) => h,
        Ok(None) => return quarantine(d, id, &st, Refusal::Changed.reason()),
        Err(e) => return retry(d, id, &st, format!("reading the claimed file failed ({})", e.kind())),
    };
    let identity = (st.tenant.clone(), st.dataset.clone(), sha256.clone());
    // Reserve first, then look for a committed twin: an identical file cannot commit between
    // the look and the reservation.
    let Some(_reservation) = d.reserve(identity.clone()) else {
        // The same content is being imported right now; decide after that one ends.
        return Outcome::Retry { id: id.clone(), delay: Duration::from_millis(200) };
    };
    if dataset.on_duplicate == OnDuplicate::Skip {
        let twin = match d.committed(&identity) {
            Ok(t) => t,
            Err(e) => return retry(d, id, &st, e.to_string()),
        };
        if let Some(of) = twin {
            if let Err(e) = d.record(Entry::Duplicate { id: id.clone(), sha256, of }) {
                return retry(d, id, &st, e.to_string());
            }
            return finish_recorded(d, id);
        }
        // A twin whose output is published but whose commit is not recorded yet (its
        // `committed` write failed): it settles on its resume; decide after that.
        match d.publishing(&identity) {
            Ok(Some(twin)) if twin != *id => return later(id, Duration::from_millis(500)),
            Ok(_) => {}
            Err(e) => return retry(d, id, &st, e.to_string()),
        }
    }
    let rules = dataset.current();
    // The claim's date (in the id): every attempt, on any daemon, writes the same key.
    let date = id
        .date()
        .unwrap_or_else(|| chrono::DateTime::<chrono::Utc>::from(SystemTime::now()).format("%Y-%m-%d").to_string());
    let output = format!("{}/{}/date={date}/{id}.parquet", tenant.id, dataset.id);
    if let Err(e) =
        d.record(Entry::Started { id: id.clone(), sha256: sha256.clone(), size: meta.len(), output: output.clone() })
    {
        return retry(d, id, &st, e.to_string());
    }
    let mut body = Map::new();
    body.insert("import_id".into(), json!(id));
    body.insert("dataset".into(), json!(dataset.id.as_str()));
    body.insert("file".into(), json!(st.file));
    body.insert("size".into(), json!(meta.len()));
    body.insert("sha256".into(), json!(sha256));
    body.insert("rules_sha256".into(), json!(rules.sha256));
    // The rule file's own `name` and `description` (the author's words, one line, capped).
    body.insert("rules_name".into(), json!(rules.shown_name()));
    body.insert("rules_description".into(), json!(rules.shown_description()));
    // The active key now: this import uses it on every attempt's run, and names it.
    let keys = tenant.keys();
    body.insert("key_id".into(), json!(keys.key_id()));
    if rules.uses_fake() {
        // The lists fakes come from: the same value gives the same fake only under one version.
        body.insert("fake_lists".into(), json!(anonymizer_core::transform::FAKE_LISTS_VERSION));
    }
    crash_point!("job.after_started");
    if !d.audited(&tenant.id, id, "import_started") {
        if let Err(e) = d.audit(&tenant.id, "import_started", body.clone()) {
            return retry(d, id, &st, format!("the audit log could not be written ({})", e.kind()));
        }
    }
    let staged = match stage_output(d, tenant, &output) {
        Ok(s) => s,
        Err(e) => return retry(d, id, &st, format!("creating the output failed ({})", e.kind())),
    };
    let lost = d.lease_flag(id);
    let parquet = output_options(d, id, &rules, &keys);
    let report = match transform(d, (&file, &meta), &st.file, rules, &keys, (&staged, &parquet), lost) {
        Ok(r) => r,
        Err(step) => {
            // The rollback: the staged output is removed (and its folder fsynced) before the
            // failure is recorded or logged.
            drop(staged);
            return match step {
                Step::Cancelled => {
                    let _ = d.record(Entry::RolledBack { id: id.clone(), cause: "shutdown".into(), cancelled: true });
                    Outcome::Cancelled
                }
                Step::Quarantine(r) => quarantine(d, id, &st, r),
                Step::Transient(cause) => retry(d, id, &st, cause),
            };
        }
    };
    let output_sha = match staged.sha256() {
        Ok(h) => h,
        Err(e) => {
            drop(staged);
            return retry(d, id, &st, format!("reading back the output failed ({})", e.kind()));
        }
    };
    body.insert("rows_in".into(), json!(report.rows_in));
    body.insert("rows_out".into(), json!(report.rows_out));
    body.insert("rows_deleted".into(), json!(report.rows_deleted + report.rows_dropped_invalid));
    let invalid: Map<String, Value> = report.invalid_cells.iter().map(|(c, n)| (c.clone(), json!(n))).collect();
    body.insert("invalid_cells".into(), Value::Object(invalid));
    body.insert("outputs".into(), json!([{ "path": output, "sha256": output_sha }]));
    body.insert(
        "timings_ms".into(),
        json!({ "total": report.elapsed.as_millis() as u64, "read": report.read_time.as_millis() as u64, "write": report.write_time.as_millis() as u64 }),
    );
    let audit = Value::Object(body);
    if d.fatal_problem().is_some() {
        // Nothing more is published once durability failed; recovery runs it again.
        drop(staged);
        let _ = d.record(Entry::RolledBack { id: id.clone(), cause: "stopping".into(), cancelled: true });
        return Outcome::Stopped;
    }
    // Before the commit point: recovery must find what it needs to finish a published output.
    let publishing = Entry::Publishing {
        id: id.clone(),
        output: output.clone(),
        output_sha256: output_sha,
        audit: audit.clone(),
        reimport: dataset.on_duplicate == OnDuplicate::Import,
    };
    if let Err(e) = d.record(publishing) {
        drop(staged);
        return retry(d, id, &st, e.to_string());
    }
    crash_point!("job.before_publish");
    // The commit point: the rename (or the upload's completion). Before it nothing is
    // visible; after it the output is published and is never deleted again.
    if let Err(e) = staged.commit(d, id) {
        if is_fenced(&e.error) {
            return Outcome::LostLease;
        }
        if e.published {
            // Renamed, but the folder's fsync failed: the output may not survive a crash and
            // nothing can be trusted to be durable any more. Stop; recovery finishes it.
            d.fatal(format!("the output folder could not be fsynced after publishing ({})", e.error.kind()));
            return Outcome::Stopped;
        }
        // Not known to be published: an upload's completion may have landed although its
        // answer was lost. The import stays `publishing`; its resume looks (settle_publishing).
        return retry_later(d, id, &st, format!("publishing the output failed ({})", e.error.kind()));
    }
    crash_point!("job.after_publish");
    if let Err(e) = d.record(Entry::Committed { id: id.clone(), sha256, output, audit }) {
        if is_fenced(&e) {
            // Another daemon took the import over; it finds the output published and
            // records the commit itself.
            return Outcome::LostLease;
        }
        // Published: the output stays, and the import stays `publishing`. Its resume (or
        // recovery) finds the output and records the commit; it never runs again.
        return retry_later(d, id, &st, e.to_string());
    }
    crash_point!("job.after_committed");
    d.metrics.rows_in.fetch_add(report.rows_in, Ordering::Relaxed);
    d.metrics.rows_out.fetch_add(report.rows_out, Ordering::Relaxed);
    d.metrics.bytes_in.fetch_add(report.bytes_in, Ordering::Relaxed);
    finish_recorded(d, id)
}

/// The output's folder (`<storage>/<tenant>/<dataset>/date=…`, through handles) and a staged
/// file in it, or a local file to upload to the tenant's object store.
fn stage_output(d: &Daemon, tenant: &crate::daemon::config::Tenant, output: &str) -> io::Result<Output> {
    if let Some(store) = &tenant.places.storage_store {
        return objects::stage_object(d, store, output);
    }
    let (folder, name) = output.rsplit_once('/').ok_or_else(|| io::Error::other("output path without a folder"))?;
    let dir = d.storage_dir()?.create_dir_all(folder)?;
    Ok(Output::Local(Staged::in_dir(dir, std::ffi::OsStr::new(name))?.never_replacing()))
}

fn finish_recorded(d: &Daemon, id: &ImportId) -> Outcome {
    match current(d, id) {
        Ok(st) => finish(d, id, &st),
        Err(outcome) => outcome,
    }
}

/// An import in `publishing`: was its output published (the rename, the commit point, is
/// the one step not recorded before it happens)? If so, records `committed` from the
/// `publishing` entry and returns `true`; if not, records the rollback and returns `false`.
/// Never deletes an output. Recovery and resumed imports both come through here.
pub fn settle_publishing(d: &Daemon, id: &ImportId, st: &ImportState) -> io::Result<bool> {
    let Phase::Publishing { output, output_sha256, audit } = &st.phase else { return Ok(false) };
    let sha256 = st.sha256.clone().unwrap_or_default();
    if output_visible(d, output)? {
        let entry = Entry::Committed { id: id.clone(), sha256, output: output.clone(), audit: audit.clone() };
        d.record(entry)?;
        tracing::info!(tenant = %st.tenant, dataset = %st.dataset, import_id = %id, output_sha256 = %output_sha256, "the output of an interrupted import was published; its commit is recorded");
        return Ok(true);
    }
    d.record(Entry::RolledBack {
        id: id.clone(),
        cause: "interrupted before the output was published".into(),
        cancelled: false,
    })?;
    Ok(false)
}

/// Whether `<storage>/<output>` exists (looked up through handles, no link followed; or in
/// the tenant's object store).
pub fn output_visible(d: &Daemon, output: &str) -> io::Result<bool> {
    let tenant = output.split('/').next().and_then(|t| d.tenant(t));
    if let Some(store) = tenant.and_then(|t| t.places.storage_store.as_ref()) {
        return objects::object_visible(store, output);
    }
    let Some((folder, name)) = output.rsplit_once('/') else { return Ok(false) };
    let dir = match d.storage_dir()?.open_dir(folder) {
        Ok(dir) => dir,
        Err(crate::store::DirError::Missing) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    match dir.stat(std::ffi::OsStr::new(name)) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Why the transform stopped.
/// The output's Parquet settings, with the footer naming where it came from: import id,
/// rule file, key id, importd version and, where rules make fakes, the fake lists' version.
fn output_options(d: &Daemon, id: &ImportId, rules: &Rules, keys: &KeySet) -> ParquetOptions {
    let mut parquet = d.settings.parquet.clone();
    parquet.metadata = vec![
        ("importd.import_id".into(), id.to_string()),
        ("importd.rules_sha256".into(), rules.sha256.clone()),
        ("importd.key_id".into(), keys.key_id().to_string()),
        ("importd.version".into(), env!("CARGO_PKG_VERSION").to_string()),
    ];
    if rules.uses_fake() {
        parquet
            .metadata
            .push(("importd.fake_lists".into(), anonymizer_core::transform::FAKE_LISTS_VERSION.to_string()));
    }
    parquet
}

enum Step {
    Cancelled,
    Quarantine(Reason),
    Transient(String),
}

/// Reads the claimed file in whatever format it is and writes the output into `staged`;
/// fails if the file does not still have the size and mtime it was opened with.
fn transform(
    d: &Daemon,
    (file, meta): (&File, &std::fs::Metadata),
    name: &str,
    rules: Arc<Rules>,
    keys: &KeySet,
    (staged, parquet): (&Output, &ParquetOptions),
    lost: Arc<AtomicBool>,
) -> Result<RunReport, Step> {
    let transient = |what: &str, e: io::Error| Step::Transient(format!("{what} ({})", e.kind()));
    let mut src = file.try_clone().map_err(|e| transient("reading the input failed", e))?;
    src.seek(SeekFrom::Start(0)).map_err(|e| transient("reading the input failed", e))?;
    let classify = |e: Error| if d.cancel.load(Ordering::Relaxed) { Step::Cancelled } else { classify(&e) };
    let source = open_source(Input::File(src), name, &rules.input, &d.settings.source).map_err(classify)?;
    let rules = Arc::new(rules.with_file_types(&source.types));
    // Cancellation (shutdown past its grace) is also seen inside long cells, not only
    // between batches.
    let plan = Arc::new(RulePlan::new(rules, keys, &source.header).map_err(classify)?.with_cancel(d.cancel.clone()));
    let reader = Box::new(Cancellable { inner: source.reader, cancel: d.cancel.clone(), lost });
    let out = staged.writer().map_err(|e| transient("creating the output failed", e))?;
    let sink: Box<dyn BatchSink> = Box::new(
        // Unbuffered: the Parquet writer buffers small writes and hands over pages whole.
        ParquetWriter::new(out, plan.output_schema().clone(), parquet).map_err(classify)?,
    );
    let opts = RunOptions { pool: Some(d.pool.clone()), memory: Some(d.memory.clone()), ..Default::default() };
    let report = run(plan, reader, sink, &opts).map_err(classify)?;
    match intake::unchanged(file, meta) {
        Ok(true) => Ok(report),
        Ok(false) => Err(Step::Quarantine(Refusal::Changed.reason())),
        Err(e) => Err(transient("checking the input failed", e)),
    }
}

/// Sorts a pipeline error into quarantine (the file's fault, deterministic) or retry (I/O).
fn classify(e: &Error) -> Step {
    let message = e.to_string();
    match e.kind() {
        ErrorKind::Input { problem: InputProblem::Io(k), .. } => {
            Step::Transient(format!("reading the input failed ({k})"))
        }
        ErrorKind::Input { problem, .. } => {
            Step::Quarantine(Reason { kind: ReasonKind::Input, message, line: problem_line(problem), column: None })
        }
        ErrorKind::InvalidCell { line, column, .. } => Step::Quarantine(Reason {
            kind: ReasonKind::InvalidCell,
            message,
            line: *line,
            column: Some(column.clone()),
        }),
        ErrorKind::HeaderLooksLikeData { .. } => {
            Step::Quarantine(Reason { kind: ReasonKind::HeaderLooksLikeData, message, line: Some(1), column: None })
        }
        ErrorKind::Schema(problems) => Step::Quarantine(Reason {
            kind: ReasonKind::Schema,
            message: schema_summary(problems),
            line: Some(1),
            column: problems.first().map(|p| p.column.clone()),
        }),
        ErrorKind::Output(OutputProblem::Io(k)) => Step::Transient(format!("writing the output failed ({k})")),
        ErrorKind::Io { .. } | ErrorKind::Random => Step::Transient(message),
        ErrorKind::Panic { .. } => {
            Step::Quarantine(Reason::new(ReasonKind::Internal, "an internal error stopped the import"))
        }
        _ => Step::Quarantine(Reason { kind: ReasonKind::Other, message, line: None, column: None }),
    }
}

/// The first few schema problems, one per line, and how many more there are.
fn schema_summary(problems: &[anonymizer_core::error::SchemaProblem]) -> String {
    const SHOWN: usize = 5;
    let mut lines = vec!["the rules do not fit the file's header:".to_string()];
    lines.extend(problems.iter().take(SHOWN).map(|p| match &p.location {
        Some(loc) => format!("{loc}: {}", p.message),
        None => p.message.clone(),
    }));
    if problems.len() > SHOWN {
        lines.push(format!("… and {} more", problems.len() - SHOWN));
    }
    lines.join("\n")
}

fn problem_line(p: &InputProblem) -> Option<u64> {
    match p {
        InputProblem::UnterminatedQuote { line }
        | InputProblem::Ragged { line, .. }
        | InputProblem::InvalidUtf8 { line, .. }
        | InputProblem::RecordTooLong { line, .. }
        | InputProblem::TooManyColumns { line, .. }
        | InputProblem::FieldTooLong { line, .. }
        | InputProblem::Json { line }
        | InputProblem::ObjectAndValue { line, .. }
        | InputProblem::DuplicateKey { line, .. }
        | InputProblem::KeysTooLong { line, .. } => Some(*line),
        InputProblem::DuplicateColumn { .. } | InputProblem::EmptyColumnName { .. } | InputProblem::HeaderOnly => {
            Some(1)
        }
        _ => None,
    }
}

/// Records a rollback and asks to be resumed after a backoff that doubles per attempt.
fn retry(d: &Daemon, id: &ImportId, st: &ImportState, cause: String) -> Outcome {
    if let Err(e) = d.record(Entry::RolledBack { id: id.clone(), cause: cause.clone(), cancelled: false }) {
        if is_fenced(&e) {
            return Outcome::LostLease;
        }
    }
    tracing::warn!(tenant = %st.tenant, dataset = %st.dataset, import_id = %id, cause = %cause, "import failed for a transient reason; it is rolled back and retried");
    let attempts = d.import(id).ok().flatten().map_or(1, |s| s.attempts).max(1);
    later(id, Duration::from_millis(500u64.saturating_mul(1 << (attempts - 1).min(7))))
}

/// A claim that found nothing to import and whose `abandoned` record failed: only that
/// record is tried again (see `claim::abandon`); the lease goes with the outcome.
fn settle_abandoned(d: &Daemon, id: &ImportId, st: &ImportState) -> Outcome {
    let recorded = match st.phase {
        Phase::Claimed => d.record(Entry::Abandoned { id: id.clone() }),
        _ => Ok(()), // recorded after all (its answer was lost), or taken over and moved on
    };
    match recorded {
        Err(e) if !is_fenced(&e) => retry_later(d, id, st, e.to_string()),
        settled => {
            d.abandon_settled(id);
            if settled.is_ok() {
                Outcome::Vanished
            } else {
                Outcome::LostLease
            }
        }
    }
}

/// Asks to be resumed later without recording a rollback (the import stays where it is).
fn retry_later(d: &Daemon, id: &ImportId, st: &ImportState, cause: String) -> Outcome {
    tracing::warn!(tenant = %st.tenant, dataset = %st.dataset, import_id = %id, cause = %cause, "finishing the import failed for a transient reason; it is tried again");
    if d.fatal_problem().is_some() {
        return Outcome::Stopped;
    }
    later(id, Duration::from_secs(2))
}

/// The import's state from the ledger, or the outcome when there is none (vanished) or it
/// cannot be read now (resumed later).
fn current(d: &Daemon, id: &ImportId) -> Result<ImportState, Outcome> {
    match d.import(id) {
        Ok(Some(st)) => Ok(st),
        Ok(None) => Err(Outcome::Vanished),
        Err(_) => Err(later(id, Duration::from_secs(2))),
    }
}

fn later(id: &ImportId, delay: Duration) -> Outcome {
    Outcome::Retry { id: id.clone(), delay }
}

/// SHA-256 of the first `size` bytes; `None` if the file is shorter than that now.
fn hash(file: &File, size: u64) -> io::Result<Option<String>> {
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(0))?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let n = f.read(&mut buf[..want])?;
        if n == 0 {
            return Ok(None);
        }
        ctx.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(Some(data_encoding::HEXLOWER.encode(ctx.finish().as_ref())))
}

/// A source that fails once the shutdown grace period is over, or once a shared ledger
/// reports the import's lease lost, so a long import stops.
struct Cancellable {
    inner: Box<dyn BatchSource>,
    cancel: Arc<AtomicBool>,
    /// Raised when a shared ledger's lease on the import was lost.
    lost: Arc<AtomicBool>,
}

impl BatchSource for Cancellable {
    fn schema(&self) -> arrow_schema::SchemaRef {
        self.inner.schema()
    }

    fn next_batch(&mut self) -> Result<Option<InputBatch>, Error> {
        if self.cancel.load(Ordering::Relaxed) || self.lost.load(Ordering::Relaxed) {
            return Err(ErrorKind::Input { path: None, problem: InputProblem::Io(io::ErrorKind::Interrupted) }.into());
        }
        self.inner.next_batch()
    }

    fn bytes_read(&self) -> u64 {
        self.inner.bytes_read()
    }
}
