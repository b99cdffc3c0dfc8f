//! Column lanes: the encoders of a row group's columns, each fed its column's slices in
//! batch order by at most one task at a time, with no barrier between batches. A batch's
//! columns used to be encoded together and the next batch waited for the slowest (the
//! free-text column, compressed page after page) while a core idled; now the other columns
//! go on with the next batch meanwhile.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use parquet::arrow::arrow_writer::{ArrowColumnWriter, ArrowLeafColumn};
use parquet::errors::ParquetError;

/// The encoders of one row group, fed through their lanes.
pub(super) struct Lanes {
    lanes: Vec<Arc<Lane>>,
    shared: Arc<Shared>,
}

struct Lane {
    queue: Mutex<Queue>,
    /// Only the lane's one drainer (or `close`, once every lane is idle) uses it.
    writer: Mutex<Option<ArrowColumnWriter>>,
}

#[derive(Default)]
struct Queue {
    pending: VecDeque<ArrowLeafColumn>,
    /// A task is feeding this lane's encoder; only it pops.
    draining: bool,
}

#[derive(Default)]
struct Shared {
    /// Column slices handed to lanes and not encoded yet.
    outstanding: Mutex<usize>,
    changed: Condvar,
    /// The first encoder error; later slices are dropped unencoded.
    error: Mutex<Option<ParquetError>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic inside an encoder is contained by the runner; the data stays consistent
    // enough to report the error and drop the file.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Lanes {
    pub(super) fn new(writers: Vec<ArrowColumnWriter>) -> Lanes {
        let lanes = writers
            .into_iter()
            .map(|w| Arc::new(Lane { queue: Mutex::new(Queue::default()), writer: Mutex::new(Some(w)) }))
            .collect();
        Lanes { lanes, shared: Arc::new(Shared::default()) }
    }

    pub(super) fn len(&self) -> usize {
        self.lanes.len()
    }

    /// Hands one batch's column slices (one per lane, in lane order) to the lanes; each
    /// lane's encoder gets them after the slices handed to it before. Encoding runs on the
    /// current rayon pool (or the global one).
    pub(super) fn feed(&self, leaves: Vec<ArrowLeafColumn>) {
        *lock(&self.shared.outstanding) += leaves.len();
        for (lane, leaf) in self.lanes.iter().zip(leaves) {
            let mut q = lock(&lane.queue);
            q.pending.push_back(leaf);
            if !q.draining {
                q.draining = true;
                let (lane, shared) = (lane.clone(), self.shared.clone());
                rayon::spawn(move || drain(&lane, &shared));
            }
        }
    }

    /// Waits until at most `limit` slices are not encoded yet, running other tasks of the
    /// pool meanwhile (the caller may be one of its threads); then reports an encoder's error.
    pub(super) fn wait(&self, limit: usize) -> Result<(), ParquetError> {
        loop {
            {
                let n = lock(&self.shared.outstanding);
                if *n <= limit {
                    break;
                }
            }
            if let Some(rayon::Yield::Executed) = rayon::yield_now() {
                continue;
            }
            let n = lock(&self.shared.outstanding);
            if *n > limit {
                let _ = self.shared.changed.wait_timeout(n, Duration::from_millis(5));
            }
        }
        match lock(&self.shared.error).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Every lane idle: the encoders, to be closed.
    pub(super) fn into_writers(self) -> Result<Vec<ArrowColumnWriter>, ParquetError> {
        self.wait(0)?;
        self.lanes
            .iter()
            .map(|l| lock(&l.writer).take().ok_or_else(|| ParquetError::General("a column encoder is gone".into())))
            .collect()
    }
}

/// Feeds a lane's encoder until its queue is empty.
fn drain(lane: &Lane, shared: &Shared) {
    loop {
        let leaf = {
            let mut q = lock(&lane.queue);
            match q.pending.pop_front() {
                Some(leaf) => leaf,
                None => {
                    q.draining = false;
                    return;
                }
            }
        };
        let failed = lock(&shared.error).is_some();
        if !failed {
            // A panic here would abort the process (a spawned task's panic has no caller to
            // go to): it becomes this lane's error instead.
            let result = catch_unwind(AssertUnwindSafe(|| match lock(&lane.writer).as_mut() {
                Some(w) => w.write(&leaf),
                None => Err(ParquetError::General("a column encoder is gone".into())),
            }))
            .unwrap_or_else(|_| Err(ParquetError::General("a column encoder panicked".into())));
            if let Err(e) = result {
                lock(&shared.error).get_or_insert(e);
            }
        }
        drop(leaf);
        let mut n = lock(&shared.outstanding);
        *n -= 1;
        shared.changed.notify_all();
    }
}
