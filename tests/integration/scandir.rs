//! The scan directory: one process at a time (its lock names the holder, and a killed
//! holder blocks nothing), no output written through a symbolic link, and no refused or
//! failed run leaving a file that blocks the next one.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use crate::support::cmd::{command, kill_9, run, wait_for};
use crate::support::history::{records, write_list};
use crate::support::{DnsFixture, Zone, slow_world};

fn scan_args(list: &Path, out: &Path, dns: &DnsFixture) -> Vec<String> {
    let mut args: Vec<String> = vec!["scan".into(), list.display().to_string()];
    args.extend(["--out".into(), out.display().to_string()]);
    args.extend(common_args(dns));
    args
}

fn common_args(dns: &DnsFixture) -> Vec<String> {
    [
        "--resolver",
        &dns.resolver_arg(),
        "--quiet",
        "--no-starttls",
        "--concurrency",
        "2",
        "--timeout",
        "30",
        "--attempts",
        "1",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect()
}

fn spawn(args: &[String]) -> Child {
    command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mailposture")
}

fn lock_holder(out: &Path) -> Option<u32> {
    std::fs::read_to_string(out.join(".lock"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Issue §2: while a scan runs, a resume of its directory and a new scan into it are
/// refused at once, naming the running scan's PID, and write nothing; once the scan is
/// killed with SIGKILL, a resume takes the directory without waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_is_refused_with_the_holders_pid_and_a_killed_one_blocks_nothing() {
    let (zone, names) = slow_world();
    let dns = DnsFixture::start(zone).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    write_list(&list, &names.iter().map(String::as_str).collect::<Vec<_>>());
    let out = dir.path().join("scan");
    let mut first = spawn(&scan_args(&list, &out, &dns));
    tokio::task::block_in_place(|| {
        wait_for("records of the first scan", || {
            std::fs::metadata(out.join("results.jsonl")).is_ok_and(|m| m.len() > 0)
        })
    });
    let before = std::fs::read(out.join("results.jsonl")).unwrap();
    let resume: Vec<String> = vec!["scan".into(), "--resume".into(), out.display().to_string()];
    let refusals = [
        run(dir.path(), resume.clone()).await,
        run(dir.path(), scan_args(&list, &out, &dns)).await,
    ];
    let pid = first.id();
    tokio::task::block_in_place(|| kill_9(&mut first));
    for refused in &refusals {
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "is in use by another mailposture process (PID {pid})"
            )),
            "{stderr}"
        );
    }
    // Nothing of the refused runs reached the records: what is there now is what the
    // first scan wrote, which only grew.
    let after = std::fs::read(out.join("results.jsonl")).unwrap();
    assert!(after.starts_with(&before));
    let mut resumed = spawn(&resume);
    let resumed_pid = resumed.id();
    tokio::task::block_in_place(|| {
        wait_for("the resume taking the lock", || {
            lock_holder(&out) == Some(resumed_pid) || resumed.try_wait().unwrap().is_some()
        });
        let ended = resumed.try_wait().unwrap();
        kill_9(&mut resumed);
        assert_eq!(ended, None, "the resume ended instead of running");
    });
    dns.stop().await;
    assert_eq!(lock_holder(&out), Some(resumed_pid));
}

/// A world of one answered domain, its list, and an empty scan directory beside it.
async fn one_domain() -> (DnsFixture, tempfile::TempDir, PathBuf, PathBuf) {
    let mut zone = Zone::new();
    zone.txt_text("a.example.jp", "v=spf1 -all");
    let dns = DnsFixture::start(zone).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    write_list(&list, &["a.example.jp"]);
    let out = dir.path().join("scan");
    std::fs::create_dir(&out).unwrap();
    (dns, dir, list, out)
}

/// Issue §3: a symbolic link named summary.json in the scan directory, planted to point
/// at a file elsewhere, is replaced by the scan's summary; its target stays untouched.
#[tokio::test]
async fn a_planted_summary_json_link_is_replaced_not_written_through() {
    let (dns, dir, list, out) = one_domain().await;
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "not the scan's to write\n").unwrap();
    std::os::unix::fs::symlink(&victim, out.join("summary.json")).unwrap();
    let output = run(dir.path(), scan_args(&list, &out, &dns)).await;
    dns.stop().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "not the scan's to write\n"
    );
    let summary = out.join("summary.json");
    assert!(std::fs::symlink_metadata(&summary).unwrap().is_file());
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(summary["domains"], 1, "{summary}");
    assert_eq!(records(&out).len(), 1);
    assert_eq!(temporaries(&out), Vec::<PathBuf>::new());
}

/// Issue §3: a scan refused because its directory already holds output leaves no new
/// file behind (an empty results.jsonl would refuse the next scan there).
#[tokio::test]
async fn a_refused_scan_leaves_no_empty_results_jsonl() {
    let (dns, dir, list, out) = one_domain().await;
    std::fs::write(out.join("results.csv"), "someone's table\n").unwrap();
    let refused = run(dir.path(), scan_args(&list, &out, &dns)).await;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(stderr.contains("already holds a scan"), "{stderr}");
    assert!(!out.join("results.jsonl").exists(), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("results.csv")).unwrap(),
        "someone's table\n"
    );
    // With the table moved away, the next scan there is not blocked.
    std::fs::remove_file(out.join("results.csv")).unwrap();
    let output = run(dir.path(), scan_args(&list, &out, &dns)).await;
    dns.stop().await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(records(&out).len(), 1);
}

/// Issue §3: a merge that fails half-way (a shard's results.jsonl holds a line that is
/// not a record) leaves neither its output directory nor its temporary one.
#[tokio::test]
async fn a_failed_merge_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut shards = Vec::new();
    for index in 0..2 {
        let shard = dir.path().join(format!("shard{index}"));
        std::fs::create_dir(&shard).unwrap();
        let scan = serde_json::json!({
            "tool": "mailposture",
            "lists": ["list.txt"],
            "schema": 1,
            "version": "0.1.0",
            "started_at": "2026-12-01T00:00:00Z",
            "domains": 1,
            "options": {"shard": format!("{index}/2")},
        });
        std::fs::write(shard.join("scan.json"), scan.to_string()).unwrap();
        // Each shard intact on its own; together they are not one split, which the
        // merge finds only while it copies the records.
        std::fs::write(
            shard.join("results.jsonl"),
            "{\"domain\":\"a.example.jp\"}\n",
        )
        .unwrap();
        shards.push(shard.display().to_string());
    }
    let out = dir.path().join("merged");
    let mut args = vec!["merge".to_owned()];
    args.extend(shards);
    args.extend(["--out".into(), out.display().to_string()]);
    let output = run(dir.path(), args).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("a.example.jp is in more than one shard"),
        "{stderr}"
    );
    assert!(!out.exists());
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["shard0", "shard1"]);
}

/// Files a write in `dir` left under a temporary name.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect()
}
