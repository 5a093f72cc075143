//! Behaviour the documentation promises and no other test held: each test here fails
//! when the rule it names is removed (a wrong-class answer taken, FORMERR not asked
//! again without EDNS, a signal or a refusal of `merge` or `--resume` lost, a torn
//! line kept, a formula let through, the README's CSV columns reordered, `--qps` not
//! reaching the rate limiter).

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mailposture::dns::{Dns, Outcome, ResolverSettings, TempFailKind, Transport};

use crate::support::cmd::{command, run, wait_bounded};
use crate::support::history::{records, scan_with, write_list};
use crate::support::raw_dns::{Behaviour, RawDns};
use crate::support::{DnsFixture, Zone, slow_world};

const SPF: &str = "v=spf1 ip4:192.0.2.0/24 -all";
const TIMEOUT: Duration = Duration::from_millis(300);
const TIME: &str = "2024-03-01T00:00:00Z";

fn bulk(mut settings: ResolverSettings) -> Dns {
    settings.transport = Transport::Bulk;
    Dns::from_settings(&settings).expect("bulk transport")
}

/// An answer whose question has the right name and type but class CH is not the answer
/// to the IN question sent: the bulk transport drops it, counts it, and the question
/// times out. The control server, the same but for the class, is answered.
#[tokio::test]
async fn an_answer_of_another_class_is_dropped_and_counted() {
    for (behaviour, answered) in [(Behaviour::Correct, true), (Behaviour::WrongClass, false)] {
        let server = RawDns::start(behaviour, vec![SPF.as_bytes().to_vec()]).await;
        let dns = bulk(server.settings(TIMEOUT, 1));
        let outcome = dns.txt("class.test").await;
        let figures = dns.figures();
        let asked = server.counts.udp();
        server.stop().await;
        assert_eq!(asked, 1, "{behaviour:?}");
        if answered {
            assert_eq!(outcome, Outcome::Answer(vec![SPF.to_owned()]));
            assert_eq!(figures.spoofed_or_stray, Some(0));
        } else {
            match outcome {
                Outcome::TempFail(t) => assert_eq!(t.kind, TempFailKind::Timeout, "{t:?}"),
                other => panic!("an answer of class CH was taken: {other:?}"),
            }
            assert_eq!(figures.spoofed_or_stray, Some(1));
        }
    }
}

/// A server that answers FORMERR to a query with EDNS is asked again without it
/// (RFC 6891 §7), once, and that answer is taken.
#[tokio::test]
async fn formerr_to_edns_is_asked_again_without_it() {
    let server = RawDns::start(Behaviour::FormErrOnEdns, vec![SPF.as_bytes().to_vec()]).await;
    // One attempt: the second query must not use up an attempt.
    let dns = bulk(server.settings(TIMEOUT, 1));
    let outcome = dns.txt("old-server.test").await;
    let edns = server.counts.udp_edns.lock().unwrap().clone();
    server.stop().await;
    assert_eq!(outcome, Outcome::Answer(vec![SPF.to_owned()]));
    assert_eq!(edns, [true, false], "EDNS in each query, in order");
}

/// Runs the binary with `args` in `dir` and returns its exit status and stderr, after
/// checking nothing about either.
async fn run_in(dir: &Path, args: &[&str]) -> (std::process::ExitStatus, String) {
    let output = run(dir, args.iter().map(|a| a.to_string()).collect()).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status, stderr)
}

/// SIGTERM stops a scan as SIGINT does, with exit code 143 (128 + 15) and the command
/// that resumes it. The names past the first ten are never answered, so the scan is
/// still running when the signal comes, whatever the machine's speed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_a_scan_with_143_and_says_how_to_resume() {
    let (zone, names) = slow_world();
    let dns = DnsFixture::start(zone).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    write_list(&list, &names.iter().map(String::as_str).collect::<Vec<_>>());
    let out = dir.path().join("scan");
    let (status, stderr) = tokio::task::block_in_place(|| {
        let mut child = command()
            .args(["scan", &list.display().to_string()])
            .args(["--out", &out.display().to_string()])
            .args([
                "--resolver",
                &dns.resolver_arg(),
                "--quiet",
                "--no-starttls",
            ])
            .args(["--concurrency", "2", "--timeout", "30", "--attempts", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mailposture");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::fs::metadata(out.join("results.jsonl")).map_or(true, |m| m.len() == 0) {
            assert!(Instant::now() < deadline, "no records after 30 s");
            std::thread::sleep(Duration::from_millis(5));
        }
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        // In-flight domains get up to 5 s; the silent ones would take 30 s.
        let status = wait_bounded(&mut child, Duration::from_secs(20));
        let output = child.wait_with_output().unwrap();
        (status, String::from_utf8_lossy(&output.stderr).into_owned())
    });
    dns.stop().await;
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("SIGTERM"), "{stderr}");
    assert!(
        stderr.contains("resume with: mailposture scan --resume"),
        "{stderr}"
    );
    assert!(!out.join("scan.json").exists());
    // The signal comes once the first record is on disk: what is written by then, and
    // the domains in flight, are kept; the silent domains never finish.
    let written = records(&out);
    assert!(
        (1..30).contains(&written.len()),
        "{} records",
        written.len()
    );
}

