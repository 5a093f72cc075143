//! Reads that verify what they read: a scan whose records disagree with its `scan.json`,
//! or whose `scan.json` cannot be read, is DAMAGED in `history` with the reason, skipped
//! by `trend` with a warning, refused by `diff` and `merge`; never counted in part.

use std::path::{Path, PathBuf};

use crate::support::cmd::run;
use crate::support::history::{records, scan_with, write_list};
use crate::support::{DnsFixture, Zone};

/// 30 domains: SPF on all, DMARC on every other one.
fn world() -> (String, Vec<String>) {
    let mut zone = String::new();
    let mut names = Vec::new();
    for i in 0..30 {
        let name = format!("v{i}.example.jp");
        zone.push_str(&format!("{name}. IN TXT \"v=spf1 ip4:192.0.2.{i} -all\"\n"));
        if i % 2 == 0 {
            zone.push_str(&format!("_dmarc.{name}. IN TXT \"v=DMARC1; p=reject\"\n"));
        }
        names.push(name);
    }
    (zone, names)
}

/// A list of the world's names in `root`, and the world's zone.
fn fin_list(root: &Path) -> (String, PathBuf, usize) {
    let (zone, names) = world();
    let list = root.join("fin.txt");
    write_list(&list, &names.iter().map(String::as_str).collect::<Vec<_>>());
    (zone, list, names.len())
}

fn read_lines(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| format!("{l}\n"))
        .collect()
}

fn write_lines(dir: &Path, lines: &[String]) {
    std::fs::write(dir.join("results.jsonl"), lines.concat()).unwrap();
}

/// Every way a finished scan can be damaged, one scan each.
const DAMAGES: [(&str, &str); 5] = [
    ("truncated", "truncated?"),
    ("empty-scan-json", "is not a scan summary"),
    ("mistyped-scan-json", "invalid type"),
    ("domain-twice", "is recorded twice"),
    ("torn", "is torn"),
];

fn damage(dir: &Path, how: &str) {
    let lines = read_lines(dir);
    match how {
        "truncated" => write_lines(dir, &lines[..lines.len() / 2]),
        "empty-scan-json" => std::fs::write(dir.join("scan.json"), b"").unwrap(),
        "mistyped-scan-json" => {
            let text = std::fs::read_to_string(dir.join("scan.json")).unwrap();
            let mut scan: serde_json::Value = serde_json::from_str(&text).unwrap();
            scan["domains"] = "thirty".into();
            std::fs::write(dir.join("scan.json"), scan.to_string()).unwrap();
        }
        "domain-twice" => {
            // As many lines as scan.json counts, one of them a copy.
            let mut lines = lines.clone();
            let last = lines.len() - 1;
            lines[last] = lines[0].clone();
            write_lines(dir, &lines);
        }
        "torn" => {
            let mut text = lines.concat();
            text.truncate(text.len() - 10);
            std::fs::write(dir.join("results.jsonl"), text).unwrap();
        }
        _ => unreachable!("{how}"),
    }
}

/// Leaves the scan in `dir` as an interrupted one: no summary.json and scan.json, and its
/// last `cut` records not written.
fn interrupt(dir: &Path, cut: usize) {
    std::fs::remove_file(dir.join("scan.json")).unwrap();
    std::fs::remove_file(dir.join("summary.json")).unwrap();
    let lines = read_lines(dir);
    write_lines(dir, &lines[..lines.len() - cut]);
}

