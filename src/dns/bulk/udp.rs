//! A pool of long-lived UDP sockets shared by every question of a scan. Each socket has
//! one receiving task and a table of the questions it has outstanding; an answer reaches
//! its question only when its source, ID and question section all match (RFC 5452 §4.1,
//! §9.1), so the pool is no easier to spoof than a socket per question. Questions asked
//! at the same moment leave a socket together, in one `sendmmsg` on Linux.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hickory_resolver::proto::ProtoError;
use hickory_resolver::proto::op::{Message, MessageType, Query};
use hickory_resolver::proto::serialize::binary::{BinEncodable, BinEncoder, NameEncoding};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use crate::dns::DnsStats;

/// The largest datagram the kernel can hand us; answers are usually far smaller (we
/// advertise 1232 octets), but a server may ignore that and the read must not truncate.
const MAX_DATAGRAM: usize = 65_535;

/// Receive buffer asked for on each socket.
const RECEIVE_BUFFER: usize = 4 << 20;

/// Room for a query: header, a name of up to 255 octets, type, class and the OPT record.
const QUERY_CAPACITY: usize = 12 + 255 + 4 + 11;

/// Most datagrams handed to the kernel in one call.
const SEND_BATCH: usize = 64;

/// Consecutive questions sent on one socket before the next takes over.
const SOCKET_RUN: usize = 16;

/// How often questions past their deadline are ended: a timeout lasts up to this much
/// longer than asked, and no question needs a timer of its own.
const SWEEP_EVERY: Duration = Duration::from_millis(25);

/// One question waiting on a socket.
struct Pending {
    /// Tells this entry from a later question that reuses the ID, so a finished
    /// question never removes its successor.
    token: u64,
    server: SocketAddr,
    query: Query,
    /// When the question times out.
    deadline: Instant,
    /// The answer, or why there is none.
    reply: oneshot::Sender<Result<Message, TryError>>,
}

/// A question waiting for its socket's sending task.
struct Outgoing {
    id: u16,
    token: u64,
    server: SocketAddr,
    bytes: Vec<u8>,
}

struct Channel {
    socket: UdpSocket,
    pending: Mutex<HashMap<u16, Pending, foldhash::fast::RandomState>>,
    outbox: Mutex<Vec<Outgoing>>,
    /// Wakes the sending task when the outbox stops being empty.
    queued: Notify,
}

impl Channel {
    /// Takes the question `token` asked under `id` out of the table, unless it has ended
    /// already (and perhaps a later question owns the ID).
    fn take(&self, id: u16, token: u64) -> Option<Pending> {
        let mut pending = self.pending.lock().expect("pending table");
        if pending.get(&id).is_some_and(|p| p.token == token) {
            pending.remove(&id)
        } else {
            None
        }
    }
}

/// The sockets of one address family.
pub(super) struct Pool {
    channels: Vec<Arc<Channel>>,
    /// The receiving and the sending task of each socket, and the one that ends
    /// questions past their deadline.
    tasks: Vec<JoinHandle<()>>,
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
        let mut tasks = Vec::with_capacity(2 * size);
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
                pending: Mutex::new(HashMap::default()),
                outbox: Mutex::new(Vec::new()),
                queued: Notify::new(),
            });
            tasks.push(tokio::spawn(receive(
                Arc::clone(&channel),
                Arc::clone(counters),
                exact_case,
            )));
            tasks.push(tokio::spawn(send(
                Arc::clone(&channel),
                Arc::clone(counters),
            )));
            channels.push(channel);
        }
        tasks.push(tokio::spawn(sweep(channels.clone())));
        Ok(Self {
            channels,
            tasks,
            next: AtomicUsize::new(0),
            tokens: AtomicU64::new(0),
        })
    }

    /// Sends `message` (its ID is chosen here) to `server` and waits up to `timeout` for
    /// the matching answer. `socket` names the socket of the question's previous try, if
    /// any: a retry takes the one after it, and `socket` then names the one used.
    pub(super) async fn exchange(
        &self,
        server: SocketAddr,
        message: &mut Message,
        timeout: Duration,
        socket: &mut Option<usize>,
    ) -> Result<Message, TryError> {
        // Runs of questions share a socket, so that they leave (and their answers come
        // back) in one system call; every socket still gets its share.
        let index = match *socket {
            Some(previous) => (previous + 1) % self.channels.len(),
            None => self.next.fetch_add(1, Ordering::Relaxed) / SOCKET_RUN % self.channels.len(),
        };
        *socket = Some(index);
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
                    deadline: Instant::now() + timeout,
                    reply,
                },
            );
            id
        };
        let _entry = Registered { channel, id, token };
        message.metadata.id = id;
        let bytes = encode(message).map_err(|e| TryError::Send(std::io::Error::other(e)))?;
        let first = {
            let mut outbox = channel.outbox.lock().expect("outbox");
            outbox.push(Outgoing {
                id,
                token,
                server,
                bytes,
            });
            outbox.len() == 1
        };
        if first {
            channel.queued.notify_one();
        }
        // Every way out of the table sends the reply (an answer, the send error, the
        // sweeper's timeout), except the pool shutting down.
        answer.await.unwrap_or(Err(TryError::Timeout))
    }
}

