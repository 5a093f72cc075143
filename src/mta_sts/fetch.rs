//! The MTA-STS policy fetch (RFC 8461 §3.3): `GET /.well-known/mta-sts.txt` from
//! `mta-sts.<domain>` over HTTPS, as a sending MTA does it, recording exactly why a fetch
//! failed. DNS, the address guard and the certificate check stay in our hands; hyper
//! speaks the HTTP.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue, LOCATION, USER_AGENT};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::cache::Shared;
use crate::dns::{Dns, Outcome};
use crate::mailhost::probe_address;
use crate::net::{Cleared, Guard};
use crate::smtp::{CertFacts, cert_facts};
use crate::tls::{accept_any_config, tls_reason};

/// HTTPS.
pub const DEFAULT_PORT: u16 = 443;
/// Time allowed for the TCP connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for any progress: the handshake, the response head, each body frame.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for the whole fetch, DNS included. RFC 8461 §3.3 suggests one minute
/// for a sender; a scan is not delivering mail and need not wait as long.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest policy body read: RFC 8461 §3.3's suggested maximum, 64 kilobytes.
pub const MAX_POLICY_BYTES: usize = 64 * 1024;
/// The well-known path of the policy (RFC 8461 §3.2).
pub const POLICY_PATH: &str = "/.well-known/mta-sts.txt";
/// The label prepended to the Policy Domain to name the Policy Host (RFC 8461 §3.2).
pub const POLICY_HOST_LABEL: &str = "mta-sts";
/// Sent with every request, so that a server's operator can tell who asked.
const USER_AGENT_VALUE: &str = concat!("mailposture/", env!("CARGO_PKG_VERSION"));
/// Longest network text quoted in an error, in characters.
const MAX_QUOTE: usize = 200;
/// Fetches kept by a [`PolicyFetcher`]. Each domain has its own policy host and asks
/// for it from its own task, so a repeat comes soon after the first fetch; a small
/// cache holds that, and bounds the memory of bodies (up to [`MAX_POLICY_BYTES`] each)
/// that hostile servers could fill.
const CACHE_CAPACITY: u64 = 1024;

/// How policies are fetched.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub port: u16,
    pub connect_timeout: Duration,
    /// Longest wait for any progress: the TLS handshake, the response head, each frame
    /// of the body.
    pub read_timeout: Duration,
    /// For the whole fetch, DNS included: a server that sends a byte now and then still
    /// ends as a timeout within it.
    pub total_timeout: Duration,
    /// A larger body is not read further ([`FetchStatus::TooLarge`]).
    pub max_body: usize,
    /// Trust anchors the policy host's certificate must chain to; the web PKI roots by
    /// default, as a sender's would be (RFC 8461 §3.3).
    pub roots: Arc<rustls::RootCertStore>,
    /// Which addresses may be connected to.
    pub guard: Guard,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            port: DEFAULT_PORT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            max_body: MAX_POLICY_BYTES,
            roots: Arc::new(rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }),
            guard: Guard::default(),
        }
    }
}

/// Fetches each host's policy once per scan, failures included: a scan must not ask one
/// host twice. Cheap to clone: clones share the cache.
#[derive(Clone)]
pub struct PolicyFetcher {
    dns: Dns,
    settings: Arc<FetchSettings>,
    fetched: Shared<String, Arc<Fetched>>,
}

impl PolicyFetcher {
    pub fn new(dns: Dns, settings: FetchSettings) -> Self {
        Self {
            dns,
            settings: Arc::new(settings),
            fetched: Shared::new(CACHE_CAPACITY),
        }
    }

    /// The policy of `domain` (lower-case A-labels, no trailing dot), fetched from its
    /// policy host, or why it could not be.
    pub async fn fetch(&self, domain: &str) -> Arc<Fetched> {
        let host = policy_host(domain);
        // A failure is a value here, never an `Err`, so the cache keeps it like a
        // success (`cache::Shared` drops errors at once).
        self.fetched
            .get_or_compute(&host, || async {
                Arc::new(fetch_policy(&self.dns, &host, &self.settings).await)
            })
            .await
    }
}

/// The policy host of `domain`: `mta-sts.<domain>` (RFC 8461 §3.2).
pub fn policy_host(domain: &str) -> String {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    format!("{POLICY_HOST_LABEL}.{domain}")
}

