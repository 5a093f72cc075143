//! The probe itself: connect, read the greeting, EHLO, STARTTLS, handshake, QUIT, each
//! step bounded in time and in bytes read.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::ProtocolVersion;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsConnector;

use super::{Phase, ProbeSettings, Starttls, StarttlsStatus, cert_facts};
use crate::net::Cleared;
use crate::tls::{accept_any_config, tls_reason};

/// Longest reply line accepted, CRLF included. RFC 5321 §4.5.3.1.5 sets 512 octets for
/// reply lines; real servers exceed it a little, so the cap is looser, but a line
/// longer than this is not SMTP.
pub const MAX_LINE: usize = 1000;
/// Most lines in one reply; an EHLO reply has one per extension, a few dozen at most.
pub const MAX_REPLY_LINES: usize = 100;
/// Most octets in one reply.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;
/// Longest banner kept, in characters.
const MAX_BANNER: usize = 200;
/// Longest server text quoted in an error, in characters.
const MAX_QUOTE: usize = 120;
/// Time left for QUIT at the end; its answer changes nothing, so it gets little.
const QUIT_TIMEOUT: Duration = Duration::from_secs(2);

/// One SMTP reply: its code and the text of each line, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

/// Why a reply could not be read.
#[derive(Debug)]
pub enum ReplyError {
    Io(io::Error),
    /// The server closed the connection before the reply was complete.
    Closed,
    /// A line longer than [`MAX_LINE`].
    LineTooLong,
    /// More than [`MAX_REPLY_LINES`] lines or [`MAX_REPLY_BYTES`] octets.
    TooLarge,
    /// A line that is not a reply line, or a code that changes within a reply.
    Syntax(String),
}

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "read error: {e}"),
            Self::Closed => f.write_str("connection closed by the server"),
            Self::LineTooLong => write!(f, "reply line longer than {MAX_LINE} octets"),
            Self::TooLarge => write!(
                f,
                "reply longer than {MAX_REPLY_LINES} lines or {MAX_REPLY_BYTES} octets"
            ),
            Self::Syntax(s) => write!(f, "malformed reply: {s}"),
        }
    }
}

/// Parses one reply line (CRLF removed) into its code, whether it is the last line of
/// the reply, and its text. RFC 5321 §4.2:
///
/// ```text
/// Reply-line = *( Reply-code "-" [ textstring ] CRLF )
///              Reply-code [ SP textstring ] CRLF
/// Reply-code = %x32-35 %x30-35 %x30-39
/// ```
///
/// The second digit is accepted up to 9: a scanner reports on the server's TLS, not on
/// its choice of codes.
pub fn parse_reply_line(line: &str) -> Result<(u16, bool, &str), String> {
    let bytes = line.as_bytes();
    let code_ok = bytes.len() >= 3
        && (b'2'..=b'5').contains(&bytes[0])
        && bytes[1].is_ascii_digit()
        && bytes[2].is_ascii_digit();
    if !code_ok {
        return Err(format!("no reply code in {:?}", quote(line)));
    }
    let code = line[..3].parse().map_err(|_| "no reply code".to_owned())?;
    match bytes.get(3) {
        None => Ok((code, true, "")),
        Some(b' ') => Ok((code, true, &line[4..])),
        Some(b'-') => Ok((code, false, &line[4..])),
        Some(_) => Err(format!("bad separator after the code in {:?}", quote(line))),
    }
}

/// Reads one line of at most [`MAX_LINE`] octets, without its line end. A bare LF ends
/// a line too: the lenience costs nothing here.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<String, ReplyError> {
    let mut line = Vec::new();
    loop {
        let available = reader.fill_buf().await.map_err(ReplyError::Io)?;
        if available.is_empty() {
            return Err(ReplyError::Closed);
        }
        let (take, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if line.len() + take > MAX_LINE {
            return Err(ReplyError::LineTooLong);
        }
        line.extend_from_slice(&available[..take]);
        reader.consume(take);
        if done {
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            return Ok(String::from_utf8_lossy(&line).into_owned());
        }
    }
}

/// Reads one whole reply, single- or multi-line (RFC 5321 §4.2.1: every line but the
/// last has a hyphen after the code, and all carry the same code).
pub async fn read_reply<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<Reply, ReplyError> {
    let mut lines = Vec::new();
    let mut size = 0;
    let mut code = None;
    loop {
        if lines.len() == MAX_REPLY_LINES {
            return Err(ReplyError::TooLarge);
        }
        let line = read_line(reader).await?;
        size += line.len() + 2;
        if size > MAX_REPLY_BYTES {
            return Err(ReplyError::TooLarge);
        }
        let (this, last, text) = parse_reply_line(&line).map_err(ReplyError::Syntax)?;
        if code.is_some_and(|c| c != this) {
            return Err(ReplyError::Syntax(format!(
                "code changes within a reply: {:?}",
                quote(&line)
            )));
        }
        code = Some(this);
        lines.push(text.to_owned());
        if last {
            return Ok(Reply { code: this, lines });
        }
    }
}

