//! The DNS lookup surface the analysers use: one shared transport (the bulk one, or
//! hickory's resolver), with every answer mapped once, here, onto the outcomes the RFCs
//! distinguish (answer, NXDOMAIN, NODATA, temporary failure with its cause).

mod bulk;
mod dnssec;
mod gate;
mod pacing;
mod resolver;
pub mod scope;

pub use dnssec::{Dnssec, Validation};
pub use resolver::{ResolverSettings, Transport, build_resolver};

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Context as _;
use hickory_resolver::TokioResolver;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::rdata::{CNAME, TLSA};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

use crate::causes::Causes;
use gate::{Ending, Gate};
use scope::Turn;

/// The outcome of one DNS question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    /// At least one record of the asked type.
    Answer(T),
    /// The name does not exist (RCODE 3).
    NxDomain,
    /// The name exists but has no record of the asked type (NOERROR, empty answer).
    NoData,
    /// The question could not be answered now: the result is unknown, never a finding.
    TempFail(TempFail),
}

impl<T> Outcome<T> {
    /// NXDOMAIN and NODATA are both "void" for SPF (RFC 7208 §4.6.4).
    pub(crate) fn is_void(&self) -> bool {
        matches!(self, Self::NxDomain | Self::NoData)
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Self::Answer(t) => Outcome::Answer(f(t)),
            Self::NxDomain => Outcome::NxDomain,
            Self::NoData => Outcome::NoData,
            Self::TempFail(t) => Outcome::TempFail(t),
        }
    }

    /// A short word for reports: `nxdomain`, `nodata`, or the failure.
    pub(crate) fn describe_failure(&self) -> Option<String> {
        match self {
            Self::Answer(_) => None,
            Self::NxDomain => Some("NXDOMAIN (name does not exist)".into()),
            Self::NoData => Some("NODATA (no record of that type)".into()),
            Self::TempFail(t) => Some(t.to_string()),
        }
    }
}

/// Why a question could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TempFail {
    pub kind: TempFailKind,
    pub detail: String,
}

impl fmt::Display for TempFail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.detail)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TempFailKind {
    Timeout,
    Servfail,
    Refused,
    /// Any other error response code (FORMERR, NOTIMP, ...).
    #[strum(serialize = "error response")]
    Rcode,
    /// Transport trouble: I/O, no usable name server, resolver busy.
    #[strum(serialize = "network error")]
    Network,
    /// The answer could not be decoded.
    #[strum(serialize = "protocol error")]
    Protocol,
    /// Not asked: the scanned domain's name servers did not answer an earlier question
    /// (`scope`).
    #[strum(serialize = "not asked")]
    NotAsked,
    /// The validating resolver answered SERVFAIL and the same question with checking
    /// disabled got an answer: the answer failed DNSSEC validation (RFC 4035 §3.2.2).
    #[strum(serialize = "dnssec bogus")]
    Bogus,
}

impl TempFailKind {
    /// The name in prose, which begins the text of a [`TempFail`] in findings' details;
    /// where one word would not read (rcode, network, protocol) it differs from the
    /// JSON name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One MX record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MxRecord {
    pub preference: u16,
    /// The exchange, lower-case, without the trailing dot; `""` for the root (null MX).
    pub exchange: String,
}

/// The records of an answer, and where the asked name led when it is an alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Aliased<T> {
    pub records: Vec<T>,
    /// When the asked name owns a CNAME, the name its chain ends at (RFC 1034 §3.6.2),
    /// lower-case, without the trailing dot; `None` when the asked name owns the records.
    pub canonical: Option<String>,
}

/// An answer and its DNSSEC state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Secured<T> {
    pub outcome: Outcome<Aliased<T>>,
    pub dnssec: Dnssec,
}

