//! Headless Chromium (Debian's `/usr/bin/chromium`) loading a page from disk: a
//! screenshot, and the lines of its log that say the page did not load cleanly.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::cmd::wait_bounded;

/// How long Chromium may take to load and shoot the page.
const DEADLINE: Duration = Duration::from_secs(60);

/// Loads `page`, writes a screenshot to `png`, and returns the log lines that report
/// trouble: console messages (Chromium logs the page's console, and what the page's
/// Content-Security-Policy blocks, as `CONSOLE` lines), failed loads and network errors.
pub fn screenshot(page: &Path, png: &Path, profile: &Path) -> Vec<String> {
    let log = profile.with_extension("stderr");
    let mut child = Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2400",
            &format!("--screenshot={}", png.display()),
            &format!("file://{}", page.display()),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("chromium log file"))
        .spawn()
        .expect("starting /usr/bin/chromium");
    let status = wait_bounded(&mut child, DEADLINE);
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "chromium: {status}\n{stderr}");
    stderr
        .lines()
        .filter(|l| {
            l.contains("CONSOLE") || l.contains("Failed to load") || l.contains("net::ERR_")
        })
        .map(str::to_owned)
        .collect()
}
