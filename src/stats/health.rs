//! Whether a run measured what its figures seem to say: the notices printed before the
//! figures (and kept in `summary.json`) when most domains ended in temperror, or when no
//! MX host could be reached for STARTTLS although DNS worked.

use serde::Serialize;

use super::Adoption;
use crate::dns::{DnsFigures, Transport, Validation};

/// A share of domains in temperror from which the figures are mostly unknowns.
const MOSTLY: f64 = 0.5;

/// Something about the run as a whole that a reader of its figures must know first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// Every domain ended in temperror: nothing was measured (a run-level failure).
    NothingMeasured,
    /// At least half of the domains ended in temperror.
    MostlyTemperror,
    /// MX hosts were probed for STARTTLS and not one connection could be opened.
    SmtpUnreachable,
    /// Every MX host selected for a probe was skipped (no public address).
    SmtpSkipped,
    /// The resolver does not validate DNSSEC, or the transport cannot ask it to say:
    /// every DNSSEC and DANE state of the run is `unknown`.
    DnssecUnknown,
}

impl Notice {
    /// Whether the run as a whole failed.
    pub(crate) fn is_failure(&self) -> bool {
        self.kind == NoticeKind::NothingMeasured
    }
}

/// The notices of a run, most serious first. `dns` gives the resolvers and the causes
/// of DNS failures, when known (a merged or rebuilt summary may have none).
pub(crate) fn notices(summary: &Adoption, dns: Option<&DnsFigures>) -> Vec<Notice> {
    let mut notices = Vec::new();
    let domains = summary.domains;
    let failed = summary.figures.temperror.count;
    if domains > 0 && failed as f64 >= MOSTLY * domains as f64 {
        let (kind, head) = if failed == domains {
            let head = if domains == 1 {
                "the domain ended in temperror, nothing was measured".to_owned()
            } else {
                format!("all {domains} domains temperror, nothing was measured")
            };
            (NoticeKind::NothingMeasured, head)
        } else {
            (
                NoticeKind::MostlyTemperror,
                format!(
                    "{failed} of {domains} domains ({}) temperror: the figures count only what \
                     was known",
                    summary.figures.temperror.share()
                ),
            )
        };
        let detail = match dns.map(dns_cause) {
            Some(Some(cause)) => format!("{head}: {cause}"),
            _ => head,
        };
        notices.push(Notice { kind, detail });
    }
    let smtp = &summary.smtp;
    if smtp.probes > 0 && smtp.connected == 0 {
        let cause = smtp
            .main_failure()
            .map(|c| format!(" (most often: {}, {} of {})", c.cause, c.count, smtp.probes))
            .unwrap_or_default();
        notices.push(Notice {
            kind: NoticeKind::SmtpUnreachable,
            detail: format!(
                "STARTTLS not measured: none of {} MX probes could connect{cause}, though DNS \
                 answered; outbound port 25 is often blocked by cloud providers and ISPs \
                 (--no-starttls skips the probes)",
                smtp.probes
            ),
        });
    }
    if smtp.probes == 0 && smtp.skipped > 0 {
        notices.push(Notice {
            kind: NoticeKind::SmtpSkipped,
            detail: format!(
                "STARTTLS not measured: all {} MX hosts selected for a probe have no public \
                 address, and were skipped (--allow-nonpublic probes them)",
                smtp.skipped
            ),
        });
    }
    if let Some(why) = dns.and_then(dnssec_unknown) {
        notices.push(Notice {
            kind: NoticeKind::DnssecUnknown,
            detail: format!(
                "DNSSEC not measured: {why}; every DNSSEC and DANE state is unknown (a \
                 validating resolver on this host, such as unbound, gives verdicts as \
                 trustworthy as the path to it)"
            ),
        });
    }
    notices
}

/// Why the run's answers say nothing of DNSSEC, if they do not.
fn dnssec_unknown(dns: &DnsFigures) -> Option<String> {
    let resolvers = match dns.resolvers.as_slice() {
        [] => "the resolver".to_owned(),
        [one] => format!("resolver {one}"),
        many => format!("resolvers {}", many.join(", ")),
    };
    match dns.dnssec_validation? {
        Validation::Validating => None,
        Validation::NotValidating => Some(format!(
            "{resolvers} does not validate (no AD bit on the root's DNSKEY)"
        )),
        Validation::NotKnown if dns.transport == Transport::Standard => Some(
            "the standard transport cannot ask the resolver for its DNSSEC verdict (--transport \
             bulk can)"
                .to_owned(),
        ),
        Validation::NotKnown => Some(format!(
            "{resolvers} did not show whether it validates (no signed answer for the root's \
             DNSKEY)"
        )),
    }
}

/// `resolver ADDR: CAUSE (N of M DNS questions failed)`, from the commonest cause of the
/// questions asked (those not asked for their domain's silence follow from another).
fn dns_cause(dns: &DnsFigures) -> Option<String> {
    let top = dns
        .failure_causes
        .iter()
        .find(|c| c.cause != crate::dns::NOT_ASKED_CAUSE)?;
    let resolvers = match dns.resolvers.as_slice() {
        [] => "resolver".to_owned(),
        [one] => format!("resolver {one}"),
        many => format!("resolvers {}", many.join(", ")),
    };
    let share = if top.questions == dns.temp_failures {
        String::new()
    } else {
        format!(", {} of them this way", top.questions)
    };
    Some(format!(
        "{resolvers}: {} ({} of {} DNS questions failed{share})",
        top.cause, dns.temp_failures, dns.lookups
    ))
}
