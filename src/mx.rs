//! The MX part of a domain's record: its mail exchangers in preference order with their
//! addresses and faults, the null MX of RFC 7505, and the implicit MX of RFC 5321 §5.1
//! when there is no MX at all. Each exchanger is resolved once per scan and shared by
//! every domain that names it.

use std::net::IpAddr;
use std::sync::Arc;

use crate::cache::Shared;
use futures::future::join_all;
use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

use crate::dane::{DaneRollup, HostDane};
use crate::dns::{Aliased, Dns, MxRecord, Outcome, is_ip_literal};
use crate::smtp::prober::{HostStarttls, Rollup};

/// Distinct MX hosts kept for reuse across domains. A few hundred provider hosts serve
/// most domains; the bound keeps a zone scan, where most hosts are one domain's own,
/// from filling memory.
pub(crate) const DEFAULT_HOST_CACHE_CAPACITY: u64 = 10_000;

/// MX hosts of one domain whose addresses are looked up, lowest preference first.
/// Real domains list a handful; the bound stops a hostile zone from making one domain
/// cost thousands of queries.
pub(crate) const MAX_RESOLVED_HOSTS: usize = 32;

/// What the MX query found. Trouble with single hosts does not change the status: it is
/// in that host's `errors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MxStatus {
    /// No MX records (NXDOMAIN or NODATA): mail would go to the domain's own address,
    /// the implicit MX of RFC 5321 §5.1.
    None,
    /// At least one MX record other than a lone null MX.
    Ok,
    /// A null MX (`MX 0 .`, exchange the root) and no other MX: the domain accepts no
    /// mail (RFC 7505).
    NullMx,
    /// The MX query itself failed; nothing is known.
    Temperror,
}

impl MxStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An error or warning about the MX set or one of its hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxFinding {
    pub kind: MxFindingKind,
    pub detail: String,
}

impl MxFinding {
    fn new(kind: MxFindingKind, detail: String) -> Self {
        Self { kind, detail }
    }
}

/// Kinds of findings; the snake_case names are part of the output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MxFindingKind {
    // Errors about one host, in `hosts[].errors`.
    /// Neither A nor AAAA exists for the host (NXDOMAIN or NODATA).
    DanglingMx,
    /// The host name is an alias (RFC 5321 §5.1, RFC 2181 §10.3).
    CnameMx,
    /// The host name is an IP address, not a name.
    IpLiteralMx,
    /// A lookup failed: the MX query (top level) or a host's A or AAAA (that host), or
    /// the address of a domain without MX (top level).
    Temperror,
    // Errors about the MX set, in `errors`.
    /// A null MX next to other MX records (RFC 7505 §3).
    NullMxMixed,
    // Warnings, in `warnings`.
    /// A null MX with an SPF record other than `v=spf1 -all`.
    NullMxSpf,
    /// No MX and no address: mail to the domain cannot be delivered.
    NoMailHost,
    /// More hosts than [`MAX_RESOLVED_HOSTS`]; the rest were not looked up.
    TooManyHosts,
}

impl MxFindingKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One MX record and what its exchange resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxHost {
    /// The exchange, lower-case, no trailing dot; `""` for a null MX.
    pub name: String,
    pub preference: u16,
    /// IPv4 then IPv6 addresses, each in ascending numeric order (the order of
    /// [`IpAddr`]); written as text, the form `to_string` gives.
    pub addresses: Vec<IpAddr>,
    pub errors: Vec<MxFinding>,
    /// The STARTTLS probe of one of its addresses; null when not probed.
    pub starttls: Option<HostStarttls>,
    /// Its TLSA records and their match (RFC 7672); null when not looked at (`--skip
    /// dane`, a host without an address) and in records of scans made before.
    #[serde(default)]
    pub dane: Option<HostDane>,
}

/// The domain itself as its mail host, when it has no MX (RFC 5321 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImplicitMx {
    /// The domain's own A and AAAA addresses, in the order of [`MxHost::addresses`];
    /// empty when it has none.
    pub addresses: Vec<IpAddr>,
}

/// The `mx` part of a domain's record (see the `# Format` section of
/// [`crate::record`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxReport {
    pub status: MxStatus,
    /// Hosts in preference order (lowest first), then by name.
    pub hosts: Vec<MxHost>,
    /// Set exactly when `status` is `none`.
    pub implicit_mx: Option<ImplicitMx>,
    pub errors: Vec<MxFinding>,
    pub warnings: Vec<MxFinding>,
    /// STARTTLS across the probed hosts; null when probing is off.
    pub starttls: Option<Rollup>,
    /// DANE across the hosts' verdicts; null when the check did not run.
    #[serde(default)]
    pub dane: Option<DaneRollup>,
}

