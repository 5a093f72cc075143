//! The checks hung off a domain's MX hosts, between `mx` (which hosts, at which
//! addresses) and `smtp` (the probe of one host name at one address): it picks the hosts
//! and, for each, the address to probe, asks the connection guard, runs the probes through
//! the scan's [`Prober`], and attaches the results and their roll-up to the MX report.
//! `smtp` knows nothing of MX records, and `mx` knows the probe only as the result types
//! its hosts carry. The hosts' TLSA records are asked here too, and judged (`dane`)
//! against the chains the probes captured.

use std::net::IpAddr;
use std::sync::Arc;

use futures::future::join_all;

use std::time::SystemTime;

use hickory_resolver::proto::rr::rdata::TLSA;

use crate::cache::Shared;
use crate::dane::DaneRollup;
use crate::dane::{self, analysis};
use crate::dns::{Dns, Dnssec, Secured};
use crate::mx::{MxHost, MxReport, MxStatus};
use crate::net::{Cleared, Guard, NotPublic};
use crate::smtp::Starttls;
use crate::smtp::prober::{HostStarttls, MxSelection, Prober, StarttlsOptions, rollup};

/// The per-host checks of a scan; shared by every domain task.
#[derive(Clone)]
pub(crate) struct HostChecks {
    prober: Prober,
    hosts: MxSelection,
    guard: Guard,
}

impl HostChecks {
    pub(crate) fn new(options: &StarttlsOptions) -> Self {
        Self {
            prober: Prober::new(options),
            hosts: options.hosts,
            guard: options.guard,
        }
    }

    /// Probes the selected hosts of `mx` at once and records each result and the
    /// domain's roll-up.
    pub(crate) async fn run(&self, mx: &mut MxReport) {
        let lowest = mx.hosts.iter().map(|h| h.preference).min();
        let selected = |h: &MxHost| match self.hosts {
            MxSelection::All => true,
            MxSelection::Primary => Some(h.preference) == lowest,
        };
        let probes = mx.hosts.iter_mut().filter(|h| selected(h)).filter_map(|h| {
            let pick = probe_address(&h.addresses, self.guard)?;
            Some(async move {
                let (address, result) = match pick {
                    Ok(addr) => (addr.ip(), self.prober.probe(addr, &h.name).await),
                    // Not kept in the prober's results: refusing costs nothing.
                    Err(refused) => (refused.address, Arc::new(Starttls::skipped(&refused))),
                };
                h.starttls = Some(HostStarttls { address, result });
            })
        });
        join_all(probes).await;
        mx.starttls = Some(rollup(
            mx.hosts
                .iter()
                .filter_map(|h| h.starttls.as_ref())
                .map(|s| &*s.result),
        ));
    }
}

/// The TLSA records of MX hosts (RFC 7672 §2.2.3: `_25._tcp.<host>`), each host asked
/// once per scan however many domains name it; shared by every domain task.
#[derive(Clone)]
pub(crate) struct TlsaLookups {
    dns: Dns,
    /// A failed lookup is not kept: the next domain naming the host asks again, as the
    /// DNS transport does not keep failures either.
    answers: Shared<String, Arc<Secured<TLSA>>, Arc<Secured<TLSA>>>,
}

impl TlsaLookups {
    pub(crate) fn new(dns: Dns) -> Self {
        Self {
            dns,
            answers: Shared::new(crate::mx::DEFAULT_HOST_CACHE_CAPACITY),
        }
    }

    /// The hosts of `mx` whose TLSA records are looked at: named hosts with an address
    /// (mail goes nowhere else).
    pub(crate) fn hosts(mx: &MxReport) -> Vec<String> {
        mx.hosts
            .iter()
            .filter(|h| !h.name.is_empty() && !h.addresses.is_empty())
            .map(|h| h.name.clone())
            .collect()
    }

