//! How a run ends: the process's exit codes, defined once here and documented from here
//! in `--help` and the README, and the usage error that maps to code 2.

use std::fmt;
use std::process::ExitCode;

use strum::IntoStaticStr;

/// The end of a run, as the shell sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: the run did what was asked; findings in the records are data, not failure.
    Success,
    /// 1: a run-level failure: an unreadable list, output refused, or nothing measured
    /// (every domain ended in temperror).
    Failure,
    /// 2: the command line is wrong (clap's own errors, and values it accepts but the
    /// validation refuses, such as `--concurrency 0`).
    Usage,
    /// 3: the run succeeded and found what `--fail-on` names.
    Findings,
    /// 130 (SIGINT) or 143 (SIGTERM): interrupted; 128 + the signal's number, as a
    /// shell reports a process the signal ended.
    Interrupted(Signal),
}

/// A signal that stops a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr)]
pub enum Signal {
    #[strum(serialize = "SIGINT")]
    Interrupt,
    #[strum(serialize = "SIGTERM")]
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failure => 1,
            Self::Usage => 2,
            Self::Findings => 3,
            Self::Interrupted(Signal::Interrupt) => 130,
            Self::Interrupted(Signal::Terminate) => 143,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(exit.code())
    }
}

/// The exit codes as `--help` and the README list them.
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0    success (findings in the records are data, not failure)
  1    run-level failure: unreadable list, output refused, or nothing measured
       (every domain ended in temperror)
  2    usage error: a flag or value that is not accepted
  3    findings that --fail-on names
  130  interrupted by SIGINT (Ctrl-C); 143 by SIGTERM";

/// A command line that parses but is not acceptable: exit code 2, as for clap's own
/// errors.
#[derive(Debug)]
pub(crate) struct UsageError(String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A usage error saying what is wrong with the command line.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// The exit of a run-level error: 2 when the command line is at fault, else 1.
pub fn of_error(err: &anyhow::Error) -> Exit {
    if err.chain().any(|cause| cause.is::<UsageError>()) {
        Exit::Usage
    } else {
        Exit::Failure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_named_as_the_shell_names_them() {
        assert_eq!(Signal::Interrupt.name(), "SIGINT");
        assert_eq!(Signal::Terminate.name(), "SIGTERM");
    }
}
