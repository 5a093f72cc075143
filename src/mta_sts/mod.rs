//! MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file and the match of an
//! MX host against the policy's `mx` patterns, as pure functions over text.
//!
//! Fetching the record and the policy, and the verdicts drawn from them, come later.

pub mod fetch;
mod parse;

use std::fmt;

pub use crate::txt_fields::{Extension, FieldError};
pub use parse::{
    MAX_AGE_LIMIT, PolicyError, RecordError, mx_matches, parse_policy, parse_record, select_record,
};

/// The name of the TXT record, prepended to the Policy Domain (RFC 8461 §3.1).
pub const TXT_LABEL: &str = "_mta-sts";

// RFC 8461 §3.1:
//
//   sts-text-record = sts-version 1*(sts-field-delim sts-field)
//                     [sts-field-delim]
//   sts-field       = sts-id /                 ; Note that sts-id record
//                     sts-extension            ; is required.
//   sts-field-delim = *WSP ";" *WSP
//   sts-version     = %s"v=STSv1"
//   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)     ; id=...
//   sts-extension   = sts-ext-name "=" sts-ext-value  ; name=value
//   sts-ext-name    = (ALPHA / DIGIT)
//                     *31(ALPHA / DIGIT / "_" / "-" / ".")
//   sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
//                     ; chars excluding "=", ";", SP, and CTLs

/// A parsed `_mta-sts` TXT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The policy's `id`: 1 to 32 letters and digits. A new id tells senders to fetch
    /// the policy again.
    pub id: String,
    /// Fields other than `v` and `id`, in the order written.
    pub extensions: Vec<Extension>,
    /// Later copies of `v` or `id`: RFC 8461 §3.2 (last paragraph) has senders ignore
    /// every copy of a non-repeated field but the first. Kept so that a verdict can
    /// point them out.
    pub ignored_duplicates: Vec<Extension>,
}

// RFC 8461 §3.2 (excerpt):
//
//   sts-policy-record        = sts-policy-field *WSP
//                              *(sts-policy-term sts-policy-field *WSP)
//                              [sts-policy-term]
//   sts-policy-field         = sts-policy-version /      ; required once
//                              sts-policy-mode    /      ; required once
//                              sts-policy-max-age /      ; required once
//                              sts-policy-mx /
//                              ; required at least once, except when
//                              ; mode is "none"
//                              sts-policy-extension      ; other fields
//   sts-policy-field-delim   = ":" *WSP
//   sts-policy-version-value = %s"STSv1"
//   sts-policy-mode-value    = %s"testing" / %s"enforce" / %s"none"
//   sts-policy-mx-value      = ["*."] Domain
//   sts-policy-max-age-value = 1*10(DIGIT)
//   sts-policy-ext-name      = (sts-policy-alphanum)
//                              *31(sta-policy-alphanum / "_" / "-" / ".")
//   sts-policy-term          = LF / CRLF
//   sts-policy-ext-value     = sts-policy-vchar
//                              [*(%x20 / sts-policy-vchar)
//                              sts-policy-vchar]
//   sts-policy-vchar         = %x21-7E / UTF8-2 / UTF8-3 / UTF8-4
//   Domain                   = <Defined in Section 4.1.2 of [RFC5321]>

/// A parsed policy file (`/.well-known/mta-sts.txt`). Its `version` was `STSv1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub mode: Mode,
    /// Seconds a sender may cache the policy, at most [`MAX_AGE_LIMIT`].
    pub max_age: u32,
    /// The allowed MX patterns, in the order written; empty only when `mode` is `none`.
    pub mx: Vec<MxPattern>,
    /// Lines with keys the RFC does not define, which senders ignore, in order.
    pub extensions: Vec<Extension>,
    /// Later copies of `version`, `mode` or `max_age`, which senders ignore (RFC 8461
    /// §3.2, last paragraph), with their values as written.
    pub ignored_duplicates: Vec<Extension>,
}

/// `mode`: what a sender does when a delivery fails to validate (RFC 8461 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::Display)]
#[strum(serialize_all = "snake_case")]
pub enum Mode {
    /// Do not deliver to an MX host that fails validation.
    Enforce,
    /// Deliver anyway, and report the failure (TLS-RPT).
    Testing,
    /// No active policy.
    None,
}

/// One `mx` value: a host name, or a wildcard `*.` followed by the suffix it covers.
/// The domain is kept as written (an A-label for an internationalised name, §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxPattern {
    pub wildcard: bool,
    /// The name after any `*.`.
    pub domain: String,
}

impl MxPattern {
    /// Whether MX host `host` is allowed by this pattern (RFC 8461 §4.1).
    pub fn matches(&self, host: &str) -> bool {
        parse::matches(self.wildcard, &self.domain, host)
    }
}

impl fmt::Display for MxPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.wildcard {
            f.write_str("*.")?;
        }
        f.write_str(&self.domain)
    }
}
