//! `RawDns`: a deliberately misbehaving DNS responder on its own loopback address, for
//! what hickory-server will not do on demand (wrong IDs, forged questions, answers from
//! another port, truncation, oversized TCP answers). It decodes each query with
//! `hickory_proto`, answers every TXT question with one fixed record and anything else
//! with NODATA, and counts the queries it sees over each transport.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use mailposture::dns::{Dns, ResolverSettings};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinSet;

use super::dns::next_loopback;

/// How the responder answers a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// A correct answer, over UDP and TCP (the control case).
    Correct,
    /// A correct answer with the message ID of the query plus one.
    WrongId,
    /// A correct answer to a question about another name.
    WrongName,
    /// A correct answer to a question about another record type (A instead of TXT).
    WrongType,
    /// The correct answer, sent from another UDP port than the one queried.
    OtherPort,
    /// Over UDP, an empty answer with TC=1; over TCP, the full answer.
    TruncatedUdp,
    /// The correct answer, sent twice over UDP.
    Twice,
    /// No answer to every third UDP query; the others answered correctly.
    DropEveryThird,
    /// No answer at all, over UDP or TCP.
    Silent,
    /// Over UDP, three forgeries (wrong ID, wrong name, from another port), then the
    /// correct answer.
    ForgedFirst,
    /// The correct answer, but with the question name in lower case (a resolver that
    /// does not preserve the case of the query, which 0x20 randomisation rejects).
    LowerCase,
    /// The correct answer, but to a question of class CH (name and type right).
    WrongClass,
    /// FORMERR to a query that carries an OPT record (a server that does not know
    /// EDNS), the correct answer to one without.
    FormErrOnEdns,
}

/// Queries seen, by transport, and where the UDP ones came from.
#[derive(Debug, Default)]
pub struct Counts {
    pub udp: AtomicU64,
    pub tcp: AtomicU64,
    pub udp_sources: std::sync::Mutex<Vec<SocketAddr>>,
    /// Whether each UDP query carried an OPT record (EDNS), in arrival order.
    pub udp_edns: std::sync::Mutex<Vec<bool>>,
    /// When each UDP query arrived, in order.
    pub udp_arrivals: std::sync::Mutex<Vec<std::time::Instant>>,
}

impl Counts {
    pub fn udp(&self) -> u64 {
        self.udp.load(Ordering::Relaxed)
    }

    pub fn tcp(&self) -> u64 {
        self.tcp.load(Ordering::Relaxed)
    }
}

/// A running responder; call [`RawDns::stop`] at the end of the test.
pub struct RawDns {
    pub addr: SocketAddr,
    pub counts: Arc<Counts>,
    tasks: JoinSet<()>,
}

/// What every task of one responder shares.
struct Shared {
    behaviour: Behaviour,
    txt: Vec<Vec<u8>>,
    counts: Arc<Counts>,
}

impl RawDns {
    /// Serves `behaviour` on UDP and TCP of one fresh loopback address; TXT questions
    /// get one record made of the character-strings `txt`.
    pub async fn start(behaviour: Behaviour, txt: Vec<Vec<u8>>) -> Self {
        let udp = UdpSocket::bind((next_loopback(), 0))
            .await
            .expect("bind udp");
        let addr = udp.local_addr().expect("udp addr");
        let tcp = TcpListener::bind(addr).await.expect("bind tcp");
        // For `OtherPort`: same address, another port.
        let other = UdpSocket::bind((addr.ip(), 0))
            .await
            .expect("bind other udp");
        let counts = Arc::new(Counts::default());
        let shared = Arc::new(Shared {
            behaviour,
            txt,
            counts: Arc::clone(&counts),
        });
        let mut tasks = JoinSet::new();
        tasks.spawn(serve_udp(udp, other, Arc::clone(&shared)));
        tasks.spawn(serve_tcp(tcp, shared));
        Self {
            addr,
            counts,
            tasks,
        }
    }

    /// Settings for a resolver pointed at this responder: `timeout` per attempt,
    /// `attempts` tries, over this test binary's transport.
    pub fn settings(&self, timeout: Duration, attempts: usize) -> ResolverSettings {
        ResolverSettings {
            servers: vec![self.addr],
            timeout,
            attempts,
            cache_size: 0,
            max_in_flight: 16,
            max_qps: None,
            transport: crate::TRANSPORT,
            udp_sockets: 4,
            randomise_case: false,
        }
    }

    /// A resolver pointed at this responder: `timeout` per attempt, `attempts` tries.
    pub fn dns(&self, timeout: Duration, attempts: usize) -> Dns {
        Dns::from_settings(&self.settings(timeout, attempts)).expect("resolver")
    }

