//! The bulk transport: questions to recursive resolvers over a small pool of long-lived
//! UDP sockets (TCP after truncation), with a TTL-bounded cache in which concurrent
//! identical questions share one query. It exists because a socket per question, as the
//! standard transport does, costs more CPU than the rest of a scan together.

mod tcp;
mod udp;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hickory_resolver::proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};

use super::gate::Ending;
use super::{DnsStats, Gate, ResolverSettings, TempFail, TempFailKind, Validation};
use crate::cache::Shared;
use udp::{Pool, TryError};

/// The UDP payload we advertise (EDNS0, RFC 6891): the size DNS Flag Day 2020 settled
/// on, which avoids IP fragmentation on practically every path.
const EDNS_PAYLOAD: u16 = 1232;
/// Longest time an answer is kept, whatever its TTL says (unbound's default
/// `cache-max-ttl`).
const MAX_POSITIVE_TTL: Duration = Duration::from_secs(86_400);
/// Longest time a negative answer is kept (RFC 2308 §5 advises one to three hours;
/// unbound's default `cache-max-negative-ttl` is one hour).
const MAX_NEGATIVE_TTL: Duration = Duration::from_secs(3_600);

/// What a resolver said about a question, as kept in the cache.
#[derive(Debug)]
pub(super) enum Answer {
    /// NOERROR, with the answer section (which may hold only a CNAME chain, or nothing).
    NoError(Vec<Record>),
    NxDomain,
}

/// The answer to a question, after following a CNAME chain that the first answer left
/// unfinished.
pub(super) enum Reply {
    /// One answer, as cached (the usual case: nothing to follow).
    One(Arc<Cached>),
    /// The answer sections of each step of the chain, in order, and whether every step
    /// was authentic (AD).
    Followed(Vec<Record>, bool),
    /// The chain leads to a name that does not exist; `authentic` as for `Followed`.
    NxDomain(bool),
}

/// Times an unfinished CNAME chain is followed with a new question: hickory's resolver
/// stops at the same depth, so both transports agree on chains a recursive resolver did
/// not finish (RFC 1034 §5.3.3 asks resolvers to bound this work).
const MAX_CNAME_RESTARTS: usize = 8;

#[derive(Debug)]
pub(super) struct Cached {
    pub answer: Answer,
    /// The resolver set AD: it validated the answer (RFC 4035 §3.2.3). An answer got
    /// with checking disabled is never cached, so a cached AD is one the resolver gave.
    pub authentic: bool,
    /// How long it may answer later questions.
    ttl: Duration,
}

/// Cache key: the name in lower-case wire form (each label after its length, so that no
/// two names share a key) and the type.
type Key = (Box<[u8]>, RecordType);

fn key(name: &Name, rtype: RecordType) -> Key {
    let mut wire = Vec::with_capacity(name.len() + 1);
    for label in name.iter() {
        // A label is at most 63 octets (RFC 1035 §2.3.4), so its length fits.
        wire.push(label.len() as u8);
        wire.extend(label.iter().map(u8::to_ascii_lowercase));
    }
    (wire.into_boxed_slice(), rtype)
}

pub(super) struct Bulk {
    servers: Vec<SocketAddr>,
    v4: Option<Pool>,
    v6: Option<Pool>,
    tcp: tcp::Connections,
    /// Answers by question; an entry being fetched makes every other asker wait for it.
    cache: Shared<Key, Arc<Cached>, TempFail>,
    attempts: usize,
    randomise_case: bool,
    gate: Arc<Gate>,
    stats: Arc<DnsStats>,
    /// Whether the resolvers validate: only a validating one's SERVFAIL may be a
    /// failed validation worth asking again with CD.
    validation: Arc<OnceLock<Validation>>,
}

