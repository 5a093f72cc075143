//! SPF expansion and verdicts against an authoritative server on loopback.

use mailposture::spf::analysis::SpfStatus;

use crate::support::{Zone, kinds, spf_report, warning_kinds};

/// `n` provider records chained by includes: `l1.chain.test` has `own` `a` terms and
/// includes `l2`, ... so that the lookup total is exactly what a test wants.
fn chain_zone(zone: &mut Zone, levels: usize, own: usize) {
    for level in 1..=levels {
        let mut record = String::from("v=spf1");
        for _ in 0..own {
            record.push_str(" a:host.chain.test");
        }
        if level < levels {
            record.push_str(&format!(" include:l{}.chain.test", level + 1));
        }
        record.push_str(" ~all");
        zone.txt(&format!("l{level}.chain.test"), &[record.as_bytes()]);
    }
    zone.a("host.chain.test", "192.0.2.1".parse().unwrap());
}

#[tokio::test]
async fn dangling_include_of_a_retired_provider_is_a_permerror() {
    let zone = Zone::parse(
        r#"
example.jp. IN TXT "v=spf1 include:spf.po.2iij.net ip4:192.0.2.0/24 -all"
"#,
    );
    let r = spf_report(zone, "example.jp").await;
    assert_eq!(r.status, SpfStatus::Permerror);
    assert_eq!(kinds(&r), ["dangling_include"]);
    assert_eq!(r.dangling_includes, ["spf.po.2iij.net"]);
    assert_eq!((r.lookups, r.void_lookups), (1, 1));
    assert!(
        r.errors[0].detail.contains("NXDOMAIN"),
        "{}",
        r.errors[0].detail
    );
    assert_eq!(r.all.as_deref(), Some("-all"));
}

#[tokio::test]
async fn include_target_without_spf_is_dangling_but_only_void_when_empty() {
    let zone = Zone::parse(
        r#"
example.test.      IN TXT "v=spf1 include:nodata.example.test include:other.example.test -all"
nodata.example.test. IN A 192.0.2.7
other.example.test.  IN TXT "google-site-verification=abc"
"#,
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!(kinds(&r), ["dangling_include", "dangling_include"]);
    assert_eq!(
        r.dangling_includes,
        ["nodata.example.test", "other.example.test"]
    );
    // NODATA is void; a TXT record that is not SPF is not (the query found something).
    assert_eq!(r.void_lookups, 1);
}

#[tokio::test]
async fn ten_lookups_through_nested_includes_is_ok() {
    let mut zone = Zone::new();
    // root: include:l1 (1); l1..l3 each 2 a-terms + include (3 × 3 = 9, minus the last
    // include) → 1 + 3 + 3 + 2 = 9; one more a-term at the root makes 10.
    chain_zone(&mut zone, 3, 2);
    zone.txt("example.test", &[b"v=spf1 a include:l1.chain.test -all"]);
    zone.a("example.test", "192.0.2.2".parse().unwrap());
    let r = spf_report(zone, "example.test").await;
    assert_eq!(r.lookups, 10);
    assert_eq!(r.status, SpfStatus::Ok, "{:?}", r.errors);
    assert_eq!(r.tree.cumulative_lookups, 10);
}

#[tokio::test]
async fn eleven_lookups_names_the_term_that_passes_the_limit() {
    let mut zone = Zone::new();
    chain_zone(&mut zone, 3, 2);
    zone.txt("example.test", &[b"v=spf1 a mx include:l1.chain.test -all"]);
    zone.a("example.test", "192.0.2.2".parse().unwrap());
    zone.mx("example.test", 10, "host.chain.test");
    let r = spf_report(zone, "example.test").await;
    assert_eq!(r.lookups, 11);
    assert_eq!(r.status, SpfStatus::Permerror);
    assert_eq!(kinds(&r), ["too_many_lookups"]);
    let detail = &r.errors[0].detail;
    // The 11th is the last a-term of l3, reached through l1 and l2.
    assert!(
        detail.contains("include:l1.chain.test (3) → include:l2.chain.test (6) → include:l3.chain.test (9) → a:host.chain.test (11)"),
        "{detail}"
    );
    let l1 = &r.tree.children[0];
    assert_eq!(
        (l1.domain.as_str(), l1.lookups, l1.cumulative_lookups),
        ("l1.chain.test", 3, 11)
    );
}

#[tokio::test]
async fn two_void_lookups_are_allowed_the_third_is_a_permerror() {
    let two = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 a:none1.example.test a:none2.example.test -all"
"#,
    );
    let r = spf_report(two, "example.test").await;
    assert_eq!((r.status, r.void_lookups), (SpfStatus::Ok, 2));

    let three = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 a:none1.example.test mx:none2.example.test exists:none3.example.test -all"
"#,
    );
    let r = spf_report(three, "example.test").await;
    assert_eq!((r.status, r.void_lookups), (SpfStatus::Permerror, 3));
    assert_eq!(kinds(&r), ["too_many_void_lookups"]);
    assert!(
        r.errors[0].detail.contains("exists:none3.example.test"),
        "{}",
        r.errors[0].detail
    );
}

