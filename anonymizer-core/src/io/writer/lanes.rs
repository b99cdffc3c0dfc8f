//! Column lanes: the encoders of a row group's columns, each fed its column's slices in
//! batch order by at most one task at a time, with no barrier between batches. A batch's
//! columns used to be encoded together and the next batch waited for the slowest (the
//! free-text column, compressed page after page) while a core idled; now the other columns
//! go on with the next batch meanwhile. What is still queued is bounded in bytes (the
//! writer waits until it is at most one batch's), and an encoder's error or panic becomes
//! the file's error for good.

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
    /// Only the lane's one drainer (or `into_writers`, once every lane is idle) uses it.
    writer: Mutex<Option<ArrowColumnWriter>>,
}

#[derive(Default)]
struct Queue {
    pending: VecDeque<(ArrowLeafColumn, usize)>,
    /// A task is feeding this lane's encoder; only it pops.
    draining: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// Slices handed to the lanes and not encoded yet.
    slices: usize,
    /// Arrow bytes of the slices not encoded yet, all lanes together.
    held: usize,
    /// The first encoder error, until reported.
    error: Option<ParquetError>,
    /// An encoder failed: every later slice is dropped unencoded, and every later wait
    /// fails (the file is broken whoever asks).
    failed: bool,
    /// The file was dropped unfinished: queued slices are not encoded any more.
    abandoned: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // An encoder's panic is caught in `drain`; the data stays consistent enough to report
    // the error and drop the file.
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

    /// Hands one batch's column slices (one per lane, in lane order) to the lanes; each
    /// lane's encoder gets them after the slices handed to it before. Encoding runs on the
    /// current rayon pool (or the global one). Each slice comes with its size in Arrow bytes.
    pub(super) fn feed(&self, leaves: Vec<(ArrowLeafColumn, usize)>) {
        debug_assert_eq!(leaves.len(), self.lanes.len(), "one slice per column");
        {
            let mut st = lock(&self.shared.state);
            st.slices += leaves.len().min(self.lanes.len());
            st.held += leaves.iter().map(|(_, b)| b).sum::<usize>();
        }
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

    /// Waits until the slices not encoded yet hold at most `bytes` (0: every lane idle),
    /// running other tasks of the pool meanwhile (the caller may be one of its threads);
    /// then reports an encoder's error. A slow column may so lag a few batches behind the
    /// others, within one batch's bytes.
    pub(super) fn wait(&self, bytes: usize) -> Result<(), ParquetError> {
        let done = |st: &State| if bytes == 0 { st.slices == 0 } else { st.held <= bytes };
        loop {
            if done(&lock(&self.shared.state)) {
                break;
            }
            if let Some(rayon::Yield::Executed) = rayon::yield_now() {
                continue;
            }
            let st = lock(&self.shared.state);
            if !done(&st) {
                let _ = self.shared.changed.wait_timeout(st, Duration::from_millis(5));
            }
        }
        let mut st = lock(&self.shared.state);
        match st.error.take() {
            Some(e) => Err(e),
            None if st.failed => Err(ParquetError::General("a column encoder failed earlier".into())),
            None => Ok(()),
        }
    }

    /// Bytes the encoders hold (call when every lane is idle, after `wait(0)`).
    pub(super) fn memory_size(&self) -> usize {
        self.lanes.iter().map(|l| lock(&l.writer).as_ref().map_or(0, ArrowColumnWriter::memory_size)).sum()
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

impl Drop for Lanes {
    /// A file dropped unfinished (an error elsewhere, a cancelled import): slices still
    /// queued are dropped instead of encoded for nobody.
    fn drop(&mut self) {
        lock(&self.shared.state).abandoned = true;
    }
}

/// Feeds a lane's encoder until its queue is empty.
fn drain(lane: &Lane, shared: &Shared) {
    loop {
        let (leaf, bytes) = {
            let mut q = lock(&lane.queue);
            match q.pending.pop_front() {
                Some(leaf) => leaf,
                None => {
                    q.draining = false;
                    return;
                }
            }
        };
        let skip = {
            let st = lock(&shared.state);
            st.failed || st.abandoned
        };
        if !skip {
            // A panic here would abort the process (a spawned task's panic has no caller to
            // go to): it becomes this file's error instead.
            let result = catch_unwind(AssertUnwindSafe(|| match lock(&lane.writer).as_mut() {
                Some(w) => w.write(&leaf),
                None => Err(ParquetError::General("a column encoder is gone".into())),
            }))
            .unwrap_or_else(|_| Err(ParquetError::General("a column encoder panicked".into())));
            if let Err(e) = result {
                let mut st = lock(&shared.state);
                st.failed = true;
                st.error.get_or_insert(e);
            }
        }
        drop(leaf);
        let mut st = lock(&shared.state);
        st.slices -= 1;
        st.held -= bytes;
        shared.changed.notify_all();
    }
}
