//! STARTTLS probes for a whole scan: each MX address is probed once, however many
//! domains name it, with a bound on the SMTP connections open at once.

use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::cache::Shared;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::{ProbeSettings, Starttls, StarttlsStatus, probe};
use crate::mx::{MxHost, MxReport};

/// Which of a domain's MX hosts are probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MxSelection {
    /// The hosts with the lowest preference: where mail goes first.
    #[default]
    Primary,
    /// Every host.
    All,
}

/// How a scan probes STARTTLS.
#[derive(Debug, Clone)]
pub struct StarttlsOptions {
    pub settings: ProbeSettings,
    /// SMTP connections open at once, over the whole scan.
    pub concurrency: NonZeroUsize,
    /// SMTP connections open at once to one address.
    pub per_address: NonZeroUsize,
    pub hosts: MxSelection,
}

impl StarttlsOptions {
    /// Probes are slow (several round trips and a handshake) and each holds a
    /// connection to someone else's server: far fewer than the DNS questions in flight.
    pub const DEFAULT_CONCURRENCY: usize = 32;
    /// One connection at a time per address: a provider's MX serving thousands of the
    /// scanned domains sees the scan as one polite client.
    pub const DEFAULT_PER_ADDRESS: usize = 1;
    /// Addresses whose result is kept; past it, an address may be probed again.
    pub const RESULT_CAPACITY: u64 = 100_000;
}

/// One host's probe: the address probed and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostStarttls {
    pub address: String,
    #[serde(flatten)]
    pub result: Arc<Starttls>,
}

/// A domain's STARTTLS across its probed MX hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rollup {
    /// Every host that answered EHLO completed a TLS handshake.
    #[serde(rename = "all")]
    All,
    #[serde(rename = "some")]
    Some,
    #[serde(rename = "none")]
    None,
    /// No host answered EHLO (none probed, or all unreachable).
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl Rollup {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Some => "some",
            Self::None => "none",
            Self::NotApplicable => "n/a",
        }
    }
}

/// Shared by every task of a scan.
#[derive(Clone)]
pub struct Prober {
    settings: Arc<ProbeSettings>,
    connections: Arc<Semaphore>,
    per_address: usize,
    addresses: Shared<IpAddr, Arc<Semaphore>>,
    /// Keyed by address and name: the name is the SNI and what the certificate must
    /// match, so two names on one address are two probes (one at a time).
    results: Shared<(IpAddr, String), Arc<Starttls>>,
    hosts: MxSelection,
}

impl Prober {
    pub fn new(options: &StarttlsOptions) -> Self {
        Self {
            settings: Arc::new(options.settings.clone()),
            connections: Arc::new(Semaphore::new(options.concurrency.get())),
            per_address: options.per_address.get(),
            addresses: Shared::new(StarttlsOptions::RESULT_CAPACITY),
            results: Shared::new(StarttlsOptions::RESULT_CAPACITY),
            hosts: options.hosts,
        }
    }

    /// The probe of `mx_name` at `addr`, made once per scan: concurrent requests wait
    /// for the one connection, later ones get its result.
    pub async fn probe(&self, addr: IpAddr, mx_name: &str) -> Arc<Starttls> {
        // Boxed: the probe's future is large and lives only while it runs.
        Box::pin(
            self.results
                .get_or_compute(&(addr, mx_name.to_owned()), || async {
                    let address = self
                        .addresses
                        .get_or_compute(&addr, || async {
                            Arc::new(Semaphore::new(self.per_address))
                        })
                        .await;
                    // Neither semaphore is ever closed, so acquiring cannot fail.
                    let _this_address = address.acquire().await.ok();
                    let _any = self.connections.acquire().await.ok();
                    Arc::new(probe(addr, mx_name, &self.settings).await)
                }),
        )
        .await
    }

    /// Probes the selected hosts of `mx` at once and records each result and the
    /// domain's roll-up.
    pub async fn probe_mx(&self, mx: &mut MxReport) {
        let lowest = mx.hosts.iter().map(|h| h.preference).min();
        let selected = |h: &MxHost| match self.hosts {
            MxSelection::All => true,
            MxSelection::Primary => Some(h.preference) == lowest,
        };
        let probes = mx.hosts.iter_mut().filter(|h| selected(h)).filter_map(|h| {
            let addr = probe_address(h)?;
            Some(async move {
                let result = self.probe(addr, &h.name).await;
                h.starttls = Some(HostStarttls {
                    address: addr.to_string(),
                    result,
                });
            })
        });
        futures::future::join_all(probes).await;
        mx.starttls = Some(rollup(&mx.hosts));
    }
}

/// One address per host: the first IPv4 address, else the first IPv6 one. Probing
/// every address of a provider's host would multiply connections for little news.
fn probe_address(host: &MxHost) -> Option<IpAddr> {
    let addresses: Vec<IpAddr> = host
        .addresses
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    addresses
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addresses.first())
        .copied()
}

/// `all` / `some` / `none` over the hosts whose probe got as far as an EHLO answer;
/// unreachable hosts say nothing about STARTTLS.
pub fn rollup(hosts: &[MxHost]) -> Rollup {
    let answered: Vec<bool> = hosts
        .iter()
        .filter_map(|h| h.starttls.as_ref())
        .filter(|s| {
            matches!(
                s.result.status,
                StarttlsStatus::Ok | StarttlsStatus::NotOffered | StarttlsStatus::HandshakeFailed
            )
        })
        .map(|s| s.result.status == StarttlsStatus::Ok)
        .collect();
    match (answered.iter().any(|ok| *ok), answered.iter().all(|ok| *ok)) {
        _ if answered.is_empty() => Rollup::NotApplicable,
        (_, true) => Rollup::All,
        (true, false) => Rollup::Some,
        (false, false) => Rollup::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(status: Option<StarttlsStatus>) -> MxHost {
        MxHost {
            name: "mx.example.test".into(),
            preference: 10,
            addresses: vec!["192.0.2.1".into()],
            errors: Vec::new(),
            starttls: status.map(|status| HostStarttls {
                address: "192.0.2.1".into(),
                result: Arc::new(Starttls::with_status(status)),
            }),
        }
    }

    #[test]
    fn rollup_counts_only_hosts_that_answered_ehlo() {
        use StarttlsStatus::*;
        for (statuses, want) in [
            (vec![Some(Ok), Some(Ok)], Rollup::All),
            (vec![Some(Ok), Some(NotOffered)], Rollup::Some),
            (vec![Some(HandshakeFailed)], Rollup::None),
            (vec![Some(NotOffered), Some(Timeout)], Rollup::None),
            // An unreachable host says nothing about STARTTLS.
            (vec![Some(Ok), Some(Refused)], Rollup::All),
            (
                vec![Some(Timeout), Some(ProtocolError)],
                Rollup::NotApplicable,
            ),
            (vec![None], Rollup::NotApplicable),
            (vec![], Rollup::NotApplicable),
        ] {
            let hosts: Vec<MxHost> = statuses.iter().map(|s| host(*s)).collect();
            assert_eq!(rollup(&hosts), want, "{statuses:?}");
        }
    }

    #[test]
    fn one_address_per_host_ipv4_first() {
        let mut h = host(None);
        h.addresses = vec!["2001:db8::1".into(), "192.0.2.9".into()];
        assert_eq!(probe_address(&h), Some("192.0.2.9".parse().unwrap()));
        h.addresses = vec!["2001:db8::1".into()];
        assert_eq!(probe_address(&h), Some("2001:db8::1".parse().unwrap()));
        h.addresses.clear();
        assert_eq!(probe_address(&h), None);
    }
}
