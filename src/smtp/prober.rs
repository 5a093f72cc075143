//! STARTTLS probes for a whole scan, as a service over a host name and an address the
//! connection guard cleared: each pair is probed once, however many domains name it, with
//! a bound on the SMTP connections open at once. Also the result types a probed host and
//! a domain's roll-up carry in the record; which hosts and addresses are probed is
//! decided by the caller (`crate::mailhost`).

use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::cache::Shared;
use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;
use tokio::sync::Semaphore;

use super::{Phase, ProbeSettings, Starttls, StarttlsStatus, probe};
use crate::net::{Cleared, Guard};

/// Which of a domain's MX hosts are probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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
    /// Which addresses may be connected to: public ones only, unless
    /// `--allow-nonpublic`.
    pub guard: Guard,
}

impl StarttlsOptions {
    /// Probes are slow (several round trips and a handshake) and each holds a
    /// connection to someone else's server: far fewer than the DNS questions in flight.
    pub(crate) const DEFAULT_CONCURRENCY: usize = 32;
    /// One connection at a time per address: a provider's MX serving thousands of the
    /// scanned domains sees the scan as one polite client.
    pub(crate) const DEFAULT_PER_ADDRESS: usize = 1;
    /// Addresses whose result is kept; past it, an address may be probed again.
    pub(crate) const RESULT_CAPACITY: u64 = 100_000;
}

/// One host's probe: the address probed and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostStarttls {
    /// Written as text, the form `to_string` gives.
    pub address: IpAddr,
    #[serde(flatten)]
    pub result: Arc<Starttls>,
}

/// A domain's STARTTLS across its probed MX hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Rollup {
    /// Every host that answered EHLO completed a TLS handshake.
    All,
    Some,
    None,
    /// No host answered EHLO (none probed, all skipped, or all unreachable).
    #[serde(rename = "n/a")]
    #[strum(serialize = "n/a")]
    NotApplicable,
}

impl Rollup {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Shared by every task of a scan.
#[derive(Clone)]
pub(crate) struct Prober {
    settings: Arc<ProbeSettings>,
    connections: Arc<Semaphore>,
    per_address: usize,
    addresses: Shared<IpAddr, Arc<Semaphore>>,
    /// Keyed by address and name: the name is the SNI and what the certificate must
    /// match, so two names on one address are two probes (one at a time).
    results: Shared<(IpAddr, String), Arc<Starttls>>,
}

impl Prober {
    pub(crate) fn new(options: &StarttlsOptions) -> Self {
        Self {
            settings: Arc::new(options.settings.clone()),
            connections: Arc::new(Semaphore::new(options.concurrency.get())),
            per_address: options.per_address.get(),
            addresses: Shared::new(StarttlsOptions::RESULT_CAPACITY),
            results: Shared::new(StarttlsOptions::RESULT_CAPACITY),
        }
    }