/// The query's wire form. Its one name has nothing to share with another, so it is
/// written without compression (optional, RFC 1035 §4.1.4), which spares the encoder's
/// search for earlier labels.
fn encode(message: &Message) -> Result<Vec<u8>, ProtoError> {
    let mut bytes = Vec::with_capacity(QUERY_CAPACITY);
    let mut encoder = BinEncoder::new(&mut bytes);
    encoder.set_name_encoding(NameEncoding::Uncompressed);
    message.emit(&mut encoder)?;
    Ok(bytes)
}

impl Drop for Pool {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
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
        self.channel.take(self.id, self.token);
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
    // The question may have just been given up; then nobody needs the answer.
    let _ = waiting.reply.send(Ok(message));
    true
}

/// Ends the questions of `channels` whose deadline has passed, every [`SWEEP_EVERY`].
async fn sweep(channels: Vec<Arc<Channel>>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut expired = Vec::new();
    loop {
        every.tick().await;
        let now = Instant::now();
        for channel in &channels {
            // Replied to outside the lock.
            expired.extend(
                channel
                    .pending
                    .lock()
                    .expect("pending table")
                    .extract_if(|_, p| p.deadline <= now)
                    .map(|(_, p)| p.reply),
            );
            for reply in expired.drain(..) {
                let _ = reply.send(Err(TryError::Timeout));
            }
        }
    }
}

/// The sending loop of one socket: whatever was queued since it last ran leaves together.
/// Run after the tasks that asked, it finds every question of that moment in the outbox.
async fn send(channel: Arc<Channel>, counters: Arc<DnsStats>) {
    let mut batch = Vec::new();
    loop {
        channel.queued.notified().await;
        std::mem::swap(&mut batch, &mut *channel.outbox.lock().expect("outbox"));
        // A question given up between the outbox and now (its domain's deadline passed,
        // its place in flight already handed on) is not sent: nobody would read the
        // answer, and sending it would put more than `--dns-in-flight` on the wire.
        {
            let pending = channel.pending.lock().expect("pending table");
            batch.retain(|o| pending.get(&o.id).is_some_and(|p| p.token == o.token));
        }
        let mut rest = &batch[..];
        while let Some(first) = rest.first() {
            // Waits while the socket's send buffer is full.
            let sent = channel
                .socket
                .async_io(tokio::io::Interest::WRITABLE, || {
                    send_batch(&channel.socket, rest)
                })
                .await;
            match sent {
                Ok(n) => {
                    let n = n.max(1);
                    counters.queries_sent.fetch_add(n as u64, Ordering::Relaxed);
                    rest = &rest[n..];
                }
                // A signal arrived before anything was sent: nothing failed.
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                // Only the first datagram failed (the kernel reports a later one's error
                // on the next call): its question learns why, the rest go on.
                Err(error) => {
                    fail(&channel, first, error);
                    rest = &rest[1..];
                }
            }
        }
        batch.clear();
    }
}

/// Hands the first datagrams of `batch` to the kernel; how many it took.
#[cfg(target_os = "linux")]
fn send_batch(socket: &UdpSocket, batch: &[Outgoing]) -> std::io::Result<usize> {
    use rustix::net::addr::SocketAddrArg;
    use rustix::net::{MMsgHdr, SendAncillaryBuffer, SendFlags};
    let batch = &batch[..batch.len().min(SEND_BATCH)];
    let to: Vec<_> = batch.iter().map(|o| o.server.as_any()).collect();
    let data: Vec<_> = batch
        .iter()
        .map(|o| [std::io::IoSlice::new(&o.bytes)])
        .collect();
    let mut control: Vec<_> = batch
        .iter()
        .map(|_| SendAncillaryBuffer::default())
        .collect();
    let mut headers: Vec<_> = to
        .iter()
        .zip(&data)
        .zip(&mut control)
        .map(|((to, data), control)| MMsgHdr::new_with_addr(to, data, control))
        .collect();
    Ok(rustix::net::sendmmsg(
        socket,
        &mut headers,
        SendFlags::empty(),
    )?)
}

/// Hands the first datagram of `batch` to the kernel.
#[cfg(not(target_os = "linux"))]
fn send_batch(socket: &UdpSocket, batch: &[Outgoing]) -> std::io::Result<usize> {
    let first = &batch[0];
    socket.try_send_to(&first.bytes, first.server).map(|_| 1)
}

/// Ends the question of `outgoing` with `error`, unless it has already ended.
fn fail(channel: &Channel, outgoing: &Outgoing, error: std::io::Error) {
    if let Some(waiting) = channel.take(outgoing.id, outgoing.token) {
        let _ = waiting.reply.send(Err(TryError::Send(error)));
    }
}

/// Whether the question section echoes `asked`: one question, same type, class and name
/// (octet for octet when the name was sent in randomised case).
pub(super) fn answers(asked: &Query, echoed: &[Query], exact_case: bool) -> bool {
    let [echo] = echoed else {
        return false;
    };
    echo.query_type() == asked.query_type()
        && echo.query_class() == asked.query_class()
        // Servers echo the name as sent; the octet-for-octet comparison is the cheap one.
        && (echo.name().eq_case(asked.name()) || !exact_case && echo.name() == asked.name())
}
