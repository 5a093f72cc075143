//! The STARTTLS probe against the in-process SMTP server: one loopback address per
//! case (127.25.0.x), short timeouts, every server stopped at the end.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mailposture::net::{Cleared, Guard};
use mailposture::smtp::{Phase, ProbeSettings, Starttls, StarttlsStatus, probe};

use crate::support::{Behaviour, SmtpConfig, SmtpServer, TestPki, self_signed};

const MX: &str = "mx.test.example";

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 25, 0, last)
}

/// `ip(last)`, cleared for a connection though it is loopback.
fn cleared(last: u8) -> Cleared {
    Guard::ALLOW_NONPUBLIC
        .check(IpAddr::V4(ip(last)))
        .expect("allowed")
}

/// Short timeouts so that hostile cases end quickly.
fn settings(port: u16, roots: Arc<rustls::RootCertStore>) -> ProbeSettings {
    ProbeSettings {
        port,
        helo: "scanner.test.example".into(),
        connect_timeout: Duration::from_secs(1),
        reply_timeout: Duration::from_millis(300),
        handshake_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        roots,
    }
}

/// Starts a server on `last`, probes it as [`MX`], checks it never saw MAIL FROM, and
/// stops it.
async fn probe_server(last: u8, config: SmtpConfig, pki: &TestPki) -> (Starttls, Vec<String>) {
    probe_with(last, config, |port| settings(port, pki.roots())).await
}

async fn probe_with(
    last: u8,
    config: SmtpConfig,
    settings: impl FnOnce(u16) -> ProbeSettings,
) -> (Starttls, Vec<String>) {
    let server = SmtpServer::start(ip(last), config).await;
    let result = probe(cleared(last), MX, &settings(server.port())).await;
    let commands = server.commands();
    assert_eq!(server.accepted(), 1);
    server.stop().await;
    assert!(
        !commands
            .iter()
            .any(|c| c.to_ascii_uppercase().starts_with("MAIL")),
        "{commands:?}"
    );
    (result, commands)
}

#[tokio::test]
async fn valid_chain() {
    let pki = TestPki::new();
    let (result, commands) = probe_server(1, SmtpConfig::with_tls(pki.leaf(MX)), &pki).await;
    assert_eq!(result.status, StarttlsStatus::Ok, "{result:?}");
    assert_eq!(result.phase, None);
    assert_eq!(result.error, None);
    assert_eq!(result.banner.as_deref(), Some("mx.test.example ESMTP test"));
    assert_eq!(result.advertised, Some(true));
    assert_eq!(result.tls_version.as_deref(), Some("TLSv1.3"));
    assert!(
        result.cipher.as_deref().unwrap().starts_with("TLS13_"),
        "{result:?}"
    );
    let cert = result.cert.unwrap();
    assert!(
        cert.valid && cert.chain_valid && cert.hostname_match,
        "{cert:?}"
    );
    assert_eq!(cert.error, None);
    assert!(!cert.expired && !cert.self_signed);
    assert!((363..=365).contains(&cert.days_to_expiry), "{cert:?}");
    assert!(cert.not_after.ends_with('Z'), "{}", cert.not_after);
    assert_eq!(cert.subject, "CN=mx.test.example");
    assert_eq!(cert.issuer, "CN=mailposture test CA");
    // QUIT went over TLS, after STARTTLS.
    assert_eq!(commands, ["EHLO scanner.test.example", "STARTTLS", "QUIT"]);
}

#[tokio::test]
async fn self_signed_certificate() {
    let pki = TestPki::new();
    let (result, _) = probe_server(2, SmtpConfig::with_tls(self_signed(MX)), &pki).await;
    assert_eq!(result.status, StarttlsStatus::Ok, "{result:?}");
    let cert = result.cert.unwrap();
    assert!(cert.self_signed, "{cert:?}");
    assert!(!cert.valid && !cert.chain_valid);
    assert!(cert.hostname_match);
    assert_eq!(cert.error.as_deref(), Some("UnknownIssuer"));
    assert_eq!(cert.issuer, cert.subject);
}

