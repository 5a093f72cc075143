//! Shared test support: the DNS, SMTP and HTTPS fixtures and helpers to run the analysers and the binary.

#![allow(
    dead_code,
    unused_imports,
    unreachable_pub,
    reason = "each test module uses a different part"
)]

pub mod browser;
pub mod cmd;
pub mod devtools;
pub mod dns;
pub mod history;
pub mod https;
pub mod raw_dns;
pub mod smtp;
pub mod standin;
pub mod svg;

use mailposture::spf::analysis::{SpfReport, analyse};
use mailposture::spf::expand::Expander;

pub use self::dns::{DnsFixture, Zone};
pub use self::smtp::{Behaviour, SmtpConfig, SmtpServer, TestPki, self_signed};

/// Serves `zone`, analyses `domain`'s SPF twice — without and with the shared subtree
/// memo, which must not change the result — and stops the server.
pub async fn spf_report(zone: Zone, domain: &str) -> SpfReport {
    let fixture = DnsFixture::start(zone).await;
    let plain = analyse(Expander::new(fixture.dns(), 0).expand(domain).await);
    let shared = Expander::new(fixture.dns(), 1000);
    // Twice through the memo: the second run takes subtrees from it.
    let _ = shared.expand(domain).await;
    let memo = analyse(shared.expand(domain).await);
    fixture.stop().await;
    assert_eq!(
        serde_json::to_value(&plain).unwrap(),
        serde_json::to_value(&memo).unwrap(),
        "the shared-subtree memo changed the result for {domain}"
    );
    plain
}

/// Ten answered names, then twenty never answered: a scan of them is still running
/// when the test looks, whatever the machine's speed.
pub fn slow_world() -> (Zone, Vec<String>) {
    let mut zone = Zone::new();
    let mut names = Vec::new();
    for i in 0..10 {
        let name = format!("t{i}.example.jp");
        zone.txt_text(&name, "v=spf1 -all");
        names.push(name);
    }
    for i in 0..20 {
        let name = format!("silent{i}.example.jp");
        zone.silent(&name);
        names.push(name);
    }
    (zone, names)
}

/// Human-readable text without its colour codes, as a pipe or `NO_COLOR` gets it.
pub fn plain(text: &str) -> String {
    anstream::adapter::strip_str(text).to_string()
}

/// The error kinds of a report, in order.
pub fn kinds(report: &SpfReport) -> Vec<&'static str> {
    report.errors.iter().map(|e| e.kind.as_str()).collect()
}

pub fn warning_kinds(report: &SpfReport) -> Vec<&'static str> {
    report.warnings.iter().map(|e| e.kind.as_str()).collect()
}

/// Serves `zone`, runs `ask` on a DMARC resolver (bundled suffix list) over it, and
/// stops the server.
async fn with_dmarc<T, F: Future<Output = T>>(
    zone: Zone,
    ask: impl FnOnce(mailposture::dmarc::DmarcResolver) -> F,
) -> T {
    let fixture = DnsFixture::start(zone).await;
    let resolver = mailposture::dmarc::DmarcResolver::new(
        fixture.dns(),
        mailposture::psl::SuffixList::bundled(),
        100,
    );
    let answer = ask(resolver).await;
    fixture.stop().await;
    answer
}

/// `domain`'s DMARC report over `zone`.
pub async fn dmarc_report(zone: Zone, domain: &str) -> mailposture::dmarc::DmarcReport {
    with_dmarc(zone, |r| async move { r.fetch(domain).await }).await
}

/// What each DMARC discovery method finds for `domain` over `zone`.
pub async fn dmarc_discoveries(zone: Zone, domain: &str) -> mailposture::dmarc::Discoveries {
    with_dmarc(zone, |r| async move { r.discoveries(domain).await })
        .await
        .unwrap_or_else(|e| panic!("discovery for {domain} failed at {}: {}", e.name, e.fail))
}
