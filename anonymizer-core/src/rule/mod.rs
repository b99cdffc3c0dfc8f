//! The rule language: text → syntax tree → validated [`Rules`] → [`RulePlan`] bound to a
//! header. `parse_rules` reports every problem of a file at once, compiler-style;
//! `RulePlan::new` reports every way the rules do not fit a header, naming the columns;
//! `run_examples` runs the file's own `[[examples]]`.

mod action;
mod detector;
mod diagnostic;
mod examples;
mod fake_kind;
mod file_type;
mod model;
mod plan;
mod region;
mod render;
mod schema;
mod sections;
mod suggest;
mod syntax;
mod types_and_examples;
mod validate;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use examples::{run_examples, ExampleFailure};
pub(crate) use file_type::arrow_type;
pub use model::*;
pub use region::Region;

pub use plan::{reveal, RulePlan};
pub(crate) use plan::{ColumnPlan, FilterPlan, Op, Redaction};
pub use schema::json_schema;
pub use suggest::suggest;
pub use validate::{
    bounded_regex, expand_detectors, parse_rules, ALPHABETS, BUILTIN_DETECTORS, DETECTOR_GROUPS, REGEX_NEST_LIMIT,
    REGEX_SIZE_LIMIT,
};

use std::path::Path;

use crate::error::{Error, ErrorKind};

/// Reads and validates a rule file; `origin` in messages is the path as given.
pub fn load_rules(path: &Path) -> Result<Rules, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| Error::new(ErrorKind::Io { op: format!("reading rule file {}", path.display()), source }))?;
    parse_rules(&text, &path.display().to_string()).map_err(|d| Error::new(ErrorKind::Rules(d)))
}