impl Bulk {
    /// Binds the socket pools; must run inside the Tokio runtime.
    pub(super) fn new(
        settings: &ResolverSettings,
        servers: Vec<SocketAddr>,
        gate: Arc<Gate>,
        stats: Arc<DnsStats>,
        validation: Arc<OnceLock<Validation>>,
    ) -> std::io::Result<Self> {
        let pool = |ipv6: bool| -> std::io::Result<Option<Pool>> {
            if servers.iter().any(|s| s.is_ipv6() == ipv6) {
                Pool::bind(settings.udp_sockets, ipv6, settings.randomise_case, &stats).map(Some)
            } else {
                Ok(None)
            }
        };
        Ok(Self {
            v4: pool(false)?,
            v6: pool(true)?,
            tcp: tcp::Connections::new(&servers, settings.timeout),
            cache: Shared::new(settings.cache_size),
            servers,
            attempts: settings.attempts.max(1),
            randomise_case: settings.randomise_case,
            gate,
            stats,
            validation,
        })
    }

    /// The answer to `name` `rtype`. A recursive resolver sends the whole CNAME chain;
    /// when the chain stops short (an authoritative server answering for part of it),
    /// its end is asked next.
    /// `expected`: whether an answer is expected (see `pacing`).
    pub(super) async fn lookup(
        &self,
        name: &Name,
        rtype: RecordType,
        expected: bool,
    ) -> Result<Reply, TempFail> {
        let first = self.ask(name, rtype, expected).await?;
        let (Answer::NoError(answers), Some(mut at)) =
            (&first.answer, unfinished_chain(name, rtype, &first.answer))
        else {
            return Ok(match first.answer {
                Answer::NxDomain => Reply::NxDomain(first.authentic),
                Answer::NoError(_) => Reply::One(first),
            });
        };
        let mut answers = answers.clone();
        let mut authentic = first.authentic;
        // Name equality ignores case, as DNS names do.
        let mut visited = vec![name.clone()];
        for _ in 0..MAX_CNAME_RESTARTS {
            if visited.contains(&at) {
                break;
            }
            visited.push(at.clone());
            let next = self.ask(&at, rtype, expected).await?;
            authentic &= next.authentic;
            match &next.answer {
                // The chain leads nowhere (RFC 6604: the RCODE is that of the last name).
                Answer::NxDomain => return Ok(Reply::NxDomain(authentic)),
                Answer::NoError(more) => answers.extend(more.iter().cloned()),
            }
            match unfinished_chain(&at, rtype, &next.answer) {
                Some(end) => at = end,
                None => break,
            }
        }
        Ok(Reply::Followed(answers, authentic))
    }

    /// The answer to `name` `rtype`, from the cache or from one query shared by everyone
    /// asking it at the same moment. A temporary failure is given to those who waited for
    /// it, never to later questions.
    async fn ask(
        &self,
        name: &Name,
        rtype: RecordType,
        expected: bool,
    ) -> Result<Arc<Cached>, TempFail> {
        self.cache
            .get_or_try(
                &key(name, rtype),
                || self.resolve(name, rtype, expected),
                |cached| Some(cached.ttl),
            )
            .await
    }

    /// Asks the resolvers, retrying on another socket (and the next resolver) until an
    /// attempt gets an answer or none are left.
    async fn resolve(
        &self,
        name: &Name,
        rtype: RecordType,
        expected: bool,
    ) -> Result<Arc<Cached>, TempFail> {
        let mut failure = TempFail {
            kind: TempFailKind::Timeout,
            detail: "no answer within the timeout".into(),
        };
        let mut edns = true;
        let mut attempt = 0;
        // Each try after the first goes out on another socket.
        let mut socket = None;
        while attempt < self.attempts {
            let server = self.servers[attempt % self.servers.len()];
            let attempt_of = Attempt {
                server,
                edns,
                expected,
                wait: self.gate.try_timeout(attempt),
                checking_disabled: false,
            };
            attempt += 1;
            let reply = match self.exchange(attempt_of, name, rtype, &mut socket).await {
                Ok(reply) => reply,
                Err(e) => {
                    failure = e;
                    continue;
                }
            };
            let code = reply.metadata.response_code;
            let authentic = reply.metadata.authentic_data;
            match code {
                ResponseCode::NoError => {
                    let ttl = if reply.answers.is_empty() {
                        negative_ttl(&reply)
                    } else {
                        positive_ttl(&reply.answers)
                    };
                    return Ok(Arc::new(Cached {
                        answer: Answer::NoError(reply.answers),
                        authentic,
                        ttl,
                    }));
                }
                ResponseCode::NXDomain => {
                    return Ok(Arc::new(Cached {
                        ttl: negative_ttl(&reply),
                        answer: Answer::NxDomain,
                        authentic,
                    }));
                }
                // A server that does not know EDNS may answer FORMERR: ask again
                // without it (RFC 6891 §7), once, without using up an attempt.
                ResponseCode::FormErr if edns => {
                    edns = false;
                    attempt -= 1;
                    continue;
                }
                _ => {}
            }
            let kind = match code {
                ResponseCode::ServFail => TempFailKind::Servfail,
                ResponseCode::Refused => TempFailKind::Refused,
                _ => TempFailKind::Rcode,
            };
            failure = TempFail {
                kind,
                detail: code.to_string(),
            };
            // The same resolver would say the same again; another one might not.
            if self.servers.len() == 1 {
                break;
            }
        }
        Err(self.bogus_or(failure, name, rtype, expected).await)
    }