/// Counters of questions asked, for the scan summary.
#[derive(Debug, Default)]
pub struct DnsStats {
    /// Questions the analysers asked (answered from a cache or not).
    pub lookups: AtomicU64,
    /// Questions of `lookups` that ended without an answer (neither records, NXDOMAIN
    /// nor NODATA): timeouts, error responses and transport failures, each waiter on a
    /// shared query counted as its own question, and questions still unanswered when
    /// their domain's deadline passed.
    pub temp_failures: AtomicU64,
    /// Queries the bulk transport put on the wire, retries included.
    pub queries_sent: AtomicU64,
    /// Truncated UDP answers asked again over TCP (bulk transport).
    pub tcp_fallbacks: AtomicU64,
    /// Datagrams dropped because they answered no outstanding query: wrong source, ID or
    /// question, late after a timeout, duplicated, or undecodable (bulk transport).
    pub spoofed_or_stray: AtomicU64,
    /// Temporary failures by their cause (`kind: detail`), so that a scan whose
    /// questions all failed can say why in words.
    failure_causes: Mutex<Causes>,
}

impl DnsStats {
    /// The most frequent causes `scan.json` lists.
    pub(crate) const TOP_CAUSES: usize = 5;

    fn count_failure(&self, failure: &TempFail) {
        self.temp_failures.fetch_add(1, Ordering::Relaxed);
        // Causes name no domain (`Causes`); the text of a question not asked names the
        // one asked before it.
        let cause = match failure.kind {
            TempFailKind::NotAsked => NOT_ASKED_CAUSE.to_owned(),
            _ => failure.to_string(),
        };
        if let Ok(mut causes) = self.failure_causes.lock() {
            causes.add(&cause, 1);
        }
    }

    /// The most frequent causes of temporary failures, most frequent first.
    fn top_causes(&self) -> Vec<FailureCause> {
        self.failure_causes
            .lock()
            .map(|causes| FailureCause::from_top(&causes))
            .unwrap_or_default()
    }
}

/// The cause under which questions not asked (`scope`) are counted: the failure of the
/// question before them is the cause worth naming.
pub(crate) const NOT_ASKED_CAUSE: &str =
    "not asked: the domain's name servers did not answer an earlier question";

/// A cause of temporary DNS failures and how many questions it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureCause {
    pub cause: String,
    pub questions: u64,
}

impl FailureCause {
    /// The most frequent of `causes`, as `scan.json` lists them.
    pub(crate) fn from_top(causes: &Causes) -> Vec<Self> {
        causes
            .top(DnsStats::TOP_CAUSES)
            .into_iter()
            .map(|c| Self {
                cause: c.cause,
                questions: c.count,
            })
            .collect()
    }
}

/// The DNS figures of a scan, for `scan.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DnsFigures {
    pub transport: Transport,
    /// The resolvers asked, `ADDR:PORT`: those given, else the system's.
    #[serde(default)]
    pub resolvers: Vec<String>,
    pub lookups: u64,
    /// Questions of `lookups` that ended without an answer, those cut by the per-domain
    /// deadline included (see [`DnsStats::temp_failures`]).
    pub temp_failures: u64,
    /// The most frequent causes of `temp_failures`, most frequent first.
    #[serde(default)]
    pub failure_causes: Vec<FailureCause>,
    /// Queries on the wire; hickory's resolver does not say, so `null` for `standard`.
    pub queries_sent: Option<u64>,
    pub tcp_fallbacks: Option<u64>,
    pub spoofed_or_stray: Option<u64>,
    /// Times the window of questions in flight was halved because the resolver showed
    /// distress (`pacing`); absent from scans made before there was a window.
    #[serde(default)]
    pub window_decreases: Option<u64>,
    /// The smallest that window became, in questions.
    #[serde(default)]
    pub smallest_window: Option<u64>,
    /// Whether the resolvers validate DNSSEC; absent from scans made before it was
    /// asked, and `null` when the scan asked nothing.
    #[serde(default)]
    pub dnssec_validation: Option<Validation>,
}

#[derive(Clone)]
enum Backend {
    Standard(Arc<TokioResolver>),
    Bulk(Arc<bulk::Bulk>),
}

/// The lookup surface: cheap to clone, shared by every task of a scan.
#[derive(Clone)]
pub struct Dns {
    backend: Backend,
    stats: Arc<DnsStats>,
    gate: Arc<Gate>,
    /// Whom the questions go to, for messages and `scan.json`.
    resolvers: Arc<[SocketAddr]>,
    /// Whether they validate DNSSEC ([`Self::check_validation`]).
    validation: Arc<OnceLock<Validation>>,
}

