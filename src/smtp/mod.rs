//! The STARTTLS probe of one MX address (RFC 3207): greeting, EHLO, STARTTLS and an
//! opportunistic TLS handshake, with the facts of the presented certificate; `prober`
//! runs the probes of a whole scan.

mod cert;
mod probe;
pub mod prober;

pub use cert::cert_facts;
pub use probe::{
    MAX_LINE, MAX_REPLY_BYTES, MAX_REPLY_LINES, Reply, ReplyError, parse_reply_line, probe,
    read_reply,
};

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

use crate::net::NotPublic;

/// The SMTP port MX hosts listen on (RFC 5321 §4.5.4.2).
pub(crate) const DEFAULT_PORT: u16 = 25;
/// Time allowed for the TCP connection.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for each reply (greeting, EHLO, STARTTLS), the command write included.
/// RFC 5321 §4.5.3.2 asks clients to wait minutes; a scan cannot, and a server slower
/// than this is reported as a timeout, not a misconfiguration.
pub(crate) const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed for the TLS handshake.
pub(crate) const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// Time allowed for the whole probe, whatever each phase has left.
pub(crate) const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(60);
/// The EHLO name when none is configured. Receivers care about it: many reject or
/// tarpit an EHLO name that is not a resolvable FQDN (RFC 5321 §4.1.1.1 asks for the
/// client's primary host name), so a real scan should pass the scanning host's own
/// name, with matching forward and reverse DNS. `localhost` is what a default can
/// honestly claim without knowing the host.
pub(crate) const DEFAULT_HELO: &str = "localhost";

/// How to probe: port, EHLO name, timeouts and the roots certificates are checked
/// against.
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    pub port: u16,
    /// The name sent with EHLO.
    pub helo: String,
    pub connect_timeout: Duration,
    /// For each reply: greeting, EHLO, STARTTLS.
    pub reply_timeout: Duration,
    pub handshake_timeout: Duration,
    /// For the whole probe.
    pub total_timeout: Duration,
    /// Trust anchors for [`CertFacts::valid`]; the web PKI roots by default. They never
    /// decide whether the handshake goes on: the probe accepts any certificate, as an
    /// opportunistic sender does (RFC 3207 §4.1).
    pub roots: Arc<rustls::RootCertStore>,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        Self {
            port: DEFAULT_PORT,
            helo: DEFAULT_HELO.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            reply_timeout: DEFAULT_REPLY_TIMEOUT,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            roots: Arc::new(rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }),
        }
    }
}

/// What the probe of one MX address found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Starttls {
    pub status: StarttlsStatus,
    /// Where the probe stopped; `None` when it completed (`ok`, `not_offered`).
    pub phase: Option<Phase>,
    /// A readable reason when the status is neither `ok` nor `not_offered`; for TLS
    /// failures a short reason such as `protocol_version`.
    pub error: Option<String>,
    /// The first line of the 220 greeting, trimmed and bounded.
    pub banner: Option<String>,
    /// Whether EHLO listed STARTTLS; `None` when the probe did not get that far.
    pub advertised: Option<bool>,
    /// `TLSv1.3` or `TLSv1.2`.
    pub tls_version: Option<String>,
    /// The negotiated suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: Option<String>,
    pub cert: Option<CertFacts>,
    /// The presented chain, end-entity first (at most a few certificates), for matching
    /// DANE TLSA records; not part of the record.
    #[serde(skip)]
    pub chain: Vec<CertificateDer<'static>>,
}

impl Starttls {
    /// The record of an address the guard refused: no connection was made.
    pub fn skipped(reason: &NotPublic) -> Self {
        Self {
            error: Some(format!("not probed: {reason}; --allow-nonpublic probes it")),
            ..Self::with_status(StarttlsStatus::Skipped)
        }
    }

    /// A record with only a status.
    pub(crate) fn with_status(status: StarttlsStatus) -> Self {
        Self {
            status,
            phase: None,
            error: None,
            banner: None,
            advertised: None,
            tls_version: None,
            cipher: None,
            cert: None,
            chain: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum StarttlsStatus {
    /// The TLS handshake completed (whatever the certificate).
    Ok,
    /// The server does not offer STARTTLS (not in EHLO, or no ESMTP at all).
    NotOffered,
    /// STARTTLS was accepted but the TLS handshake failed.
    HandshakeFailed,
    /// The connection was refused, or the server declined the session or STARTTLS with
    /// a 4xx/5xx reply.
    Refused,
    /// A phase or the whole probe ran out of time.
    Timeout,
    /// The server broke the protocol: malformed, oversized or unexpected replies.
    ProtocolError,
    /// Not probed: the address is not public and `--allow-nonpublic` was not given
    /// (the error says why). Set by the prober, never by [`probe`]; it says nothing
    /// about STARTTLS.
    Skipped,
}

impl StarttlsStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A phase of the probe, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Phase {
    Connect,
    Greeting,
    Ehlo,
    Starttls,
    Handshake,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Facts of the certificate chain the server presented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertFacts {
    /// The chain verifies against the configured roots, now, for the MX name.
    pub valid: bool,
    /// The chain leads to a trusted root and every certificate is within its validity
    /// period now; the name is not checked. An expired leaf makes this false too.
    pub chain_valid: bool,
    /// The end-entity certificate covers the MX name.
    pub hostname_match: bool,
    /// End of the end-entity certificate's validity, RFC 3339 UTC.
    pub not_after: String,
    /// Whole days until `not_after`, rounded down; negative once expired.
    pub days_to_expiry: i64,
    pub expired: bool,
    /// Issuer distinguished name of the end-entity certificate (RFC 4514 form).
    pub issuer: String,
    pub subject: String,
    /// Issuer equals subject and the certificate's signature verifies with its own key.
    pub self_signed: bool,
    /// Why the certificate is not valid, in webpki's words (`UnknownIssuer`,
    /// `CertNotValidForName`, `CertExpired`...).
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the record format (src/record.rs), each variant once.
    #[test]
    fn starttls_status_names_are_the_documented_ones() {
        let names = [
            (StarttlsStatus::Ok, "ok"),
            (StarttlsStatus::NotOffered, "not_offered"),
            (StarttlsStatus::HandshakeFailed, "handshake_failed"),
            (StarttlsStatus::Refused, "refused"),
            (StarttlsStatus::Timeout, "timeout"),
            (StarttlsStatus::ProtocolError, "protocol_error"),
            (StarttlsStatus::Skipped, "skipped"),
        ];
        crate::names::assert_serde_named(&names, StarttlsStatus::as_str);
    }

    /// The names of the record format (src/record.rs), each variant once.
    #[test]
    fn phase_names_are_the_documented_ones() {
        let names = [
            (Phase::Connect, "connect"),
            (Phase::Greeting, "greeting"),
            (Phase::Ehlo, "ehlo"),
            (Phase::Starttls, "starttls"),
            (Phase::Handshake, "handshake"),
        ];
        crate::names::assert_serde_named(&names, Phase::as_str);
    }
}
