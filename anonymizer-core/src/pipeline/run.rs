//! Runs reader → plan → writer: batches are transformed in parallel on a rayon pool,
//! written in input order, with at most `in_flight` batches in memory at once.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;

use super::apply::Applied;
use super::budget::{Charge, MemoryBudget, COST_FACTOR};
use super::report::RunReport;
use crate::error::{Error, ErrorKind};
use crate::io::{BatchSink, BatchSource};
use crate::rule::RulePlan;

/// How to run a file through a plan.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// Transform threads; 0 = number of cores.
    pub threads: usize,
    /// Batches read but not yet written; bounds memory. 0 = 2 × threads + 1.
    pub in_flight: usize,
    /// Called after each batch is written with (rows read, bytes read).
    pub progress: Option<Arc<dyn Fn(u64, u64) + Send + Sync>>,
    /// Bytes in flight (see [`MemoryBudget`]): a budget shared by many runs (a daemon's
    /// imports), or `None` for one of [`DEFAULT_RUN_BUDGET`] bytes for this run alone.
    pub memory: Option<Arc<MemoryBudget>>,
    /// A pool shared by many runs (a daemon's imports) for transforming and writing; `None`
    /// builds two of `threads` threads each, one transforming and one writing.
    pub pool: Option<Arc<rayon::ThreadPool>>,
}

/// Bytes in flight of a run without a shared budget: a few batches of the default 8 MiB,
/// or one row of up to ~40 MiB on its own.
pub const DEFAULT_RUN_BUDGET: u64 = 128 << 20;

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions").field("threads", &self.threads).field("in_flight", &self.in_flight).finish()
    }
}

/// A finished batch: its sequence number, its hold on the budget (given back when dropped,
/// wherever: written, failed, or still queued when the writer stopped), the result.
type Done = (u64, Charge, Result<Applied, Error>);

