//! The DNS lookup surface the analysers use: one shared hickory resolver, with every
//! answer mapped once, here, onto the outcomes the RFCs distinguish (answer, NXDOMAIN,
//! NODATA, temporary failure with its cause).

mod resolver;

pub use resolver::{ResolverSettings, build_resolver};

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use hickory_resolver::TokioResolver;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::rdata::CNAME;
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use serde::Serialize;
use tokio::sync::Semaphore;

/// The outcome of one DNS question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    /// At least one record of the asked type.
    Answer(T),
    /// The name does not exist (RCODE 3).
    NxDomain,
    /// The name exists but has no record of the asked type (NOERROR, empty answer).
    NoData,
    /// The question could not be answered now: the result is unknown, never a finding.
    TempFail(TempFail),
}

impl<T> Outcome<T> {
    /// NXDOMAIN and NODATA are both "void" for SPF (RFC 7208 §4.6.4).
    pub fn is_void(&self) -> bool {
        matches!(self, Self::NxDomain | Self::NoData)
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Self::Answer(t) => Outcome::Answer(f(t)),
            Self::NxDomain => Outcome::NxDomain,
            Self::NoData => Outcome::NoData,
            Self::TempFail(t) => Outcome::TempFail(t),
        }
    }

    /// A short word for reports: `nxdomain`, `nodata`, or the failure.
    pub fn describe_failure(&self) -> Option<String> {
        match self {
            Self::Answer(_) => None,
            Self::NxDomain => Some("NXDOMAIN (name does not exist)".into()),
            Self::NoData => Some("NODATA (no record of that type)".into()),
            Self::TempFail(t) => Some(t.to_string()),
        }
    }
}

/// Why a question could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TempFail {
    pub kind: TempFailKind,
    pub detail: String,
}

impl fmt::Display for TempFail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.detail)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TempFailKind {
    Timeout,
    Servfail,
    Refused,
    /// Any other error response code (FORMERR, NOTIMP, ...).
    Rcode,
    /// Transport trouble: I/O, no usable name server, resolver busy.
    Network,
    /// The answer could not be decoded.
    Protocol,
}

impl TempFailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Servfail => "servfail",
            Self::Refused => "refused",
            Self::Rcode => "error response",
            Self::Network => "network error",
            Self::Protocol => "protocol error",
        }
    }
}

/// One MX record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MxRecord {
    pub preference: u16,
    /// The exchange, lower-case, without the trailing dot; `""` for the root (null MX).
    pub exchange: String,
}

/// The records of an answer, and where the asked name led when it is an alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aliased<T> {
    pub records: Vec<T>,
    /// When the asked name owns a CNAME, the name its chain ends at (RFC 1034 §3.6.2),
    /// lower-case, without the trailing dot; `None` when the asked name owns the records.
    pub canonical: Option<String>,
}

/// Counters of questions asked, for the scan summary.
#[derive(Debug, Default)]
pub struct DnsStats {
    pub lookups: AtomicU64,
    pub temp_failures: AtomicU64,
}

/// The lookup surface: cheap to clone, shared by every task of a scan.
#[derive(Clone)]
pub struct Dns {
    resolver: TokioResolver,
    stats: Arc<DnsStats>,
    /// Each question in flight holds a socket; beyond the process's file limit the
    /// resolver fails with "no connections available", which would turn thousands of
    /// domains into false temperrors. Questions past the bound wait their turn instead.
    in_flight: Arc<Semaphore>,
    /// `--qps`: a token bucket over all questions, for resolvers that limit each client.
    rate: Option<Arc<DefaultDirectRateLimiter>>,
}

impl Dns {
    /// Builds the resolver `settings` describe and the surface over it.
    pub fn from_settings(settings: &ResolverSettings) -> anyhow::Result<Self> {
        Ok(Self {
            resolver: build_resolver(settings)?,
            stats: Arc::default(),
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight.max(1))),
            rate: settings
                .max_qps
                .map(|qps| Arc::new(RateLimiter::direct(Quota::per_second(qps)))),
        })
    }

    pub fn stats(&self) -> &DnsStats {
        &self.stats
    }

    /// TXT records at `name`, each the concatenation of its character-strings with no
    /// separator (RFC 7208 §3.3). Bytes that are not UTF-8 become U+FFFD, which every
    /// record parser then rejects as a syntax error.
    pub async fn txt(&self, name: &str) -> Outcome<Vec<String>> {
        self.lookup(name, RecordType::TXT, |rdata| match rdata {
            RData::TXT(txt) => {
                let joined: Vec<u8> = txt
                    .txt_data
                    .iter()
                    .flat_map(|s| s.iter().copied())
                    .collect();
                Some(String::from_utf8_lossy(&joined).into_owned())
            }
            _ => None,
        })
        .await
    }

    /// MX records at `name`, in answer order.
    pub async fn mx(&self, name: &str) -> Outcome<Vec<MxRecord>> {
        self.lookup(name, RecordType::MX, |rdata| match rdata {
            RData::MX(mx) => Some(MxRecord {
                preference: mx.preference,
                exchange: display_name(&mx.exchange),
            }),
            _ => None,
        })
        .await
    }

    pub async fn a(&self, name: &str) -> Outcome<Vec<Ipv4Addr>> {
        self.a_aliased(name).await.map(|found| found.records)
    }

    pub async fn aaaa(&self, name: &str) -> Outcome<Vec<Ipv6Addr>> {
        self.aaaa_aliased(name).await.map(|found| found.records)
    }

    /// A records at `name`, saying whether `name` is an alias.
    pub async fn a_aliased(&self, name: &str) -> Outcome<Aliased<Ipv4Addr>> {
        self.query(name, RecordType::A, |rdata| match rdata {
            RData::A(a) => Some(a.0),
            _ => None,
        })
        .await
    }

    /// AAAA records at `name`, saying whether `name` is an alias.
    pub async fn aaaa_aliased(&self, name: &str) -> Outcome<Aliased<Ipv6Addr>> {
        self.query(name, RecordType::AAAA, |rdata| match rdata {
            RData::AAAA(a) => Some(a.0),
            _ => None,
        })
        .await
    }

    async fn lookup<T>(
        &self,
        name: &str,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> Outcome<Vec<T>> {
        self.query(name, rtype, pick)
            .await
            .map(|found| found.records)
    }

    /// The path every question takes: counted, bounded in flight, and mapped by
    /// [`classify`].
    async fn query<T>(
        &self,
        name: &str,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> Outcome<Aliased<T>> {
        let Ok(fqdn) = fqdn(name) else {
            // Callers validate names first; a name hickory still cannot encode cannot
            // exist in the DNS.
            return Outcome::NxDomain;
        };
        self.stats.lookups.fetch_add(1, Ordering::Relaxed);
        if let Some(rate) = &self.rate {
            rate.until_ready().await;
        }
        // The semaphore is never closed, so acquiring cannot fail.
        let _permit = self.in_flight.acquire().await.ok();
        let outcome = match self.resolver.lookup(fqdn.clone(), rtype).await {
            // The answer section may also hold the CNAME chain (the resolver keeps it:
            // `preserve_intermediates`); records are the asked type only.
            Ok(lookup) => {
                let records: Vec<T> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| pick(&r.data))
                    .collect();
                if records.is_empty() {
                    Outcome::NoData
                } else {
                    Outcome::Answer(Aliased {
                        canonical: chain_end(&fqdn, lookup.answers()),
                        records,
                    })
                }
            }
            Err(err) => classify(&err),
        };
        if matches!(outcome, Outcome::TempFail(_)) {
            self.stats.temp_failures.fetch_add(1, Ordering::Relaxed);
        }
        outcome
    }
}

