//! The types of a DMARC policy record as read: tag values, the two readings (RFC 7489
//! and RFC 9989), findings and their kinds. The grammar is in the comment below; the
//! parser that fills these types in is [`super::parse`].

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

// The record grammar, RFC 9989 §4.8 (`%s"…"` is case-sensitive, RFC 7405; every other
// quoted string is case-insensitive, RFC 5234 §2.3):
//
//   dmarc-record  = dmarc-version *(dmarc-sep dmarc-tag) [dmarc-sep]
//   dmarc-version = "v" equals %s"DMARC1"
//   dmarc-sep     = *WSP ";" *WSP
//   equals        = *WSP "=" *WSP
//   dmarc-tag     = 1*ALPHA equals 1*dmarc-value
//   dmarc-value   = %x20-3A / %x3C-7E        ; any printing character but ";"
//
// RFC 7489 §6.4 has a fixed tag set instead of `dmarc-tag`, and its
//   dmarc-record = dmarc-version dmarc-sep [dmarc-request] [dmarc-sep dmarc-srequest] ...
//                  ; components other than dmarc-version and dmarc-request may appear in any order
// puts p right after v; RFC 9989 lets p appear anywhere and makes it optional.

/// ABNF `WSP`: the only white space the grammar allows around "=", ";", "," and ":".
pub(super) const WSP: [char; 2] = [' ', '\t'];

// The enumerated tag values are parsed (`FromStr`) and named (`as_str`, serde) from the
// one declaration: strum and serde derive both from the variant names. Parsing ignores
// ASCII case, like every quoted string of the ABNF (RFC 5234 §2.3).

/// `dmarc-request = "none" / "quarantine" / "reject"`: the value of p, sp and np.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Policy {
    None,
    Quarantine,
    Reject,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// `dmarc-rors = "r" / "s"`: identifier alignment mode of adkim and aspf.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
#[strum(ascii_case_insensitive)]
pub enum Alignment {
    #[serde(rename = "r")]
    #[strum(serialize = "r")]
    Relaxed,
    #[serde(rename = "s")]
    #[strum(serialize = "s")]
    Strict,
}

impl Alignment {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// `dmarc-psd = "y" / "n" / "u"` (RFC 9989 §4.7): whether the record is a Public Suffix
/// Domain's (y), an Organizational Domain's (n), or left to the DNS Tree Walk (u).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
#[strum(ascii_case_insensitive)]
pub enum Psd {
    #[serde(rename = "y")]
    #[strum(serialize = "y")]
    Yes,
    #[serde(rename = "n")]
    #[strum(serialize = "n")]
    No,
    #[serde(rename = "u")]
    #[strum(serialize = "u")]
    Unknown,
}

impl Psd {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One element of rua or ruf.
///
/// RFC 7489 §6.4: `dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]`; RFC 9989
/// §4.8 keeps the suffix only as `obs-dmarc-report-size`, which reporters ignore. In both,
/// "," and "!" inside the URI must be percent-encoded, since they delimit the list and
/// the suffix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportUri {
    /// As written, without the `!size` suffix.
    pub uri: String,
    /// The text before the first ":", lower-cased, also when the rest is not a valid URI
    /// (it shows what was meant, e.g. `__mailto`); `None` when there is no ":".
    pub scheme: Option<String>,
    /// Whether `uri` is an RFC 3986 `URI` (with "," and "!" only percent-encoded). Only
    /// valid URIs count for the p=none fallback (RFC 9989 §4.10.1).
    pub valid: bool,
    /// For a valid `mailto:` URI holding one RFC 5322 addr-spec (RFC 6068): the address,
    /// percent-decoded, its domain lower-cased (A-label for an internationalised domain).
    pub address: Option<String>,
    /// The domain of `address`.
    pub domain: Option<String>,
    /// Bytes, from a `!size` suffix (`k`, `m`, `g`, `t` are powers of 2^10, RFC 7489 §6.4),
    /// saturating at `u64::MAX`. RFC 9989 reporters ignore it.
    pub size_limit: Option<u64>,
}

/// What a receiver does with the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(strum::VariantArray))]
pub enum Validity {
    /// The policy applies and nothing in the record is wrong or notable.
    Valid,
    /// The policy applies; see the findings.
    ValidWithWarnings,
    /// No valid p (or an invalid sp or np), but rua holds a valid URI, so receivers act
    /// as if the record said p=none (RFC 7489 §6.6.3 step 6, RFC 9989 §4.10.1).
    PNoneFallback,
    /// No valid p (or an invalid sp or np) and no valid rua URI: receivers apply no DMARC
    /// processing at all.
    NoDmarcProcessing,
    /// The text does not begin with `v=DMARC1` (RFC 7489 §6.3, RFC 9989 §4.7).
    NotDmarcRecord,
    /// A tag appears twice, which invalidates the whole tag list (RFC 6376 §3.2, whose
    /// tag-value syntax RFC 7489 §6.3 and RFC 9989 §4.7 adopt).
    InvalidDuplicateTag,
}

impl Validity {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether a policy applies (possibly the p=none fallback).
    pub fn applies(self) -> bool {
        matches!(
            self,
            Self::Valid | Self::ValidWithWarnings | Self::PNoneFallback
        )
    }
}

/// The receiver's view of the record under one specification: the effective values after
/// defaults.
///
/// When no policy applies (`outcome.applies()` is false) `p`, `sp` and `np` are `None`,
/// the lists are empty, the options `None`, and `adkim`/`aspf` hold the defaults, which
/// then mean nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    pub outcome: Validity,
    pub p: Option<Policy>,
    /// Default: p.
    pub sp: Option<Policy>,
    /// RFC 9989 only; default: sp.
    pub np: Option<Policy>,
    pub adkim: Alignment,
    pub aspf: Alignment,
    /// Lower-case failure-reporting options; default `["0"]`. Receivers ignore them
    /// without ruf.
    pub fo: Vec<String>,
    /// RFC 7489 only; default 100.
    pub pct: Option<u8>,
    /// RFC 7489 only, lower-case; default `["afrf"]`.
    pub rf: Option<Vec<String>>,
    /// RFC 7489 only, seconds; default 86400.
    pub ri: Option<u32>,
    /// RFC 9989 only; default u.
    pub psd: Option<Psd>,
    /// RFC 9989 only (test mode, t=y); default false.
    pub t: Option<bool>,
    /// Every element of rua as written; receivers send reports only to the valid ones
    /// whose scheme they support (mailto at least).
    pub rua: Vec<ReportUri>,
    pub ruf: Vec<ReportUri>,
}

