//! Failures sorted by exit code: 1 runtime, 2 usage or configuration. Messages are complete
//! sentences that name files, lines and columns, never cell values.

use std::process::ExitCode;

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
