use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::*;
use crate::dmarc::{Alignment, Policy, Psd, Reading, Severity};
use strum::VariantArray;

use FindingKind::*;
use Spec::{Both, Rfc7489, Rfc9989};

/// Vectors whose reference reading contradicts the RFC text, each with the sentence
/// that decides it. The vector tests assert that exactly these diverge.
const DIVERGENCES: &[(&str, &str)] = &[];

#[derive(Deserialize)]
struct RecordVector {
    id: String,
    record: Option<String>,
    rrset: Option<Vec<String>>,
    rfc7489: Json,
    rfc9989: Json,
}

#[derive(Deserialize)]
struct TagVector {
    tag: String,
    value: String,
    rfc7489_valid: Option<bool>,
    rfc9989_valid: Option<bool>,
}

fn record_vectors() -> Vec<RecordVector> {
    serde_json::from_str(include_str!("../../../tests/data/dmarc-records.json"))
        .expect("vector file is JSON")
}

fn tag_vectors() -> Vec<TagVector> {
    serde_json::from_str(include_str!("../../../tests/data/dmarc-tag-values.json"))
        .expect("vector file is JSON")
}

/// A reading in the shape of the vectors' `effective` object.
fn effective(r: &Reading) -> Json {
    let Some(p) = r.p else {
        return Json::Null;
    };
    let uris = |list: &[ReportUri]| -> Json {
        list.iter()
            .map(|u| {
                let mut j = json!({"uri": u.uri, "uri_syntax_valid": u.valid, "scheme": u.scheme});
                if u.valid && u.scheme.as_deref() == Some("mailto") {
                    j["mailto_addr_spec"] = json!(u.address.is_some());
                }
                if let Some(a) = &u.address {
                    j["address"] = json!(a);
                }
                if let Some(s) = u.size_limit {
                    j["size_limit"] = json!(s);
                }
                j
            })
            .collect()
    };
    let mut j = json!({
        "p": p.as_str(),
        "sp": r.sp.map(Policy::as_str),
        "adkim": r.adkim.as_str(),
        "aspf": r.aspf.as_str(),
        "fo": r.fo,
        "rua": uris(&r.rua),
        "ruf": uris(&r.ruf),
    });
    if let Some(np) = r.np {
        j["np"] = json!(np.as_str());
    }
    if let Some(psd) = r.psd {
        j["psd"] = json!(psd.as_str());
    }
    if let Some(t) = r.t {
        j["t"] = json!(if t { "y" } else { "n" });
    }
    if let Some(pct) = r.pct {
        j["pct"] = json!(pct);
    }
    if let Some(rf) = &r.rf {
        j["rf"] = json!(rf);
    }
    if let Some(ri) = r.ri {
        j["ri"] = json!(ri);
    }
    j
}

/// The reference `effective` without what `effective()` does not model: the raw
/// element (the finding's value holds it) and the flag that duplicates size_limit.
fn reference_effective(want: &Json) -> Json {
    let mut want = want["effective"].clone();
    for list in ["rua", "ruf"] {
        if let Some(Json::Array(uris)) = want.get_mut(list) {
            for u in uris.iter_mut().filter_map(Json::as_object_mut) {
                u.remove("raw");
                u.remove("obsolete_size_suffix");
            }
        }
    }
    want
}

/// Compares one reading and its findings with a reference reading.
fn compare(record: &Record, spec: Spec, want: &Json) -> Result<(), String> {
    let got = if spec == Rfc7489 {
        &record.rfc7489
    } else {
        &record.rfc9989
    };
    if got.outcome.as_str() != want["outcome"] {
        return Err(format!(
            "{}: outcome {} but the reference says {}",
            spec.as_str(),
            got.outcome.as_str(),
            want["outcome"]
        ));
    }
    let (mine, theirs) = (effective(got), reference_effective(want));
    if mine != theirs {
        return Err(format!(
            "{}: effective {mine}\n  reference {theirs}",
            spec.as_str()
        ));
    }
    let findings: Vec<&Finding> = record
        .findings
        .iter()
        .filter(|f| f.spec.covers(spec))
        .collect();
    let count = |key: &str| want[key].as_array().map_or(0, Vec::len);
    let (warnings, errors) = (count("warnings"), count("errors"));
    if (warnings + errors == 0) != findings.is_empty() {
        return Err(format!(
            "{}: {} findings, reference has {warnings} warnings and {errors} errors: {findings:#?}",
            spec.as_str(),
            findings.len()
        ));
    }
    if errors > 0 && !findings.iter().any(|f| f.severity == Severity::Error) {
        return Err(format!(
            "{}: reference errors {} but no error finding",
            spec.as_str(),
            want["errors"]
        ));
    }
    Ok(())
}

