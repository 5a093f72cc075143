//! DMARC discovery, validation and report destinations against an authoritative server
//! on loopback; the RFC 9989 discovery vectors run case by case.

use std::collections::BTreeMap;

use mailposture::dmarc::Policy;
use mailposture::dmarc::discover::Source;
use mailposture::dmarc::{DmarcFinding, DmarcReport, DmarcStatus};
use serde::Deserialize;

use crate::support::{Zone, dmarc_discoveries, dmarc_report};

fn kinds(list: &[DmarcFinding]) -> Vec<&str> {
    list.iter().map(|f| f.kind.as_str()).collect()
}

fn methods(r: &DmarcReport) -> (Option<&str>, Option<&str>) {
    let d = r.discovery.as_ref().expect("discovery recorded");
    (
        d.rfc7489.discovery.policy_domain.as_deref(),
        d.rfc9989.discovery.policy_domain.as_deref(),
    )
}

#[tokio::test]
async fn own_record_with_internal_rua_is_ok() {
    let zone = Zone::parse(
        r#"
example.test.        IN A   192.0.2.1
_dmarc.example.test. IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.test"
"#,
    );
    let r = dmarc_report(zone, "example.test").await;
    assert_eq!(r.status, DmarcStatus::Ok, "{r:#?}");
    assert_eq!(r.source, Some(Source::Domain));
    assert_eq!(r.policy_domain.as_deref(), Some("example.test"));
    assert_eq!(r.policy, Some(Policy::Reject));
    // Defaults filled in: sp and np follow p.
    assert_eq!(
        (r.sp, r.np, r.pct),
        (Some(Policy::Reject), Some(Policy::Reject), Some(100))
    );
    assert!(!r.testing);
    assert!(r.errors.is_empty() && r.warnings.is_empty(), "{r:#?}");
    assert_eq!(r.rua.len(), 1);
    assert!(!r.rua[0].external);
    assert_eq!(r.rua[0].authorized, Some(true));
    assert!(!r.discovery_differs);
}

#[tokio::test]
async fn monitoring_only_without_reports_gets_both_warnings() {
    let zone = Zone::parse(
        r#"
_dmarc.example.test. IN TXT "v=DMARC1; p=none"
"#,
    );
    let r = dmarc_report(zone, "example.test").await;
    assert_eq!(r.status, DmarcStatus::Ok);
    assert_eq!(r.policy, Some(Policy::None));
    assert_eq!(kinds(&r.warnings), ["p_none", "no_rua"]);
}

#[tokio::test]
async fn weaker_subdomain_policies_partial_pct_and_test_mode_are_warned() {
    let zone = Zone::parse(
        r#"
_dmarc.example.test. IN TXT "v=DMARC1; p=reject; sp=none; np=quarantine; pct=50; t=y; rua=mailto:d@example.test"
"#,
    );
    let r = dmarc_report(zone, "example.test").await;
    let w = kinds(&r.warnings);
    for kind in [
        "sp_weaker_than_p",
        "np_weaker_than_p",
        "pct_below_100",
        "test_mode",
    ] {
        assert!(w.contains(&kind), "{kind} missing from {w:?}");
    }
    assert!(r.testing);
    assert_eq!((r.pct, r.t), (Some(50), Some(true)));
}

#[tokio::test]
async fn subdomain_without_record_inherits_the_organizational_sp() {
    let zone = Zone::parse(
        r#"
www.example.test.    IN A   192.0.2.1
_dmarc.example.test. IN TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.test"
"#,
    );
    let r = dmarc_report(zone, "www.example.test").await;
    assert_eq!(r.status, DmarcStatus::Ok, "{r:#?}");
    assert_eq!(r.source, Some(Source::Organizational));
    assert_eq!(r.policy_domain.as_deref(), Some("example.test"));
    assert_eq!(r.policy, Some(Policy::Quarantine));
    assert_eq!(r.p, Some(Policy::Reject));
    // Both methods find example.test's record: the report does not repeat them.
    assert!(!r.discovery_differs);
    assert_eq!(r.discovery, None);
}