/// Streams every batch of `source` through `plan` into `sink` and finishes the sink.
///
/// ```
/// use std::sync::Arc;
/// use anonymizer_core::io::{CsvOptions, CsvReader, CsvWriter};
/// use anonymizer_core::{parse_rules, run, MasterKey, RulePlan, RunOptions};
///
/// let rules = parse_rules("version = 1\n[columns]\nzip = { action = \"truncate\", keep_first = 2 }\n[[delete_rows]]\ncolumn = \"status\"\nequals = \"test\"\n", "r.toml").unwrap();
/// let input = "zip,status\n80331,active\n10115,test\n".as_bytes().to_vec();
/// let reader = CsvReader::new(std::io::Cursor::new(input), CsvOptions::new(&rules.input)).unwrap();
/// let plan = RulePlan::new(Arc::new(rules), &MasterKey::test_key().key_set(), &reader.header()).unwrap();
/// let out = tempfile::NamedTempFile::new().unwrap();
/// let sink = Box::new(CsvWriter::new(out.reopen().unwrap()));
/// let report = run(Arc::new(plan), Box::new(reader), sink, &RunOptions::default()).unwrap();
/// assert_eq!((report.rows_in, report.rows_out, report.rows_deleted), (2, 1, 1));
/// assert_eq!(std::fs::read_to_string(out.path()).unwrap(), "zip\n80\n");
/// ```
/// On any error the sink is dropped unfinished (callers discard what it wrote) and the
/// error is returned; a panic inside a transform becomes an error, never an abort.
pub fn run(
    plan: Arc<RulePlan>,
    mut source: Box<dyn BatchSource>,
    sink: Box<dyn BatchSink>,
    opts: &RunOptions,
) -> Result<RunReport, Error> {
    let started = Instant::now();
    let threads =
        if opts.threads == 0 { std::thread::available_parallelism().map_or(2, |n| n.get()) } else { opts.threads };
    let in_flight = if opts.in_flight == 0 { 2 * threads + 1 } else { opts.in_flight };
    // Encoding the output is a chain (batch k+1 is written after batch k), so it gets threads
    // of its own: queued behind transforms in one pool, it left cores idle while the reader
    // waited for free slots. A shared pool (the daemon's) serves both, bounding all imports.
    let (pool, write_pool) = match &opts.pool {
        Some(shared) => (shared.clone(), shared.clone()),
        None => (Arc::new(new_pool(threads, "transform")?), Arc::new(new_pool(threads, "write")?)),
    };

    let (done_tx, done_rx) = mpsc::channel::<Done>();
    let (token_tx, token_rx) = mpsc::sync_channel::<()>(in_flight);
    for _ in 0..in_flight {
        let _ = token_tx.send(());
    }
    let budget = opts.memory.clone().unwrap_or_else(|| Arc::new(MemoryBudget::new(DEFAULT_RUN_BUDGET)));
    let output_schema = plan.output_schema().clone();
    let progress = opts.progress.clone();

    std::thread::scope(|scope| {
        // Writer: reorders finished batches and writes them in input order.
        let plan_for_report = plan.clone();
        let pool_ref = &*write_pool;
        let writer = scope.spawn(move || -> Result<(Box<dyn BatchSink>, RunReport, Duration), Error> {
            let mut sink = sink;
            let mut report = RunReport::new(&plan_for_report);
            let mut pending: BTreeMap<u64, (Charge, Result<Applied, Error>)> = BTreeMap::new();
            let mut next = 0u64;
            let mut write_time = Duration::ZERO;
            let mut wrote_any = false;
            for (seq, charge, result) in done_rx {
                pending.insert(seq, (charge, result));
                while let Some((charge, result)) = pending.remove(&next) {
                    let applied = result?;
                    let t = Instant::now();
                    if applied.batch.num_rows() > 0 || !wrote_any {
                        // In the write pool, where a sink may encode columns in parallel.
                        pool_ref.install(|| sink.write(&applied.batch))?;
                        wrote_any = true;
                    }
                    write_time += t.elapsed();
                    report.add(&applied.stats);
                    drop((applied, charge));
                    next += 1;
                    let _ = token_tx.send(());
                }
            }
            if !wrote_any {
                pool_ref.install(|| sink.write(&RecordBatch::new_empty(output_schema.clone())))?;
            }
            Ok((sink, report, write_time))
        });

        // Reader (this thread): reads a batch whenever a slot is free, hands it to the pool.
        let mut seq = 0u64;
        let mut read_time = Duration::ZERO;
        let read_result: Result<(), Error> = loop {
            if token_rx.recv().is_err() {
                break Ok(()); // the writer stopped on an error; it reports it
            }
            let t_read = Instant::now();
            let next = source.next_batch();
            read_time += t_read.elapsed();
            let batch = match next {
                Ok(Some(b)) => b,
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            };
            if let Some(p) = &progress {
                p(batch.first_row + batch.lines.len() as u64, source.bytes_read());
            }
            // Held until the writer has written the batch; waits while the budget is spent.
            let cost = batch.bytes().saturating_mul(COST_FACTOR);
            let charge = match budget.charge(cost, batch.first_row + 1, plan.cancel.as_deref()) {
                Ok(c) => c,
                Err(e) => break Err(e),
            };
            let tx = done_tx.clone();
            let plan = plan.clone();
            let this = seq;
            pool.spawn(move || {
                let result = catch_unwind(AssertUnwindSafe(move || {
                    let (first_row, lines) = (batch.first_row, batch.lines.clone());
                    let rows = batch.decode_selected(&*plan)?;
                    plan.apply_decoded(rows, first_row, Some(&lines))
                }))
                .unwrap_or_else(|_| Err(Error::new(ErrorKind::Panic { batch: this })));
                let _ = tx.send((this, charge, result)); // a refused message drops its charge too
            });
            seq += 1;
        };
        drop(done_tx);
        let written = writer.join().unwrap_or_else(|_| Err(Error::new(ErrorKind::Panic { batch: seq })));
        // A batch's error comes before the reader's: the writer stops at the first failed
        // batch in input order, and every batch it was handed precedes where the reader
        // stopped (a worker finds a ragged row that the serial reader would have named
        // before reading on).
        let (sink, mut report, write_time) = written?;
        read_result?;
        let t = Instant::now();
        write_pool.install(|| sink.finish())?;
        report.write_time = write_time + t.elapsed();
        report.elapsed = started.elapsed();
        report.read_time = read_time;
        report.bytes_in = source.bytes_read();
        report.key_id = plan.key_id().to_string();
        report.rules_sha256 = plan.rules().sha256.clone();
        report.rules_name = plan.rules().shown_name();
        report.rules_description = plan.rules().shown_description();
        report.fake_lists = plan.rules().uses_fake().then(|| crate::transform::FAKE_LISTS_VERSION.to_string());
        Ok(report)
    })
}

fn new_pool(threads: usize, role: &'static str) -> Result<rayon::ThreadPool, Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("importd-{role}-{i}"))
        .build()
        .map_err(|_| Error::new(ErrorKind::Option(format!("could not start the {role} threads"))))
}
