//! DMARC: find the policy that covers a domain (its own record, or one higher up),
//! validate it under RFC 7489 and RFC 9989, and check its report destinations.
//!
//! The top-level fields describe the record that covers the domain: the domain's own,
//! else the one RFC 9989's tree walk finds. `discovery` holds each method's answer, as
//! receivers of both generations are in service.

pub(crate) mod destination;
mod details;
pub mod discover;
pub(crate) mod parse;
mod reading;
mod record;
mod uri;

// Report URIs of TLS-RPT (RFC 8460 §3) follow the same RFC 3986 and RFC 6068 rules.
pub(crate) use self::uri::{is_uri, mailto_address};

use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

pub use self::record::{
    Alignment, Finding, FindingKind, Policy, Psd, Reading, Record, ReportUri, Severity, Spec,
    Validity,
};

use self::destination::{Check, Destination};
use self::discover::{Discovery, LookupFailure, PolicyLookups, Published, Records, Source};
use crate::dns::{Dns, Outcome as DnsOutcome};
use crate::psl::SuffixList;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DmarcStatus {
    /// No DMARC record covers the domain.
    #[default]
    None,
    /// A record covers the domain and has no errors.
    Ok,
    /// Records were found but they are at fault: several at one name, or a record that
    /// does not follow the grammar. `policy` says what receivers make of it.
    Invalid,
    Temperror,
}