#[tokio::test]
async fn non_existent_subdomain_gets_np() {
    let zone = Zone::parse(
        r#"
_dmarc.example.test. IN TXT "v=DMARC1; p=none; sp=quarantine; np=reject; rua=mailto:d@example.test"
"#,
    );
    let r = dmarc_report(zone, "ghost.example.test").await;
    assert_eq!(r.policy, Some(Policy::Reject));
    // RFC 7489 has no np: its receivers apply sp.
    let d = r.discovery.as_ref().unwrap();
    assert_eq!(d.rfc7489.policy, Some(Policy::Quarantine));
    assert!(r.discovery_differs);
}

#[tokio::test]
async fn two_records_are_invalid_not_absent() {
    let zone = Zone::parse(
        r#"
_dmarc.example.test. IN TXT "v=DMARC1; p=reject"
_dmarc.example.test. IN TXT "v=DMARC1; p=none"
_dmarc.example.test. IN TXT "some other text"
"#,
    );
    let r = dmarc_report(zone, "example.test").await;
    assert_eq!(r.status, DmarcStatus::Invalid);
    assert_eq!(kinds(&r.errors), ["multiple_records"]);
    assert_eq!(r.records.len(), 2);
    assert_eq!(r.policy, None);
    assert!(!r.discovery_differs);
}

#[tokio::test]
async fn no_record_anywhere_is_none() {
    let zone = Zone::parse(
        r#"
example.test. IN TXT "v=spf1 -all"
_dmarc.example.test. IN TXT "not a dmarc record"
"#,
    );
    let r = dmarc_report(zone.clone(), "example.test").await;
    assert_eq!(r.status, DmarcStatus::None);
    assert_eq!(r.policy, None);
    let d = dmarc_discoveries(zone, "example.test").await;
    assert_eq!(
        d.rfc9989.discovery.queries,
        ["_dmarc.example.test", "_dmarc.test"]
    );
    assert_eq!(d.rfc7489.discovery.queries, ["_dmarc.example.test"]);
}

#[tokio::test]
async fn bad_tag_value_is_an_error_but_the_policy_still_applies() {
    let zone = Zone::parse(
        r#"
_dmarc.example.test. IN TXT "v=DMARC1; p=quarantine; adkim=bob; rua=mailto:d@example.test"
"#,
    );
    let r = dmarc_report(zone, "example.test").await;
    assert_eq!(r.status, DmarcStatus::Invalid, "{r:#?}");
    let e = r
        .errors
        .iter()
        .find(|e| e.tag.as_deref() == Some("adkim"))
        .expect("an error about adkim");
    assert_eq!(e.value.as_deref(), Some("bob"));
    // RFC 9989 §4.8: receivers discard the bad value and use the default.
    assert_eq!(r.policy, Some(Policy::Quarantine));
}

#[tokio::test]
async fn subdomain_record_only_the_tree_walk_finds_makes_the_methods_differ() {
    // psd=n marks mail.example.test as an Organizational Domain; RFC 7489 receivers
    // look only at the suffix list's example.test, which has no record.
    let zone = Zone::parse(
        r#"
a.mail.example.test.      IN A   192.0.2.1
_dmarc.mail.example.test. IN TXT "v=DMARC1; p=reject; psd=n; rua=mailto:d@example.test"
"#,
    );
    let r = dmarc_report(zone, "a.mail.example.test").await;
    assert_eq!(r.source, Some(Source::Organizational));
    assert_eq!(r.policy_domain.as_deref(), Some("mail.example.test"));
    assert_eq!(
        r.organizational_domain.as_deref(),
        Some("mail.example.test")
    );
    assert_eq!(r.policy, Some(Policy::Reject));
    assert_eq!(methods(&r), (None, Some("mail.example.test")));
    assert!(r.discovery_differs);
}

