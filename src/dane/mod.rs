//! DANE for SMTP (RFC 7672): the TLSA records of an MX host read into certificate
//! associations with their problems (pure `parse`), and the verdict on them against the
//! chain the STARTTLS probe captured, with a domain's roll-up over its hosts (pure
//! `analysis`).

pub mod analysis;
pub(crate) mod parse;

use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

use crate::dns::Dnssec;

// RFC 6698 §2.1 (wire format) and §2.2 (presentation format):
//
//   TLSA RDATA = certificate usage (1 octet) / selector (1 octet) /
//                matching type (1 octet) / certificate association data
//
//   The presentation format writes the usage, the selector and the matching type as
//   8-bit unsigned decimal integers and the association data as a string of hexadecimal
//   characters (whitespace allowed inside it, RFC 1035):
//
//     _25._tcp.mx.example.com. IN TLSA 3 1 1 ( 0C72AC70B745AC19998811B131D662C9
//                                               AC69DBDBE7CB23E5B514B56664C5D3D6 )
//
// The record's `record` fields use that form on one line, the hex in lower case:
// "3 1 1 0c72ac70...". The parameters' names are those of RFC 7218:
//
//   usage:    PKIX-TA(0) PKIX-EE(1) DANE-TA(2) DANE-EE(3)
//   selector: Cert(0) SPKI(1)
//   matching: Full(0) SHA2-256(1) SHA2-512(2)

/// The owner name of an MX host's TLSA records for SMTP on port 25 (RFC 7672 §2.2.3).
pub fn tlsa_name(host: &str) -> String {
    format!("_25._tcp.{host}")
}

/// The `dane` part of an MX host in the record (see the `# Format` section of
/// `src/record.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostDane {
    pub status: DaneStatus,
    /// The name asked: `_25._tcp.<host>`.
    pub tlsa_name: String,
    /// The DNSSEC state of the TLSA answer.
    pub dnssec: Dnssec,
    /// The TLSA records published, in the order of the answer.
    pub records: Vec<TlsaEntry>,
    /// The first record (presentation form) the presented chain matched; null when none
    /// did or the chain was not checked.
    pub matched: Option<String>,
    pub errors: Vec<DaneFinding>,
    pub warnings: Vec<DaneFinding>,
}

/// One TLSA record of the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsaEntry {
    /// The record in presentation form, `usage selector matching hex` (RFC 6698 §2.2),
    /// the hex in lower case.
    pub record: String,
    /// Whether a DANE SMTP client uses the record: it is well-formed, of usage
    /// DANE-TA(2) or DANE-EE(3), and its RRset is DNSSEC-secure (RFC 7672 §2.2, §3.1).
    pub usable: bool,
    /// What is wrong with the record itself; null for a well-formed DANE-TA or DANE-EE
    /// record (which is still not usable when the RRset is not secure).
    pub problem: Option<String>,
}

/// What the DANE check of one MX host found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DaneStatus {
    /// No TLSA RRset (NXDOMAIN or NODATA): DANE is not published for the host.
    None,
    /// Usable TLSA records, and the chain the STARTTLS probe captured matches one.
    Ok,
    /// Usable records that the presented chain does not match, or no TLS where the
    /// records promise it (STARTTLS not offered, handshake failed); or a DNSSEC-bogus
    /// TLSA answer. A DANE sender does not deliver to the host (RFC 7672 §2.2, §3.2).
    Fail,
    /// Records are published but senders do not use them: the RRset is not secure, none
    /// is a well-formed DANE-TA or DANE-EE record, or the MX RRset is not secure (RFC
    /// 7672 §2.2.1).
    Unusable,
    /// Not known: the TLSA lookup failed or its DNSSEC state is unknown, or usable
    /// records exist and the host's chain was not captured.
    Unknown,
}

impl DaneStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A domain's DANE across the MX hosts that were checked (`mx.dane`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum DaneRollup {
    /// Every host that published TLSA records is `ok`, and at least one did.
    All,
    /// Some such hosts are `ok`, some `fail` or are `unusable`.
    Some,
    /// TLSA records are published at some host, no host is `ok`, and some host `fail`s
    /// or is `unusable`.
    None,
    /// TLSA records are published, none fails, and some host's verdict is not known.
    Unknown,
    /// No host published TLSA records, or no host was checked.
    #[serde(rename = "n/a")]
    #[strum(serialize = "n/a")]
    NotApplicable,
}

