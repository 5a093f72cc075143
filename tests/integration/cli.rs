//! The built binary against the DNS fixture: `scan` writes the scan directory, `check`
//! prints the tree.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use mailposture::advice::{Subject, remedy};
use mailposture::dmarc::FindingKind as DmarcKind;
use mailposture::record::DomainRecord;
use mailposture::scandir::records;
use mailposture::spf::tree::FindingKind as SpfKind;
use mailposture::stats::Tally;
use mailposture::stats::facts::read_facts;

use crate::support::cmd::{self, run};
use crate::support::{DnsFixture, Zone};

const WORLD: &str = r#"
; dangling include of a retired provider
dangling.example.jp.   IN TXT "v=spf1 include:spf.po.2iij.net -all"
_dmarc.dangling.example.jp. IN TXT "v=DMARC1; p=none; rua=mailto:d@dangling.example.jp"
dangling.example.jp.   IN MX 10 mx.dangling.example.jp.
; a healthy domain
good.example.jp.       IN TXT "v=spf1 ip4:192.0.2.0/24 include:_spf.provider.test -all"
_spf.provider.test.    IN TXT "v=spf1 ip4:198.51.100.0/24 ~all"
_dmarc.good.example.jp. IN TXT "v=DMARC1; p=reject"
good.example.jp.       IN MX 20 mx2.good.example.jp.
good.example.jp.       IN MX 10 mx1.good.example.jp.
; no SPF, no DMARC, null MX
nomail.example.jp.     IN MX 0 .
; over the lookup limit: 1 + 5 + 5
over.example.jp.       IN TXT "v=spf1 include:a.over.test include:b.over.test -all"
a.over.test.           IN TXT "v=spf1 a:h.over.test a:h.over.test a:h.over.test a:h.over.test a:h.over.test ~all"
b.over.test.           IN TXT "v=spf1 a:h.over.test a:h.over.test a:h.over.test a:h.over.test a:h.over.test ~all"
h.over.test.           IN A 192.0.2.9
"#;

/// The top level of a record, field for field: an unannounced field fails the test.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    schema: u32,
    domain: String,
    scanned_at: String,
    elapsed_ms: u64,
    attempts: u32,
    spf: Spf,
    dmarc: serde_json::Value,
    mx: serde_json::Value,
    mta_sts: MtaSts,
    tls_rpt: TlsRpt,
    dnssec: Dnssec,
    /// Null: a scan looks at DKIM only with `--dkim`.
    dkim: Option<serde_json::Value>,
    bimi: serde_json::Value,
}

/// The `dnssec` object, field for field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "read only to hold the fields to the documented ones"
)]
struct Dnssec {
    status: String,
    validation: String,
    parts: DnssecParts,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "read only to hold the fields to the documented ones"
)]
struct DnssecParts {
    spf: Option<String>,
    dmarc: Option<String>,
    mx: Option<String>,
    mta_sts: Option<String>,
    tls_rpt: Option<String>,
}

/// The `mta_sts` object, field for field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "read only to hold the fields to the documented ones"
)]
struct MtaSts {
    status: String,
    record: Option<String>,
    #[serde(default)]
    records: Vec<String>,
    id: Option<String>,
    fetch: Option<serde_json::Value>,
    policy: Option<serde_json::Value>,
    holds: Option<String>,
    hosts: Vec<serde_json::Value>,
    errors: Vec<serde_json::Value>,
    warnings: Vec<serde_json::Value>,
}

