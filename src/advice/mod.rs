//! What to do about each finding: one table that maps every finding kind a record can
//! hold to a short remedy and the section of the RFC (or draft) it rests on, used by
//! `check`'s text and by a scan's audit report, and the walk that lists a record's
//! findings with their severity.

mod findings;
mod remedies;

pub use findings::{Item, findings};
pub use remedies::remedy;

use crate::bimi::BimiFindingKind;
use crate::dane::DaneFindingKind;
use crate::dkim::DkimFindingKind;
use crate::mta_sts::StsFindingKind;
use crate::mx::MxFindingKind;
use crate::smtp::{CertFacts, StarttlsStatus};
use crate::tls_rpt::RptFindingKind;

/// What to do about a finding, and where the rule is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remedy {
    /// The fix, one or two sentences in the imperative.
    pub fix: &'static str,
    /// The section the rule rests on, e.g. `RFC 7208 §4.6.4`.
    pub cite: &'static str,
}

impl std::fmt::Display for Remedy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.fix, self.cite)
    }
}

/// A finding as the remedy table knows it: a part's finding kind, or a verdict that is a
/// finding without a kind of its own in the record (no DMARC record, a host without
/// STARTTLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Spf(crate::spf::tree::FindingKind),
    Dmarc(crate::dmarc::FindingKind),
    Mx(MxFindingKind),
    MtaSts(StsFindingKind),
    TlsRpt(RptFindingKind),
    Dane(DaneFindingKind),
    Dkim(DkimFindingKind),
    Bimi(BimiFindingKind),
    State(State),
}

/// Verdicts of the record that are findings though no part lists them as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[strum(serialize_all = "snake_case")]
pub enum State {
    /// SPF status `none`: no `v=spf1` record at the domain.
    SpfMissing,
    /// DMARC status `none`: no record at the domain or its Organizational Domain.
    DmarcMissing,
    /// An MX host answered EHLO without offering STARTTLS.
    StarttlsNotOffered,
    /// An MX host offered STARTTLS and the handshake failed, or broke the protocol.
    StarttlsFailed,
    /// An MX host could not be reached (refused, timed out): its STARTTLS is not known.
    StarttlsNotReached,
    /// An MX host's certificate does not chain to a trusted root (self-signed included).
    CertificateUntrusted,
    /// An MX host's certificate does not cover the MX name.
    CertificateWrongName,
    /// An MX host's certificate has expired.
    CertificateExpired,
    /// The domain's answers fail DNSSEC validation: validating resolvers answer SERVFAIL.
    DnssecBogus,
}

impl State {
    /// The verdict a STARTTLS probe's outcome is, when it is a finding; a probe not
    /// made (a non-public address) says nothing about STARTTLS.
    pub fn of_starttls(status: StarttlsStatus) -> Option<Self> {
        match status {
            StarttlsStatus::Ok | StarttlsStatus::Skipped => None,
            StarttlsStatus::NotOffered => Some(Self::StarttlsNotOffered),
            StarttlsStatus::HandshakeFailed | StarttlsStatus::ProtocolError => {
                Some(Self::StarttlsFailed)
            }
            StarttlsStatus::Refused | StarttlsStatus::Timeout => Some(Self::StarttlsNotReached),
        }
    }

    /// The verdicts a presented certificate is, one per problem: expired, else
    /// untrusted (an expired leaf fails the chain too, which would say it twice), and
    /// the wrong name.
    pub fn of_certificate(c: &CertFacts) -> Vec<Self> {
        let mut states = Vec::new();
        if c.expired {
            states.push(Self::CertificateExpired);
        } else if !c.chain_valid {
            states.push(Self::CertificateUntrusted);
        }
        if !c.hostname_match {
            states.push(Self::CertificateWrongName);
        }
        states
    }
}