impl DaneRollup {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An error or warning of a host's `dane` part.
pub type DaneFinding = crate::finding::Finding<DaneFindingKind>;

/// Kinds of findings; the snake_case names are part of the output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DaneFindingKind {
    // Errors.
    /// The TLSA lookup failed, or its DNSSEC state is not known (status `unknown`).
    Temperror,
    /// The TLSA answer failed DNSSEC validation (status `fail`, RFC 7672 §2.1.1).
    Bogus,
    /// No usable record matches the presented chain (status `fail`, RFC 7672 §3.2).
    NoMatch,
    /// Usable records, and the host did not offer STARTTLS or the handshake failed
    /// (status `fail`, RFC 7672 §2.2).
    NoStarttls,
    /// Usable records, and the host's chain was not captured: not probed, probe skipped,
    /// refused or timed out (status `unknown`).
    NotProbed,
    /// The TLSA RRset is not DNSSEC-secure: senders do not use it (RFC 7672 §2.2).
    InsecureTlsa,
    /// The domain's MX RRset is not DNSSEC-secure: senders do not use DANE for its
    /// hosts (RFC 7672 §2.2.1).
    InsecureMx,
    /// A record of usage PKIX-TA(0) or PKIX-EE(1), which SMTP does not use (RFC 7672
    /// §3.1.3).
    UnusableUsage,
    /// A digest of the wrong length (SHA2-256 is 32 octets, SHA2-512 64), or empty data.
    BadLength,
    /// A usage, selector or matching type that no RFC defines (or a private one).
    UnknownParameter,
    // Warnings.
    /// One usable record: nothing to roll over to when the key or the certificate
    /// changes (RFC 7671 §8.1).
    SingleRecord,
}

impl DaneFindingKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the record format (src/record.rs), each variant once.
    #[test]
    fn status_names_are_the_documented_ones() {
        let names = [
            (DaneStatus::None, "none"),
            (DaneStatus::Ok, "ok"),
            (DaneStatus::Fail, "fail"),
            (DaneStatus::Unusable, "unusable"),
            (DaneStatus::Unknown, "unknown"),
        ];
        crate::names::assert_serde_named(&names, DaneStatus::as_str);
    }

    /// The names of the record format (src/record.rs), each variant once.
    #[test]
    fn rollup_names_are_the_documented_ones() {
        let names = [
            (DaneRollup::All, "all"),
            (DaneRollup::Some, "some"),
            (DaneRollup::None, "none"),
            (DaneRollup::Unknown, "unknown"),
            (DaneRollup::NotApplicable, "n/a"),
        ];
        crate::names::assert_serde_named(&names, DaneRollup::as_str);
    }

    /// The names of the record format (src/record.rs), each variant once.
    #[test]
    fn finding_kind_names_are_the_documented_ones() {
        let names = [
            (DaneFindingKind::Temperror, "temperror"),
            (DaneFindingKind::Bogus, "bogus"),
            (DaneFindingKind::NoMatch, "no_match"),
            (DaneFindingKind::NoStarttls, "no_starttls"),
            (DaneFindingKind::NotProbed, "not_probed"),
            (DaneFindingKind::InsecureTlsa, "insecure_tlsa"),
            (DaneFindingKind::InsecureMx, "insecure_mx"),
            (DaneFindingKind::UnusableUsage, "unusable_usage"),
            (DaneFindingKind::BadLength, "bad_length"),
            (DaneFindingKind::UnknownParameter, "unknown_parameter"),
            (DaneFindingKind::SingleRecord, "single_record"),
        ];
        crate::names::assert_serde_named(&names, DaneFindingKind::as_str);
    }

    #[test]
    fn tlsa_name_prefixes_port_and_protocol() {
        assert_eq!(tlsa_name("mx.example.test"), "_25._tcp.mx.example.test");
    }
}
