//! A tiny SMTP peer on a loopback address: a configurable greeting and EHLO reply,
//! STARTTLS with a given certificate chain, and hostile behaviours (silent, dribbling,
//! endless line). It logs the commands it receives and counts connections.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use time::OffsetDateTime;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

/// Commands one connection may send before the server hangs up.
const MAX_COMMANDS: usize = 20;
/// How long the server waits for a command, or stays silent.
const IDLE: Duration = Duration::from_secs(10);
/// Bytes sent one at a time by [`Behaviour::Dribble`].
const DRIBBLE_BYTES: usize = 40;
/// Kibibytes of one line sent by [`Behaviour::EndlessLine`].
const ENDLESS_KIB: usize = 256;

/// What the server does once a connection is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Speaks SMTP as configured.
    Normal,
    /// Accepts and never says anything.
    Silent,
    /// Greets, then answers EHLO one byte every 500 ms.
    Dribble,
    /// Sends a greeting line that does not end (bounded at [`ENDLESS_KIB`] KiB).
    EndlessLine,
    /// Offers STARTTLS but answers it with 454.
    RefuseStarttls,
    /// Answers STARTTLS with 220 and, in the same write, a further reply: plaintext
    /// the client would read as if it came inside TLS.
    InjectAfterStarttls,
    /// Answers STARTTLS with 220, then the ClientHello with a fatal protocol_version
    /// alert, as a server that speaks only TLS 1.0 or 1.1 does.
    AlertAfterStarttls,
}

impl Behaviour {
    /// Whether the behaviour is about STARTTLS, so the server offers it without a
    /// certificate.
    fn fakes_starttls(self) -> bool {
        matches!(
            self,
            Self::RefuseStarttls | Self::InjectAfterStarttls | Self::AlertAfterStarttls
        )
    }
}

/// A certificate chain (end-entity first) and its key.
pub struct TlsIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

#[derive(Default)]
pub struct SmtpConfig {
    /// Greeting lines: a multi-line reply when there are several.
    pub greeting: Vec<String>,
    /// The greeting's code, 220 when `None`; the server hangs up after any other.
    pub greeting_code: Option<u16>,
    /// EHLO extension keywords, after the first line of the reply.
    pub capabilities: Vec<String>,
    /// Offered with STARTTLS when `capabilities` lists it.
    pub tls: Option<TlsIdentity>,
    /// Only TLS 1.2, no 1.3.
    pub tls12_only: bool,
    pub behaviour: Option<Behaviour>,
}

impl SmtpConfig {
    /// A plain server greeting as `mx.test.example`, with the given extensions.
    pub fn with_capabilities(capabilities: &[&str]) -> Self {
        Self {
            greeting: vec!["mx.test.example ESMTP test".into()],
            capabilities: capabilities.iter().map(|c| c.to_string()).collect(),
            ..Self::default()
        }
    }

    /// A server offering STARTTLS with `identity`.
    pub fn with_tls(identity: TlsIdentity) -> Self {
        Self {
            tls: Some(identity),
            ..Self::with_capabilities(&["PIPELINING", "SIZE 10240000", "STARTTLS", "8BITMIME"])
        }
    }

    pub fn behaving(behaviour: Behaviour) -> Self {
        Self {
            behaviour: Some(behaviour),
            ..Self::with_capabilities(&["STARTTLS"])
        }
    }
}

pub struct SmtpServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    commands: Arc<Mutex<Vec<String>>>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl SmtpServer {
    /// Listens on `ip` at an ephemeral port.
    pub async fn start(ip: Ipv4Addr, config: SmtpConfig) -> Self {
        Self::start_at(SocketAddr::from((ip, 0)), config).await
    }