#[tokio::test]
async fn wrong_name() {
    let pki = TestPki::new();
    let config = SmtpConfig::with_tls(pki.leaf("other.test.example"));
    let (result, _) = probe_server(3, config, &pki).await;
    assert_eq!(result.status, StarttlsStatus::Ok, "{result:?}");
    let cert = result.cert.unwrap();
    assert!(!cert.hostname_match && !cert.valid, "{cert:?}");
    assert!(cert.chain_valid);
    assert_eq!(cert.error.as_deref(), Some("CertNotValidForName"));
}

#[tokio::test]
async fn expired() {
    let pki = TestPki::new();
    let (result, _) = probe_server(4, SmtpConfig::with_tls(pki.expired_leaf(MX)), &pki).await;
    assert_eq!(result.status, StarttlsStatus::Ok, "{result:?}");
    let cert = result.cert.unwrap();
    assert!(cert.expired && !cert.valid, "{cert:?}");
    assert!(cert.hostname_match);
    assert!((-3..=-2).contains(&cert.days_to_expiry), "{cert:?}");
    assert_eq!(cert.error.as_deref(), Some("CertExpired"));
}

#[tokio::test]
async fn not_offered() {
    let pki = TestPki::new();
    let config = SmtpConfig::with_capabilities(&["PIPELINING", "8BITMIME"]);
    let (result, commands) = probe_server(5, config, &pki).await;
    assert_eq!(result.status, StarttlsStatus::NotOffered, "{result:?}");
    assert_eq!(result.phase, None);
    assert_eq!(result.advertised, Some(false));
    assert_eq!(result.cert, None);
    assert_eq!(commands, ["EHLO scanner.test.example", "QUIT"]);
}