/// The URL a sender fetches `domain`'s policy from.
pub fn policy_url(domain: &str) -> String {
    format!("https://{}{POLICY_PATH}", policy_host(domain))
}

/// A fetch's facts and, when it succeeded, the policy text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub facts: PolicyFetch,
    /// The body, decoded as UTF-8, when `facts.status` is `Ok`.
    pub body: Option<String>,
}

/// What the fetch found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFetch {
    pub url: String,
    pub status: FetchStatus,
    /// Why the fetch failed, when it did; network text in it is bounded and has its
    /// control characters replaced.
    pub error: Option<String>,
    /// The address connected to, or the one the guard refused.
    pub address: Option<IpAddr>,
    pub http_status: Option<u16>,
    pub content_type: Option<String>,
    /// The Location of a 3xx answer, which is never followed (RFC 8461 §3.3).
    pub location: Option<String>,
    /// Facts of the certificate the policy host presented, checked for its name.
    pub cert: Option<CertFacts>,
}

impl PolicyFetch {
    fn new(url: String) -> Self {
        Self {
            url,
            status: FetchStatus::Ok,
            error: None,
            address: None,
            http_status: None,
            content_type: None,
            location: None,
            cert: None,
        }
    }
}

/// How a fetch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FetchStatus {
    /// A 200 answer, `text/plain`, UTF-8, within the size limit.
    Ok,
    /// The policy host has no A or AAAA record (NXDOMAIN or NODATA): nobody serves a
    /// policy.
    NoHost,
    /// The policy host's address lookup failed.
    DnsTemperror,
    /// The guard refused every address (the error says why).
    NotPublic,
    /// The connection was refused or the host unreachable.
    Connect,
    /// The connection, a read or the whole fetch ran out of time (the error says which).
    Timeout,
    /// The TLS handshake failed.
    Tls,
    /// The handshake completed, but the certificate is not valid for the policy host;
    /// no request was sent.
    Certificate,
    /// A status other than 200 and not a redirect.
    HttpStatus,
    /// A 3xx answer, never followed.
    Redirect,
    /// A Content-Type other than `text/plain`, or none.
    MediaType,
    /// A body over the size limit.
    TooLarge,
    /// A body that is not UTF-8.
    Encoding,
    /// Malformed HTTP, or the connection closed early.
    Protocol,
}

impl FetchStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// A failure that says nothing about the domain's configuration: the record becomes
    /// temperror, not invalid.
    pub fn transient(self) -> bool {
        matches!(self, Self::DnsTemperror | Self::Timeout)
    }
}

/// Why a fetch stopped short.
struct Fail {
    status: FetchStatus,
    error: String,
}

impl Fail {
    fn new(status: FetchStatus, error: impl Into<String>) -> Self {
        Self {
            status,
            error: error.into(),
        }
    }
}

/// Fetches the policy at `host`. Never fails: every trouble is in the facts.
async fn fetch_policy(dns: &Dns, host: &str, settings: &FetchSettings) -> Fetched {
    let mut facts = PolicyFetch::new(format!("https://{host}{POLICY_PATH}"));
    let deadline = Instant::now() + settings.total_timeout;
    let total = Fail::new(
        FetchStatus::Timeout,
        format!(
            "total fetch time of {} ms exceeded",
            settings.total_timeout.as_millis()
        ),
    );
    // Each step has its own limit too, which names what was waited for; this one bounds
    // what they do not (the DNS lookup, a server trickling data within each limit).
    let outcome = timeout_at(deadline, run(&mut facts, dns, host, settings, deadline))
        .await
        .unwrap_or(Err(total));
    match outcome {
        Ok(body) => Fetched {
            facts,
            body: Some(body),
        },
        Err(fail) => {
            facts.status = fail.status;
            facts.error = Some(fail.error);
            Fetched { facts, body: None }
        }
    }
}

