//! DANE for SMTP through a whole domain scan: TLSA records served over real DNS, a
//! resolver stand-in that plays a validating resolver, and the in-process SMTP server
//! presenting a test CA's chain, so that each verdict comes from a real handshake.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::TLSA;
use mailposture::dane::{DaneFindingKind, DaneRollup, DaneStatus, HostDane};
use mailposture::dns::{Dns, Dnssec};
use mailposture::net::Guard;
use mailposture::record::{DomainRecord, Part};
use mailposture::scan::{ScanOptions, Scanner};
use mailposture::smtp::ProbeSettings;
use mailposture::smtp::prober::{MxSelection, StarttlsOptions};
use rustls::pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::support::dns::next_loopback;
use crate::support::smtp::{SmtpConfig, SmtpServer, TestPki};
use crate::support::standin::{Standin, StandinConfig};
use crate::support::{DnsFixture, Zone};

/// SHA-256 of a certificate's SubjectPublicKeyInfo: the data of a `x 1 1` record.
fn spki_sha256(cert: &CertificateDer<'_>) -> Vec<u8> {
    let (_, parsed) = X509Certificate::from_der(cert.as_ref()).unwrap();
    ring::digest::digest(&ring::digest::SHA256, parsed.public_key().raw)
        .as_ref()
        .to_vec()
}

fn tlsa(usage: u8, selector: u8, matching: u8, data: Vec<u8>) -> RData {
    RData::TLSA(TLSA::new(
        usage.into(),
        selector.into(),
        matching.into(),
        data,
    ))
}

/// `domain` with its MX `mx.<domain>` at `ip`, an SPF record, and `records` at
/// `_25._tcp.mx.<domain>`.
fn domain(zone: &mut Zone, domain: &str, ip: std::net::Ipv4Addr, records: Vec<RData>) {
    let mx = format!("mx.{domain}");
    zone.txt_text(domain, "v=spf1 mx -all");
    zone.mx(domain, 10, &mx);
    zone.a(&mx, ip);
    for record in records {
        zone.add(&format!("_25._tcp.{mx}"), record);
    }
}

struct World {
    fixture: DnsFixture,
    standin: Standin,
    smtp: SmtpServer,
}

impl World {
    async fn stop(self) {
        self.smtp.stop().await;
        self.standin.stop().await;
        self.fixture.stop().await;
    }

    fn dns(&self) -> Dns {
        let mut settings = self.fixture.settings();
        settings.servers = vec![self.standin.addr()];
        settings.timeout = Duration::from_secs(2);
        Dns::from_settings(&settings).expect("resolver")
    }
}

/// The SMTP server presents the test CA's leaf for `mx.ok.test` (and its CA): every
/// domain's MX points to it, each TLSA RRset says something else of it.
async fn world() -> World {
    let pki = TestPki::new();
    let identity = pki.leaf("mx.ok.test");
    let leaf = spki_sha256(&identity.chain[0]);
    let ca = spki_sha256(&identity.chain[1]);
    let ip = next_loopback();
    let smtp = SmtpServer::start(ip, SmtpConfig::with_tls(identity)).await;

    let mut zone = Zone::new();
    let mut wrong = leaf.clone();
    wrong[0] ^= 0xff;
    domain(
        &mut zone,
        "ok.test",
        ip,
        vec![tlsa(3, 1, 1, leaf.clone()), tlsa(2, 1, 1, ca.clone())],
    );
    domain(
        &mut zone,
        "single.test",
        ip,
        vec![tlsa(3, 1, 1, leaf.clone())],
    );
    domain(&mut zone, "nomatch.test", ip, vec![tlsa(3, 1, 1, wrong)]);
    // DANE-TA with a leaf named for another host: the name check fails.
    domain(&mut zone, "othername.test", ip, vec![tlsa(2, 1, 1, ca)]);
    domain(
        &mut zone,
        "usage1.test",
        ip,
        vec![tlsa(1, 1, 1, leaf.clone())],
    );
    domain(
        &mut zone,
        "short.test",
        ip,
        vec![tlsa(3, 1, 1, leaf[..31].to_vec())],
    );
    domain(
        &mut zone,
        "unsigned.test",
        ip,
        vec![tlsa(3, 1, 1, leaf.clone())],
    );
    domain(&mut zone, "broken.test", ip, vec![tlsa(3, 1, 1, leaf)]);
    domain(&mut zone, "plain.test", ip, vec![]);
    let fixture = DnsFixture::start(zone).await;
    let signed = [
        "ok.test",
        "single.test",
        "nomatch.test",
        "othername.test",
        "usage1.test",
        "short.test",
        "plain.test",
        "broken.test",
    ];
    let config = StandinConfig {
        validating: true,
        signed_zones: signed.iter().map(|z| (*z).to_owned()).collect(),
        bogus_zones: vec!["_25._tcp.mx.broken.test".into()],
        upstream_timeout: Duration::from_secs(2),
        ..StandinConfig::default()
    };
    let standin = Standin::start(fixture.addr, config).await;
    World {
        fixture,
        standin,
        smtp,
    }
}

