//! How a run ends and what it tells a person (issue 15), through the built binary: exit
//! codes, the notices that come before the figures when little was measured,
//! `--fail-on`, several domains for `check`, `-` for outputs, terminal-safe text, and the
//! conventions of the command line (help headings, completions, man page, colour).

use std::path::Path;
use std::process::Output;

use crate::support::cmd::{self, command, run};
use crate::support::{DnsFixture, Zone};

/// Two healthy domains and one with `p=none`; everything else is outside the fixture's
/// data.
const WORLD: &str = r#"
good.example.jp.        IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.good.example.jp. IN TXT "v=DMARC1; p=reject"
good.example.jp.        IN MX 10 mx.good.example.jp.
mx.good.example.jp.     IN A 192.0.2.25
lax.example.jp.         IN TXT "v=spf1 -all"
_dmarc.lax.example.jp.  IN TXT "v=DMARC1; p=none"
"#;

/// A loopback address and port where no DNS server listens: every question times out.
const SILENT_RESOLVER: &str = "127.53.255.254:53";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| (*a).to_owned()).collect()
}

/// `scan LIST --out OUT --resolver RESOLVER --quiet --no-starttls` and `extra`.
fn scan_args(list: &str, out: &Path, resolver: &str, extra: &[&str]) -> Vec<String> {
    cmd::scan_args(Path::new(list), out, resolver, extra)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every DNS question failed: nothing was measured. The scan says so first, with the
/// resolver and the cause, exits 1, and still leaves a scan directory to inspect, whose
/// figures over empty populations are null, not 0%.
#[tokio::test]
async fn a_scan_in_which_every_question_failed_is_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "l.txt",
        "good.example.jp\nlax.example.jp\nx.test\n",
    );
    let out = dir.path().join("scan");
    let output = run(
        dir.path(),
        scan_args(
            &list,
            &out,
            SILENT_RESOLVER,
            &["--timeout", "0.2", "--attempts", "1"],
        ),
    )
    .await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let first = err.lines().next().unwrap();
    assert!(
        first.starts_with("error: all 3 domains temperror, nothing was measured: resolver 127.53.255.254:53: timeout"),
        "{err}"
    );
    // The directory is complete and can be inspected.
    let records = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    assert_eq!(records.lines().count(), 3);
    assert!(out.join("scan.json").is_file());
    let scan = read_json(&out.join("scan.json"));
    assert_eq!(
        scan["dns"]["resolvers"],
        serde_json::json!([SILENT_RESOLVER])
    );
    // Each domain's first question timed out; its other four were not asked.
    assert_eq!(
        scan["dns"]["failure_causes"],
        serde_json::json!([
            {"cause": "not asked: the domain's name servers did not answer an earlier question", "questions": 15},
            // Each domain's first question, and the scan's question of whether the
            // resolver validates DNSSEC.
            {"cause": "timeout: no answer within the timeout", "questions": 4},
        ])
    );
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["notices"][0]["kind"], "nothing_measured");
    assert_eq!(summary["figures"]["spf_present"]["of"], 0);
    assert_eq!(
        summary["figures"]["spf_present"]["percent"],
        serde_json::Value::Null
    );
    assert_eq!(summary["figures"]["temperror"]["percent"], 100.0);
    // The table spells an empty share n/a, never 0.0%.
    let spf_row = err
        .lines()
        .find(|l| l.trim_start().starts_with("SPF present"))
        .unwrap();
    assert!(
        spf_row.contains("n/a") && !spf_row.contains('%'),
        "{spf_row}"
    );
}