/// A scan killed mid-write leaves half a record at the end of `results.jsonl`; `scan
/// --resume` cuts it off and scans that domain again: every domain once, each record
/// as the uninterrupted scan wrote it.
#[tokio::test]
async fn resume_cuts_a_torn_last_line() {
    let mut zone = Zone::new();
    let names: Vec<String> = (0..30).map(|i| format!("torn{i}.example.jp")).collect();
    for name in &names {
        zone.txt_text(name, "v=spf1 ip4:192.0.2.0/24 -all");
    }
    let dns = DnsFixture::start(zone).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    write_list(&list, &names.iter().map(String::as_str).collect::<Vec<_>>());
    let out = dir.path().join("scan");
    let resolver = dns.resolver_arg();
    let (status, stderr) = run_in(
        dir.path(),
        &[
            "scan",
            &list.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--resolver",
            &resolver,
            "--quiet",
            "--no-starttls",
            "--scan-time",
            TIME,
        ],
    )
    .await;
    assert!(status.success(), "{stderr}");
    let whole = records(&out);
    assert_eq!(whole.len(), names.len());

    // What a kill -9 in the middle of the 13th write leaves: 12 records, half of the
    // 13th without its line end, and no scan.json.
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let torn = lines[12];
    let kept = lines[..12].join("\n") + "\n" + &torn[..torn.len() / 2];
    std::fs::write(out.join("results.jsonl"), &kept).unwrap();
    std::fs::remove_file(out.join("scan.json")).unwrap();

    let (status, stderr) = run_in(
        dir.path(),
        &["scan", "--resume", &out.display().to_string(), "--quiet"],
    )
    .await;
    dns.stop().await;
    assert!(status.success(), "{stderr}");
    let after = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    assert!(after.starts_with(&(lines[..12].join("\n") + "\n")));
    assert!(!after.contains(&format!("{}{{", &torn[..torn.len() / 2])));
    // records() panics on a torn line or a domain written twice.
    assert_eq!(records(&out), whole);
    let scan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("scan.json")).unwrap()).unwrap();
    assert_eq!(scan["input"]["already_scanned"], 12);
}

/// A scan of standard input cannot be resumed: the list cannot be read again. The
/// refusal says so and leaves the records as they were.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_of_a_scan_of_standard_input_is_refused() {
    let mut zone = Zone::new();
    zone.txt_text("in1.example.jp", "v=spf1 -all")
        .txt_text("in2.example.jp", "v=spf1 -all");
    let dns = DnsFixture::start(zone).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scan");
    let resolver = dns.resolver_arg();
    let output = tokio::task::block_in_place(|| {
        let mut child = command()
            .args(["scan", "-", "--out", &out.display().to_string()])
            .args(["--resolver", &resolver, "--quiet", "--no-starttls"])
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mailposture");
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"in1.example.jp\nin2.example.jp\n")
            .unwrap();
        drop(stdin);
        wait_bounded(&mut child, Duration::from_secs(60));
        child.wait_with_output().unwrap()
    });
    dns.stop().await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(records(&out).len(), 2);
    // As a scan killed after its records: no scan.json.
    std::fs::remove_file(out.join("scan.json")).unwrap();
    let before = std::fs::read(out.join("results.jsonl")).unwrap();
    let (status, stderr) = run_in(
        dir.path(),
        &["scan", "--resume", &out.display().to_string(), "--quiet"],
    )
    .await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("read standard input, which cannot be read again"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(out.join("results.jsonl")).unwrap(), before);
}

