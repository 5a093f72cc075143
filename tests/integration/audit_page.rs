//! The audit report of a real scan: a world of in-process DNS (behind a stand-in that
//! plays a validating resolver), SMTP and HTTPS servers on loopback where every part has
//! a domain that passes, one that fails and one that cannot be known; the binary scans
//! it with `--report`, and the page's structure is checked: every part and verdict,
//! the order of the rows, the remedies, the escaping of hostile record text, and that
//! it loads nothing (the browser test drives its controls).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mailposture::advice::{self, Subject};
use mailposture::record::DomainRecord;
use rustls::pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::support::cmd::run;
use crate::support::devtools::Browser;
use crate::support::dns::next_loopback;
use crate::support::https::{HttpsConfig, HttpsServer, PORT};
use crate::support::smtp::{SmtpConfig, SmtpServer, TestPki, self_signed};
use crate::support::standin::{Standin, StandinConfig};
use crate::support::{DnsFixture, Zone};

const RSA_2048: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtEFAMgl72Vr4SWOjcINsDqqAK9DWSzDBCWyDPe1Btf5oenTeB649bJnua3UDRQugP1bmF3S9QS+n5jyBqgkOoKTC87JSTJNmINLZ0SLRWsrhn3ZMYNsSOwmL0mLiV8TO3283yuwzQgeUqq27Zpq7an28Cl+xt7iHpasQfOBlS4G1sykeWrdWthh/UYZplWB9mKUr+2+Ut29d/IWjTcRO7dEir16rJbyErHkspEeOnSNZwBgtBhN1HMyJLlAb8SS5YuK/TMcEVtWq3XY9HuXI15lumPFiimfv5iHwUktS51uf6c4XUBKU8utaU0b7PnKerBkrLisE2IoU9NDlrefPawIDAQAB";
const RSA_512: &str = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKZp34bKqHPV6MsAk6kSCckNkZuCiYDt5K4a/i/W3xTIN4motJ2F3OEck+hlKgwJvRdb5fq1ycg2SjmkS4Hn+EUCAwEAAQ==";

/// Record text that would run or load something if the page did not escape it.
const HOSTILE_SPF: &str = "v=spf1 <script>alert(1)</script> -all";
const HOSTILE_DMARC: &str =
    "v=DMARC1; p=reject; rua=mailto:\"><img src=x onerror=alert(2)>@hostile.test";

/// The domains of the world and what each stands for.
const DOMAINS: [&str; 6] = [
    "good.test",    // every part published and passing
    "lax.test",     // a dangling include, p=none, no STARTTLS, a weak DKIM key
    "hostile.test", // record text that is markup; a self-signed certificate
    "bare.test",    // nothing published
    "broken.test",  // signed, and validation fails (bogus)
    "slow.test",    // its server never answers
];

const POLICY: &str = "version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 1209600\n";

fn spki_sha256(cert: &CertificateDer<'_>) -> Vec<u8> {
    let (_, parsed) = X509Certificate::from_der(cert.as_ref()).unwrap();
    ring::digest::digest(&ring::digest::SHA256, parsed.public_key().raw)
        .as_ref()
        .to_vec()
}

fn tlsa(usage: u8, data: Vec<u8>) -> hickory_proto::rr::RData {
    hickory_proto::rr::RData::TLSA(hickory_proto::rr::rdata::TLSA::new(
        usage.into(),
        1.into(),
        1.into(),
        data,
    ))
}

/// The world's servers, stopped by [`World::stop`].
struct World {
    fixture: DnsFixture,
    standin: Standin,
    smtp: Vec<SmtpServer>,
    https: HttpsServer,
    ca_pem: String,
}

