//! A DNS relay that adds latency: it forwards each query (UDP and TCP) to an upstream
//! server, holds the answer for `--delay-ms`, then returns it. The benchmark world puts it
//! between a recursive resolver and the authoritative server, as a stand-in for internet
//! round trips on a kernel without netem.
//!
//!   dns-delay-relay --listen 127.0.3.2:53 --upstream 127.0.3.1:53 --delay-ms 20 --stats FILE
//!
//! Each answer gets its own timer, so thousands can be held at once. UDP queries go
//! upstream over one socket with their IDs rewritten (up to 65,536 outstanding; a query
//! that finds no free ID, or whose answer does not come within `--upstream-timeout-ms`,
//! is dropped and counted). TCP connections are relayed one message at a time each, over
//! their own upstream connection. The counters are written as one JSON object to
//! `--stats` every second and on SIGTERM or SIGINT, then the relay exits.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;

/// Largest DNS message over UDP we accept (EDNS buffers above this are rare).
const UDP_BUFFER: usize = 4_096;
/// TCP connections relayed at once; more wait in the accept queue.
const MAX_TCP_CONNECTIONS: usize = 256;
/// A TCP connection with no query for this long is closed.
const TCP_IDLE: Duration = Duration::from_secs(10);

#[derive(Debug, Parser)]
#[command(
    name = "dns-delay-relay",
    about = "Forward DNS queries; hold each answer for a while"
)]
struct Args {
    /// Address to listen on, UDP and TCP.
    #[arg(long, value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// The server queries are forwarded to.
    #[arg(long, value_name = "ADDR:PORT")]
    upstream: SocketAddr,
    /// Milliseconds each answer is held before it is returned.
    #[arg(long, value_name = "MS", default_value_t = 20)]
    delay_ms: u64,
    /// Milliseconds to wait for the upstream's answer before dropping a UDP query.
    #[arg(long, value_name = "MS", default_value_t = 5_000)]
    upstream_timeout_ms: u64,
    /// Write the counters here (JSON) every second and at exit.
    #[arg(long, value_name = "FILE")]
    stats: Option<PathBuf>,
}

/// What went through the relay since it started.
#[derive(Debug, Default)]
struct Counters {
    udp_queries: AtomicU64,
    udp_answers: AtomicU64,
    tcp_connections: AtomicU64,
    tcp_queries: AtomicU64,
    tcp_answers: AtomicU64,
    /// Malformed messages, queries with no free upstream ID, unmatched answers.
    dropped: AtomicU64,
    /// UDP queries the upstream did not answer in time.
    expired: AtomicU64,
}

#[derive(Debug, Serialize)]
struct Snapshot {
    delay_ms: u64,
    queries: u64,
    udp_queries: u64,
    udp_answers: u64,
    tcp_connections: u64,
    tcp_queries: u64,
    tcp_answers: u64,
    dropped: u64,
    expired: u64,
}

impl Counters {
    fn snapshot(&self, delay_ms: u64) -> Snapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Snapshot {
            delay_ms,
            queries: get(&self.udp_queries) + get(&self.tcp_queries),
            udp_queries: get(&self.udp_queries),
            udp_answers: get(&self.udp_answers),
            tcp_connections: get(&self.tcp_connections),
            tcp_queries: get(&self.tcp_queries),
            tcp_answers: get(&self.tcp_answers),
            dropped: get(&self.dropped),
            expired: get(&self.expired),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A UDP query waiting for its upstream answer, under the ID it was sent with.
#[derive(Debug, Clone, Copy)]
struct Pending {
    client: SocketAddr,
    client_id: u16,
    sent: Instant,
}

/// Outstanding UDP queries by upstream ID.
#[derive(Debug, Default)]
struct Table {
    pending: HashMap<u16, Pending>,
    next_id: u16,
}

impl Table {
    /// A free upstream ID for `entry`, or None when all 65,536 are taken.
    fn insert(&mut self, entry: Pending) -> Option<u16> {
        if self.pending.len() > usize::from(u16::MAX) {
            return None;
        }
        loop {
            let id = self.next_id;
            self.next_id = self.next_id.wrapping_add(1);
            if let std::collections::hash_map::Entry::Vacant(slot) = self.pending.entry(id) {
                slot.insert(entry);
                return Some(id);
            }
        }
    }

    /// Drops the entries older than `limit`; returns how many.
    fn expire(&mut self, limit: Duration) -> u64 {
        let before = self.pending.len();
        self.pending.retain(|_, p| p.sent.elapsed() < limit);
        (before - self.pending.len()) as u64
    }
}

fn message_id(msg: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.first()?, *msg.get(1)?]))
}

fn set_message_id(msg: &mut [u8], id: u16) {
    if msg.len() >= 2 {
        msg[..2].copy_from_slice(&id.to_be_bytes());
    }
}

/// A DNS header is 12 bytes; anything shorter is not a message.
fn is_message(msg: &[u8]) -> bool {
    msg.len() >= 12
}

struct Relay {
    delay: Duration,
    counters: Counters,
    table: Mutex<Table>,
}