#[tokio::test]
async fn an_a_term_with_only_an_ipv6_address_is_not_void() {
    let zone = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 a:v6.example.test a:v6.example.test a:v6.example.test -all"
v6.example.test. IN AAAA 2001:db8::1
"#,
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!((r.status, r.void_lookups), (SpfStatus::Ok, 0));
}

#[tokio::test]
async fn include_loop_is_reported() {
    let zone = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 include:a.loop.test -all"
a.loop.test.  IN TXT "v=spf1 include:b.loop.test -all"
b.loop.test.  IN TXT "v=spf1 include:a.loop.test -all"
"#,
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!(r.status, SpfStatus::Permerror);
    assert_eq!(kinds(&r), ["include_loop"]);
    assert!(
        r.errors[0]
            .detail
            .contains("a.loop.test → b.loop.test → a.loop.test"),
        "{}",
        r.errors[0].detail
    );
}

#[tokio::test]
async fn a_domain_including_itself_is_a_loop() {
    let zone = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 include:example.test -all"
"#,
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!(kinds(&r), ["include_loop"]);
}

#[tokio::test]
async fn two_spf_records_are_a_permerror() {
    let zone = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 -all"
example.test. IN TXT "v=spf1 ip4:192.0.2.1 -all"
example.test. IN TXT "some-verification=1"
"#,
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!(r.status, SpfStatus::Permerror);
    assert_eq!(kinds(&r), ["multiple_records"]);
    assert_eq!(r.record, None);
}