/// The `tls_rpt` object, field for field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "read only to hold the fields to the documented ones"
)]
struct TlsRpt {
    status: String,
    record: Option<String>,
    #[serde(default)]
    records: Vec<String>,
    rua: Vec<serde_json::Value>,
    errors: Vec<serde_json::Value>,
    warnings: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Spf {
    status: String,
    lookups: u32,
    void_lookups: u32,
    dangling_includes: Vec<String>,
    all: Option<String>,
}

/// `scan LIST --out OUT --resolver DNS --quiet --no-starttls` and any `extra` flags.
fn scan_args(list: &Path, out: &Path, dns: &DnsFixture, extra: &[&str]) -> Vec<String> {
    cmd::scan_args(list, out, &dns.resolver_arg(), extra)
}

fn write_list(dir: &Path) -> std::path::PathBuf {
    let list = dir.join("domains.txt");
    let text = "\u{feff}# test list\r\n\
                dangling.example.jp\r\n\
                GOOD.example.jp.\r\n\
                \r\n\
                https://nomail.example.jp/contact\r\n\
                bad..name\r\n\
                info@over.example.jp\r\n\
                good.example.jp  # again\r\n";
    std::fs::write(&list, text).unwrap();
    list
}

#[tokio::test]
async fn scan_writes_jsonl_csv_and_summary() {
    let dns = DnsFixture::start(Zone::parse(WORLD)).await;
    let dir = tempfile::tempdir().unwrap();
    let list = write_list(dir.path());
    let out = dir.path().join("scan");
    let args = scan_args(
        &list,
        &out,
        &dns,
        &["--timeout", "1", "--attempts", "1", "--csv-bom"],
    );
    let output = run(dir.path(), args).await;
    dns.stop().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // The junk line is reported with its file and line number, and skipped.
    assert!(
        stderr.contains(&format!("{}:6: ", list.display())),
        "{stderr}"
    );

    let jsonl = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let records: BTreeMap<String, Record> = jsonl
        .lines()
        .map(|line| {
            let r: Record = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            (r.domain.clone(), r)
        })
        .collect();
    // No --retry-temperror: every record is from the first pass.
    assert!(records.values().all(|r| r.attempts == 1));
    // The world publishes no MTA-STS or TLS-RPT: both parts say so, nothing fetched.
    assert!(records.values().all(|r| r.mta_sts.status == "none"
        && r.mta_sts.fetch.is_none()
        && r.tls_rpt.status == "none"));
    assert_eq!(
        records.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "dangling.example.jp",
            "good.example.jp",
            "nomail.example.jp",
            "over.example.jp"
        ]
    );
    let spf = |d: &str| &records[d].spf;
    assert_eq!(spf("dangling.example.jp").status, "permerror");
    assert_eq!(
        spf("dangling.example.jp").dangling_includes,
        ["spf.po.2iij.net"]
    );
    assert_eq!(spf("dangling.example.jp").void_lookups, 1);
    assert_eq!(spf("good.example.jp").status, "ok");
    assert_eq!(spf("good.example.jp").all.as_deref(), Some("-all"));
    assert_eq!(spf("nomail.example.jp").status, "none");
    assert_eq!(
        (
            spf("over.example.jp").status.as_str(),
            spf("over.example.jp").lookups
        ),
        ("permerror", 12)
    );
    for r in records.values() {
        assert_eq!(r.schema, 1);
        assert!(r.scanned_at.ends_with('Z'), "{}", r.scanned_at);
        assert!(r.elapsed_ms < 60_000);
        // The fixture is authoritative, not a validating resolver: nothing is known of
        // DNSSEC, and nothing claimed.
        assert_eq!(r.dnssec.validation, "not_known");
        assert_eq!(r.dnssec.status, "unknown");
        // DKIM only with --dkim; BIMI asked, and this world publishes none.
        assert!(r.dkim.is_none());
        assert_eq!(r.bimi["status"], "none", "{}", r.domain);
    }
    assert_eq!(records["good.example.jp"].dmarc["p"], "reject");
    assert_eq!(records["nomail.example.jp"].dmarc["status"], "none");
    assert_eq!(records["nomail.example.jp"].mx["status"], "null_mx");
    assert_eq!(
        records["good.example.jp"].mx["hosts"][0]["name"],
        "mx1.good.example.jp"
    );