impl World {
    async fn start() -> Self {
        let pki = TestPki::new();
        let good = pki.leaf("mx.good.test");
        let leaf = spki_sha256(&good.chain[0]);
        let ca = spki_sha256(&good.chain[1]);
        let (ip_good, ip_lax, ip_hostile, ip_sts) = (
            next_loopback(),
            next_loopback(),
            next_loopback(),
            next_loopback(),
        );
        let first = SmtpServer::start(ip_good, SmtpConfig::with_tls(good)).await;
        let port = first.port();
        let plain = SmtpConfig::with_capabilities(&["PIPELINING", "8BITMIME"]);
        let lax = SmtpServer::start_at(SocketAddr::from((ip_lax, port)), plain).await;
        let hostile = SmtpServer::start_at(
            SocketAddr::from((ip_hostile, port)),
            SmtpConfig::with_tls(self_signed("mx.elsewhere.test")),
        )
        .await;
        let https = HttpsServer::start(
            SocketAddr::from((ip_sts, PORT)),
            HttpsConfig::policy(pki.leaf("mta-sts.good.test"), POLICY),
        )
        .await;

        let mut zone = Zone::new();
        // good.test: everything published, and passing.
        zone.txt_text("good.test", "v=spf1 mx -all");
        zone.txt_text(
            "_dmarc.good.test",
            "v=DMARC1; p=reject; rua=mailto:dmarc@good.test",
        );
        zone.mx("good.test", 10, "mx.good.test");
        zone.a("mx.good.test", ip_good);
        zone.add("_25._tcp.mx.good.test", tlsa(3, leaf));
        zone.add("_25._tcp.mx.good.test", tlsa(2, ca));
        zone.txt_text("_mta-sts.good.test", "v=STSv1; id=20261204");
        zone.a("mta-sts.good.test", ip_sts);
        zone.txt_text(
            "_smtp._tls.good.test",
            "v=TLSRPTv1; rua=mailto:tls@good.test",
        );
        zone.txt_text(
            "s1._domainkey.good.test",
            &format!("v=DKIM1; k=rsa; p={RSA_2048}"),
        );
        zone.txt_text(
            "default._bimi.good.test",
            "v=BIMI1; l=https://good.test/logo.svg;",
        );
        // lax.test: a dangling include, monitoring only, a host without STARTTLS.
        zone.txt_text("lax.test", "v=spf1 include:gone.test ~all");
        zone.a("gone.test", ip_lax);
        zone.txt_text("_dmarc.lax.test", "v=DMARC1; p=none");
        zone.mx("lax.test", 10, "mx.lax.test");
        zone.a("mx.lax.test", ip_lax);
        zone.txt_text("s1._domainkey.lax.test", &format!("v=DKIM1; p={RSA_512}"));
        zone.txt_text(
            "default._bimi.lax.test",
            "v=BIMI1; l=https://lax.test/logo.svg;",
        );
        // hostile.test: markup in its records, a self-signed certificate for another name.
        zone.txt_text("hostile.test", HOSTILE_SPF);
        zone.txt_text("_dmarc.hostile.test", HOSTILE_DMARC);
        zone.mx("hostile.test", 10, "mx.hostile.test");
        zone.a("mx.hostile.test", ip_hostile);
        // bare.test: an address and nothing else.
        zone.a("bare.test", ip_lax);
        // broken.test: published, but its zone fails validation.
        zone.txt_text("broken.test", "v=spf1 -all");
        zone.mx("broken.test", 10, "mx.good.test");
        // slow.test: its server never answers.
        zone.silent("slow.test");
        let fixture = DnsFixture::start(zone).await;
        let standin = Standin::start(
            fixture.addr,
            StandinConfig {
                validating: true,
                signed_zones: vec!["good.test".into(), "broken.test".into()],
                bogus_zones: vec!["broken.test".into()],
                upstream_timeout: Duration::from_secs(1),
                ..StandinConfig::default()
            },
        )
        .await;
        Self {
            fixture,
            standin,
            smtp: vec![first, lax, hostile],
            https,
            ca_pem: pki.ca_pem().to_owned(),
        }
    }

    async fn stop(self) {
        for server in self.smtp {
            server.stop().await;
        }
        self.https.stop().await;
        self.standin.stop().await;
        self.fixture.stop().await;
    }

