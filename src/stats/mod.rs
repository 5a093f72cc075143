//! Adoption figures: what each per-domain record counts towards, defined once, and the
//! counts with their denominators for `summary.json` and the end-of-scan table.
//!
//! The definitions (also in the README, "Summary figures"): a part of a domain's record
//! whose status is `temperror` is unknown, so SPF figures are shares of the domains whose
//! SPF is known, DMARC figures of those whose DMARC is known, MX figures of those whose
//! MX is known; `starttls_all` of those with an MX host that answered the probe's EHLO;
//! MTA-STS and TLS-RPT figures of the domains whose part is known (records of scans made
//! before the parts existed have none, and count nowhere: `n/a`, never 0%);
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
use crate::dane::DaneRollup;
use crate::dmarc::Policy;
use crate::dmarc::{self, DmarcStatus};
use crate::dns::Dnssec;
use crate::mta_sts::{Mode, MtaStsStatus};
use crate::mx::MxStatus;
use crate::smtp::prober::Rollup;
use crate::spf::analysis::SpfStatus;
use crate::spf::tree::FindingKind;
use crate::tls_rpt::TlsRptStatus;

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
    /// The name of the population: `domains`, `spf_known`, `dmarc_known`, `mx_known`,
    /// `starttls_probed`, `mta_sts_known`, `mta_sts_fetched`, `mta_sts_verified`,
    /// `tls_rpt_known`, `dnssec_known`, `dane_known`, `dane_judged`, `dkim_known`,
    /// `dkim_with_keys`, `bimi_known`, `bimi_valid`.
    pub denominator: &'static str,
}

impl Figure {
    /// The share as people read it, the one spelling for the terminal and the report:
    /// `12.5%`, or `n/a` over an empty population.
    pub fn share(&self) -> String {
        self.percent
            .map_or_else(|| NOT_APPLICABLE.to_owned(), |p| format!("{p:.1}%"))
    }

