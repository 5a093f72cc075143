//! `Standin`: a recursive resolver's stand-in on its own loopback address, forwarding
//! questions to an authoritative [`DnsFixture`](super::DnsFixture) through a request list
//! of bounded size, so that tests can watch how a scan paces its questions when the
//! resolver is full or part of the names are delegated to dead name servers.
//!
//! The list behaves as unbound's does: a question takes a place from the moment it is
//! accepted until its answer goes out; a question asked again while one like it is in
//! hand joins it; a question that finds the list full is dropped without an answer and
//! counted (unbound's `requestlist.exceeded`). Questions under a dead zone keep their
//! place for a while without ever being answered, as unbound keeps one for a lame
//! delegation.
//!
//! It can also play a validating resolver (`validating`): it answers the root's DNSKEY
//! itself with AD set, sets AD on answers under `signed_zones` when the question asked
//! for DNSSEC (DO or AD), and answers SERVFAIL under `bogus_zones` unless checking is
//! disabled (CD), as a validator does for data whose signatures fail (RFC 4035 §3.2.2).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::NULL;
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType};
use tokio::net::UdpSocket;
use tokio::task::JoinSet;

use super::dns::next_loopback;

/// How a [`Standin`] treats the questions it gets.
#[derive(Debug, Clone)]
pub struct StandinConfig {
    /// Places in the request list: questions in hand at once.
    pub capacity: usize,
    /// Names at or under these zones are never answered (lame delegations).
    pub dead_zones: Vec<String>,
    /// How long a dead question keeps its place before it is forgotten, still
    /// unanswered; `None` for as long as the stand-in runs.
    pub dead_hold: Option<Duration>,
    /// Names at or under these zones get SERVFAIL at once.
    pub servfail_zones: Vec<String>,
    /// Plays a validating resolver: the root's DNSKEY is answered with AD set.
    pub validating: bool,
    /// With `validating`: answers under these zones are validated (AD).
    pub signed_zones: Vec<String>,
    /// With `validating`: these zones' data fails validation: SERVFAIL, unless the
    /// question has CD set.
    pub bogus_zones: Vec<String>,
    /// Added before each upstream answer is relayed (a resolver's cache-miss latency).
    pub delay: Duration,
    /// How long to wait for the upstream server before answering SERVFAIL, as a
    /// resolver gives up on an unresponsive authority (names made silent in the
    /// upstream zone end this way).
    pub upstream_timeout: Duration,
}

impl StandinConfig {
    /// unbound's `num-queries-per-thread` default (built with libevent, 64-bit).
    pub const DEFAULT_CAPACITY: usize = 1024;
    pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(5);
}

impl Default for StandinConfig {
    fn default() -> Self {
        Self {
            capacity: Self::DEFAULT_CAPACITY,
            dead_zones: Vec::new(),
            dead_hold: None,
            servfail_zones: Vec::new(),
            validating: false,
            signed_zones: Vec::new(),
            bogus_zones: Vec::new(),
            delay: Duration::ZERO,
            upstream_timeout: Self::DEFAULT_UPSTREAM_TIMEOUT,
        }
    }
}

/// A running stand-in; call [`Standin::stop`] at the end of the test.
pub struct Standin {
    addr: SocketAddr,
    shared: Arc<Shared>,
    tasks: JoinSet<()>,
}

/// One client waiting for a question in hand, with what it asked (its ID and the
/// question in its letter case, echoed back to it).
struct Waiter {
    peer: SocketAddr,
    id: u16,
    query: Query,
    /// Its answer goes out with AD set.
    authentic: bool,
}

type Key = (LowerName, RecordType);

/// What the receiving task and each question's task share.
struct Shared {
    upstream: SocketAddr,
    config: StandinConfig,
    dead: Vec<LowerName>,
    servfail: Vec<LowerName>,
    signed: Vec<LowerName>,
    bogus: Vec<LowerName>,
    socket: UdpSocket,
    /// The request list: each question in hand and the clients waiting for it.
    list: Mutex<HashMap<Key, Vec<Waiter>>>,
    next_id: AtomicU16,
    received: AtomicU64,
    accepted: AtomicU64,
    exceeded: AtomicU64,
    peak: AtomicUsize,
}