/// The fetch's steps; the policy text when all went well.
async fn run(
    facts: &mut PolicyFetch,
    dns: &Dns,
    host: &str,
    settings: &FetchSettings,
    deadline: Instant,
) -> Result<String, Fail> {
    let addresses = resolve(dns, host).await?;
    let addr = match probe_address(&addresses, settings.guard) {
        Some(Ok(addr)) => addr,
        Some(Err(refused)) => {
            facts.address = Some(refused.address);
            return Err(Fail::new(
                FetchStatus::NotPublic,
                format!("not fetched: {refused}; --allow-nonpublic fetches it"),
            ));
        }
        None => return Err(Fail::new(FetchStatus::NoHost, "no address")),
    };
    facts.address = Some(addr.ip());
    let tcp = connect(addr, settings, deadline).await?;
    let tls = handshake(tcp, facts, host, settings, deadline).await?;
    request(tls, facts, host, settings, deadline).await
}

/// The policy host's addresses, A and AAAA (both follow CNAMEs). An answer of either
/// family is enough; a host with neither has no policy unless a lookup failed.
async fn resolve(dns: &Dns, host: &str) -> Result<Vec<IpAddr>, Fail> {
    let (a, aaaa) = tokio::join!(dns.a(host), dns.aaaa(host));
    let mut addresses: Vec<IpAddr> = Vec::new();
    let mut failures = Vec::new();
    if let Outcome::Answer(v4) = &a {
        addresses.extend(v4.iter().copied().map(IpAddr::from));
    }
    if let Outcome::Answer(v6) = &aaaa {
        addresses.extend(v6.iter().copied().map(IpAddr::from));
    }
    if !addresses.is_empty() {
        return Ok(addresses);
    }
    for (rtype, failure) in [
        ("A", a.describe_failure()),
        ("AAAA", aaaa.describe_failure()),
    ] {
        failures.push(format!("{rtype}: {}", failure.unwrap_or_default()));
    }
    let temporary = matches!(a, Outcome::TempFail(_)) || matches!(aaaa, Outcome::TempFail(_));
    let status = if temporary {
        FetchStatus::DnsTemperror
    } else {
        FetchStatus::NoHost
    };
    Err(Fail::new(
        status,
        format!("{host} has no address: {}", failures.join("; ")),
    ))
}

async fn connect(
    addr: Cleared,
    settings: &FetchSettings,
    deadline: Instant,
) -> Result<TcpStream, Fail> {
    let target = SocketAddr::new(addr.ip(), settings.port);
    within("connect", settings.connect_timeout, deadline, async {
        TcpStream::connect(target).await.map_err(|e| {
            let status = match e.kind() {
                io::ErrorKind::TimedOut => FetchStatus::Timeout,
                _ => FetchStatus::Connect,
            };
            Fail::new(status, format!("connect to {target}: {e}"))
        })
    })
    .await
}

/// The TLS handshake with SNI `host`, then the certificate check a sender makes (RFC 8461
/// §3.3: valid for the policy host's DNS-ID, chained to a trusted root, not expired).
/// The handshake accepts any chain so that the facts can say what was wrong with it;
/// over an invalid one no request is sent.
async fn handshake(
    tcp: TcpStream,
    facts: &mut PolicyFetch,
    host: &str,
    settings: &FetchSettings,
    deadline: Instant,
) -> Result<TlsStream<TcpStream>, Fail> {
    let server_name = ServerName::try_from(host.to_owned()).map_err(|_| {
        Fail::new(
            FetchStatus::Tls,
            "the policy host is not a valid TLS server name",
        )
    })?;
    let connector = TlsConnector::from(Arc::new(accept_any_config()));
    let tls = within("TLS handshake", settings.read_timeout, deadline, async {
        connector
            .connect(server_name, tcp)
            .await
            .map_err(|e| Fail::new(FetchStatus::Tls, clean(&tls_reason(&e))))
    })
    .await?;
    let (_, session) = tls.get_ref();
    let cert = session
        .peer_certificates()
        .and_then(|chain| cert_facts(chain, host, &settings.roots, SystemTime::now()));
    let Some(cert) = cert else {
        return Err(Fail::new(
            FetchStatus::Certificate,
            "no certificate presented",
        ));
    };
    let valid = cert.valid;
    let why = cert.error.clone();
    facts.cert = Some(cert);
    if !valid {
        return Err(Fail::new(
            FetchStatus::Certificate,
            format!(
                "certificate not valid for {host}: {}",
                why.as_deref().unwrap_or("unknown reason")
            ),
        ));
    }
    Ok(tls)
}