    pub(crate) fn new(count: u64, of: u64, denominator: &'static str) -> Self {
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
    /// A `v=STSv1` record (valid or not), of the domains whose MTA-STS is known.
    pub mta_sts_present: Figure,
    /// Policy mode enforce, of the domains with status ok and a fetched policy.
    pub mta_sts_enforce: Figure,
    /// The active policy holds for every MX host, of those where holding was verified
    /// (holds or would_fail; `unverified` counts on neither side).
    pub mta_sts_holds: Figure,
    pub mta_sts_would_fail: Figure,
    /// A `v=TLSRPTv1` record (valid or not), of the domains whose TLS-RPT is known.
    pub tls_rpt_present: Figure,
    /// The apex answers validated (`secure`), of the domains whose DNSSEC state is known
    /// (secure, insecure or bogus: never through a resolver that does not validate).
    pub dnssec_secure: Figure,
    /// The apex answers failed validation (`bogus`), of the same domains.
    pub dnssec_bogus: Figure,
    /// TLSA records at some MX host (`mx.dane` is `all`, `some` or `none`), of the
    /// domains whose DANE check ran on a known MX.
    pub dane_published: Figure,
    /// `mx.dane` is `all`: every host that publishes records matches them, of the
    /// domains that publish and whose every publishing host was judged (`all`, `some`,
    /// `none`: `unknown` counts on neither side).
    pub dane_all_ok: Figure,
    /// Some host's DANE is `fail`: DANE senders do not deliver to it; of the same
    /// domains.
    pub dane_failing: Figure,
    /// A DKIM key record at one of the selectors asked (`dkim.status` `found`), of the
    /// domains whose DKIM is known (`found` or `none`): a share "among these selectors",
    /// which `summary.json` names.
    pub dkim_found: Figure,
    /// A key shorter than 1024 bits (`weak_key`), of the domains with keys found.
    pub dkim_weak_key: Figure,
    /// A revoked key (empty `p=`), of the same domains.
    pub dkim_revoked: Figure,
    /// A `v=BIMI1` record (`ok`, `declined` or `invalid`), of the domains whose BIMI is
    /// known.
    pub bimi_published: Figure,
    /// A valid BIMI record without the DMARC enforcement receivers need to show it
    /// (`no_enforcement`), of the domains whose BIMI status is `ok`.
    pub bimi_without_enforcement: Figure,
    pub temperror: Figure,
}

impl Figures {
    /// Every figure with its name, in the README's order: the columns of `trend.csv`.
    pub fn named(&self) -> [(&'static str, &Figure); 31] {
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
            mta_sts_present,
            mta_sts_enforce,
            mta_sts_holds,
            mta_sts_would_fail,
            tls_rpt_present,
            dnssec_secure,
            dnssec_bogus,
            dane_published,
            dane_all_ok,
            dane_failing,
            dkim_found,
            dkim_weak_key,
            dkim_revoked,
            bimi_published,
            bimi_without_enforcement,
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
            ("mta_sts_present", mta_sts_present),
            ("mta_sts_enforce", mta_sts_enforce),
            ("mta_sts_holds", mta_sts_holds),
            ("mta_sts_would_fail", mta_sts_would_fail),
            ("tls_rpt_present", tls_rpt_present),
            ("dnssec_secure", dnssec_secure),
            ("dnssec_bogus", dnssec_bogus),
            ("dane_published", dane_published),
            ("dane_all_ok", dane_all_ok),
            ("dane_failing", dane_failing),
            ("dkim_found", dkim_found),
            ("dkim_weak_key", dkim_weak_key),
            ("dkim_revoked", dkim_revoked),
            ("bimi_published", bimi_published),
            ("bimi_without_enforcement", bimi_without_enforcement),
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
    /// Domains with an `mta_sts` part whose status is not `temperror`.
    pub mta_sts_known: u64,
    /// Domains whose MTA-STS status is `ok` with a fetched policy.
    pub mta_sts_fetched: u64,
    /// Domains whose active MTA-STS policy holds or would fail (not `unverified`).
    pub mta_sts_verified: u64,
    /// Domains with a `tls_rpt` part whose status is not `temperror`.
    pub tls_rpt_known: u64,
    /// Domains whose `dnssec` status is `secure`, `insecure` or `bogus`.
    pub dnssec_known: u64,
    /// Domains whose `mx.dane` is not null and whose MX status is not `temperror`.
    pub dane_known: u64,
    /// Domains with TLSA records at some MX host, every publishing host judged.
    pub dane_judged: u64,
    /// Domains whose `dkim` status is `found` or `none`.
    pub dkim_known: u64,
    /// Domains whose `dkim` status is `found`.
    pub dkim_with_keys: u64,
    /// Domains with a `bimi` part whose status is not `temperror`.
    pub bimi_known: u64,
    /// Domains whose `bimi` status is `ok`.
    pub bimi_valid: u64,
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
    sts: StsTally,
    tls_rpt_known: u64,
    tls_rpt_present: u64,
    dnssec_known: u64,
    dnssec_secure: u64,
    dnssec_bogus: u64,
    dane: DaneTally,
    auth: AuthTally,
    temperror: u64,
}

/// The DKIM and BIMI counts of a [`Tally`].
#[derive(Debug, Default, Clone)]
struct AuthTally {
    dkim_known: u64,
    dkim_found: u64,
    dkim_weak: u64,
    dkim_revoked: u64,
    bimi_known: u64,
    bimi_published: u64,
    bimi_valid: u64,
    bimi_unenforced: u64,
}

impl AuthTally {
    fn add(&mut self, r: &Facts) {
        use crate::bimi::BimiStatus;
        use crate::dkim::DkimStatus;
        if let Some(d) = &r.dkim
            && matches!(d.status, DkimStatus::Found | DkimStatus::None)
        {
            self.dkim_known += 1;
            if d.status == DkimStatus::Found {
                self.dkim_found += 1;
                self.dkim_weak += u64::from(d.weak_key());
                self.dkim_revoked += u64::from(d.revoked_key());
            }
        }
        if let Some(b) = r
            .bimi
            .as_ref()
            .filter(|b| b.status != BimiStatus::Temperror)
        {
            self.bimi_known += 1;
            self.bimi_published += u64::from(b.status != BimiStatus::None);
            self.bimi_valid += u64::from(b.status == BimiStatus::Ok);
            self.bimi_unenforced += u64::from(b.without_enforcement());
        }
    }

    fn merge(&mut self, other: &Self) {
        let Self {
            dkim_known,
            dkim_found,
            dkim_weak,
            dkim_revoked,
            bimi_known,
            bimi_published,
            bimi_valid,
            bimi_unenforced,
        } = other;
        self.dkim_known += dkim_known;
        self.dkim_found += dkim_found;
        self.dkim_weak += dkim_weak;
        self.dkim_revoked += dkim_revoked;
        self.bimi_known += bimi_known;
        self.bimi_published += bimi_published;
        self.bimi_valid += bimi_valid;
        self.bimi_unenforced += bimi_unenforced;
    }
}

/// The DANE counts of a [`Tally`].
#[derive(Debug, Default, Clone)]
struct DaneTally {
    known: u64,
    published: u64,
    judged: u64,
    all_ok: u64,
    failing: u64,
}

impl DaneTally {
    fn add(&mut self, mx: &facts::MxFacts) {
        if mx.dane.is_none() || mx.status == MxStatus::Temperror {
            return;
        }
        self.known += 1;
        self.published += u64::from(mx.dane_published());
        if mx.dane_judged() {
            self.judged += 1;
            self.all_ok += u64::from(mx.dane == Some(DaneRollup::All));
            self.failing += u64::from(mx.dane_failing());
        }
    }

    fn merge(&mut self, other: &Self) {
        let Self {
            known,
            published,
            judged,
            all_ok,
            failing,
        } = other;
        self.known += known;
        self.published += published;
        self.judged += judged;
        self.all_ok += all_ok;
        self.failing += failing;
    }
}

/// The MTA-STS counts of a [`Tally`].
#[derive(Debug, Default, Clone)]
struct StsTally {
    known: u64,
    present: u64,
    fetched: u64,
    enforce: u64,
    verified: u64,
    holds: u64,
}

impl StsTally {
    fn add(&mut self, sts: &facts::MtaStsFacts) {
        if sts.status == MtaStsStatus::Temperror {
            return;
        }
        self.known += 1;
        self.present += u64::from(sts.present());
        if let Some(mode) = sts.mode() {
            self.fetched += 1;
            self.enforce += u64::from(mode == Mode::Enforce);
        }
        if let Some(holds) = sts.verified() {
            self.verified += 1;
            self.holds += u64::from(holds);
        }
    }

    fn merge(&mut self, other: &Self) {
        let Self {
            known,
            present,
            fetched,
            enforce,
            verified,
            holds,
        } = other;
        self.known += known;
        self.present += present;
        self.fetched += fetched;
        self.enforce += enforce;
        self.verified += verified;
        self.holds += holds;
    }
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
        if let Some(sts) = &r.mta_sts {
            self.sts.add(sts);
        }
        if let Some(rpt) = r.tls_rpt.filter(|t| t.status != TlsRptStatus::Temperror) {
            self.tls_rpt_known += 1;
            self.tls_rpt_present += u64::from(rpt.present());
        }
        if let Some(d) = r.dnssec.filter(|d| d.status != Dnssec::Unknown) {
            self.dnssec_known += 1;
            self.dnssec_secure += u64::from(d.status == Dnssec::Secure);
            self.dnssec_bogus += u64::from(d.status == Dnssec::Bogus);
        }
        self.dane.add(&r.mx);
        self.auth.add(r);
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
            sts,
            tls_rpt_known,
            tls_rpt_present,
            dnssec_known,
            dnssec_secure,
            dnssec_bogus,
            dane,
            auth,
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
        self.sts.merge(sts);
        self.tls_rpt_known += tls_rpt_known;
        self.tls_rpt_present += tls_rpt_present;
        self.dnssec_known += dnssec_known;
        self.dnssec_secure += dnssec_secure;
        self.dnssec_bogus += dnssec_bogus;
        self.dane.merge(dane);
        self.auth.merge(auth);
        self.temperror += temperror;
    }

    pub fn domains(&self) -> u64 {
        self.domains
    }

    pub fn adoption(&self) -> Adoption {
        let spf = |n| Figure::new(n, self.spf_known, "spf_known");
        let dmarc = |n| Figure::new(n, self.dmarc_known, "dmarc_known");
        let mx = |n| Figure::new(n, self.mx_known, "mx_known");
        let dnssec = |n| Figure::new(n, self.dnssec_known, "dnssec_known");
        let judged = |n| Figure::new(n, self.dane.judged, "dane_judged");
        let a = &self.auth;
        let with_keys = |n| Figure::new(n, a.dkim_found, "dkim_with_keys");
        let sts = &self.sts;
        let verified = |n| Figure::new(n, sts.verified, "mta_sts_verified");
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
            mta_sts_known: sts.known,
            mta_sts_fetched: sts.fetched,
            mta_sts_verified: sts.verified,
            tls_rpt_known: self.tls_rpt_known,
            dnssec_known: self.dnssec_known,
            dane_known: self.dane.known,
            dane_judged: self.dane.judged,
            dkim_known: self.auth.dkim_known,
            dkim_with_keys: self.auth.dkim_found,
            bimi_known: self.auth.bimi_known,
            bimi_valid: self.auth.bimi_valid,
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
                mta_sts_present: Figure::new(sts.present, sts.known, "mta_sts_known"),
                mta_sts_enforce: Figure::new(sts.enforce, sts.fetched, "mta_sts_fetched"),
                mta_sts_holds: verified(sts.holds),
                mta_sts_would_fail: verified(sts.verified - sts.holds),
                tls_rpt_present: Figure::new(
                    self.tls_rpt_present,
                    self.tls_rpt_known,
                    "tls_rpt_known",
                ),
                dnssec_secure: dnssec(self.dnssec_secure),
                dnssec_bogus: dnssec(self.dnssec_bogus),
                dane_published: Figure::new(self.dane.published, self.dane.known, "dane_known"),
                dane_all_ok: judged(self.dane.all_ok),
                dane_failing: judged(self.dane.failing),
                dkim_found: Figure::new(a.dkim_found, a.dkim_known, "dkim_known"),
                dkim_weak_key: with_keys(a.dkim_weak),
                dkim_revoked: with_keys(a.dkim_revoked),
                bimi_published: Figure::new(a.bimi_published, a.bimi_known, "bimi_known"),
                bimi_without_enforcement: Figure::new(
                    a.bimi_unenforced,
                    a.bimi_valid,
                    "bimi_valid",
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

#[cfg(test)]
mod tests {
    use super::*;

    /// One domain's facts: SPF, DMARC and MX known and absent, `mta_sts` and `tls_rpt` as
    /// given (null: a record of a scan made before the parts existed).
    fn facts(mta_sts: serde_json::Value, tls_rpt: serde_json::Value) -> Facts {
        serde_json::from_value(serde_json::json!({
            "domain": "example.jp",
            "spf": {"status": "none", "errors": [], "dangling_includes": []},
            "dmarc": {"status": "none", "policy": null, "testing": false, "rua": []},
            "mx": {"status": "ok", "starttls": null},
            "mta_sts": mta_sts,
            "tls_rpt": tls_rpt,
        }))
        .unwrap()
    }

    fn sts(status: &str, mode: Option<&str>, holds: Option<&str>) -> serde_json::Value {
        let policy = mode.map(|m| serde_json::json!({"mode": m, "max_age": 86400, "mx": []}));
        serde_json::json!({"status": status, "policy": policy, "holds": holds})
    }

    fn rpt(status: &str) -> serde_json::Value {
        serde_json::json!({"status": status})
    }

    fn adoption(records: &[Facts]) -> Adoption {
        let mut tally = Tally::default();
        for r in records {
            tally.add(r);
        }
        tally.adoption()
    }

    fn figure(f: &Figure) -> (u64, u64, &'static str) {
        (f.count, f.of, f.denominator)
    }

    #[test]
    fn mta_sts_and_tls_rpt_figures_and_their_populations() {
        let null = serde_json::Value::Null;
        let records = [
            facts(sts("ok", Some("enforce"), Some("holds")), rpt("ok")),
            facts(sts("ok", Some("enforce"), Some("would_fail")), rpt("none")),
            facts(sts("ok", Some("testing"), Some("holds")), rpt("invalid")),
            // Unverified counts on neither side of the holding.
            facts(sts("ok", Some("testing"), Some("unverified")), rpt("ok")),
            facts(sts("ok", Some("none"), None), rpt("ok")),
            // A valid record whose policy was not fetched: present, no mode.
            facts(sts("ok", None, None), rpt("none")),
            facts(sts("invalid", None, None), rpt("temperror")),
            facts(sts("none", None, None), rpt("none")),
            // Unknown: in no population.
            facts(sts("temperror", None, None), rpt("temperror")),
            // An older scan's record: in no population either.
            facts(null.clone(), null),
        ];
        let a = adoption(&records);
        let f = &a.figures;
        assert_eq!(a.domains, 10);
        assert_eq!(
            (
                a.mta_sts_known,
                a.mta_sts_fetched,
                a.mta_sts_verified,
                a.tls_rpt_known
            ),
            (8, 5, 3, 7)
        );
        assert_eq!(figure(&f.mta_sts_present), (7, 8, "mta_sts_known"));
        assert_eq!(figure(&f.mta_sts_enforce), (2, 5, "mta_sts_fetched"));
        assert_eq!(figure(&f.mta_sts_holds), (2, 3, "mta_sts_verified"));
        assert_eq!(figure(&f.mta_sts_would_fail), (1, 3, "mta_sts_verified"));
        assert_eq!(figure(&f.tls_rpt_present), (4, 7, "tls_rpt_known"));
        assert_eq!(f.mta_sts_present.percent, Some(87.5));
        // The parts are not the domain's own lookups: no temperror for them.
        assert_eq!(f.temperror.count, 0);

        // Counted apart and merged, the same figures.
        let (first, second) = records.split_at(4);
        let mut merged = Tally::default();
        for half in [first, second] {
            let mut tally = Tally::default();
            half.iter().for_each(|r| tally.add(r));
            merged.merge(&tally);
        }
        assert_eq!(
            serde_json::to_value(merged.adoption()).unwrap(),
            serde_json::to_value(&a).unwrap()
        );
    }

    /// A scan made before the parts existed measured none of them: n/a, never 0%.
    #[test]
    fn records_without_the_parts_give_not_applicable() {
        let null = serde_json::Value::Null;
        let a = adoption(&[facts(null.clone(), null.clone()), facts(null.clone(), null)]);
        let f = &a.figures;
        for figure in [
            &f.mta_sts_present,
            &f.mta_sts_enforce,
            &f.mta_sts_holds,
            &f.mta_sts_would_fail,
            &f.tls_rpt_present,
        ] {
            assert_eq!((figure.count, figure.of, figure.percent), (0, 0, None));
            assert_eq!(figure.share(), NOT_APPLICABLE);
        }
        // The other figures are still counted.
        assert_eq!(figure(&f.mx_none), (0, 2, "mx_known"));
        // And a line without the fields at all reads the same as one with nulls.
        let line = r#"{"domain":"old.jp","spf":{"status":"ok","errors":[],"dangling_includes":[]},
            "dmarc":{"status":"none","policy":null,"testing":false,"rua":[]},
            "mx":{"status":"none","starttls":null}}"#;
        let old: Facts = serde_json::from_str(line).unwrap();
        assert_eq!((old.mta_sts, old.tls_rpt), (None, None));
    }
}