    /// `failure`, or, when it is a SERVFAIL that the same question with checking disabled
    /// answers, a bogus answer: a validating resolver answers SERVFAIL for data that fails
    /// validation, and CD asks it for the data without validating (RFC 4035 §3.2.2).
    /// The answer got with CD is neither used nor cached.
    async fn bogus_or(
        &self,
        failure: TempFail,
        name: &Name,
        rtype: RecordType,
        expected: bool,
    ) -> TempFail {
        if failure.kind != TempFailKind::Servfail
            || self.validation.get() != Some(&Validation::Validating)
        {
            return failure;
        }
        let attempt = Attempt {
            server: self.servers[0],
            edns: true,
            expected,
            wait: self.gate.try_timeout(0),
            checking_disabled: true,
        };
        let mut socket = None;
        match self.exchange(attempt, name, rtype, &mut socket).await {
            Ok(reply)
                if matches!(
                    reply.metadata.response_code,
                    ResponseCode::NoError | ResponseCode::NXDomain
                ) =>
            {
                let with_cd = match reply.metadata.response_code {
                    ResponseCode::NXDomain => "NXDOMAIN",
                    _ => "an answer",
                };
                TempFail {
                    kind: TempFailKind::Bogus,
                    detail: format!(
                        "SERVFAIL from the validating resolver, {with_cd} with checking \
                         disabled (CD): the answer fails DNSSEC validation"
                    ),
                }
            }
            _ => failure,
        }
    }

    /// One attempt: UDP, then TCP when the UDP answer was truncated. It holds a place in
    /// the window until it ends or is presumed lost (`pacing`), and tells the window how
    /// it ended.
    async fn exchange(
        &self,
        attempt: Attempt,
        name: &Name,
        rtype: RecordType,
        socket: &mut Option<usize>,
    ) -> Result<Message, TempFail> {
        let Attempt {
            server,
            edns,
            expected,
            wait,
            checking_disabled,
        } = attempt;
        let pool = if server.is_ipv6() { &self.v6 } else { &self.v4 };
        let pool = pool.as_ref().expect("a pool for every configured family");
        let mut message = self.message(name, rtype, edns, checking_disabled);
        let mut place = self.gate.enter(expected).await;
        let rto = place.rto();
        let udp = {
            let udp = pool.exchange(server, &mut message, wait, socket);
            let mut udp = std::pin::pin!(udp);
            tokio::select! {
                biased;
                reply = &mut udp => reply,
                () = tokio::time::sleep(rto) => {
                    place.presumed_lost();
                    udp.await
                }
            }
        };
        let reply = match udp {
            Ok(reply) => {
                place.ended(match reply.metadata.response_code {
                    ResponseCode::ServFail | ResponseCode::Refused => Ending::Refused,
                    _ => Ending::Answer,
                });
                reply
            }
            Err(TryError::Timeout) => {
                place.ended(Ending::TimedOut);
                return Err(TempFail {
                    kind: TempFailKind::Timeout,
                    detail: "no answer within the timeout".into(),
                });
            }
            Err(TryError::Send(e)) => {
                return Err(TempFail {
                    kind: TempFailKind::Network,
                    detail: format!("sending to {server}: {e}"),
                });
            }
        };
        if !reply.metadata.truncation {
            return Ok(reply);
        }
        self.stats.tcp_fallbacks.fetch_add(1, Ordering::Relaxed);
        let asked = message.queries[0].clone();
        let reply = self.tcp.exchange(server, message).await?;
        if reply.metadata.message_type != MessageType::Response
            || !udp::answers(&asked, &reply.queries, self.randomise_case)
        {
            return Err(TempFail {
                kind: TempFailKind::Protocol,
                detail: format!("TCP answer from {server} does not match the question"),
            });
        }
        // Too big even for a TCP message (65,535 octets, RFC 1035 §4.2.2): the records
        // are incomplete, so the question has no answer.
        if reply.metadata.truncation {
            return Err(TempFail {
                kind: TempFailKind::Protocol,
                detail: format!("answer from {server} truncated even over TCP"),
            });
        }
        Ok(reply)
    }