    /// The TLSA answer of each of `hosts`, in order.
    pub(crate) async fn answers(&self, hosts: &[String]) -> Vec<Arc<Secured<TLSA>>> {
        join_all(hosts.iter().map(|host| async move {
            let fetched = self
                .answers
                .get_or_try(
                    host,
                    || async {
                        let answer = Arc::new(self.dns.tlsa(&dane::tlsa_name(host)).await);
                        match answer.outcome {
                            crate::dns::Outcome::TempFail(_) => Err(answer),
                            _ => Ok(answer),
                        }
                    },
                    |_| None,
                )
                .await;
            fetched.unwrap_or_else(|failed| failed)
        }))
        .await
    }
}

/// Judges the DANE of each of `hosts` (as [`TlsaLookups::hosts`] chose them) from its
/// TLSA answer, the DNSSEC state of `domain`'s MX answer and the host's probe, and rolls
/// the verdicts up into `mx`.
pub(crate) fn judge_dane(
    mx: &mut MxReport,
    domain: &str,
    hosts: &[String],
    answers: &[Arc<Secured<TLSA>>],
    mx_rrset: Dnssec,
) {
    let now = SystemTime::now();
    for (name, answer) in hosts.iter().zip(answers) {
        let Some(host) = mx.hosts.iter_mut().find(|h| h.name == *name) else {
            continue;
        };
        let probe = host.starttls.as_ref().map(|s| &*s.result);
        host.dane = Some(analysis::judge(
            name,
            domain,
            &dane::tlsa_name(name),
            answer,
            mx_rrset,
            probe,
            now,
        ));
    }
    // Without the MX answer the hosts are not known, nor whether any publishes.
    mx.dane = Some(if mx.status == MxStatus::Temperror {
        DaneRollup::Unknown
    } else {
        analysis::rollup(mx.hosts.iter().filter_map(|h| h.dane.as_ref()))
    });
}

/// One address per host: the first IPv4 address the guard clears, else the first IPv6
/// one; when it clears none, why it refused the first of them. Probing every address
/// of a provider's host would multiply connections for little news. The guard is asked
/// here and only here, before any socket exists.
pub(crate) fn probe_address(
    addresses: &[IpAddr],
    guard: Guard,
) -> Option<Result<Cleared, NotPublic>> {
    let mut addresses = addresses.to_vec();
    // Stable: each family keeps its order in the record.
    addresses.sort_by_key(IpAddr::is_ipv6);
    let mut checks = addresses.into_iter().map(|a| guard.check(a));
    let first = checks.next()?;
    if first.is_ok() {
        return Some(first);
    }
    Some(checks.find(Result::is_ok).unwrap_or(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_per_host_ipv4_first_public_before_not() {
        let pick = |addresses: &[&str], guard: Guard| {
            let addresses: Vec<IpAddr> = addresses.iter().map(|a| a.parse().unwrap()).collect();
            probe_address(&addresses, guard).map(|p| match p {
                Ok(addr) => addr.ip().to_string(),
                Err(refused) => format!("refused {}", refused.address),
            })
        };
        let open = Guard::ALLOW_NONPUBLIC;
        let public = Guard::PUBLIC_ONLY;
        for (addresses, guard, want) in [
            (&["2001:db8::1", "192.0.2.9"][..], open, Some("192.0.2.9")),
            (&["2001:db8::1"], open, Some("2001:db8::1")),
            (&[], open, None),
            (&[], public, None),
            (
                &["2a00:1450::1b", "10.0.0.5", "8.8.8.8"],
                public,
                Some("8.8.8.8"),
            ),
            (
                &["10.0.0.5", "2a00:1450::1b"],
                public,
                Some("2a00:1450::1b"),
            ),
            (&["10.0.0.5", "2a00:1450::1b"], open, Some("10.0.0.5")),
            (
                &["fd00::1", "10.0.0.5", "127.0.0.1"],
                public,
                Some("refused 10.0.0.5"),
            ),
        ] {
            assert_eq!(
                pick(addresses, guard).as_deref(),
                want,
                "{addresses:?} {guard:?}"
            );
        }
    }
}
