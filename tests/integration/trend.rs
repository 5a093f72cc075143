//! `trend` over a history built here: a world whose zones change between scans, scanned
//! at recorded times, and the figures of `trend.csv` checked against what the zones say.

use std::path::{Path, PathBuf};

use crate::support::browser;
use crate::support::cmd::run;
use crate::support::history::{scan_at, write_list};
use crate::support::svg::line_points;

/// Published in every version of the world.
const COMMON: &str = r#"
agency.go.jp.          IN A   192.0.2.10
x.example.co.jp.       IN TXT "v=spf1 ip4:192.0.2.24 -all"
_dmarc.x.example.co.jp. IN TXT "v=DMARC1; p=reject"
"#;

/// January: a has SPF only; b p=none; agency nothing; d a dangling include and
/// quarantine at pct=50 (testing, so not enforcing).
const JANUARY: &str = r#"
a.example.co.jp.       IN TXT "v=spf1 ip4:192.0.2.1 -all"
b.example.co.jp.       IN TXT "v=spf1 ip4:192.0.2.2 -all"
_dmarc.b.example.co.jp. IN TXT "v=DMARC1; p=none; rua=mailto:d@b.example.co.jp"
d.example.ne.jp.       IN TXT "v=spf1 include:spf.po.2iij.net -all"
_dmarc.d.example.ne.jp. IN TXT "v=DMARC1; p=quarantine; pct=50"
"#;

/// Early April: a publishes p=none.
const EARLY_APRIL: &str = r#"
a.example.co.jp.       IN TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.a.example.co.jp. IN TXT "v=DMARC1; p=none"
b.example.co.jp.       IN TXT "v=spf1 ip4:192.0.2.2 -all"
_dmarc.b.example.co.jp. IN TXT "v=DMARC1; p=none; rua=mailto:d@b.example.co.jp"
d.example.ne.jp.       IN TXT "v=spf1 include:spf.po.2iij.net -all"
_dmarc.d.example.ne.jp. IN TXT "v=DMARC1; p=quarantine; pct=50"
"#;

/// Late April: a to reject, b to quarantine, agency publishes SPF and reject, d goes to
/// pct=100, and e (new in the list) rejects.
const LATE_APRIL: &str = r#"
a.example.co.jp.       IN TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.a.example.co.jp. IN TXT "v=DMARC1; p=reject"
b.example.co.jp.       IN TXT "v=spf1 ip4:192.0.2.2 -all"
_dmarc.b.example.co.jp. IN TXT "v=DMARC1; p=quarantine; rua=mailto:d@b.example.co.jp"
agency.go.jp.          IN TXT "v=spf1 -all"
_dmarc.agency.go.jp.   IN TXT "v=DMARC1; p=reject"
d.example.ne.jp.       IN TXT "v=spf1 include:spf.po.2iij.net -all"
_dmarc.d.example.ne.jp. IN TXT "v=DMARC1; p=quarantine"
e.example.co.jp.       IN TXT "v=spf1 ip4:192.0.2.5 -all"
_dmarc.e.example.co.jp. IN TXT "v=DMARC1; p=reject"
"#;

/// July: b publishes a second SPF record (permerror), d has left the list.
const JULY: &str = r#"
a.example.co.jp.       IN TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.a.example.co.jp. IN TXT "v=DMARC1; p=reject"
b.example.co.jp.       IN TXT "v=spf1 ip4:192.0.2.2 -all"
b.example.co.jp.       IN TXT "v=spf1 ip4:192.0.2.3 -all"
_dmarc.b.example.co.jp. IN TXT "v=DMARC1; p=quarantine; rua=mailto:d@b.example.co.jp"
agency.go.jp.          IN TXT "v=spf1 -all"
_dmarc.agency.go.jp.   IN TXT "v=DMARC1; p=reject"
e.example.co.jp.       IN TXT "v=spf1 ip4:192.0.2.5 -all"
_dmarc.e.example.co.jp. IN TXT "v=DMARC1; p=reject"
"#;