impl Relay {
    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Client → upstream: rewrite the ID, remember who asked.
async fn udp_queries(relay: Arc<Relay>, client: Arc<UdpSocket>, upstream: Arc<UdpSocket>) {
    let mut buf = vec![0u8; UDP_BUFFER];
    loop {
        let Ok((len, from)) = client.recv_from(&mut buf).await else {
            continue;
        };
        let msg = &mut buf[..len];
        bump(&relay.counters.udp_queries);
        let Some(client_id) = message_id(msg).filter(|_| is_message(msg)) else {
            bump(&relay.counters.dropped);
            continue;
        };
        let entry = Pending {
            client: from,
            client_id,
            sent: Instant::now(),
        };
        let Some(id) = relay.table().insert(entry) else {
            bump(&relay.counters.dropped);
            continue;
        };
        set_message_id(msg, id);
        if upstream.send(msg).await.is_err() {
            relay.table().pending.remove(&id);
            bump(&relay.counters.dropped);
        }
    }
}

/// Upstream → client: restore the ID, hold the answer, send it back.
async fn udp_answers(relay: Arc<Relay>, client: Arc<UdpSocket>, upstream: Arc<UdpSocket>) {
    let mut buf = vec![0u8; UDP_BUFFER];
    loop {
        let Ok(len) = upstream.recv(&mut buf).await else {
            continue;
        };
        let msg = &buf[..len];
        let pending = message_id(msg)
            .filter(|_| is_message(msg))
            .and_then(|id| relay.table().pending.remove(&id));
        let Some(pending) = pending else {
            bump(&relay.counters.dropped);
            continue;
        };
        let mut answer = msg.to_vec();
        set_message_id(&mut answer, pending.client_id);
        let relay = Arc::clone(&relay);
        let client = Arc::clone(&client);
        tokio::spawn(async move {
            tokio::time::sleep(relay.delay).await;
            if client.send_to(&answer, pending.client).await.is_ok() {
                bump(&relay.counters.udp_answers);
            }
        });
    }
}

/// Reads one length-prefixed DNS message; None at a clean end of stream.
async fn read_frame(stream: &mut TcpStream) -> Result<Option<Vec<u8>>> {
    let mut len = [0u8; 2];
    match stream.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    // At most 65,535 bytes: the length prefix bounds the buffer.
    let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut msg).await?;
    Ok(Some(msg))
}

async fn write_frame(stream: &mut TcpStream, msg: &[u8]) -> Result<()> {
    let len = u16::try_from(msg.len()).context("message longer than 65,535 bytes")?;
    let mut frame = Vec::with_capacity(msg.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(msg);
    stream.write_all(&frame).await?;
    Ok(())
}

/// One client connection, relayed a message at a time over its own upstream connection.
async fn tcp_connection(
    relay: Arc<Relay>,
    mut client: TcpStream,
    upstream: SocketAddr,
) -> Result<()> {
    let mut server: Option<TcpStream> = None;
    loop {
        let Ok(frame) = tokio::time::timeout(TCP_IDLE, read_frame(&mut client)).await else {
            return Ok(());
        };
        let Some(query) = frame? else { return Ok(()) };
        bump(&relay.counters.tcp_queries);
        if !is_message(&query) {
            bump(&relay.counters.dropped);
            return Ok(());
        }
        let conn = match server.as_mut() {
            Some(conn) => conn,
            None => server.insert(TcpStream::connect(upstream).await?),
        };
        write_frame(conn, &query).await?;
        let answer = tokio::time::timeout(TCP_IDLE, read_frame(conn))
            .await
            .context("upstream did not answer")??
            .context("upstream closed the connection")?;
        tokio::time::sleep(relay.delay).await;
        write_frame(&mut client, &answer).await?;
        bump(&relay.counters.tcp_answers);
    }
}

async fn tcp_accept(relay: Arc<Relay>, listener: TcpListener, upstream: SocketAddr) {
    let slots = Arc::new(Semaphore::new(MAX_TCP_CONNECTIONS));
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        bump(&relay.counters.tcp_connections);
        let relay = Arc::clone(&relay);
        tokio::spawn(async move {
            if tcp_connection(Arc::clone(&relay), stream, upstream)
                .await
                .is_err()
            {
                bump(&relay.counters.dropped);
            }
            drop(permit);
        });
    }
}

fn write_stats(relay: &Relay, delay_ms: u64, path: Option<&PathBuf>) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let json = serde_json::to_string(&relay.counters.snapshot(delay_ms))?;
    // Write beside, then rename: a reader never sees half a file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, json + "\n").with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let relay = Arc::new(Relay {
        delay: Duration::from_millis(args.delay_ms),
        counters: Counters::default(),
        table: Mutex::new(Table::default()),
    });

    let client = Arc::new(
        UdpSocket::bind(args.listen)
            .await
            .with_context(|| format!("binding UDP {}", args.listen))?,
    );
    let local = if args.upstream.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let upstream = UdpSocket::bind(local)
        .await
        .context("binding the upstream socket")?;
    upstream
        .connect(args.upstream)
        .await
        .with_context(|| format!("connecting to {}", args.upstream))?;
    let upstream = Arc::new(upstream);
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding TCP {}", args.listen))?;

    tokio::spawn(udp_queries(
        Arc::clone(&relay),
        Arc::clone(&client),
        Arc::clone(&upstream),
    ));
    tokio::spawn(udp_answers(
        Arc::clone(&relay),
        Arc::clone(&client),
        Arc::clone(&upstream),
    ));
    tokio::spawn(tcp_accept(Arc::clone(&relay), listener, args.upstream));

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let upstream_timeout = Duration::from_millis(args.upstream_timeout_ms);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let expired = relay.table().expire(upstream_timeout);
                relay.counters.expired.fetch_add(expired, Ordering::Relaxed);
                write_stats(&relay, args.delay_ms, args.stats.as_ref())?;
            }
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    write_stats(&relay, args.delay_ms, args.stats.as_ref())?;
    let snapshot = serde_json::to_string(&relay.counters.snapshot(args.delay_ms))?;
    eprintln!("{snapshot}");
    Ok(())
}
