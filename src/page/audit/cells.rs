//! A domain's verdict for each part, as the report's table shows it: the part's status
//! word and a tone (a colour and a symbol, so that the table reads without colour).

use crate::advice::{Area, Item, Severity, State, Subject};
use crate::bimi::BimiStatus;
use crate::dane::DaneRollup;
use crate::dkim::DkimStatus;
use crate::dmarc::DmarcStatus;
use crate::dns::{Dnssec, Validation};
use crate::mta_sts::MtaStsStatus;
use crate::mx::MxStatus;
use crate::record::DomainRecord;
use crate::smtp::prober::Rollup;
use crate::spf::analysis::SpfStatus;
use crate::tls_rpt::TlsRptStatus;

/// A cell's meaning, most serious first: the table sorts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Tone {
    /// An error among the part's findings.
    Bad,
    /// Not known: the part's lookup or probe did not finish.
    Unknown,
    /// A warning among the part's findings.
    Warn,
    /// Published and without findings.
    Good,
    /// Not published, where not publishing is no finding (MTA-STS, DANE, BIMI...).
    Absent,
    /// Not looked at: skipped, or not asked by the scan.
    Off,
}

impl Tone {
    pub(crate) const ALL: [Self; 6] = [
        Self::Bad,
        Self::Unknown,
        Self::Warn,
        Self::Good,
        Self::Absent,
        Self::Off,
    ];

    /// The symbol beside the word, for readers who do not tell the colours apart.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Self::Bad => "✗",
            Self::Unknown => "?",
            Self::Warn => "!",
            Self::Good => "✓",
            Self::Absent => "○",
            Self::Off => "–",
        }
    }

    /// The tone in words, for the legend and the filter.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Bad => "error",
            Self::Unknown => "not known",
            Self::Warn => "warning",
            Self::Good => "ok",
            Self::Absent => "not published",
            Self::Off => "not looked at",
        }
    }

    /// The tone's class and sort rank in the page.
    pub(crate) fn rank(self) -> u8 {
        self as u8
    }
}

/// One cell of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cell {
    pub word: &'static str,
    pub tone: Tone,
}

