//! SMTP TLS Reporting (RFC 8460): the `_smtp._tls` TXT record that says where sending
//! MTAs send their reports of TLS failures, as a pure parser over text (`parse`) and the
//! verdict on it (`analysis`).

pub mod analysis;
mod parse;

use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

pub use crate::txt_fields::{Extension, FieldError};
pub use parse::{RecordError, parse_record, select_record};

/// The name of the TXT record, prepended to the Policy Domain (RFC 8460 §3).
pub const TXT_LABEL: &str = "_smtp._tls";

// RFC 8460 §3:
//
//   tlsrpt-record     = tlsrpt-version 1*(field-delim tlsrpt-field)
//                       [field-delim]
//   field-delim       = *WSP ";" *WSP
//   tlsrpt-field      = tlsrpt-rua /        ; Note that the
//                       tlsrpt-extension    ; tlsrpt-rua record is
//                                           ; required.
//   tlsrpt-version    = %s"v=TLSRPTv1"
//   tlsrpt-rua        = %s"rua="
//                       tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
//   tlsrpt-uri        = URI
//                       ; "URI" is imported from [RFC3986];
//                       ; commas (ASCII 0x2C), exclamation
//                       ; points (ASCII 0x21), and semicolons
//                       ; (ASCII 0x3B) MUST be encoded
//   tlsrpt-extension  = tlsrpt-ext-name "=" tlsrpt-ext-value
//   tlsrpt-ext-name   = (ALPHA / DIGIT) *31(ALPHA /
//                       DIGIT / "_" / "-" / ".")
//   tlsrpt-ext-value  = 1*(%x21-3A / %x3C / %x3E-7E)
//                       ; chars excluding "=", ";", SP, and control
//                       ; chars

/// A parsed `_smtp._tls` TXT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Where reports go, in the order written; never empty.
    pub rua: Vec<ReportUri>,
    /// Fields other than `v` and `rua`, in the order written; senders ignore them.
    pub extensions: Vec<Extension>,
}

/// One `rua` destination, in one of the two schemes RFC 8460 §3 defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportUri {
    /// Reports by e-mail to `address` (RFC 6068): percent-decoded, its domain
    /// lower-cased.
    Mailto { uri: String, address: String },
    /// Reports by HTTPS POST to `uri`, on `host` (lower-cased, as a URL parser reads it).
    Https { uri: String, host: String },
}

impl ReportUri {
    /// The URI as written.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Mailto { uri, .. } | Self::Https { uri, .. } => uri,
        }
    }
}

/// The `tls_rpt` part of a domain's record (see the `# Format` section of
/// `src/record.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsRptReport {
    pub status: TlsRptStatus,
    /// The one `v=TLSRPTv1` record, as published; null when there is none or several.
    pub record: Option<String>,
    /// Every record beginning `v=TLSRPTv1`, when there are several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<String>,
    /// Where reports go, when the record is valid.
    pub rua: Vec<RuaFacts>,
    pub errors: Vec<RptFinding>,
    pub warnings: Vec<RptFinding>,
}

/// What the `tls_rpt` part found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TlsRptStatus {
    /// No TXT record begins with `v=TLSRPTv1`.
    None,
    /// One valid record.
    Ok,
    /// Records are published, but senders report nowhere: several records, or bad
    /// syntax (RFC 8460 §3).
    Invalid,
    /// The lookup failed: unknown, never absence.
    Temperror,
}

impl TlsRptStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One `rua` destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuaFacts {
    pub uri: String,
    /// `mailto` or `https`.
    pub scheme: String,
    /// The e-mail address of a `mailto:` URI, or the host of an `https:` one.
    pub target: String,
}

impl From<&ReportUri> for RuaFacts {
    fn from(uri: &ReportUri) -> Self {
        let (scheme, target) = match uri {
            ReportUri::Mailto { address, .. } => ("mailto", address),
            ReportUri::Https { host, .. } => ("https", host),
        };
        Self {
            uri: uri.as_str().to_owned(),
            scheme: scheme.to_owned(),
            target: target.clone(),
        }
    }
}

/// An error or warning of the `tls_rpt` part.
pub type RptFinding = crate::finding::Finding<RptFindingKind>;

/// Kinds of findings; the snake_case names are part of the output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RptFindingKind {
    // Errors.
    /// The lookup failed.
    Temperror,
    /// Several `v=TLSRPTv1` records (RFC 8460 §3).
    MultipleRecords,
    /// The record does not follow RFC 8460 §3 (a missing or invalid `rua` included).
    Syntax,
    // Warnings.
    /// The domain asks senders to enforce TLS (an MTA-STS record) but not to report
    /// failures: they would go unseen.
    Missing,
}

impl RptFindingKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}
