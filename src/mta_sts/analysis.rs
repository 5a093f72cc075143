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
use crate::txt_fields::{self, Extension};

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
    let txts = match answer {
        Outcome::Answer(txts) => txts,
        Outcome::NxDomain | Outcome::NoData => return MtaStsReport::new(MtaStsStatus::None),
        Outcome::TempFail(failure) => {
            return MtaStsReport::temperror(format!("TXT {TXT_LABEL}.{domain}: {failure}"));
        }
    };
    let text = match txt_fields::the_one(&txts, parse::SELECT_PREFIX) {
        Ok(None) => return MtaStsReport::new(MtaStsStatus::None),
        Ok(Some(text)) => text,
        Err(count) => {
            let mut report = MtaStsReport::new(MtaStsStatus::Invalid);
            report.records = txts
                .iter()
                .filter(|t| t.starts_with(parse::SELECT_PREFIX))
                .cloned()
                .collect();
            report.errors.push(StsFinding::new(
                StsFindingKind::MultipleRecords,
                format!(
                    "{count} records at {TXT_LABEL}.{domain} begin with v=STSv1; senders use \
                     none of them (RFC 8461 §3.1)"
                ),
            ));
            return report;
        }
    };
    let mut report = MtaStsReport::new(MtaStsStatus::Ok);
    report.record = Some(text.to_owned());
    match parse::parse_record(text) {
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
                    .find(|p| parse::mx_matches(p, &h.name))
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