impl MxReport {
    fn new(status: MxStatus) -> Self {
        Self {
            status,
            hosts: Vec::new(),
            implicit_mx: None,
            errors: Vec::new(),
            warnings: Vec::new(),
            starttls: None,
            dane: None,
        }
    }

    /// The report when the MX query could not be answered (or not in time).
    pub fn temperror(detail: String) -> Self {
        let mut report = Self::new(MxStatus::Temperror);
        report
            .errors
            .push(MxFinding::new(MxFindingKind::Temperror, detail));
        report
    }
}

/// Addresses and errors of one host name: the same for every domain naming it.
#[derive(Debug)]
struct HostInfo {
    addresses: Vec<IpAddr>,
    errors: Vec<MxFinding>,
}

impl HostInfo {
    fn failed(&self) -> bool {
        self.errors
            .iter()
            .any(|e| e.kind == MxFindingKind::Temperror)
    }
}

/// Looks up MX sets; one per scan, shared by every domain task.
#[derive(Clone)]
pub struct MxResolver {
    dns: Dns,
    /// Resolved hosts by name. Only complete answers are kept: a host whose A or AAAA
    /// lookup failed is asked again by the next domain naming it, so one timeout does
    /// not become a temperror for every domain of a provider. Concurrent requests for a
    /// host still share one lookup, failed or not.
    hosts: Shared<String, Arc<HostInfo>, Arc<HostInfo>>,
}

impl MxResolver {
    /// `capacity` bounds the number of hosts kept (see [`DEFAULT_HOST_CACHE_CAPACITY`]).
    pub fn new(dns: Dns, capacity: u64) -> Self {
        Self {
            dns,
            hosts: Shared::new(capacity),
        }
    }

    /// The MX report of `domain` (lower-case, no trailing dot).
    pub async fn fetch(&self, domain: &str) -> MxReport {
        match self.dns.mx(domain).await {
            Outcome::Answer(records) => self.hosts(records).await,
            Outcome::TempFail(t) => {
                MxReport::temperror(format!("MX lookup for {domain} failed: {t}"))
            }
            Outcome::NxDomain => implicit(domain, None),
            Outcome::NoData => {
                // The domain's own address is looked up directly, not through the host
                // cache: no other domain shares it.
                let own = resolve(&self.dns, domain).await;
                implicit(domain, Some(&own))
            }
        }
    }

    async fn hosts(&self, records: Vec<MxRecord>) -> MxReport {
        let mut hosts: Vec<MxHost> = records
            .into_iter()
            .map(|r| MxHost {
                name: r.exchange,
                preference: r.preference,
                addresses: Vec::new(),
                errors: Vec::new(),
                starttls: None,
                dane: None,
            })
            .collect();
        hosts.sort_by(|a, b| (a.preference, &a.name).cmp(&(b.preference, &b.name)));
        let named_count = hosts.iter().filter(|h| !h.name.is_empty()).count();
        if named_count == 0 {
            let mut report = MxReport::new(MxStatus::NullMx);
            report.hosts = hosts;
            return report;
        }

        let mut report = MxReport::new(MxStatus::Ok);
        if named_count < hosts.len() {
            report.errors.push(MxFinding::new(
                MxFindingKind::NullMxMixed,
                format!(
                    "a null MX (MX 0 .) says the domain accepts no mail, yet {named_count} other MX record(s) are published; a domain with a null MX must not advertise any other MX (RFC 7505 §3)"
                ),
            ));
        }
        // The null MX names no host: nothing to look up.
        let named: Vec<&mut MxHost> = hosts.iter_mut().filter(|h| !h.name.is_empty()).collect();
        if named_count > MAX_RESOLVED_HOSTS {
            report.warnings.push(MxFinding::new(
                MxFindingKind::TooManyHosts,
                format!(
                    "{named_count} MX hosts; only the first {MAX_RESOLVED_HOSTS} by preference were looked up"
                ),
            ));
        }
        join_all(
            named
                .into_iter()
                .take(MAX_RESOLVED_HOSTS)
                .map(|host| self.fill(host)),
        )
        .await;
        report.hosts = hosts;
        report
    }

    async fn fill(&self, host: &mut MxHost) {
        if is_ip_literal(&host.name) {
            // Not looked up: digits and dots make no host name (RFC 1123 §2.1), and
            // senders differ in whether they query such a name or refuse it.
            host.errors.push(MxFinding::new(
                MxFindingKind::IpLiteralMx,
                format!(
                    "{} is an IP address, not a host name: an MX must name a host whose A or AAAA records give its address (RFC 5321 §5.1)",
                    host.name
                ),
            ));
            return;
        }
        let info = self.host(&host.name).await;
        host.addresses.clone_from(&info.addresses);
        host.errors.clone_from(&info.errors);
    }