fn check_record_vector(v: &RecordVector) -> Result<(), String> {
    let wants = [(Rfc7489, &v.rfc7489), (Rfc9989, &v.rfc9989)];
    match (&v.record, &v.rrset) {
        (Some(text), _) => {
            let record = parse(text);
            wants
                .into_iter()
                .try_for_each(|(spec, want)| compare(&record, spec, want))
        }
        (None, Some(rrset)) => {
            // RFC 7489 §6.6.3 steps 2 and 5, RFC 9989 §4.10 step 2: other TXT records
            // are discarded, and several DMARC records mean none.
            let selected: Vec<&String> = rrset.iter().filter(|t| is_dmarc_record(t)).collect();
            let outcome = match selected.len() {
                0 => "no_record",
                1 => "single_record",
                _ => "multiple_records_discarded",
            };
            wants.into_iter().try_for_each(|(spec, want)| {
                if want["outcome"] != outcome {
                    return Err(format!(
                        "{}: {outcome} but the reference says {}",
                        spec.as_str(),
                        want["outcome"]
                    ));
                }
                match selected.as_slice() {
                    [one] => compare(&parse(one), spec, &want["record_evaluation"]),
                    _ => Ok(()),
                }
            })
        }
        (None, None) => Err("vector has neither record nor rrset".to_owned()),
    }
}

fn assert_divergences(kind: &str, run: usize, diverging: &BTreeMap<String, String>) {
    eprintln!(
        "DMARC {kind} vectors: {run} run, {} passed, {} diverging",
        run - diverging.len(),
        diverging.len()
    );
    let expected: BTreeSet<&str> = DIVERGENCES.iter().map(|(id, _)| *id).collect();
    let got: BTreeSet<&str> = diverging.keys().map(String::as_str).collect();
    let unexpected: Vec<String> = diverging
        .iter()
        .filter(|(id, _)| !expected.contains(id.as_str()))
        .map(|(id, why)| format!("{id}: {why}"))
        .collect();
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
    let listed: BTreeSet<&str> = expected
        .iter()
        .copied()
        .filter(|id| id.starts_with("tag-value ") == (kind == "tag-value"))
        .collect();
    assert_eq!(got, listed, "DIVERGENCES lists vectors that now pass");
}

#[test]
fn record_vectors_match_the_reference_readings() {
    let vectors = record_vectors();
    assert_eq!(vectors.len(), 138);
    let diverging: BTreeMap<String, String> = vectors
        .iter()
        .filter_map(|v| check_record_vector(v).err().map(|e| (v.id.clone(), e)))
        .collect();
    assert_divergences("record", vectors.len(), &diverging);
}

/// Validity of `tag=value` under `spec` as the parser reports it: `None` when the
/// reading does not define the tag.
fn tag_validity(tag: &str, value: &str, spec: Spec) -> Option<bool> {
    if tag == "v" {
        return Some(is_dmarc_record(&format!("v={value}")));
    }
    let text = if tag == "p" {
        format!("v=DMARC1; p={value}")
    } else {
        format!("v=DMARC1; p=none; {tag}={value}")
    };
    let record = parse(&text);
    let noted = |kind| {
        record
            .findings
            .iter()
            .any(|f| f.kind == kind && f.spec.covers(spec) && f.tag.as_deref() == Some(tag))
    };
    if noted(HistoricTag) || noted(NewTag) || noted(UnknownTag) {
        return None;
    }
    Some(!noted(InvalidTagValue) && !noted(InvalidUri))
}

#[test]
fn tag_value_vectors_match_the_reference_validity() {
    let vectors = tag_vectors();
    assert_eq!(vectors.len(), 101);
    let mut diverging = BTreeMap::new();
    for v in &vectors {
        for (spec, want) in [(Rfc7489, v.rfc7489_valid), (Rfc9989, v.rfc9989_valid)] {
            let got = tag_validity(&v.tag, &v.value, spec);
            if got != want {
                diverging.insert(
                    format!("tag-value {}={}", v.tag, v.value),
                    format!("{}: {got:?}, reference {want:?}", spec.as_str()),
                );
            }
        }
    }
    assert_divergences("tag-value", vectors.len(), &diverging);
}