/// Probes STARTTLS at `addr` for the MX host `mx_name`, the name the certificate is
/// checked against and sent as SNI. Never fails: every trouble is in the record.
pub async fn probe(addr: Cleared, mx_name: &str, settings: &ProbeSettings) -> Starttls {
    let mut record = Starttls::with_status(StarttlsStatus::Ok);
    let deadline = Instant::now() + settings.total_timeout;
    match run(&mut record, addr, mx_name, settings, deadline).await {
        Ok(status) => record.status = status,
        Err(fail) => {
            record.status = fail.status;
            record.phase = Some(fail.phase);
            record.error = Some(fail.error);
        }
    }
    record
}

/// Where and why a probe stopped short.
struct Fail {
    status: StarttlsStatus,
    phase: Phase,
    error: String,
}

impl Fail {
    fn new(status: StarttlsStatus, phase: Phase, error: impl Into<String>) -> Self {
        Self {
            status,
            phase,
            error: error.into(),
        }
    }
}

/// The probe's steps: connect, the plaintext exchange up to STARTTLS, the handshake.
async fn run(
    record: &mut Starttls,
    addr: Cleared,
    mx_name: &str,
    settings: &ProbeSettings,
    deadline: Instant,
) -> Result<StarttlsStatus, Fail> {
    let tcp = connect(addr, settings, deadline).await?;
    let Some(tcp) = negotiate(tcp, record, settings, deadline).await? else {
        return Ok(StarttlsStatus::NotOffered);
    };
    handshake(tcp, record, addr, mx_name, settings, deadline).await?;
    Ok(StarttlsStatus::Ok)
}

async fn connect(
    addr: Cleared,
    settings: &ProbeSettings,
    deadline: Instant,
) -> Result<TcpStream, Fail> {
    let target = SocketAddr::new(addr.ip(), settings.port);
    within(Phase::Connect, settings.connect_timeout, deadline, async {
        TcpStream::connect(target).await.map_err(|e| {
            // The status set has no "unreachable": an ICMP error means, as a refusal
            // does, that nothing would take the mail there; the text keeps the cause.
            let status = match e.kind() {
                io::ErrorKind::TimedOut => StarttlsStatus::Timeout,
                _ => StarttlsStatus::Refused,
            };
            Fail::new(status, Phase::Connect, e.to_string())
        })
    })
    .await
}

/// The plaintext exchange: greeting, EHLO, and STARTTLS when offered. The connection,
/// ready for the TLS handshake, or `None` when STARTTLS is not offered (the session
/// then ended with QUIT).
async fn negotiate(
    tcp: TcpStream,
    record: &mut Starttls,
    settings: &ProbeSettings,
    deadline: Instant,
) -> Result<Option<TcpStream>, Fail> {
    let mut conn = BufReader::new(tcp);
    let wait = settings.reply_timeout;

    let greeting = within(
        Phase::Greeting,
        wait,
        deadline,
        exchange(&mut conn, None, Phase::Greeting),
    )
    .await?;
    // A 4xx/5xx greeting (typically 554 "no SMTP service here", RFC 5321 §3.1, or 421)
    // is the server declining the session: `refused`, as a closed port is. Any other
    // code is not a greeting at all.
    match greeting.code {
        220 => record.banner = Some(banner(&greeting)),
        400..=599 => return Err(declined(Phase::Greeting, &greeting)),
        _ => return Err(unexpected(Phase::Greeting, &greeting)),
    }

    let ehlo_cmd = format!("EHLO {}\r\n", settings.helo);
    let ehlo = within(
        Phase::Ehlo,
        wait,
        deadline,
        exchange(&mut conn, Some(&ehlo_cmd), Phase::Ehlo),
    )
    .await?;
    let offered = match ehlo.code {
        // The first line is the server's name; each further line one extension
        // keyword with its parameters (RFC 5321 §4.1.1.1).
        250 => ehlo.lines.iter().skip(1).any(|line| {
            line.split_ascii_whitespace()
                .next()
                .is_some_and(|keyword| keyword.eq_ignore_ascii_case("STARTTLS"))
        }),
        // EHLO not recognised or not implemented: an SMTP server without extensions,
        // which therefore has no STARTTLS (RFC 3207 §4 needs EHLO).
        500 | 502 => false,
        400..=599 => return Err(declined(Phase::Ehlo, &ehlo)),
        _ => return Err(unexpected(Phase::Ehlo, &ehlo)),
    };
    record.advertised = Some(offered);
    if !offered {
        quit(&mut conn, deadline).await;
        return Ok(None);
    }

    let reply = within(
        Phase::Starttls,
        wait,
        deadline,
        exchange(&mut conn, Some("STARTTLS\r\n"), Phase::Starttls),
    )
    .await?;
    match reply.code {
        220 => {}
        // 454 "TLS not available due to temporary reason" and kin (RFC 3207 §4).
        400..=599 => return Err(declined(Phase::Starttls, &reply)),
        _ => return Err(unexpected(Phase::Starttls, &reply)),
    }
    // Bytes after the 220 would be read as if they came inside TLS: the plaintext
    // injection of CVE-2011-0411. RFC 3207 §4 has the server start TLS right after 220.
    if !conn.buffer().is_empty() {
        return Err(Fail::new(
            StarttlsStatus::ProtocolError,
            Phase::Starttls,
            "data after the 220 reply to STARTTLS, before the TLS handshake",
        ));
    }
    Ok(Some(conn.into_inner()))
}