/// The GET and the answer: status, media type, body.
async fn request(
    tls: TlsStream<TcpStream>,
    facts: &mut PolicyFetch,
    host: &str,
    settings: &FetchSettings,
    deadline: Instant,
) -> Result<String, Fail> {
    let wait = settings.read_timeout;
    let (mut sender, conn) = within("HTTP set-up", wait, deadline, async {
        hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| Fail::new(FetchStatus::Protocol, describe(&e)))
    })
    .await?;
    let mut request = Request::get(POLICY_PATH)
        .body(Empty::<Bytes>::new())
        .map_err(|e| Fail::new(FetchStatus::Protocol, e.to_string()))?;
    let headers = request.headers_mut();
    headers.insert(
        HOST,
        HeaderValue::from_str(host).map_err(|_| {
            Fail::new(
                FetchStatus::Protocol,
                "the policy host is not a header value",
            )
        })?,
    );
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));

    let exchange = async {
        let response = within("response head", wait, deadline, async {
            sender
                .send_request(request)
                .await
                .map_err(|e| Fail::new(FetchStatus::Protocol, describe(&e)))
        })
        .await?;
        answer(response, facts, settings, deadline).await
    };
    // The connection future does the reading and writing the exchange waits for; it
    // ends when the server closes or breaks the connection, and the exchange then sees
    // its data or its error.
    let mut exchange = std::pin::pin!(exchange);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        biased;
        done = &mut exchange => return done,
        _ = &mut conn => {}
    }
    exchange.await
}

