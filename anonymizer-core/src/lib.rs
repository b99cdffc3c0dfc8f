//! # anonymizer-core
//!
//! Makes personal data in tabular files unrecognizable, following a customer's rule file,
//! while the data streams through as Arrow `RecordBatch`es.
//!
//! ```text
//!  rule file ──parse_rules──▶ Rules ──RulePlan::new(rules, keys, header)──▶ RulePlan
//!                                                                           │
//!  input ──CsvReader──▶ RecordBatch ──plan.apply (rayon, order kept)──▶ RecordBatch ──▶ Parquet/CSV
//! ```
//!
//! `plan.apply(&batch)` is pure: the same plan, key and batch always give the same output,
//! whatever the batch size or thread count. Errors carry locations, never cell values.
//!
//! ```
//! use std::sync::Arc;
//! use anonymizer_core::{parse_rules, MasterKey, RulePlan};
//! use arrow_array::{RecordBatch, StringArray, cast::AsArray};
//!
//! let rules = parse_rules(r#"
//!     version = 1
//!     [columns]
//!     email = { action = "pseudonymize", prefix = "u_", length = 10 }
//!     zip   = { action = "truncate", keep_first = 2 }
//! "#, "inline.toml").unwrap();
//! let key = MasterKey::test_key();
//! let batch = RecordBatch::try_from_iter([
//!     ("email", Arc::new(StringArray::from(vec!["anna@example.com"])) as _),
//!     ("zip", Arc::new(StringArray::from(vec!["80331"])) as _),
//!     ("notes", Arc::new(StringArray::from(vec!["unlisted: dropped"])) as _),
//! ]).unwrap();
//! let header: Vec<String> = ["email", "zip", "notes"].map(String::from).to_vec();
//! let plan = RulePlan::new(Arc::new(rules), &key.key_set(), &header).unwrap();
//! let out = plan.apply(&batch).unwrap().batch;
//! assert_eq!(out.num_columns(), 2); // privacy by default: `notes` is dropped
//! assert_eq!(out.column(1).as_string::<i32>().value(0), "80");
//! assert!(out.column(0).as_string::<i32>().value(0).starts_with("u_"));
//! ```
//!
//! A whole file, reader → writer, with a report: see [`pipeline::run`].

pub mod detect;
pub mod error;
pub mod io;
pub mod key;
pub mod pipeline;
pub mod rule;
pub(crate) mod simd;
pub mod transform;

pub use error::{Error, ErrorKind, Sensitive};
pub use key::{KeySet, MasterKey};
pub use pipeline::{run, Applied, RunOptions, RunReport};
pub use rule::{load_rules, parse_rules, reveal, run_examples, RulePlan, Rules};
