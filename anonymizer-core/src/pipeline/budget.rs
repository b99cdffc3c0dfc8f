//! The memory budget: bytes of batches read but not yet written, shared by every run that
//! holds it (a daemon's imports share one; a lone run has its own).
//!
//! A batch is charged [`COST_FACTOR`] × its bytes as read: the rows as read, the columns
//! decoded from them and the columns computed from those are alive together until the writer
//! takes the batch. A reader charges a batch after reading it and before handing it on, and
//! waits while the budget is spent (or until the plan's cancellation flag is set); the
//! charge travels with the batch as a [`Charge`] and is given back when that is dropped:
//! written, failed, or queued to a writer that stopped. A run holding nothing waits only for
//! batches already in flight, which are written and released without waiting for anything,
//! so runs never wait on each other forever (though a large batch may wait behind many
//! small ones: the wait is not first come, first served). A batch that cannot fit the whole
//! budget is an error, not an OOM.

use std::sync::{Arc, Condvar, Mutex};

use crate::error::{Error, ErrorKind, InputProblem};

/// Live copies of a batch while it is in flight: as read, decoded, transformed.
pub const COST_FACTOR: u64 = 3;

/// Bytes that runs may hold in flight, together.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> MemoryBudget {
        MemoryBudget { limit: limit.max(1), used: Mutex::new(0), freed: Condvar::new() }
    }

    /// The budget in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytes held now, by all runs.
    pub fn used(&self) -> u64 {
        self.used.lock().map_or(0, |u| *u)
    }

    /// Charges `bytes`, waiting until they fit; the charge is given back when the returned
    /// [`Charge`] is dropped, wherever it is then (written, failed, queued to a writer that
    /// stopped). `row` (1-based data row) locates the batch for the error when it cannot fit.
    /// A wait ends early with `ErrorKind::Cancelled` once `cancel` is set.
    pub(crate) fn charge(
        self: &Arc<Self>,
        bytes: u64,
        row: u64,
        cancel: Option<&std::sync::atomic::AtomicBool>,
    ) -> Result<Charge, Error> {
        self.acquire_or_cancel(bytes, row, cancel)?;
        Ok(Charge { budget: self.clone(), bytes })
    }

    /// Charges `bytes`, waiting until they fit (see [`MemoryBudget::charge`]).
    #[cfg(test)]
    pub(crate) fn acquire(&self, bytes: u64, row: u64) -> Result<(), Error> {
        self.acquire_or_cancel(bytes, row, None)
    }

    fn acquire_or_cancel(
        &self,
        bytes: u64,
        row: u64,
        cancel: Option<&std::sync::atomic::AtomicBool>,
    ) -> Result<(), Error> {
        if bytes > self.limit {
            return Err(Error::new(ErrorKind::Input {
                path: None,
                problem: InputProblem::TooWideForMemory {
                    row,
                    needed_mb: bytes.div_ceil(1 << 20),
                    limit_mb: self.limit >> 20,
                },
            }));
        }
        let mut used = self.used.lock().map_err(|_| poisoned())?;
        // Whatever is held is in the pool or the writer's queue and is released once
        // written, whoever holds it: waiting here cannot wait on itself.
        while *used + bytes > self.limit {
            if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
                return Err(Error::new(ErrorKind::Cancelled));
            }
            // Woken by every release, and every 100 ms to look at `cancel`.
            used = self.freed.wait_timeout(used, std::time::Duration::from_millis(100)).map_err(|_| poisoned())?.0;
        }
        *used += bytes;
        Ok(())
    }

    /// Returns `bytes` charged earlier.
    pub(crate) fn release(&self, bytes: u64) {
        if let Ok(mut used) = self.used.lock() {
            *used = used.saturating_sub(bytes);
        }
        self.freed.notify_all();
    }
}

/// Bytes held of a budget, given back on drop.
#[derive(Debug)]
pub(crate) struct Charge {
    budget: Arc<MemoryBudget>,
    bytes: u64,
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.budget.release(self.bytes);
    }
}