    /// Stops the server tasks (and any connection they serve) and waits for them.
    pub async fn stop(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn serve_udp(socket: UdpSocket, other: UdpSocket, shared: Arc<Shared>) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
            return;
        };
        let arrived = std::time::Instant::now();
        let Ok(query) = Message::from_vec(&buf[..len]) else {
            continue;
        };
        shared
            .counts
            .udp_arrivals
            .lock()
            .expect("arrivals")
            .push(arrived);
        let seen = shared.counts.udp.fetch_add(1, Ordering::Relaxed) + 1;
        shared
            .counts
            .udp_sources
            .lock()
            .expect("sources")
            .push(peer);
        shared
            .counts
            .udp_edns
            .lock()
            .expect("edns")
            .push(query.edns.is_some());
        match shared.behaviour {
            Behaviour::Silent => continue,
            Behaviour::DropEveryThird if seen.is_multiple_of(3) => continue,
            Behaviour::ForgedFirst => {
                for forgery in [Behaviour::WrongId, Behaviour::WrongName] {
                    if let Ok(bytes) = shared.answer_as(&query, forgery).to_vec() {
                        let _ = socket.send_to(&bytes, peer).await;
                    }
                }
                if let Ok(bytes) = shared.answer(&query).to_vec() {
                    let _ = other.send_to(&bytes, peer).await;
                }
            }
            _ => {}
        }
        let mut reply = shared.answer(&query);
        let sender = match shared.behaviour {
            Behaviour::OtherPort => &other,
            _ => &socket,
        };
        let copies = if shared.behaviour == Behaviour::Twice {
            2
        } else {
            1
        };
        if shared.behaviour == Behaviour::TruncatedUdp {
            reply.answers.clear();
            reply.metadata.truncation = true;
        }
        let Ok(bytes) = reply.to_vec() else {
            continue;
        };
        for _ in 0..copies {
            let _ = sender.send_to(&bytes, peer).await;
        }
    }
}

async fn serve_tcp(listener: TcpListener, shared: Arc<Shared>) {
    // Connection tasks live in this set, so aborting this task drops them all.
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let shared = Arc::clone(&shared);
        connections.spawn(async move {
            let mut stream = stream;
            // Two-octet length prefix, then the message (RFC 1035 §4.2.2).
            loop {
                let Ok(len) = stream.read_u16().await else {
                    return;
                };
                let mut buf = vec![0u8; usize::from(len)];
                if stream.read_exact(&mut buf).await.is_err() {
                    return;
                }
                let Ok(query) = Message::from_vec(&buf) else {
                    return;
                };
                shared.counts.tcp.fetch_add(1, Ordering::Relaxed);
                if shared.behaviour == Behaviour::Silent {
                    continue;
                }
                let Ok(bytes) = shared.answer(&query).to_vec() else {
                    return;
                };
                let Ok(len) = u16::try_from(bytes.len()) else {
                    return;
                };
                if stream.write_u16(len).await.is_err() || stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        });
        // Reap finished connections so the set stays small.
        while connections.try_join_next().is_some() {}
    }
}

impl Shared {
    /// The reply the behaviour calls for, before transport-specific changes.
    fn answer(&self, query: &Message) -> Message {
        self.answer_as(query, self.behaviour)
    }

    /// The reply `behaviour` calls for.
    fn answer_as(&self, query: &Message, behaviour: Behaviour) -> Message {
        let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
        reply.metadata.recursion_desired = query.metadata.recursion_desired;
        reply.metadata.recursion_available = true;
        reply.metadata.response_code = ResponseCode::NoError;
        let Some(question) = query.queries.first().cloned() else {
            reply.metadata.response_code = ResponseCode::FormErr;
            return reply;
        };
        let mut asked = question.clone();
        match behaviour {
            Behaviour::WrongId => reply.metadata.id = query.metadata.id.wrapping_add(1),
            Behaviour::WrongName => {
                let mut other = Name::from_ascii("forged.invalid.").expect("name");
                other.set_fqdn(true);
                asked = Query::query(other, question.query_type());
            }
            Behaviour::WrongType => {
                asked = Query::query(question.name().clone(), RecordType::A);
            }
            Behaviour::LowerCase => {
                asked = Query::query(question.name().to_lowercase(), question.query_type());
            }
            Behaviour::WrongClass => {
                asked.set_query_class(DNSClass::CH);
            }
            Behaviour::FormErrOnEdns if query.edns.is_some() => {
                reply.metadata.response_code = ResponseCode::FormErr;
                reply.add_query(question);
                return reply;
            }
            _ => {}
        }
        reply.add_query(asked.clone());
        // The record goes with the (possibly forged) question, so that a resolver that
        // accepted the reply would see a TXT answer.
        if question.query_type() == RecordType::TXT {
            let strings: Vec<&[u8]> = self.txt.iter().map(Vec::as_slice).collect();
            let mut record = Record::from_rdata(
                asked.name().clone(),
                300,
                RData::TXT(TXT::from_bytes(strings)),
            );
            record.dns_class = asked.query_class();
            reply.add_answer(record);
        }
        reply
    }
}