    /// A recursive query for `name` `rtype`; the pool sets its ID. It asks for the
    /// resolver's DNSSEC verdict: DO (RFC 4035 §3.2.1) and AD (RFC 6840 §5.7), which
    /// the resolver answers with AD set when it validated the answer.
    fn message(
        &self,
        name: &Name,
        rtype: RecordType,
        edns: bool,
        checking_disabled: bool,
    ) -> Message {
        let mut name = name.clone();
        if self.randomise_case {
            name.randomize_label_case();
        }
        let mut message = Message::new(0, MessageType::Query, OpCode::Query);
        message.metadata.recursion_desired = true;
        message.metadata.authentic_data = true;
        message.metadata.checking_disabled = checking_disabled;
        message.add_query(Query::query(name, rtype));
        if edns {
            let mut opt = Edns::new();
            opt.set_max_payload(EDNS_PAYLOAD);
            opt.set_dnssec_ok(true);
            message.set_edns(opt);
        }
        message
    }
}

/// How one try of a question goes out.
#[derive(Debug, Clone, Copy)]
struct Attempt {
    server: SocketAddr,
    edns: bool,
    /// Whether an answer is expected (see `pacing`).
    expected: bool,
    /// How long the try waits for its answer.
    wait: Duration,
    /// CD: the resolver is asked not to validate (only to tell a bogus answer).
    checking_disabled: bool,
}

/// Where `name`'s CNAME chain ends when `answer` holds a chain but no record of `rtype`
/// at its end; `None` when there is nothing to follow.
fn unfinished_chain(name: &Name, rtype: RecordType, answer: &Answer) -> Option<Name> {
    let Answer::NoError(records) = answer else {
        return None;
    };
    if rtype == RecordType::CNAME || records.iter().any(|r| r.record_type() == rtype) {
        return None;
    }
    super::chain_target(name, records).cloned()
}

/// How long a positive answer may be kept: its smallest TTL (RFC 2181 §5.2 gives every
/// record of a set the same TTL; a CNAME chain may differ), capped.
fn positive_ttl(answers: &[Record]) -> Duration {
    let ttl = answers.iter().map(|r| r.ttl).min().unwrap_or(0);
    Duration::from_secs(ttl.into()).min(MAX_POSITIVE_TTL)
}

/// How long a negative answer may be kept: the smaller of the SOA record's TTL and its
/// MINIMUM field (RFC 2308 §5); without an SOA it should not be cached at all.
fn negative_ttl(reply: &Message) -> Duration {
    let ttl = reply
        .authorities
        .iter()
        .find_map(|r| match &r.data {
            RData::SOA(soa) => Some(r.ttl.min(soa.minimum)),
            _ => None,
        })
        .unwrap_or(0);
    Duration::from_secs(ttl.into()).min(MAX_NEGATIVE_TTL)
}
