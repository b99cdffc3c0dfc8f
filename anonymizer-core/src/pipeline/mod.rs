//! Execution: `RulePlan::apply` on one batch (pure), column kernels (`redact` to a
//! fixpoint in linear time in its own file), `run` for a whole input with parallel,
//! ordered, bounded-memory batches, and the `RunReport`.

mod apply;
mod budget;
mod canonical;
mod kernel;
mod redact;
mod report;
mod run;
mod typed;

pub use apply::{Applied, BatchStats};
pub use budget::MemoryBudget;
pub use report::RunReport;
pub use run::{run, RunOptions, DEFAULT_RUN_BUDGET};