    /// Listens at `addr`; several servers on one port (a scan probes one port) need
    /// distinct addresses.
    pub async fn start_at(addr: SocketAddr, config: SmtpConfig) -> Self {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let commands = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = oneshot::channel();
        let acceptor = config.tls.as_ref().map(|identity| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let versions: &[&rustls::SupportedProtocolVersion] = if config.tls12_only {
                &[&rustls::version::TLS12]
            } else {
                rustls::DEFAULT_VERSIONS
            };
            let tls = rustls::ServerConfig::builder_with_provider(provider)
                .with_protocol_versions(versions)
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(identity.chain.clone(), identity.key.clone_key())
                .unwrap();
            TlsAcceptor::from(Arc::new(tls))
        });
        let config = Arc::new(config);
        let task = {
            let (accepted, commands) = (Arc::clone(&accepted), Arc::clone(&commands));
            tokio::spawn(async move {
                let mut connections = JoinSet::new();
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        conn = listener.accept() => {
                            let Ok((tcp, _)) = conn else { break };
                            accepted.fetch_add(1, Ordering::SeqCst);
                            let peer = Peer {
                                config: Arc::clone(&config),
                                acceptor: acceptor.clone(),
                                commands: Arc::clone(&commands),
                            };
                            connections.spawn(peer.serve(tcp));
                        }
                    }
                }
                // Dropping the set would abort too; shutting down waits for it.
                connections.shutdown().await;
            })
        };
        Self {
            addr,
            accepted,
            commands,
            stop,
            task,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Command lines received so far, over all connections.
    pub fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }

    /// Stops listening and ends every open connection.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }
}

struct Peer {
    config: Arc<SmtpConfig>,
    acceptor: Option<TlsAcceptor>,
    commands: Arc<Mutex<Vec<String>>>,
}

enum Next {
    Starttls,
    Done,
}

impl Peer {
    async fn serve(self, mut tcp: TcpStream) {
        match self.config.behaviour.unwrap_or(Behaviour::Normal) {
            Behaviour::Silent => {
                let mut byte = [0; 1];
                let _ = tokio::time::timeout(IDLE, tcp.read(&mut byte)).await;
                return;
            }
            Behaviour::EndlessLine => {
                let chunk = [b'x'; 1024];
                let _ = tcp.write_all(b"220 ").await;
                for _ in 0..ENDLESS_KIB {
                    if tcp.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
                return;
            }
            _ => {}
        }
        let mut conn = BufReader::new(tcp);
        let code = self.config.greeting_code.unwrap_or(220);
        let greeting = reply(code, &self.config.greeting);
        if conn.get_mut().write_all(greeting.as_bytes()).await.is_err() || code != 220 {
            return;
        }
        if !matches!(self.dialogue(&mut conn, false).await, Next::Starttls) {
            return;
        }
        let Some(acceptor) = &self.acceptor else {
            return;
        };
        let Ok(Ok(tls)) = tokio::time::timeout(IDLE, acceptor.accept(conn.into_inner())).await
        else {
            return;
        };
        let mut conn = BufReader::new(tls);
        self.dialogue(&mut conn, true).await;
        let _ = conn.get_mut().shutdown().await;
    }

    /// Answers commands until QUIT, STARTTLS, silence or [`MAX_COMMANDS`].
    async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        conn: &mut BufReader<S>,
        in_tls: bool,
    ) -> Next {
        for _ in 0..MAX_COMMANDS {
            let mut line = String::new();
            let mut limited = (&mut *conn).take(1024);
            let read = tokio::time::timeout(IDLE, limited.read_line(&mut line)).await;
            match read {
                Ok(Ok(n)) if n > 0 => {}
                _ => return Next::Done,
            }
            let line = line.trim_end().to_owned();
            self.commands.lock().unwrap().push(line.clone());
            let verb = line
                .split_ascii_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let behaviour = self.config.behaviour.unwrap_or(Behaviour::Normal);
            let offers_tls = !in_tls && (self.acceptor.is_some() || behaviour.fakes_starttls());
            let answer = match verb.as_str() {
                "EHLO" => {
                    let mut lines = vec!["mx.test.example greets you".to_owned()];
                    lines.extend(
                        self.config
                            .capabilities
                            .iter()
                            .filter(|c| offers_tls || !c.eq_ignore_ascii_case("STARTTLS"))
                            .cloned(),
                    );
                    let text = reply(250, &lines);
                    if self.config.behaviour == Some(Behaviour::Dribble) {
                        dribble(conn.get_mut(), text.as_bytes()).await;
                        return Next::Done;
                    }
                    text
                }
                "STARTTLS" if offers_tls => match behaviour {
                    Behaviour::RefuseStarttls => "454 4.7.0 TLS not available\r\n".to_owned(),
                    Behaviour::InjectAfterStarttls => {
                        let both = b"220 2.0.0 go ahead\r\n250 2.0.0 injected\r\n";
                        let _ = conn.get_mut().write_all(both).await;
                        return Next::Done;
                    }
                    Behaviour::AlertAfterStarttls => {
                        let _ = conn.get_mut().write_all(b"220 2.0.0 go ahead\r\n").await;
                        let mut hello = [0; 512];
                        let _ = tokio::time::timeout(IDLE, conn.read(&mut hello)).await;
                        // A TLS 1.0 alert record: fatal (2), protocol_version (70).
                        let _ = conn.get_mut().write_all(&[0x15, 3, 1, 0, 2, 2, 70]).await;
                        return Next::Done;
                    }
                    _ => {
                        let _ = conn.get_mut().write_all(b"220 2.0.0 go ahead\r\n").await;
                        return Next::Starttls;
                    }
                },
                "QUIT" => {
                    let _ = conn.get_mut().write_all(b"221 2.0.0 bye\r\n").await;
                    return Next::Done;
                }
                _ => "502 5.5.1 not implemented\r\n".to_owned(),
            };
            if conn.get_mut().write_all(answer.as_bytes()).await.is_err() {
                return Next::Done;
            }
        }
        Next::Done
    }
}

