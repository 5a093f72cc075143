//! Brand Indicators for Message Identification (draft-brand-indicators-for-message-identification-04):
//! the `<selector>._bimi.<domain>` TXT record that points receivers at a brand's logo, as a
//! pure parser over text (`parse`) and the verdict on it (`analysis`), which weighs the
//! domain's DMARC policy as BIMI receivers do.

pub mod analysis;
mod parse;

use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

pub use parse::{RecordError, parse_record};

/// The selector receivers use when a message names none (draft §4.3, §7.2 step 2).
pub const DEFAULT_SELECTOR: &str = "default";

/// The label between the selector and the domain (draft §4.2).
pub const TXT_LABEL: &str = "_bimi";

/// The name of the Assertion Record: the selector, `_bimi`, and the domain (draft §7.2
/// step 3).
pub fn record_name(selector: &str, domain: &str) -> String {
    format!("{selector}.{TXT_LABEL}.{domain}")
}

// Draft §4.2 (tags in the tag-value syntax of DKIM, RFC 6376 §3.2; unknown tags are
// ignored; the version tag first):
//
//   bimi-version           = "v" *WSP "=" *WSP "BIMI1"
//   bimi-evidence-location = "a" *WSP "=" *WSP [bimi-uri]
//   bimi-location          = "l" *WSP "=" *WSP [bimi-uri]
//   bimi-uri               = [FWS] URI [FWS]
//                            ; "URI" is imported from [URI]
//                            ; HTTPS only
//                            ; commas within a URI (ASCII ; 0x2C) MUST be encoded
//   bimi-sep               = *WSP ";" *WSP
//   bimi-record            = bimi-version (bimi-sep bimi-location)
//                            [(bimi-sep bimi-evidence-location)] [bimi-sep]
//                            ; components other than bimi-version may appear in any order
//
// RFC 6376 §3.2, the tag-list the record follows:
//
//   tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//   tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//   tag-name  =  ALPHA *ALNUMPUNC
//   tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
//   tval      =  1*VALCHAR
//   VALCHAR   =  %x21-3A / %x3C-7E
//   ALNUMPUNC =  ALPHA / DIGIT / "_"

/// A parsed BIMI Assertion Record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `l=`: the HTTPS URL of the indicator; `None` when empty.
    pub location: Option<String>,
    /// `a=`: the HTTPS URL of the evidence document (a Verified Mark Certificate);
    /// `None` when empty or absent, which the draft reads alike (§4.2).
    pub authority: Option<String>,
}

impl Record {
    /// Both `l=` and `a=` empty: an explicit refusal to take part (draft §4.2.1).
    pub fn is_declination(&self) -> bool {
        self.location.is_none() && self.authority.is_none()
    }
}

/// The `bimi` part of a domain's record (see the `# Format` section of `src/record.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BimiReport {
    pub status: BimiStatus,
    /// The domain whose record this is: the domain itself, or its Organizational Domain
    /// when the domain has none (draft §7.2 step 5); null in older records.
    #[serde(default)]
    pub from: Option<String>,
    /// The selector asked.
    pub selector: String,
    /// The one `v=BIMI1` record, as published; null when there is none or several.
    pub record: Option<String>,
    /// Every `v=BIMI1` record, when there are several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<String>,
    /// `l=`, when the record is valid and gives one.
    pub location: Option<String>,
    /// `a=`, when the record is valid and gives one.
    pub authority: Option<String>,
    pub errors: Vec<BimiFinding>,
    pub warnings: Vec<BimiFinding>,
}

/// What the `bimi` part found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BimiStatus {
    /// No TXT record at the name is a BIMI1 record.
    None,
    /// One valid record that points at an indicator.
    Ok,
    /// One valid record with `l=` and `a=` empty: the domain declines BIMI (draft §4.2.1),
    /// which is not the same as publishing nothing.
    Declined,
    /// BIMI1 records are published, but receivers show no indicator from them: several
    /// records (draft §7.2 step 7), bad syntax, or no usable `l=`.
    Invalid,
    /// The lookup failed: unknown, never absence.
    Temperror,
}

impl BimiStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An error or warning of the `bimi` part.
pub type BimiFinding = crate::finding::Finding<BimiFindingKind>;

/// Kinds of findings; the snake_case names are part of the output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BimiFindingKind {
    // Errors.
    /// The lookup failed.
    Temperror,
    /// Several BIMI1 records at the name (draft §7.2 step 7).
    MultipleRecords,
    /// The record does not follow draft §4.2: a broken tag-list, a repeated tag, no `l=`,
    /// or a value that is not a single URI with a host.
    Syntax,
    /// `l=` or `a=` is a URI of another scheme than https (draft §4.2).
    NotHttps,
    /// `l=` is empty but `a=` is not: not a declination (draft §4.2.1 needs both empty),
    /// and without a location receivers display nothing (draft §7.3 step 1).
    NoLocation,
    // Warnings.
    /// The record points at an indicator, but the domain's DMARC policy is not at the
    /// enforcement receivers require before showing it (draft §7.1 steps 4-9).
    NoEnforcement,
    /// The record points at an indicator, but the DMARC lookup failed: whether receivers
    /// would show it is not known.
    DmarcUnknown,
}

impl BimiFindingKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}
