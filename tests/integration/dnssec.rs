//! The DNSSEC state of a domain's answers, through a resolver stand-in that plays a
//! validating resolver (AD on signed zones' answers, SERVFAIL for bogus ones unless CD):
//! the scanner reads the resolver's verdict, and says `unknown` whenever the resolver
//! does not give one.

use std::time::Duration;

use hickory_proto::rr::rdata::NULL;
use hickory_proto::rr::{RData, RecordType};
use mailposture::dns::{Dns, Dnssec, Validation};
use mailposture::record::DomainRecord;
use mailposture::scan::{ScanOptions, Scanner};

use crate::support::standin::{Standin, StandinConfig};
use crate::support::{DnsFixture, Zone};

/// A domain with every record a scan reads at its own names.
fn domain(zone: &mut Zone, name: &str) {
    zone.txt_text(name, "v=spf1 -all");
    zone.txt_text(&format!("_dmarc.{name}"), "v=DMARC1; p=reject");
    zone.mx(name, 10, &format!("mx.{name}"));
    zone.a(&format!("mx.{name}"), "192.0.2.25".parse().unwrap());
    zone.txt_text(&format!("_mta-sts.{name}"), "v=STSv1; id=1");
    zone.txt_text(
        &format!("_smtp._tls.{name}"),
        "v=TLSRPTv1; rua=mailto:t@example.net",
    );
}

fn world() -> Zone {
    let mut zone = Zone::new();
    for name in ["signed.test", "plain.test", "broken.test"] {
        domain(&mut zone, name);
    }
    zone
}

fn validator() -> StandinConfig {
    StandinConfig {
        validating: true,
        signed_zones: vec!["signed.test".into(), "broken.test".into()],
        bogus_zones: vec!["broken.test".into()],
        upstream_timeout: Duration::from_secs(2),
        ..StandinConfig::default()
    }
}

/// The scanner's DNS through `standin` only.
fn through(fixture: &DnsFixture, standin: &Standin) -> Dns {
    let mut settings = fixture.settings();
    settings.servers = vec![standin.addr()];
    settings.timeout = Duration::from_secs(2);
    Dns::from_settings(&settings).expect("resolver")
}

async fn scan(dns: &Dns, names: &[&str]) -> Vec<DomainRecord> {
    let scanner = Scanner::new(dns.clone(), ScanOptions::default());
    let mut records = Vec::new();
    for name in names {
        records.push(scanner.scan(name).await);
    }
    records
}

fn parts(record: &DomainRecord) -> [Option<Dnssec>; 5] {
    let d = record.dnssec.as_ref().expect("a dnssec part");
    let p = &d.parts;
    [p.spf, p.dmarc, p.mx, p.mta_sts, p.tls_rpt]
}

#[tokio::test]
async fn each_part_carries_the_validating_resolvers_verdict() {
    let fixture = DnsFixture::start(world()).await;
    let standin = Standin::start(fixture.addr, validator()).await;
    let dns = through(&fixture, &standin);
    let validation = dns.check_validation().await;
    let records = scan(&dns, &["signed.test", "plain.test", "broken.test"]).await;
    standin.stop().await;
    fixture.stop().await;

    assert_eq!(validation, Validation::Validating);
    let [signed, plain, broken] = &records[..] else {
        unreachable!()
    };
    assert_eq!(signed.dnssec.as_ref().unwrap().status, Dnssec::Secure);
    assert_eq!(
        signed.dnssec.as_ref().unwrap().validation,
        Validation::Validating
    );
    assert_eq!(parts(signed), [Some(Dnssec::Secure); 5]);
    // Unsigned, through a validating resolver: provably insecure, not unknown.
    assert_eq!(plain.dnssec.as_ref().unwrap().status, Dnssec::Insecure);
    assert_eq!(parts(plain), [Some(Dnssec::Insecure); 5]);
    // Signatures that fail: bogus, and the records are unknown, not absent.
    assert_eq!(broken.dnssec.as_ref().unwrap().status, Dnssec::Bogus);
    assert_eq!(parts(broken), [Some(Dnssec::Bogus); 5]);
    let json = serde_json::to_value(broken).unwrap();
    assert_eq!(json["spf"]["status"], "temperror", "{json}");
    assert_eq!(json["dmarc"]["status"], "temperror", "{json}");
    let said = json["spf"]["errors"][0]["detail"].as_str().unwrap();
    assert!(said.contains("dnssec bogus"), "{said}");
    assert!(said.contains("checking disabled"), "{said}");
}

