//! The verdict of the `mta_sts` part, in three pure steps the scan runs in turn: what the
//! TXT answer says ([`from_txt`]), what the fetched policy says ([`add_policy`]), and
//! whether the policy would hold for the MX hosts as the STARTTLS probe found them
//! ([`judge_hosts`]).

use std::fmt::Write as _;

use super::fetch::{FetchStatus, Fetched};
use super::{
    Holding, HostTls, HostVerdict, Mode, MtaStsReport, MtaStsStatus, PolicyFacts, StsFinding,
    StsFindingKind, TXT_LABEL, parse,
};
use crate::dns::Outcome;
use crate::mx::{MxReport, MxStatus};
use crate::smtp::StarttlsStatus;
use crate::smtp::prober::HostStarttls;
use crate::txt_fields::{self, Extension, Published};

/// A day: RFC 8461 §3.2 suggests a `max_age` of weeks or more, so that a cached policy
/// outlives an attacker's hold on the next fetch; under a day is too short to help.
pub const SHORT_MAX_AGE: u32 = 86_400;

impl MtaStsReport {
    fn new(status: MtaStsStatus) -> Self {
        Self {
            status,
            record: None,
            records: Vec::new(),
            id: None,
            fetch: None,
            policy: None,
            holds: None,
            hosts: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The report when the record's lookup could not be finished (or not in time).
    pub fn temperror(detail: String) -> Self {
        let mut report = Self::new(MtaStsStatus::Temperror);
        report
            .errors
            .push(StsFinding::new(StsFindingKind::Temperror, detail));
        report
    }

    /// A valid record is published and its policy is yet to be fetched.
    pub fn wants_policy(&self) -> bool {
        self.status == MtaStsStatus::Ok && self.fetch.is_none()
    }

    fn fail(&mut self, status: MtaStsStatus, kind: StsFindingKind, detail: String) {
        self.status = status;
        self.errors.push(StsFinding::new(kind, detail));
    }
}

/// The report from the answer to `_mta-sts.<domain>` TXT (RFC 8461 §3.1).
pub fn from_txt(domain: &str, answer: Outcome<Vec<String>>) -> MtaStsReport {
    let text = match txt_fields::published(answer, parse::SELECT_PREFIX) {
        Published::None => return MtaStsReport::new(MtaStsStatus::None),
        Published::Unknown(failure) => {
            return MtaStsReport::temperror(format!("TXT {TXT_LABEL}.{domain}: {failure}"));
        }
        Published::One(text) => text,
        Published::Several(records) => {
            let mut report = MtaStsReport::new(MtaStsStatus::Invalid);
            report.errors.push(StsFinding::new(
                StsFindingKind::MultipleRecords,
                format!(
                    "{} records at {TXT_LABEL}.{domain} begin with v=STSv1; senders use \
                     none of them (RFC 8461 §3.1)",
                    records.len()
                ),
            ));
            report.records = records;
            return report;
        }
    };
    let mut report = MtaStsReport::new(MtaStsStatus::Ok);
    let parsed = parse::parse_record(&text);
    report.record = Some(text);
    match parsed {
        Ok(record) => {
            report.id = Some(record.id);
            note_duplicates(&mut report, "the record", &record.ignored_duplicates);
        }
        Err(e) => report.fail(
            MtaStsStatus::Invalid,
            StsFindingKind::RecordSyntax,
            format!("{e}; senders use no policy (RFC 8461 §3.1)"),
        ),
    }
    report
}

/// Adds what the policy's fetch found to a report that [wants it](MtaStsReport::wants_policy).
pub fn add_policy(report: &mut MtaStsReport, fetched: &Fetched) {
    report.fetch = Some(fetched.facts.clone());
    let status = fetched.facts.status;
    let why = || {
        fetched
            .facts
            .error
            .clone()
            .unwrap_or_else(|| status.as_str().replace('_', " "))
    };
    let body = match (&fetched.body, status) {
        (Some(body), FetchStatus::Ok) => body,
        _ if status.transient() => {
            return report.fail(
                MtaStsStatus::Temperror,
                StsFindingKind::Temperror,
                format!("no policy because the fetch failed: {}", why()),
            );
        }
        (_, FetchStatus::NoHost) => {
            return report.fail(
                MtaStsStatus::Invalid,
                StsFindingKind::NoPolicy,
                format!(
                    "the record is published but nothing serves its policy: {}",
                    why()
                ),
            );
        }
        (_, FetchStatus::HttpStatus) if fetched.facts.http_status == Some(404) => {
            return report.fail(
                MtaStsStatus::Invalid,
                StsFindingKind::NoPolicy,
                format!(
                    "the record is published but {} answers 404 Not Found",
                    fetched.facts.url
                ),
            );
        }
        _ => {
            return report.fail(
                MtaStsStatus::Invalid,
                StsFindingKind::PolicyFetchFailed,
                format!(
                    "no policy because the fetch failed: {} (RFC 8461 §3.3)",
                    why()
                ),
            );
        }
    };
    match parse::parse_policy(body) {
        Ok(policy) => {
            if policy.mode != Mode::None && policy.max_age < SHORT_MAX_AGE {
                report.warnings.push(StsFinding::new(
                    StsFindingKind::ShortMaxAge,
                    format!(
                        "max_age is {} s, under a day; RFC 8461 §3.2 suggests weeks",
                        policy.max_age
                    ),
                ));
            }
            note_duplicates(report, "the policy", &policy.ignored_duplicates);
            report.policy = Some(PolicyFacts::from(&policy));
        }
        Err(e) => report.fail(
            MtaStsStatus::Invalid,
            StsFindingKind::PolicySyntax,
            format!("the policy is not valid: {e}; senders use none (RFC 8461 §3.2)"),
        ),
    }
}

fn note_duplicates(report: &mut MtaStsReport, place: &str, duplicates: &[Extension]) {
    for field in duplicates {
        report.warnings.push(StsFinding::new(
            StsFindingKind::DuplicateField,
            format!(
                "{} appears again in {place} ({:?}); senders use the first (RFC 8461 §3.2)",
                field.name, field.value
            ),
        ));
    }
}

/// Judges each MX host of `mx` against an active policy (RFC 8461 §4.1, §4.2) and rolls
/// the verdicts up into [`MtaStsReport::holds`]. Without a policy, or with `mode: none`,
/// nothing is judged.
pub fn judge_hosts(report: &mut MtaStsReport, mx: &MxReport) {
    let Some(policy) = &report.policy else {
        return;
    };
    if report.status != MtaStsStatus::Ok || policy.mode == Mode::None {
        return;
    }
    if mx.status != MxStatus::Ok {
        report.holds = Some(Holding::Unverified);
        return;
    }
    report.hosts = mx
        .hosts
        .iter()
        // A null MX among others names no host to deliver to.
        .filter(|h| !h.name.is_empty())
        .map(|h| {
            let (tls, detail) = host_tls(h.starttls.as_ref());
            HostVerdict {
                name: h.name.clone(),
                pattern: policy
                    .mx
                    .iter()
                    .find(|p| crate::hostname::mx_matches(p, &h.name))
                    .cloned(),
                tls,
                detail,
            }
        })
        .collect();
    let failing: Vec<&HostVerdict> = report
        .hosts
        .iter()
        .filter(|h| h.pattern.is_none() || h.tls == HostTls::Invalid)
        .collect();
    let holding = if !failing.is_empty() {
        Holding::WouldFail
    } else if report.hosts.is_empty() || report.hosts.iter().any(|h| h.tls == HostTls::Unknown) {
        Holding::Unverified
    } else {
        Holding::Holds
    };
    if holding == Holding::WouldFail {
        let refused = refusals(&failing);
        let finding = if policy.mode == Mode::Enforce {
            StsFinding::new(
                StsFindingKind::WouldFail,
                format!("senders that enforce the policy refuse to deliver to {refused}"),
            )
        } else {
            StsFinding::new(
                StsFindingKind::TestingWouldFail,
                format!("in enforce mode, senders would refuse to deliver to {refused}"),
            )
        };
        if finding.kind == StsFindingKind::WouldFail {
            report.errors.push(finding);
        } else {
            report.warnings.push(finding);
        }
    }
    report.holds = Some(holding);
}

/// "a (matched by no mx pattern), b (certificate ...)".
fn refusals(failing: &[&HostVerdict]) -> String {
    let mut out = String::new();
    for (i, host) in failing.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let why = match (&host.pattern, host.tls) {
            (None, _) => "matched by no mx pattern".to_owned(),
            (Some(_), _) => host
                .detail
                .clone()
                .unwrap_or_else(|| "no valid TLS".to_owned()),
        };
        let _ = write!(out, "{} ({why})", host.name);
    }
    out
}

/// What an enforcing sender makes of the STARTTLS probe of a host (RFC 8461 §4.2: a
/// certificate valid for the MX name under the configured roots; §7.2: TLS 1.2 or later).
fn host_tls(probe: Option<&HostStarttls>) -> (HostTls, Option<String>) {
    let Some(probe) = probe else {
        return (HostTls::Unknown, Some("not probed".to_owned()));
    };
    let result = &*probe.result;
    let error = || result.error.clone().unwrap_or_default();
    match result.status {
        StarttlsStatus::Ok => match &result.cert {
            Some(cert) if cert.valid => {
                let modern = matches!(result.tls_version.as_deref(), Some("TLSv1.2" | "TLSv1.3"));
                if modern {
                    (HostTls::Valid, None)
                } else {
                    (
                        HostTls::Invalid,
                        Some(format!(
                            "TLS version {} is under 1.2 (RFC 8461 §7.2)",
                            result.tls_version.as_deref().unwrap_or("unknown")
                        )),
                    )
                }
            }
            Some(cert) => (
                HostTls::Invalid,
                Some(format!(
                    "certificate not valid for the name: {}",
                    cert.error.as_deref().unwrap_or("not trusted")
                )),
            ),
            None => (
                HostTls::Invalid,
                Some("no certificate presented".to_owned()),
            ),
        },
        StarttlsStatus::NotOffered => (HostTls::Invalid, Some("STARTTLS not offered".to_owned())),
        StarttlsStatus::HandshakeFailed => (
            HostTls::Invalid,
            Some(format!("TLS handshake failed: {}", error())),
        ),
        StarttlsStatus::Refused
        | StarttlsStatus::Timeout
        | StarttlsStatus::ProtocolError
        | StarttlsStatus::Skipped => (
            HostTls::Unknown,
            Some(format!("probe {}: {}", result.status.as_str(), error())),
        ),
    }
}

/// Warns of a policy served at the policy host of a domain with no record (`fetched`
/// was asked for although the record is missing): senders look for the policy only
/// after the record (RFC 8461 §3.3), so it does nothing. A failed fetch says nothing.
pub fn note_unpublished_policy(report: &mut MtaStsReport, fetched: &Fetched) {
    if report.status != MtaStsStatus::None {
        return;
    }
    let Some(body) = &fetched.body else {
        return;
    };
    let what = match parse::parse_policy(body) {
        Ok(policy) => format!("a policy (mode {})", policy.mode),
        Err(_) => "a policy file, not a valid one,".to_owned(),
    };
    report.warnings.push(StsFinding::new(
        StsFindingKind::PolicyWithoutRecord,
        format!(
            "{} serves {what} but no _mta-sts record is published: senders never fetch it",
            fetched.facts.url
        ),
    ));
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::Arc;

    use super::*;
    use crate::dns::{TempFail, TempFailKind};
    use crate::mta_sts::fetch::PolicyFetch;
    use crate::mx::MxHost;
    use crate::smtp::{CertFacts, Starttls};

    const ENFORCE: &str = "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.backup.example.com\nmax_age: 604800\n";

    fn txt(records: &[&str]) -> Outcome<Vec<String>> {
        Outcome::Answer(records.iter().map(|r| (*r).to_owned()).collect())
    }

    fn fetched(status: FetchStatus, http_status: Option<u16>, body: Option<&str>) -> Fetched {
        Fetched {
            facts: PolicyFetch {
                url: "https://mta-sts.example.com/.well-known/mta-sts.txt".into(),
                status,
                error: (status != FetchStatus::Ok).then(|| format!("{} here", status.as_str())),
                address: None,
                http_status,
                content_type: None,
                location: None,
                cert: None,
            },
            body: body.map(str::to_owned),
        }
    }

    /// A report with a valid record and `body` as its policy.
    fn with_policy(body: &str) -> MtaStsReport {
        let mut report = from_txt("example.com", txt(&["v=STSv1; id=20260101"]));
        assert!(report.wants_policy());
        add_policy(
            &mut report,
            &fetched(FetchStatus::Ok, Some(200), Some(body)),
        );
        report
    }

    fn cert(valid: bool) -> CertFacts {
        CertFacts {
            valid,
            chain_valid: valid,
            hostname_match: valid,
            not_after: "2027-01-01T00:00:00Z".into(),
            days_to_expiry: 30,
            expired: false,
            issuer: "CN=Test CA".into(),
            subject: "CN=mx".into(),
            self_signed: !valid,
            error: (!valid).then(|| "UnknownIssuer".to_owned()),
        }
    }

    fn probed(status: StarttlsStatus, cert_valid: Option<bool>) -> Option<HostStarttls> {
        let mut result = Starttls::with_status(status);
        if status == StarttlsStatus::Ok {
            result.tls_version = Some("TLSv1.3".into());
            result.cert = cert_valid.map(cert);
        }
        Some(HostStarttls {
            address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            result: Arc::new(result),
        })
    }

    fn mx(hosts: &[(&str, Option<HostStarttls>)]) -> MxReport {
        MxReport {
            status: MxStatus::Ok,
            hosts: hosts
                .iter()
                .enumerate()
                .map(|(i, (name, starttls))| MxHost {
                    name: (*name).to_owned(),
                    preference: u16::try_from(i).unwrap() * 10,
                    addresses: vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))],
                    errors: Vec::new(),
                    starttls: starttls.clone(),
                    dane: None,
                })
                .collect(),
            implicit_mx: None,
            errors: Vec::new(),
            warnings: Vec::new(),
            starttls: None,
            dane: None,
        }
    }

    fn kinds(findings: &[StsFinding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.kind.as_str()).collect()
    }

    #[test]
    fn record_states() {
        let none = from_txt("example.com", txt(&["v=spf1 -all", "hello"]));
        assert_eq!(none.status, MtaStsStatus::None);
        assert!(!none.wants_policy());
        assert_eq!(
            from_txt("example.com", Outcome::NxDomain).status,
            MtaStsStatus::None
        );

        let failed = from_txt(
            "example.com",
            Outcome::TempFail(TempFail {
                kind: TempFailKind::Servfail,
                detail: "SERVFAIL".into(),
            }),
        );
        assert_eq!(failed.status, MtaStsStatus::Temperror);
        assert_eq!(kinds(&failed.errors), ["temperror"]);
        assert!(failed.errors[0].detail.contains("_mta-sts.example.com"));

        let two = from_txt("example.com", txt(&["v=STSv1; id=1", "v=STSv1; id=2", "x"]));
        assert_eq!(two.status, MtaStsStatus::Invalid);
        assert_eq!(kinds(&two.errors), ["multiple_records"]);
        assert_eq!(two.records.len(), 2);
        assert!(two.record.is_none() && !two.wants_policy());

        let bad = from_txt("example.com", txt(&["v=STSv1; id=too-long-and-dashed"]));
        assert_eq!(bad.status, MtaStsStatus::Invalid);
        assert_eq!(kinds(&bad.errors), ["record_syntax"]);
        assert_eq!(
            bad.record.as_deref(),
            Some("v=STSv1; id=too-long-and-dashed")
        );
        assert!(!bad.wants_policy());

        let good = from_txt("example.com", txt(&["v=STSv1; id=abc; id=def"]));
        assert_eq!(good.status, MtaStsStatus::Ok);
        assert_eq!(good.id.as_deref(), Some("abc"));
        assert_eq!(kinds(&good.warnings), ["duplicate_field"]);
        assert!(good.wants_policy());
    }

    #[test]
    fn fetch_failures_say_why_and_transient_ones_are_temperror() {
        let cases = [
            (
                FetchStatus::NoHost,
                None,
                MtaStsStatus::Invalid,
                "no_policy",
            ),
            (
                FetchStatus::HttpStatus,
                Some(404),
                MtaStsStatus::Invalid,
                "no_policy",
            ),
            (
                FetchStatus::HttpStatus,
                Some(500),
                MtaStsStatus::Invalid,
                "policy_fetch_failed",
            ),
            (
                FetchStatus::Redirect,
                Some(301),
                MtaStsStatus::Invalid,
                "policy_fetch_failed",
            ),
            (
                FetchStatus::Certificate,
                None,
                MtaStsStatus::Invalid,
                "policy_fetch_failed",
            ),
            (
                FetchStatus::MediaType,
                Some(200),
                MtaStsStatus::Invalid,
                "policy_fetch_failed",
            ),
            (
                FetchStatus::TooLarge,
                Some(200),
                MtaStsStatus::Invalid,
                "policy_fetch_failed",
            ),
            (
                FetchStatus::Timeout,
                None,
                MtaStsStatus::Temperror,
                "temperror",
            ),
            (
                FetchStatus::DnsTemperror,
                None,
                MtaStsStatus::Temperror,
                "temperror",
            ),
        ];
        for (status, http, expected, kind) in cases {
            let mut report = from_txt("example.com", txt(&["v=STSv1; id=1"]));
            add_policy(&mut report, &fetched(status, http, None));
            assert_eq!(report.status, expected, "{status:?}");
            assert_eq!(kinds(&report.errors), [kind], "{status:?}");
            assert!(report.policy.is_none());
            assert_eq!(report.fetch.as_ref().map(|f| f.status), Some(status));
            judge_hosts(&mut report, &mx(&[("mx1.example.com", None)]));
            assert_eq!(report.holds, None, "no policy, nothing to hold");
        }
    }

    #[test]
    fn bad_policy_is_invalid_and_short_max_age_warns() {
        let bad = with_policy("version: STSv1\nmode: sometimes\nmx: a.example\nmax_age: 1\n");
        assert_eq!(bad.status, MtaStsStatus::Invalid);
        assert_eq!(kinds(&bad.errors), ["policy_syntax"]);

        let short = with_policy("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 3600\n");
        assert_eq!(short.status, MtaStsStatus::Ok);
        assert_eq!(kinds(&short.warnings), ["short_max_age"]);
        let none = with_policy("version: STSv1\nmode: none\nmax_age: 3600\n");
        assert!(
            none.warnings.is_empty(),
            "max_age of a policy that asks nothing"
        );
    }

    #[test]
    fn enforce_holds_when_every_host_is_matched_and_valid() {
        let mut report = with_policy(ENFORCE);
        let mx = mx(&[
            ("mx1.example.com", probed(StarttlsStatus::Ok, Some(true))),
            (
                "a.backup.example.com",
                probed(StarttlsStatus::Ok, Some(true)),
            ),
        ]);
        judge_hosts(&mut report, &mx);
        assert_eq!(report.holds, Some(Holding::Holds));
        assert!(report.errors.is_empty() && report.warnings.is_empty());
        assert_eq!(
            report.hosts[1].pattern.as_deref(),
            Some("*.backup.example.com")
        );
        assert!(report.hosts.iter().all(|h| h.tls == HostTls::Valid));
    }

    #[test]
    fn enforce_would_fail_on_an_unmatched_host_or_an_invalid_certificate() {
        // `*.` covers exactly one label (RFC 8461 §4.1).
        let mut unmatched = with_policy(ENFORCE);
        judge_hosts(
            &mut unmatched,
            &mx(&[
                ("mx1.example.com", probed(StarttlsStatus::Ok, Some(true))),
                (
                    "a.b.backup.example.com",
                    probed(StarttlsStatus::Ok, Some(true)),
                ),
            ]),
        );
        assert_eq!(unmatched.holds, Some(Holding::WouldFail));
        assert_eq!(kinds(&unmatched.errors), ["would_fail"]);
        assert!(
            unmatched.errors[0]
                .detail
                .contains("a.b.backup.example.com (matched by no mx pattern)")
        );
        assert_eq!(unmatched.hosts[1].pattern, None);

        let mut self_signed = with_policy(ENFORCE);
        judge_hosts(
            &mut self_signed,
            &mx(&[("mx1.example.com", probed(StarttlsStatus::Ok, Some(false)))]),
        );
        assert_eq!(self_signed.holds, Some(Holding::WouldFail));
        assert_eq!(self_signed.hosts[0].tls, HostTls::Invalid);
        assert!(self_signed.errors[0].detail.contains("UnknownIssuer"));

        let mut plain = with_policy(ENFORCE);
        judge_hosts(
            &mut plain,
            &mx(&[("mx1.example.com", probed(StarttlsStatus::NotOffered, None))]),
        );
        assert_eq!(plain.holds, Some(Holding::WouldFail));
    }

    #[test]
    fn testing_with_a_gap_warns_instead() {
        let mut report =
            with_policy("version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 604800\n");
        judge_hosts(&mut report, &mx(&[("other.example.net", None)]));
        assert_eq!(report.holds, Some(Holding::WouldFail));
        assert!(report.errors.is_empty());
        assert_eq!(kinds(&report.warnings), ["testing_would_fail"]);
    }

    #[test]
    fn unknown_tls_leaves_the_policy_unverified_never_failing() {
        for host in [
            None,
            probed(StarttlsStatus::Timeout, None),
            probed(StarttlsStatus::Skipped, None),
            probed(StarttlsStatus::Refused, None),
        ] {
            let mut report = with_policy(ENFORCE);
            judge_hosts(&mut report, &mx(&[("mx1.example.com", host)]));
            assert_eq!(report.holds, Some(Holding::Unverified));
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            assert_eq!(report.hosts[0].tls, HostTls::Unknown);
        }
        let mut no_mx = with_policy(ENFORCE);
        let mut empty = mx(&[]);
        empty.status = MxStatus::Temperror;
        judge_hosts(&mut no_mx, &empty);
        assert_eq!(no_mx.holds, Some(Holding::Unverified));
    }

    #[test]
    fn mode_none_is_not_judged() {
        let mut report = with_policy("version: STSv1\nmode: none\nmax_age: 86400\n");
        judge_hosts(&mut report, &mx(&[("mx1.example.com", None)]));
        assert_eq!(report.holds, None);
        assert!(report.hosts.is_empty());
    }

    #[test]
    fn a_policy_without_a_record_is_a_warning() {
        let mut report = from_txt("example.com", Outcome::NoData);
        note_unpublished_policy(
            &mut report,
            &fetched(FetchStatus::Ok, Some(200), Some(ENFORCE)),
        );
        assert_eq!(report.status, MtaStsStatus::None);
        assert_eq!(kinds(&report.warnings), ["policy_without_record"]);
        let mut nothing = from_txt("example.com", Outcome::NoData);
        note_unpublished_policy(&mut nothing, &fetched(FetchStatus::NoHost, None, None));
        assert!(nothing.warnings.is_empty());
    }

    /// The names of the record format (src/record.rs), each variant once.
    #[test]
    fn names_are_the_documented_ones() {
        use crate::names::assert_serde_named;
        assert_serde_named(
            &[
                (MtaStsStatus::None, "none"),
                (MtaStsStatus::Ok, "ok"),
                (MtaStsStatus::Invalid, "invalid"),
                (MtaStsStatus::Temperror, "temperror"),
            ],
            MtaStsStatus::as_str,
        );
        assert_serde_named(
            &[
                (Holding::Holds, "holds"),
                (Holding::WouldFail, "would_fail"),
                (Holding::Unverified, "unverified"),
            ],
            Holding::as_str,
        );
        assert_serde_named(
            &[
                (HostTls::Valid, "valid"),
                (HostTls::Invalid, "invalid"),
                (HostTls::Unknown, "unknown"),
            ],
            HostTls::as_str,
        );
        assert_serde_named(
            &[
                (Mode::Enforce, "enforce"),
                (Mode::Testing, "testing"),
                (Mode::None, "none"),
            ],
            |m| m.into(),
        );
        assert_serde_named(
            &[
                (StsFindingKind::Temperror, "temperror"),
                (StsFindingKind::MultipleRecords, "multiple_records"),
                (StsFindingKind::RecordSyntax, "record_syntax"),
                (StsFindingKind::NoPolicy, "no_policy"),
                (StsFindingKind::PolicyFetchFailed, "policy_fetch_failed"),
                (StsFindingKind::PolicySyntax, "policy_syntax"),
                (StsFindingKind::WouldFail, "would_fail"),
                (StsFindingKind::TestingWouldFail, "testing_would_fail"),
                (StsFindingKind::ShortMaxAge, "short_max_age"),
                (StsFindingKind::DuplicateField, "duplicate_field"),
                (StsFindingKind::PolicyWithoutRecord, "policy_without_record"),
            ],
            StsFindingKind::as_str,
        );
    }
}