#[tokio::test]
async fn history_names_each_damage_and_trend_counts_only_intact_scans() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (zone, list, size) = fin_list(root);
    let scans = root.join("scans");
    let at = |day: usize| format!("2023-05-{day:02}T00:00:00Z");
    let intact = [scans.join("fin/a"), scans.join("fin/b")];
    for (i, scan) in intact.iter().enumerate() {
        scan_with(&zone, &list, scan, &at(i + 1), &[]).await;
    }
    for (i, (how, _)) in DAMAGES.iter().enumerate() {
        let scan = scans.join("fin").join(how);
        scan_with(&zone, &list, &scan, &at(i + 10), &[]).await;
        damage(&scan, how);
    }
    let stopped = scans.join("fin/stopped");
    scan_with(&zone, &list, &stopped, &at(20), &[]).await;
    interrupt(&stopped, 5);

    let output = run(
        root,
        vec![
            "history".into(),
            scans.display().to_string(),
            "--json".into(),
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let found: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let entry = |dir: &Path| {
        found
            .iter()
            .find(|e| e["dir"] == dir.display().to_string())
            .unwrap_or_else(|| panic!("{} not listed: {found:#?}", dir.display()))
    };
    for scan in &intact {
        let e = entry(scan);
        assert_eq!(
            (&e["status"], &e["complete"]),
            (&"complete".into(), &true.into())
        );
        assert_eq!(e["domains"], size);
    }
    for (how, reason) in DAMAGES {
        let e = entry(&scans.join("fin").join(how));
        assert_eq!(e["status"], "damaged", "{how}: {e:#}");
        assert_eq!(e["complete"], false, "{how}");
        let said = e["damage"].as_str().unwrap_or_default();
        assert!(said.contains(reason), "{how}: {said}");
    }
    let e = entry(&stopped);
    assert_eq!(
        (&e["status"], &e["domains"]),
        (&"interrupted".into(), &(size - 5).into())
    );

    // The table says it in words, one line per damaged scan.
    let output = run(root, vec!["history".into(), scans.display().to_string()]).await;
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(text.matches("\nDAMAGED ").count(), DAMAGES.len(), "{text}");

    // trend: one row per intact scan, each of the whole list; a warning per damaged one.
    let output = run(
        root,
        vec![
            "trend".into(),
            scans.display().to_string(),
            "--by".into(),
            "scan".into(),
            "--out".into(),
            "-".into(),
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let mut csv = csv::Reader::from_reader(output.stdout.as_slice());
    let header = csv.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let periods: Vec<&str> = rows.iter().map(|r| &r[column("period")]).collect();
    assert_eq!(periods, [at(1), at(2)], "{stderr}");
    for row in &rows {
        assert_eq!(row[column("domains")], size.to_string());
        assert_eq!(row[column("dmarc_present")], (size / 2).to_string());
    }
    for (how, _) in DAMAGES {
        let warned = format!("skipped {}: DAMAGED", scans.join("fin").join(how).display());
        assert!(stderr.contains(&warned), "{how}: {stderr}");
    }
}

#[tokio::test]
async fn diff_refuses_a_damaged_scan_and_warns_of_two_lists() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (zone, list, _) = fin_list(root);
    let (old, new) = (root.join("old"), root.join("new"));
    scan_with(&zone, &list, &old, "2023-05-01T00:00:00Z", &[]).await;
    scan_with(&zone, &list, &new, "2023-06-01T00:00:00Z", &[]).await;
    damage(&new, "truncated");
    let out = root.join("changes.csv");
    let diff = |old: &Path, new: &Path| {
        vec![
            "diff".to_owned(),
            old.display().to_string(),
            new.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    let output = run(root, diff(&old, &new)).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("DAMAGED") && stderr.contains("nothing compared"),
        "{stderr}"
    );
    assert!(!out.exists(), "a refused diff wrote {}", out.display());

    // A scan of another list: compared, with a warning that says so.
    let other = root.join("other.txt");
    let (_, names) = world();
    write_list(
        &other,
        &names[..10].iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let third = root.join("third");
    scan_with(&zone, &other, &third, "2023-06-01T00:00:00Z", &[]).await;
    let output = run(root, diff(&old, &third)).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("is a scan of fin and"), "{stderr}");
    assert!(stderr.contains("of other"), "{stderr}");
    let rows = std::fs::read_to_string(&out).unwrap().lines().count() - 1;
    assert_eq!(rows, names.len() - 10, "the names only in fin are removed");
}

#[tokio::test]
async fn merge_refuses_a_damaged_or_unfinished_shard() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (zone, list, size) = fin_list(root);
    let shards: Vec<PathBuf> = (0..2).map(|i| root.join(format!("shard{i}"))).collect();
    for (i, shard) in shards.iter().enumerate() {
        let flag = format!("{i}/2");
        scan_with(
            &zone,
            &list,
            shard,
            "2023-05-01T00:00:00Z",
            &["--shard", &flag],
        )
        .await;
    }
    let merge = |out: &Path| {
        let mut args = vec!["merge".to_owned()];
        args.extend(shards.iter().map(|s| s.display().to_string()));
        args.extend(["--out".into(), out.display().to_string()]);
        args
    };
    // Intact, they merge into the whole list.
    let whole = root.join("whole");
    let output = run(root, merge(&whole)).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(records(&whole).len(), size);

    damage(&shards[1], "truncated");
    let out = root.join("merged");
    let output = run(root, merge(&out)).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("shard1 is DAMAGED"), "{stderr}");
    assert!(!out.exists());

    interrupt(&shards[0], 1);
    let output = run(root, merge(&out)).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("shard0 did not finish"), "{stderr}");
    assert!(!out.exists());
}

#[tokio::test]
async fn resume_accepts_a_flag_given_again_with_the_scans_value_and_names_one_that_differs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (zone, list, size) = fin_list(root);
    let dns = DnsFixture::start(Zone::parse(&zone)).await;
    let scan = root.join("scan");
    let mut args: Vec<String> = ["scan", &list.display().to_string(), "--out"]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    args.push(scan.display().to_string());
    for flag in [
        "--resolver",
        &dns.resolver_arg(),
        "--concurrency",
        "3",
        "--no-starttls",
    ] {
        args.push(flag.to_owned());
    }
    let output = run(root, args).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    interrupt(&scan, 4);
    let resume = |extra: &[&str]| {
        let mut args = vec![
            "scan".to_owned(),
            "--resume".into(),
            scan.display().to_string(),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        args
    };

    let output = run(root, resume(&["--concurrency", "4", "--no-starttls"])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("these differ: --concurrency 4 (the scan's: 3)"),
        "{stderr}"
    );
    // --no-starttls is the scan's own: not named.
    assert!(!stderr.contains("--no-starttls"), "{stderr}");
    let output = run(root, resume(&["--out", "elsewhere"])).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !scan.join("scan.json").exists(),
        "a refused resume finished the scan"
    );
    assert_eq!(
        records(&scan).len(),
        size - 4,
        "a refused resume wrote records"
    );

    // The scan's own values, given again, resume it.
    let output = run(
        root,
        resume(&[
            "--concurrency",
            "3",
            "--resolver",
            &dns.resolver_arg(),
            "--quiet",
        ]),
    )
    .await;
    dns.stop().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(records(&scan).len(), size);
    assert!(scan.join("scan.json").exists());
}