    /// The probe of `mx_name` at `addr`, made once per scan: concurrent requests wait
    /// for the one connection, later ones get its result.
    pub(crate) async fn probe(&self, addr: Cleared, mx_name: &str) -> Arc<Starttls> {
        // Boxed: the probe's future is large and lives only while it runs.
        Box::pin(
            self.results
                .get_or_compute(&(addr.ip(), mx_name.to_owned()), || async {
                    let address = self
                        .addresses
                        .get_or_compute(&addr.ip(), || async {
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
}

/// A domain's roll-up from the probes of its hosts: `all` / `some` / `none` over the
/// hosts that answered the probe's EHLO, the criterion `starttls_all` is stated in: `all` when each of them completed a TLS
/// handshake. A host that answered EHLO and then gave no TLS counts against `all`,
/// whatever stopped it: STARTTLS not offered, declined with a 4xx/5xx reply (`refused`
/// in phase `starttls`), a malformed reply or no reply to STARTTLS (`protocol_error`
/// or `timeout` in phase `starttls`), or a handshake that failed or ran out of time
/// (phase `handshake`). A host that stopped at or before EHLO (refused, silent or
/// malformed at connect, greeting or EHLO; a 4xx/5xx to EHLO declines the session as a
/// 554 greeting does) or was not probed (`skipped`) says nothing about STARTTLS and is
/// left out.
pub(crate) fn rollup<'a>(probes: impl IntoIterator<Item = &'a Starttls>) -> Rollup {
    let answered: Vec<bool> = probes
        .into_iter()
        .filter(|s| answered_ehlo(s))
        .map(|s| s.status == StarttlsStatus::Ok)
        .collect();
    match (answered.iter().any(|ok| *ok), answered.iter().all(|ok| *ok)) {
        _ if answered.is_empty() => Rollup::NotApplicable,
        (_, true) => Rollup::All,
        (true, false) => Rollup::Some,
        (false, false) => Rollup::None,
    }
}

/// Whether the probe got the server's answer to EHLO: it completed (`ok`,
/// `not_offered`), or it stopped in a phase after EHLO.
fn answered_ehlo(probe: &Starttls) -> bool {
    match probe.status {
        StarttlsStatus::Ok | StarttlsStatus::NotOffered => true,
        StarttlsStatus::Skipped => false,
        StarttlsStatus::HandshakeFailed
        | StarttlsStatus::Refused
        | StarttlsStatus::Timeout
        | StarttlsStatus::ProtocolError => {
            matches!(probe.phase, Some(Phase::Starttls | Phase::Handshake))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host's probe, `None` when it was not probed.
    fn host(status: Option<StarttlsStatus>) -> Option<Starttls> {
        // The phase each failing status stops in when the host was unreachable or
        // declined before EHLO; `HandshakeFailed` happens only in the handshake.
        host_at(status.map(|s| {
            let phase = match s {
                StarttlsStatus::Ok | StarttlsStatus::NotOffered | StarttlsStatus::Skipped => None,
                StarttlsStatus::HandshakeFailed => Some(Phase::Handshake),
                _ => Some(Phase::Connect),
            };
            (s, phase)
        }))
    }

    fn host_at(probe: Option<(StarttlsStatus, Option<Phase>)>) -> Option<Starttls> {
        probe.map(|(status, phase)| Starttls {
            phase,
            ..Starttls::with_status(status)
        })
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
            // Nor does one that was not probed.
            (vec![Some(Ok), Some(Skipped)], Rollup::All),
            (vec![Some(NotOffered), Some(Skipped)], Rollup::None),
            (vec![Some(Skipped), Some(Skipped)], Rollup::NotApplicable),
            (
                vec![Some(Timeout), Some(ProtocolError)],
                Rollup::NotApplicable,
            ),
            (vec![None], Rollup::NotApplicable),
            (vec![], Rollup::NotApplicable),
        ] {
            let hosts: Vec<Option<Starttls>> = statuses.iter().map(|s| host(*s)).collect();
            assert_eq!(rollup(hosts.iter().flatten()), want, "{statuses:?}");
        }
    }

    /// A host stopped after its EHLO answer gave no TLS and counts against `all`; one
    /// stopped before it says nothing.
    #[test]
    fn rollup_counts_a_failure_after_ehlo_against_all() {
        use StarttlsStatus::*;
        let ok = (Ok, None);
        for (failure, want) in [
            ((Refused, Some(Phase::Starttls)), Rollup::Some),
            ((ProtocolError, Some(Phase::Starttls)), Rollup::Some),
            ((Timeout, Some(Phase::Starttls)), Rollup::Some),
            ((Timeout, Some(Phase::Handshake)), Rollup::Some),
            ((HandshakeFailed, Some(Phase::Handshake)), Rollup::Some),
            ((Refused, Some(Phase::Connect)), Rollup::All),
            ((Refused, Some(Phase::Greeting)), Rollup::All),
            ((Refused, Some(Phase::Ehlo)), Rollup::All),
            ((Timeout, Some(Phase::Ehlo)), Rollup::All),
            ((ProtocolError, Some(Phase::Ehlo)), Rollup::All),
        ] {
            let hosts = [host_at(Some(ok)), host_at(Some(failure))];
            assert_eq!(rollup(hosts.iter().flatten()), want, "ok and {failure:?}");
            let alone = if want == Rollup::Some {
                Rollup::None
            } else {
                Rollup::NotApplicable
            };
            assert_eq!(
                rollup(hosts[1..].iter().flatten()),
                alone,
                "{failure:?} alone"
            );
        }
    }

    /// The names of the record format (src/record.rs), each variant once.
    #[test]
    fn rollup_names_are_the_documented_ones() {
        let names = [
            (Rollup::All, "all"),
            (Rollup::Some, "some"),
            (Rollup::None, "none"),
            (Rollup::NotApplicable, "n/a"),
        ];
        crate::names::assert_serde_named(&names, Rollup::as_str);
    }
}