impl Dns {
    /// Builds the transport `settings` describe and the surface over it. The bulk
    /// transport binds its sockets here, so this must run inside the Tokio runtime.
    pub fn from_settings(settings: &ResolverSettings) -> anyhow::Result<Self> {
        let stats = Arc::new(DnsStats::default());
        let validation = Arc::new(OnceLock::new());
        let gate = Arc::new(Gate::new(settings));
        let resolvers = settings.resolvers()?;
        let backend = match settings.transport {
            Transport::Standard => Backend::Standard(Arc::new(build_resolver(settings)?)),
            Transport::Bulk => {
                let bulk = bulk::Bulk::new(
                    settings,
                    resolvers.clone(),
                    Arc::clone(&gate),
                    Arc::clone(&stats),
                    Arc::clone(&validation),
                )
                .context("opening the UDP sockets of the bulk DNS transport")?;
                Backend::Bulk(Arc::new(bulk))
            }
        };
        Ok(Self {
            backend,
            stats,
            gate,
            resolvers: resolvers.into(),
            validation,
        })
    }

    /// The live counters, for the integration tests that count the questions one
    /// operation asks; the program reads them through [`Self::figures`].
    pub fn stats(&self) -> &DnsStats {
        &self.stats
    }

    /// The counters so far.
    pub fn figures(&self) -> DnsFigures {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let bulk = |counter: &AtomicU64| match self.backend {
            Backend::Bulk(_) => Some(load(counter)),
            Backend::Standard(_) => None,
        };
        let window = self.gate.figures();
        DnsFigures {
            transport: match self.backend {
                Backend::Bulk(_) => Transport::Bulk,
                Backend::Standard(_) => Transport::Standard,
            },
            resolvers: self.resolvers.iter().map(ToString::to_string).collect(),
            lookups: load(&self.stats.lookups),
            temp_failures: load(&self.stats.temp_failures),
            failure_causes: self.stats.top_causes(),
            queries_sent: bulk(&self.stats.queries_sent),
            tcp_fallbacks: bulk(&self.stats.tcp_fallbacks),
            spoofed_or_stray: bulk(&self.stats.spoofed_or_stray),
            window_decreases: Some(window.decreases),
            smallest_window: Some(window.smallest as u64),
            dnssec_validation: self.validation.get().copied(),
        }
    }

    /// TXT records at `name`, each the concatenation of its character-strings with no
    /// separator (RFC 7208 §3.3), in sorted order. Bytes that are not UTF-8 become U+FFFD,
    /// which every record parser then rejects as a syntax error.
    pub async fn txt(&self, name: &str) -> Outcome<Vec<String>> {
        self.txt_aliased(name).await.map(|found| found.records)
    }

    /// [`Self::txt`], saying where the name led when it is an alias (DKIM selectors are
    /// delegated to senders that way).
    pub(crate) async fn txt_aliased(&self, name: &str) -> Outcome<Aliased<String>> {
        self.query(name, RecordType::TXT, |rdata| match rdata {
            RData::TXT(txt) => {
                let joined: Vec<u8> = txt
                    .txt_data
                    .iter()
                    .flat_map(|s| s.iter().copied())
                    .collect();
                Some(String::from_utf8_lossy(&joined).into_owned())
            }
            _ => None,
        })
        .await
        // An RRset has no order (RFC 2181 §5) and resolvers rotate it (unbound's
        // rrset-roundrobin); sorted, whatever reports several records reads the same
        // from scan to scan.
        .map(|mut found| {
            found.records.sort_unstable();
            found
        })
    }

    /// MX records at `name`, in answer order.
    pub async fn mx(&self, name: &str) -> Outcome<Vec<MxRecord>> {
        self.lookup(name, RecordType::MX, |rdata| match rdata {
            RData::MX(mx) => Some(MxRecord {
                preference: mx.preference,
                exchange: display_name(&mx.exchange),
            }),
            _ => None,
        })
        .await
    }