/// A bogus answer costs one more question (the same with CD), and its CD answer is not
/// cached as an answer: asked again, the name is still bogus.
#[tokio::test]
async fn a_bogus_answer_is_asked_once_more_with_cd_and_never_used() {
    let fixture = DnsFixture::start(world()).await;
    let standin = Standin::start(fixture.addr, validator()).await;
    let dns = through(&fixture, &standin);
    dns.check_validation().await;
    let before = standin.received();
    let first = dns.txt("broken.test").await;
    let asked = standin.received() - before;
    let second = dns.txt("broken.test").await;
    standin.stop().await;
    fixture.stop().await;

    assert_eq!(asked, 2, "the question, then the same with CD");
    for outcome in [first, second] {
        match outcome {
            mailposture::dns::Outcome::TempFail(t) => {
                assert_eq!(t.kind, mailposture::dns::TempFailKind::Bogus, "{t}");
            }
            other => panic!("expected a bogus failure, got {other:?}"),
        }
    }
}

/// A resolver that does not validate: the root's DNSKEY comes back without AD, and
/// every state is `unknown`, never `insecure`; a SERVFAIL is not asked again with CD.
#[tokio::test]
async fn a_resolver_that_does_not_validate_leaves_every_state_unknown() {
    let mut zone = world();
    zone.add(
        ".",
        RData::Unknown {
            code: RecordType::DNSKEY,
            rdata: NULL::with(vec![1, 1, 3, 13, 0, 0]),
        },
    );
    let fixture = DnsFixture::start(zone).await;
    let config = StandinConfig {
        servfail_zones: vec!["broken.test".into()],
        ..StandinConfig::default()
    };
    let standin = Standin::start(fixture.addr, config).await;
    let dns = through(&fixture, &standin);
    let validation = dns.check_validation().await;
    let records = scan(&dns, &["signed.test", "plain.test"]).await;
    let before = standin.received();
    let failed = dns.txt("broken.test").await;
    let asked = standin.received() - before;
    standin.stop().await;
    fixture.stop().await;

    assert_eq!(validation, Validation::NotValidating);
    for record in &records {
        let d = record.dnssec.as_ref().unwrap();
        assert_eq!(d.status, Dnssec::Unknown, "{}", record.domain);
        assert_eq!(d.validation, Validation::NotValidating);
        assert_eq!(
            parts(record),
            [Some(Dnssec::Unknown); 5],
            "{}",
            record.domain
        );
    }
    assert!(
        matches!(&failed, mailposture::dns::Outcome::TempFail(t)
            if t.kind == mailposture::dns::TempFailKind::Servfail),
        "{failed:?}"
    );
    assert_eq!(
        asked, 1,
        "no CD question to a resolver that does not validate"
    );
}

/// Before the resolver was asked (a scanner used as a library), nothing is claimed.
#[tokio::test]
async fn without_the_check_nothing_is_claimed() {
    let fixture = DnsFixture::start(world()).await;
    let standin = Standin::start(fixture.addr, validator()).await;
    let dns = through(&fixture, &standin);
    let records = scan(&dns, &["signed.test"]).await;
    standin.stop().await;
    fixture.stop().await;
    let d = records[0].dnssec.as_ref().unwrap();
    assert_eq!(
        (d.status, d.validation),
        (Dnssec::Unknown, Validation::NotKnown)
    );
}