/// A record as read under both specifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The well-formed tags, `v` first: names lower-cased, values without surrounding
    /// white space, in record order.
    pub tags: Vec<(String, String)>,
    pub rfc7489: Reading,
    pub rfc9989: Reading,
    /// What is wrong or notable in the record, in record order; record-wide findings
    /// (missing_policy) last.
    pub findings: Vec<Finding>,
}

/// Something wrong or notable in a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// The reading it concerns.
    pub spec: Spec,
    /// Lower-cased tag name, when it is about one tag.
    pub tag: Option<String>,
    /// The value, or the list element, or the malformed text, as written.
    pub value: Option<String>,
    /// What is wrong, what receivers do about it, and the section saying so.
    pub detail: String,
}

impl Finding {
    pub(super) fn new(
        kind: FindingKind,
        spec: Spec,
        tag: Option<&str>,
        value: Option<&str>,
        detail: String,
    ) -> Self {
        Self {
            kind,
            severity: kind.severity(spec),
            spec,
            tag: tag.map(str::to_owned),
            value: value.map(str::to_owned),
            detail,
        }
    }
}

/// Error: the record does not conform to the grammar of the specification(s) concerned,
/// or part of its meaning is lost. Warning: it conforms, but something deserves attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
#[cfg_attr(test, derive(strum::VariantArray))]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A specification a record is read under, or both of them: which reading a finding
/// concerns, and which one the parser is applying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(strum::VariantArray))]
pub enum Spec {
    Both,
    Rfc7489,
    Rfc9989,
}

impl Spec {
    /// The two readings every record gets.
    pub(crate) const READINGS: [Self; 2] = [Self::Rfc7489, Self::Rfc9989];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether a finding for `self` concerns the reading under `reading`.
    pub(crate) fn covers(self, reading: Self) -> bool {
        self == Self::Both || self == reading
    }
}