#[test]
fn version_selection() {
    for (text, want) in [
        ("v=DMARC1; p=none", true),
        ("v=DMARC1", true),
        ("v=DMARC1;", true),
        ("v = DMARC1 ; p=reject", true),
        ("v\t=\tDMARC1\t", true),
        ("V=DMARC1; p=none", true),
        ("v=DMARC1 p=none", false),
        (" v=DMARC1; p=none", false),
        ("\tv=DMARC1", false),
        ("v=dmarc1; p=none", false),
        ("v=DMARC10; p=none", false),
        ("v=DMARC2", false),
        ("p=none; v=DMARC1", false),
        ("v=spf1 -all", false),
        ("", false),
    ] {
        assert_eq!(is_dmarc_record(text), want, "{text:?}");
        assert_eq!(
            parse(text).rfc9989.outcome == Validity::NotDmarcRecord,
            !want,
            "{text:?}"
        );
    }
}

#[test]
fn tags_keep_order_lower_case_names_and_trimmed_values() {
    let record = parse("v=DMARC1;P = Reject\t; RUA=mailto:A@Example.COM ;;x-y=1; Foo=Bar ;");
    let tags: Vec<(&str, &str)> = record
        .tags
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        tags,
        [
            ("v", "DMARC1"),
            ("p", "Reject"),
            ("rua", "mailto:A@Example.COM"),
            ("foo", "Bar"),
        ]
    );
    assert_eq!(record.rfc7489.p, Some(Policy::Reject));
    assert_eq!(
        record.rfc9989.rua[0].address.as_deref(),
        Some("A@example.com")
    );
}

#[test]
fn tag_values_per_specification() {
    // (tag, value, valid under RFC 7489, under RFC 9989); None: tag not defined there.
    let cases: &[(&str, &str, Option<bool>, Option<bool>)] = &[
        ("p", "Quarantine", Some(true), Some(true)),
        ("p", "n", Some(false), Some(false)),
        ("sp", "rejects", Some(false), Some(false)),
        ("np", "reject", None, Some(true)),
        ("adkim", "S", Some(true), Some(true)),
        ("aspf", "strict", Some(false), Some(false)),
        ("fo", "0:d:s", Some(true), Some(true)),
        ("fo", "d:0:s", Some(true), Some(true)),
        ("fo", "s:1", Some(true), Some(true)),
        ("fo", "0 : d", Some(true), Some(false)),
        ("fo", "0:1", Some(true), Some(false)),
        ("fo", "d:d", Some(true), Some(false)),
        ("fo", "0:", Some(false), Some(false)),
        ("psd", "U", None, Some(true)),
        ("t", "yes", None, Some(false)),
        ("pct", "0", Some(true), None),
        ("pct", "100", Some(true), None),
        ("pct", "0100", Some(false), None),
        ("pct", "+5", Some(false), None),
        ("ri", "0086400", Some(true), None),
        ("ri", "4294967296", Some(false), None),
        ("ri", "+1", Some(false), None),
        ("rf", "AFRF : afrf", Some(true), None),
        ("rf", "afrf:iodef", Some(false), None),
        (
            "rua",
            "mailto:a@example.com, mailto:b@example.net!10k",
            Some(true),
            Some(true),
        ),
        ("rua", "mailto:a@example.com,", Some(false), Some(false)),
        ("ruf", "https://example.com/r?x=1#f", Some(true), Some(true)),
    ];
    for &(tag, value, r7489, r9989) in cases {
        assert_eq!(
            tag_validity(tag, value, Rfc7489),
            r7489,
            "{tag}={value} 7489"
        );
        assert_eq!(
            tag_validity(tag, value, Rfc9989),
            r9989,
            "{tag}={value} 9989"
        );
    }
}

