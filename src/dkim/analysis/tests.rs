use super::*;
use crate::dkim::KeyType;
use crate::dns::{TempFail, TempFailKind};

/// A 2048-bit RSA key (`openssl genrsa 2048`, `openssl rsa -pubout -outform DER`,
/// base64); its size matters only in that it draws no finding.
const KEY_2048: &str = "\
    MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0XIoWBtYIT29xDVFnFGVLtaLmYCgq1HqIMiEb/43\
    58OPh4JOAEZcjlsBC7teMDkHlpnbemdc2mzffvVFajeY88enuNzwGMB0xQ6gvccrNIikyRkJCHZBW4+JkG6m\
    qNL7zwuuxbHgHV9b6118NT5QWAY6+12PfvOKCphpA9uvLwzcs4fDigg4irlHoJr3wrMJaoR5C/HyL3+Ngaz0\
    t0lj2F680qZPOm4186le9v/t2jWwHzGU0ExgT4L4DdsjhonK+QjFFLpUriZLn10wWydUwn2RCqSO43BEcE7r\
    tLRPpid8FAxETHoIMqgCS5+Dp3lFL9ka0VFss0spio0mf+t6ZwIDAQAB";

const DOMAIN: &str = "example.jp";

fn timeout() -> TempFail {
    TempFail {
        kind: TempFailKind::Timeout,
        detail: "no answer in 2s".to_owned(),
    }
}

fn txt(records: &[&str], canonical: Option<&str>) -> Outcome<Aliased<String>> {
    Outcome::Answer(Aliased {
        records: records.iter().map(|&r| r.to_owned()).collect(),
        canonical: canonical.map(str::to_owned),
    })
}

fn exists() -> Outcome<Vec<String>> {
    Outcome::NoData
}

fn kinds(findings: &[DkimFinding]) -> Vec<DkimFindingKind> {
    findings.iter().map(|f| f.kind).collect()
}

/// RFC 8020 §2: nothing exists beneath an NXDOMAIN name, so no selector is asked.
#[test]
fn an_nxdomain_domainkey_prunes_every_selector() {
    let report = pruned(DOMAIN, &Outcome::NxDomain).unwrap();
    assert_eq!(report.status, DkimStatus::None);
    assert_eq!(report.domainkey, DomainkeyState::Nxdomain);
    assert!(report.selectors_asked.is_empty() && report.keys.is_empty());
    assert!(report.errors.is_empty() && report.warnings.is_empty());
    // Given no answers, `report` says the same.
    assert_eq!(
        super::report(DOMAIN, &Outcome::NxDomain, Vec::new()),
        report
    );
}

#[test]
fn a_failed_domainkey_question_is_a_temperror() {
    let report = pruned(DOMAIN, &Outcome::TempFail(timeout())).unwrap();
    assert_eq!(report.status, DkimStatus::Temperror);
    assert_eq!(report.domainkey, DomainkeyState::Temperror);
    assert!(report.selectors_asked.is_empty());
    assert_eq!(kinds(&report.errors), [DkimFindingKind::Temperror]);
    assert_eq!(
        report.errors[0].detail,
        "TXT _domainkey.example.jp: timeout: no answer in 2s"
    );
}

/// NODATA (an empty non-terminal) and records both mean the name exists.
#[test]
fn an_existing_domainkey_needs_the_selectors() {
    assert_eq!(pruned(DOMAIN, &Outcome::NoData), None);
    assert_eq!(
        pruned(DOMAIN, &Outcome::Answer(vec!["o=~".to_owned()])),
        None
    );
}

#[test]
fn a_key_found_beside_a_failed_selector_is_found_with_the_failure_noted() {
    let record = format!("v=DKIM1; k=rsa; p={KEY_2048}");
    let cname = "selector1-example-jp._domainkey.example.onmicrosoft.com";
    let report = report(
        DOMAIN,
        &exists(),
        vec![
            ("google".to_owned(), Outcome::TempFail(timeout())),
            ("selector1".to_owned(), txt(&[&record], Some(cname))),
            ("selector2".to_owned(), Outcome::NxDomain),
        ],
    );
    assert_eq!(report.status, DkimStatus::Found);
    assert_eq!(report.domainkey, DomainkeyState::Exists);
    assert_eq!(report.selectors_asked, ["google", "selector1", "selector2"]);
    assert_eq!(report.selectors_found, ["selector1"]);
    assert_eq!(kinds(&report.errors), [DkimFindingKind::Temperror]);
    assert!(
        report.errors[0]
            .detail
            .starts_with("selector google: TXT google._domainkey.example.jp: timeout"),
        "{}",
        report.errors[0].detail
    );
    let key = &report.keys[..];
    assert_eq!(key.len(), 1);
    assert_eq!(key[0].selector, "selector1");
    assert_eq!(key[0].name, "selector1._domainkey.example.jp");
    assert_eq!(key[0].cname.as_deref(), Some(cname));
    assert_eq!(key[0].record, record);
    assert_eq!(
        (key[0].key_type, key[0].bits),
        (Some(KeyType::Rsa), Some(2048))
    );
    assert!(key[0].errors.is_empty() && key[0].warnings.is_empty());
}