/// The kinds of DMARC findings, in a [`Finding`] about a record and in the report's
/// `errors` and `warnings`; the snake_case names are part of the output format.
/// [`FindingKind::severity`] gives the severity of each.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    IntoStaticStr,
    strum::Display,
    VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FindingKind {
    // About the record's text (the parser's findings).
    /// The text does not begin with `v=DMARC1` (leading white space, another version).
    NotDmarcRecord,
    /// A segment that is not `name=value` with a letters-only name and a non-empty value.
    MalformedTag,
    /// A tag given twice: the whole record is invalid.
    DuplicateTag,
    /// No p tag: required by RFC 7489, read as p=none by RFC 9989.
    MissingPolicy,
    /// p is not the first tag after v: an error for RFC 7489, allowed by RFC 9989.
    PolicyNotSecond,
    /// A value that breaks its tag's rule, including values receivers replace by defaults.
    InvalidTagValue,
    /// A tag neither specification defines; receivers ignore it.
    UnknownTag,
    /// pct, rf or ri: removed by RFC 9989 (historic in its tag registry).
    HistoricTag,
    /// np, psd or t: unknown to RFC 7489 receivers.
    NewTag,
    /// A rua or ruf element that is not a URI.
    InvalidUri,
    /// A rua or ruf URI whose scheme is not mailto, the only one receivers must support.
    NonMailtoUri,
    /// A mailto URI without a usable e-mail address.
    InvalidMailtoAddress,
    /// A `!size` suffix: obsolete in RFC 9989.
    ObsoleteSizeLimit,
    /// fo without ruf has no effect.
    FoWithoutRuf,
    // About the domain's policy as published (the report's own findings).
    /// Several DMARC records at one name: no policy applies.
    MultipleRecords,
    /// A lookup could not be finished.
    Temperror,
    /// A report destination outside the policy's organization has not agreed to receive
    /// reports.
    UnauthorizedDestination,
    /// A report destination whose consent could not be checked, or was not (too many).
    DestinationUnchecked,
    /// p=none: monitoring only.
    PNone,
    /// No usable rua: no aggregate reports.
    NoRua,
    /// sp weaker than p.
    SpWeakerThanP,
    /// np weaker than p.
    NpWeakerThanP,
    /// pct below 100: RFC 7489 receivers apply the policy to part of the mail.
    #[serde(rename = "pct_below_100")]
    #[strum(serialize = "pct_below_100")]
    PctBelow100,
    /// t=y: RFC 9989 receivers apply the policy one level weaker.
    TestMode,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The severity of this kind of finding for the reading(s) `spec`.
    pub(crate) fn severity(self, spec: Spec) -> Severity {
        match self {
            // The RFC 9989 grammar allows any order.
            Self::PolicyNotSecond if spec == Spec::Rfc9989 => Severity::Warning,
            Self::NotDmarcRecord
            | Self::MalformedTag
            | Self::DuplicateTag
            | Self::MissingPolicy
            | Self::PolicyNotSecond
            | Self::InvalidTagValue
            | Self::InvalidUri
            // Syntactically a URI, but no report can reach it.
            | Self::InvalidMailtoAddress
            | Self::MultipleRecords
            | Self::Temperror => Severity::Error,
            Self::UnknownTag
            | Self::HistoricTag
            | Self::NewTag
            | Self::NonMailtoUri
            | Self::ObsoleteSizeLimit
            | Self::FoWithoutRuf
            | Self::UnauthorizedDestination
            | Self::DestinationUnchecked
            | Self::PNone
            | Self::NoRua
            | Self::SpWeakerThanP
            | Self::NpWeakerThanP
            | Self::PctBelow100
            | Self::TestMode => Severity::Warning,
        }
    }
}

impl Record {
    pub(super) fn ignored(
        outcome: Validity,
        tags: Vec<(String, String)>,
        findings: Vec<Finding>,
    ) -> Self {
        Self {
            tags,
            rfc7489: Reading::without_policy(outcome),
            rfc9989: Reading::without_policy(outcome),
            findings,
        }
    }
}

impl Reading {
    pub(super) fn without_policy(outcome: Validity) -> Self {
        Self {
            outcome,
            p: None,
            sp: None,
            np: None,
            adkim: Alignment::Relaxed,
            aspf: Alignment::Relaxed,
            fo: Vec::new(),
            pct: None,
            rf: None,
            ri: None,
            psd: None,
            t: None,
            rua: Vec::new(),
            ruf: Vec::new(),
        }
    }
}

/// `1*DIGIT`, which Rust's integer parsing alone does not enforce (it takes a "+").
pub(super) fn digits(value: &str) -> Option<&str> {
    (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())).then_some(value)
}

/// Why a segment is not a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Malformed {
    NoEquals,
    BadName,
    EmptyValue,
}
