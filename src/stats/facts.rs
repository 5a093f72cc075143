//! The parts of a per-domain record that the adoption figures and `diff` read. A scan
//! builds them from its reports; `trend` and `diff` read them back from `results.jsonl`
//! lines (serde skips every other field), so figures of old and new scans are counted by
//! the same rules.

use serde::Deserialize;

use crate::bimi::{BimiFindingKind, BimiStatus};
use crate::dane::{DaneRollup, DaneStatus};
use crate::dkim::{DkimFindingKind, DkimStatus};
use crate::dmarc::Policy;
use crate::dmarc::{DmarcReport, DmarcStatus};
use crate::dns::Dnssec;
use crate::mta_sts::{Holding, Mode, MtaStsReport, MtaStsStatus};
use crate::mx::{MxReport, MxStatus};
use crate::record::{self, DomainRecord};
use crate::smtp::prober::Rollup;
use crate::smtp::{Phase, StarttlsStatus};
use crate::spf::analysis::{SpfReport, SpfStatus};
use crate::tls_rpt::{TlsRptReport, TlsRptStatus};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Facts {
    pub domain: String,
    pub spf: SpfFacts,
    pub dmarc: DmarcFacts,
    pub mx: MxFacts,
    /// Null in records of scans made before the part existed: not looked for, so counted
    /// in no MTA-STS figure, not even as absent.
    #[serde(default)]
    pub mta_sts: Option<MtaStsFacts>,
    /// Null likewise in older records.
    #[serde(default)]
    pub tls_rpt: Option<TlsRptFacts>,
    /// Null likewise in older records.
    #[serde(default)]
    pub dnssec: Option<DnssecFacts>,
    /// Null when DKIM was not looked at, and in older records.
    #[serde(default)]
    pub dkim: Option<DkimFacts>,
    /// Null with `--skip bimi`, and in older records.
    #[serde(default)]
    pub bimi: Option<BimiFacts>,
}

/// `{status, keys, …}` of the `dkim` part.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DkimFacts {
    pub status: DkimStatus,
    #[serde(default)]
    pub keys: Vec<KeyFacts>,
}

/// `{revoked, errors, …}` of a DKIM key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KeyFacts {
    pub revoked: bool,
    pub errors: Vec<Kind>,
}

/// `{status, warnings, …}` of the `bimi` part.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BimiFacts {
    pub status: BimiStatus,
    pub warnings: Vec<Kind>,
}

impl DkimFacts {
    /// A key shorter than RFC 8301 §3.2 allows verifiers to accept (`weak_key`).
    pub fn weak_key(&self) -> bool {
        let weak = DkimFindingKind::WeakKey.as_str();
        self.keys
            .iter()
            .any(|k| k.errors.iter().any(|e| e.kind == weak))
    }

    pub fn revoked_key(&self) -> bool {
        self.keys.iter().any(|k| k.revoked)
    }
}

impl BimiFacts {
    /// Published, and DMARC is not at the enforcement receivers need to show it.
    pub fn without_enforcement(&self) -> bool {
        let kind = BimiFindingKind::NoEnforcement.as_str();
        self.status == BimiStatus::Ok && self.warnings.iter().any(|w| w.kind == kind)
    }
}

/// `{status, …}` of the `dnssec` part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct DnssecFacts {
    pub status: Dnssec,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SpfFacts {
    pub status: SpfStatus,
    /// The errors' kinds in evaluation order; the first decides the status.
    pub errors: Vec<Kind>,
    pub dangling_includes: Vec<String>,
}

/// `{kind, …}` of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Kind {
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DmarcFacts {
    pub status: DmarcStatus,
    /// What RFC 9989 receivers apply to the domain; null when no DMARC processing applies.
    pub policy: Option<Policy>,
    /// `pct` below 100 or `t=y`.
    pub testing: bool,
    pub rua: Vec<Usable>,
}

