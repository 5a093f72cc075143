//! MX analysis against an authoritative server on loopback: hosts and their addresses,
//! null MX, implicit MX, host faults, temporary failures and the per-scan host cache.

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use futures::future::join_all;
use mailposture::dns::Dns;
use mailposture::mx::{MxFinding, MxReport, MxResolver, MxStatus, check_null_mx_spf};
use mailposture::scan::{ScanOptions, Scanner};
use serde::Deserialize;

use crate::support::{DnsFixture, Zone, plain};

/// Serves `zone` and fetches `domain`'s MX report twice through one resolver — the
/// second time its hosts come from the cache, which must not change the result — then
/// stops the server.
async fn mx_report(zone: Zone, domain: &str) -> MxReport {
    let fixture = DnsFixture::start(zone).await;
    let resolver = MxResolver::new(fixture.dns(), 100);
    let first = resolver.fetch(domain).await;
    let second = resolver.fetch(domain).await;
    fixture.stop().await;
    assert_eq!(
        first, second,
        "the host cache changed the result for {domain}"
    );
    first
}

/// Addresses as the typed report holds them.
fn ips(text: &[&str]) -> Vec<IpAddr> {
    text.iter().map(|a| a.parse().unwrap()).collect()
}

fn kinds(list: &[MxFinding]) -> Vec<&'static str> {
    list.iter().map(|f| f.kind.as_str()).collect()
}

/// Asserts that `list` holds exactly one finding, of `kind`, whose detail contains `text`.
#[track_caller]
fn assert_only(list: &[MxFinding], kind: &str, text: &str) {
    assert_eq!(kinds(list), [kind], "{list:?}");
    assert!(list[0].detail.contains(text), "{}", list[0].detail);
}

fn lookups(dns: &Dns) -> u64 {
    dns.stats().lookups.load(Ordering::Relaxed)
}