impl Subject {
    /// The finding kind's name as the record spells it (`too_many_lookups`).
    pub fn kind(self) -> &'static str {
        match self {
            Self::Spf(k) => k.as_str(),
            Self::Dmarc(k) => k.into(),
            Self::Mx(k) => k.into(),
            Self::MtaSts(k) => k.into(),
            Self::TlsRpt(k) => k.into(),
            Self::Dane(k) => k.into(),
            Self::Dkim(k) => k.into(),
            Self::Bimi(k) => k.into(),
            Self::State(s) => s.into(),
        }
    }

    /// The part the finding belongs to.
    pub fn area(self) -> Area {
        match self {
            Self::Spf(_) | Self::State(State::SpfMissing) => Area::Spf,
            Self::Dmarc(_) | Self::State(State::DmarcMissing) => Area::Dmarc,
            Self::Mx(_) => Area::Mx,
            Self::MtaSts(_) => Area::MtaSts,
            Self::TlsRpt(_) => Area::TlsRpt,
            Self::Dane(_) => Area::Dane,
            Self::Dkim(_) => Area::Dkim,
            Self::Bimi(_) => Area::Bimi,
            Self::State(State::DnssecBogus) => Area::Dnssec,
            Self::State(
                State::StarttlsNotOffered
                | State::StarttlsFailed
                | State::StarttlsNotReached
                | State::CertificateUntrusted
                | State::CertificateWrongName
                | State::CertificateExpired,
            ) => Area::Starttls,
        }
    }

    /// Whether the finding is a failure to measure (a lookup or probe that did not
    /// finish), which is never shown as a finding about the domain.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Self::Spf(crate::spf::tree::FindingKind::Temperror)
                | Self::Dmarc(crate::dmarc::FindingKind::Temperror)
                | Self::Mx(MxFindingKind::Temperror)
                | Self::MtaSts(StsFindingKind::Temperror)
                | Self::TlsRpt(RptFindingKind::Temperror)
                | Self::Dane(DaneFindingKind::Temperror | DaneFindingKind::NotProbed)
                | Self::Dkim(DkimFindingKind::Temperror)
                | Self::Bimi(BimiFindingKind::Temperror | BimiFindingKind::DmarcUnknown)
                | Self::State(State::StarttlsNotReached)
        )
    }
}

/// The parts of the record as a reader meets them: the report's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    Spf,
    Dmarc,
    Mx,
    Starttls,
    MtaSts,
    TlsRpt,
    Dnssec,
    Dane,
    Dkim,
    Bimi,
}

impl Area {
    pub const COUNT: usize = 10;
    /// Every part, in the order `check` shows them.
    pub const ALL: [Self; Self::COUNT] = [
        Self::Spf,
        Self::Dmarc,
        Self::Mx,
        Self::Starttls,
        Self::MtaSts,
        Self::TlsRpt,
        Self::Dnssec,
        Self::Dane,
        Self::Dkim,
        Self::Bimi,
    ];

    /// The part's name for people.
    pub fn title(self) -> &'static str {
        match self {
            Self::Spf => "SPF",
            Self::Dmarc => "DMARC",
            Self::Mx => "MX",
            Self::Starttls => "STARTTLS",
            Self::MtaSts => "MTA-STS",
            Self::TlsRpt => "TLS-RPT",
            Self::Dnssec => "DNSSEC",
            Self::Dane => "DANE",
            Self::Dkim => "DKIM",
            Self::Bimi => "BIMI",
        }
    }

    /// The part's name in code and in the page's attributes (`mta_sts`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Spf => "spf",
            Self::Dmarc => "dmarc",
            Self::Mx => "mx",
            Self::Starttls => "starttls",
            Self::MtaSts => "mta_sts",
            Self::TlsRpt => "tls_rpt",
            Self::Dnssec => "dnssec",
            Self::Dane => "dane",
            Self::Dkim => "dkim",
            Self::Bimi => "bimi",
        }
    }
}

/// How much a finding matters, most first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Breaks the mechanism (a permerror, an invalid record, a host refusing TLS).
    Error,
    /// Not measured: a lookup or probe did not finish.
    Unknown,
    /// Weakens the posture without breaking anything (p=none, ~all, a short key).
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Unknown => "not known",
            Self::Warning => "warning",
        }
    }
}