/// `{valid, …}` of a report destination.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Usable {
    pub valid: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MxFacts {
    pub status: MxStatus,
    pub starttls: Option<Rollup>,
    /// Null when the DANE check did not run, and in records of scans made before it.
    #[serde(default)]
    pub dane: Option<DaneRollup>,
    /// The hosts, for what their STARTTLS probes met and their DANE verdicts (a scan's
    /// own reports give only the hosts with either).
    #[serde(default)]
    pub hosts: Vec<HostFacts>,
}

/// `{starttls, dane, …}` of an MX host.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HostFacts {
    /// Null when the host was not selected for a probe.
    #[serde(default)]
    pub starttls: Option<ProbeFacts>,
    #[serde(default)]
    pub dane: Option<DaneFacts>,
}

/// `{status, …}` of a host's `dane` part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct DaneFacts {
    pub status: DaneStatus,
}

impl MxFacts {
    /// DANE is published at some host: the roll-up is not `n/a`.
    pub fn dane_published(&self) -> bool {
        self.dane.is_some_and(|d| d != DaneRollup::NotApplicable)
    }

    /// DANE is published and every publishing host's verdict is known: the roll-up is
    /// `all`, `some` or `none`.
    pub fn dane_judged(&self) -> bool {
        matches!(
            self.dane,
            Some(DaneRollup::All | DaneRollup::Some | DaneRollup::None)
        )
    }

    /// Some host's DANE fails: DANE senders do not deliver to it.
    pub fn dane_failing(&self) -> bool {
        self.hosts
            .iter()
            .any(|h| h.dane.is_some_and(|d| d.status == DaneStatus::Fail))
    }
}

/// `{status, phase, error, …}` of a STARTTLS probe.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProbeFacts {
    pub status: StarttlsStatus,
    pub phase: Option<Phase>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MtaStsFacts {
    pub status: MtaStsStatus,
    /// The policy as fetched and parsed; null when none was.
    #[serde(default)]
    pub policy: Option<PolicyMode>,
    /// Null without an active policy.
    #[serde(default)]
    pub holds: Option<Holding>,
}

/// `{mode, …}` of a fetched MTA-STS policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct PolicyMode {
    pub mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct TlsRptFacts {
    pub status: TlsRptStatus,
}

impl MtaStsFacts {
    /// A `v=STSv1` record is published, usable or not.
    pub fn present(&self) -> bool {
        matches!(self.status, MtaStsStatus::Ok | MtaStsStatus::Invalid)
    }

    /// The mode of the policy senders apply: the status is `ok` and a policy was fetched.
    pub fn mode(&self) -> Option<Mode> {
        self.policy
            .filter(|_| self.status == MtaStsStatus::Ok)
            .map(|p| p.mode)
    }

    /// Whether the policy holds, when that was verified: `holds` or `would_fail`, never
    /// `unverified`.
    pub fn verified(&self) -> Option<bool> {
        match self.holds? {
            Holding::Holds => Some(true),
            Holding::WouldFail => Some(false),
            Holding::Unverified => None,
        }
    }
}

impl TlsRptFacts {
    /// A `v=TLSRPTv1` record is published, usable or not.
    pub fn present(&self) -> bool {
        matches!(self.status, TlsRptStatus::Ok | TlsRptStatus::Invalid)
    }
}

impl ProbeFacts {
    /// The probe opened a connection: it got past the connect phase. A skipped probe
    /// tried nothing.
    pub fn connected(&self) -> bool {
        self.status != StarttlsStatus::Skipped && self.phase != Some(Phase::Connect)
    }
}

impl Facts {
    /// A DMARC record covers the domain (an invalid one too: it was published).
    pub fn dmarc_present(&self) -> bool {
        !matches!(
            self.dmarc.status,
            DmarcStatus::None | DmarcStatus::Temperror
        )
    }

    /// The applied policy is quarantine or reject, in full: `pct=100` and no `t=y`.
    pub fn dmarc_enforcing(&self) -> bool {
        matches!(self.dmarc.policy, Some(Policy::Quarantine | Policy::Reject))
            && !self.dmarc.testing
    }