    let csv_bytes = std::fs::read(out.join("results.csv")).unwrap();
    assert!(
        csv_bytes.starts_with("\u{feff}domain,".as_bytes()),
        "--csv-bom puts a BOM first"
    );
    let mut csv = csv::Reader::from_reader(&csv_bytes[3..]);
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, mailposture::output::csv::COLUMNS);
    let rows: BTreeMap<String, csv::StringRecord> = csv
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r)
        })
        .collect();
    assert_eq!(rows.len(), 4);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let good = &rows["good.example.jp"];
    assert_eq!(&good[col("spf_status")], "ok");
    // "-all" would be a formula in a spreadsheet.
    assert_eq!(&good[col("spf_all")], "'-all");
    assert_eq!(
        &good[col("mx_hosts")],
        "10 mx1.good.example.jp; 20 mx2.good.example.jp"
    );
    assert_eq!(
        &rows["dangling.example.jp"][col("spf_dangling_includes")],
        "spf.po.2iij.net"
    );
    assert_eq!(
        &rows["over.example.jp"][col("spf_errors")],
        "too_many_lookups"
    );
    assert_eq!(&rows["nomail.example.jp"][col("dmarc_present")], "false");
    // The DMARC and MX columns.
    assert_eq!(&good[col("dmarc_source")], "domain");
    assert_eq!(&good[col("dmarc_policy")], "reject");
    assert_eq!(&good[col("dmarc_sp")], "reject");
    assert_eq!(&good[col("dmarc_pct")], "100");
    assert_eq!(&good[col("dmarc_t")], "n");
    assert_eq!(&good[col("dmarc_warnings")], "no_rua");
    assert_eq!(&good[col("dmarc_rua_authorized")], "");
    let dangling = &rows["dangling.example.jp"];
    assert_eq!(&dangling[col("dmarc_rua")], "mailto:d@dangling.example.jp");
    assert_eq!(&dangling[col("dmarc_rua_authorized")], "true");
    assert_eq!(&dangling[col("dmarc_warnings")], "p_none");
    // MX hosts without addresses, each named.
    assert_eq!(
        &good[col("mx_errors")],
        "dangling_mx:mx1.good.example.jp; dangling_mx:mx2.good.example.jp"
    );
    assert_eq!(&rows["nomail.example.jp"][col("mx_status")], "null_mx");

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("scan.json")).unwrap()).unwrap();
    assert_eq!(summary["input"]["invalid_lines"], 1);
    assert_eq!(summary["input"]["duplicates"], 1);
    assert_eq!(summary["input"]["rewritten"], 2);
    assert_eq!(summary["domains"], 4);
    assert_eq!(summary["schema"], 1);
}

/// `summary.json` for a list whose answers are known: every figure, its count and its
/// denominator (issue 4).
#[tokio::test]
async fn summary_json_figures_for_a_known_list() {
    let mut zone = Zone::parse(&format!(
        "{WORLD}
sub.good.example.jp.   IN A 192.0.2.5
"
    ));
    // Its name servers do not answer: SPF and MX unanswered and DMARC not asked (its
    // domain's first question timed out), every part a temperror, counted apart.
    zone.silent("slow.example.jp");
    let dns = DnsFixture::start(zone).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("six.txt");
    std::fs::write(
        &list,
        "dangling.example.jp\ngood.example.jp\nnomail.example.jp\nover.example.jp\n\
         sub.good.example.jp\nslow.example.jp\n",
    )
    .unwrap();
    let out = dir.path().join("scan");
    let args = scan_args(&list, &out, &dns, &["--timeout", "0.5", "--attempts", "1"]);
    let output = run(dir.path(), args).await;
    dns.stop().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["domains"], 6);
    let figure = |name: &str| {
        let f = &summary["figures"][name];
        (
            f["count"].as_u64().unwrap(),
            f["of"].as_u64().unwrap(),
            f["percent"].as_f64().unwrap(),
            f["denominator"].as_str().unwrap().to_owned(),
        )
    };
    let spf = |count, percent| (count, 5, percent, "spf_known".to_owned());
    let dmarc = |count, percent| (count, 5, percent, "dmarc_known".to_owned());
    let mx = |count, percent| (count, 5, percent, "mx_known".to_owned());
    assert_eq!(figure("spf_present"), spf(3, 60.0));
    assert_eq!(figure("spf_ok"), spf(1, 20.0));
    assert_eq!(figure("spf_permerror"), spf(2, 40.0));
    assert_eq!(figure("spf_lookup_limit_overrun"), spf(1, 20.0));
    assert_eq!(figure("spf_dangling_include"), spf(1, 20.0));
    // sub.good.example.jp inherits good.example.jp's p=reject.
    assert_eq!(figure("dmarc_present"), dmarc(3, 60.0));
    assert_eq!(figure("dmarc_valid"), dmarc(3, 60.0));
    assert_eq!(figure("dmarc_policy_none"), dmarc(1, 20.0));
    assert_eq!(figure("dmarc_policy_quarantine"), dmarc(0, 0.0));
    assert_eq!(figure("dmarc_policy_reject"), dmarc(2, 40.0));
    assert_eq!(figure("dmarc_enforcing"), dmarc(2, 40.0));
    assert_eq!(figure("dmarc_rua_present"), dmarc(1, 20.0));
    assert_eq!(figure("mx_null"), mx(1, 20.0));
    assert_eq!(figure("mx_none"), mx(2, 40.0));
    assert_eq!(figure("temperror"), (1, 6, 16.7, "domains".to_owned()));
    assert_eq!(
        summary["spf_permerror_by_kind"]["dangling_include"]["count"],
        1
    );
    assert_eq!(
        summary["spf_permerror_by_kind"]["too_many_lookups"]["count"],
        1
    );
    assert_eq!(
        summary["top_dangling_includes"],
        serde_json::json!([{"target": "spf.po.2iij.net", "domains": 1}])
    );
    // Every record reads back into the report type unchanged (what a resumed scan's
    // results.csv is rebuilt from).
    let jsonl = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let mut lines = jsonl.lines();
    records::read_records(&out, |report: DomainRecord| {
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            lines.next().unwrap()
        );
    })
    .unwrap();
    assert_eq!(lines.next(), None);
    // Read back from results.jsonl, the records give the same figures (what `trend` does).
    let mut tally = Tally::default();
    let counts = read_facts(&out, |facts| tally.add(&facts)).unwrap();
    assert_eq!(counts.records, 6);
    assert_eq!(
        serde_json::to_value(tally.adoption()).unwrap(),
        serde_json::json!({
            "domains": summary["domains"],
            "spf_known": summary["spf_known"],
            "dmarc_known": summary["dmarc_known"],
            "mx_known": summary["mx_known"],
            "starttls_probed": summary["starttls_probed"],
            "mta_sts_known": summary["mta_sts_known"],
            "mta_sts_fetched": summary["mta_sts_fetched"],
            "mta_sts_verified": summary["mta_sts_verified"],
            "tls_rpt_known": summary["tls_rpt_known"],
            "dnssec_known": summary["dnssec_known"],
            "dane_known": summary["dane_known"],
            "dane_judged": summary["dane_judged"],
            "dkim_known": summary["dkim_known"],
            "dkim_with_keys": summary["dkim_with_keys"],
            "bimi_known": summary["bimi_known"],
            "bimi_valid": summary["bimi_valid"],
            "smtp": summary["smtp"],
            "figures": summary["figures"],
            "spf_permerror_by_kind": summary["spf_permerror_by_kind"],
            "top_dangling_includes": summary["top_dangling_includes"],
        })
    );
    // The same figures, as a table on stderr.
    assert!(stderr.contains("DMARC policy reject"), "{stderr}");
    assert!(stderr.contains("DMARC enforcing"), "{stderr}");
    assert!(stderr.contains("spf.po.2iij.net: 1"), "{stderr}");
}

