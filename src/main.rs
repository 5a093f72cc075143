//! The `mailposture` command: parse the flags, run, map the outcome to an exit code.

use std::process::ExitCode;

use mailposture::exit::{self, Exit};
use mailposture::{app, cli::Cli, terminal};

/// A scan allocates and frees many small buffers per DNS question from many threads;
/// glibc's malloc took about 14% of a scan's CPU in profiles, mimalloc much less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match app::run(Cli::parse_given()) {
        Ok(exit) => exit.into(),
        Err(err) => {
            let exit = exit::of_error(&err);
            // Network and list text in an error message is escaped where it is quoted;
            // this escapes anything that slipped through.
            let message = terminal::escape(&format!("{err:#}")).into_owned();
            if exit == Exit::Usage {
                // As clap words its own usage errors.
                eprintln!("error: {message}\n\nFor more information, try '--help'.");
            } else {
                eprintln!("mailposture: {message}");
            }
            exit.into()
        }
    }
}
