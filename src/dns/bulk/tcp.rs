//! The fallback after a truncated UDP answer (RFC 1035 §4.2.2, RFC 7766 §5): one
//! pipelined TCP connection per resolver, opened on first need and shared by every
//! question that needs it, reopened after it fails. hickory's multiplexer does the
//! framing and ID matching.

use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt as _;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::tcp::TcpClientStream;
use hickory_resolver::net::xfer::{DnsExchange, DnsHandle as _, DnsMultiplexer};
use hickory_resolver::proto::op::{DnsRequest, DnsRequestOptions, Message};
use tokio::sync::Mutex;

use crate::dns::{TempFail, TempFailKind};

/// Questions one connection carries at once; more wait in the multiplexer's queue.
const PIPELINE_DEPTH: usize = 1_024;

pub(super) struct Connections {
    slots: Vec<(SocketAddr, Mutex<Option<DnsExchange<TokioRuntimeProvider>>>)>,
    timeout: Duration,
}

impl Connections {
    pub(super) fn new(servers: &[SocketAddr], timeout: Duration) -> Self {
        Self {
            slots: servers.iter().map(|s| (*s, Mutex::new(None))).collect(),
            timeout,
        }
    }

    /// Asks `message` of `server` over TCP.
    pub(super) async fn exchange(
        &self,
        server: SocketAddr,
        message: Message,
    ) -> Result<Message, TempFail> {
        let fail = |kind, detail: String| TempFail { kind, detail };
        let slot = self
            .slots
            .iter()
            .find(|(addr, _)| *addr == server)
            .map(|(_, slot)| slot)
            .ok_or_else(|| {
                fail(
                    TempFailKind::Network,
                    format!("{server} is not a configured resolver"),
                )
            })?;
        let connection = {
            let mut slot = slot.lock().await;
            match &*slot {
                Some(open) => open.clone(),
                None => {
                    let (stream, sender) = TcpClientStream::new(
                        server,
                        None,
                        Some(self.timeout),
                        TokioRuntimeProvider::default(),
                    );
                    let stream = stream.await.map_err(|e| {
                        fail(TempFailKind::Network, format!("TCP to {server}: {e}"))
                    })?;
                    let multiplexer = DnsMultiplexer::new(stream, sender)
                        .with_timeout(self.timeout)
                        .with_max_active_requests(PIPELINE_DEPTH);
                    let (open, background) = DnsExchange::from_stream(multiplexer);
                    // It ends by itself once the last handle to the connection is dropped.
                    tokio::spawn(background);
                    *slot = Some(open.clone());
                    open
                }
            }
        };
        let request = DnsRequest::new(message, DnsRequestOptions::default());
        let answer = tokio::time::timeout(self.timeout, connection.send(request).next()).await;
        match answer {
            Ok(Some(Ok(response))) => Ok(response.into_message()),
            Ok(Some(Err(e))) => {
                // The connection may be gone: the next question opens a new one.
                *slot.lock().await = None;
                Err(fail(TempFailKind::Network, format!("TCP to {server}: {e}")))
            }
            Ok(None) => {
                *slot.lock().await = None;
                Err(fail(
                    TempFailKind::Network,
                    format!("TCP to {server}: connection closed"),
                ))
            }
            Err(_) => Err(fail(
                TempFailKind::Timeout,
                format!("TCP to {server}: no answer within the timeout"),
            )),
        }
    }
}