/// At least half of the domains ended in temperror: a warning first, exit 0 (something
/// was measured), and `--fail-on temperror` turns it into exit 3.
#[tokio::test]
async fn mostly_temperror_is_said_first_and_fail_on_catches_it() {
    let mut zone = Zone::parse(WORLD);
    // The fixture never answers for these names: two of three domains are unknown.
    zone.silent("quiet.example.jp")
        .silent("_dmarc.quiet.example.jp")
        .silent("hushed.example.jp")
        .silent("_dmarc.hushed.example.jp");
    let dns = DnsFixture::start(zone).await;
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "l.txt",
        "good.example.jp\nquiet.example.jp\nhushed.example.jp\n",
    );
    let scan = |name: &str, extra: &[&str]| {
        let brief = ["--attempts", "1", "--timeout", "0.5"];
        scan_args(
            &list,
            &dir.path().join(name),
            &dns.resolver_arg(),
            &[&brief, extra].concat(),
        )
    };
    let plain = run(dir.path(), scan("a", &[])).await;
    let gated = run(
        dir.path(),
        scan("b", &["--fail-on", "temperror,dmarc-none"]),
    )
    .await;
    dns.stop().await;
    let err = stderr(&plain);
    assert_eq!(plain.status.code(), Some(0), "{err}");
    assert!(
        err.lines()
            .next()
            .unwrap()
            .starts_with("warning: 2 of 3 domains (66.7%) temperror"),
        "{err}"
    );
    let summary = read_json(&dir.path().join("a/summary.json"));
    assert_eq!(summary["notices"][0]["kind"], "mostly_temperror");
    let err = stderr(&gated);
    assert_eq!(gated.status.code(), Some(3), "{err}");
    assert!(err.contains("--fail-on: found temperror (2)"), "{err}");
    assert!(!err.contains("dmarc-none"), "{err}");
}

/// `--fail-on` names kinds; a run that found none of them exits 0, one that found any
/// exits 3 and says which, with how many domains.
#[tokio::test]
async fn fail_on_exits_3_only_for_the_kinds_named() {
    let dns = DnsFixture::from_text(WORLD).await;
    let dir = tempfile::tempdir().unwrap();
    let list = write(dir.path(), "l.txt", "good.example.jp\nlax.example.jp\n");
    let mut outputs = Vec::new();
    for (name, kinds) in [
        ("a", "permerror,dmarc-missing"),
        ("b", "dmarc-none,spf-missing"),
        ("c", "starttls-missing"),
    ] {
        let output = run(
            dir.path(),
            scan_args(
                &list,
                &dir.path().join(name),
                &dns.resolver_arg(),
                &["--fail-on", kinds],
            ),
        )
        .await;
        outputs.push(output);
    }
    let check = run(
        dir.path(),
        args(&[
            "check",
            "good.example.jp",
            "lax.example.jp",
            "--resolver",
            &dns.resolver_arg(),
            "--no-starttls",
            "--fail-on",
            "dmarc-none",
        ]),
    )
    .await;
    dns.stop().await;
    assert_eq!(outputs[0].status.code(), Some(0), "{}", stderr(&outputs[0]));
    assert_eq!(outputs[1].status.code(), Some(3), "{}", stderr(&outputs[1]));
    assert!(stderr(&outputs[1]).contains("--fail-on: found dmarc-none (1)"));
    // Nothing was probed: no host lacks STARTTLS.
    assert_eq!(outputs[2].status.code(), Some(0), "{}", stderr(&outputs[2]));
    assert_eq!(check.status.code(), Some(3), "{}", stderr(&check));
}

/// Values clap accepts but the validation refuses are usage errors (2), as clap's own
/// are; each message says what is wrong once.
#[tokio::test]
async fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(dir.path(), "l.txt", "good.example.jp\n");
    for bad in [
        vec!["scan", &list, "--concurrency", "0"],
        vec!["scan", &list, "--concurrency", "abc"],
        vec!["scan", &list, "--timeout", "0"],
        vec!["scan", &list, "--scan-time", "April 2023"],
        vec!["scan", &list, "--resolver", "dns.example"],
        vec!["scan", &list, "--fail-on", "nonsense"],
        vec!["check", "bad..name"],
        vec!["check"],
    ] {
        let output = run(dir.path(), args(&bad)).await;
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{bad:?}: {err}");
        assert!(err.starts_with("error: "), "{bad:?}: {err}");
    }
    let output = run(
        dir.path(),
        args(&["scan", &list, "--scan-time", "April 2023"]),
    )
    .await;
    assert_eq!(stderr(&output).matches("RFC 3339").count(), 1);
    // A list that cannot be read is a run-level failure, not a usage error.
    let missing = run(dir.path(), args(&["scan", "no-such-list.txt"])).await;
    assert_eq!(missing.status.code(), Some(1), "{}", stderr(&missing));
}