    /// The shared lookup of one host.
    async fn host(&self, name: &str) -> Arc<HostInfo> {
        // A failed lookup comes back as the error, which the cache hands to the requests
        // waiting on it and then forgets. Boxed: the cache's future is large, and inline
        // it would sit in every domain's task for the task's whole life.
        let fetch = || async {
            let info = resolve(&self.dns, name).await;
            if info.failed() {
                Err(Arc::new(info))
            } else {
                Ok(Arc::new(info))
            }
        };
        Box::pin(self.hosts.get_or_try(name, fetch, |_| None))
            .await
            .unwrap_or_else(|failed| failed)
    }
}

/// Looks up a host's A and AAAA at once and judges it as an MX exchange.
async fn resolve(dns: &Dns, name: &str) -> HostInfo {
    let (v4, v6) = futures::join!(dns.a_aliased(name), dns.aaaa_aliased(name));
    let mut addresses: Vec<IpAddr> = Vec::new();
    let mut canonical = None;
    let mut voids = Vec::new();
    let mut failures = Vec::new();
    for (rtype, outcome) in [("A", widen(v4)), ("AAAA", widen(v6))] {
        match outcome {
            Outcome::Answer(found) => {
                addresses.extend(found.records);
                canonical = canonical.or(found.canonical);
            }
            Outcome::TempFail(t) => failures.push(MxFinding::new(
                MxFindingKind::Temperror,
                format!("{rtype} lookup for {name} failed: {t}"),
            )),
            void => voids.push(void.describe_failure().unwrap_or_default()),
        }
    }
    let mut errors = Vec::new();
    if let Some(canonical) = canonical {
        errors.push(MxFinding::new(
            MxFindingKind::CnameMx,
            format!(
                "{name} is an alias (CNAME) of {canonical}; an MX must name the host itself, not an alias (RFC 5321 §5.1, RFC 2181 §10.3)"
            ),
        ));
    }
    // A name that is an alias of a name without addresses shows as dangling only: the
    // resolver does not hand back the CNAME of a negative answer.
    if let [a, aaaa] = voids.as_slice() {
        let why = if a == aaaa {
            a.clone()
        } else {
            format!("A {a}, AAAA {aaaa}")
        };
        errors.push(MxFinding::new(
            MxFindingKind::DanglingMx,
            format!("{name} has neither an A nor an AAAA record: {why}"),
        ));
    }
    errors.extend(failures);
    // IPv4 before IPv6, each ascending: `IpAddr`'s order.
    addresses.sort_unstable();
    addresses.dedup();
    HostInfo { addresses, errors }
}

/// One address type for both families, so A and AAAA outcomes are judged alike.
fn widen<T: Into<IpAddr>>(outcome: Outcome<Aliased<T>>) -> Outcome<Aliased<IpAddr>> {
    outcome.map(|found| Aliased {
        records: found.records.into_iter().map(Into::into).collect(),
        canonical: found.canonical,
    })
}

/// The report of a domain without MX records, from the lookup of its own address (`None`:
/// the domain does not exist). An alias is fine here: RFC 5321 §5.1 follows a CNAME at
/// the domain itself.
fn implicit(domain: &str, own: Option<&HostInfo>) -> MxReport {
    let mut report = MxReport::new(MxStatus::None);
    let addresses = own.map(|o| o.addresses.clone()).unwrap_or_default();
    if let Some(own) = own {
        report.errors.extend(
            own.errors
                .iter()
                .filter(|e| e.kind == MxFindingKind::Temperror)
                .cloned(),
        );
    }
    if addresses.is_empty() && report.errors.is_empty() {
        let why = if own.is_some() {
            "has no MX and no A or AAAA record"
        } else {
            "does not exist (NXDOMAIN)"
        };
        report.warnings.push(MxFinding::new(
            MxFindingKind::NoMailHost,
            format!(
                "{domain} {why}: mail to it cannot be delivered; if it takes no mail, a null MX (RFC 7505) tells senders at once"
            ),
        ));
    }
    report.implicit_mx = Some(ImplicitMx { addresses });
    report
}

