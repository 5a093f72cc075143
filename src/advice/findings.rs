//! A record's findings as one list, each with its part, severity, words and where it
//! was found (an MX host, a DKIM selector), in the order `check` shows the parts.

use std::borrow::Cow;

use super::{Area, Severity, State, Subject};
use crate::dmarc::DmarcStatus;
use crate::dns::Dnssec;
use crate::finding::Finding;
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
    for (severity, list) in [
        (Severity::Error, &r.spf.errors),
        (Severity::Warning, &r.spf.warnings),
    ] {
        for f in list {
            push(
                Subject::Spf(f.kind),
                severity,
                None,
                Cow::Borrowed(&f.detail),
            );
        }
    }

    if r.dmarc.status == DmarcStatus::None {
        push(
            Subject::State(State::DmarcMissing),
            Severity::Warning,
            None,
            Cow::Borrowed("no DMARC record at _dmarc.<domain> or its Organizational Domain"),
        );
    }
    for (severity, list) in [
        (Severity::Error, &r.dmarc.errors),
        (Severity::Warning, &r.dmarc.warnings),
    ] {
        for f in list {
            push(
                Subject::Dmarc(f.kind),
                severity,
                None,
                Cow::Borrowed(&f.detail),
            );
        }
    }

    let mx = &r.mx;
    for h in &mx.hosts {
        let at = Some(h.name.as_str()).filter(|n| !n.is_empty());
        for f in &h.errors {
            push(
                Subject::Mx(f.kind),
                Severity::Error,
                at,
                Cow::Borrowed(&f.detail),
            );
        }
    }
    for (severity, list) in [
        (Severity::Error, &mx.errors),
        (Severity::Warning, &mx.warnings),
    ] {
        for f in list {
            push(
                Subject::Mx(f.kind),
                severity,
                None,
                Cow::Borrowed(&f.detail),
            );
        }
    }

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
    if let Some(d) = r.dnssec.as_ref().filter(|d| d.status == Dnssec::Bogus) {
        let _ = d;
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
    for (severity, list) in [(Severity::Error, errors), (Severity::Warning, warnings)] {
        for f in list {
            push(subject(f.kind), severity, at, Cow::Borrowed(&f.detail));
        }
    }
}
