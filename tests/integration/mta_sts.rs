//! MTA-STS and TLS-RPT through a whole domain scan over real DNS: the record's states,
//! CNAMEs, failures, and (with the in-process HTTPS and SMTP servers) whether a policy
//! would hold for the MX hosts as probed.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use mailposture::mta_sts::fetch::FetchSettings;
use mailposture::mta_sts::{
    FetchStatus, Holding, HostTls, Mode, MtaStsReport, MtaStsStatus, StsFindingKind,
};
use mailposture::net::Guard;
use mailposture::record::DomainRecord;
use mailposture::scan::{ScanOptions, Scanner};
use mailposture::smtp::ProbeSettings;
use mailposture::smtp::prober::{MxSelection, StarttlsOptions};
use mailposture::tls_rpt::{RptFindingKind, TlsRptStatus};

use crate::support::dns::next_loopback;
use crate::support::https::{HttpsConfig, HttpsServer, PORT};
use crate::support::smtp::{SmtpConfig, SmtpServer, TestPki, TlsIdentity, self_signed};
use crate::support::{DnsFixture, Zone};

/// `domain` scanned over `zone`, STARTTLS and policy fetches as `options` say.
async fn scan(zone: Zone, domain: &str, options: ScanOptions) -> DomainRecord {
    let fixture = DnsFixture::start(zone).await;
    let record = Scanner::new(fixture.dns(), options).scan(domain).await;
    fixture.stop().await;
    record
}

fn sts_kinds(findings: &[mailposture::mta_sts::StsFinding]) -> Vec<StsFindingKind> {
    findings.iter().map(|f| f.kind).collect()
}

#[tokio::test]
async fn two_records_leave_no_usable_policy_and_nothing_is_fetched() {
    let mut zone = Zone::new();
    zone.txt_text("_mta-sts.example.test", "v=STSv1; id=1")
        .txt_text("_mta-sts.example.test", "v=STSv1; id=2")
        .txt_text("_mta-sts.example.test", "unrelated");
    let options = ScanOptions {
        mta_sts: Some(Default::default()),
        ..ScanOptions::default()
    };
    let record = scan(zone, "example.test", options).await;
    let sts = record.mta_sts.expect("the part");
    assert_eq!(sts.status, MtaStsStatus::Invalid);
    assert_eq!(sts_kinds(&sts.errors), [StsFindingKind::MultipleRecords]);
    assert_eq!(sts.records, ["v=STSv1; id=1", "v=STSv1; id=2"]);
    assert!(
        sts.fetch.is_none(),
        "senders fetch nothing: {:?}",
        sts.fetch
    );
    assert_eq!(sts.holds, None);
}

#[tokio::test]
async fn the_record_is_found_through_a_cname() {
    let mut zone = Zone::new();
    zone.cname("_mta-sts.example.test", "sts.provider.test")
        .txt_text("sts.provider.test", "v=STSv1; id=20261203T1")
        .cname("_smtp._tls.example.test", "rpt.provider.test")
        .txt_text(
            "rpt.provider.test",
            "v=TLSRPTv1; rua=mailto:tls@provider.test",
        );
    // Without the fetch: the record alone.
    let record = scan(zone, "example.test", ScanOptions::default()).await;
    let sts = record.mta_sts.expect("the part");
    assert_eq!(sts.status, MtaStsStatus::Ok, "{sts:?}");
    assert_eq!(sts.id.as_deref(), Some("20261203T1"));
    assert!(sts.fetch.is_none());
    let rpt = record.tls_rpt.expect("the part");
    assert_eq!(rpt.status, TlsRptStatus::Ok, "{rpt:?}");
    assert_eq!(rpt.rua[0].target, "tls@provider.test");
    assert!(rpt.warnings.is_empty());
}

#[tokio::test]
async fn a_failed_lookup_is_temperror_never_absence() {
    let mut zone = Zone::new();
    zone.txt_text("example.test", "v=spf1 -all")
        .silent("_mta-sts.example.test")
        .silent("_smtp._tls.example.test");
    let record = scan(zone, "example.test", ScanOptions::default()).await;
    let sts = record.mta_sts.expect("the part");
    assert_eq!(sts.status, MtaStsStatus::Temperror, "{sts:?}");
    assert_eq!(sts_kinds(&sts.errors), [StsFindingKind::Temperror]);
    let rpt = record.tls_rpt.expect("the part");
    assert_eq!(rpt.status, TlsRptStatus::Temperror, "{rpt:?}");
    assert!(rpt.warnings.is_empty());
}

