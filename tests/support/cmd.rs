//! Runs the built `mailposture` binary in a temporary directory.

use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary cargo built for this test run.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mailposture"))
}

/// The binary, over the DNS transport this test binary runs on.
pub fn command() -> Command {
    let mut command = Command::new(bin());
    set_transport(&mut command);
    command
}

/// Makes `command` (the binary, or a wrapper that runs it) use this test binary's DNS
/// transport.
pub fn set_transport(command: &mut Command) {
    let name = match crate::TRANSPORT {
        mailposture::dns::Transport::Bulk => "bulk",
        mailposture::dns::Transport::Standard => "standard",
    };
    command.env("MAILPOSTURE_TRANSPORT", name);
}

/// `scan LIST --out OUT --resolver RESOLVER --quiet --no-starttls` and `extra` (test
/// fixtures' MX hosts are not on loopback: no SMTP connections to them).
pub fn scan_args(list: &Path, out: &Path, resolver: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "scan".into(),
        list.display().to_string(),
        "--out".into(),
        out.display().to_string(),
        "--resolver".into(),
        resolver.to_owned(),
        "--quiet".into(),
        "--no-starttls".into(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args
}

/// Runs the binary with `args` in `dir`, off the async runtime's threads.
pub async fn run(dir: &Path, args: Vec<String>) -> Output {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        command()
            .args(&args)
            .current_dir(&dir)
            .output()
            .expect("run mailposture")
    })
    .await
    .expect("join")
}

/// Waits for `child` at most `limit`; past it, kills the child and fails the test, so a
/// process that does not end is a failure rather than a hung test run.
pub fn wait_bounded(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("waiting for a child process") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `command` in the background, its standard error kept for [`wait_stderr`].
pub fn spawn(mut command: Command) -> Child {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mailposture")
}

/// Waits for `child` at most `limit` (see [`wait_bounded`]); its status and standard
/// error.
pub fn wait_stderr(mut child: Child, limit: Duration) -> (ExitStatus, String) {
    let status = wait_bounded(&mut child, limit);
    let output = child
        .wait_with_output()
        .expect("reading the child's output");
    (status, String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Waits (bounded) until `done` holds.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not after 30 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// SIGKILL to `child`, which must still be running: the moment is the one waited for.
pub fn kill_9(child: &mut Child) {
    assert_eq!(
        child.try_wait().unwrap(),
        None,
        "the run ended before its kill"
    );
    child.kill().unwrap();
    let status = wait_bounded(child, Duration::from_secs(20));
    assert_eq!(status.signal(), Some(9), "{status:?}");
}