#[test]
fn report_uris() {
    // (element, RFC 3986 URI, address)
    let cases: &[(&str, bool, Option<&str>)] = &[
        ("mailto:d@example.com", true, Some("d@example.com")),
        (
            "MailTo:Reports@EXAMPLE.com",
            true,
            Some("Reports@example.com"),
        ),
        (
            "mailto:d@example.com?subject=dmarc",
            true,
            Some("d@example.com"),
        ),
        (
            "mailto:first%2Elast@example.com",
            true,
            Some("first.last@example.com"),
        ),
        (
            "mailto:%22a%20b%22@example.com",
            true,
            Some("\"a b\"@example.com"),
        ),
        (
            "mailto:d@b%C3%BCcher.example",
            true,
            Some("d@xn--bcher-kva.example"),
        ),
        // URIs, but without one usable address.
        ("mailto://abuse.com", true, None),
        ("mailto:a@example.com%2Cb@example.com", true, None),
        ("mailto:d@localhost", true, None),
        ("mailto:d@-bad.example", true, None),
        ("mailto:d@example.com.", true, None),
        ("mailto:a..b@example.com", true, None),
        ("mailto:d@example.com%2", false, None),
        ("mailtoo:me@example.com", true, None),
        ("ftp://abuse.com", true, None),
        ("https://[2001:db8::1]:8443/r", true, None),
        ("https://[v1.x:y]/r", true, None),
        ("https://u:p@example.com:/r?a=b#c", true, None),
        ("urn:ietf:rfc:9989", true, None),
        // Not URIs.
        ("bob@example.com", false, None),
        ("__mailto:r@example.com", false, None),
        ("mailto:a!b@example.com", false, None),
        ("mailto:d@exa mple.com", false, None),
        ("https://example.com:80x/", false, None),
        ("https://[::1/", false, None),
        ("https://[fe80::1%25eth0]/", false, None),
        ("http://a@b@c/", false, None),
        ("http://a#b#c", false, None),
        ("1http://example.com", false, None),
        ("", false, None),
    ];
    for &(raw, valid, address) in cases {
        let got = ReportUri::parse(raw);
        assert_eq!(
            (got.valid, got.address.as_deref()),
            (valid, address),
            "{raw:?}"
        );
        let domain = address.and_then(|a| a.rsplit_once('@')).map(|(_, d)| d);
        assert_eq!(got.domain.as_deref(), domain, "{raw:?}");
        assert_eq!(got.size_limit, None, "{raw:?}");
    }
    // (element, URI without the suffix, size limit in bytes)
    let sizes: &[(&str, &str, Option<u64>)] = &[
        ("mailto:d@example.com!1", "mailto:d@example.com", Some(1)),
        (
            "mailto:d@example.com!10k",
            "mailto:d@example.com",
            Some(10 << 10),
        ),
        (
            "mailto:d@example.com!10M",
            "mailto:d@example.com",
            Some(10 << 20),
        ),
        (
            "mailto:d@example.com!2G",
            "mailto:d@example.com",
            Some(2 << 30),
        ),
        (
            "mailto:d@example.com!1t",
            "mailto:d@example.com",
            Some(1 << 40),
        ),
        (
            "mailto:d@example.com!99999999999999999999t",
            "mailto:d@example.com",
            Some(u64::MAX),
        ),
        ("mailto:d@example.com!", "mailto:d@example.com!", None),
        (
            "mailto:d@example.com!10 K",
            "mailto:d@example.com!10 K",
            None,
        ),
        ("mailto:d@example.com!am", "mailto:d@example.com!am", None),
        (
            "mailto:d@example.com!100p",
            "mailto:d@example.com!100p",
            None,
        ),
    ];
    for &(raw, uri, size) in sizes {
        let got = ReportUri::parse(raw);
        assert_eq!((got.uri.as_str(), got.size_limit), (uri, size), "{raw:?}");
        assert_eq!(got.valid, size.is_some(), "{raw:?}");
    }
    // The scheme is reported whenever there is a ":", to show what was meant.
    for (raw, scheme) in [
        ("MAILTO:d@example.com", Some("mailto")),
        ("__mailto:d@example.com", Some("__mailto")),
        ("mailto:d@example.com!10 K", Some("mailto")),
        ("d@example.com", None),
    ] {
        assert_eq!(ReportUri::parse(raw).scheme.as_deref(), scheme, "{raw:?}");
    }
}