#[tokio::test]
async fn tls_rpt_records_and_the_warning_when_mta_sts_goes_unreported() {
    let mut zone = Zone::new();
    zone.txt_text("_mta-sts.one.test", "v=STSv1; id=1")
        .txt_text("_smtp._tls.two.test", "v=TLSRPTv1; rua=mailto:a@two.test")
        .txt_text("_smtp._tls.two.test", "v=TLSRPTv1; rua=mailto:b@two.test")
        .txt_text(
            "_smtp._tls.three.test",
            "v=TLSRPTv1; rua=ftp://three.test/x",
        );
    let fixture = DnsFixture::start(zone).await;
    let scanner = Scanner::new(fixture.dns(), ScanOptions::default());
    let one = scanner.scan("one.test").await.tls_rpt.expect("the part");
    let two = scanner.scan("two.test").await.tls_rpt.expect("the part");
    let three = scanner.scan("three.test").await.tls_rpt.expect("the part");
    let four = scanner.scan("four.test").await.tls_rpt.expect("the part");
    fixture.stop().await;
    assert_eq!(one.status, TlsRptStatus::None);
    let warnings: Vec<RptFindingKind> = one.warnings.iter().map(|w| w.kind).collect();
    assert_eq!(warnings, [RptFindingKind::Missing]);
    assert_eq!(two.status, TlsRptStatus::Invalid);
    assert_eq!(two.errors[0].kind, RptFindingKind::MultipleRecords);
    assert_eq!(three.status, TlsRptStatus::Invalid);
    assert_eq!(three.errors[0].kind, RptFindingKind::Syntax);
    assert_eq!(four.status, TlsRptStatus::None);
    assert!(four.warnings.is_empty(), "no MTA-STS, nothing to report");
}

/// A domain with one policy host (HTTPS) and MX hosts (SMTP with STARTTLS), each on a
/// loopback address of its own, under one test CA.
struct World {
    pki: TestPki,
    zone: Zone,
    servers: Vec<SmtpServer>,
    https: Option<HttpsServer>,
    smtp_port: u16,
}

impl World {
    fn new() -> Self {
        Self {
            pki: TestPki::new(),
            zone: Zone::new(),
            servers: Vec::new(),
            https: None,
            smtp_port: 0,
        }
    }

    /// `name` as an MX host of example.test presenting `identity` (its own name's test-CA
    /// certificate when `None`).
    async fn mx(&mut self, preference: u16, name: &str, identity: Option<TlsIdentity>) {
        let ip = next_loopback();
        let identity = identity.unwrap_or_else(|| self.pki.leaf(name));
        // Every MX host listens on the same port, each on its own address.
        let addr = SocketAddr::from((ip, self.smtp_port));
        let server = SmtpServer::start_at(addr, SmtpConfig::with_tls(identity)).await;
        self.smtp_port = server.port();
        self.zone.mx("example.test", preference, name).a(name, ip);
        self.servers.push(server);
    }

    /// The `_mta-sts` record and the policy served at mta-sts.example.test.
    async fn policy(&mut self, body: &str) {
        self.zone
            .txt_text("_mta-sts.example.test", "v=STSv1; id=20261203");
        self.serve(body).await;
    }

    /// Only the policy host, serving `body`.
    async fn serve(&mut self, body: &str) {
        let ip = next_loopback();
        let identity = self.pki.leaf("mta-sts.example.test");
        let server = HttpsServer::start(
            SocketAddr::from((ip, PORT)),
            HttpsConfig::policy(identity, body),
        )
        .await;
        self.zone.a("mta-sts.example.test", ip);
        self.https = Some(server);
    }

    fn options(&self) -> ScanOptions {
        ScanOptions {
            starttls: Some(StarttlsOptions {
                settings: ProbeSettings {
                    port: self.smtp_port,
                    helo: "scanner.test.example".into(),
                    connect_timeout: Duration::from_secs(1),
                    reply_timeout: Duration::from_secs(1),
                    handshake_timeout: Duration::from_secs(2),
                    total_timeout: Duration::from_secs(5),
                    roots: self.pki.roots(),
                },
                concurrency: NonZeroUsize::new(8).unwrap(),
                per_address: NonZeroUsize::MIN,
                hosts: MxSelection::All,
                guard: Guard::ALLOW_NONPUBLIC,
            }),
            mta_sts: Some(FetchSettings {
                port: PORT,
                roots: self.pki.roots(),
                guard: Guard::ALLOW_NONPUBLIC,
                ..FetchSettings::default()
            }),
            ..ScanOptions::default()
        }
    }