/// `check` takes several domains: the readable reports one after the other, and with
/// `--json` one JSON line per domain, in the order given.
#[tokio::test]
async fn check_takes_several_domains() {
    let dns = DnsFixture::from_text(WORLD).await;
    let dir = tempfile::tempdir().unwrap();
    let base = ["--resolver", &dns.resolver_arg(), "--no-starttls"];
    let mut text = args(&["check", "good.example.jp", "lax.example.jp"]);
    text.extend(args(&base));
    let mut json = text.clone();
    json.push("--json".into());
    let text = run(dir.path(), text).await;
    let json = run(dir.path(), json).await;
    dns.stop().await;
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let out = stdout(&text);
    let good = out.find("good.example.jp\n").unwrap();
    let lax = out.find("\nlax.example.jp\n").unwrap();
    assert!(good < lax, "{out}");
    assert!(out[lax..].contains("DMARC  ok  policy none"), "{out}");
    let lines: Vec<serde_json::Value> = stdout(&json)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["domain"], "good.example.jp");
    assert_eq!(lines[1]["dmarc"]["p"], "none");
}

/// `check` of a domain whose lookups failed says the parts are not known; it never
/// claims that there is no record.
#[tokio::test]
async fn check_does_not_call_a_failed_lookup_an_absence() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(
        dir.path(),
        args(&[
            "check",
            "good.example.jp",
            "--resolver",
            SILENT_RESOLVER,
            "--timeout",
            "0.2",
            "--attempts",
            "1",
            "--no-starttls",
        ]),
    )
    .await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(out.contains("DMARC  temperror  not known"), "{out}");
    assert!(out.contains("SPF    temperror  not known"), "{out}");
    assert!(!out.contains("no record"), "{out}");
    assert!(!out.contains("no SPF record"), "{out}");
    assert!(
        stderr(&output).starts_with("error: the domain ended in temperror, nothing was measured"),
        "{}",
        stderr(&output)
    );
}