    pub async fn a(&self, name: &str) -> Outcome<Vec<Ipv4Addr>> {
        self.a_aliased(name).await.map(|found| found.records)
    }

    pub async fn aaaa(&self, name: &str) -> Outcome<Vec<Ipv6Addr>> {
        self.aaaa_aliased(name).await.map(|found| found.records)
    }

    /// A records at `name`, saying whether `name` is an alias.
    pub(crate) async fn a_aliased(&self, name: &str) -> Outcome<Aliased<Ipv4Addr>> {
        self.query(name, RecordType::A, |rdata| match rdata {
            RData::A(a) => Some(a.0),
            _ => None,
        })
        .await
    }

    /// AAAA records at `name`, saying whether `name` is an alias.
    pub(crate) async fn aaaa_aliased(&self, name: &str) -> Outcome<Aliased<Ipv6Addr>> {
        self.query(name, RecordType::AAAA, |rdata| match rdata {
            RData::AAAA(a) => Some(a.0),
            _ => None,
        })
        .await
    }

    /// TLSA records at `name` (RFC 6698 §2), with the DNSSEC state of the answer: DANE
    /// uses only records a validating resolver vouched for (RFC 7672 §2.2).
    pub(crate) async fn tlsa(&self, name: &str) -> Secured<TLSA> {
        self.query_secured(name, RecordType::TLSA, |rdata| match rdata {
            RData::TLSA(tlsa) => Some(tlsa.clone()),
            _ => None,
        })
        .await
    }