    /// Scans example.test and stops every server.
    async fn scan(self) -> MtaStsReport {
        let options = self.options();
        self.scan_with(options).await
    }

    async fn scan_with(self, options: ScanOptions) -> MtaStsReport {
        self.scan_record(options).await.mta_sts.expect("the part")
    }

    async fn scan_record(self, options: ScanOptions) -> DomainRecord {
        let record = scan(self.zone.clone(), "example.test", options).await;
        self.stop().await;
        record
    }

    async fn stop(self) {
        for server in self.servers {
            server.stop().await;
        }
        if let Some(https) = self.https {
            https.stop().await;
        }
    }
}

const ENFORCE: &str = "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: *.backup.example.test\nmax_age: 1209600\n";

#[tokio::test]
async fn an_enforced_policy_that_holds() {
    let mut world = World::new();
    world.mx(10, "mx1.example.test", None).await;
    world.mx(20, "b.backup.example.test", None).await;
    world.policy(ENFORCE).await;
    let sts = world.scan().await;
    assert_eq!(sts.status, MtaStsStatus::Ok, "{sts:#?}");
    assert_eq!(sts.fetch.as_ref().map(|f| f.status), Some(FetchStatus::Ok));
    assert!(
        sts.fetch
            .as_ref()
            .and_then(|f| f.cert.as_ref())
            .is_some_and(|c| c.valid)
    );
    let policy = sts.policy.as_ref().expect("a policy");
    assert_eq!(policy.mode, Mode::Enforce);
    assert_eq!(policy.max_age, 1_209_600);
    assert_eq!(sts.holds, Some(Holding::Holds), "{sts:#?}");
    let verdicts: Vec<(&str, Option<&str>, HostTls)> = sts
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.pattern.as_deref(), h.tls))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("mx1.example.test", Some("mx1.example.test"), HostTls::Valid),
            (
                "b.backup.example.test",
                Some("*.backup.example.test"),
                HostTls::Valid
            ),
        ]
    );
    assert!(sts.errors.is_empty() && sts.warnings.is_empty(), "{sts:#?}");
}

/// `*.backup.example.test` covers one label, not two (RFC 8461 §4.1).
#[tokio::test]
async fn an_unmatched_mx_makes_an_enforced_policy_fail() {
    let mut world = World::new();
    world.mx(10, "mx1.example.test", None).await;
    world.mx(20, "a.b.backup.example.test", None).await;
    world.policy(ENFORCE).await;
    let sts = world.scan().await;
    assert_eq!(sts.holds, Some(Holding::WouldFail), "{sts:#?}");
    assert_eq!(sts_kinds(&sts.errors), [StsFindingKind::WouldFail]);
    assert_eq!(sts.hosts[1].pattern, None);
    assert_eq!(
        sts.hosts[1].tls,
        HostTls::Valid,
        "its TLS is fine; the match is not"
    );
    assert!(
        sts.errors[0]
            .detail
            .contains("a.b.backup.example.test (matched by no mx pattern)")
    );
}

#[tokio::test]
async fn a_self_signed_mx_certificate_makes_an_enforced_policy_fail() {
    let mut world = World::new();
    world
        .mx(
            10,
            "mx1.example.test",
            Some(self_signed("mx1.example.test")),
        )
        .await;
    world.policy(ENFORCE).await;
    let sts = world.scan().await;
    assert_eq!(sts.holds, Some(Holding::WouldFail), "{sts:#?}");
    assert_eq!(sts.hosts[0].tls, HostTls::Invalid);
    assert_eq!(sts_kinds(&sts.errors), [StsFindingKind::WouldFail]);
}

