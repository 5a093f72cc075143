//! `scan --resume` resumes over the input the scan started with: `resume.json` records
//! each list's size and SHA-256, a list changed since is refused (and nothing in the scan
//! directory is touched), a list only touched resumes, a `resume.json` of an older
//! version resumes with a warning, and a directory given as a list is an error.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant, SystemTime};

use crate::support::cmd::{spawn, wait_stderr};
use crate::support::history::{records, write_list};
use crate::support::{DnsFixture, Zone};

/// Answered at once.
const QUICK: [&str; 3] = ["a0.example.jp", "a1.example.jp", "a2.example.jp"];
/// Never answered: each ends at the 4 s timeout, which keeps the scan running until it
/// is killed.
const SLOW: [&str; 2] = ["s0.example.jp", "s1.example.jp"];

async fn start() -> (DnsFixture, tempfile::TempDir, PathBuf) {
    let mut zone = Zone::new();
    for name in QUICK {
        zone.txt_text(name, "v=spf1 -all");
    }
    for name in SLOW {
        zone.silent(name);
    }
    let dns = DnsFixture::start(zone).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("domains.txt");
    write_list(&list, &[QUICK.as_slice(), SLOW.as_slice()].concat());
    (dns, dir, list)
}

/// A scan that does not end is a failure, not a hang.
fn wait(child: Child) -> (std::process::ExitStatus, String) {
    wait_stderr(child, Duration::from_secs(60))
}

fn resume(out: &Path) -> (std::process::ExitStatus, String) {
    let mut command = crate::support::cmd::command();
    command.args(["scan", "--resume", &out.display().to_string(), "--quiet"]);
    wait(spawn(command))
}

/// A scan of `list` into `out`, killed (`kill -9`) once the quick domains are written and
/// the slow ones are still in flight.
fn interrupted_scan(list: &Path, out: &Path, dns: &DnsFixture) {
    let mut command = crate::support::cmd::command();
    command
        .args(["scan", &list.display().to_string()])
        .args(["--out", &out.display().to_string()])
        .args([
            "--resolver",
            &dns.resolver_arg(),
            "--quiet",
            "--no-starttls",
        ])
        .args(["--timeout", "4", "--attempts", "1", "--domain-timeout", "4"]);
    let mut child = spawn(command);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(out.join("results.jsonl")).map_or(0, |text| text.lines().count())
        < QUICK.len()
    {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the quick domains were not written within 30 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !out.join("scan.json").exists(),
        "the scan ended before the kill"
    );
}

fn resume_json(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("resume.json")).unwrap()).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_refuses_a_list_changed_since_the_scan_started() {
    let (dns, dir, list) = start().await;
    let out = dir.path().join("scan");
    tokio::task::block_in_place(|| interrupted_scan(&list, &out, &dns));
    let results = std::fs::read(out.join("results.jsonl")).unwrap();
    let saved = std::fs::read(out.join("resume.json")).unwrap();
    let before = std::fs::metadata(&list).unwrap().len();

    // Another domain of the same length in place of one: the size alone does not tell.
    let text = std::fs::read_to_string(&list).unwrap();
    std::fs::write(&list, text.replace("s1.example.jp", "s9.example.jp")).unwrap();
    let (status, stderr) = tokio::task::block_in_place(|| resume(&out));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "changed since the scan started (same size, {before} bytes, SHA-256 differs)"
        )),
        "{stderr}"
    );

    // A domain appended.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&list)
        .unwrap();
    file.write_all(b"new.example.jp\n").unwrap();
    drop(file);
    let after = before + "new.example.jp\n".len() as u64;
    let (status, stderr) = tokio::task::block_in_place(|| resume(&out));
    assert_eq!(status.code(), Some(1), "{stderr}");
    let canonical = std::fs::canonicalize(&list).unwrap();
    assert!(
        stderr.contains(&format!(
            "{} changed since the scan started (size {before} → {after} bytes, SHA-256 differs): resuming would mix two lists; start a new scan",
            canonical.display()
        )),
        "{stderr}"
    );

    // The list replaced by a directory.
    std::fs::remove_file(&list).unwrap();
    std::fs::create_dir(&list).unwrap();
    let (status, stderr) = tokio::task::block_in_place(|| resume(&out));
    dns.stop().await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is a directory"), "{stderr}");

    // Refused before anything in the scan directory was touched.
    assert_eq!(std::fs::read(out.join("results.jsonl")).unwrap(), results);
    assert_eq!(std::fs::read(out.join("resume.json")).unwrap(), saved);
    assert!(!out.join("scan.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_accepts_a_list_touched_but_not_changed() {
    let (dns, dir, list) = start().await;
    let out = dir.path().join("scan");
    tokio::task::block_in_place(|| interrupted_scan(&list, &out, &dns));

    let recorded = resume_json(&out)["lists"].clone();
    let bytes = std::fs::read(&list).unwrap();
    assert_eq!(recorded.as_array().map(Vec::len), Some(1), "{recorded}");
    assert_eq!(
        recorded[0]["path"],
        std::fs::canonicalize(&list).unwrap().display().to_string()
    );
    assert_eq!(recorded[0]["size"], bytes.len() as u64);
    assert_eq!(recorded[0]["sha256"], sha256_hex(&bytes));

    // Rewritten with the same contents, an hour later.
    std::fs::write(&list, &bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&list)
        .unwrap()
        .set_modified(SystemTime::now() + Duration::from_secs(3600))
        .unwrap();
    let (status, stderr) = tokio::task::block_in_place(|| resume(&out));
    dns.stop().await;
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert_eq!(records(&out).len(), QUICK.len() + SLOW.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_resume_file_without_list_identities_resumes_with_a_warning() {
    let (dns, dir, list) = start().await;
    let out = dir.path().join("scan");
    tokio::task::block_in_place(|| interrupted_scan(&list, &out, &dns));

    let mut file = resume_json(&out);
    assert!(
        file.as_object_mut().unwrap().remove("lists").is_some(),
        "{file}"
    );
    std::fs::write(out.join("resume.json"), file.to_string()).unwrap();
    let (status, stderr) = tokio::task::block_in_place(|| resume(&out));
    dns.stop().await;
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "records no size or SHA-256 of the lists (it was written by an older version)"
        ),
        "{stderr}"
    );
    assert_eq!(records(&out).len(), QUICK.len() + SLOW.len());
}

#[tokio::test]
async fn a_directory_is_not_a_list() {
    let dns = DnsFixture::start(Zone::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let lists = dir.path().join("lists");
    std::fs::create_dir(&lists).unwrap();
    write_list(&lists.join("a.txt"), &["a0.example.jp"]);
    let out = dir.path().join("scan");
    let output = crate::support::cmd::run(
        dir.path(),
        vec![
            "scan".into(),
            lists.display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--resolver".into(),
            dns.resolver_arg(),
            "--quiet".into(),
            "--no-starttls".into(),
        ],
    )
    .await;
    dns.stop().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the domain list {} is a directory",
            std::fs::canonicalize(&lists).unwrap().display()
        )),
        "{stderr}"
    );
    assert!(!out.join("scan.json").exists());
}
