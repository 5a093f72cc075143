//! Adoption figures: what each per-domain record counts towards, defined once, and the
//! counts with their denominators for `summary.json` and the end-of-scan table.
//!
//! The definitions (also in the README, "Summary figures"): a part of a domain's record
//! whose status is `temperror` is unknown, so SPF figures are shares of the domains whose
//! SPF is known, DMARC figures of those whose DMARC is known, MX figures of those whose
//! MX is known; `starttls_all` of those with an MX host that answered the probe's EHLO;
//! `temperror` itself is a share of all domains.

pub mod diff;
pub mod facts;
pub(crate) mod fail_on;
pub(crate) mod health;
pub mod trend;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use self::facts::Facts;
use crate::causes::{Cause, Causes};
use crate::dmarc::Policy;
use crate::dmarc::{self, DmarcStatus};
use crate::mx::MxStatus;
use crate::smtp::prober::Rollup;
use crate::spf::analysis::SpfStatus;
use crate::spf::tree::FindingKind;

/// How many dangling include targets the summary names.
pub(crate) const TOP_DANGLING: usize = 20;

/// How a share of an empty population is written for people (0 of 0 is not 0%).
pub(crate) const NOT_APPLICABLE: &str = "n/a";

/// A count and the population it is a share of.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figure {
    pub count: u64,
    pub of: u64,
    /// `count / of` in percent, one decimal; `None` (JSON `null`) when `of` is 0: a
    /// share of nothing was not measured, and 0% would claim it was.
    pub percent: Option<f64>,
    /// The name of the population: `domains`, `spf_known`, `dmarc_known`, `mx_known`.
    pub denominator: &'static str,
}

impl Figure {
    /// The share as people read it, the one spelling for the terminal and the report:
    /// `12.5%`, or `n/a` over an empty population.
    pub fn share(&self) -> String {
        self.percent
            .map_or_else(|| NOT_APPLICABLE.to_owned(), |p| format!("{p:.1}%"))
    }

    fn new(count: u64, of: u64, denominator: &'static str) -> Self {
        let percent = (of > 0).then(|| (1000.0 * count as f64 / of as f64).round() / 10.0);
        Self {
            count,
            of,
            percent,
            denominator,
        }
    }
}

/// The figures of `summary.json`, in the order the README defines them.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub spf_present: Figure,
    pub spf_ok: Figure,
    pub spf_permerror: Figure,
    pub spf_lookup_limit_overrun: Figure,
    pub spf_dangling_include: Figure,
    pub dmarc_present: Figure,
    pub dmarc_valid: Figure,
    pub dmarc_policy_none: Figure,
    pub dmarc_policy_quarantine: Figure,
    pub dmarc_policy_reject: Figure,
    /// Policy quarantine or reject, applied in full: `pct=100` and not `t=y`.
    pub dmarc_enforcing: Figure,
    pub dmarc_rua_present: Figure,
    pub mx_null: Figure,
    pub mx_none: Figure,
    /// Of the domains with at least one MX host that answered the probe's EHLO.
    pub starttls_all: Figure,
    pub temperror: Figure,
}