#[tokio::test]
async fn split_txt_strings_are_joined_without_separator() {
    let mut zone = Zone::new();
    zone.txt(
        "example.test",
        &[
            b"v=spf1 ip4:192.0.2.0/24",
            b" ip4:198.51.100.0/24 -a",
            b"ll",
        ],
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!(
        r.record.as_deref(),
        Some("v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 -all")
    );
    assert_eq!(r.status, SpfStatus::Ok);
    assert_eq!(r.ip4_addresses, 512);
}

#[tokio::test]
async fn upper_case_version_is_selected() {
    let zone = Zone::parse(
        r#"
example.test. IN TXT "V=SPF1 IP4:192.0.2.1 -ALL"
"#,
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!(r.status, SpfStatus::Ok, "{:?}", r.errors);
    assert_eq!(r.all.as_deref(), Some("-all"));
}

#[tokio::test]
async fn no_record_and_non_spf_txt_are_none() {
    for text in [
        "",
        r#"example.test. IN TXT "v=spf10 -all""#,
        r#"example.test. IN TXT "spf1 -all""#,
    ] {
        let mut zone = Zone::parse(text);
        zone.a("example.test", "192.0.2.1".parse().unwrap());
        let r = spf_report(zone, "example.test").await;
        assert_eq!(r.status, SpfStatus::None, "{text}");
        assert!(r.errors.is_empty());
    }
}

#[tokio::test]
async fn silent_include_target_is_a_temperror_naming_it() {
    let mut zone = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 include:slow.example.net -all"
"#,
    );
    zone.silent("slow.example.net");
    let r = spf_report(zone, "example.test").await;
    assert_eq!(r.status, SpfStatus::Temperror);
    assert_eq!(kinds(&r), ["temperror"]);
    assert!(
        r.errors[0].detail.contains("slow.example.net"),
        "{}",
        r.errors[0].detail
    );
    assert!(r.dangling_includes.is_empty());
}

#[tokio::test]
async fn silent_root_domain_is_a_temperror_not_none() {
    let mut zone = Zone::new();
    zone.silent("example.test");
    let r = spf_report(zone, "example.test").await;
    assert_eq!(r.status, SpfStatus::Temperror);
}

#[tokio::test]
async fn redirect_to_a_domain_without_spf_is_redirect_missing() {
    let zone = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 redirect=_spf.gone.test"
"#,
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!(kinds(&r), ["redirect_missing"]);
    assert_eq!(r.void_lookups, 1);
}

#[tokio::test]
async fn redirect_is_followed_and_gives_the_effective_all() {
    let zone = Zone::parse(
        r#"
example.test.       IN TXT "v=spf1 redirect=_spf.provider.test"
_spf.provider.test. IN TXT "v=spf1 ip4:192.0.2.0/24 ~all"
"#,
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!(r.status, SpfStatus::Ok);
    assert_eq!(r.lookups, 1);
    assert_eq!(r.all.as_deref(), Some("~all"));
    assert!(!warning_kinds(&r).contains(&"no_all"));
}

#[tokio::test]
async fn redirect_is_ignored_when_the_record_has_all() {
    let zone = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 -all redirect=example.test"
"#,
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!((r.status, r.lookups), (SpfStatus::Ok, 0));
    assert!(warning_kinds(&r).contains(&"redirect_ignored"));
}

#[tokio::test]
async fn mx_term_with_eleven_names_is_a_permerror() {
    let mut zone = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 mx -all"
"#,
    );
    for i in 0..11 {
        zone.mx("example.test", 10, &format!("mx{i}.example.test"));
    }
    let r = spf_report(zone, "example.test").await;
    assert_eq!(kinds(&r), ["too_many_mx_names"]);
}

#[tokio::test]
async fn syntax_error_names_the_term() {
    let zone = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 ip4:192.0.2.0/24 inclde:spf.example.net -all"
"#,
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!(r.status, SpfStatus::Permerror);
    assert_eq!(kinds(&r), ["syntax"]);
    assert!(
        r.errors[0].detail.contains("inclde:spf.example.net"),
        "{}",
        r.errors[0].detail
    );
    assert!(r.record.is_some());
}

#[tokio::test]
async fn syntax_error_inside_an_include_is_reported_at_that_node() {
    let zone = Zone::parse(
        r#"
example.test.     IN TXT "v=spf1 include:bad.example.net -all"
bad.example.net.  IN TXT "v=spf1 ip4:300.1.1.1 -all"
"#,
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!(kinds(&r), ["syntax"]);
    assert!(
        r.errors[0]
            .detail
            .starts_with("at bad.example.net (via include:bad.example.net)"),
        "{}",
        r.errors[0].detail
    );
    assert_eq!(r.tree.children[0].errors.len(), 1);
}

#[tokio::test]
async fn warnings_for_permissive_and_dubious_records() {
    let zone = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 ptr ip4:10.0.0.0/8 +all a:never.example.test"
plain.test.   IN TXT "v=spf1 ip4:192.0.2.1"
"#,
    );
    let r = spf_report(zone, "example.test").await;
    let w = warning_kinds(&r);
    for kind in ["ptr_used", "broad_range", "pass_all", "terms_after_all"] {
        assert!(w.contains(&kind), "{kind} missing from {w:?}");
    }
    // Terms after `all` are never evaluated: only ptr counts.
    assert_eq!(r.lookups, 1);
    assert_eq!(r.ip4_addresses, 1 << 24);

    let zone = Zone::parse(r#"plain.test. IN TXT "v=spf1 ip4:192.0.2.1""#);
    let r = spf_report(zone, "plain.test").await;
    assert_eq!(warning_kinds(&r), ["no_all"]);
}

#[tokio::test]
async fn macro_needing_the_client_is_counted_not_followed() {
    let zone = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 exists:%{i}._spf.example.test include:%{d}.provider.test -all"
example.test.provider.test. IN TXT "v=spf1 -all"
"#,
    );
    let r = spf_report(zone, "example.test").await;
    assert_eq!(r.status, SpfStatus::Ok, "{:?}", r.errors);
    assert_eq!(r.lookups, 2);
    assert_eq!(warning_kinds(&r), ["unexpandable_macro"]);
    // %{d} is the current domain, so that include was followed.
    assert_eq!(r.tree.children[0].domain, "example.test.provider.test");
}

#[tokio::test]
async fn null_mx_in_an_mx_term_matches_nothing_and_is_not_void() {
    let mut zone = Zone::parse(r#"example.test. IN TXT "v=spf1 mx -all""#);
    zone.mx("example.test", 0, ".");
    let r = spf_report(zone, "example.test").await;
    assert_eq!((r.status, r.void_lookups), (SpfStatus::Ok, 0));
}

#[tokio::test]
async fn no_server_answering_is_a_temperror_not_none() {
    use mailposture::dns::{Dns, ResolverSettings};
    use mailposture::spf::{analysis::analyse, expand::Expander};
    // Nothing listens on this address: the port is unreachable.
    let settings = ResolverSettings {
        servers: vec![(crate::support::dns::next_loopback(), 9).into()],
        timeout: std::time::Duration::from_millis(300),
        attempts: 1,
        cache_size: 0,
        max_in_flight: 8,
        transport: crate::TRANSPORT,
        ..ResolverSettings::default()
    };
    let dns = Dns::from_settings(&settings).unwrap();
    let r = analyse(Expander::new(dns, 0).expand("example.test").await);
    assert_eq!(r.status, SpfStatus::Temperror);
    assert!(
        r.errors[0]
            .detail
            .contains("TXT lookup for example.test failed"),
        "{}",
        r.errors[0].detail
    );
}

#[tokio::test]
async fn unfollowable_redirect_is_not_reported_as_missing_all() {
    let zone = Zone::parse(r#"example.test. IN TXT "v=spf1 redirect=%{l}._spf.example.test""#);
    let r = spf_report(zone, "example.test").await;
    assert_eq!(
        (r.status, r.lookups, r.all.as_deref()),
        (SpfStatus::Ok, 1, None)
    );
    assert_eq!(warning_kinds(&r), ["unexpandable_macro"]);
}

/// A hostile tree: 8 includes per record, 4 levels of records (585 if all followed).
#[tokio::test]
async fn a_fan_out_tree_is_cut_at_the_walk_cap() {
    let mut zone = Zone::new();
    let mut level = vec!["fan.test".to_owned()];
    for depth in 0..4 {
        let mut next = Vec::new();
        for name in &level {
            if depth == 3 {
                zone.txt(name, &[b"v=spf1 -all"]);
                continue;
            }
            let children: Vec<String> = (0..8).map(|i| format!("c{i}.{name}")).collect();
            let record: String = children.iter().map(|c| format!(" include:{c}")).collect();
            zone.txt(name, &[format!("v=spf1{record} -all").as_bytes()]);
            next.extend(children);
        }
        level = next;
    }
    let r = spf_report(zone, "fan.test").await;
    fn nodes(n: &mailposture::spf::tree::SpfNode) -> usize {
        1 + n.children.iter().map(nodes).sum::<usize>()
    }
    assert_eq!(r.status, SpfStatus::Permerror);
    assert_eq!(kinds(&r), ["too_many_lookups"]);
    assert!(warning_kinds(&r).contains(&"walk_truncated"));
    assert!(
        r.errors[0].detail.contains("or more"),
        "{}",
        r.errors[0].detail
    );
    let followed = nodes(&r.tree);
    assert!((40..=50).contains(&followed), "{followed} records fetched");
}

/// 100 domains scanned at once, all including one provider tree: with the memo its
/// queries are made once, not once per domain, and every domain gets the same subtree.
#[tokio::test]
async fn a_shared_include_is_expanded_once_per_scan() {
    use std::sync::atomic::Ordering;

    use mailposture::spf::{analysis::analyse, expand::Expander};

    let mut zone = Zone::parse(
        r#"
_spf.provider.test. IN TXT "v=spf1 a:o1.provider.test a:o2.provider.test a:o3.provider.test ~all"
o1.provider.test. IN A 192.0.2.1
o2.provider.test. IN A 192.0.2.2
o3.provider.test. IN A 192.0.2.3
"#,
    );
    let domains: Vec<String> = (0..100).map(|i| format!("d{i}.customer.test")).collect();
    for d in &domains {
        zone.txt(d, &[b"v=spf1 include:_spf.provider.test -all"]);
    }
    let fixture = crate::support::DnsFixture::start(zone).await;
    let mut lookups = Vec::new();
    for memo in [0, 1000] {
        let dns = fixture.dns();
        let expander = Expander::new(dns.clone(), memo);
        let reports = futures::future::join_all(
            domains
                .iter()
                .map(|d| async { analyse(expander.expand(d).await) }),
        )
        .await;
        for r in &reports {
            assert_eq!((r.status, r.lookups), (SpfStatus::Ok, 4));
            assert_eq!(r.tree.children[0].children.len(), 0);
            assert_eq!(r.tree.children[0].lookups, 3);
        }
        lookups.push(dns.stats().lookups.load(Ordering::Relaxed));
    }
    fixture.stop().await;
    // Without the memo: per domain its own TXT, the provider's TXT, 3 × (A + AAAA).
    assert_eq!(lookups[0], 100 * 8);
    // With it: the domains' own TXT, and the provider tree once.
    assert_eq!(lookups[1], 100 + 7);
}

/// Regression (scan integrity §6): `mx` evaluates the addresses of each MX host (RFC 7208
/// §5.4), so a host whose address query goes unanswered makes the record a temperror
/// naming the host (§4.4: a DNS error "other than RCODE 3"), for `mx` and `mx:` alike;
/// the host's address lookups add nothing to the 10-term count (§4.6.4).
#[tokio::test]
async fn an_mx_host_whose_address_query_times_out_is_a_temperror_naming_it() {
    for (record, owner) in [
        ("v=spf1 mx -all", "example.test"),
        ("v=spf1 mx:mail.provider.test -all", "mail.provider.test"),
    ] {
        let mut zone = Zone::new();
        zone.txt_text("example.test", record);
        zone.mx(owner, 10, "good.example.test");
        zone.mx(owner, 20, "slow.example.test");
        zone.a("good.example.test", "192.0.2.25".parse().unwrap());
        zone.silent("slow.example.test");
        let r = spf_report(zone, "example.test").await;
        assert_eq!(r.status, SpfStatus::Temperror, "{record}: {:?}", r.errors);
        assert_eq!(kinds(&r), ["temperror"], "{record}");
        assert!(
            r.errors[0].detail.contains("slow.example.test"),
            "{record}: {}",
            r.errors[0].detail
        );
        assert_eq!(r.lookups, 1, "{record}");
    }
}

/// An MX host with neither an A nor an AAAA record makes its `mx` term a void lookup
/// (RFC 7208 §4.6.4 limits the "terms" whose DNS queries find nothing, and §5.4 makes
/// the hosts' address lookups queries of the term): one per term however many of its
/// hosts have no address, as an `a` term counts one for its A and AAAA. A host with only
/// an AAAA record has an address.
#[tokio::test]
async fn an_mx_host_without_an_address_is_a_void_lookup() {
    let mut zone = Zone::new();
    zone.txt_text("example.test", "v=spf1 mx -all");
    zone.mx("example.test", 10, "gone.example.test");
    zone.mx("example.test", 20, "nodata.example.test");
    zone.mx("example.test", 30, "good.example.test");
    zone.txt_text("nodata.example.test", "not an address");
    zone.a("good.example.test", "192.0.2.25".parse().unwrap());
    let r = spf_report(zone, "example.test").await;
    assert_eq!(
        (r.status, r.void_lookups),
        (SpfStatus::Ok, 1),
        "{:?}",
        r.errors
    );
    assert_eq!(r.lookups, 1);

    let mut zone = Zone::new();
    zone.txt_text("example.test", "v=spf1 mx -all");
    zone.mx("example.test", 10, "v6.example.test");
    zone.aaaa("v6.example.test", "2001:db8::25".parse().unwrap());
    let r = spf_report(zone, "example.test").await;
    assert_eq!(
        (r.status, r.void_lookups),
        (SpfStatus::Ok, 0),
        "{:?}",
        r.errors
    );

    // The third void term is the `mx` whose host has no address.
    let mut zone = Zone::new();
    zone.txt_text(
        "example.test",
        "v=spf1 a:none1.example.test a:none2.example.test mx -all",
    );
    zone.mx("example.test", 10, "gone.example.test");
    let r = spf_report(zone, "example.test").await;
    assert_eq!((r.status, r.void_lookups), (SpfStatus::Permerror, 3));
    assert_eq!(kinds(&r), ["too_many_void_lookups"]);
}