/// What to do with a question the list took.
enum Admitted {
    /// The first of its kind: it needs a task of its own.
    New,
    /// Joined one in hand, whose task answers it too.
    Joined,
    /// No room: dropped.
    Full,
}

fn zones(names: &[String]) -> Vec<LowerName> {
    names
        .iter()
        .map(|zone| {
            let mut name =
                Name::from_ascii(zone).unwrap_or_else(|e| panic!("bad zone {zone:?}: {e}"));
            name.set_fqdn(true);
            LowerName::new(&name)
        })
        .collect()
}

impl Standin {
    /// Serves UDP on a fresh loopback address, forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr, config: StandinConfig) -> Self {
        let socket = UdpSocket::bind((next_loopback(), 0))
            .await
            .expect("bind udp");
        let addr = socket.local_addr().expect("udp addr");
        let shared = Arc::new(Shared {
            upstream,
            dead: zones(&config.dead_zones),
            servfail: zones(&config.servfail_zones),
            signed: zones(&config.signed_zones),
            bogus: zones(&config.bogus_zones),
            config,
            socket,
            list: Mutex::new(HashMap::new()),
            next_id: AtomicU16::new(1),
            received: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            exceeded: AtomicU64::new(0),
            peak: AtomicUsize::new(0),
        });
        let mut tasks = JoinSet::new();
        tasks.spawn(serve(Arc::clone(&shared)));
        Self {
            addr,
            shared,
            tasks,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Questions received (decodable queries with a question), taken or not.
    pub fn received(&self) -> u64 {
        self.shared.received.load(Ordering::Relaxed)
    }

    /// Questions taken into the list, those that joined one in hand included.
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::Relaxed)
    }

    /// Questions dropped because the list was full.
    pub fn exceeded(&self) -> u64 {
        self.shared.exceeded.load(Ordering::Relaxed)
    }

    /// The most places ever in use at once.
    pub fn peak(&self) -> usize {
        self.shared.peak.load(Ordering::Relaxed)
    }

    /// Places in use now.
    pub fn in_hand(&self) -> usize {
        self.shared.lock().len()
    }

    /// Stops the receiving task and every question's task, and waits for them.
    pub async fn stop(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Receives questions until aborted; each new question's task lives in a set owned
/// here, so aborting this task drops them all.
async fn serve(shared: Arc<Shared>) {
    let mut questions = JoinSet::new();
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((len, peer)) = shared.socket.recv_from(&mut buf).await else {
            return;
        };
        let Ok(message) = Message::from_vec(&buf[..len]) else {
            continue;
        };
        let Some(query) = message.queries.first().cloned() else {
            continue;
        };
        shared.received.fetch_add(1, Ordering::Relaxed);
        let key = (LowerName::new(query.name()), query.query_type());
        let under = |zones: &[LowerName]| zones.iter().any(|zone| zone.zone_of(&key.0));
        let validating = shared.config.validating;
        let asks_dnssec = message.metadata.authentic_data
            || message.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok);
        let cd = message.metadata.checking_disabled;
        let waiter = Waiter {
            peer,
            id: message.metadata.id,
            query,
            authentic: validating && asks_dnssec && !cd && under(&shared.signed),
        };
        if validating && key.0.is_root() && key.1 == RecordType::DNSKEY {
            if shared.momentary_place() {
                shared
                    .send(&root_keys(&waiter, asks_dnssec), waiter.peer)
                    .await;
            }
            continue;
        }
        if under(&shared.servfail) || (validating && !cd && under(&shared.bogus)) {
            // A place for the moment it takes to answer, so a full list drops these too.
            if shared.momentary_place() {
                shared.send(&failure(&waiter), waiter.peer).await;
            }
            continue;
        }
        let dead = shared.dead.iter().any(|zone| zone.zone_of(&key.0));
        match shared.admit(key.clone(), waiter) {
            Admitted::New if dead => {
                if let Some(hold) = shared.config.dead_hold {
                    let shared = Arc::clone(&shared);
                    questions.spawn(async move {
                        tokio::time::sleep(hold).await;
                        shared.lock().remove(&key);
                    });
                }
            }
            Admitted::New => {
                let bytes = buf[..len].to_vec();
                questions.spawn(Arc::clone(&shared).resolve(key, bytes));
            }
            Admitted::Joined | Admitted::Full => {}
        }
        // Reap finished questions so the set stays small.
        while questions.try_join_next().is_some() {}
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Vec<Waiter>>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes `waiter`'s question into the list: joins the same question in hand, takes
    /// a free place, or is dropped.
    fn admit(&self, key: Key, waiter: Waiter) -> Admitted {
        let mut list = self.lock();
        if let Some(waiters) = list.get_mut(&key) {
            waiters.push(waiter);
            self.accepted.fetch_add(1, Ordering::Relaxed);
            return Admitted::Joined;
        }
        if list.len() >= self.config.capacity {
            self.exceeded.fetch_add(1, Ordering::Relaxed);
            return Admitted::Full;
        }
        list.insert(key, vec![waiter]);
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.peak.fetch_max(list.len(), Ordering::Relaxed);
        Admitted::New
    }

    /// Whether a question answered at once finds a free place (and counts it).
    fn momentary_place(&self) -> bool {
        let list = self.lock();
        if list.len() >= self.config.capacity {
            self.exceeded.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.peak.fetch_max(list.len() + 1, Ordering::Relaxed);
        true
    }

    /// Asks upstream the question `query` (the first client's datagram), waits `delay`,
    /// then frees the place and answers every client waiting for it.
    async fn resolve(self: Arc<Self>, key: Key, mut query: Vec<u8>) {
        let reply = self.ask_upstream(&mut query).await;
        tokio::time::sleep(self.config.delay).await;
        // Freed before the answers go out: a client that has its answer finds the place free.
        let waiters = self.lock().remove(&key).unwrap_or_default();
        for waiter in waiters {
            let message = match &reply {
                Some(reply) => {
                    let mut message = reply.clone();
                    message.metadata.id = waiter.id;
                    message.metadata.authentic_data = waiter.authentic;
                    message.queries = vec![waiter.query.clone()];
                    message
                }
                None => failure(&waiter),
            };
            self.send(&message, waiter.peer).await;
        }
    }

    /// The upstream server's answer to `query` under an ID of our own, or None if none
    /// came within `upstream_timeout`.
    async fn ask_upstream(&self, query: &mut [u8]) -> Option<Message> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        query.get_mut(..2)?.copy_from_slice(&id.to_be_bytes());
        let here = self.socket.local_addr().ok()?;
        let socket = UdpSocket::bind((here.ip(), 0)).await.ok()?;
        socket.connect(self.upstream).await.ok()?;
        socket.send(query).await.ok()?;
        let wait = async {
            let mut buf = vec![0u8; 4096];
            // Ends with the answer, a socket error, or the timeout around it.
            loop {
                let len = socket.recv(&mut buf).await.ok()?;
                match Message::from_vec(&buf[..len]) {
                    Ok(reply) if reply.metadata.id == id => return Some(reply),
                    _ => continue,
                }
            }
        };
        tokio::time::timeout(self.config.upstream_timeout, wait)
            .await
            .ok()
            .flatten()
    }

    async fn send(&self, message: &Message, peer: SocketAddr) {
        if let Ok(bytes) = message.to_vec() {
            let _ = self.socket.send_to(&bytes, peer).await;
        }
    }
}

/// The root's DNSKEY RRset, with AD set when the question asked for DNSSEC. The key's
/// bytes are a placeholder: the scanner reads only the AD bit.
fn root_keys(waiter: &Waiter, authentic: bool) -> Message {
    let mut reply = Message::new(waiter.id, MessageType::Response, OpCode::Query);
    reply.metadata.recursion_desired = true;
    reply.metadata.recursion_available = true;
    reply.metadata.authentic_data = authentic;
    reply.add_query(waiter.query.clone());
    reply.add_answer(Record::from_rdata(
        Name::root(),
        3600,
        RData::Unknown {
            code: RecordType::DNSKEY,
            rdata: NULL::with(vec![1, 1, 3, 13, 0, 0]),
        },
    ));
    reply
}

/// SERVFAIL to `waiter`'s question.
fn failure(waiter: &Waiter) -> Message {
    let mut reply = Message::new(waiter.id, MessageType::Response, OpCode::Query);
    reply.metadata.recursion_desired = true;
    reply.metadata.recursion_available = true;
    reply.metadata.response_code = ResponseCode::ServFail;
    reply.add_query(waiter.query.clone());
    reply
}