/// The cells of `r` in [`Area`] order: the worst finding of each part decides its tone,
/// else its status does.
pub(crate) fn cells(r: &DomainRecord, items: &[Item<'_>]) -> [Cell; Area::COUNT] {
    let mut out = [Cell {
        word: "",
        tone: Tone::Off,
    }; Area::COUNT];
    for (i, area) in Area::ALL.iter().enumerate() {
        let (word, base) = status(r, *area);
        let worst = items
            .iter()
            .filter(|item| item.area == *area)
            .map(|item| match item.severity {
                Severity::Error => Tone::Bad,
                Severity::Unknown => Tone::Unknown,
                Severity::Warning => Tone::Warn,
            })
            .min();
        // Every host completed its handshake, with a certificate senders cannot trust.
        let word = if *area == Area::Starttls
            && word == "all"
            && items.iter().any(|item| is_certificate(item.subject))
        {
            "bad certificate"
        } else {
            word
        };
        out[i] = Cell {
            word,
            tone: worst.map_or(base, |w| w.min(base)),
        };
    }
    out
}

fn is_certificate(subject: Subject) -> bool {
    matches!(
        subject,
        Subject::State(
            State::CertificateExpired | State::CertificateUntrusted | State::CertificateWrongName
        )
    )
}

/// The part's status word and the tone it has without findings.
fn status(r: &DomainRecord, area: Area) -> (&'static str, Tone) {
    match area {
        Area::Spf => match r.spf.status {
            SpfStatus::Ok => ("ok", Tone::Good),
            SpfStatus::None => ("none", Tone::Warn),
            SpfStatus::Permerror => ("permerror", Tone::Bad),
            SpfStatus::Temperror => ("temperror", Tone::Unknown),
        },
        Area::Dmarc => match (r.dmarc.status, r.dmarc.policy) {
            (DmarcStatus::Ok, Some(policy)) => (policy.as_str(), Tone::Good),
            (DmarcStatus::Ok, None) => ("ok", Tone::Good),
            (DmarcStatus::None, _) => ("none", Tone::Warn),
            (DmarcStatus::Invalid, _) => ("invalid", Tone::Bad),
            (DmarcStatus::Temperror, _) => ("temperror", Tone::Unknown),
        },
        Area::Mx => match r.mx.status {
            MxStatus::Ok => ("ok", Tone::Good),
            MxStatus::NullMx => ("null MX", Tone::Good),
            MxStatus::None => ("no MX", Tone::Absent),
            MxStatus::Temperror => ("temperror", Tone::Unknown),
        },
        Area::Starttls => match r.mx.starttls {
            None => ("not probed", Tone::Off),
            Some(Rollup::All) => ("all", Tone::Good),
            Some(Rollup::Some) => ("some", Tone::Bad),
            Some(Rollup::None) => ("none", Tone::Bad),
            Some(Rollup::NotApplicable) => ("n/a", Tone::Absent),
        },
        Area::MtaSts => match r.mta_sts.as_ref().map(|m| m.status) {
            None => ("skipped", Tone::Off),
            Some(MtaStsStatus::Ok) => ("ok", Tone::Good),
            Some(MtaStsStatus::None) => ("none", Tone::Absent),
            Some(MtaStsStatus::Invalid) => ("invalid", Tone::Bad),
            Some(MtaStsStatus::Temperror) => ("temperror", Tone::Unknown),
        },
        Area::TlsRpt => match r.tls_rpt.as_ref().map(|t| t.status) {
            None => ("skipped", Tone::Off),
            Some(TlsRptStatus::Ok) => ("ok", Tone::Good),
            Some(TlsRptStatus::None) => ("none", Tone::Absent),
            Some(TlsRptStatus::Invalid) => ("invalid", Tone::Bad),
            Some(TlsRptStatus::Temperror) => ("temperror", Tone::Unknown),
        },
        Area::Dnssec => match r.dnssec.as_ref().map(|d| (d.validation, d.status)) {
            None => ("not looked at", Tone::Off),
            // Through a resolver that does not validate nothing is known, of any domain.
            Some((v, _)) if v != Validation::Validating => ("no validation", Tone::Off),
            Some((_, status)) => match status {
                Dnssec::Secure => ("secure", Tone::Good),
                Dnssec::Insecure => ("insecure", Tone::Absent),
                Dnssec::Bogus => ("bogus", Tone::Bad),
                Dnssec::Unknown => ("unknown", Tone::Unknown),
            },
        },
        Area::Dane => match r.mx.dane {
            None => ("skipped", Tone::Off),
            Some(DaneRollup::All) => ("all", Tone::Good),
            Some(DaneRollup::Some) => ("some", Tone::Bad),
            Some(DaneRollup::None) => ("none", Tone::Bad),
            Some(DaneRollup::Unknown) => ("unknown", Tone::Unknown),
            Some(DaneRollup::NotApplicable) => ("n/a", Tone::Absent),
        },
        Area::Dkim => match r.dkim.as_ref().map(|d| d.status) {
            None | Some(DkimStatus::NotChecked) => ("not checked", Tone::Off),
            Some(DkimStatus::Found) => ("found", Tone::Good),
            // None among the selectors asked: not proof of no DKIM.
            Some(DkimStatus::None) => ("none found", Tone::Absent),
            Some(DkimStatus::Temperror) => ("temperror", Tone::Unknown),
        },
        Area::Bimi => match r.bimi.as_ref().map(|b| b.status) {
            None => ("skipped", Tone::Off),
            Some(BimiStatus::Ok) => ("ok", Tone::Good),
            Some(BimiStatus::None) => ("none", Tone::Absent),
            Some(BimiStatus::Declined) => ("declined", Tone::Absent),
            Some(BimiStatus::Invalid) => ("invalid", Tone::Bad),
            Some(BimiStatus::Temperror) => ("temperror", Tone::Unknown),
        },
    }
}
