//! The `mailposture` command: parse the flags, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser as _;
use mailposture::{app, cli::Cli};

fn main() -> ExitCode {
    match app::run(Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("mailposture: {err:#}");
            ExitCode::FAILURE
        }
    }
}