/// The TLS handshake on the connection STARTTLS opened, and what it tells: version,
/// cipher, certificate.
async fn handshake(
    tcp: TcpStream,
    record: &mut Starttls,
    addr: Cleared,
    mx_name: &str,
    settings: &ProbeSettings,
    deadline: Instant,
) -> Result<(), Fail> {
    // A name that is not a DNS name (an address literal) is sent as no SNI at all.
    let server_name = ServerName::try_from(mx_name.to_owned())
        .unwrap_or_else(|_| ServerName::IpAddress(addr.ip().into()));
    let connector = TlsConnector::from(Arc::new(accept_any_config()));
    let tls = within(
        Phase::Handshake,
        settings.handshake_timeout,
        deadline,
        async {
            connector.connect(server_name, tcp).await.map_err(|e| {
                Fail::new(
                    StarttlsStatus::HandshakeFailed,
                    Phase::Handshake,
                    tls_reason(&e),
                )
            })
        },
    )
    .await?;

    let (_, session) = tls.get_ref();
    record.tls_version = session.protocol_version().map(version_name);
    record.cipher = session
        .negotiated_cipher_suite()
        .map(|suite| format!("{:?}", suite.suite()));
    if let Some(chain) = session.peer_certificates() {
        record.cert = cert_facts(chain, mx_name, &settings.roots, SystemTime::now());
        record.chain = chain
            .iter()
            .take(MAX_CHAIN)
            .map(|c| c.clone().into_owned())
            .collect();
    }
    let mut conn = BufReader::new(tls);
    quit(&mut conn, deadline).await;
    Ok(())
}

/// Certificates of a presented chain kept for DANE (RFC 7672 §3.2): real chains hold
/// two to four, and a hostile server's longer one is cut rather than held in memory.
const MAX_CHAIN: usize = 8;

/// Runs `step` of `phase` until its own limit or the probe's deadline, whichever comes
/// first.
async fn within<T>(
    phase: Phase,
    limit: Duration,
    deadline: Instant,
    step: impl Future<Output = Result<T, Fail>>,
) -> Result<T, Fail> {
    let phase_end = Instant::now() + limit;
    let (end, why) = if phase_end < deadline {
        (
            phase_end,
            format!("no answer within {} ms", limit.as_millis()),
        )
    } else {
        (deadline, "total probe time exceeded".to_owned())
    };
    timeout_at(end, step)
        .await
        .unwrap_or_else(|_| Err(Fail::new(StarttlsStatus::Timeout, phase, why)))
}

/// Sends `command` (if any) and reads the whole reply. The caller's timeout covers both,
/// so a server that sends one byte at a time cannot stretch the phase.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut BufReader<S>,
    command: Option<&str>,
    phase: Phase,
) -> Result<Reply, Fail> {
    if let Some(command) = command {
        let sent = async {
            conn.get_mut().write_all(command.as_bytes()).await?;
            conn.get_mut().flush().await
        };
        sent.await.map_err(|e| {
            Fail::new(
                StarttlsStatus::ProtocolError,
                phase,
                format!("write error: {e}"),
            )
        })?;
    }
    read_reply(conn).await.map_err(|e| {
        // A server that hangs up before greeting is turning the client away (typical
        // of blocklists); hanging up later, or any malformed reply, is a protocol error.
        let status = match (&e, phase) {
            (ReplyError::Closed | ReplyError::Io(_), Phase::Greeting) => StarttlsStatus::Refused,
            _ => StarttlsStatus::ProtocolError,
        };
        Fail::new(status, phase, e.to_string())
    })
}