    async fn lookup<T>(
        &self,
        name: &str,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> Outcome<Vec<T>> {
        self.query(name, rtype, pick)
            .await
            .map(|found| found.records)
    }

    async fn query<T>(
        &self,
        name: &str,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> Outcome<Aliased<T>> {
        self.query_secured(name, rtype, pick).await.outcome
    }

    /// The path every question takes: counted, under its domain's scope, bounded in
    /// flight, and mapped by [`classify`]; with the answer's DNSSEC state.
    async fn query_secured<T>(
        &self,
        name: &str,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> Secured<T> {
        let Ok(fqdn) = fqdn(name) else {
            // Callers validate names first; a name hickory still cannot encode cannot
            // exist in the DNS.
            return Secured {
                outcome: Outcome::NxDomain,
                dnssec: Dnssec::Unknown,
            };
        };
        self.stats.lookups.fetch_add(1, Ordering::Relaxed);
        let asking = Asking {
            stats: &self.stats,
            ended: false,
        };
        let turn = scope::turn(name).await;
        let (outcome, authentic) = match &turn {
            Turn::NotAsked(failure) => (Outcome::TempFail(failure.clone()), false),
            Turn::First(scope) => {
                // Dropped before its end (the domain's deadline), the first question
                // must still release the others; once settled, this does nothing.
                let _abandon = Abandon(scope);
                let ask = self.ask(&fqdn, rtype, false, &pick);
                let mut ask = std::pin::pin!(ask);
                let answer = tokio::select! {
                    biased;
                    answer = &mut ask => answer,
                    () = scope.unanswered_for(|| self.gate.rto()) => {
                        scope.step_aside();
                        ask.await
                    }
                };
                scope.settle(name, rtype, &answer.0, self.dnssec_of(&answer.0, answer.1));
                answer
            }
            Turn::Ask { scope, expected } => {
                let answer = self.ask(&fqdn, rtype, *expected, &pick).await;
                scope.settle(name, rtype, &answer.0, self.dnssec_of(&answer.0, answer.1));
                answer
            }
            // Nothing is known of a name outside a scanned domain.
            Turn::Outside => self.ask(&fqdn, rtype, false, &pick).await,
        };
        asking.end(&outcome);
        Secured {
            dnssec: self.dnssec_of(&outcome, authentic),
            outcome,
        }
    }

    /// One question to the transport.
    async fn ask<T>(
        &self,
        fqdn: &Name,
        rtype: RecordType,
        expected: bool,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> (Outcome<Aliased<T>>, bool) {
        // Both lookups are large state machines; boxed, they take heap only while a
        // question is in flight instead of enlarging every future that asks one (a
        // domain's scan future measured 31 KB unboxed, moved and zeroed per domain).
        match &self.backend {
            Backend::Standard(resolver) => {
                // hickory holds a socket for the whole lookup: so does the place.
                let place = self.gate.enter(expected).await;
                let outcome = match Box::pin(resolver.lookup(fqdn.clone(), rtype)).await {
                    Ok(lookup) => found(fqdn, lookup.answers(), pick),
                    Err(err) => classify(&err),
                };
                place.ended(match &outcome {
                    Outcome::TempFail(f) => Ending::of_failure(f.kind),
                    _ => Ending::Answer,
                });
                // hickory's resolver sets neither DO nor AD on its questions unless it
                // validates itself, so its answers say nothing of DNSSEC.
                (outcome, false)
            }
            Backend::Bulk(bulk) => match Box::pin(bulk.lookup(fqdn, rtype, expected)).await {
                Ok(bulk::Reply::One(cached)) => (
                    match &cached.answer {
                        bulk::Answer::NoError(answers) => found(fqdn, answers, pick),
                        bulk::Answer::NxDomain => Outcome::NxDomain,
                    },
                    cached.authentic,
                ),
                Ok(bulk::Reply::Followed(answers, authentic)) => {
                    (found(fqdn, &answers, pick), authentic)
                }
                Ok(bulk::Reply::NxDomain(authentic)) => (Outcome::NxDomain, authentic),
                Err(failure) => (Outcome::TempFail(failure), false),
            },
        }
    }

    /// Whether the resolvers validate DNSSEC, asked once (the first call asks; later ones
    /// get its finding): the AD bit of their answer to the root's DNSKEY. Until it is
    /// known, and when it is not validating, every answer's DNSSEC state is `unknown`.
    pub async fn check_validation(&self) -> Validation {
        if let Some(known) = self.validation.get() {
            return *known;
        }
        let found = match &self.backend {
            Backend::Standard(_) => Validation::NotKnown,
            Backend::Bulk(bulk) => {
                // A question like any other in the figures, though no domain asked it.
                self.stats.lookups.fetch_add(1, Ordering::Relaxed);
                let reply = bulk.lookup(&Name::root(), RecordType::DNSKEY, false).await;
                if let Err(failure) = &reply {
                    self.stats.count_failure(failure);
                }
                match reply {
                    Ok(bulk::Reply::One(cached)) => match &cached.answer {
                        bulk::Answer::NoError(answers)
                            if answers
                                .iter()
                                .any(|r| r.record_type() == RecordType::DNSKEY) =>
                        {
                            if cached.authentic {
                                Validation::Validating
                            } else {
                                Validation::NotValidating
                            }
                        }
                        // A root without keys: nothing was validated, so nothing is known.
                        _ => Validation::NotKnown,
                    },
                    _ => Validation::NotKnown,
                }
            }
        };
        *self.validation.get_or_init(|| found)
    }

    /// What [`Self::check_validation`] found; `NotKnown` before it was asked.
    pub fn validation(&self) -> Validation {
        self.validation
            .get()
            .copied()
            .unwrap_or(Validation::NotKnown)
    }

    /// The DNSSEC state of one answer.
    fn dnssec_of<T>(&self, outcome: &Outcome<T>, authentic: bool) -> Dnssec {
        match outcome {
            Outcome::TempFail(f) if f.kind == TempFailKind::Bogus => Dnssec::Bogus,
            Outcome::TempFail(_) => Dnssec::Unknown,
            _ => match self.validation.get() {
                Some(Validation::Validating) if authentic => Dnssec::Secure,
                Some(Validation::Validating) => Dnssec::Insecure,
                _ => Dnssec::Unknown,
            },
        }
    }
}

/// Releases the questions waiting on a domain's first one when it is dropped unfinished.
struct Abandon<'a>(&'a scope::DomainScope);

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        self.0.abandon();
    }
}

/// A question being asked, so that one given up before its answer (its domain's deadline
/// passed, or the scan stopped) is counted as a temporary failure like any other
/// question that ended without an answer.
struct Asking<'a> {
    stats: &'a DnsStats,
    ended: bool,
}