const JAN: &str = "2023-01-10T09:00:00Z";
const APR_5: &str = "2023-04-05T09:00:00Z";
const APR_25: &str = "2023-04-25T09:00:00Z";
const JUL: &str = "2023-07-01T09:00:00Z";

/// The history: list `fin` scanned four times (its members change: e joins in late
/// April, d leaves in July), list `other` in January and July.
async fn build_history(root: &Path) -> PathBuf {
    let scans = root.join("scans");
    let (fin, other) = (root.join("fin.txt"), root.join("other.txt"));
    let early = [
        "a.example.co.jp",
        "b.example.co.jp",
        "agency.go.jp",
        "d.example.ne.jp",
    ];
    write_list(&other, &["x.example.co.jp"]);
    let world = |zone: &str| format!("{COMMON}{zone}");
    let at = |list: &str, time: &str| scans.join(list).join(time.replace(':', "-"));
    write_list(&fin, &early);
    scan_at(&world(JANUARY), &fin, &at("fin", JAN), JAN).await;
    scan_at(&world(JANUARY), &other, &at("other", JAN), JAN).await;
    scan_at(&world(EARLY_APRIL), &fin, &at("fin", APR_5), APR_5).await;
    write_list(&fin, &[&early[..], &["e.example.co.jp"]].concat());
    scan_at(&world(LATE_APRIL), &fin, &at("fin", APR_25), APR_25).await;
    write_list(
        &fin,
        &[
            "a.example.co.jp",
            "b.example.co.jp",
            "agency.go.jp",
            "e.example.co.jp",
        ],
    );
    scan_at(&world(JULY), &fin, &at("fin", JUL), JUL).await;
    scan_at(&world(JULY), &other, &at("other", JUL), JUL).await;
    scans
}

/// Runs `trend` and returns trend.csv as maps of column to cell, and stdout.
async fn trend(
    root: &Path,
    scans: &Path,
    extra: &[&str],
) -> (Vec<csv::StringRecord>, csv::StringRecord, String) {
    let out = root.join("trend.csv");
    let mut args = vec![
        "trend".to_owned(),
        scans.display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let output = run(root, args).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header = reader.headers().unwrap().clone();
    let rows = reader.records().map(Result::unwrap).collect();
    (
        rows,
        header,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The columns checked: period, group, domains, then counts.
const CHECKED: [&str; 10] = [
    "period",
    "group",
    "domains",
    "spf_ok",
    "spf_permerror",
    "spf_dangling_include",
    "dmarc_present",
    "dmarc_policy_none",
    "dmarc_policy_quarantine",
    "dmarc_enforcing",
];

fn project(rows: &[csv::StringRecord], header: &csv::StringRecord) -> Vec<String> {
    let index: Vec<usize> = CHECKED
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == *c)
                .unwrap_or_else(|| panic!("no column {c}"))
        })
        .collect();
    rows.iter()
        .map(|r| index.iter().map(|i| &r[*i]).collect::<Vec<_>>().join(" "))
        .collect()
}