#[tokio::test]
async fn testing_mode_with_a_gap_is_a_warning_and_none_is_not_judged() {
    let mut world = World::new();
    world.mx(10, "other.example.test", None).await;
    world
        .policy("version: STSv1\nmode: testing\nmx: mx1.example.test\nmax_age: 86400\n")
        .await;
    let testing = world.scan().await;
    assert_eq!(testing.status, MtaStsStatus::Ok);
    assert_eq!(testing.holds, Some(Holding::WouldFail));
    assert!(testing.errors.is_empty(), "{:?}", testing.errors);
    assert_eq!(
        sts_kinds(&testing.warnings),
        [StsFindingKind::TestingWouldFail]
    );

    let mut world = World::new();
    world.mx(10, "other.example.test", None).await;
    world
        .policy("version: STSv1\nmode: none\nmax_age: 86400\n")
        .await;
    let none = world.scan().await;
    assert_eq!(none.status, MtaStsStatus::Ok);
    assert_eq!(none.policy.as_ref().map(|p| p.mode), Some(Mode::None));
    assert_eq!(none.holds, None);
    assert!(none.errors.is_empty() && none.warnings.is_empty());
}

#[tokio::test]
async fn malformed_and_repeated_policy_keys() {
    let mut world = World::new();
    world.mx(10, "mx1.example.test", None).await;
    world
        .policy("version: STSv1\nmode: enforce\nmx mx1.example.test\nmax_age: 86400\n")
        .await;
    let malformed = world.scan().await;
    assert_eq!(malformed.status, MtaStsStatus::Invalid);
    assert_eq!(sts_kinds(&malformed.errors), [StsFindingKind::PolicySyntax]);
    assert_eq!(malformed.holds, None);

    // A repeated mode: senders use the first (RFC 8461 §3.2), so does the verdict.
    let mut world = World::new();
    world.mx(10, "mx1.example.test", None).await;
    world
        .policy(
            "version: STSv1\nmode: testing\nmode: enforce\nmx: mx1.example.test\nmax_age: 86400\n",
        )
        .await;
    let repeated = world.scan().await;
    assert_eq!(repeated.status, MtaStsStatus::Ok);
    assert_eq!(
        repeated.policy.as_ref().map(|p| p.mode),
        Some(Mode::Testing)
    );
    assert_eq!(
        sts_kinds(&repeated.warnings),
        [StsFindingKind::DuplicateField]
    );
}

#[tokio::test]
async fn a_record_whose_policy_host_has_no_address() {
    let mut world = World::new();
    world.mx(10, "mx1.example.test", None).await;
    world
        .zone
        .txt_text("_mta-sts.example.test", "v=STSv1; id=20261203");
    let sts = world.scan().await;
    assert_eq!(sts.status, MtaStsStatus::Invalid, "{sts:#?}");
    assert_eq!(sts_kinds(&sts.errors), [StsFindingKind::NoPolicy]);
    assert_eq!(
        sts.fetch.as_ref().map(|f| f.status),
        Some(FetchStatus::NoHost)
    );
    assert_eq!(sts.holds, None);
}

#[tokio::test]
async fn a_policy_without_a_record_is_found_by_check_only() {
    let mut world = World::new();
    world.mx(10, "mx1.example.test", None).await;
    world.serve(ENFORCE).await;
    let options = ScanOptions {
        unpublished_policies: true,
        ..world.options()
    };
    let checked = world.scan_with(options).await;
    assert_eq!(checked.status, MtaStsStatus::None);
    assert_eq!(
        sts_kinds(&checked.warnings),
        [StsFindingKind::PolicyWithoutRecord]
    );
    assert_eq!(checked.holds, None, "senders never use it");

    let mut world = World::new();
    world.mx(10, "mx1.example.test", None).await;
    world.serve(ENFORCE).await;
    let scanned = world.scan().await;
    assert_eq!(scanned.status, MtaStsStatus::None);
    assert!(scanned.warnings.is_empty() && scanned.fetch.is_none());
}

#[tokio::test]
async fn without_the_fetch_the_record_alone_is_judged() {
    let mut world = World::new();
    world.mx(10, "mx1.example.test", None).await;
    world.policy(ENFORCE).await;
    let options = ScanOptions {
        mta_sts: None,
        ..world.options()
    };
    let sts = world.scan_with(options).await;
    assert_eq!(sts.status, MtaStsStatus::Ok);
    assert!(sts.fetch.is_none() && sts.policy.is_none() && sts.holds.is_none());
}