/// Says goodbye, best effort: over TLS after a handshake, in the clear otherwise. Its
/// answer changes nothing, so trouble here is ignored and the time it may take is small.
async fn quit<S: AsyncRead + AsyncWrite + Unpin>(conn: &mut BufReader<S>, deadline: Instant) {
    let end = deadline.min(Instant::now() + QUIT_TIMEOUT);
    let _ = timeout_at(end, async {
        conn.get_mut().write_all(b"QUIT\r\n").await?;
        conn.get_mut().flush().await?;
        let _ = read_reply(conn).await;
        conn.get_mut().shutdown().await
    })
    .await;
}

fn declined(phase: Phase, reply: &Reply) -> Fail {
    Fail::new(StarttlsStatus::Refused, phase, describe(reply))
}

fn unexpected(phase: Phase, reply: &Reply) -> Fail {
    Fail::new(
        StarttlsStatus::ProtocolError,
        phase,
        format!("unexpected reply {}", describe(reply)),
    )
}

/// `554 first line of text`, bounded.
fn describe(reply: &Reply) -> String {
    let text = reply.lines.first().map_or("", |l| l.trim());
    format!("{} {}", reply.code, quote(text))
}

fn banner(reply: &Reply) -> String {
    clean(reply.lines.first().map_or("", |l| l.trim()), MAX_BANNER)
}

fn quote(text: &str) -> String {
    clean(text, MAX_QUOTE)
}

/// At most `max` characters of `text`, control characters made spaces: server text
/// ends up in CSV cells and terminals.
fn clean(text: &str, max: usize) -> String {
    text.chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn version_name(version: ProtocolVersion) -> String {
    match version {
        ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
        ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines() {
        type Parsed = Result<(u16, bool, &'static str), ()>;
        let cases: &[(&str, Parsed)] = &[
            (
                "220 mx.example.com ESMTP",
                Ok((220, true, "mx.example.com ESMTP")),
            ),
            ("250-STARTTLS", Ok((250, false, "STARTTLS"))),
            ("250", Ok((250, true, ""))),
            ("250-", Ok((250, false, ""))),
            ("554 ", Ok((554, true, ""))),
            ("421 4.3.2 busy", Ok((421, true, "4.3.2 busy"))),
            ("", Err(())),
            ("25", Err(())),
            ("150 no", Err(())),
            ("650 no", Err(())),
            ("2x0 no", Err(())),
            ("250_STARTTLS", Err(())),
            ("hello", Err(())),
        ];
        for (line, want) in cases {
            let got = parse_reply_line(line).map_err(|_| ());
            assert_eq!(&got, want, "{line:?}");
        }
    }

    async fn read(input: &[u8]) -> Result<Reply, ReplyError> {
        let mut reader = input;
        read_reply(&mut reader).await
    }

    #[tokio::test]
    async fn multi_line_reply() {
        let reply = read(b"250-mx.example.com hello\r\n250-SIZE 1000\r\n250 STARTTLS\r\nleft")
            .await
            .unwrap();
        assert_eq!(reply.code, 250);
        assert_eq!(
            reply.lines,
            ["mx.example.com hello", "SIZE 1000", "STARTTLS"]
        );
        // A bare LF ends a line as well.
        let reply = read(b"220-one\n220 two\n").await.unwrap();
        assert_eq!(reply.lines, ["one", "two"]);
    }

    #[tokio::test]
    async fn bad_replies() {
        let long = format!("220 {}\r\n", "x".repeat(MAX_LINE));
        let many = "250-x\r\n".repeat(MAX_REPLY_LINES + 1);
        let cases: Vec<(&[u8], &str)> = vec![
            (b"", "closed"),
            (b"220-first\r\n", "closed"),
            (b"220 no line end", "closed"),
            (long.as_bytes(), "long"),
            (many.as_bytes(), "large"),
            (b"250-one\r\n251 two\r\n", "syntax"),
            (b"hello\r\n", "syntax"),
        ];
        for (input, want) in cases {
            let got = match read(input).await {
                Err(ReplyError::Closed) => "closed",
                Err(ReplyError::LineTooLong) => "long",
                Err(ReplyError::TooLarge) => "large",
                Err(ReplyError::Syntax(_)) => "syntax",
                other => panic!("{other:?}"),
            };
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(input));
        }
    }
}
