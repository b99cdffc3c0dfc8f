//! The daemon, `importd serve`: every tenant's drop folders watched, each complete file
//! claimed, imported with its dataset's rules and its tenant's key, published exactly once,
//! or quarantined with a reason; every step in the ledger, every import in the tenant's
//! audit chain. Rooms, in the order a file meets them:
//!
//! - `config`: `importd.toml` → validated [`config::Settings`] (exit 2 before anything runs);
//!   `places`: local folders or object-store prefixes, the embedded or the shared ledger
//! - `watch`: the periodic scan is the inventory; readiness by settle; a fair queue
//! - `intake`: what may be read (regular file, one link, limits), opened without following
//! - `claim`: the rename from the drop folder into `processing/`, recorded first
//! - `job`: one import: hash, duplicate check, transform, publish, record
//! - `publish`: temp file → fsync → rename → fsync the directory
//! - `objects`: the same steps when drop or storage is an object store (claim by ledger row,
//!   pinned download, upload as the commit point, copies for archive and quarantine)
//! - `outcome`: how an import ended and why (typed; a leaf)
//! - `dispose`: the idempotent ending: audit record, input deleted, archived or quarantined
//! - `recover`: at start, every unfinished import finished or rolled back
//! - `ledger`, `audit`: the durable record and the tamper-evident chain
//! - `state`: what running imports share; `serve`: the loop; `telemetry`: logs and metrics

pub mod audit;
pub mod claim;
pub mod config;
pub mod dispose;
pub mod import_id;
pub mod intake;
pub mod job;
pub mod kept_rules;
pub mod keyring;
pub mod ledger;
pub mod objects;
pub mod outcome;
pub mod places;
pub mod publish;
pub mod records;
pub mod recover;
pub mod serve;
pub mod state;
pub mod telemetry;
pub mod watch;