#[tokio::test]
async fn skipped_parts_are_null_and_ask_nothing() {
    use mailposture::record::Part;
    let mut zone = Zone::new();
    zone.txt_text("_mta-sts.example.test", "v=STSv1; id=1")
        .txt_text(
            "_smtp._tls.example.test",
            "v=TLSRPTv1; rua=mailto:t@example.test",
        );
    let fixture = DnsFixture::start(zone).await;
    let whole = fixture.dns();
    let record = Scanner::new(whole.clone(), ScanOptions::default())
        .scan("example.test")
        .await;
    assert!(record.mta_sts.is_some() && record.tls_rpt.is_some());
    let skipping = fixture.dns();
    let options = ScanOptions {
        skip: vec![Part::MtaSts, Part::TlsRpt],
        ..ScanOptions::default()
    };
    let record = Scanner::new(skipping.clone(), options)
        .scan("example.test")
        .await;
    fixture.stop().await;
    assert!(record.mta_sts.is_none() && record.tls_rpt.is_none());
    let lookups = |dns: &mailposture::dns::Dns| dns.figures().lookups;
    assert_eq!(
        lookups(&whole),
        lookups(&skipping) + 2,
        "two TXT questions fewer"
    );
}

#[tokio::test]
async fn a_ca_file_without_certificates_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let output = crate::support::cmd::run(
        dir.path(),
        vec![
            "check".into(),
            "example.test".into(),
            "--ca-file".into(),
            junk.display().to_string(),
            "--helo".into(),
            "scanner.test".into(),
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("junk.pem holds no PEM certificate"),
        "{stderr}"
    );
}

#[tokio::test]
async fn check_text_shows_the_policy_and_each_host() {
    let mut world = World::new();
    world.mx(10, "mx1.example.test", None).await;
    world.mx(20, "stray.example.test", None).await;
    world.policy(ENFORCE).await;
    let options = world.options();
    let record = world.scan_record(options).await;
    let text = crate::support::plain(&mailposture::output::text::domain(&record));
    let sts = &text[text.find("\nMTA-STS").expect("an MTA-STS part")..];
    let lines: Vec<&str> = sts.lines().skip(1).collect();
    assert_eq!(
        lines[0],
        "MTA-STS  ok  mode enforce, max_age 1209600 s  would_fail"
    );
    assert_eq!(lines[1], "  v=STSv1; id=20261203");
    assert!(
        lines[2].starts_with(
            "  policy https://mta-sts.example.test/.well-known/mta-sts.txt ok from 127."
        ) && lines[2].contains("HTTP 200  text/plain; charset=utf-8  certificate valid"),
        "{}",
        lines[2]
    );
    assert_eq!(lines[3], "  mx mx1.example.test, *.backup.example.test");
    assert_eq!(
        lines[4],
        "  mx1.example.test  matched by mx1.example.test  TLS valid"
    );
    assert_eq!(
        lines[5],
        "  stray.example.test  matched by no mx pattern  TLS valid"
    );
    assert!(lines[6].starts_with("  error would_fail: senders that enforce the policy refuse to deliver to stray.example.test"), "{}", lines[6]);
    assert!(sts.contains("\nTLS-RPT  none  no v=TLSRPTv1 record at _smtp._tls.example.test\n  warning missing: an MTA-STS record is published, but no TLS-RPT record"), "{sts}");
}

/// The command line end to end: `--ca-file`, `--mta-sts-port`, `--smtp-port` and
/// `--allow-nonpublic` reach the fetch and the probe, and `--fail-on mta-sts-would-fail`
/// ends the run with 3.
#[tokio::test]
async fn check_fails_on_a_policy_that_would_fail() {
    let mut world = World::new();
    world.mx(10, "stray.example.test", None).await;
    world.policy(ENFORCE).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, world.pki.ca_pem()).unwrap();
    let fixture = DnsFixture::start(world.zone.clone()).await;
    let args: Vec<String> = [
        "check",
        "example.test",
        "--json",
        "--resolver",
        &fixture.resolver_arg(),
        "--allow-nonpublic",
        "--smtp-port",
        &world.smtp_port.to_string(),
        "--mta-sts-port",
        &PORT.to_string(),
        "--ca-file",
        &ca.display().to_string(),
        "--helo",
        "scanner.test.example",
        "--fail-on",
        "mta-sts-would-fail",
    ]
    .map(str::to_owned)
    .to_vec();
    let output = crate::support::cmd::run(dir.path(), args).await;
    fixture.stop().await;
    world.stop().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("mta-sts-would-fail"), "{stderr}");
    let record: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let sts = &record["mta_sts"];
    assert_eq!(sts["holds"], "would_fail", "{sts}");
    assert_eq!(sts["fetch"]["cert"]["valid"], true, "{sts}");
    assert_eq!(sts["hosts"][0]["tls"], "valid", "{sts}");
}