/// Warns when a domain with a null MX publishes an SPF record other than `v=spf1 -all`.
///
/// A domain that accepts no mail normally sends none either: replies and bounces to its
/// mail could not be delivered, and receivers may reject mail from it (RFC 7505 §4.2).
/// `v=spf1 -all` says "no host sends for this domain"; any other record authorises some
/// senders, which contradicts the null MX or is a leftover. A domain without an SPF
/// record gets no warning here; the SPF part reports that.
pub fn check_null_mx_spf(report: &mut MxReport, spf_record: Option<&str>) {
    let Some(record) = spf_record else {
        return;
    };
    if report.status != MxStatus::NullMx || normalise_spf(record) == "v=spf1 -all" {
        return;
    }
    report.warnings.push(MxFinding::new(
        MxFindingKind::NullMxSpf,
        format!(
            "the domain accepts no mail (null MX) but its SPF record \"{record}\" is not \"v=spf1 -all\"; a domain that receives no mail normally sends none (RFC 7505 §4.2)"
        ),
    ));
}

/// Lower-case, with runs of white space folded to one space and none at the ends (SPF
/// terms are separated by spaces and compared case-insensitively, RFC 7208 §4.6.1).
fn normalise_spf(record: &str) -> String {
    record
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spf_normalisation() {
        for (record, normal) in [
            ("v=spf1 -all", "v=spf1 -all"),
            ("  V=SPF1   -ALL ", "v=spf1 -all"),
            ("v=spf1\t-all", "v=spf1 -all"),
            ("v=spf1 ~all", "v=spf1 ~all"),
            (
                "v=spf1 include:_spf.example.net -all",
                "v=spf1 include:_spf.example.net -all",
            ),
        ] {
            assert_eq!(normalise_spf(record), normal, "{record:?}");
        }
    }

    /// Addresses are text in the record and come back from it unchanged, the probed one
    /// too (it sits next to the probe's flattened fields).
    #[test]
    fn addresses_are_written_as_text_and_read_back() {
        use crate::smtp::{Starttls, StarttlsStatus};
        let ip = |a: &str| a.parse::<IpAddr>().unwrap();
        let host = MxHost {
            name: "mx.example.test".into(),
            preference: 10,
            addresses: vec![ip("9.0.0.1"), ip("10.0.0.2"), ip("2001:db8::a")],
            errors: Vec::new(),
            starttls: Some(HostStarttls {
                address: ip("2001:db8::a"),
                result: Arc::new(Starttls::with_status(StarttlsStatus::Timeout)),
            }),
            dane: None,
        };
        let text = serde_json::to_string(&host).unwrap();
        assert!(
            text.contains(r#""addresses":["9.0.0.1","10.0.0.2","2001:db8::a"]"#),
            "{text}"
        );
        assert!(
            text.contains(r#""starttls":{"address":"2001:db8::a","status":"timeout""#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<MxHost>(&text).unwrap(), host);
    }

    #[test]
    fn null_mx_spf_warning() {
        let warned = |status, spf: Option<&str>| {
            let mut report = MxReport::new(status);
            check_null_mx_spf(&mut report, spf);
            report
                .warnings
                .iter()
                .map(|w| w.kind.as_str())
                .collect::<Vec<_>>()
        };
        assert!(warned(MxStatus::NullMx, Some("v=spf1 -all")).is_empty());
        assert!(warned(MxStatus::NullMx, Some("v=spf1  -ALL")).is_empty());
        assert!(warned(MxStatus::NullMx, None).is_empty());
        assert_eq!(
            warned(MxStatus::NullMx, Some("v=spf1 ~all")),
            ["null_mx_spf"]
        );
        assert_eq!(
            warned(MxStatus::NullMx, Some("v=spf1 ip4:192.0.2.0/24 -all")),
            ["null_mx_spf"]
        );
        assert!(warned(MxStatus::Ok, Some("v=spf1 ~all")).is_empty());
    }

    /// The names of the record format (src/record.rs), each variant once.
    #[test]
    fn mx_status_names_are_the_documented_ones() {
        let names = [
            (MxStatus::None, "none"),
            (MxStatus::Ok, "ok"),
            (MxStatus::NullMx, "null_mx"),
            (MxStatus::Temperror, "temperror"),
        ];
        crate::names::assert_serde_named(&names, MxStatus::as_str);
    }

    /// The names of the record format (src/record.rs), each variant once.
    #[test]
    fn mx_finding_kind_names_are_the_documented_ones() {
        let names = [
            (MxFindingKind::DanglingMx, "dangling_mx"),
            (MxFindingKind::CnameMx, "cname_mx"),
            (MxFindingKind::IpLiteralMx, "ip_literal_mx"),
            (MxFindingKind::Temperror, "temperror"),
            (MxFindingKind::NullMxMixed, "null_mx_mixed"),
            (MxFindingKind::NullMxSpf, "null_mx_spf"),
            (MxFindingKind::NoMailHost, "no_mail_host"),
            (MxFindingKind::TooManyHosts, "too_many_hosts"),
        ];
        crate::names::assert_serde_named(&names, MxFindingKind::as_str);
    }
}