impl DmarcStatus {
    /// A DMARC record covers the domain, a faulty one too: it was published.
    pub fn present(self) -> bool {
        matches!(self, Self::Ok | Self::Invalid)
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A DMARC finding: `{kind, detail}`, with the tag and value it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcFinding {
    pub kind: FindingKind,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl DmarcFinding {
    fn new(kind: FindingKind, detail: String) -> Self {
        Self {
            kind,
            detail,
            tag: None,
            value: None,
        }
    }
}

/// One discovery method's answer, and the policy a receiver using it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodResult {
    #[serde(flatten)]
    pub discovery: Discovery,
    pub policy: Option<Policy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discoveries {
    pub rfc7489: MethodResult,
    pub rfc9989: MethodResult,
}

/// The DMARC part of a domain's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcReport {
    pub status: DmarcStatus,
    /// The record that covers the domain.
    pub record: Option<String>,
    /// Every `v=DMARC1` record at the name the record came from (more than one is a fault).
    pub records: Vec<String>,
    pub source: Option<Source>,
    pub policy_domain: Option<String>,
    /// By RFC 9989 §4.10.2: from a tree walk that starts at the domain itself.
    pub organizational_domain: Option<String>,
    /// The two discovery methods apply different records or policies.
    pub discovery_differs: bool,
    /// Each method's answer, when they differ; null otherwise.
    pub discovery: Option<Discoveries>,
    /// What RFC 9989 receivers apply to mail from the domain itself: `p` of its own
    /// record, `sp` (existing domain) or `np` (non-existent) of one higher up; null when
    /// no DMARC processing applies.
    pub policy: Option<Policy>,
    /// Effective tag values (RFC 9989 reading; defaults filled in).
    pub p: Option<Policy>,
    pub sp: Option<Policy>,
    pub np: Option<Policy>,
    /// RFC 7489's `pct` (default 100); historic in RFC 9989.
    pub pct: Option<u8>,
    pub t: Option<bool>,
    /// `pct` below 100 or `t=y`: the policy is not fully applied.
    pub testing: bool,
    pub adkim: Option<Alignment>,
    pub aspf: Option<Alignment>,
    pub fo: Vec<String>,
    pub psd: Option<Psd>,
    pub rua: Vec<Destination>,
    pub ruf: Vec<Destination>,
    pub errors: Vec<DmarcFinding>,
    pub warnings: Vec<DmarcFinding>,
}

impl DmarcReport {
    fn empty(status: DmarcStatus) -> Self {
        Self {
            status,
            ..Self::default()
        }
    }

    /// At least one `rua` URI a receiver can use (RFC 3986 syntax; RFC 9989 §4.10.1
    /// calls this "syntactically valid").
    pub(crate) fn has_usable_rua(&self) -> bool {
        self.rua.iter().any(|d| d.uri.valid)
    }

    /// A report for a domain whose lookups could not be finished.
    pub fn temperror(detail: String) -> Self {
        let mut report = Self::empty(DmarcStatus::Temperror);
        report
            .errors
            .push(DmarcFinding::new(FindingKind::Temperror, detail));
        report
    }
}

/// Report URIs of one tag whose authorisation is checked: a hostile record listing
/// thousands would otherwise cost as many queries.
pub const MAX_CHECKED_DESTINATIONS: usize = 10;

/// Discovers and checks DMARC policies; one per scan, shared by all its tasks.
#[derive(Clone)]
pub struct DmarcResolver {
    lookups: PolicyLookups,
    psl: SuffixList,
}

impl DmarcResolver {
    /// Names above the scanned domains whose answers are kept for the whole scan.
    pub(crate) const DEFAULT_SHARED_CAPACITY: u64 = 10_000;

    pub fn new(dns: Dns, psl: SuffixList, shared_capacity: u64) -> Self {
        Self {
            lookups: PolicyLookups::new(dns, shared_capacity),
            psl,
        }
    }

    /// Everything about `domain`'s DMARC policy (lower-case, no trailing dot).
    pub async fn fetch(&self, domain: &str) -> DmarcReport {
        match self.discover(domain).await {
            Ok(report) => report,
            Err(LookupFailure { name, fail }) => {
                DmarcReport::temperror(format!("TXT lookup for {name} failed: {fail}"))
            }
        }
    }

    async fn discover(&self, domain: &str) -> Result<DmarcReport, LookupFailure> {
        let own = self.lookups.at(domain).await?;
        let discoveries = self.both(domain, &own).await?;
        let mut report = if own.records.is_empty() {
            self.inherited(&discoveries).await
        } else {
            self.own(domain, &own).await
        };
        let (a, b) = (&discoveries.rfc9989, &discoveries.rfc7489);
        report.discovery_differs =
            a.discovery.policy_domain != b.discovery.policy_domain || a.policy != b.policy;
        report.policy = a.policy;
        if report.source.is_some() {
            report.organizational_domain = Some(a.discovery.organizational_domain.clone());
        }
        // Each method's answer is worth its bytes only where they disagree.
        report.discovery = report.discovery_differs.then_some(discoveries);
        Ok(report)
    }

    /// What each discovery method finds for `domain`, every time (the report keeps
    /// them only when they disagree). For the integration tests, which compare the
    /// methods where they agree too; the scan calls [`Self::fetch`].
    pub async fn discoveries(&self, domain: &str) -> Result<Discoveries, LookupFailure> {
        let own = self.lookups.at(domain).await?;
        self.both(domain, &own).await
    }

    async fn both(&self, domain: &str, own: &Records) -> Result<Discoveries, LookupFailure> {
        let (modern, legacy) = tokio::join!(
            discover::rfc9989(&self.lookups, domain, own),
            discover::rfc7489(&self.lookups, &self.psl, domain, own),
        );
        let (modern, legacy) = (modern?, legacy?);
        let exists = self.exists(domain, &modern, &legacy).await;
        Ok(Discoveries {
            rfc9989: MethodResult {
                policy: applied_policy(&modern, exists, |r| &r.rfc9989),
                discovery: modern,
            },
            rfc7489: MethodResult {
                policy: applied_policy(&legacy, exists, |r| &r.rfc7489),
                discovery: legacy,
            },
        })
    }

    /// Whether `domain` exists, which decides between `sp` and `np` for a record found
    /// higher up (RFC 9989 §4.10.1; Appendix A.4: NXDOMAIN means it does not). Asked
    /// only when that choice arises; a failed answer counts as existing, the common case.
    async fn exists(&self, domain: &str, modern: &Discovery, legacy: &Discovery) -> bool {
        let inherited = [modern, legacy]
            .iter()
            .any(|d| d.source == Some(Source::Organizational));
        !inherited || !matches!(self.lookups.dns().txt(domain).await, DnsOutcome::NxDomain)
    }

    /// The domain publishes its own record(s).
    async fn own(&self, domain: &str, own: &Records) -> DmarcReport {
        let mut report = DmarcReport::empty(DmarcStatus::Ok);
        report.source = Some(Source::Domain);
        report.policy_domain = Some(domain.to_owned());
        report.records.clone_from(&own.records);
        if let Some(only) = &own.single {
            self.describe(&mut report, only, domain).await;
        } else {
            report.errors.push(DmarcFinding::new(
                FindingKind::MultipleRecords,
                details::multiple_records(own.records.len(), domain),
            ));
        }
        report.status = status_of(&report);
        report
    }

    /// The domain has no record: the one RFC 9989's walk found, if any.
    async fn inherited(&self, found: &Discoveries) -> DmarcReport {
        let modern = &found.rfc9989.discovery;
        let (Some(record), Some(policy_domain)) = (&modern.record, &modern.policy_domain) else {
            return DmarcReport::empty(DmarcStatus::None);
        };
        let mut report = DmarcReport::empty(DmarcStatus::Ok);
        report.source = Some(Source::Organizational);
        report.policy_domain = Some(policy_domain.clone());
        report.records = vec![record.text.clone()];
        self.describe(&mut report, record, policy_domain).await;
        report.status = status_of(&report);
        report
    }

    /// Fills in the tags, findings and destinations of `record`, published at
    /// `policy_domain`.
    async fn describe(&self, report: &mut DmarcReport, record: &Published, policy_domain: &str) {
        let parsed = &record.parsed;
        let modern = &parsed.rfc9989;
        report.record = Some(record.text.clone());
        report.p = modern.p;
        report.sp = modern.sp;
        report.np = modern.np;
        report.pct = parsed.rfc7489.pct;
        report.t = modern.t;
        report.testing = report.pct.is_some_and(|pct| pct < 100) || modern.t == Some(true);
        report.adkim = Some(modern.adkim);
        report.aspf = Some(modern.aspf);
        report.fo.clone_from(&modern.fo);
        report.psd = modern.psd;
        for finding in &parsed.findings {
            let list = match finding.severity {
                Severity::Error => &mut report.errors,
                Severity::Warning => &mut report.warnings,
            };
            list.push(DmarcFinding {
                kind: finding.kind,
                detail: finding.detail.clone(),
                tag: finding.tag.clone(),
                value: finding.value.clone(),
            });
        }
        report.rua = self.destinations(report, policy_domain, &modern.rua).await;
        report.ruf = self.destinations(report, policy_domain, &modern.ruf).await;
        advise(report, &parsed.tags);
    }

    async fn destinations(
        &self,
        report: &mut DmarcReport,
        policy_domain: &str,
        uris: &[ReportUri],
    ) -> Vec<Destination> {
        let dns = self.lookups.dns();
        let (checked, rest) = uris.split_at(uris.len().min(MAX_CHECKED_DESTINATIONS));
        let checks = futures::future::join_all(
            checked
                .iter()
                .map(|uri| destination::check(dns, &self.psl, policy_domain, uri)),
        )
        .await;
        if !rest.is_empty() {
            report.warnings.push(DmarcFinding::new(
                FindingKind::DestinationUnchecked,
                details::destinations_unchecked(uris.len(), MAX_CHECKED_DESTINATIONS),
            ));
        }
        let unchecked = rest
            .iter()
            .map(|uri| (Destination::unchecked(uri), Check::Done));
        let mut out = Vec::with_capacity(uris.len());
        for (destination, check) in checks.into_iter().chain(unchecked) {
            let address = destination.uri.uri.clone();
            match check {
                Check::Done => {}
                Check::Unauthorized { query } => report.warnings.push(DmarcFinding::new(
                    FindingKind::UnauthorizedDestination,
                    details::unauthorized_destination(&address, policy_domain, &query),
                )),
                Check::Failed { query, cause } => report.warnings.push(DmarcFinding::new(
                    FindingKind::DestinationUnchecked,
                    details::destination_check_failed(&address, &query, &cause),
                )),
            }
            out.push(destination);
        }
        out
    }
}

/// The policy a receiver using `found`'s method applies to the domain, reading the
/// record by that method's specification: `p` for the domain's own record, else `sp`
/// or `np` (RFC 9989 §4.10.1; RFC 7489 has no `np`, so `sp` either way).
fn applied_policy(
    found: &Discovery,
    exists: bool,
    reading: impl Fn(&Record) -> &Reading,
) -> Option<Policy> {
    let reading = reading(&found.record.as_ref()?.parsed);
    match found.source? {
        Source::Domain => reading.p,
        Source::Organizational if exists => reading.sp,
        Source::Organizational => reading.np.or(reading.sp),
    }
}

/// Orders policies from weakest (`none`, 0) to strongest (`reject`, 2).
pub(crate) fn strength(policy: Policy) -> u8 {
    match policy {
        Policy::None => 0,
        Policy::Quarantine => 1,
        Policy::Reject => 2,
    }
}

fn status_of(report: &DmarcReport) -> DmarcStatus {
    if report.errors.is_empty() {
        DmarcStatus::Ok
    } else {
        DmarcStatus::Invalid
    }
}

/// Warnings an administrator acts on, beyond the record's grammar.
fn advise(report: &mut DmarcReport, tags: &[(String, String)]) {
    let written = |name: &str| tags.iter().any(|(t, _)| t == name);
    let no_rua = !report.has_usable_rua();
    let (p, sp, np, pct, t) = (report.p, report.sp, report.np, report.pct, report.t);
    let mut warn = |kind, detail: String| report.warnings.push(DmarcFinding::new(kind, detail));
    if p == Some(Policy::None) {
        warn(FindingKind::PNone, details::p_none());
    }
    if no_rua {
        warn(FindingKind::NoRua, details::no_rua());
    }
    let rank = |p: Option<Policy>| p.map(strength);
    for (tag, value, kind) in [
        ("sp", sp, FindingKind::SpWeakerThanP),
        ("np", np, FindingKind::NpWeakerThanP),
    ] {
        if written(tag) && rank(value) < rank(p) {
            warn(kind, details::weaker_than_p(tag, value, p));
        }
    }
    if let Some(pct) = pct.filter(|pct| *pct < 100) {
        warn(FindingKind::PctBelow100, details::pct_below_100(pct));
    }
    if t == Some(true) {
        warn(FindingKind::TestMode, details::test_mode());
    }
}