    /// The flags that point `scan` or `check` at the world: its resolver, its SMTP and
    /// HTTPS servers on loopback, its CA (written into `dir`), short DNS timeouts.
    fn network(&self, dir: &Path) -> Vec<String> {
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, &self.ca_pem).unwrap();
        [
            "--resolver",
            &self.standin.addr().to_string(),
            "--allow-nonpublic",
            "--smtp-port",
            &self.smtp[0].port().to_string(),
            "--mta-sts-port",
            &PORT.to_string(),
            "--ca-file",
            &ca.display().to_string(),
            "--helo",
            "scanner.test.example",
            "--timeout",
            "1",
            "--attempts",
            "1",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// Scans the world with `--report` into `dir/scan`; returns the scan directory.
    async fn scan(&self, dir: &Path) -> PathBuf {
        let list = dir.join("audit.txt");
        // DKIM is asked at two domains only (their own selectors), so that the others'
        // DKIM is "not looked at".
        std::fs::write(
            &list,
            "good.test selectors=s1\nlax.test selectors=s1\nhostile.test\nbare.test\nbroken.test\nslow.test\n",
        )
        .unwrap();
        let out = dir.join("scan");
        let mut args: Vec<String> = [
            "scan",
            &list.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--quiet",
            "--report",
            "--domain-timeout",
            "5",
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(self.network(dir));
        let output = run(dir, args).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(stderr.contains("wrote "), "{stderr}");
        out
    }
}

/// A temporary directory with a scan of the world (and its report) in it.
async fn scanned() -> (tempfile::TempDir, PathBuf) {
    let world = World::start().await;
    let dir = tempfile::tempdir().unwrap();
    let scan = world.scan(dir.path()).await;
    world.stop().await;
    (dir, scan)
}

/// The records of the scan in `dir`.
fn records(dir: &Path) -> Vec<DomainRecord> {
    std::fs::read_to_string(dir.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The page's text between `start` and the next `end`, each occurrence.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(start) {
        let after = &rest[i + start.len()..];
        let Some(j) = after.find(end) else { break };
        out.push(&after[..j]);
        rest = &after[j + end.len()..];
    }
    out
}

/// The table's rows: the domain, then each cell's tone (its `data-t`).
fn table_rows(html: &str) -> Vec<(String, Vec<u8>)> {
    let body = between(html, "<table id=\"domains\">", "</table>")[0];
    between(body, "<tr data-i=", "</tr>")
        .into_iter()
        .map(|row| {
            let link = between(row, "<a href=\"#d", "</a>")[0];
            let domain = link.split_once("\">").unwrap().1.to_owned();
            let tones = between(row, "data-t=\"", "\"")
                .into_iter()
                .map(|t| t.parse().unwrap())
                .collect();
            (domain, tones)
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn the_audit_report_of_a_scan_shows_every_part_verdict_and_remedy() {
    let (_dir, scan) = scanned().await;
    let html = std::fs::read_to_string(scan.join("report.html")).unwrap();
    let records = records(&scan);
    assert_eq!(records.len(), DOMAINS.len());

    // Every part is a column, in check's order.
    let head = between(&html, "<table id=\"domains\">", "</thead>")[0];
    let columns = between(head, "<button type=\"button\">", "</button>");
    assert_eq!(
        columns,
        [
            "Domain", "SPF", "DMARC", "MX", "STARTTLS", "MTA-STS", "TLS-RPT", "DNSSEC", "DANE",
            "DKIM", "BIMI"
        ]
    );
    // One row per domain, every verdict present, errors first.
    let rows = table_rows(&html);
    let mut names: Vec<&str> = rows.iter().map(|(d, _)| d.as_str()).collect();
    names.sort_unstable();
    let mut expected = DOMAINS.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected);
    for tone in 0..=5u8 {
        assert!(
            rows.iter().any(|(_, tones)| tones.contains(&tone)),
            "no cell of tone {tone}: {rows:?}"
        );
    }
    // Most serious first, by each domain's worst finding.
    let severity = |domain: &str| {
        let record = records.iter().find(|r| r.domain == domain).unwrap();
        advice::findings(record).iter().map(|i| i.severity).min()
    };
    let worst: Vec<_> = rows
        .iter()
        .map(|(d, _)| severity(d).map_or(3, |s| s as u8))
        .collect();
    assert!(worst.is_sorted(), "rows not most serious first: {rows:?}");
    assert_eq!(worst.first(), Some(&0), "{rows:?}");
    assert_eq!(rows.last().unwrap().0, "good.test", "{rows:?}");
    assert!(
        rows.last().unwrap().1.iter().all(|t| *t >= 3),
        "good.test has a finding: {rows:?}"
    );
    // Each row leads to its domain's details.
    for (i, (domain, _)) in rows.iter().enumerate() {
        assert!(html.contains(&format!("<a href=\"#d{i}\">{domain}</a>")));
        assert!(html.contains(&format!(
            "<details class=\"domain\" id=\"d{i}\"><summary>{domain}</summary>"
        )));
    }

    // Every finding of every record is on the page with its remedy.
    let mut subjects = Vec::new();
    for r in &records {
        for item in advice::findings(r) {
            let remedy = advice::remedy(item.subject);
            assert!(!remedy.fix.is_empty(), "{:?} has no remedy", item.subject);
            assert!(
                html.contains(&escape(remedy.fix)),
                "{:?}: fix missing",
                item.subject
            );
            assert!(
                html.contains(&escape(&item.detail)),
                "{:?}: detail missing",
                item.subject
            );
            subjects.push(item.subject);
        }
    }
    use mailposture::advice::State;
    use mailposture::spf::tree::FindingKind as Spf;
    for wanted in [
        Subject::Spf(Spf::DanglingInclude),
        Subject::Spf(Spf::Syntax),
        Subject::Dmarc(mailposture::dmarc::FindingKind::PNone),
        Subject::State(State::SpfMissing),
        Subject::State(State::DmarcMissing),
        Subject::State(State::StarttlsNotOffered),
        Subject::State(State::CertificateUntrusted),
        Subject::State(State::CertificateWrongName),
        Subject::State(State::DnssecBogus),
        Subject::Dkim(mailposture::dkim::DkimFindingKind::WeakKey),
        Subject::Bimi(mailposture::bimi::BimiFindingKind::NoEnforcement),
    ] {
        assert!(
            subjects.contains(&wanted),
            "the world lacks {wanted:?}: {subjects:?}"
        );
    }
    // The findings that affect the most domains, with their counts and the dangling target.
    let top = between(&html, "<ol class=\"top\">", "</ol>")[0];
    assert!(top.contains("<strong>2 domains</strong>"), "{top}");
    assert!(
        html.contains("<strong>1 domain includes</strong> <code class=\"name\">gone.test</code>"),
        "dangling target"
    );
    // Failures are kept apart: slow.test's parts are not known, never absent.
    let unknown = between(&html, "<h2>Not measured</h2>", "</ul>")[0];
    assert!(unknown.contains("slow.test"), "{unknown}");
    assert!(
        !top.contains("temperror"),
        "a failure shown as a finding: {top}"
    );

    // Hostile record text is escaped, wherever it shows.
    assert!(!html.contains("<script>alert"), "unescaped script");
    assert!(!html.contains("<img"), "unescaped markup");
    assert!(html.contains(&escape(HOSTILE_SPF)));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "one script, the page's own"
    );

    // Self-contained: the script runs by its hash, nothing is loaded.
    let script = between(&html, "<script>", "</script>")[0];
    let digest = ring::digest::digest(&ring::digest::SHA256, script.as_bytes());
    use base64::Engine as _;
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    assert!(html.contains(&format!(
        "content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'\""
    )));
    // Record text shows escaped, so every tag is the page's own: none loads anything.
    for tag in between(&html, "<", ">") {
        for fetch in ["src=", "url(", "@import", "refresh", "http:", "https:"] {
            assert!(!tag.contains(fetch), "{fetch} in <{tag}>");
        }
    }
    let style = between(&html, "<style>", "</style>")[0];
    assert!(!style.contains("url(") && !style.contains("@import"));
    for link in between(&html, "href=\"", "\"") {
        assert!(link.starts_with("#d"), "a link out of the page: {link}");
    }
}

/// The rows of the page's table as shown now: each visible row's domain and tones.
const VISIBLE_ROWS: &str = "Array.from(document.querySelectorAll('#domains tbody tr'))\
    .filter(r => !r.hidden)\
    .map(r => [r.cells[0].textContent, Array.from(r.cells).slice(1).map(c => +c.dataset.t)])";

fn visible(browser: &mut Browser) -> Vec<(String, Vec<u8>)> {
    serde_json::from_value(browser.eval(VISIBLE_ROWS)).unwrap()
}

/// Clicks the sort button of column `column` (0: the domain).
fn sort(browser: &mut Browser, column: usize) {
    browser.eval(&format!(
        "document.querySelectorAll('#domains thead th button')[{column}].click()"
    ));
}

/// Sets a filter control and sends the event the page listens to.
fn set(browser: &mut Browser, id: &str, value: &str, event: &str) {
    browser.eval(&format!(
        "(() => {{ const c = document.getElementById({id:?}); c.value = {value:?}; \
         c.dispatchEvent(new Event({event:?})); }})()"
    ));
}

#[tokio::test]
#[ignore = "needs /usr/bin/chromium (apt-get install chromium); run by .ci/run"]
async fn audit_report_in_a_headless_browser() {
    let (dir, scan) = scanned().await;
    let page = scan.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let served = table_rows(&html);
    // AUDIT_SCREENSHOT=DIR keeps the screenshots to look at.
    let shots = std::env::var_os("AUDIT_SCREENSHOT")
        .map_or_else(|| dir.path().to_path_buf(), PathBuf::from);
    if std::env::var_os("AUDIT_SCREENSHOT").is_some() {
        std::fs::copy(&page, shots.join("report.html")).unwrap();
    }
    let phone_page = page.clone();
    tokio::task::spawn_blocking(move || {
        let mut browser = Browser::open(&page, 1280, 1000);
        let wide = shots.join("audit-1280.png");
        browser.screenshot(&wide);
        let png = std::fs::read(&wide).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // The script ran: it shows the controls, which stay hidden without it.
        assert_eq!(
            browser.eval("document.getElementById('controls').hidden"),
            false
        );
        assert_eq!(visible(&mut browser), served, "the page's first order");

        // Sorting by SPF: best first... worst first on the first click, then reversed.
        sort(&mut browser, 1);
        let spf: Vec<u8> = visible(&mut browser).iter().map(|r| r.1[0]).collect();
        assert!(spf.is_sorted(), "{spf:?}");
        assert!(spf.first() != spf.last(), "one SPF verdict only: {spf:?}");
        sort(&mut browser, 1);
        let again: Vec<u8> = visible(&mut browser).iter().map(|r| r.1[0]).collect();
        assert!(again.iter().rev().is_sorted(), "{again:?}");
        // By domain name.
        sort(&mut browser, 0);
        let names: Vec<String> = visible(&mut browser).into_iter().map(|r| r.0).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);

        // Filtering: DMARC (column 2) with a warning.
        set(&mut browser, "f-part", "2", "change");
        set(&mut browser, "f-tone", "2", "change");
        let warned: Vec<String> = visible(&mut browser).into_iter().map(|r| r.0).collect();
        let mut expected: Vec<String> = served
            .iter()
            .filter(|(_, tones)| tones[1] == 2)
            .map(|(d, _)| d.clone())
            .collect();
        expected.sort();
        assert!(!expected.is_empty());
        assert_eq!(warned, expected);
        assert_eq!(
            browser.eval("document.getElementById('f-count').textContent"),
            format!("{} of {} domains shown", expected.len(), served.len())
        );
        // Any part with an error, then a name.
        set(&mut browser, "f-part", "", "change");
        set(&mut browser, "f-tone", "0", "change");
        let failing = visible(&mut browser);
        assert!(failing.iter().all(|(_, tones)| tones.contains(&0)));
        assert_eq!(
            failing.len(),
            served.iter().filter(|(_, t)| t.contains(&0)).count()
        );
        set(&mut browser, "f-tone", "", "change");
        set(&mut browser, "f-text", "lax", "input");
        let named: Vec<String> = visible(&mut browser).into_iter().map(|r| r.0).collect();
        assert_eq!(named, ["lax.test"]);

        let trouble = browser.problems();
        assert!(trouble.is_empty(), "{trouble:?}");
        drop(browser);
        // A phone's width: the page still lays out (no console error either).
        let mut phone = Browser::open(&phone_page, 390, 844);
        phone.screenshot(&shots.join("audit-390.png"));
        let trouble = phone.problems();
        assert!(trouble.is_empty(), "{trouble:?}");
    })
    .await
    .unwrap();
}

/// Writes into `to` a finished scan of `copies` renamed copies of every record of the
/// scan in `from` (`c<i>-<domain>`), with its scan.json counting them.
fn replicate(from: &Path, to: &Path, copies: usize) {
    std::fs::create_dir_all(to).unwrap();
    let mut jsonl = String::new();
    let lines = std::fs::read_to_string(from.join("results.jsonl")).unwrap();
    for i in 0..copies {
        for line in lines.lines() {
            let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
            let domain = record["domain"].as_str().unwrap().to_owned();
            record["domain"] = format!("c{i}-{domain}").into();
            jsonl.push_str(&record.to_string());
            jsonl.push('\n');
        }
    }
    std::fs::write(to.join("results.jsonl"), jsonl).unwrap();
    let mut scan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(from.join("scan.json")).unwrap()).unwrap();
    scan["domains"] = (copies * lines.lines().count()).into();
    std::fs::write(to.join("scan.json"), scan.to_string()).unwrap();
}

async fn report(dir: &Path, scan: &Path) -> std::process::Output {
    run(dir, vec!["report".into(), scan.display().to_string()]).await
}

#[tokio::test]
async fn the_report_of_a_large_scan_keeps_the_most_serious_domains() {
    let (dir, scan) = scanned().await;
    // More domains than the table holds: the copies of good.test, without findings,
    // are the least serious and the first left out.
    let copies = mailposture::page::audit::MAX_ROWS / (DOMAINS.len() - 1) + 1;
    let large = dir.path().join("large");
    replicate(&scan, &large, copies);
    let output = report(dir.path(), &large).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let total = copies * DOMAINS.len();
    let html = std::fs::read_to_string(large.join("report.html")).unwrap();
    let rows = table_rows(&html);
    // Bounded by rows or by bytes, whichever comes first.
    let shown = rows.len();
    assert!(shown <= mailposture::page::audit::MAX_ROWS && shown < total - copies);
    assert!(html.len() < 20 << 20, "{} bytes", html.len());
    assert!(
        stderr.contains(&format!(
            "the table holds the {shown} most serious of {total} domains"
        )),
        "{stderr}"
    );
    assert!(rows.iter().all(|(d, _)| !d.ends_with("-good.test")));
    let worst: Vec<u8> = rows.iter().map(|(_, t)| *t.iter().min().unwrap()).collect();
    assert!(worst.is_sorted());
    assert!(html.contains(&format!(
        "The table shows the {shown} most serious of the {total} domains (errors first); the \
         other {} are counted above",
        total - shown
    )));
    // The figures count every record, not the table's.
    assert!(
        html.contains(&format!("<dt>Domains</dt><dd>{total}: ")),
        "the figures' count"
    );
}

#[tokio::test]
async fn the_report_refuses_a_damaged_scan_and_marks_an_unfinished_one() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("two.txt");
    crate::support::history::write_list(&list, &["a.test", "b.test"]);
    let mut zone = Zone::new();
    zone.txt_text("a.test", "v=spf1 -all");
    zone.txt_text("b.test", "v=spf1 include:gone.test -all");
    let scan = dir.path().join("scan");
    crate::support::history::scan_zone(zone, &list, &scan, "2026-12-04T00:00:00Z", &[]).await;