#[tokio::test]
async fn scan_refuses_to_overwrite_results() {
    let dns = DnsFixture::start(Zone::parse(WORLD)).await;
    let dir = tempfile::tempdir().unwrap();
    let list = write_list(dir.path());
    let out = dir.path().join("scan");
    let args = scan_args(&list, &out, &dns, &[]);
    assert!(run(dir.path(), args.clone()).await.status.success());
    let before = std::fs::read(out.join("results.jsonl")).unwrap();
    let again = run(dir.path(), args.clone()).await;
    dns.stop().await;
    assert_eq!(again.status.code(), Some(1));
    // Says once what is wrong and what to do instead.
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already holds a scan"), "{stderr}");
    // The scan there finished: another directory is the way on, not a resume.
    assert!(
        stderr.contains("--out DIR") && !stderr.contains("--resume"),
        "{stderr}"
    );
    assert!(!stderr.contains("os error"), "{stderr}");
    assert_eq!(std::fs::read(out.join("results.jsonl")).unwrap(), before);
    // Unfinished, it can be continued instead, and the message says how.
    std::fs::remove_file(out.join("scan.json")).unwrap();
    let again = run(dir.path(), args).await;
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("scan --resume"), "{stderr}");
    assert!(out.join("resume.json").is_file());
}

#[tokio::test]
async fn jsonl_to_stdout_for_pipelines() {
    let dns = DnsFixture::start(Zone::parse(WORLD)).await;
    let dir = tempfile::tempdir().unwrap();
    let list = write_list(dir.path());
    let args = scan_args(&list, &dir.path().join("scan"), &dns, &["--jsonl", "-"]);
    let output = run(dir.path(), args).await;
    dns.stop().await;
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 4);
    for line in stdout.lines() {
        let _: Record = serde_json::from_str(line).unwrap();
    }
}