impl Asking<'_> {
    fn end<T>(mut self, outcome: &Outcome<T>) {
        self.ended = true;
        if let Outcome::TempFail(failure) = outcome {
            self.stats.count_failure(failure);
        }
    }
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.stats.count_failure(&TempFail {
                kind: TempFailKind::Timeout,
                detail: "no answer before the per-domain deadline".into(),
            });
        }
    }
}

/// The records of the asked type in a NOERROR answer section, NODATA when there are none.
/// The section may also hold the CNAME chain that led to them (hickory's resolver keeps
/// it: `preserve_intermediates`; a recursive resolver sends it).
fn found<T>(
    fqdn: &Name,
    answers: &[Record],
    pick: impl Fn(&RData) -> Option<T>,
) -> Outcome<Aliased<T>> {
    let records: Vec<T> = answers.iter().filter_map(|r| pick(&r.data)).collect();
    if records.is_empty() {
        Outcome::NoData
    } else {
        Outcome::Answer(Aliased {
            canonical: chain_end(fqdn, answers),
            records,
        })
    }
}

/// Parses `name` as an absolute DNS name, so no search domain is ever appended.
fn fqdn(name: &str) -> Result<Name, String> {
    // The usual name (letters, digits, hyphens, underscores) needs no escape or IDNA
    // handling: its labels go in as they are, the same labels hickory's general parser
    // makes, without building each one a character at a time (that parser took a tenth
    // of the transport's CPU).
    let plain = name.strip_suffix('.').unwrap_or(name);
    if !plain.is_empty()
        && plain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && let Ok(mut n) = Name::from_labels(plain.split('.').map(str::as_bytes))
    {
        n.set_fqdn(true);
        return Ok(n);
    }
    let mut n = Name::from_ascii(name).map_err(|e| e.to_string())?;
    n.set_fqdn(true);
    Ok(n)
}

/// Follows the CNAME records of `answers` from `name`: the name the chain ends at, or
/// `None` when `name` owns no CNAME.
fn chain_end(name: &Name, answers: &[Record]) -> Option<String> {
    chain_target(name, answers).map(display_name)
}

/// The name the CNAME chain of `answers` leads to from `name`, if `name` owns a CNAME.
/// Each step takes one record, so a looping chain ends.
fn chain_target<'a>(name: &'a Name, answers: &'a [Record]) -> Option<&'a Name> {
    let mut end: Option<&Name> = None;
    for _ in 0..answers.len() {
        let at = end.unwrap_or(name);
        let next = answers.iter().find_map(|r| match &r.data {
            RData::CNAME(CNAME(target)) if r.name == *at => Some(target),
            _ => None,
        });
        match next {
            Some(target) => end = Some(target),
            None => break,
        }
    }
    end
}

/// A name as users write it: lower-case, no trailing dot.
fn display_name(name: &Name) -> String {
    let mut s = name.to_ascii().to_ascii_lowercase();
    if s.ends_with('.') {
        s.pop();
    }
    s
}

/// The single place where hickory's errors become scanner outcomes (see STYLE.md).
fn classify<T>(err: &NetError) -> Outcome<T> {
    let (kind, detail) = match err {
        NetError::Dns(DnsError::NoRecordsFound(nr)) => {
            return if nr.response_code == ResponseCode::NXDomain {
                Outcome::NxDomain
            } else {
                Outcome::NoData
            };
        }
        NetError::Dns(DnsError::ResponseCode(code)) => {
            let kind = match code {
                ResponseCode::ServFail => TempFailKind::Servfail,
                ResponseCode::Refused => TempFailKind::Refused,
                // An NXDOMAIN can surface here when hickory does not trust it as negative.
                ResponseCode::NXDomain => return Outcome::NxDomain,
                _ => TempFailKind::Rcode,
            };
            (kind, format!("{code}"))
        }
        NetError::Timeout => (TempFailKind::Timeout, "no answer within the timeout".into()),
        NetError::Io(e) => (TempFailKind::Network, e.to_string()),
        NetError::Busy | NetError::NoConnections => (TempFailKind::Network, err.to_string()),
        NetError::Proto(e) => (TempFailKind::Protocol, e.to_string()),
        other => (TempFailKind::Network, other.to_string()),
    };
    Outcome::TempFail(TempFail { kind, detail })
}