#[tokio::test]
async fn trend_per_scan_and_list_month_by_suffix_and_panel() {
    let dir = tempfile::tempdir().unwrap();
    let scans = build_history(dir.path()).await;
    // An interrupted scan (no scan.json) must not become a point of the trend.
    let torn = scans.join("fin").join("torn");
    std::fs::create_dir_all(&torn).unwrap();
    std::fs::write(torn.join("results.jsonl"), "{\"domain\": \"a.exa").unwrap();

    // Columns: period group domains spf_ok spf_permerror dangling dmarc_present none
    // quarantine enforcing.
    let (rows, header, table) = trend(dir.path(), &scans, &[]).await;
    assert_eq!(
        project(&rows, &header),
        [
            "2023-01-10T09:00:00Z fin 4 2 1 1 2 1 1 0",
            "2023-01-10T09:00:00Z other 1 1 0 0 1 0 0 1",
            "2023-04-05T09:00:00Z fin 4 2 1 1 3 2 1 0",
            "2023-04-25T09:00:00Z fin 5 4 1 1 5 0 2 5",
            "2023-07-01T09:00:00Z fin 4 3 1 0 4 0 1 4",
            "2023-07-01T09:00:00Z other 1 1 0 0 1 0 0 1",
        ]
    );
    // Percent columns beside the counts, of the right population.
    let pct = header
        .iter()
        .position(|h| h == "dmarc_present_pct")
        .unwrap();
    assert_eq!(&rows[0][pct], "50.0");
    assert_eq!(&rows[3][pct], "100.0");
    assert!(table.contains("2023-04-25T09:00:00Z  fin"), "{table}");
    // The populations, after the run's columns and before the figures.
    let leading: Vec<&str> = header.iter().take(19).collect();
    assert_eq!(
        leading,
        [
            "period",
            "group",
            "scans",
            "domains",
            "spf_known",
            "dmarc_known",
            "mx_known",
            "starttls_probed",
            "mta_sts_known",
            "mta_sts_fetched",
            "mta_sts_verified",
            "tls_rpt_known",
            "dnssec_known",
            "dane_known",
            "dane_judged",
            "dkim_known",
            "dkim_with_keys",
            "bimi_known",
            "bimi_valid",
        ]
    );
    assert_eq!(&header[19], "spf_present");
    // The fixture's server sets no AD bit: DNSSEC known for no domain, so its shares are
    // empty, not 0%. DANE was checked for every domain and no MX host published records:
    // known for all, judged for none.
    let cell = |row: &csv::StringRecord, name: &str| -> String {
        row[header.iter().position(|h| h == name).unwrap()].to_owned()
    };
    for row in &rows {
        let populations = ["dnssec_known", "dane_known", "dane_judged"].map(|name| cell(row, name));
        assert_eq!(populations, ["0", &cell(row, "domains"), "0"], "{row:?}");
        let shares = ["dnssec_secure_pct", "dane_published_pct", "dane_all_ok_pct"]
            .map(|name| cell(row, name));
        assert_eq!(shares, ["", "0.0", ""], "{row:?}");
        // A scan looks at DKIM only with --dkim: known for nobody, its shares empty; BIMI
        // asked of every domain, none published.
        let auth = ["dkim_known", "bimi_known"].map(|name| cell(row, name));
        assert_eq!(auth, ["0", &cell(row, "domains")], "{row:?}");
        let shares = ["dkim_found_pct", "bimi_published_pct"].map(|name| cell(row, name));
        assert_eq!(shares, ["", "0.0"], "{row:?}");
    }
    assert!(table.contains("100.0%"), "{table}");

    // Months by public suffix: the lists pooled, April from its latest scan.
    let (rows, header, _) =
        trend(dir.path(), &scans, &["--by", "month", "--group", "suffix"]).await;
    assert_eq!(
        project(&rows, &header),
        [
            "2023-01 co.jp 3 3 0 0 2 1 0 1",
            "2023-01 go.jp 1 0 0 0 0 0 0 0",
            "2023-01 ne.jp 1 0 1 1 1 0 1 0",
            "2023-04 co.jp 3 3 0 0 3 0 1 3",
            "2023-04 go.jp 1 1 0 0 1 0 0 1",
            "2023-04 ne.jp 1 0 1 1 1 0 1 1",
            "2023-07 co.jp 4 3 1 0 4 0 1 4",
            "2023-07 go.jp 1 1 0 0 1 0 0 1",
        ]
    );
    let scans_column = header.iter().position(|h| h == "scans").unwrap();
    assert_eq!(&rows[3][scans_column], APR_25);
    // The same trend as a report: a chart per suffix, one point per month on each line.
    let report = dir.path().join("report");
    let args = [
        "--by",
        "month",
        "--group",
        "suffix",
        "--report",
        &report.display().to_string(),
    ];
    trend(dir.path(), &scans, &args).await;
    let svg = std::fs::read_to_string(report.join("adoption-co.jp.svg")).unwrap();
    for line in ["DMARC present", "DMARC enforcing", "SPF ok"] {
        assert_eq!(line_points(&svg, line).len(), 3, "{line}");
    }
    // ne.jp has no domain after April: two points.
    let svg = std::fs::read_to_string(report.join("adoption-ne.jp.svg")).unwrap();
    assert_eq!(line_points(&svg, "DMARC present").len(), 2);
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    // The latest period's permerror kinds: July's is b's second SPF record.
    assert!(html.contains("multiple_records"), "{html}");
    assert!(report.join("policies-go.jp.svg").is_file());

    // The panel: only the domains of every fin scan (a, b, agency), and x for other.
    let (rows, header, _) = trend(dir.path(), &scans, &["--same-domains"]).await;
    assert_eq!(
        project(&rows, &header),
        [
            "2023-01-10T09:00:00Z fin 3 2 0 0 1 1 0 0",
            "2023-01-10T09:00:00Z other 1 1 0 0 1 0 0 1",
            "2023-04-05T09:00:00Z fin 3 2 0 0 2 2 0 0",
            "2023-04-25T09:00:00Z fin 3 3 0 0 3 0 1 3",
            "2023-07-01T09:00:00Z fin 3 2 1 0 3 0 1 3",
            "2023-07-01T09:00:00Z other 1 1 0 0 1 0 0 1",
        ]
    );

    // All together by week, from an archived (zstd-compressed) scan too: same figures.
    let (before, ..) = trend(dir.path(), &scans, &["--by", "week", "--group", "none"]).await;
    let april = scans.join("fin").join(APR_5.replace(':', "-"));
    let plain = std::fs::read(april.join("results.jsonl")).unwrap();
    let packed = zstd::encode_all(plain.as_slice(), 3).unwrap();
    std::fs::write(april.join("results.jsonl.zst"), packed).unwrap();
    std::fs::remove_file(april.join("results.jsonl")).unwrap();
    let (after, header, _) = trend(dir.path(), &scans, &["--by", "week", "--group", "none"]).await;
    assert_eq!(before, after);
    assert_eq!(
        project(&after, &header),
        [
            "2023-W02 all 5 3 1 1 3 1 1 1",
            "2023-W14 all 4 2 1 1 3 2 1 0",
            "2023-W17 all 5 4 1 1 5 0 2 5",
            "2023-W26 all 5 4 1 0 5 0 1 5",
        ]
    );
}