#[tokio::test]
async fn check_shows_which_include_passes_the_limit() {
    let dns = DnsFixture::start(Zone::parse(WORLD)).await;
    let dir = tempfile::tempdir().unwrap();
    let output = run(
        dir.path(),
        vec![
            "check".into(),
            "--no-starttls".into(),
            "over.example.jp".into(),
            "--resolver".into(),
            dns.resolver_arg(),
        ],
    )
    .await;
    dns.stop().await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("SPF    permerror  12 DNS lookups (limit 10)"),
        "{stdout}"
    );
    // The 11th lookup is the 4th a-term of b.over.test, reached through include:b.
    assert!(
        stdout.contains("include:b.over.test → b.over.test  [5 / 12]")
            && stdout.contains("← a:h.over.test is lookup 11"),
        "{stdout}"
    );
    assert!(
        stdout.contains("include:b.over.test (7) → a:h.over.test (11)"),
        "{stdout}"
    );
}

/// `check` prints under each finding what to do about it, from the one remedy table;
/// a domain without findings gets no fix line.
#[tokio::test]
async fn check_prints_the_fix_under_each_finding() {
    let dns = DnsFixture::from_text(
        r#"
over.example.jp.        IN TXT "v=spf1 include:a.over.test include:b.over.test -all"
a.over.test.            IN TXT "v=spf1 a:h.over.test a:h.over.test a:h.over.test a:h.over.test a:h.over.test ~all"
b.over.test.            IN TXT "v=spf1 a:h.over.test a:h.over.test a:h.over.test a:h.over.test a:h.over.test ~all"
h.over.test.            IN A 192.0.2.9
_dmarc.over.example.jp. IN TXT "v=DMARC1; p=none; rua=mailto:d@over.example.jp"
over.example.jp.        IN MX 10 mx.over.example.jp.
mx.over.example.jp.     IN A 192.0.2.25
clean.example.jp.       IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.clean.example.jp. IN TXT "v=DMARC1; p=reject; rua=mailto:d@clean.example.jp"
clean.example.jp.       IN MX 10 mx.clean.example.jp.
mx.clean.example.jp.    IN A 192.0.2.26
"#,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let check = |domain: &str| {
        run(
            dir.path(),
            vec![
                "check".into(),
                "--no-starttls".into(),
                domain.into(),
                "--resolver".into(),
                dns.resolver_arg(),
            ],
        )
    };
    let over = check("over.example.jp").await;
    let clean = check("clean.example.jp").await;
    dns.stop().await;
    for output in [&over, &clean] {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let stdout = String::from_utf8_lossy(&over.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    // The line after the finding's, indented as the finding's own continuation.
    let fix_under = |finding: &str| {
        let at = lines
            .iter()
            .position(|l| l.starts_with(finding))
            .unwrap_or_else(|| panic!("no line {finding:?} in\n{stdout}"));
        lines.get(at + 1).copied().unwrap_or_default()
    };
    for (finding, subject) in [
        (
            "  error too_many_lookups: ",
            Subject::Spf(SpfKind::TooManyLookups),
        ),
        ("  warning p_none: ", Subject::Dmarc(DmarcKind::PNone)),
    ] {
        let remedy = remedy(subject);
        assert!(remedy.cite.starts_with("RFC "), "{remedy}");
        assert_eq!(
            fix_under(finding),
            format!("      fix: {} ({})", remedy.fix, remedy.cite),
            "{stdout}"
        );
    }
    // The tree's own ✗ lines repeat the errors above and get no fix of their own.
    assert_eq!(stdout.matches("fix: ").count(), 2, "{stdout}");

    let stdout = String::from_utf8_lossy(&clean.stdout);
    assert!(stdout.contains("SPF    ok"), "{stdout}");
    assert!(!stdout.contains("fix:"), "{stdout}");
}

#[tokio::test]
async fn check_rejects_a_bad_domain_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let bad_domain = run(
        dir.path(),
        vec![
            "check".into(),
            "--no-starttls".into(),
            "bad..name".into(),
            "--resolver".into(),
            "127.0.0.1:9".into(),
        ],
    )
    .await;
    // A value clap accepts but the validation refuses is a usage error, as clap's own.
    assert_eq!(bad_domain.status.code(), Some(2));
    let bad_resolver = run(
        dir.path(),
        vec![
            "check".into(),
            "--no-starttls".into(),
            "example.jp".into(),
            "--resolver".into(),
            "nonsense".into(),
        ],
    )
    .await;
    assert_eq!(bad_resolver.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_resolver.stderr).contains("--resolver"));
}

