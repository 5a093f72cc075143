//! Builds a scan history: each scan runs the built binary against a DNS fixture serving
//! that moment's zone, with the scan's time set by `--scan-time`.

use std::path::Path;

use super::cmd::run;
use super::{DnsFixture, Zone};

/// Scans `list` as the world `zone` stood at `time` (RFC 3339), into `out`.
pub async fn scan_at(zone: &str, list: &Path, out: &Path, time: &str) {
    scan_with(zone, list, out, time, &[]).await;
}

/// [`scan_at`] with more flags.
pub async fn scan_with(zone: &str, list: &Path, out: &Path, time: &str, extra: &[&str]) {
    let parent = out
        .parent()
        .expect("scan directory inside a test directory");
    std::fs::create_dir_all(parent).expect("create the history directory");
    let dns = DnsFixture::start(Zone::parse(zone)).await;
    let args = [
        "scan",
        &list.display().to_string(),
        "--out",
        &out.display().to_string(),
        "--resolver",
        &dns.resolver_arg(),
        "--scan-time",
        time,
        "--quiet",
        // The fixture's MX hosts are not on loopback: no SMTP connections to them.
        "--no-starttls",
    ]
    .iter()
    .chain(extra)
    .map(|a| (*a).to_owned())
    .collect();
    let output = run(parent, args).await;
    dns.stop().await;
    assert!(
        output.status.success(),
        "scan at {time}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes a domain list, one name a line.
pub fn write_list(path: &Path, domains: &[&str]) {
    std::fs::write(path, domains.join("\n") + "\n").expect("write list");
}
