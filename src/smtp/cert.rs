//! Facts of a presented certificate chain: trust, name, validity period, issuer.

use std::time::SystemTime;

use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use webpki::{EndEntityCert, KeyUsage};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::CertFacts;

/// The facts of `chain` (end-entity first, as sent) for a server called `mx_name`,
/// checked against `roots` at `now`. `None` for an empty chain.
pub fn cert_facts(
    chain: &[CertificateDer<'_>],
    mx_name: &str,
    roots: &RootCertStore,
    now: SystemTime,
) -> Option<CertFacts> {
    let leaf = chain.first()?;
    let (chain_valid, hostname_match, error) = verify(leaf, &chain[1..], mx_name, roots, now);
    let mut facts = CertFacts {
        valid: chain_valid && hostname_match,
        chain_valid,
        hostname_match,
        not_after: String::new(),
        days_to_expiry: 0,
        expired: false,
        issuer: String::new(),
        subject: String::new(),
        self_signed: false,
        error,
    };
    match X509Certificate::from_der(leaf.as_ref()) {
        Ok((_, cert)) => {
            let not_after = cert.validity().not_after.to_datetime();
            let now = OffsetDateTime::from(now);
            facts.not_after = not_after.format(&Rfc3339).unwrap_or_default();
            // Rounded down, so that a certificate expired an hour ago is at -1, not 0.
            facts.days_to_expiry = (not_after - now).whole_seconds().div_euclid(86_400);
            facts.expired = now > not_after;
            facts.issuer = cert.issuer().to_string();
            facts.subject = cert.subject().to_string();
            facts.self_signed = cert.issuer().as_raw() == cert.subject().as_raw()
                && cert.verify_signature(None).is_ok();
        }
        Err(e) => {
            facts.valid = false;
            facts
                .error
                .get_or_insert_with(|| format!("unparsable certificate: {e}"));
        }
    }
    Some(facts)
}

/// Whether the chain leads to a root (at `now`), whether the leaf covers `mx_name`, and
/// webpki's reason for the first failure.
fn verify(
    leaf: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    mx_name: &str,
    roots: &RootCertStore,
    now: SystemTime,
) -> (bool, bool, Option<String>) {
    let ee = match EndEntityCert::try_from(leaf) {
        Ok(ee) => ee,
        Err(e) => return (false, false, Some(short(&e))),
    };
    let time = UnixTime::since_unix_epoch(
        now.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    );
    let chain = ee
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &roots.roots,
            intermediates,
            time,
            KeyUsage::server_auth(),
            None,
            None,
        )
        .map(|_| ());
    let name = match ServerName::try_from(mx_name) {
        Ok(name) => ee
            .verify_is_valid_for_subject_name(&name)
            .map_err(|e| short(&e)),
        Err(_) => Err(format!("invalid server name {mx_name:?}")),
    };
    let error = match (&chain, &name) {
        (Err(e), _) => Some(short(e)),
        (Ok(()), Err(e)) => Some(e.clone()),
        (Ok(()), Ok(())) => None,
    };
    (chain.is_ok(), name.is_ok(), error)
}

/// The variant name of a webpki error, without its fields (`CertExpired { .. }` →
/// `CertExpired`): stable words for reports and counting.
fn short(e: &webpki::Error) -> String {
    let text = format!("{e:?}");
    let end = text.find([' ', '(', '{']).unwrap_or(text.len());
    text[..end].to_owned()
}