/// Records whose text would drive a terminal: clear the screen (ESC [2J), set the
/// window title (OSC 0), return to the line's start and overwrite the verdict (CR),
/// erase (BS), and reverse what follows (U+202E). `check` shows them escaped; JSON and
/// CSV keep the exact text.
#[tokio::test]
async fn text_from_dns_reaches_the_terminal_escaped() {
    // The control characters stand raw inside the quoted strings: hickory's zone parser
    // reads a `\DDD` escape of three digits wrongly.
    let dns = DnsFixture::from_text(
        "evil.example.jp. IN TXT \"v=spf1 \u{1b}[2J -all\"\n\
         _dmarc.evil.example.jp. IN TXT \"v=DMARC1; p=none\rDMARC  ok  policy reject\u{8}\u{8}; \
         rua=mailto:\u{1b}]0;owned\u{7}x@evil.example.jp; \
         ruf=mailto:\u{202e}gro.live@evil.example.jp\"\n",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let list = write(dir.path(), "l.txt", "evil.example.jp\n");
    let check = run(
        dir.path(),
        args(&[
            "check",
            "evil.example.jp",
            "--resolver",
            &dns.resolver_arg(),
            "--no-starttls",
        ]),
    )
    .await;
    let json = run(
        dir.path(),
        args(&[
            "check",
            "evil.example.jp",
            "--json",
            "--resolver",
            &dns.resolver_arg(),
            "--no-starttls",
        ]),
    )
    .await;
    let out_dir = dir.path().join("scan");
    let scan = run(
        dir.path(),
        scan_args(&list, &out_dir, &dns.resolver_arg(), &[]),
    )
    .await;
    dns.stop().await;
    let out = stdout(&check);
    for forbidden in ['\u{1b}', '\r', '\u{8}', '\u{7}', '\u{202e}'] {
        assert!(!out.contains(forbidden), "{forbidden:?} in {out:?}");
        assert!(!stderr(&check).contains(forbidden), "{forbidden:?}");
    }
    assert!(out.contains("v=spf1 \\x1b[2J -all"), "{out}");
    assert!(
        out.contains("p=none\\rDMARC  ok  policy reject\\x08\\x08"),
        "{out}"
    );
    assert!(out.contains("\\x1b]0;owned\\x07"), "{out}");
    assert!(out.contains("\\u{202e}gro.live"), "{out}");
    // The verdict line is the scanner's, whole.
    assert!(
        out.lines().any(|l| l.starts_with("DMARC  invalid")),
        "{out}"
    );
    let record: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert!(
        record["dmarc"]["records"][0]
            .as_str()
            .unwrap()
            .contains("p=none\rDMARC  ok  policy reject\u{8}\u{8}")
    );
    assert_eq!(record["spf"]["record"], "v=spf1 \u{1b}[2J -all");
    assert!(scan.status.success(), "{}", stderr(&scan));
    let csv = std::fs::read_to_string(out_dir.join("results.csv")).unwrap();
    assert!(csv.contains("v=spf1 \u{1b}[2J -all"), "{csv:?}");
}

/// `-` is standard output for `trend --out` and `diff --out`, with the table or the
/// counts moved to standard error so the CSV stays clean.
#[tokio::test]
async fn dash_is_standard_output_for_trend_and_diff() {
    let dns = DnsFixture::from_text(WORLD).await;
    let dir = tempfile::tempdir().unwrap();
    let list = write(dir.path(), "fin.txt", "good.example.jp\nlax.example.jp\n");
    let scans = dir.path().join("scans");
    let mut dirs = Vec::new();
    for time in ["2023-01-01T00:00:00Z", "2023-06-01T00:00:00Z"] {
        let out = scans.join("fin").join(time.replace(':', "-"));
        let output = run(
            dir.path(),
            scan_args(&list, &out, &dns.resolver_arg(), &["--scan-time", time]),
        )
        .await;
        assert!(output.status.success(), "{}", stderr(&output));
        dirs.push(out);
    }
    dns.stop().await;
    let trend = run(
        dir.path(),
        args(&["trend", scans.to_str().unwrap(), "--out", "-"]),
    )
    .await;
    assert!(trend.status.success(), "{}", stderr(&trend));
    let csv = stdout(&trend);
    assert!(csv.starts_with("period,group,scans,domains"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(stderr(&trend).contains("period"), "{}", stderr(&trend));
    assert!(!Path::new(&scans.join("trend.csv")).exists());
    let diff = run(
        dir.path(),
        args(&[
            "diff",
            dirs[0].to_str().unwrap(),
            dirs[1].to_str().unwrap(),
            "--out",
            "-",
        ]),
    )
    .await;
    assert!(diff.status.success(), "{}", stderr(&diff));
    assert!(stdout(&diff).starts_with("domain,"), "{}", stdout(&diff));
    assert!(!dirs[1].join("diff--.csv").exists());
}

/// `--help` groups the options under headings and lists the exit codes; completions and
/// the man page come from the same definition.
#[test]
fn help_completions_and_man_page() {
    let help = command().args(["scan", "--help"]).output().unwrap();
    let text = stdout(&help);
    for heading in [
        "Input:",
        "DNS:",
        "STARTTLS and MTA-STS:",
        "Output:",
        "Scan control:",
    ] {
        assert!(text.contains(heading), "{heading} in {text}");
    }
    assert!(
        text.contains("Examples:") && text.contains("Exit codes:"),
        "{text}"
    );
    assert!(text.contains("--fail-on <KINDS>"), "{text}");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = command().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}");
        assert!(stdout(&output).contains("fail-on"), "{shell}");
    }
    let man = command().arg("man").output().unwrap();
    assert!(man.status.success());
    let page = stdout(&man);
    assert!(
        page.starts_with(".ie") || page.contains(".TH mailposture"),
        "{page}"
    );
    assert!(page.contains("completions"), "{page}");
}

/// Verdict words are coloured only where colour helps: not in a pipe, not with
/// `NO_COLOR`, and yes when colour is forced.
#[tokio::test]
async fn colour_only_when_wanted() {
    let dns = DnsFixture::from_text(WORLD).await;
    let check = |env: &[(&str, &str)]| {
        let mut c = command();
        c.args([
            "check",
            "good.example.jp",
            "--resolver",
            &dns.resolver_arg(),
            "--no-starttls",
        ])
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
        for (k, v) in env {
            c.env(k, v);
        }
        c
    };
    let mut commands = [
        check(&[]),
        check(&[("CLICOLOR_FORCE", "1")]),
        check(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]),
    ];
    let outputs: Vec<Output> = tokio::task::spawn_blocking(move || {
        commands.iter_mut().map(|c| c.output().unwrap()).collect()
    })
    .await
    .unwrap();
    dns.stop().await;
    assert!(!stdout(&outputs[0]).contains('\u{1b}'));
    assert!(
        stdout(&outputs[1]).contains("\u{1b}["),
        "{}",
        stdout(&outputs[1])
    );
    assert!(!stdout(&outputs[2]).contains('\u{1b}'));
}