impl Figures {
    /// Every figure with its name, in the README's order: the columns of `trend.csv`.
    pub fn named(&self) -> [(&'static str, &Figure); 16] {
        // Destructured so that a new figure cannot be left out of the list.
        let Self {
            spf_present,
            spf_ok,
            spf_permerror,
            spf_lookup_limit_overrun,
            spf_dangling_include,
            dmarc_present,
            dmarc_valid,
            dmarc_policy_none,
            dmarc_policy_quarantine,
            dmarc_policy_reject,
            dmarc_enforcing,
            dmarc_rua_present,
            mx_null,
            mx_none,
            starttls_all,
            temperror,
        } = self;
        [
            ("spf_present", spf_present),
            ("spf_ok", spf_ok),
            ("spf_permerror", spf_permerror),
            ("spf_lookup_limit_overrun", spf_lookup_limit_overrun),
            ("spf_dangling_include", spf_dangling_include),
            ("dmarc_present", dmarc_present),
            ("dmarc_valid", dmarc_valid),
            ("dmarc_policy_none", dmarc_policy_none),
            ("dmarc_policy_quarantine", dmarc_policy_quarantine),
            ("dmarc_policy_reject", dmarc_policy_reject),
            ("dmarc_enforcing", dmarc_enforcing),
            ("dmarc_rua_present", dmarc_rua_present),
            ("mx_null", mx_null),
            ("mx_none", mx_none),
            ("starttls_all", starttls_all),
            ("temperror", temperror),
        ]
    }
}

/// The adoption figures of a set of records (a scan, or a period and group of a trend),
/// with the populations they are shares of.
#[derive(Debug, Clone, Serialize)]
pub struct Adoption {
    pub domains: u64,
    pub spf_known: u64,
    pub dmarc_known: u64,
    pub mx_known: u64,
    /// Domains with at least one MX host whose STARTTLS probe got an EHLO answer.
    pub starttls_probed: u64,
    /// What the probes met on the network.
    pub smtp: SmtpReach,
    pub figures: Figures,
    /// SPF permerror domains by the kind of their first error (the one that decides the
    /// status), so the kinds add up to `spf_permerror`.
    pub spf_permerror_by_kind: BTreeMap<String, Figure>,
    /// The most referenced include targets that publish no SPF record.
    pub top_dangling_includes: Vec<DanglingTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DanglingTarget {
    pub target: String,
    /// Domains whose SPF tree references it.
    pub domains: u64,
}

/// Running counts, fed one record at a time so that memory does not grow with the list
/// (except the dangling targets, one entry per distinct name).
#[derive(Debug, Default, Clone)]
pub struct Tally {
    domains: u64,
    spf_known: u64,
    spf_present: u64,
    spf_ok: u64,
    spf_permerror: u64,
    permerror_kinds: BTreeMap<String, u64>,
    lookup_limit: u64,
    dangling: u64,
    dangling_targets: HashMap<String, u64>,
    dmarc_known: u64,
    dmarc_present: u64,
    dmarc_valid: u64,
    policy: [u64; 3],
    enforcing: u64,
    rua: u64,
    mx_known: u64,
    mx_null: u64,
    mx_none: u64,
    starttls_probed: u64,
    starttls_all: u64,
    smtp: SmtpReach,
    temperror: u64,
}

/// What the STARTTLS probes of a scan's MX hosts met on the network, counted per domain
/// and host (an address shared by many domains is probed once and counted for each).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct SmtpReach {
    /// Probes tried: the host was selected and its address allowed.
    pub probes: u64,
    /// Probes that opened a connection to port 25 (or `--smtp-port`).
    pub connected: u64,
    /// Hosts selected but not probed (an address that is not public, say).
    pub skipped: u64,
    /// The reasons the connections failed, by how often.
    #[serde(skip)]
    failures: Causes,
}

impl SmtpReach {
    fn add(&mut self, probe: &facts::ProbeFacts) {
        if probe.status == crate::smtp::StarttlsStatus::Skipped {
            self.skipped += 1;
            return;
        }
        self.probes += 1;
        if probe.connected() {
            self.connected += 1;
            return;
        }
        let cause = probe.error.as_deref().unwrap_or(probe.status.as_str());
        self.failures.add(cause, 1);
    }

    fn merge(&mut self, other: &Self) {
        self.probes += other.probes;
        self.connected += other.connected;
        self.skipped += other.skipped;
        self.failures.merge(&other.failures);
    }

    /// The most frequent reason a connection failed, with its count.
    pub(crate) fn main_failure(&self) -> Option<Cause> {
        self.failures.top(1).pop()
    }
}

impl Tally {
    pub fn add(&mut self, r: &Facts) {
        self.domains += 1;
        let spf = &r.spf;
        if spf.status != SpfStatus::Temperror {
            self.spf_known += 1;
            // A permerror domain published a v=spf1 record, even a broken one or two.
            self.spf_present += u64::from(spf.status != SpfStatus::None);
            self.spf_ok += u64::from(spf.status == SpfStatus::Ok);
            if spf.status == SpfStatus::Permerror {
                self.spf_permerror += 1;
                if let Some(first) = spf.errors.first() {
                    *self.permerror_kinds.entry(first.kind.clone()).or_default() += 1;
                }
            }
            let lookup_limit = FindingKind::TooManyLookups.as_str();
            self.lookup_limit += u64::from(spf.errors.iter().any(|e| e.kind == lookup_limit));
            self.dangling += u64::from(!spf.dangling_includes.is_empty());
            let mut targets: Vec<&String> = spf.dangling_includes.iter().collect();
            targets.sort_unstable();
            targets.dedup();
            for target in targets {
                *self.dangling_targets.entry(target.clone()).or_default() += 1;
            }
        }
        if r.dmarc.status != DmarcStatus::Temperror {
            self.dmarc_known += 1;
            self.dmarc_present += u64::from(r.dmarc_present());
            self.dmarc_valid += u64::from(r.dmarc.status == DmarcStatus::Ok);
            if let Some(policy) = r.dmarc.policy {
                self.policy[policy_index(policy)] += 1;
            }
            self.enforcing += u64::from(r.dmarc_enforcing());
            self.rua += u64::from(r.rua_usable());
        }
        if r.mx.status != MxStatus::Temperror {
            self.mx_known += 1;
            self.mx_null += u64::from(r.mx.status == MxStatus::NullMx);
            self.mx_none += u64::from(r.mx.status == MxStatus::None);
        }
        match r.mx.starttls {
            Some(Rollup::NotApplicable) | None => {}
            Some(rollup) => {
                self.starttls_probed += 1;
                self.starttls_all += u64::from(rollup == Rollup::All);
            }
        }
        for probe in r.mx.hosts.iter().filter_map(|h| h.starttls.as_ref()) {
            self.smtp.add(probe);
        }
        self.temperror += u64::from(r.temperror());
    }