#[test]
fn readings() {
    let r = parse(
        "v=DMARC1; p=reject; sp=quarantine; np=none; t=y; psd=n; adkim=s; pct=50; rf=afrf; ri=3600; fo=1:d; ruf=mailto:f@example.com",
    );
    let (a, b) = (&r.rfc7489, &r.rfc9989);
    assert_eq!(
        (a.p, a.sp, a.np),
        (Some(Policy::Reject), Some(Policy::Quarantine), None)
    );
    assert_eq!(
        (b.p, b.sp, b.np),
        (
            Some(Policy::Reject),
            Some(Policy::Quarantine),
            Some(Policy::None)
        )
    );
    assert_eq!(
        (a.psd, a.t, b.psd, b.t),
        (None, None, Some(Psd::No), Some(true))
    );
    assert_eq!(
        (a.pct, a.ri, b.pct, b.ri, b.rf.as_ref()),
        (Some(50), Some(3600), None, None, None)
    );
    assert_eq!(a.rf.as_deref(), Some(&["afrf".to_owned()][..]));
    assert_eq!((a.adkim, a.aspf), (Alignment::Strict, Alignment::Relaxed));
    assert_eq!(a.fo, ["1", "d"]);
    assert_eq!(a.ruf[0].address.as_deref(), Some("f@example.com"));

    // np defaults to sp, sp to p; invalid optional values give way to the defaults.
    let r = parse("v=DMARC1; p=quarantine; adkim=x; fo=0:1; psd=maybe");
    assert_eq!(r.rfc9989.np, Some(Policy::Quarantine));
    assert_eq!(r.rfc9989.sp, Some(Policy::Quarantine));
    assert_eq!(r.rfc9989.adkim, Alignment::Relaxed);
    assert_eq!(r.rfc9989.fo, ["0"]);
    assert_eq!(r.rfc7489.fo, ["0", "1"]);
    assert_eq!(r.rfc9989.psd, Some(Psd::Unknown));
    assert_eq!(r.rfc9989.outcome, Validity::ValidWithWarnings);

    // The p=none fallback resets sp and np as well (RFC 9989 §4.10.1).
    let r = parse("v=DMARC1; p=reject; sp=quarantine; np=bad; rua=mailto:r@example.com");
    assert_eq!(r.rfc9989.outcome, Validity::PNoneFallback);
    assert_eq!(
        (r.rfc9989.p, r.rfc9989.sp, r.rfc9989.np),
        (Some(Policy::None), Some(Policy::None), Some(Policy::None))
    );
    assert_eq!(r.rfc7489.outcome, Validity::ValidWithWarnings);
    assert_eq!(r.rfc7489.p, Some(Policy::Reject));

    // A typo in np switches DMARC off under RFC 9989 when rua has no valid URI.
    let r = parse("v=DMARC1; p=reject; np=rejct");
    assert_eq!(
        r.rfc9989,
        Reading::without_policy(Validity::NoDmarcProcessing)
    );

    // Missing p: RFC 9989 reads p=none; RFC 7489 needs a valid rua to fall back.
    let r = parse("v=DMARC1; rua=bob@example.com");
    assert_eq!(r.rfc9989.p, Some(Policy::None));
    assert_eq!(r.rfc7489.outcome, Validity::NoDmarcProcessing);
    let r = parse("v=DMARC1; rua=ftp://example.com");
    assert_eq!(r.rfc7489.outcome, Validity::PNoneFallback);

    let r = parse("v=DMARC1; p=none; P=reject");
    assert_eq!(
        r.rfc7489,
        Reading::without_policy(Validity::InvalidDuplicateTag)
    );
    assert_eq!(r.rfc9989.outcome, Validity::InvalidDuplicateTag);
}