fn poisoned() -> Error {
    Error::new(ErrorKind::Option("the memory budget's lock was poisoned by a panic".into()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_batch_wider_than_the_whole_budget_is_an_error_not_a_wait() {
        let b = MemoryBudget::new(100);
        let err = b.acquire(101, 7).unwrap_err();
        assert!(err.to_string().contains("data row 7"), "{err}");
        assert_eq!(b.used(), 0);
    }

    #[test]
    fn a_run_waits_while_others_hold_the_budget_and_goes_on_when_they_release() {
        let b = Arc::new(MemoryBudget::new(100));
        b.acquire(80, 1).unwrap();
        let waiter = {
            let b = b.clone();
            std::thread::spawn(move || b.acquire(50, 2))
        };
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(b.used(), 80, "the second charge must wait");
        b.release(80);
        waiter.join().unwrap().unwrap();
        assert_eq!(b.used(), 50);
    }

    fn run_with(budget: &Arc<MemoryBudget>, csv: String) -> Result<crate::RunReport, Error> {
        use crate::io::{CsvOptions, CsvReader, CsvWriter};
        let rules = crate::parse_rules("version = 1\nunlisted = \"keep\"\n", "r.toml").unwrap();
        let mut opts = CsvOptions::new(&rules.input);
        opts.batch_bytes = 1024;
        let reader = CsvReader::new(std::io::Cursor::new(csv.into_bytes()), opts).unwrap();
        let plan =
            crate::RulePlan::new(Arc::new(rules), &crate::MasterKey::test_key().key_set(), &reader.header()).unwrap();
        let opts = crate::RunOptions { memory: Some(budget.clone()), threads: 2, ..Default::default() };
        crate::run(Arc::new(plan), Box::new(reader), Box::new(CsvWriter::new(Vec::new())), &opts)
    }

    #[test]
    fn a_run_gives_back_every_byte_it_charged_whether_it_succeeds_or_fails() {
        let budget = Arc::new(MemoryBudget::new(64 * 1024));
        // 200 rows of ~500 bytes: many batches of ~1 KiB pass through a 64 KiB budget.
        let rows: String = (0..200).map(|i| format!("{i},{}\n", "x".repeat(500))).collect();
        let report = run_with(&budget, format!("id,text\n{rows}")).unwrap();
        assert_eq!(report.rows_in, 200);
        assert_eq!(budget.used(), 0);
        // A batch with a row of 30 KiB costs 90 KiB in flight: more than the whole budget.
        let err = run_with(&budget, format!("id,text\n1,x\n2,{}\n", "y".repeat(30 * 1024))).unwrap_err();
        assert!(err.to_string().contains("data row 1: the batch starting here"), "{err}");
        assert_eq!(budget.used(), 0);
    }

    /// Fails its second write, as a full disk would.
    struct FailingSink(usize);

    impl crate::io::BatchSink for FailingSink {
        fn write(&mut self, _: &arrow_array::RecordBatch) -> Result<(), Error> {
            self.0 += 1;
            if self.0 == 2 {
                return Err(Error::new(ErrorKind::Output(crate::error::OutputProblem::Io(
                    std::io::ErrorKind::StorageFull,
                ))));
            }
            Ok(())
        }

        fn finish(self: Box<Self>) -> Result<(), Error> {
            Ok(())
        }
    }

    #[test]
    fn a_writer_that_fails_mid_run_leaves_no_charge_behind_in_a_shared_budget() {
        use crate::io::{CsvOptions, CsvReader};
        let budget = Arc::new(MemoryBudget::new(1 << 20));
        for _ in 0..20 {
            let rules = crate::parse_rules("version = 1\nunlisted = \"keep\"\n", "r.toml").unwrap();
            let mut opts = CsvOptions::new(&rules.input);
            opts.batch_bytes = 1024;
            let rows: String = (0..400).map(|i| format!("{i},{}\n", "x".repeat(300))).collect();
            let reader = CsvReader::new(std::io::Cursor::new(format!("id,text\n{rows}").into_bytes()), opts).unwrap();
            let key = crate::MasterKey::test_key();
            let plan = crate::RulePlan::new(Arc::new(rules), &key.key_set(), &reader.header()).unwrap();
            let opts = crate::RunOptions { memory: Some(budget.clone()), threads: 2, ..Default::default() };
            let err = crate::run(Arc::new(plan), Box::new(reader), Box::new(FailingSink(0)), &opts).unwrap_err();
            assert!(err.to_string().contains("StorageFull") || err.to_string().contains("storage"), "{err}");
        }
        // Batches finished after the failure were queued to a writer that had stopped: their
        // charges must come back too (the transform threads may still be finishing).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while budget.used() != 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(budget.used(), 0, "a failed run leaked its charge");
    }

    #[test]
    fn a_run_waiting_for_a_spent_budget_stops_when_cancelled() {
        use crate::io::{CsvOptions, CsvReader, CsvWriter};
        let budget = Arc::new(MemoryBudget::new(64 * 1024));
        budget.acquire(64 * 1024, 1).unwrap(); // another import holds it all
        let rules = crate::parse_rules("version = 1\nunlisted = \"keep\"\n", "r.toml").unwrap();
        let reader =
            CsvReader::new(std::io::Cursor::new(b"id,text\n1,x\n".to_vec()), CsvOptions::new(&rules.input)).unwrap();
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let plan = crate::RulePlan::new(Arc::new(rules), &crate::MasterKey::test_key().key_set(), &reader.header())
            .unwrap()
            .with_cancel(flag.clone());
        let setter = {
            let flag = flag.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            })
        };
        let opts = crate::RunOptions { memory: Some(budget.clone()), threads: 1, ..Default::default() };
        let err =
            crate::run(Arc::new(plan), Box::new(reader), Box::new(CsvWriter::new(Vec::new())), &opts).unwrap_err();
        setter.join().unwrap();
        assert!(matches!(err.kind(), ErrorKind::Cancelled), "{err:?}");
        assert_eq!(budget.used(), 64 * 1024, "only the other holder's bytes are held");
    }
}