/// Parses `name` as an absolute DNS name, so no search domain is ever appended.
fn fqdn(name: &str) -> Result<Name, String> {
    let mut n = Name::from_ascii(name).map_err(|e| e.to_string())?;
    n.set_fqdn(true);
    Ok(n)
}

/// Follows the CNAME records of `answers` from `name`: the name the chain ends at, or
/// `None` when `name` owns no CNAME. Each step takes one record, so a looping chain ends.
fn chain_end(name: &Name, answers: &[Record]) -> Option<String> {
    let mut end: Option<&Name> = None;
    for _ in 0..answers.len() {
        let at = end.unwrap_or(name);
        let next = answers.iter().find_map(|r| match &r.data {
            RData::CNAME(CNAME(target)) if r.name == *at => Some(target),
            _ => None,
        });
        match next {
            Some(target) => end = Some(target),
            None => break,
        }
    }
    end.map(display_name)
}

/// A name as users write it: lower-case, no trailing dot.
fn display_name(name: &Name) -> String {
    let mut s = name.to_ascii().to_ascii_lowercase();
    if s.ends_with('.') {
        s.pop();
    }
    s
}

/// The single place where hickory's errors become scanner outcomes (see STYLE.md).
fn classify<T>(err: &NetError) -> Outcome<T> {
    let (kind, detail) = match err {
        NetError::Dns(DnsError::NoRecordsFound(nr)) => {
            return if nr.response_code == ResponseCode::NXDomain {
                Outcome::NxDomain
            } else {
                Outcome::NoData
            };
        }
        NetError::Dns(DnsError::ResponseCode(code)) => {
            let kind = match code {
                ResponseCode::ServFail => TempFailKind::Servfail,
                ResponseCode::Refused => TempFailKind::Refused,
                // An NXDOMAIN can surface here when hickory does not trust it as negative.
                ResponseCode::NXDomain => return Outcome::NxDomain,
                _ => TempFailKind::Rcode,
            };
            (kind, format!("{code}"))
        }
        NetError::Timeout => (TempFailKind::Timeout, "no answer within the timeout".into()),
        NetError::Io(e) => (TempFailKind::Network, e.to_string()),
        NetError::Busy | NetError::NoConnections => (TempFailKind::Network, err.to_string()),
        NetError::Proto(e) => (TempFailKind::Protocol, e.to_string()),
        other => (TempFailKind::Network, other.to_string()),
    };
    Outcome::TempFail(TempFail { kind, detail })
}

/// Whether `name` is an IP address (`192.0.2.1`, `[2001:db8::1]`) rather than a domain name.
pub fn is_ip_literal(name: &str) -> bool {
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    bare.parse::<IpAddr>().is_ok()
}

/// Checks that `name` (no trailing dot) can be asked about at all: ASCII, 1–63 octets per
/// label, at most 253 octets (RFC 1035 §2.3.4). Other characters are left to the DNS,
/// which holds names such as `_spf.example.net`.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty name".into());
    }
    if !name.is_ascii() {
        return Err(format!("non-ASCII name \"{name}\""));
    }
    if name.len() > 253 {
        return Err(format!("name longer than 253 octets ({})", name.len()));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("empty label".into());
        }
        if label.len() > 63 {
            return Err(format!("label longer than 63 octets ({})", label.len()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals() {
        for (name, literal) in [
            ("192.0.2.1", true),
            ("[192.0.2.1]", true),
            ("2001:db8::1", true),
            ("mx.192.0.2.1.example", false),
            ("192.0.2.1.example", false),
            ("mx1.example.net", false),
            ("[mx1.example.net]", false),
            ("", false),
        ] {
            assert_eq!(is_ip_literal(name), literal, "{name}");
        }
    }
}
