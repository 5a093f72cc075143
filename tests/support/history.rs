//! Builds a scan history: each scan runs the built binary against a DNS fixture serving
//! that moment's zone (or a resolver address where nothing answers), with the scan's
//! time set by `--scan-time`.

use std::collections::BTreeMap;
use std::path::Path;

use super::cmd::run;
use super::{DnsFixture, Zone};

/// Scans `list` as the world `zone` stood at `time` (RFC 3339), into `out`.
pub async fn scan_at(zone: &str, list: &Path, out: &Path, time: &str) {
    scan_with(zone, list, out, time, &[]).await;
}

/// [`scan_at`] with more flags.
pub async fn scan_with(zone: &str, list: &Path, out: &Path, time: &str, extra: &[&str]) {
    scan_zone(Zone::parse(zone), list, out, time, extra).await;
}

/// [`scan_with`] of a zone built in code; returns what the scan wrote on stderr.
pub async fn scan_zone(zone: Zone, list: &Path, out: &Path, time: &str, extra: &[&str]) -> String {
    let dns = DnsFixture::start(zone).await;
    let output = scan_over(&dns.resolver_arg(), list, out, time, extra).await;
    dns.stop().await;
    succeeded(&output, time)
}

/// Scans `list` at `time` with a resolver address on loopback where nothing listens, so
/// that every DNS question fails (each after one try of `timeout` seconds at most).
pub async fn scan_unanswered(list: &Path, out: &Path, time: &str, timeout: &str) -> String {
    // A port just given up by a socket of ours: nothing else has it.
    let socket = std::net::UdpSocket::bind("127.0.83.1:0").expect("bind a loopback port");
    let resolver = socket.local_addr().expect("its address").to_string();
    drop(socket);
    let extra = ["--timeout", timeout, "--attempts", "1"];
    let output = scan_over(&resolver, list, out, time, &extra).await;
    // Nothing was measured: a run-level failure, with the scan directory written.
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "scan at {time}: {stderr}");
    stderr
}

/// Runs `scan` of `list` into `out` over the resolver `resolver`.
async fn scan_over(
    resolver: &str,
    list: &Path,
    out: &Path,
    time: &str,
    extra: &[&str],
) -> std::process::Output {
    let parent = out
        .parent()
        .expect("scan directory inside a test directory");
    std::fs::create_dir_all(parent).expect("create the history directory");
    let args = [
        "scan",
        &list.display().to_string(),
        "--out",
        &out.display().to_string(),
        "--resolver",
        resolver,
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
    run(parent, args).await
}

/// The scan's stderr, after checking it ended well.
fn succeeded(output: &std::process::Output, time: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "scan at {time}: {stderr}");
    stderr
}

/// The records of the scan in `dir` by domain, without `elapsed_ms` (which differs from
/// run to run); panics on a torn line or a domain written twice.
pub fn records(dir: &Path) -> BTreeMap<String, serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("results.jsonl")).expect("read results.jsonl");
    assert!(text.is_empty() || text.ends_with('\n'), "torn last line");
    let mut found = BTreeMap::new();
    for line in text.lines() {
        let mut record: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a record ({e}): {line}"));
        let object = record.as_object_mut().expect("a JSON object");
        object.remove("elapsed_ms");
        let domain = object["domain"].as_str().expect("domain").to_owned();
        assert!(
            found.insert(domain.clone(), record).is_none(),
            "{domain} twice"
        );
    }
    found
}

/// Writes a domain list, one name a line.
pub fn write_list(path: &Path, domains: &[&str]) {
    std::fs::write(path, domains.join("\n") + "\n").expect("write list");
}
