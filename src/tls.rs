//! The TLS client set-up shared by the STARTTLS probe and the MTA-STS policy fetch: both
//! complete the handshake whatever the certificate and judge the chain afterwards, so
//! that a report can say what was presented and why it is not valid.

use std::io;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, PeerIncompatible, SignatureScheme};

/// A short reason for a failed handshake: the alert's name in snake case
/// (`protocol_version`, `handshake_failure`), or rustls's words.
pub(crate) fn tls_reason(error: &io::Error) -> String {
    let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    else {
        return match error.kind() {
            io::ErrorKind::UnexpectedEof => "connection closed during the handshake".to_owned(),
            _ => error.to_string(),
        };
    };
    match tls {
        rustls::Error::AlertReceived(alert) => snake_case(&format!("{alert:?}")),
        // The server answered with TLS 1.0 or 1.1, which rustls does not speak.
        rustls::Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13) => {
            "protocol_version".to_owned()
        }
        other => other.to_string(),
    }
}

fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// TLS 1.2 and 1.3 with the ring provider, any certificate accepted: the caller judges
/// the chain after the handshake with [`crate::smtp::cert_facts`].
pub(crate) fn accept_any_config() -> ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
        .with_no_client_auth()
}

/// A verifier that lets every chain through. The STARTTLS probe is opportunistic TLS
/// (RFC 3207 §4.1, RFC 7435): a sending MTA without a policy goes on whatever the
/// certificate, so the probe does too and reports the chain's facts. The MTA-STS policy
/// fetch needs a valid chain (RFC 8461 §3.3) but judges it itself after the handshake, so
/// that the record says why a chain failed; it sends no request over an invalid one.
/// Handshake signatures are still checked: the server must hold the key it presents.
#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_names() {
        assert_eq!(snake_case("ProtocolVersion"), "protocol_version");
        assert_eq!(snake_case("HandshakeFailure"), "handshake_failure");
    }
}