/// Judges the response head and reads the body. RFC 8461 §3.3: only a 200 answer holds
/// a policy and a 3xx is never followed; §3.2: the media type is `text/plain`.
async fn answer(
    response: Response<Incoming>,
    facts: &mut PolicyFetch,
    settings: &FetchSettings,
    deadline: Instant,
) -> Result<String, Fail> {
    let status = response.status();
    let headers = response.headers();
    facts.http_status = Some(status.as_u16());
    facts.content_type = headers.get(CONTENT_TYPE).map(header_text);
    if status.is_redirection() {
        facts.location = headers.get(LOCATION).map(header_text);
        return Err(Fail::new(
            FetchStatus::Redirect,
            format!(
                "HTTP {status}, redirect not followed (RFC 8461 §3.3) to {}",
                facts.location.as_deref().unwrap_or("no Location")
            ),
        ));
    }
    if status != StatusCode::OK {
        return Err(Fail::new(FetchStatus::HttpStatus, format!("HTTP {status}")));
    }
    match facts.content_type.as_deref() {
        Some(value) if is_text_plain(value) => {}
        Some(value) => {
            return Err(Fail::new(
                FetchStatus::MediaType,
                format!("media type {value}, not text/plain"),
            ));
        }
        None => {
            return Err(Fail::new(
                FetchStatus::MediaType,
                "no Content-Type, not text/plain",
            ));
        }
    }
    let too_large = || {
        Fail::new(
            FetchStatus::TooLarge,
            format!("body larger than {} bytes", settings.max_body),
        )
    };
    // A declared length over the cap ends the fetch before any of the body is read.
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > settings.max_body as u64) {
        return Err(too_large());
    }

    let mut body = Limited::new(response.into_body(), settings.max_body);
    let mut bytes = Vec::new();
    // Each frame brings data or ends the body; the deadline bounds the loop.
    loop {
        let frame = within("body", settings.read_timeout, deadline, async {
            Ok(body.frame().await)
        })
        .await?;
        match frame {
            None => break,
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    bytes.extend_from_slice(data);
                }
            }
            Some(Err(e)) if e.is::<LengthLimitError>() => return Err(too_large()),
            Some(Err(e)) => {
                return Err(Fail::new(
                    FetchStatus::Protocol,
                    format!("reading the body: {}", describe(&*e)),
                ));
            }
        }
    }
    String::from_utf8(bytes).map_err(|e| {
        Fail::new(
            FetchStatus::Encoding,
            format!("body is not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// Runs `step` until its own limit or the fetch's deadline, whichever comes first; a
/// timeout names `what` was waited for.
async fn within<T>(
    what: &str,
    limit: Duration,
    deadline: Instant,
    step: impl Future<Output = Result<T, Fail>>,
) -> Result<T, Fail> {
    let step_end = Instant::now() + limit;
    let (end, why) = if step_end < deadline {
        (
            step_end,
            format!("{what}: no progress within {} ms", limit.as_millis()),
        )
    } else {
        (deadline, format!("{what}: total fetch time exceeded"))
    };
    timeout_at(end, step)
        .await
        .unwrap_or_else(|_| Err(Fail::new(FetchStatus::Timeout, why)))
}

/// Whether a Content-Type value names `text/plain`: the media type is matched without
/// regard to case and its parameters (a charset, say) are ignored (RFC 8461 §3.2,
/// RFC 9110 §8.3.1).
fn is_text_plain(value: &str) -> bool {
    let media_type = value.split(';').next().unwrap_or("").trim();
    media_type.eq_ignore_ascii_case("text/plain")
}

/// A header value as bounded, printable text (it need not be UTF-8).
fn header_text(value: &HeaderValue) -> String {
    clean(&String::from_utf8_lossy(value.as_bytes()))
}

/// An error and its causes, one after the other, as bounded text.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    // Causes nest a handful deep; the bound only guards against a cycle.
    for _ in 0..8 {
        let Some(cause) = source else { break };
        text.push_str(": ");
        // rustls's words for a bare TCP close run long and end in a URL.
        let eof = cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::UnexpectedEof);
        if eof {
            text.push_str("closed without TLS close_notify");
            break;
        }
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    clean(&text)
}

/// At most [`MAX_QUOTE`] characters of `text`, control characters made spaces: server
/// text ends up in CSV cells and terminals.
fn clean(text: &str) -> String {
    text.chars()
        .take(MAX_QUOTE)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_is_text_plain_whatever_its_case_and_parameters() {
        let cases = [
            ("text/plain", true),
            ("TEXT/Plain", true),
            ("text/plain; charset=utf-8", true),
            ("text/plain;charset=us-ascii", true),
            (" text/plain ; format=flowed", true),
            ("text/html", false),
            ("text/plain-but-not", false),
            ("application/octet-stream", false),
            ("text", false),
            ("", false),
            ("text/plain\u{0}", false),
        ];
        for (value, want) in cases {
            assert_eq!(is_text_plain(value), want, "{value:?}");
        }
    }

    #[test]
    fn policy_host_and_url() {
        assert_eq!(policy_host("example.com"), "mta-sts.example.com");
        assert_eq!(policy_host("Example.COM."), "mta-sts.example.com");
        assert_eq!(
            policy_url("example.com"),
            "https://mta-sts.example.com/.well-known/mta-sts.txt"
        );
    }

    #[test]
    fn network_text_is_bounded_and_has_no_control_characters() {
        let hostile = format!("a\u{1b}[31mb\r\nc{}", "x".repeat(1000));
        let cleaned = clean(&hostile);
        assert_eq!(cleaned.chars().count(), MAX_QUOTE);
        assert!(cleaned.starts_with("a [31mb  c"));
        assert!(!cleaned.chars().any(char::is_control));
    }

    #[test]
    fn only_dns_failures_and_timeouts_are_transient() {
        use strum::VariantArray;
        let transient: Vec<_> = FetchStatus::VARIANTS
            .iter()
            .filter(|s| s.transient())
            .collect();
        assert_eq!(
            transient,
            [&FetchStatus::DnsTemperror, &FetchStatus::Timeout]
        );
    }

    /// The names of the record format, each variant once.
    #[test]
    fn fetch_status_names_are_the_documented_ones() {
        let names = [
            (FetchStatus::Ok, "ok"),
            (FetchStatus::NoHost, "no_host"),
            (FetchStatus::DnsTemperror, "dns_temperror"),
            (FetchStatus::NotPublic, "not_public"),
            (FetchStatus::Connect, "connect"),
            (FetchStatus::Timeout, "timeout"),
            (FetchStatus::Tls, "tls"),
            (FetchStatus::Certificate, "certificate"),
            (FetchStatus::HttpStatus, "http_status"),
            (FetchStatus::Redirect, "redirect"),
            (FetchStatus::MediaType, "media_type"),
            (FetchStatus::TooLarge, "too_large"),
            (FetchStatus::Encoding, "encoding"),
            (FetchStatus::Protocol, "protocol"),
        ];
        crate::names::assert_serde_named(&names, FetchStatus::as_str);
    }
}