#[tokio::test]
async fn suffix_missing_from_the_list_psd_record_differs_between_methods() {
    // newsuffix.test is a public suffix its operator announces with psd=y, but the list
    // does not know it: RFC 7489 takes newsuffix.test as the Organizational Domain and
    // applies the suffix operator's record; the tree walk stops there and applies the
    // customer's own record one label below.
    let zone = Zone::parse(
        r#"
shop.customer.newsuffix.test.   IN A   192.0.2.1
_dmarc.customer.newsuffix.test. IN TXT "v=DMARC1; p=reject; rua=mailto:d@customer.newsuffix.test"
_dmarc.newsuffix.test.          IN TXT "v=DMARC1; p=none; psd=y"
"#,
    );
    let r = dmarc_report(zone, "shop.customer.newsuffix.test").await;
    assert_eq!(
        methods(&r),
        (Some("newsuffix.test"), Some("customer.newsuffix.test"))
    );
    assert!(r.discovery_differs);
    assert_eq!(r.policy, Some(Policy::Reject));
    let d = r.discovery.as_ref().unwrap();
    assert_eq!(d.rfc7489.policy, Some(Policy::None));
    assert_eq!(
        d.rfc9989.discovery.organizational_domain,
        "customer.newsuffix.test"
    );
}

#[tokio::test]
async fn external_report_destinations_need_authorisation() {
    let zone = Zone::parse(
        r#"
_dmarc.example.test. IN TXT "v=DMARC1; p=reject; rua=mailto:a@reports.vendor.test,mailto:b@other.test; ruf=mailto:c@wild.test"
example.test._report._dmarc.reports.vendor.test. IN TXT "v=DMARC1"
*._report._dmarc.wild.test. IN TXT "v=DMARC1;"
_report._dmarc.other.test.  IN TXT "v=DMARC1"
"#,
    );
    let r = dmarc_report(zone, "example.test").await;
    let rua: Vec<(bool, Option<bool>)> = r.rua.iter().map(|d| (d.external, d.authorized)).collect();
    assert_eq!(rua, [(true, Some(true)), (true, Some(false))]);
    // A wildcard at the destination authorises every policy domain (RFC 7489 §7.1).
    assert_eq!(r.ruf[0].authorized, Some(true));
    assert_eq!(kinds(&r.warnings), ["unauthorized_destination"]);
    assert!(
        r.warnings[0]
            .detail
            .contains("example.test._report._dmarc.other.test")
    );
    // Unauthorised destinations lose reports; the record itself is still valid.
    assert_eq!(r.status, DmarcStatus::Ok);
}

#[tokio::test]
async fn dropped_query_is_a_temperror_naming_the_name() {
    let mut zone = Zone::new();
    zone.silent("_dmarc.slow.test");
    let r = dmarc_report(zone, "slow.test").await;
    assert_eq!(r.status, DmarcStatus::Temperror);
    assert_eq!(kinds(&r.errors), ["temperror"]);
    assert!(r.errors[0].detail.contains("_dmarc.slow.test"), "{r:#?}");
}

/// One case of `tests/data/dmarc-discovery.json` (only the fields these tests read).
#[derive(Deserialize)]
struct DiscoveryVector {
    id: String,
    zone: BTreeMap<String, Vec<String>>,
    nonexistent: Vec<String>,
    query: Query,
    rfc9989: Expected,
}

#[derive(Deserialize)]
struct Query {
    kind: String,
    domain: String,
    #[serde(default)]
    exists: Option<bool>,
}

#[derive(Deserialize)]
struct Expected {
    queries: Vec<String>,
    #[serde(default)]
    policy_domain: Option<String>,
    #[serde(default)]
    organizational_domain: Option<String>,
    #[serde(default)]
    org_domain: Option<String>,
    #[serde(default)]
    records_found_at: Vec<String>,
    #[serde(default)]
    policy: Option<String>,
}

