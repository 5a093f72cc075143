//! MTA-STS (RFC 8461): the `_mta-sts` TXT record and the policy file (pure `parse`),
//! the policy's fetch over HTTPS (`fetch`), and the verdict on both, with whether the
//! policy would hold for the domain's MX hosts as the STARTTLS probe found them (pure
//! `analysis`).

pub mod analysis;
pub mod fetch;
mod parse;

use std::fmt;

use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

pub use fetch::{FetchStatus, PolicyFetch};

pub use crate::txt_fields::{Extension, FieldError};
pub use parse::{
    MAX_AGE_LIMIT, PolicyError, RecordError, parse_policy, parse_record, select_record,
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
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::Display,
)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
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
        crate::hostname::matches(self.wildcard, &self.domain, host)
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

/// The `mta_sts` part of a domain's record (see the `# Format` section of
/// `src/record.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtaStsReport {
    pub status: MtaStsStatus,
    /// The one `v=STSv1` record, as published; null when there is none or several.
    pub record: Option<String>,
    /// Every record beginning `v=STSv1`, when there are several (senders then use none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<String>,
    /// The record's `id`.
    pub id: Option<String>,
    /// The fetch of the policy; null when the record is missing or unusable, or the
    /// fetch was not asked for (`--no-mta-sts`).
    pub fetch: Option<PolicyFetch>,
    /// The policy as fetched and parsed.
    pub policy: Option<PolicyFacts>,
    /// Whether the policy, enforced, lets mail through: null without an active policy
    /// (none, unusable, or `mode: none`).
    pub holds: Option<Holding>,
    /// Each MX host against the policy, in the MX part's order; empty when `holds` is
    /// null.
    #[serde(default)]
    pub hosts: Vec<HostVerdict>,
    pub errors: Vec<StsFinding>,
    pub warnings: Vec<StsFinding>,
}

/// What the `mta_sts` part found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MtaStsStatus {
    /// No TXT record begins with `v=STSv1` (NXDOMAIN, NODATA or other records only).
    None,
    /// A valid record, and (when fetched) a valid policy that senders apply.
    Ok,
    /// A record is published, but senders get no usable policy from it (RFC 8461
    /// §3.1, §3.3, §5): several records, bad syntax, a policy that cannot be fetched
    /// or parsed.
    Invalid,
    /// The record's lookup or the policy's fetch failed in a way that says nothing of
    /// the domain (a DNS failure, a timeout): unknown, never absence.
    Temperror,
}

impl MtaStsStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The parsed policy, in the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFacts {
    pub mode: Mode,
    pub max_age: u32,
    /// The `mx` patterns as written (`*.` kept).
    pub mx: Vec<String>,
}

impl From<&Policy> for PolicyFacts {
    fn from(policy: &Policy) -> Self {
        Self {
            mode: policy.mode,
            max_age: policy.max_age,
            mx: policy.mx.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Whether an active policy would let mail through, were it enforced (RFC 8461 §4,
/// §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Holding {
    /// Every MX host is matched by a pattern and presented, over STARTTLS with TLS 1.2
    /// or later, a certificate valid for its name under the configured roots.
    Holds,
    /// At least one MX host is not matched, or was found without valid TLS: an
    /// enforcing sender refuses to deliver to it.
    WouldFail,
    /// No host fails, but at least one could not be checked (not probed, probe
    /// timed out, MX lookup failed, no MX host).
    Unverified,
}

impl Holding {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One MX host against the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostVerdict {
    pub name: String,
    /// The first `mx` pattern that matches the host; null when none does.
    pub pattern: Option<String>,
    pub tls: HostTls,
    /// Why `tls` is not `valid`.
    pub detail: Option<String>,
}

/// What the STARTTLS probe says of an MX host, for an enforcing sender (RFC 8461 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum HostTls {
    /// STARTTLS, TLS 1.2 or later, a certificate valid for the host name.
    Valid,
    /// The host answered without that: STARTTLS not offered, a failed handshake, or a
    /// certificate not valid for the name.
    Invalid,
    /// Not known: not probed (probing off, not selected, address not public) or the
    /// probe did not get an answer.
    Unknown,
}

impl HostTls {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An error or warning of the `mta_sts` part.
pub type StsFinding = crate::finding::Finding<StsFindingKind>;

/// Kinds of findings; the snake_case names are part of the output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum StsFindingKind {
    // Errors.
    /// The TXT lookup or the policy fetch failed (status `temperror`).
    Temperror,
    /// Several `v=STSv1` records (RFC 8461 §3.1).
    MultipleRecords,
    /// The record does not follow RFC 8461 §3.1.
    RecordSyntax,
    /// Nothing serves a policy: the policy host has no address, or answers 404.
    NoPolicy,
    /// The policy could not be fetched as RFC 8461 §3.3 requires (certificate,
    /// redirect, status, media type, size, connection).
    PolicyFetchFailed,
    /// The policy does not follow RFC 8461 §3.2.
    PolicySyntax,
    /// `mode: enforce`, and an MX host is unmatched or without valid TLS: senders that
    /// enforce refuse to deliver to it.
    WouldFail,
    // Warnings.
    /// `mode: testing`, and enforcing it would fail (the hosts say where).
    TestingWouldFail,
    /// `max_age` under a day: RFC 8461 §3.2 suggests weeks, so that a policy outlives
    /// an attack on the next fetch.
    ShortMaxAge,
    /// A field written twice in the record or the policy: senders use the first.
    DuplicateField,
    /// A policy is served at the policy host while no record is published: senders
    /// never look for it (RFC 8461 §3.3). Looked for only by `check`.
    PolicyWithoutRecord,
}

impl StsFindingKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}