fn options(smtp: SocketAddr) -> ScanOptions {
    let settings = ProbeSettings {
        port: smtp.port(),
        ..ProbeSettings::default()
    };
    ScanOptions {
        starttls: Some(StarttlsOptions {
            settings,
            concurrency: NonZeroUsize::new(4).unwrap(),
            per_address: NonZeroUsize::new(4).unwrap(),
            hosts: MxSelection::All,
            guard: Guard::ALLOW_NONPUBLIC,
        }),
        ..ScanOptions::default()
    }
}

async fn scan_all(dns: &Dns, options: ScanOptions, domains: &[&str]) -> Vec<DomainRecord> {
    dns.check_validation().await;
    let scanner = Scanner::new(dns.clone(), options);
    let mut records = Vec::new();
    for d in domains {
        records.push(scanner.scan(d).await);
    }
    records
}

fn host(record: &DomainRecord) -> &HostDane {
    record.mx.hosts[0]
        .dane
        .as_ref()
        .unwrap_or_else(|| panic!("{}: no dane part", record.domain))
}

fn error_kinds(dane: &HostDane) -> Vec<DaneFindingKind> {
    dane.errors.iter().map(|f| f.kind).collect()
}

#[tokio::test]
async fn tlsa_records_are_matched_against_the_chain_the_host_presents() {
    let world = world().await;
    let dns = world.dns();
    let domains = [
        "ok.test",
        "single.test",
        "nomatch.test",
        "othername.test",
        "usage1.test",
        "short.test",
        "unsigned.test",
        "broken.test",
        "plain.test",
    ];
    let records = scan_all(&dns, options(world.smtp.addr()), &domains).await;
    world.stop().await;

    let by = |name: &str| {
        records
            .iter()
            .find(|r| r.domain == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let expect = [
        ("ok.test", DaneStatus::Ok, &[][..], Some(DaneRollup::All)),
        ("single.test", DaneStatus::Ok, &[], Some(DaneRollup::All)),
        (
            "nomatch.test",
            DaneStatus::Fail,
            &[DaneFindingKind::NoMatch],
            Some(DaneRollup::None),
        ),
        (
            "othername.test",
            DaneStatus::Fail,
            &[DaneFindingKind::NoMatch],
            Some(DaneRollup::None),
        ),
        (
            "usage1.test",
            DaneStatus::Unusable,
            &[DaneFindingKind::UnusableUsage],
            Some(DaneRollup::None),
        ),
        (
            "short.test",
            DaneStatus::Unusable,
            &[DaneFindingKind::BadLength],
            Some(DaneRollup::None),
        ),
        (
            "unsigned.test",
            DaneStatus::Unusable,
            &[DaneFindingKind::InsecureTlsa],
            Some(DaneRollup::None),
        ),
        (
            "broken.test",
            DaneStatus::Fail,
            &[DaneFindingKind::Bogus],
            Some(DaneRollup::None),
        ),
        (
            "plain.test",
            DaneStatus::None,
            &[],
            Some(DaneRollup::NotApplicable),
        ),
    ];
    for (name, status, errors, rollup) in expect {
        let r = by(name);
        let dane = host(r);
        assert_eq!(dane.status, status, "{name}: {dane:#?}");
        assert_eq!(error_kinds(dane), errors, "{name}: {dane:#?}");
        assert_eq!(r.mx.dane, rollup, "{name}");
        assert_eq!(dane.tlsa_name, format!("_25._tcp.mx.{name}"));
    }
    // The match names the record; one record alone leaves nothing to roll over to.
    let ok = host(by("ok.test"));
    assert!(
        ok.matched.as_deref().unwrap().starts_with("3 1 1 "),
        "{ok:#?}"
    );
    assert!(ok.warnings.is_empty(), "{ok:#?}");
    assert_eq!(ok.dnssec, Dnssec::Secure);
    let single = host(by("single.test"));
    let warnings: Vec<_> = single.warnings.iter().map(|w| w.kind).collect();
    assert_eq!(warnings, [DaneFindingKind::SingleRecord]);
    assert_eq!(host(by("unsigned.test")).dnssec, Dnssec::Insecure);
    assert_eq!(host(by("broken.test")).dnssec, Dnssec::Bogus);
}

/// Without the probe, usable records say nothing of the host: `unknown`, not `fail`.
#[tokio::test]
async fn usable_records_without_a_probe_are_unknown() {
    let world = world().await;
    let dns = world.dns();
    let records = scan_all(&dns, ScanOptions::default(), &["ok.test"]).await;
    world.stop().await;
    let dane = host(&records[0]);
    assert_eq!(dane.status, DaneStatus::Unknown, "{dane:#?}");
    assert_eq!(error_kinds(dane), [DaneFindingKind::NotProbed]);
    assert_eq!(records[0].mx.dane, Some(DaneRollup::Unknown));
}

/// `--skip dane`: the parts null, where the same scan without it has them.
#[tokio::test]
async fn skip_dane_asks_no_tlsa_question() {
    let world = world().await;
    let dns = world.dns();
    let options = ScanOptions {
        skip: vec![Part::Dane],
        ..options(world.smtp.addr())
    };
    let records = scan_all(&dns, options, &["ok.test"]).await;
    let with = scan_all(&world.dns(), ScanOptions::default(), &["ok.test"]).await;
    world.stop().await;
    assert!(records[0].mx.dane.is_none());
    assert!(records[0].mx.hosts[0].dane.is_none());
    assert!(with[0].mx.dane.is_some());
}