/// The report of a real history in Debian's Chromium: it renders without console errors
/// (its Content-Security-Policy turns any fetch into one) and the screenshot goes into
/// the report directory. `REPORT_SCREENSHOT=FILE` keeps a copy for looking at.
#[tokio::test]
#[ignore = "needs /usr/bin/chromium (apt-get install chromium); run by .ci/run"]
async fn trend_report_in_a_headless_browser() {
    let dir = tempfile::tempdir().unwrap();
    let scans = build_history(dir.path()).await;
    let report = dir.path().join("report");
    let args = [
        "--by",
        "month",
        "--group",
        "suffix",
        "--report",
        &report.display().to_string(),
    ];
    trend(dir.path(), &scans, &args).await;
    let png = report.join("screenshot.png");
    let (page, profile) = (report.join("report.html"), dir.path().join("profile"));
    let shot = png.clone();
    let trouble = tokio::task::spawn_blocking(move || browser::screenshot(&page, &shot, &profile))
        .await
        .unwrap();
    assert!(trouble.is_empty(), "page trouble:\n{}", trouble.join("\n"));
    let bytes = std::fs::read(&png).expect("no screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(bytes.len() > 10_000, "screenshot of {} bytes", bytes.len());
    if let Some(keep) = std::env::var_os("REPORT_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
}