#[tokio::test]
async fn refused() {
    // A port that was just free: nothing listens there any more.
    let listener = tokio::net::TcpListener::bind((ip(6), 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let pki = TestPki::new();
    let result = probe(cleared(6), MX, &settings(port, pki.roots())).await;
    assert_eq!(result.status, StarttlsStatus::Refused, "{result:?}");
    assert_eq!(result.phase, Some(Phase::Connect));
    assert!(result.error.is_some());
}

#[tokio::test]
async fn never_greets() {
    let pki = TestPki::new();
    let started = Instant::now();
    let (result, _) = probe_server(7, SmtpConfig::behaving(Behaviour::Silent), &pki).await;
    assert_eq!(result.status, StarttlsStatus::Timeout, "{result:?}");
    assert_eq!(result.phase, Some(Phase::Greeting));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn dribble_hits_the_reply_timeout() {
    // Each byte comes well within the reply timeout; the reply as a whole does not.
    let pki = TestPki::new();
    let started = Instant::now();
    let (result, _) = probe_with(8, SmtpConfig::behaving(Behaviour::Dribble), |port| {
        ProbeSettings {
            reply_timeout: Duration::from_millis(1200),
            ..settings(port, pki.roots())
        }
    })
    .await;
    assert_eq!(result.status, StarttlsStatus::Timeout, "{result:?}");
    assert_eq!(result.phase, Some(Phase::Ehlo));
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn total_deadline() {
    // Phase limits longer than the whole probe: the total deadline ends it.
    let pki = TestPki::new();
    let (result, _) = probe_with(9, SmtpConfig::behaving(Behaviour::Silent), |port| {
        ProbeSettings {
            reply_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_millis(300),
            ..settings(port, pki.roots())
        }
    })
    .await;
    assert_eq!(result.status, StarttlsStatus::Timeout, "{result:?}");
    assert_eq!(result.phase, Some(Phase::Greeting));
    assert_eq!(result.error.as_deref(), Some("total probe time exceeded"));
}

#[tokio::test]
async fn endless_line() {
    let pki = TestPki::new();
    let (result, _) = probe_server(10, SmtpConfig::behaving(Behaviour::EndlessLine), &pki).await;
    assert_eq!(result.status, StarttlsStatus::ProtocolError, "{result:?}");
    assert_eq!(result.phase, Some(Phase::Greeting));
}

#[tokio::test]
async fn multi_line_greeting_and_capabilities() {
    let pki = TestPki::new();
    let config = SmtpConfig {
        greeting: vec![
            "mx.test.example ESMTP first line".into(),
            "second line of the greeting".into(),
            "third".into(),
        ],
        // Lower case, with parameters before it: still STARTTLS (RFC 5321 §2.4).
        capabilities: vec![
            "SIZE 1000".into(),
            "AUTH PLAIN LOGIN".into(),
            "starttls".into(),
        ],
        ..SmtpConfig::with_tls(pki.leaf(MX))
    };
    let (result, _) = probe_server(11, config, &pki).await;
    assert_eq!(result.status, StarttlsStatus::Ok, "{result:?}");
    assert_eq!(
        result.banner.as_deref(),
        Some("mx.test.example ESMTP first line")
    );
    assert_eq!(result.advertised, Some(true));
}

#[tokio::test]
async fn record_serialises_in_snake_case() {
    let pki = TestPki::new();
    let (result, _) = probe_server(12, SmtpConfig::behaving(Behaviour::EndlessLine), &pki).await;
    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(json["status"], "protocol_error");
    assert_eq!(json["phase"], "greeting");
}

#[tokio::test]
async fn tls_1_2() {
    let pki = TestPki::new();
    let config = SmtpConfig {
        tls12_only: true,
        ..SmtpConfig::with_tls(pki.leaf(MX))
    };
    let (result, _) = probe_server(13, config, &pki).await;
    assert_eq!(result.status, StarttlsStatus::Ok, "{result:?}");
    assert_eq!(result.tls_version.as_deref(), Some("TLSv1.2"));
    // rcgen's default key is ECDSA P-256.
    let cipher = result.cipher.unwrap();
    assert!(cipher.starts_with("TLS_ECDHE_ECDSA_WITH_"), "{cipher}");
    assert!(result.cert.unwrap().valid);
}

#[tokio::test]
async fn old_tls_only() {
    let pki = TestPki::new();
    let config = SmtpConfig::behaving(Behaviour::AlertAfterStarttls);
    let (result, _) = probe_server(14, config, &pki).await;
    assert_eq!(result.status, StarttlsStatus::HandshakeFailed, "{result:?}");
    assert_eq!(result.phase, Some(Phase::Handshake));
    assert_eq!(result.error.as_deref(), Some("protocol_version"));
    assert_eq!(result.advertised, Some(true));
    assert_eq!(result.cert, None);
}

#[tokio::test]
async fn starttls_declined() {
    let pki = TestPki::new();
    let config = SmtpConfig::behaving(Behaviour::RefuseStarttls);
    let (result, _) = probe_server(15, config, &pki).await;
    assert_eq!(result.status, StarttlsStatus::Refused, "{result:?}");
    assert_eq!(result.phase, Some(Phase::Starttls));
    assert_eq!(result.error.as_deref(), Some("454 4.7.0 TLS not available"));
}

#[tokio::test]
async fn plaintext_after_starttls_reply() {
    let pki = TestPki::new();
    let config = SmtpConfig::behaving(Behaviour::InjectAfterStarttls);
    let (result, _) = probe_server(16, config, &pki).await;
    assert_eq!(result.status, StarttlsStatus::ProtocolError, "{result:?}");
    assert_eq!(result.phase, Some(Phase::Starttls));
}

#[tokio::test]
async fn greeting_554() {
    let pki = TestPki::new();
    let config = SmtpConfig {
        greeting_code: Some(554),
        greeting: vec!["5.7.1 no SMTP service for you".into()],
        ..SmtpConfig::with_capabilities(&["STARTTLS"])
    };
    let (result, commands) = probe_server(17, config, &pki).await;
    assert_eq!(result.status, StarttlsStatus::Refused, "{result:?}");
    assert_eq!(result.phase, Some(Phase::Greeting));
    assert_eq!(
        result.error.as_deref(),
        Some("554 5.7.1 no SMTP service for you")
    );
    assert_eq!(result.banner, None);
    assert!(commands.is_empty(), "{commands:?}");
}