    /// Adds another tally's counts: the figures of two sets of domains counted apart.
    pub fn merge(&mut self, other: &Self) {
        let Self {
            domains,
            spf_known,
            spf_present,
            spf_ok,
            spf_permerror,
            permerror_kinds,
            lookup_limit,
            dangling,
            dangling_targets,
            dmarc_known,
            dmarc_present,
            dmarc_valid,
            policy,
            enforcing,
            rua,
            mx_known,
            mx_null,
            mx_none,
            starttls_probed,
            starttls_all,
            smtp,
            temperror,
        } = other;
        self.domains += domains;
        self.spf_known += spf_known;
        self.spf_present += spf_present;
        self.spf_ok += spf_ok;
        self.spf_permerror += spf_permerror;
        for (kind, n) in permerror_kinds {
            *self.permerror_kinds.entry(kind.clone()).or_default() += n;
        }
        self.lookup_limit += lookup_limit;
        self.dangling += dangling;
        for (target, n) in dangling_targets {
            *self.dangling_targets.entry(target.clone()).or_default() += n;
        }
        self.dmarc_known += dmarc_known;
        self.dmarc_present += dmarc_present;
        self.dmarc_valid += dmarc_valid;
        for (mine, theirs) in self.policy.iter_mut().zip(policy) {
            *mine += theirs;
        }
        self.enforcing += enforcing;
        self.rua += rua;
        self.mx_known += mx_known;
        self.mx_null += mx_null;
        self.mx_none += mx_none;
        self.starttls_probed += starttls_probed;
        self.starttls_all += starttls_all;
        self.smtp.merge(smtp);
        self.temperror += temperror;
    }

    pub fn domains(&self) -> u64 {
        self.domains
    }

    pub fn adoption(&self) -> Adoption {
        let spf = |n| Figure::new(n, self.spf_known, "spf_known");
        let dmarc = |n| Figure::new(n, self.dmarc_known, "dmarc_known");
        let mx = |n| Figure::new(n, self.mx_known, "mx_known");
        let mut top: Vec<DanglingTarget> = self
            .dangling_targets
            .iter()
            .map(|(target, n)| DanglingTarget {
                target: target.clone(),
                domains: *n,
            })
            .collect();
        top.sort_by(|a, b| b.domains.cmp(&a.domains).then(a.target.cmp(&b.target)));
        top.truncate(TOP_DANGLING);
        Adoption {
            domains: self.domains,
            spf_known: self.spf_known,
            dmarc_known: self.dmarc_known,
            mx_known: self.mx_known,
            starttls_probed: self.starttls_probed,
            smtp: self.smtp.clone(),
            figures: Figures {
                spf_present: spf(self.spf_present),
                spf_ok: spf(self.spf_ok),
                spf_permerror: spf(self.spf_permerror),
                spf_lookup_limit_overrun: spf(self.lookup_limit),
                spf_dangling_include: spf(self.dangling),
                dmarc_present: dmarc(self.dmarc_present),
                dmarc_valid: dmarc(self.dmarc_valid),
                dmarc_policy_none: dmarc(self.policy[policy_index(Policy::None)]),
                dmarc_policy_quarantine: dmarc(self.policy[policy_index(Policy::Quarantine)]),
                dmarc_policy_reject: dmarc(self.policy[policy_index(Policy::Reject)]),
                dmarc_enforcing: dmarc(self.enforcing),
                dmarc_rua_present: dmarc(self.rua),
                mx_null: mx(self.mx_null),
                mx_none: mx(self.mx_none),
                starttls_all: Figure::new(
                    self.starttls_all,
                    self.starttls_probed,
                    "starttls_probed",
                ),
                temperror: Figure::new(self.temperror, self.domains, "domains"),
            },
            spf_permerror_by_kind: self
                .permerror_kinds
                .iter()
                .map(|(kind, n)| (kind.clone(), spf(*n)))
                .collect(),
            top_dangling_includes: top,
        }
    }
}

fn policy_index(policy: Policy) -> usize {
    usize::from(dmarc::strength(policy))
}
