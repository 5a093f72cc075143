//! A pool of long-lived UDP sockets shared by every question of a scan. Each socket has
//! one receiving task and a table of the questions it has outstanding; an answer reaches
//! its question only when its source, ID and question section all match (RFC 5452 §4.1,
//! §9.1), so the pool is no easier to spoof than a socket per question.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::proto::op::{Message, MessageType, Query};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::dns::DnsStats;

/// The largest datagram the kernel can hand us; answers are usually far smaller (we
/// advertise 1232 octets), but a server may ignore that and the read must not truncate.
const MAX_DATAGRAM: usize = 65_535;

/// Receive buffer asked for on each socket.
const RECEIVE_BUFFER: usize = 4 << 20;

/// One question waiting on a socket.
struct Pending {
    /// Tells this entry from a later question that reuses the ID, so a finished
    /// question never removes its successor.
    token: u64,
    server: SocketAddr,
    query: Query,
    reply: oneshot::Sender<Message>,
}

struct Channel {
    socket: UdpSocket,
    pending: Mutex<HashMap<u16, Pending>>,
}

/// The sockets of one address family.
pub(super) struct Pool {
    channels: Vec<Arc<Channel>>,
    receivers: Vec<JoinHandle<()>>,
    next: AtomicUsize,
    tokens: AtomicU64,
}

/// Why one try on UDP brought no answer.
pub(super) enum TryError {
    /// Nothing acceptable arrived within the timeout.
    Timeout,
    /// The socket refused to send.
    Send(std::io::Error),
}

impl Pool {
    /// Binds `size` sockets of one family on OS-chosen ports; must run inside the Tokio
    /// runtime, which drives their receiving tasks.
    pub(super) fn bind(
        size: usize,
        ipv6: bool,
        exact_case: bool,
        counters: &Arc<DnsStats>,
    ) -> std::io::Result<Self> {
        let local: SocketAddr = if ipv6 {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        };
        let mut channels = Vec::with_capacity(size);
        let mut receivers = Vec::with_capacity(size);
        for _ in 0..size.max(1) {
            let socket = Socket::new(Domain::for_address(local), Type::DGRAM, Some(Protocol::UDP))?;
            // Answers arrive in bursts (thousands in flight, a relay or resolver releasing
            // them together); the default buffer (about 200 KB, some 100 datagrams) drops
            // the excess, and each drop costs a question its timeout. The kernel caps the
            // size at net.core.rmem_max.
            let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER);
            socket.bind(&local.into())?;
            socket.set_nonblocking(true)?;
            let channel = Arc::new(Channel {
                socket: UdpSocket::from_std(socket.into())?,
                pending: Mutex::new(HashMap::new()),
            });
            receivers.push(tokio::spawn(receive(
                Arc::clone(&channel),
                Arc::clone(counters),
                exact_case,
            )));
            channels.push(channel);
        }
        Ok(Self {
            channels,
            receivers,
            next: AtomicUsize::new(0),
            tokens: AtomicU64::new(0),
        })
    }

    /// Sends `message` (its ID is chosen here) to `server` on the next socket and waits
    /// up to `timeout` for the matching answer.
    pub(super) async fn exchange(
        &self,
        server: SocketAddr,
        message: &mut Message,
        timeout: Duration,
    ) -> Result<Message, TryError> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.channels.len();
        let channel = &self.channels[index];
        let token = self.tokens.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        let query = message.queries[0].clone();
        let id = {
            let mut pending = channel.pending.lock().expect("pending table");
            // While at most half the IDs are taken, 32 draws all miss with probability
            // 2^-32; a socket fuller than that (a huge --dns-in-flight over few
            // --udp-sockets) fails the try rather than spin.
            let Some(id) = (0..32)
                .map(|_| rand::random::<u16>())
                .find(|id| !pending.contains_key(id))
            else {
                return Err(TryError::Send(std::io::Error::other(
                    "no free query ID on the socket: raise --udp-sockets or lower --dns-in-flight",
                )));
            };
            pending.insert(
                id,
                Pending {
                    token,
                    server,
                    query,
                    reply,
                },
            );
            id
        };
        let _entry = Registered { channel, id, token };
        message.metadata.id = id;
        let bytes = message
            .to_vec()
            .map_err(|e| TryError::Send(std::io::Error::other(e)))?;
        channel
            .socket
            .send_to(&bytes, server)
            .await
            .map_err(TryError::Send)?;
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(message)) => Ok(message),
            // The sender is only dropped with the entry, i.e. never before the timeout.
            Ok(Err(_)) | Err(_) => Err(TryError::Timeout),
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for receiver in &self.receivers {
            receiver.abort();
        }
    }
}

/// Removes a question from its socket's table when it ends in any way (answer, timeout,
/// or the caller giving up), unless a later question already owns the ID.
struct Registered<'a> {
    channel: &'a Channel,
    id: u16,
    token: u64,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        let mut pending = self.channel.pending.lock().expect("pending table");
        if pending.get(&self.id).is_some_and(|p| p.token == self.token) {
            pending.remove(&self.id);
        }
    }
}

/// The receiving loop of one socket: hands each acceptable answer to its question and
/// counts the rest.
async fn receive(channel: Arc<Channel>, counters: Arc<DnsStats>, exact_case: bool) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        // An error is an ICMP error reported on the socket, or a transient shortage: the
        // question it concerns times out and is retried; the socket stays usable.
        let Ok((len, from)) = channel.socket.recv_from(&mut buf).await else {
            continue;
        };
        let accepted = match Message::from_vec(&buf[..len]) {
            Ok(message) => deliver(&channel, from, message, exact_case),
            Err(_) => false,
        };
        if !accepted {
            counters.spoofed_or_stray.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Passes `message` to the question it answers, if it answers one.
fn deliver(channel: &Channel, from: SocketAddr, message: Message, exact_case: bool) -> bool {
    let id = message.metadata.id;
    let mut pending = channel.pending.lock().expect("pending table");
    let Some(waiting) = pending.get(&id) else {
        // Unknown ID: late (after a timeout), duplicated, or forged.
        return false;
    };
    if waiting.server != from
        || message.metadata.message_type != MessageType::Response
        || !answers(&waiting.query, &message.queries, exact_case)
    {
        return false;
    }
    let waiting = pending.remove(&id).expect("entry just seen");
    drop(pending);
    // The question may have just timed out; then nobody needs the answer.
    let _ = waiting.reply.send(message);
    true
}

/// Whether the question section echoes `asked`: one question, same type, class and name
/// (octet for octet when the name was sent in randomised case).
pub(super) fn answers(asked: &Query, echoed: &[Query], exact_case: bool) -> bool {
    let [echo] = echoed else {
        return false;
    };
    echo.query_type() == asked.query_type()
        && echo.query_class() == asked.query_class()
        && if exact_case {
            echo.name().eq_case(asked.name())
        } else {
            echo.name() == asked.name()
        }
}