#[test]
fn every_selector_failing_is_a_temperror() {
    let answers = ["google", "selector1"]
        .iter()
        .map(|s| (s.to_string(), Outcome::TempFail(timeout())))
        .collect();
    let report = report(DOMAIN, &exists(), answers);
    assert_eq!(report.status, DkimStatus::Temperror);
    assert_eq!(report.selectors_asked, ["google", "selector1"]);
    assert!(report.selectors_found.is_empty() && report.keys.is_empty());
    assert_eq!(kinds(&report.errors), [DkimFindingKind::Temperror; 2]);
}

/// Other TXT records at a selector are not keys; a failure among answers that found
/// nothing leaves `none`, the failure noted.
#[test]
fn no_key_among_the_answers_is_none() {
    let report = report(
        DOMAIN,
        &exists(),
        vec![
            ("google".to_owned(), Outcome::NxDomain),
            ("selector1".to_owned(), Outcome::NoData),
            (
                "default".to_owned(),
                txt(&["v=spf1 -all", "v=DMARC1; p=none"], None),
            ),
            ("dkim".to_owned(), Outcome::TempFail(timeout())),
        ],
    );
    assert_eq!(report.status, DkimStatus::None);
    assert_eq!(report.selectors_asked.len(), 4);
    assert!(report.selectors_found.is_empty() && report.keys.is_empty());
    assert_eq!(kinds(&report.errors), [DkimFindingKind::Temperror]);
}

#[test]
fn several_key_records_at_one_selector_are_each_reported() {
    let good = format!("v=DKIM1; p={KEY_2048}");
    let report = report(
        DOMAIN,
        &exists(),
        vec![(
            "default".to_owned(),
            txt(&[&good, "v=spf1 -all", "v=DKIM1; p="], None),
        )],
    );
    assert_eq!(report.status, DkimStatus::Found);
    assert_eq!(report.selectors_found, ["default"]);
    assert_eq!(report.keys.len(), 2);
    for key in &report.keys {
        assert_eq!(kinds(&key.errors), [DkimFindingKind::MultipleRecords]);
        assert!(
            key.errors[0]
                .detail
                .starts_with("2 key records at default._domainkey")
        );
    }
    assert_eq!(report.keys[0].bits, Some(2048));
    assert!(report.keys[1].revoked);
    assert_eq!(kinds(&report.keys[1].warnings), [DkimFindingKind::Revoked]);
}

/// A key record with errors is still found.
#[test]
fn an_invalid_key_is_found() {
    let report = report(
        DOMAIN,
        &exists(),
        vec![("s1".to_owned(), txt(&["v=DKIM1; k=rsa; p=!!"], None))],
    );
    assert_eq!(report.status, DkimStatus::Found);
    assert_eq!(kinds(&report.keys[0].errors), [DkimFindingKind::BadKey]);
    assert_eq!(report.keys[0].key_type, None);
}

#[test]
fn no_selector_asked_is_not_checked() {
    let report = report(DOMAIN, &exists(), Vec::new());
    assert_eq!(report.status, DkimStatus::NotChecked);
    assert_eq!(report.domainkey, DomainkeyState::Exists);
}

/// The part in JSON has the record format's fields.
#[test]
fn the_report_serialises_with_the_documented_fields() {
    let report = report(
        DOMAIN,
        &exists(),
        vec![("k1".to_owned(), txt(&["v=DKIM1; t=y; p="], None))],
    );
    let json = serde_json::to_value(&report).unwrap();
    let key = &json["keys"][0];
    assert_eq!(json["status"], "found");
    assert_eq!(json["domainkey"], "exists");
    assert_eq!(json["selectors_asked"], serde_json::json!(["k1"]));
    assert_eq!(key["cname"], serde_json::Value::Null);
    assert_eq!(key["key_type"], serde_json::Value::Null);
    assert_eq!(key["revoked"], true);
    assert_eq!(key["testing"], true);
    assert_eq!(key["warnings"][0]["kind"], "revoked");
    assert_eq!(key["warnings"][1]["kind"], "testing");
    let back: DkimReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
}
