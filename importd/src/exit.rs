//! Failures sorted by exit code: 1 runtime, 2 usage or configuration. Messages are complete
//! sentences that name files, lines and columns, never cell values.

use std::path::Path;
use std::process::ExitCode;

use anonymizer_core::{load_rules, ErrorKind, MasterKey, Rules};

/// A failed command.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// Exit 1: the input, the disk or the data made it fail.
    pub fn runtime(message: impl Into<String>) -> Failure {
        Failure { code: 1, message: message.into() }
    }

    /// Exit 2: the command line was wrong.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure { code: 2, message: message.into() }
    }

    /// Exit 2: a rule file, key or configuration is wrong.
    pub fn config(message: impl Into<String>) -> Failure {
        Failure { code: 2, message: message.into() }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

/// Loads a rule file; any problem is a configuration error (exit 2), diagnostics shown whole.
pub fn rules(path: &Path) -> Result<Rules, Failure> {
    load_rules(path).map_err(|e| match e.kind() {
        ErrorKind::Rules(_) => Failure::config(e.to_string()),
        _ => Failure::config(format!("error: {e}")),
    })
}

/// Loads a key file; any problem is a configuration error (exit 2).
pub fn key(path: &Path) -> Result<MasterKey, Failure> {
    MasterKey::load(path).map_err(|e| Failure::config(format!("error: {e}")))
}