/// `lines` as one reply with `code`, continuation lines marked with `-`.
fn reply(code: u16, lines: &[String]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let sep = if i + 1 == lines.len() { ' ' } else { '-' };
        out.push_str(&format!("{code}{sep}{line}\r\n"));
    }
    out
}

/// Sends `bytes` one at a time, 500 ms apart, at most [`DRIBBLE_BYTES`] of them.
async fn dribble<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) {
    for byte in bytes.iter().take(DRIBBLE_BYTES) {
        if stream.write_all(&[*byte]).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A test certificate authority and the server certificates it issues.
pub struct TestPki {
    ca: CertificateDer<'static>,
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestPki {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "mailposture test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&key).unwrap();
        Self {
            ca: ca.der().clone(),
            ca_pem: ca.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A store trusting only this CA.
    pub fn roots(&self) -> Arc<RootCertStore> {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.clone()).unwrap();
        Arc::new(roots)
    }

    /// The CA's certificate as PEM, for `--ca-file`.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A server certificate for `name`, valid from a month ago for a year.
    pub fn leaf(&self, name: &str) -> TlsIdentity {
        self.issue(name, 365)
    }

    /// A server certificate for `name` that expired two days ago.
    pub fn expired_leaf(&self, name: &str) -> TlsIdentity {
        self.issue(name, -2)
    }

    fn issue(&self, name: &str, days_left: i64) -> TlsIdentity {
        let mut params = server_params(name, days_left);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        TlsIdentity {
            chain: vec![cert.der().clone(), self.ca.clone()],
            key: key.into(),
        }
    }
}

/// A self-signed server certificate for `name`.
pub fn self_signed(name: &str) -> TlsIdentity {
    let params = server_params(name, 365);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    TlsIdentity {
        chain: vec![cert.der().clone()],
        key: key.into(),
    }
}

fn server_params(name: &str, days_left: i64) -> CertificateParams {
    let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(30);
    params.not_after = now + time::Duration::days(days_left);
    params
}