    // A record written twice: damaged, nothing written.
    let damaged = dir.path().join("damaged");
    replicate(&scan, &damaged, 1);
    let jsonl = std::fs::read_to_string(damaged.join("results.jsonl")).unwrap();
    let first = jsonl.lines().next().unwrap();
    std::fs::write(damaged.join("results.jsonl"), format!("{jsonl}{first}\n")).unwrap();
    let mut scan_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(damaged.join("scan.json")).unwrap()).unwrap();
    scan_json["domains"] = 3.into();
    std::fs::write(damaged.join("scan.json"), scan_json.to_string()).unwrap();
    let output = report(dir.path(), &damaged).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("DAMAGED") && stderr.contains("recorded twice"),
        "{stderr}"
    );
    assert!(!damaged.join("report.html").exists());

    // No scan.json: the scan did not finish; the page says so before anything else.
    let unfinished = dir.path().join("unfinished");
    replicate(&scan, &unfinished, 1);
    std::fs::remove_file(unfinished.join("scan.json")).unwrap();
    let output = report(dir.path(), &unfinished).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("did not finish"), "{stderr}");
    let html = std::fs::read_to_string(unfinished.join("report.html")).unwrap();
    let banner = html
        .find("INCOMPLETE: this scan did not finish")
        .expect("the banner");
    assert!(banner < html.find("<h2>").unwrap());
    // Through a resolver that does not validate, DNSSEC is known for no domain: not a
    // column of "not known" cells that would rank every domain.
    assert!(!html.contains("<button type=\"button\">DNSSEC</button>"));
    assert!(html.contains("<button type=\"button\">SPF</button>"));
}