/// The RFC 9989 discovery vectors (draft-41 examples, Mail::DMARC, checkdmarc): the
/// `_dmarc` names asked, the Organizational Domain, the record applied and the policy.
/// Where the start has its own record, policy discovery asks nothing more, so the names
/// of an Organizational-Domain walk (§4.10.2) are not compared; its result is.
#[tokio::test]
async fn rfc9989_discovery_vectors() {
    let vectors: Vec<DiscoveryVector> =
        serde_json::from_str(include_str!("../data/dmarc-discovery.json")).unwrap();
    let mut run = 0;
    for v in &vectors {
        let domain = v.query.domain.as_str();
        let own_record = v.zone.contains_key(&format!("_dmarc.{domain}"));
        let mut zone = Zone::new();
        for (name, texts) in &v.zone {
            for text in texts {
                zone.txt_text(name, text);
            }
        }
        let exists = v.query.exists.unwrap_or(true) && !v.nonexistent.iter().any(|n| n == domain);
        if exists {
            zone.a(domain, "192.0.2.1".parse().unwrap());
        }
        let found = &dmarc_discoveries(zone, domain).await.rfc9989;
        if v.query.kind == "policy" || !own_record {
            assert_eq!(
                found.discovery.queries, v.rfc9989.queries,
                "{}: queries",
                v.id
            );
        }
        match v.query.kind.as_str() {
            "policy" => {
                assert_eq!(
                    found.discovery.policy_domain, v.rfc9989.policy_domain,
                    "{}: policy domain",
                    v.id
                );
                if let Some(org) = &v.rfc9989.organizational_domain {
                    assert_eq!(
                        &found.discovery.organizational_domain, org,
                        "{}: organizational domain",
                        v.id
                    );
                }
                assert_eq!(
                    found.policy.map(Policy::as_str),
                    v.rfc9989.policy.as_deref(),
                    "{}: policy",
                    v.id
                );
            }
            _ => {
                let want = v.rfc9989.org_domain.as_deref().unwrap_or(domain);
                assert_eq!(
                    found.discovery.organizational_domain, want,
                    "{}: organizational domain (records at {:?})",
                    v.id, v.rfc9989.records_found_at
                );
            }
        }
        run += 1;
    }
    eprintln!(
        "RFC 9989 discovery vectors: {run} of {} passed",
        vectors.len()
    );
    assert_eq!(run, vectors.len());
}

#[tokio::test]
async fn a_record_listing_many_destinations_costs_a_bounded_number_of_queries() {
    let uris: Vec<String> = (0..25)
        .map(|i| format!("mailto:r@d{i}.other.test"))
        .collect();
    let mut zone = Zone::new();
    zone.txt_text(
        "_dmarc.example.test",
        &format!("v=DMARC1; p=reject; rua={}", uris.join(",")),
    );
    let r = dmarc_report(zone, "example.test").await;
    assert_eq!(r.rua.len(), 25);
    let checked = r.rua.iter().filter(|d| d.authorized.is_some()).count();
    assert_eq!(
        checked,
        mailposture::dmarc::MAX_CHECKED_DESTINATIONS,
        "{r:#?}"
    );
    assert!(kinds(&r.warnings).contains(&"destination_unchecked"));
}

#[tokio::test]
async fn a_subdomain_with_its_own_record_still_has_the_parent_as_organizational_domain() {
    // RFC 9989 §4.10.2: the walk from mail.example.test finds records at both names;
    // the one at the fewest labels names the Organizational Domain. The policy stays
    // the subdomain's own.
    let zone = Zone::parse(
        r#"
_dmarc.mail.example.test. IN TXT "v=DMARC1; p=quarantine; rua=mailto:d@example.test"
_dmarc.example.test.      IN TXT "v=DMARC1; p=reject; rua=mailto:d@example.test"
"#,
    );
    let r = dmarc_report(zone, "mail.example.test").await;
    assert_eq!(r.source, Some(Source::Domain));
    assert_eq!(r.policy_domain.as_deref(), Some("mail.example.test"));
    assert_eq!(r.organizational_domain.as_deref(), Some("example.test"));
    assert_eq!(r.policy, Some(Policy::Quarantine));
    assert!(!r.discovery_differs);
}