/// Whether `name` is an IP address (`192.0.2.1`, `[2001:db8::1]`) rather than a domain name.
pub(crate) fn is_ip_literal(name: &str) -> bool {
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    bare.parse::<IpAddr>().is_ok()
}

/// Why a name cannot be asked about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NameError {
    #[error("empty name")]
    Empty,
    #[error("non-ASCII name \"{0}\"")]
    NotAscii(String),
    #[error("name longer than 253 octets ({0})")]
    TooLong(usize),
    #[error("empty label")]
    EmptyLabel,
    #[error("label longer than 63 octets ({0})")]
    LabelTooLong(usize),
}

/// Checks that `name` (no trailing dot) can be asked about at all: ASCII, 1–63 octets per
/// label, at most 253 octets (RFC 1035 §2.3.4). Other characters are left to the DNS,
/// which holds names such as `_spf.example.net`.
pub(crate) fn check_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if !name.is_ascii() {
        return Err(NameError::NotAscii(name.to_owned()));
    }
    if name.len() > 253 {
        return Err(NameError::TooLong(name.len()));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        if label.len() > 63 {
            return Err(NameError::LabelTooLong(label.len()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_parse_as_hickory_parses_them() {
        let long_label = "a".repeat(64);
        let long_name = ["b".repeat(60).as_str(); 5].join(".");
        for name in [
            "example.jp",
            "Example.COM.",
            "_dmarc.mail.example.co.jp",
            "_spf.google.com",
            "xn--wgv71a119e.jp",
            "a-b.c_d.example",
            "a..b",
            ".",
            "",
            long_label.as_str(),
            long_name.as_str(),
            "caf\u{e9}.example",
            "sp ace.example",
        ] {
            let general = Name::from_ascii(name).map(|mut n| {
                n.set_fqdn(true);
                n
            });
            match (fqdn(name), general) {
                (Ok(fast), Ok(general)) => {
                    assert!(fast.eq_case(&general), "{name}: {fast} against {general}");
                    assert!(fast.is_fqdn(), "{name}");
                }
                (Err(_), Err(_)) => {}
                (fast, general) => panic!("{name}: {fast:?} against {general:?}"),
            }
        }
    }

    #[test]
    fn ip_literals() {
        for (name, literal) in [
            ("192.0.2.1", true),
            ("[192.0.2.1]", true),
            ("2001:db8::1", true),
            ("mx.192.0.2.1.example", false),
            ("192.0.2.1.example", false),
            ("mx1.example.net", false),
            ("[mx1.example.net]", false),
            ("", false),
        ] {
            assert_eq!(is_ip_literal(name), literal, "{name}");
        }
    }

    /// Each kind's JSON name, and the words that begin its text in findings' details.
    #[test]
    fn temp_fail_kind_names_are_the_documented_ones() {
        let names = [
            (TempFailKind::Timeout, "timeout", "timeout"),
            (TempFailKind::Servfail, "servfail", "servfail"),
            (TempFailKind::Refused, "refused", "refused"),
            (TempFailKind::Rcode, "rcode", "error response"),
            (TempFailKind::Network, "network", "network error"),
            (TempFailKind::Protocol, "protocol", "protocol error"),
            (TempFailKind::NotAsked, "not_asked", "not asked"),
            (TempFailKind::Bogus, "bogus", "dnssec bogus"),
        ];
        let prose: Vec<_> = names.iter().map(|&(k, _, prose)| (k, prose)).collect();
        crate::names::assert_named(&prose, TempFailKind::as_str);
        for (kind, json, _) in names {
            assert_eq!(serde_json::to_value(kind).unwrap(), json);
        }
    }
}