/// A scan where no DNS question was answered: its report claims no absence and no clean
/// domain, and lists every part as not measured.
#[tokio::test]
async fn the_report_of_a_scan_without_answers_claims_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("two.txt");
    crate::support::history::write_list(&list, &["a.test", "b.test"]);
    let scan = dir.path().join("scan");
    crate::support::history::scan_unanswered(&list, &scan, "2026-12-04T00:00:00Z", "0.5").await;
    let output = report(dir.path(), &scan).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let html = std::fs::read_to_string(scan.join("report.html")).unwrap();
    assert!(
        html.contains(
            "No finding: 0 of the 2 domains have none, and 2 have a part that could not be \
             measured (listed below)."
        ),
        "{html}"
    );
    assert!(!html.contains("spf_missing") && !html.contains("dmarc_missing"));
    let unknown = between(&html, "<h2>Not measured</h2>", "</ul>")[0];
    for part in ["SPF", "DMARC", "MX"] {
        assert!(
            unknown.contains(&format!(
                "<strong>2 domains</strong>: {part} <code>temperror</code>"
            )),
            "{part}: {unknown}"
        );
    }
    // Every headline share is of nobody.
    assert!(html.contains("SPF present</span> <span class=\"pct\">n/a</span>"));
}

/// `check` over the same world: each STARTTLS, certificate and DNSSEC verdict that is a
/// finding is followed by its fix, as the report gives it.
#[tokio::test]
async fn check_prints_the_fix_of_each_starttls_certificate_and_dnssec_finding() {
    use mailposture::advice::State;
    let world = World::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = ["check", "lax.test", "hostile.test", "broken.test"]
        .map(str::to_owned)
        .to_vec();
    args.extend(world.network(dir.path()));
    let output = run(dir.path(), args).await;
    world.stop().await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    // The fix lines after the first line under `domain`'s report that contains `marker`.
    let after = |domain: &str, marker: &str| -> Vec<String> {
        let start = lines
            .iter()
            .position(|l| *l == domain)
            .unwrap_or_else(|| panic!("{domain}: {stdout}"));
        let at = lines[start..]
            .iter()
            .position(|l| l.contains(marker))
            .unwrap_or_else(|| panic!("{marker} under {domain}: {stdout}"));
        lines[start + at + 1..]
            .iter()
            .take_while(|l| l.trim_start().starts_with("fix: "))
            .map(|l| l.trim_start().to_owned())
            .collect()
    };
    let fix = |state: State| format!("fix: {}", advice::remedy(Subject::State(state)));
    assert_eq!(
        after("lax.test", "STARTTLS not_offered"),
        [fix(State::StarttlsNotOffered)]
    );
    assert_eq!(
        after("hostile.test", "certificate NOT valid"),
        [
            fix(State::CertificateUntrusted),
            fix(State::CertificateWrongName)
        ]
    );
    assert_eq!(
        after("broken.test", "DNSSEC   bogus"),
        [fix(State::DnssecBogus)]
    );
}