    /// At least one `rua` URI a receiver can use (RFC 9989 §4.10.1: "syntactically valid").
    pub(crate) fn rua_usable(&self) -> bool {
        self.dmarc.rua.iter().any(|d| d.valid)
    }

    /// The domain's own SPF, DMARC or MX lookups could not be finished.
    pub fn temperror(&self) -> bool {
        record::temperror(self.spf.status, self.dmarc.status, self.mx.status)
    }
}

impl From<&DomainRecord> for Facts {
    fn from(r: &DomainRecord) -> Self {
        Self {
            domain: r.domain.clone(),
            spf: SpfFacts::from(&r.spf),
            dmarc: DmarcFacts::from(&r.dmarc),
            mx: MxFacts::from(&r.mx),
            mta_sts: r.mta_sts.as_ref().map(MtaStsFacts::from),
            tls_rpt: r.tls_rpt.as_ref().map(TlsRptFacts::from),
            dnssec: r.dnssec.as_ref().map(|d| DnssecFacts { status: d.status }),
            dkim: r.dkim.as_ref().map(|d| DkimFacts {
                status: d.status,
                keys: d
                    .keys
                    .iter()
                    .map(|k| KeyFacts {
                        revoked: k.revoked,
                        errors: kinds(k.errors.iter().map(|e| e.kind.as_str())),
                    })
                    .collect(),
            }),
            bimi: r.bimi.as_ref().map(|b| BimiFacts {
                status: b.status,
                warnings: kinds(b.warnings.iter().map(|w| w.kind.as_str())),
            }),
        }
    }
}

fn kinds<'a>(names: impl Iterator<Item = &'a str>) -> Vec<Kind> {
    names
        .map(|kind| Kind {
            kind: kind.to_owned(),
        })
        .collect()
}

impl From<&SpfReport> for SpfFacts {
    fn from(spf: &SpfReport) -> Self {
        Self {
            status: spf.status,
            errors: spf
                .errors
                .iter()
                .map(|e| Kind {
                    kind: e.kind.as_str().to_owned(),
                })
                .collect(),
            dangling_includes: spf.dangling_includes.clone(),
        }
    }
}

impl From<&DmarcReport> for DmarcFacts {
    fn from(dmarc: &DmarcReport) -> Self {
        Self {
            status: dmarc.status,
            policy: dmarc.policy,
            testing: dmarc.testing,
            rua: dmarc
                .rua
                .iter()
                .map(|d| Usable { valid: d.uri.valid })
                .collect(),
        }
    }
}

impl From<&MxReport> for MxFacts {
    fn from(mx: &MxReport) -> Self {
        Self {
            status: mx.status,
            starttls: mx.starttls,
            dane: mx.dane,
            // Only the probed or DANE-checked hosts matter here; without either nothing
            // is allocated.
            hosts: mx
                .hosts
                .iter()
                .filter(|h| h.starttls.is_some() || h.dane.is_some())
                .map(|h| HostFacts {
                    starttls: h.starttls.as_ref().map(|probe| ProbeFacts {
                        status: probe.result.status,
                        phase: probe.result.phase,
                        error: probe.result.error.clone(),
                    }),
                    dane: h.dane.as_ref().map(|d| DaneFacts { status: d.status }),
                })
                .collect(),
        }
    }
}

impl From<&MtaStsReport> for MtaStsFacts {
    fn from(sts: &MtaStsReport) -> Self {
        Self {
            status: sts.status,
            policy: sts.policy.as_ref().map(|p| PolicyMode { mode: p.mode }),
            holds: sts.holds,
        }
    }
}

impl From<&TlsRptReport> for TlsRptFacts {
    fn from(rpt: &TlsRptReport) -> Self {
        Self { status: rpt.status }
    }
}

/// Calls `each` with the facts of every record of the scan in `dir`, in file order.
pub fn read_facts(
    dir: &std::path::Path,
    each: impl FnMut(Facts),
) -> anyhow::Result<crate::scandir::records::ReadCounts> {
    crate::scandir::records::read_records(dir, each)
}
