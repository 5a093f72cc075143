//! Interrupted scans: `kill -9` at random moments, several times in a row, then
//! `scan --resume` to the end; and SIGINT, which finishes the domains in flight and says
//! how to resume. Every input domain must end up in `results.jsonl` exactly once, with
//! the facts an uninterrupted scan finds.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use crate::support::cmd::{spawn, wait_stderr};
use crate::support::history::{records, write_list};
use crate::support::{DnsFixture, Zone};

const DOMAINS: usize = 800;

/// Every third domain with DMARC, every fifth SPF over a shared include, every seventh
/// with a dangling include, all with MX on one of two shared hosts.
fn world() -> (Zone, Vec<String>) {
    let mut zone = Zone::new();
    zone.txt_text("_spf.provider.test", "v=spf1 ip4:198.51.100.0/24 -all");
    zone.a("mx1.provider.test", Ipv4Addr::new(192, 0, 2, 1));
    zone.a("mx2.provider.test", Ipv4Addr::new(192, 0, 2, 2));
    let mut names = Vec::new();
    for i in 0..DOMAINS {
        let name = format!("d{i}.example.jp");
        let spf = match i {
            _ if i % 7 == 0 => "v=spf1 include:gone.provider.test -all".to_owned(),
            _ if i % 5 == 0 => "v=spf1 include:_spf.provider.test ~all".to_owned(),
            _ => format!("v=spf1 ip4:192.0.2.{} -all", i % 250),
        };
        zone.txt_text(&name, &spf);
        if i % 3 == 0 {
            zone.txt_text(&format!("_dmarc.{name}"), "v=DMARC1; p=quarantine");
        }
        zone.mx(&name, 10, &format!("mx{}.provider.test", 1 + i % 2));
        names.push(name);
    }
    (zone, names)
}

/// The world served, and its list written into a fresh directory.
async fn start() -> (DnsFixture, tempfile::TempDir, PathBuf) {
    let (zone, names) = world();
    let dns = DnsFixture::start(zone).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("domains.txt");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    write_list(&list, &names);
    (dns, dir, list)
}

fn scan(list: &Path, out: &Path, dns: &DnsFixture) -> Command {
    let mut command = crate::support::cmd::command();
    command
        .args([
            "scan",
            &list.display().to_string(),
            "--out",
            &out.display().to_string(),
        ])
        .args([
            "--resolver",
            &dns.resolver_arg(),
            "--quiet",
            "--no-starttls",
        ])
        // Few at a time, so that a run lasts long enough to be interrupted.
        .args(["--concurrency", "8", "--scan-time", "2023-06-01T00:00:00Z"]);
    command
}

fn resume(out: &Path) -> Command {
    let mut command = crate::support::cmd::command();
    command.args(["scan", "--resume", &out.display().to_string(), "--quiet"]);
    command
}

/// Waits (bounded) until the scan in `dir` has written some records.
fn wait_for_records(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(dir.join("results.jsonl")).map_or(true, |m| m.len() == 0) {
        assert!(Instant::now() < deadline, "no records after 30 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A small generator, seeded from the clock and printed on failure, for the kill times.
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_then_resume_loses_and_repeats_nothing() {
    let (dns, dir, list) = start().await;
    let (whole, cut) = (dir.path().join("whole"), dir.path().join("cut"));
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut moments = Moments(seed);

    let (status, stderr) = tokio::task::block_in_place(|| {
        wait_stderr(spawn(scan(&list, &whole, &dns)), Duration::from_secs(120))
    });
    assert!(status.success(), "{stderr}");
    let expected = records(&whole);
    assert_eq!(expected.len(), DOMAINS);

    let mut kills = 0;
    let mut command = scan(&list, &cut, &dns);
    tokio::task::block_in_place(|| {
        for _ in 0..4 {
            let mut child = spawn(command);
            // Let it write something first, so that every kill leaves records to keep
            // (a scan killed before its first record is resumed in crashpoints).
            wait_for_records(&cut);
            std::thread::sleep(Duration::from_millis(moments.next_ms(400)));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                kills += 1;
            }
            child.wait().unwrap();
            if cut.join("scan.json").exists() {
                break;
            }
            command = resume(&cut);
        }
        if !cut.join("scan.json").exists() {
            let (status, stderr) = wait_stderr(spawn(resume(&cut)), Duration::from_secs(120));
            assert!(status.success(), "seed {seed}: {stderr}");
        }
    });
    dns.stop().await;
    assert!(kills > 0, "seed {seed}: every run ended before its kill");

    assert_eq!(records(&cut), expected, "seed {seed}");
    let csv = std::fs::read_to_string(cut.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), DOMAINS + 1, "seed {seed}: CSV rows");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cut.join("summary.json")).unwrap()).unwrap();
    let whole_summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(whole.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["figures"], whole_summary["figures"], "seed {seed}");
    let scan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cut.join("scan.json")).unwrap()).unwrap();
    assert_eq!(scan["domains"], DOMAINS);
    assert_eq!(scan["started_at"], "2023-06-01T00:00:00Z");
    assert!(scan["resumes"].as_u64().unwrap() >= 1, "{scan}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_finishes_the_domains_in_flight_and_says_how_to_resume() {
    let (dns, dir, list) = start().await;
    let out = dir.path().join("scan");
    let (status, stderr) = tokio::task::block_in_place(|| {
        // The list by a relative path, from the list's directory: the resume below runs
        // elsewhere and must find it all the same.
        let mut command = scan(Path::new("domains.txt"), &out, &dns);
        command.current_dir(list.parent().unwrap());
        let child = spawn(command);
        wait_for_records(&out);
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        wait_stderr(child, Duration::from_secs(30))
    });
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("resume with: mailposture scan --resume"),
        "{stderr}"
    );
    assert!(!out.join("scan.json").exists());
    let partial = records(&out).len();
    assert!(partial < DOMAINS, "the scan ended before the signal");

    // Options may not be changed on resuming.
    let (status, stderr) = tokio::task::block_in_place(|| {
        let mut command = resume(&out);
        command.args(["--concurrency", "99"]);
        wait_stderr(spawn(command), Duration::from_secs(30))
    });
    assert!(!status.success());
    assert!(
        stderr.contains("these differ: --concurrency 99 (the scan's: "),
        "{stderr}"
    );

    let (status, stderr) =
        tokio::task::block_in_place(|| wait_stderr(spawn(resume(&out)), Duration::from_secs(120)));
    dns.stop().await;
    assert!(status.success(), "{stderr}");
    assert_eq!(records(&out).len(), DOMAINS);
    let scan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("scan.json")).unwrap()).unwrap();
    assert_eq!(scan["input"]["already_scanned"], partial as u64);
}