/// `--psl FILE` replaces the built-in list: once the list knows `newsuffix.test` as a
/// public suffix, RFC 7489 receivers find the customer's record too and the methods agree.
#[tokio::test]
async fn psl_flag_loads_another_suffix_list() {
    let dns = DnsFixture::from_text(
        r#"
shop.customer.newsuffix.test.   IN A   192.0.2.1
_dmarc.customer.newsuffix.test. IN TXT "v=DMARC1; p=reject; rua=mailto:d@customer.newsuffix.test"
_dmarc.newsuffix.test.          IN TXT "v=DMARC1; p=none; psd=y"
"#,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let check = |psl: Option<&str>| {
        let mut args = vec![
            "check".to_owned(),
            "--no-starttls".into(),
            "shop.customer.newsuffix.test".into(),
            "--json".into(),
            "--resolver".into(),
            dns.resolver_arg(),
        ];
        if let Some(psl) = psl {
            args.extend(["--psl".to_owned(), psl.to_owned()]);
        }
        run(dir.path(), args)
    };
    let policy_domains = |output: &std::process::Output| {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let r: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let d = &r["dmarc"]["discovery"];
        let differs = r["dmarc"]["discovery_differs"].as_bool().unwrap();
        // Each method's answer is written out only where they differ.
        assert_eq!(d.is_null(), !differs);
        let agreed = &r["dmarc"]["policy_domain"];
        let method = |m: &str| {
            let found = if differs {
                &d[m]["policy_domain"]
            } else {
                agreed
            };
            found.as_str().map(str::to_owned)
        };
        (method("rfc7489"), method("rfc9989"), differs)
    };
    let built_in = check(None).await;
    assert_eq!(
        policy_domains(&built_in),
        (
            Some("newsuffix.test".into()),
            Some("customer.newsuffix.test".into()),
            true
        )
    );
    std::fs::write(
        dir.path().join("psl.dat"),
        "// ===BEGIN PRIVATE DOMAINS===\nnewsuffix.test\ntest\n",
    )
    .unwrap();
    let custom = check(Some("psl.dat")).await;
    assert_eq!(
        policy_domains(&custom),
        (
            Some("customer.newsuffix.test".into()),
            Some("customer.newsuffix.test".into()),
            false
        )
    );
    let missing = check(Some("no-such-file.dat")).await;
    dns.stop().await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-file.dat"));
}

/// `history` lists each scan with its list, time and size, and flags one that never
/// wrote its `scan.json` (issue 6).
#[tokio::test]
async fn history_lists_scans_and_flags_an_interrupted_one() {
    let dns = DnsFixture::start(Zone::parse(WORLD)).await;
    let dir = tempfile::tempdir().unwrap();
    let list = write_list(dir.path());
    let scans = dir.path().join("scans");
    let done = scans.join("domains").join("2026-11-01T00-00-00Z");
    let at = ["--scan-time", "2026-11-01T09:00:00+09:00"];
    let output = run(dir.path(), scan_args(&list, &done, &dns, &at)).await;
    dns.stop().await;
    assert!(output.status.success());
    // --scan-time is the time of every record, in UTC.
    let jsonl = std::fs::read_to_string(done.join("results.jsonl")).unwrap();
    for line in jsonl.lines() {
        let r: Record = serde_json::from_str(line).unwrap();
        assert_eq!(r.scanned_at, "2026-11-01T00:00:00Z");
    }
    // Killed after two records, the third half written.
    let cut = scans.join("domains").join("2026-12-01T00-00-00Z");
    std::fs::create_dir_all(&cut).unwrap();
    let torn: String = jsonl.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(cut.join("results.jsonl"), torn + "{\"dom").unwrap();

    let output = run(
        dir.path(),
        vec![
            "history".into(),
            scans.display().to_string(),
            "--json".into(),
        ],
    )
    .await;
    assert!(output.status.success());
    let found: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let summary = |v: &serde_json::Value| {
        (
            v["complete"].as_bool().unwrap(),
            v["domains"].as_u64().unwrap(),
            v["schema"].as_u64(),
        )
    };
    assert_eq!(found.len(), 2, "{found:#?}");
    let finished = found.iter().find(|v| v["complete"] == true).unwrap();
    let interrupted = found.iter().find(|v| v["complete"] == false).unwrap();
    assert_eq!(summary(finished), (true, 4, Some(1)));
    assert_eq!(finished["lists"][0], list.display().to_string());
    assert_eq!(finished["started_at"], "2026-11-01T00:00:00Z");
    assert_eq!(summary(interrupted), (false, 2, None));
    assert_eq!(interrupted["started_at"], "2026-12-01T00-00-00Z");
    // The table says the same in words.
    let table = run(
        dir.path(),
        vec!["history".into(), scans.display().to_string()],
    )
    .await;
    let text = String::from_utf8(table.stdout).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains("interrupted"), "{text}");
}