/// The `mx` object of a record, field for field: an unannounced field fails the test.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MxJson {
    status: String,
    hosts: Vec<HostJson>,
    implicit_mx: Option<ImplicitJson>,
    errors: Vec<FindingJson>,
    warnings: Vec<FindingJson>,
    /// Null: these tests probe no STARTTLS.
    starttls: Option<String>,
    /// Null: these tests look at no TLSA record.
    dane: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HostJson {
    name: String,
    preference: u16,
    addresses: Vec<String>,
    errors: Vec<FindingJson>,
    starttls: Option<serde_json::Value>,
    dane: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImplicitJson {
    addresses: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingJson {
    kind: String,
    detail: String,
}

fn json(report: &MxReport) -> MxJson {
    let json: MxJson = serde_json::from_value(serde_json::to_value(report).unwrap()).unwrap();
    // The MX lookup alone judges no DANE: the scan adds it after the probes.
    assert!(json.dane.is_none() && json.hosts.iter().all(|h| h.dane.is_none()));
    json
}

#[tokio::test]
async fn hosts_are_sorted_by_preference_then_name_with_their_addresses() {
    let zone = Zone::parse(
        r#"
example.test.     IN MX 20 mx2.example.test.
example.test.     IN MX 10 mx1.example.test.
example.test.     IN MX 10 backup.example.test.
mx1.example.test. IN A 192.0.2.11
mx1.example.test. IN A 192.0.2.1
mx1.example.test. IN AAAA 2001:db8::1
mx2.example.test. IN AAAA 2001:db8::2
backup.example.test. IN A 198.51.100.7
"#,
    );
    let r = mx_report(zone, "example.test").await;
    let j = json(&r);
    assert_eq!(j.status, "ok");
    // The MX analysis alone probes nothing.
    assert!(j.starttls.is_none() && j.hosts.iter().all(|h| h.starttls.is_none()));
    let hosts: Vec<(&str, u16, Vec<&str>)> = j
        .hosts
        .iter()
        .map(|h| {
            (
                h.name.as_str(),
                h.preference,
                h.addresses.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        hosts,
        [
            ("backup.example.test", 10, vec!["198.51.100.7"]),
            (
                "mx1.example.test",
                10,
                vec!["192.0.2.1", "192.0.2.11", "2001:db8::1"]
            ),
            ("mx2.example.test", 20, vec!["2001:db8::2"]),
        ]
    );
    assert!(j.hosts.iter().all(|h| h.errors.is_empty()));
    assert!(j.implicit_mx.is_none());
    assert!(j.errors.is_empty() && j.warnings.is_empty());
}

/// Addresses are written in numeric order, not text order ("9.0.0.1" before "10.0.0.2"),
/// IPv4 first, and IPv6 in its shortest form (RFC 5952) however the zone spells it: for
/// the hosts of an MX and for the implicit MX alike.
#[tokio::test]
async fn addresses_are_in_numeric_order_and_ipv6_in_its_shortest_form() {
    let zone = Zone::parse(
        r#"
example.test.    IN MX 10 mx.example.test.
mx.example.test. IN AAAA 2001:0db8:0000:0000:0000:0000:0000:000a
mx.example.test. IN A 192.0.2.10
mx.example.test. IN AAAA 2001:db8::9
mx.example.test. IN A 10.0.0.2
mx.example.test. IN AAAA ::ffff:192.0.2.1
mx.example.test. IN A 192.0.2.9
mx.example.test. IN A 9.0.0.1
web.example.test. IN AAAA 2001:db8::10
web.example.test. IN A 192.0.2.10
web.example.test. IN AAAA 2001:db8::9
web.example.test. IN A 192.0.2.9
"#,
    );
    let fixture = DnsFixture::start(zone).await;
    let resolver = MxResolver::new(fixture.dns(), 100);
    let with_mx = json(&resolver.fetch("example.test").await);
    let without = json(&resolver.fetch("web.example.test").await);
    fixture.stop().await;

    assert_eq!(
        with_mx.hosts[0].addresses,
        [
            "9.0.0.1",
            "10.0.0.2",
            "192.0.2.9",
            "192.0.2.10",
            "::ffff:192.0.2.1",
            "2001:db8::9",
            "2001:db8::a"
        ]
    );
    let implicit = without
        .implicit_mx
        .expect("implicit_mx when status is none");
    assert_eq!(
        implicit.addresses,
        ["192.0.2.9", "192.0.2.10", "2001:db8::9", "2001:db8::10"]
    );
}

#[tokio::test]
async fn null_mx_is_reported_and_only_a_reject_all_spf_goes_with_it() {
    let zone = Zone::parse(
        r#"
nomail.example.test. IN MX 0 .
"#,
    );
    let r = mx_report(zone, "nomail.example.test").await;
    assert_eq!(r.status, MxStatus::NullMx);
    let j = json(&r);
    assert_eq!(
        (
            j.hosts.len(),
            j.hosts[0].name.as_str(),
            j.hosts[0].preference
        ),
        (1, "", 0)
    );
    assert!(j.hosts[0].addresses.is_empty() && j.hosts[0].errors.is_empty());
    assert!(r.errors.is_empty() && r.warnings.is_empty());

    let mut reject_all = r.clone();
    check_null_mx_spf(&mut reject_all, Some("v=spf1 -all"));
    assert!(reject_all.warnings.is_empty());
    let mut sends = r.clone();
    check_null_mx_spf(&mut sends, Some("v=spf1 include:_spf.example.net ~all"));
    assert_only(
        &sends.warnings,
        "null_mx_spf",
        "v=spf1 include:_spf.example.net ~all",
    );
}

#[tokio::test]
async fn a_scan_checks_the_spf_record_of_a_null_mx_domain() {
    let zone = Zone::parse(
        r#"
sends.example.test.  IN MX 0 .
sends.example.test.  IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
silent.example.test. IN MX 0 .
silent.example.test. IN TXT "v=spf1   -ALL"
"#,
    );
    let fixture = DnsFixture::start(zone).await;
    let scanner = Scanner::new(fixture.dns(), ScanOptions::default());
    let sends = scanner.scan("sends.example.test").await;
    let silent = scanner.scan("silent.example.test").await;
    fixture.stop().await;
    assert_eq!(kinds(&sends.mx.warnings), ["null_mx_spf"]);
    assert_eq!(silent.mx.status, MxStatus::NullMx);
    assert!(silent.mx.warnings.is_empty(), "{:?}", silent.mx.warnings);
}

#[tokio::test]
async fn null_mx_next_to_other_mx_is_an_error() {
    let zone = Zone::parse(
        r#"
mixed.example.test. IN MX 0 .
mixed.example.test. IN MX 10 mx.example.test.
mx.example.test.    IN A 192.0.2.25
"#,
    );
    let r = mx_report(zone, "mixed.example.test").await;
    assert_eq!(r.status, MxStatus::Ok);
    assert_only(&r.errors, "null_mx_mixed", "RFC 7505 §3");
    let names: Vec<&str> = r.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["", "mx.example.test"]);
    assert_eq!(r.hosts[1].addresses, ips(&["192.0.2.25"]));
}

#[tokio::test]
async fn without_mx_the_domain_address_is_the_implicit_mx() {
    let zone = Zone::parse(
        r#"
web.example.test.  IN A 192.0.2.80
web.example.test.  IN AAAA 2001:db8::80
bare.example.test. IN TXT "v=spf1 -all"
"#,
    );
    let fixture = DnsFixture::start(zone).await;
    let dns = fixture.dns();
    let resolver = MxResolver::new(dns.clone(), 100);
    let web = resolver.fetch("web.example.test").await;
    let bare = resolver.fetch("bare.example.test").await;
    let before = lookups(&dns);
    let missing = resolver.fetch("missing.example.test").await;
    // The MX query's NXDOMAIN already says the name has no address either.
    let missing_lookups = lookups(&dns) - before;
    fixture.stop().await;

    assert_eq!(web.status, MxStatus::None);
    let implicit = json(&web)
        .implicit_mx
        .expect("implicit_mx when status is none");
    assert_eq!(implicit.addresses, ["192.0.2.80", "2001:db8::80"]);
    assert!(web.hosts.is_empty() && web.errors.is_empty() && web.warnings.is_empty());

    for (r, why) in [(&bare, "no A or AAAA"), (&missing, "NXDOMAIN")] {
        assert_eq!(r.status, MxStatus::None);
        assert_eq!(r.implicit_mx.as_ref().map(|i| i.addresses.len()), Some(0));
        assert_only(&r.warnings, "no_mail_host", why);
    }
    assert_eq!(missing_lookups, 1);
}

#[tokio::test]
async fn dangling_mx_says_whether_the_name_is_missing_or_has_no_address() {
    let zone = Zone::parse(
        r#"
example.test.       IN MX 10 gone.example.test.
example.test.       IN MX 20 empty.example.test.
empty.example.test. IN TXT "not an address"
"#,
    );
    let r = json(&mx_report(zone, "example.test").await);
    assert_eq!(r.status, "ok");
    for (host, name, why) in [
        (&r.hosts[0], "gone.example.test", "NXDOMAIN"),
        (&r.hosts[1], "empty.example.test", "NODATA"),
    ] {
        assert_eq!(host.name, name);
        assert!(host.addresses.is_empty());
        let [error] = host.errors.as_slice() else {
            panic!("one error expected on {name}");
        };
        assert_eq!(error.kind, "dangling_mx");
        assert!(error.detail.contains(why), "{}", error.detail);
    }
}

#[tokio::test]
async fn cname_mx_is_an_error_and_its_addresses_are_still_recorded() {
    let zone = Zone::parse(
        r#"
example.test.       IN MX 10 mail.example.test.
mail.example.test.  IN CNAME mx.provider.test.
mx.provider.test.   IN A 192.0.2.40
mx.provider.test.   IN AAAA 2001:db8::40
"#,
    );
    let r = mx_report(zone, "example.test").await;
    let host = &r.hosts[0];
    assert_only(
        &host.errors,
        "cname_mx",
        "alias (CNAME) of mx.provider.test",
    );
    assert_eq!(host.addresses, ips(&["192.0.2.40", "2001:db8::40"]));
    assert_eq!(r.status, MxStatus::Ok);
}

#[tokio::test]
async fn ip_literal_mx_is_an_error_and_is_not_looked_up() {
    let zone = Zone::parse(
        r#"
example.test. IN MX 10 192.0.2.25.
192.0.2.25.   IN A 192.0.2.25
"#,
    );
    let fixture = DnsFixture::start(zone).await;
    let dns = fixture.dns();
    let r = MxResolver::new(dns.clone(), 100)
        .fetch("example.test")
        .await;
    let asked = lookups(&dns);
    fixture.stop().await;
    let host = &r.hosts[0];
    assert_eq!(host.name, "192.0.2.25");
    assert_eq!(kinds(&host.errors), ["ip_literal_mx"]);
    assert!(host.addresses.is_empty());
    // The MX query only: the name in the zone is never asked for.
    assert_eq!(asked, 1);
}

#[tokio::test]
async fn a_silent_host_is_a_temperror_of_that_host_only() {
    let mut zone = Zone::parse(
        r#"
example.test.     IN MX 10 slow.example.test.
example.test.     IN MX 20 mx2.example.test.
mx2.example.test. IN A 192.0.2.2
"#,
    );
    zone.silent("slow.example.test");
    let r = mx_report(zone, "example.test").await;
    assert_eq!(r.status, MxStatus::Ok);
    assert!(r.errors.is_empty());
    let slow = &r.hosts[0];
    assert_eq!(kinds(&slow.errors), ["temperror", "temperror"]);
    for (e, rtype) in slow.errors.iter().zip(["A", "AAAA"]) {
        assert!(
            e.detail.starts_with(&format!(
                "{rtype} lookup for slow.example.test failed: timeout"
            )),
            "{}",
            e.detail
        );
    }
    assert!(slow.addresses.is_empty());
    assert_eq!(r.hosts[1].addresses, ips(&["192.0.2.2"]));
    assert!(r.hosts[1].errors.is_empty());
}

#[tokio::test]
async fn a_silent_mx_query_is_a_temperror() {
    let mut zone = Zone::new();
    zone.a("example.test", "192.0.2.1".parse().unwrap());
    zone.silent("example.test");
    let r = mx_report(zone, "example.test").await;
    assert_eq!(r.status, MxStatus::Temperror);
    assert_only(
        &r.errors,
        "temperror",
        "MX lookup for example.test failed: timeout",
    );
    assert!(r.hosts.is_empty() && r.implicit_mx.is_none());
}

#[tokio::test]
async fn a_host_shared_by_many_domains_is_resolved_once() {
    const DOMAINS: u64 = 100;
    let mut zone = Zone::new();
    for i in 0..DOMAINS {
        let domain = format!("d{i}.example.test");
        zone.mx(&domain, 10, "mx1.provider.test");
        zone.mx(&domain, 20, "mx2.provider.test");
    }
    zone.a("mx1.provider.test", "192.0.2.1".parse().unwrap());
    zone.aaaa("mx2.provider.test", "2001:db8::2".parse().unwrap());
    let fixture = DnsFixture::start(zone).await;
    let dns = fixture.dns();
    let resolver = MxResolver::new(dns.clone(), 100);
    let reports = join_all((0..DOMAINS).map(|i| {
        let resolver = resolver.clone();
        async move { resolver.fetch(&format!("d{i}.example.test")).await }
    }))
    .await;
    let asked = lookups(&dns);
    fixture.stop().await;

    for r in &reports {
        assert_eq!(r.hosts[0].addresses, ips(&["192.0.2.1"]));
        assert_eq!(r.hosts[1].addresses, ips(&["2001:db8::2"]));
    }
    // One MX query per domain, and A and AAAA once for each of the two hosts.
    assert_eq!(asked, DOMAINS + 4);
}

#[tokio::test]
async fn a_failed_host_lookup_is_not_kept_for_later_domains() {
    let mut zone = Zone::parse(
        r#"
a.example.test. IN MX 10 slow.provider.test.
b.example.test. IN MX 10 slow.provider.test.
"#,
    );
    zone.silent("slow.provider.test");
    let fixture = DnsFixture::start(zone).await;
    let dns = fixture.dns();
    let resolver = MxResolver::new(dns.clone(), 100);
    let a = resolver.fetch("a.example.test").await;
    let after_a = lookups(&dns);
    let b = resolver.fetch("b.example.test").await;
    let after_b = lookups(&dns);
    fixture.stop().await;
    assert_eq!(kinds(&a.hosts[0].errors), ["temperror", "temperror"]);
    assert_eq!(kinds(&b.hosts[0].errors), ["temperror", "temperror"]);
    // The second domain asks again: its MX query and the host's A and AAAA.
    assert_eq!((after_a, after_b - after_a), (3, 3));
}

#[tokio::test]
async fn check_text_shows_each_host_with_addresses_and_errors() {
    let zone = Zone::parse(
        r#"
example.test.      IN MX 10 mx1.example.test.
example.test.      IN MX 20 gone.example.test.
mx1.example.test.  IN A 192.0.2.1
mx1.example.test.  IN AAAA 2001:db8::1
"#,
    );
    let fixture = DnsFixture::start(zone).await;
    let report = Scanner::new(fixture.dns(), ScanOptions::default())
        .scan("example.test")
        .await;
    fixture.stop().await;
    let text = plain(&mailposture::output::text::domain(&report));
    let start = text.find("\nMX").expect("an MX part");
    let end = text.find("\nMTA-STS").expect("an MTA-STS part");
    let mx = &text[start..end];
    let lines: Vec<&str> = mx.lines().skip(1).collect();
    assert_eq!(lines[0], "MX     ok");
    assert_eq!(lines[1], "     10 mx1.example.test  192.0.2.1, 2001:db8::1");
    assert_eq!(lines[2], "     20 gone.example.test");
    assert!(
        lines[3].starts_with("          error dangling_mx: gone.example.test has neither"),
        "{}",
        lines[3]
    );
    // Its fix under it, where the error's own continuation would go.
    let fix = mailposture::advice::remedy(mailposture::advice::Subject::Mx(
        mailposture::mx::MxFindingKind::DanglingMx,
    ));
    assert_eq!(lines[4], format!("              fix: {fix}"));
    // mx1's TLSA name has no record (gone has no address, and is not looked at).
    assert_eq!(lines[5], "  DANE not published: no TLSA record at any host");
    assert_eq!(lines.len(), 6, "{mx}");
}