/// `merge` refuses a shard given twice and shards of another list, and writes nothing;
/// the same shards, each once and of one list, merge.
#[tokio::test]
async fn merge_refuses_a_repeated_shard_and_shards_of_other_lists() {
    let mut zone = String::new();
    let names: Vec<String> = (0..40).map(|i| format!("m{i}.example.jp")).collect();
    for name in &names {
        zone.push_str(&format!("{name}. IN TXT \"v=spf1 -all\"\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (fin, other) = (root.join("fin.txt"), root.join("other.txt"));
    write_list(&fin, &names);
    write_list(&other, &names);
    let shard = |list: &Path, i: u32| {
        let out = root.join(format!(
            "{}-{i}",
            list.file_stem().unwrap().to_string_lossy()
        ));
        (out, ["--shard".to_owned(), format!("{i}/2")])
    };
    let (fin0, flags0) = shard(&fin, 0);
    let (fin1, flags1) = shard(&fin, 1);
    let (other1, flags_other) = shard(&other, 1);
    for (list, out, flags) in [
        (&fin, &fin0, &flags0),
        (&fin, &fin1, &flags1),
        (&other, &other1, &flags_other),
    ] {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        scan_with(&zone, list, out, TIME, &flags).await;
    }
    let merged = root.join("merged");
    let merge = |dirs: &[&Path]| {
        let mut args = vec!["merge".to_owned()];
        args.extend(dirs.iter().map(|d| d.display().to_string()));
        args.extend(["--out".to_owned(), merged.display().to_string()]);
        run(root, args)
    };

    let output = merge(&[&fin0, &fin0, &fin1]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("shard 0/2 given twice"), "{stderr}");
    assert!(!merged.join("results.jsonl").exists());

    let output = merge(&[&fin0, &other1]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("are not shards of one scan: their lists differ"),
        "{stderr}"
    );
    assert!(!merged.join("results.jsonl").exists());

    let output = merge(&[&fin1, &fin0]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(records(&merged).len(), names.len());
}

/// The `results.csv` columns in the order the README's "Output" section lists them,
/// written out here rather than taken from the code, so that a reordering fails.
const README_CSV_HEADER: &str = "domain,scanned_at,spf_status,spf_errors,spf_lookups,\
spf_void_lookups,spf_all,spf_dangling_includes,spf_warnings,spf_record,dmarc_status,\
dmarc_present,dmarc_source,dmarc_policy_domain,dmarc_policy,dmarc_p,dmarc_sp,dmarc_np,\
dmarc_pct,dmarc_t,dmarc_rua,dmarc_rua_authorized,dmarc_errors,dmarc_warnings,\
dmarc_record,mx_status,mx_hosts,mx_errors,starttls,starttls_tls_versions,\
starttls_cert_valid,mta_sts_status,mta_sts_mode,mta_sts_holds,mta_sts_errors,\
tls_rpt_status,dnssec,dane,dkim_status,dkim_selectors_found,dkim_weakest_key_bits,\
bimi_status";

const CSV_WORLD: &str = "ok.example.jp. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n\
_dmarc.ok.example.jp. IN TXT \"v=DMARC1; p=reject\"\n\
two.example.jp. IN TXT \"v=spf1 -all\"\n\
two.example.jp. IN TXT \"v=spf1 ~all\"\n";

/// The first line of `results.csv` is the README's header, and `--jsonl -` writes to
/// standard output the records the file would hold, one a line, with their facts.
#[tokio::test]
async fn csv_columns_are_the_readmes_and_jsonl_to_stdout_holds_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    write_list(
        &list,
        &["ok.example.jp", "two.example.jp", "none.example.jp"],
    );
    let files = dir.path().join("files");
    scan_with(CSV_WORLD, &list, &files, TIME, &[]).await;
    let csv = std::fs::read_to_string(files.join("results.csv")).unwrap();
    assert_eq!(csv.lines().next(), Some(README_CSV_HEADER));

    let dns = DnsFixture::start(Zone::parse(CSV_WORLD)).await;
    let output = run(
        dir.path(),
        [
            "scan",
            &list.display().to_string(),
            "--out",
            &dir.path().join("piped").display().to_string(),
            "--resolver",
            &dns.resolver_arg(),
            "--quiet",
            "--no-starttls",
            "--scan-time",
            TIME,
            "--jsonl",
            "-",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    dns.stop().await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.ends_with('\n'), "{stdout}");
    let mut piped = std::collections::BTreeMap::new();
    for line in stdout.lines() {
        let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
        let object = record.as_object_mut().unwrap();
        object.remove("elapsed_ms");
        let domain = object["domain"].as_str().unwrap().to_owned();
        assert!(piped.insert(domain, record).is_none(), "{line}");
    }
    let facts: Vec<(&str, &str, &str, &str)> = piped
        .iter()
        .map(|(domain, r)| {
            (
                domain.as_str(),
                r["scanned_at"].as_str().unwrap(),
                r["spf"]["status"].as_str().unwrap(),
                r["dmarc"]["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        facts,
        [
            ("none.example.jp", TIME, "none", "none"),
            ("ok.example.jp", TIME, "ok", "ok"),
            ("two.example.jp", TIME, "permerror", "none"),
        ]
    );
    assert_eq!(piped["ok.example.jp"]["spf"]["all"], "-all");
    assert_eq!(piped, records(&files));
}

/// A cell of the `diff` CSV that a spreadsheet would run as a formula is made text: a
/// new dangling include named `-x.example.jp` (a name DNS allows) reads `'-x.example.jp`.
/// In `trend.csv`, a list whose name starts with `=` gives the group `'=…`.
#[tokio::test]
async fn diff_and_trend_csvs_guard_formula_cells() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let list = root.join("=1+2.txt");
    write_list(&list, &["f.example.jp"]);
    let old = "f.example.jp. IN TXT \"v=spf1 -all\"\n";
    let new = "f.example.jp. IN TXT \"v=spf1 include:-x.example.jp -all\"\n";
    let scans = root.join("scans");
    let (a, b) = (scans.join("a"), scans.join("b"));
    scan_with(old, &list, &a, "2024-01-01T00:00:00Z", &[]).await;
    scan_with(new, &list, &b, "2024-02-01T00:00:00Z", &[]).await;
    let spf = &records(&b)["f.example.jp"]["spf"];
    assert_eq!(spf["dangling_includes"][0], "-x.example.jp", "{spf:#}");

    let (status, stderr) = run_in(
        root,
        &[
            "diff",
            &a.display().to_string(),
            &b.display().to_string(),
            "--out",
            "diff.csv",
        ],
    )
    .await;
    assert!(status.success(), "{stderr}");
    let diff = std::fs::read_to_string(root.join("diff.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(diff.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = header
        .iter()
        .position(|h| h == "new_dangling_includes")
        .unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1, "{diff}");
    assert_eq!(&rows[0][col], "'-x.example.jp", "{diff}");

    let (status, stderr) = run_in(
        root,
        &["trend", &scans.display().to_string(), "--out", "trend.csv"],
    )
    .await;
    assert!(status.success(), "{stderr}");
    let trend = std::fs::read_to_string(root.join("trend.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(trend.as_bytes());
    let header = reader.headers().unwrap().clone();
    let group = header.iter().position(|h| h == "group").unwrap();
    let groups: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[group].to_owned())
        .collect();
    assert_eq!(groups, ["'=1+2", "'=1+2"], "{trend}");
}

/// `--qps N` on the command line reaches the rate limiter, over either transport: the
/// responder notes when each question arrives, and no one-second window holds more
/// than the burst of N and N more (plus N of slack for the responder's own delays).
/// Without the cap, every question of the scan would arrive within one window. A
/// property of counts, which a slow machine can only make smaller.
#[tokio::test]
async fn qps_flag_caps_every_one_second_window() {
    const QPS: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..24).map(|i| format!("q{i}.example.jp")).collect();
    let list = dir.path().join("list.txt");
    write_list(&list, &names.iter().map(String::as_str).collect::<Vec<_>>());
    for transport in ["bulk", "standard"] {
        let server = RawDns::start(Behaviour::Correct, vec![SPF.as_bytes().to_vec()]).await;
        let out = dir.path().join(transport);
        let (status, stderr) = run_in(
            dir.path(),
            &[
                "scan",
                &list.display().to_string(),
                "--out",
                &out.display().to_string(),
                "--resolver",
                &server.addr.to_string(),
                "--quiet",
                "--no-starttls",
                "--transport",
                transport,
                "--qps",
                &QPS.to_string(),
            ],
        )
        .await;
        let arrivals = server.counts.udp_arrivals.lock().unwrap().clone();
        server.stop().await;
        assert!(status.success(), "{transport}: {stderr}");
        assert_eq!(records(&out).len(), names.len());
        let limit = 3 * QPS;
        assert!(
            arrivals.len() > limit,
            "{transport}: {} questions are too few to tell",
            arrivals.len()
        );
        let busiest = arrivals
            .iter()
            .map(|start| {
                arrivals
                    .iter()
                    .filter(|t| **t >= *start && t.duration_since(*start) < Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap();
        assert!(
            busiest <= limit,
            "{transport}: {busiest} of {} questions in one second",
            arrivals.len()
        );
    }
}
