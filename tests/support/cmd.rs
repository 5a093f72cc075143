//! Runs the built `mailposture` binary in a temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary cargo built for this test run.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mailposture"))
}

/// Runs the binary with `args` in `dir`, off the async runtime's threads.
pub async fn run(dir: &Path, args: Vec<String>) -> Output {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        Command::new(bin())
            .args(&args)
            .current_dir(&dir)
            .output()
            .expect("run mailposture")
    })
    .await
    .expect("join")
}