/// MX hosts probed for STARTTLS that no connection reached say so once, instead of a
/// silent column of n/a; so do hosts that were all skipped for want of a public address.
#[tokio::test]
async fn unreachable_or_skipped_mx_hosts_are_said_once() {
    let mut zone = Zone::new();
    zone.a("mx.a.example.jp", "127.25.250.1".parse().unwrap())
        .mx("a.example.jp", 10, "mx.a.example.jp");
    zone.a("mx.b.example.jp", "127.25.250.2".parse().unwrap())
        .mx("b.example.jp", 10, "mx.b.example.jp");
    let dns = DnsFixture::start(zone).await;
    // A port nothing listens on: bound, then let go.
    let port = std::net::TcpListener::bind("127.25.250.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let list = write(dir.path(), "l.txt", "a.example.jp\nb.example.jp\n");
    let scan = |name: &str, extra: &[&str]| {
        let mut a = args(&[
            "scan",
            &list,
            "--out",
            dir.path().join(name).to_str().unwrap(),
            "--resolver",
            &dns.resolver_arg(),
            "--quiet",
            "--smtp-port",
            &port,
        ]);
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let refused = run(dir.path(), scan("refused", &["--allow-nonpublic"])).await;
    let skipped = run(dir.path(), scan("skipped", &[])).await;
    dns.stop().await;
    let err = stderr(&refused);
    assert_eq!(refused.status.code(), Some(0), "{err}");
    assert_eq!(err.matches("STARTTLS not measured").count(), 1, "{err}");
    assert!(
        err.contains("none of 2 MX probes could connect") && err.contains("port 25"),
        "{err}"
    );
    let summary = read_json(&dir.path().join("refused/summary.json"));
    assert_eq!(summary["notices"][0]["kind"], "smtp_unreachable");
    assert_eq!(summary["smtp"]["probes"], 2);
    assert_eq!(summary["smtp"]["connected"], 0);
    let err = stderr(&skipped);
    assert!(
        err.contains(
            "STARTTLS not measured: all 2 MX hosts selected for a probe have no public address"
        ),
        "{err}"
    );
}

/// A junk line of a list is reported with its line number and its text escaped: a list
/// file is someone else's text too.
#[tokio::test]
async fn junk_list_lines_are_reported_escaped() {
    let dns = DnsFixture::from_text(WORLD).await;
    let dir = tempfile::tempdir().unwrap();
    // Its name too: a file name may hold any byte but `/` and NUL.
    let list = write(
        dir.path(),
        "l\u{1b}[2J.txt",
        "good.example.jp\n\u{1b}[2Jbad\u{202e}.jp\n",
    );
    let output = run(
        dir.path(),
        scan_args(&list, &dir.path().join("scan"), &dns.resolver_arg(), &[]),
    )
    .await;
    dns.stop().await;
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(err.contains("l\\x1b[2J.txt:2: "), "{err}");
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{202e}'),
        "{err:?}"
    );
}
