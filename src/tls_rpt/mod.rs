//! SMTP TLS Reporting (RFC 8460): the `_smtp._tls` TXT record that says where sending
//! MTAs send their reports of TLS failures, as a pure parser over text.
//!
//! Fetching the record, and the verdicts drawn from it, come later.

mod parse;

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
