//! A record's findings as one list, each with its part, severity, words and where it
//! was found (an MX host, a DKIM selector), in the order `check` shows the parts.

use std::borrow::Cow;

use super::{Area, Severity, State, Subject};
use crate::dmarc::DmarcStatus;
use crate::dns::Dnssec;
use crate::finding::Finding;
use crate::mx::MxFinding;
use crate::record::DomainRecord;
use crate::spf::analysis::SpfStatus;

/// One finding of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<'a> {
    pub area: Area,
    pub subject: Subject,
    pub severity: Severity,
    /// Where in the domain's set-up: an MX host, a DKIM selector; None for the part as
    /// a whole.
    pub at: Option<&'a str>,
    /// The finding's detail as the record holds it (text from the network included:
    /// escape it before showing it).
    pub detail: Cow<'a, str>,
}

/// Every finding of `r`: the parts' own errors and warnings, and the verdicts that are
/// findings (no SPF or DMARC record, an MX host without STARTTLS or with a bad
/// certificate, DNSSEC bogus). Failures to measure come as [`Severity::Unknown`].
pub fn findings(r: &DomainRecord) -> Vec<Item<'_>> {
    let mut out = Vec::new();
    let mut push = |subject: Subject, listed: Severity, at, detail| {
        let severity = if subject.is_failure() {
            Severity::Unknown
        } else {
            listed
        };
        out.push(Item {
            area: subject.area(),
            subject,
            severity,
            at,
            detail,
        });
    };

    if r.spf.status == SpfStatus::None {
        push(
            Subject::State(State::SpfMissing),
            Severity::Warning,
            None,
            Cow::Borrowed("no v=spf1 record at the domain"),
        );
    }
    lists(
        &mut push,
        None,
        r.spf
            .errors
            .iter()
            .map(|f| (Subject::Spf(f.kind), f.detail.as_str())),
        r.spf
            .warnings
            .iter()
            .map(|f| (Subject::Spf(f.kind), f.detail.as_str())),
    );

    if r.dmarc.status == DmarcStatus::None {
        push(
            Subject::State(State::DmarcMissing),
            Severity::Warning,
            None,
            Cow::Borrowed("no DMARC record at _dmarc.<domain> or its Organizational Domain"),
        );
    }
    lists(
        &mut push,
        None,
        r.dmarc
            .errors
            .iter()
            .map(|f| (Subject::Dmarc(f.kind), f.detail.as_str())),
        r.dmarc
            .warnings
            .iter()
            .map(|f| (Subject::Dmarc(f.kind), f.detail.as_str())),
    );

    let mx = &r.mx;
    for h in &mx.hosts {
        let at = Some(h.name.as_str()).filter(|n| !n.is_empty());
        lists(&mut push, at, mx_list(&h.errors), mx_list(&[]));
    }
    lists(&mut push, None, mx_list(&mx.errors), mx_list(&mx.warnings));

    for h in &mx.hosts {
        let at = Some(h.name.as_str());
        let Some(probe) = &h.starttls else { continue };
        let s = &probe.result;
        let state = State::of_starttls(s.status);
        if let Some(state) = state {
            let detail = match &s.error {
                Some(error) => format!("{} at {}: {error}", s.status.as_str(), probe.address),
                None => format!("{} at {}", s.status.as_str(), probe.address),
            };
            push(
                Subject::State(state),
                Severity::Error,
                at,
                Cow::Owned(detail),
            );
        }
        let Some(c) = &s.cert else { continue };
        for state in State::of_certificate(c) {
            let detail = match state {
                State::CertificateExpired => format!("expired {}", c.not_after),
                State::CertificateUntrusted => {
                    let why = if c.self_signed {
                        "self-signed"
                    } else {
                        "no chain to a trusted root"
                    };
                    match &c.error {
                        Some(error) => format!("{why} ({error}); issuer {}", c.issuer),
                        None => format!("{why}; issuer {}", c.issuer),
                    }
                }
                _ => format!(
                    "the certificate (subject {}) does not cover {}",
                    c.subject, h.name
                ),
            };
            push(
                Subject::State(state),
                Severity::Error,
                at,
                Cow::Owned(detail),
            );
        }
    }

    if let Some(m) = &r.mta_sts {
        part(&mut push, Subject::MtaSts, None, &m.errors, &m.warnings);
    }
    if let Some(t) = &r.tls_rpt {
        part(&mut push, Subject::TlsRpt, None, &t.errors, &t.warnings);
    }
    if r.dnssec.as_ref().is_some_and(|d| d.status == Dnssec::Bogus) {
        push(
            Subject::State(State::DnssecBogus),
            Severity::Error,
            None,
            Cow::Borrowed("signed, and validation fails: validating resolvers answer SERVFAIL"),
        );
    }
    for h in &mx.hosts {
        if let Some(d) = &h.dane {
            part(
                &mut push,
                Subject::Dane,
                Some(&h.name),
                &d.errors,
                &d.warnings,
            );
        }
    }
    if let Some(d) = &r.dkim {
        for k in &d.keys {
            part(
                &mut push,
                Subject::Dkim,
                Some(&k.selector),
                &k.errors,
                &k.warnings,
            );
        }
        part(&mut push, Subject::Dkim, None, &d.errors, &d.warnings);
    }
    if let Some(b) = &r.bimi {
        part(&mut push, Subject::Bimi, None, &b.errors, &b.warnings);
    }
    out
}

/// A part's `errors` and `warnings` of [`Finding`]s.
fn part<'a, K: Copy>(
    push: &mut impl FnMut(Subject, Severity, Option<&'a str>, Cow<'a, str>),
    subject: fn(K) -> Subject,
    at: Option<&'a str>,
    errors: &'a [Finding<K>],
    warnings: &'a [Finding<K>],
) {
    let each = |list: &'a [Finding<K>]| {
        list.iter()
            .map(move |f| (subject(f.kind), f.detail.as_str()))
    };
    lists(push, at, each(errors), each(warnings));
}

fn mx_list(list: &[MxFinding]) -> impl Iterator<Item = (Subject, &str)> {
    list.iter()
        .map(|f| (Subject::Mx(f.kind), f.detail.as_str()))
}

/// Errors and warnings as (subject, detail), in that order.
fn lists<'a>(
    push: &mut impl FnMut(Subject, Severity, Option<&'a str>, Cow<'a, str>),
    at: Option<&'a str>,
    errors: impl Iterator<Item = (Subject, &'a str)>,
    warnings: impl Iterator<Item = (Subject, &'a str)>,
) {
    for (subject, detail) in errors {
        push(subject, Severity::Error, at, Cow::Borrowed(detail));
    }
    for (subject, detail) in warnings {
        push(subject, Severity::Warning, at, Cow::Borrowed(detail));
    }
}