#[test]
fn findings() {
    // (record, [(kind, spec, tag)]) in record order.
    type Expected<'a> = (FindingKind, Spec, Option<&'a str>);
    let cases: &[(&str, &[Expected<'_>])] = &[
        ("v=DMARC1; p=reject; rua=mailto:r@example.com", &[]),
        (" v=DMARC1; p=reject", &[(NotDmarcRecord, Both, None)]),
        ("v=DMARC2; p=reject", &[(NotDmarcRecord, Both, Some("v"))]),
        ("v=spf1 -all", &[(NotDmarcRecord, Both, Some("v"))]),
        ("p=none; v=DMARC1", &[(NotDmarcRecord, Both, None)]),
        (
            "v=DMARC1; p; x_y=1; =2",
            &[
                (MalformedTag, Both, None),
                (MalformedTag, Both, None),
                (MalformedTag, Both, None),
                (MissingPolicy, Both, Some("p")),
            ],
        ),
        (
            "v=DMARC1; p=none; x; p=reject; v=DMARC1",
            &[
                (MalformedTag, Both, None),
                (DuplicateTag, Both, Some("p")),
                (DuplicateTag, Both, Some("v")),
            ],
        ),
        (
            "v=DMARC1; sp=none; p=reject",
            &[
                (PolicyNotSecond, Rfc7489, Some("p")),
                (PolicyNotSecond, Rfc9989, Some("p")),
            ],
        ),
        (
            "v=DMARC1; p=bob; adkim=bob; fo=0:1; xyz=x",
            &[
                (InvalidTagValue, Both, Some("p")),
                (InvalidTagValue, Both, Some("adkim")),
                (InvalidTagValue, Rfc9989, Some("fo")),
                (FoWithoutRuf, Both, Some("fo")),
                (UnknownTag, Both, Some("xyz")),
            ],
        ),
        (
            "v=DMARC1; p=none; pct=150; np=x; t=y; ri=1",
            &[
                (HistoricTag, Rfc9989, Some("pct")),
                (InvalidTagValue, Rfc7489, Some("pct")),
                (NewTag, Rfc7489, Some("np")),
                (InvalidTagValue, Rfc9989, Some("np")),
                (NewTag, Rfc7489, Some("t")),
                (HistoricTag, Rfc9989, Some("ri")),
            ],
        ),
        (
            "v=DMARC1; p=none; rua=r@example.com, ftp://example.com, mailto://x, mailto:r@example.com!5m",
            &[
                (InvalidUri, Both, Some("rua")),
                (NonMailtoUri, Both, Some("rua")),
                (InvalidMailtoAddress, Both, Some("rua")),
                (ObsoleteSizeLimit, Rfc9989, Some("rua")),
            ],
        ),
    ];
    for &(text, want) in cases {
        let record = parse(text);
        let got: Vec<Expected<'_>> = record
            .findings
            .iter()
            .map(|f| (f.kind, f.spec, f.tag.as_deref()))
            .collect();
        assert_eq!(got, want, "{text:?}");
        for f in &record.findings {
            assert_eq!(f.severity, f.kind.severity(f.spec), "{f:?}");
            assert!(f.detail.contains("RFC"), "no section cited: {f:?}");
            if let Some(value) = &f.value {
                assert!(f.detail.contains(value.as_str()), "value not named: {f:?}");
            }
        }
    }
}

#[test]
fn odd_input_keeps_the_readings_consistent() {
    for text in [
        "v=DMARC1;\u{0};p=\u{e9}; rua=mailto:%C3%28@example.com",
        "v=DMARC1; p=none; rua=,,!,%,mailto:!1k, ; ruf=[:!",
        "v=DMARC1; p=reject\n; sp=r\u{e9}ject",
        "v=DMARC1;;;;",
        "v=DMARC1; =; ==; p==none",
        "v=DMARC1; fo=:::; pct=; ri=99999999999999999999",
        "\u{feff}v=DMARC1; p=none",
        ";",
    ] {
        let record = parse(text);
        assert_eq!(is_dmarc_record(text), !record.tags.is_empty(), "{text:?}");
        for reading in [&record.rfc7489, &record.rfc9989] {
            assert_eq!(reading.outcome.applies(), reading.p.is_some(), "{text:?}");
            assert_eq!(reading.p.is_some(), reading.sp.is_some(), "{text:?}");
        }
        assert!(!record.findings.is_empty(), "{text:?}");
    }
}

#[test]
fn severities() {
    assert_eq!(PolicyNotSecond.severity(Rfc7489), Severity::Error);
    assert_eq!(PolicyNotSecond.severity(Rfc9989), Severity::Warning);
    assert_eq!(InvalidTagValue.severity(Both), Severity::Error);
    assert_eq!(MissingPolicy.severity(Both), Severity::Error);
    assert_eq!(UnknownTag.severity(Both), Severity::Warning);
    assert_eq!(ObsoleteSizeLimit.severity(Rfc9989), Severity::Warning);
}

#[test]
fn finding_details() {
    let detail = |text: &str, kind| {
        parse(text)
            .findings
            .into_iter()
            .find(|f| f.kind == kind)
            .map(|f| f.detail)
            .unwrap_or_else(|| panic!("{text:?}: no {kind:?}"))
    };
    assert_eq!(
        detail("v=DMARC1; p=none; adkim=bob", InvalidTagValue),
        "adkim=bob: must be r (relaxed) or s (strict); receivers use the default r (RFC 7489 §6.3, RFC 9989 §4.8)"
    );
    assert_eq!(
        detail("v=DMARC1; p=reject; np=rejct", InvalidTagValue),
        "np=rejct: must be none, quarantine or reject; receivers apply no DMARC processing at all, because rua holds no valid URI (RFC 9989 §4.10.1)"
    );
    assert!(
        detail(
            "v=DMARC1; p=none; fo=1:s rua=mailto:a@b.example",
            InvalidTagValue
        )
        .contains("\";\" seems to be missing")
    );
    assert!(detail("v=DMARC1 p=none", NotDmarcRecord).contains("separate tags with \";\""));
    assert!(detail("v=spf1 -all", NotDmarcRecord).contains("SPF record"));
    assert!(detail(" v=DMARC1; p=none", NotDmarcRecord).contains("starts with white space"));
    assert!(
        detail("v=DMARC1; rua=mailto:a@b.example", MissingPolicy)
            .contains("act as if the record said p=none")
    );
    assert!(detail("v=DMARC1; p=none; pct=0", HistoricTag).contains("t=y"));
    assert!(detail("v=DMARC1; p=none; t=y", NewTag).contains("in full"));
    assert!(detail("v=DMARC1; p=none; rua=r@example.com", InvalidUri).contains("mailto:"));
    assert!(detail("v=DMARC1; p=none; rua=mailto:a!b@example.com", InvalidUri).contains("%21"));
}

#[test]
fn value_names_are_the_documented_ones() {
    // Tag values as the record holds them, and the names of the readings; each name is
    // serde's and `as_str`'s, from one declaration, so a renamed variant must not
    // rename it. Finding kinds are pinned below.
    use crate::names::assert_serde_named as pin;
    use Policy::{None, Quarantine, Reject};
    pin(
        &[
            (None, "none"),
            (Quarantine, "quarantine"),
            (Reject, "reject"),
        ],
        <&str>::from,
    );
    pin(
        &[(Alignment::Relaxed, "r"), (Alignment::Strict, "s")],
        <&str>::from,
    );
    pin(
        &[(Psd::Yes, "y"), (Psd::No, "n"), (Psd::Unknown, "u")],
        <&str>::from,
    );
    pin(
        &[(Both, "both"), (Rfc7489, "rfc7489"), (Rfc9989, "rfc9989")],
        <&str>::from,
    );
    pin(
        &[(Severity::Error, "error"), (Severity::Warning, "warning")],
        <&str>::from,
    );
    use Validity::*;
    pin(
        &[
            (Valid, "valid"),
            (ValidWithWarnings, "valid_with_warnings"),
            (PNoneFallback, "p_none_fallback"),
            (NoDmarcProcessing, "no_dmarc_processing"),
            (NotDmarcRecord, "not_dmarc_record"),
            (InvalidDuplicateTag, "invalid_duplicate_tag"),
        ],
        <&str>::from,
    );
}

#[test]
fn finding_kinds_keep_their_output_names() {
    // The names of the output format (src/record.rs), each kind once.
    let names = [
        (NotDmarcRecord, "not_dmarc_record"),
        (MalformedTag, "malformed_tag"),
        (DuplicateTag, "duplicate_tag"),
        (MissingPolicy, "missing_policy"),
        (PolicyNotSecond, "policy_not_second"),
        (InvalidTagValue, "invalid_tag_value"),
        (UnknownTag, "unknown_tag"),
        (HistoricTag, "historic_tag"),
        (NewTag, "new_tag"),
        (InvalidUri, "invalid_uri"),
        (NonMailtoUri, "non_mailto_uri"),
        (InvalidMailtoAddress, "invalid_mailto_address"),
        (ObsoleteSizeLimit, "obsolete_size_limit"),
        (FoWithoutRuf, "fo_without_ruf"),
        (MultipleRecords, "multiple_records"),
        (Temperror, "temperror"),
        (UnauthorizedDestination, "unauthorized_destination"),
        (DestinationUnchecked, "destination_unchecked"),
        (PNone, "p_none"),
        (NoRua, "no_rua"),
        (SpWeakerThanP, "sp_weaker_than_p"),
        (NpWeakerThanP, "np_weaker_than_p"),
        (PctBelow100, "pct_below_100"),
        (TestMode, "test_mode"),
    ];
    assert_eq!(names.len(), FindingKind::VARIANTS.len());
    for (kind, name) in names {
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(name));
        assert_eq!(
            serde_json::from_value::<FindingKind>(json!(name)).unwrap(),
            kind
        );
        assert_eq!((kind.as_str(), kind.to_string().as_str()), (name, name));
    }
}
