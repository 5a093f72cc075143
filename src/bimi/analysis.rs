//! The verdict of the `bimi` part: what the answer to `<selector>._bimi.<domain>` TXT
//! says, and whether the domain's DMARC policy lets receivers display the indicator.

use super::{
    BimiFinding, BimiFindingKind, BimiReport, BimiStatus, RecordError, parse, record_name,
};
use crate::dmarc::{DmarcReport, DmarcStatus, Policy};
use crate::dns::Outcome;
use crate::txt_fields::{self, Published};

impl BimiReport {
    fn new(status: BimiStatus, selector: &str) -> Self {
        Self {
            status,
            from: None,
            selector: selector.to_owned(),
            record: None,
            records: Vec::new(),
            location: None,
            authority: None,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The report when the lookup could not be finished (or not in time).
    pub fn temperror(selector: &str, detail: String) -> Self {
        let mut report = Self::new(BimiStatus::Temperror, selector);
        report
            .errors
            .push(BimiFinding::new(BimiFindingKind::Temperror, detail));
        report
    }
}

/// The report from the answer to `<selector>._bimi.<domain>` TXT (draft §4.2, §7.2),
/// with `dmarc`, the DMARC part of the same domain, weighed as receivers do (§7.1).
///
/// `domain` is the name the question was asked at: the Author Domain, or its
/// Organizational Domain when the caller fell back to it (§7.2 step 5).
pub fn from_txt(
    selector: &str,
    domain: &str,
    answer: Outcome<Vec<String>>,
    dmarc: &DmarcReport,
) -> BimiReport {
    // Records whose first tag is not exactly `v=BIMI1` are discarded (§7.2 step 4), which
    // a prefix alone cannot tell (`v=BIMI10`, `v = BIMI1`); those left all begin with "v",
    // so `published` chooses among them alone.
    let answer = answer.map(|txts| {
        txts.into_iter()
            .filter(|t| parse::is_bimi_record(t))
            .collect()
    });
    let text = match txt_fields::published(answer, "v") {
        Published::None => return BimiReport::new(BimiStatus::None, selector),
        Published::Unknown(failure) => {
            let name = record_name(selector, domain);
            return BimiReport::temperror(selector, format!("TXT {name}: {failure}"));
        }
        Published::One(text) => text,
        Published::Several(records) => {
            let mut report = BimiReport::new(BimiStatus::Invalid, selector);
            report.errors.push(BimiFinding::new(
                BimiFindingKind::MultipleRecords,
                format!(
                    "{} BIMI1 records at {}; unless exactly one is, receivers display no \
                     indicator (draft §7.2 step 7)",
                    records.len(),
                    record_name(selector, domain)
                ),
            ));
            report.records = records;
            return report;
        }
    };
    let parsed = parse::parse_record(&text);
    let mut report = BimiReport::new(BimiStatus::Ok, selector);
    report.record = Some(text);
    let record = match parsed {
        Ok(record) => record,
        Err(e) => {
            let kind = match e {
                RecordError::NotHttps { .. } => BimiFindingKind::NotHttps,
                RecordError::NoLocation => BimiFindingKind::NoLocation,
                _ => BimiFindingKind::Syntax,
            };
            report.status = BimiStatus::Invalid;
            report.errors.push(BimiFinding::new(
                kind,
                format!("{e}; receivers display no indicator"),
            ));
            return report;
        }
    };
    if record.is_declination() {
        report.status = BimiStatus::Declined;
        return report;
    }
    report.location = record.location;
    report.authority = record.authority;
    match enforcement(domain, dmarc) {
        Enforcement::Enforced => {}
        Enforcement::Short(why) => report.warnings.push(BimiFinding::new(
            BimiFindingKind::NoEnforcement,
            format!("{why}; receivers do not display the indicator"),
        )),
        Enforcement::Unknown => report.warnings.push(BimiFinding::new(
            BimiFindingKind::DmarcUnknown,
            "the DMARC lookup failed: whether receivers would display the indicator (they \
             require DMARC at enforcement, draft §7.1) is not known",
        )),
    }
    report
}

/// Whether the DMARC policy meets what draft §7.1 requires before BIMI processing.
enum Enforcement {
    Enforced,
    /// Not met, and why.
    Short(String),
    /// The DMARC lookup failed.
    Unknown,
}

/// Draft §7.1: mail must pass DMARC (steps 4-6), and no DMARC record consulted may have
/// p=none (step 7) or sp=none (step 8, whether or not the mail is from a subdomain), nor
/// p=quarantine with pct below 100 (step 9).
///
/// Step 9 names quarantine alone, as RFC 7489 §6.6.4 quarantines the mail a p=reject
/// leaves out of its pct; RFC 9989 §4.7's t=y works alike, one level down (reject to
/// quarantine, quarantine to none), so t=y counts as a pct below 100 would.
///
/// `dmarc` holds one record: the domain's own, or the one above it that covers it. When
/// the domain has its own, the Organizational Domain's record, which step 7 and 8 consult
/// too, is not known here and not judged.
fn enforcement(domain: &str, dmarc: &DmarcReport) -> Enforcement {
    let at = dmarc.policy_domain.as_deref().unwrap_or(domain);
    let short = |why: String| Enforcement::Short(why);
    match dmarc.status {
        DmarcStatus::Temperror => return Enforcement::Unknown,
        DmarcStatus::None => {
            return short(format!(
                "no DMARC record covers {domain}, and receivers display an indicator only for \
                 mail that passes DMARC under an enforced policy (draft §7.1 steps 4-9)"
            ));
        }
        DmarcStatus::Ok | DmarcStatus::Invalid => {}
    }
    let Some(applied) = dmarc.policy else {
        return short(format!(
            "the DMARC record at {at} is invalid, so no DMARC policy applies to {domain} \
             (draft §7.1 steps 4-6)"
        ));
    };
    if dmarc.p == Some(Policy::None) {
        return short(format!(
            "the DMARC record at {at} has p=none (draft §7.1 step 7)"
        ));
    }
    if dmarc.sp == Some(Policy::None) {
        return short(format!(
            "the DMARC record at {at} has sp=none (draft §7.1 step 8)"
        ));
    }
    if applied == Policy::None {
        return short(format!(
            "the DMARC policy applied to {domain} (from {at}) is none (draft §7.1 step 7)"
        ));
    }
    if dmarc.p == Some(Policy::Quarantine) || applied == Policy::Quarantine {
        if let Some(pct) = dmarc.pct.filter(|&pct| pct < 100) {
            return short(format!(
                "the DMARC record at {at} quarantines with pct={pct}, and draft §7.1 step 9 \
                 requires pct=100"
            ));
        }
        if dmarc.t == Some(true) {
            return short(format!(
                "the DMARC record at {at} quarantines with t=y, which has receivers apply none \
                 instead (RFC 9989 §4.7; draft §7.1 step 9 requires the whole policy)"
            ));
        }
    }
    Enforcement::Enforced
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dmarc::discover::Source;
    use crate::dns::{TempFail, TempFailKind};

    const LOGO: &str = "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem";

    fn txt(records: &[&str]) -> Outcome<Vec<String>> {
        Outcome::Answer(records.iter().map(|r| (*r).to_owned()).collect())
    }

    fn kinds(findings: &[BimiFinding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.kind.as_str()).collect()
    }

    fn failed() -> TempFail {
        TempFail {
            kind: TempFailKind::Timeout,
            detail: "no answer".into(),
        }
    }

    /// A DMARC part as `DmarcResolver::fetch` fills it in for the domain's own record
    /// `v=DMARC1; p=<p>[; sp=<sp>][; pct=<pct>][; t=y]`.
    fn dmarc(p: Policy, sp: Option<Policy>, pct: Option<u8>, t: bool) -> DmarcReport {
        DmarcReport {
            status: DmarcStatus::Ok,
            source: Some(Source::Domain),
            policy_domain: Some("example.com".into()),
            policy: Some(p),
            p: Some(p),
            sp: Some(sp.unwrap_or(p)),
            np: Some(sp.unwrap_or(p)),
            pct: Some(pct.unwrap_or(100)),
            t: Some(t),
            testing: pct.is_some_and(|pct| pct < 100) || t,
            ..DmarcReport::default()
        }
    }

    fn reject() -> DmarcReport {
        dmarc(Policy::Reject, None, None, false)
    }

    fn bimi(answer: Outcome<Vec<String>>, dmarc: &DmarcReport) -> BimiReport {
        from_txt("default", "example.com", answer, dmarc)
    }

    #[test]
    fn name() {
        assert_eq!(
            record_name(super::super::DEFAULT_SELECTOR, "example.com"),
            "default._bimi.example.com"
        );
        assert_eq!(record_name("a.b", "example.com"), "a.b._bimi.example.com");
    }

    #[test]
    fn valid_record() {
        let ok = bimi(txt(&["v=spf1 -all", LOGO]), &reject());
        assert_eq!(ok.status, BimiStatus::Ok);
        assert_eq!(ok.selector, "default");
        assert_eq!(ok.record.as_deref(), Some(LOGO));
        assert_eq!(ok.location.as_deref(), Some("https://example.com/logo.svg"));
        assert_eq!(ok.authority.as_deref(), Some("https://example.com/vmc.pem"));
        assert!(ok.errors.is_empty() && ok.warnings.is_empty(), "{ok:?}");
    }

    #[test]
    fn no_record() {
        for answer in [Outcome::NxDomain, Outcome::NoData, txt(&["v=BIMI10; l="])] {
            let none = bimi(answer, &reject());
            assert_eq!((none.status, none.record), (BimiStatus::None, None));
        }
    }

    #[test]
    fn declination() {
        for text in ["v=BIMI1; l=; a=;", "v=BIMI1; l="] {
            let declined = bimi(txt(&[text]), &dmarc(Policy::None, None, None, false));
            assert_eq!(declined.status, BimiStatus::Declined, "{text:?}");
            assert_eq!(declined.record.as_deref(), Some(text));
            // Declining needs no DMARC enforcement: there is nothing to display.
            assert!(declined.warnings.is_empty() && declined.errors.is_empty());
        }
        let evidence_only = bimi(
            txt(&["v=BIMI1; l=; a=https://example.com/vmc.pem"]),
            &reject(),
        );
        assert_eq!(
            (evidence_only.status, kinds(&evidence_only.errors)),
            (BimiStatus::Invalid, vec!["no_location"])
        );
    }

    #[test]
    fn http_url() {
        let http = bimi(txt(&["v=BIMI1; l=http://example.com/logo.svg"]), &reject());
        assert_eq!(
            (http.status, kinds(&http.errors)),
            (BimiStatus::Invalid, vec!["not_https"])
        );
        assert_eq!(http.location, None);
        assert!(http.record.is_some());
    }

    #[test]
    fn two_records() {
        let two = bimi(
            txt(&[LOGO, "v=BIMI1; l=https://example.com/other.svg"]),
            &reject(),
        );
        assert_eq!(
            (two.status, kinds(&two.errors)),
            (BimiStatus::Invalid, vec!["multiple_records"])
        );
        assert_eq!(two.record, None);
        assert_eq!(two.records.len(), 2);
        // A record of another version is discarded, not counted (draft §7.2 step 4).
        let one = bimi(txt(&[LOGO, "v=BIMI2; l="]), &reject());
        assert_eq!(one.status, BimiStatus::Ok);
    }

    #[test]
    fn syntax_error() {
        for text in [
            "v=BIMI1; l=https://example.com/a.svg; l=https://example.com/b.svg",
            "v=BIMI1; a=https://example.com/vmc.pem",
            "v=BIMI1;; l=https://example.com/logo.svg",
            "v=BIMI1; l=https:///logo.svg",
        ] {
            let bad = bimi(txt(&[text]), &reject());
            assert_eq!(
                (bad.status, kinds(&bad.errors)),
                (BimiStatus::Invalid, vec!["syntax"]),
                "{text:?}"
            );
            assert_eq!(bad.record.as_deref(), Some(text));
        }
    }

    #[test]
    fn temperror() {
        let failed = bimi(Outcome::TempFail(failed()), &reject());
        assert_eq!(
            (failed.status, kinds(&failed.errors)),
            (BimiStatus::Temperror, vec!["temperror"])
        );
        assert!(
            failed.errors[0]
                .detail
                .contains("default._bimi.example.com")
        );
    }

    #[test]
    fn dmarc_enforcement() {
        let q = Policy::Quarantine;
        let r = Policy::Reject;
        let n = Policy::None;
        let inherited = |sp| DmarcReport {
            source: Some(Source::Organizational),
            policy: Some(sp),
            ..dmarc(r, Some(sp), None, false)
        };
        let cases = [
            ("p=reject", reject(), true),
            ("p=quarantine", dmarc(q, None, None, false), true),
            (
                "p=quarantine; pct=100",
                dmarc(q, None, Some(100), false),
                true,
            ),
            ("p=none", dmarc(n, None, None, false), false),
            (
                "p=quarantine; pct=50",
                dmarc(q, None, Some(50), false),
                false,
            ),
            ("p=quarantine; t=y", dmarc(q, None, None, true), false),
            // §7.1 step 9 names quarantine only: the rest of p=reject is quarantined.
            ("p=reject; pct=50", dmarc(r, None, Some(50), false), true),
            ("p=reject; t=y", dmarc(r, None, None, true), true),
            // Step 8 applies to the domain's own record too.
            ("p=reject; sp=none", dmarc(r, Some(n), None, false), false),
            ("inherited sp=none", inherited(n), false),
            ("inherited sp=quarantine", inherited(q), true),
            // Step 7 names the Organizational Domain's p, whatever its sp.
            (
                "inherited p=none; sp=reject",
                DmarcReport {
                    p: Some(n),
                    ..inherited(r)
                },
                false,
            ),
            ("no DMARC", DmarcReport::default(), false),
            (
                "invalid DMARC",
                DmarcReport {
                    status: DmarcStatus::Invalid,
                    ..DmarcReport::default()
                },
                false,
            ),
        ];
        for (what, dmarc, enforced) in cases {
            let report = bimi(txt(&[LOGO]), &dmarc);
            assert_eq!(report.status, BimiStatus::Ok, "{what}");
            let expected: &[&str] = if enforced { &[] } else { &["no_enforcement"] };
            assert_eq!(kinds(&report.warnings), expected, "{what}");
        }
    }

    #[test]
    fn dmarc_temperror() {
        let unknown = bimi(txt(&[LOGO]), &DmarcReport::temperror("timeout".into()));
        assert_eq!(unknown.status, BimiStatus::Ok);
        assert_eq!(kinds(&unknown.warnings), ["dmarc_unknown"]);
    }

    /// The names of the record format, each variant once.
    #[test]
    fn names_are_the_documented_ones() {
        use crate::names::assert_serde_named;
        assert_serde_named(
            &[
                (BimiStatus::None, "none"),
                (BimiStatus::Ok, "ok"),
                (BimiStatus::Declined, "declined"),
                (BimiStatus::Invalid, "invalid"),
                (BimiStatus::Temperror, "temperror"),
            ],
            BimiStatus::as_str,
        );
        assert_serde_named(
            &[
                (BimiFindingKind::Temperror, "temperror"),
                (BimiFindingKind::MultipleRecords, "multiple_records"),
                (BimiFindingKind::Syntax, "syntax"),
                (BimiFindingKind::NotHttps, "not_https"),
                (BimiFindingKind::NoLocation, "no_location"),
                (BimiFindingKind::NoEnforcement, "no_enforcement"),
                (BimiFindingKind::DmarcUnknown, "dmarc_unknown"),
            ],
            BimiFindingKind::as_str,
        );
    }
}
