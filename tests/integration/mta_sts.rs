//! MTA-STS and TLS-RPT through a whole domain scan over real DNS: the record's states,
//! CNAMEs, failures, and (with the in-process HTTPS and SMTP servers) whether a policy
//! would hold for the MX hosts as probed.

use mailposture::mta_sts::{MtaStsStatus, StsFindingKind};
use mailposture::record::DomainRecord;
use mailposture::scan::{ScanOptions, Scanner};
use mailposture::tls_rpt::{RptFindingKind, TlsRptStatus};

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
