//! The `mailposture` command: parse the flags, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser as _;
use mailposture::{app, cli::Cli};

/// A scan allocates and frees many small buffers per DNS question from many threads;
/// glibc's malloc took about 14% of a scan's CPU in profiles, mimalloc much less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match app::run(Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("mailposture: {err:#}");
            ExitCode::FAILURE
        }
    }
}
