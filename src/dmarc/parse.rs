//! Pure reading of one DMARC policy record: what a receiver following RFC 7489, and one
//! following RFC 9989, makes of the text, and what is wrong or notable in it. No I/O.

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

use crate::dns::check_name;

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
const WSP: [char; 2] = [' ', '\t'];

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
pub enum Outcome {
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

impl Outcome {
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
    pub outcome: Outcome,
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

/// Error: the record does not conform to the grammar of the specification(s) concerned,
/// or part of its meaning is lost. Warning: it conforms, but something deserves attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Which reading a finding concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Spec {
    Both,
    Rfc7489,
    Rfc9989,
}

impl Spec {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether a finding for `self` concerns the reading under `reading`.
    pub fn covers(self, reading: Self) -> bool {
        self == Self::Both || self == reading
    }
}

/// The kinds of [`Finding`]; [`FindingKind::severity`] gives the severity of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FindingKind {
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
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The severity of this kind of finding for the reading(s) `spec`.
    pub fn severity(self, spec: Spec) -> Severity {
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
            | Self::InvalidMailtoAddress => Severity::Error,
            Self::UnknownTag
            | Self::HistoricTag
            | Self::NewTag
            | Self::NonMailtoUri
            | Self::ObsoleteSizeLimit
            | Self::FoWithoutRuf => Severity::Warning,
        }
    }
}

impl Finding {
    fn new(
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

/// `dmarc-version` as the first tag (RFC 7489 §6.3, RFC 9989 §4.7): name `v` in either
/// case, white space around "=", the value exactly `DMARC1`.
///
/// White space before the `v` makes it no DMARC record: RFC 7489 §6.6.3 and RFC 9989
/// §4.10 discard "records that do not start with a "v" tag", and the grammar has no
/// leading WSP.
pub fn is_dmarc_record(text: &str) -> bool {
    is_version(text.split(';').next().unwrap_or_default())
}

fn is_version(first_segment: &str) -> bool {
    !first_segment.starts_with(WSP)
        && split_tag(first_segment.trim_end_matches(WSP))
            .is_ok_and(|(name, value)| name.eq_ignore_ascii_case("v") && value == "DMARC1")
}

/// Reads a record under both specifications. Texts that are not DMARC records (see
/// [`is_dmarc_record`]) get [`Outcome::NotDmarcRecord`] and one finding saying why.
pub fn parse(text: &str) -> Record {
    let mut segments = text.split(';');
    let first = segments.next().unwrap_or_default();
    if !is_version(first) {
        return Record::ignored(
            Outcome::NotDmarcRecord,
            Vec::new(),
            vec![not_dmarc(text, first)],
        );
    }
    // (segment index, finding), so that findings come out in record order.
    let mut findings = Vec::new();
    let mut tags = vec![Checked::new(0, "v", "DMARC1")];
    for (pos, segment) in segments.enumerate() {
        let pos = pos + 1;
        let segment = segment.trim_matches(WSP);
        // `;;` and a trailing `;` leave empty segments, which the grammar allows.
        if segment.is_empty() {
            continue;
        }
        match split_tag(segment) {
            Ok((name, value)) => tags.push(Checked::new(pos, name, value)),
            Err(why) => findings.push((pos, malformed(segment, why))),
        }
    }
    let names = tags
        .iter()
        .map(|t| (t.name.clone(), t.value.to_owned()))
        .collect();
    for (i, tag) in tags.iter().enumerate() {
        if tags[..i].iter().any(|earlier| earlier.name == tag.name) {
            findings.push((tag.pos, duplicate(tag)));
        }
    }
    if findings
        .iter()
        .any(|(_, f)| f.kind == FindingKind::DuplicateTag)
    {
        return Record::ignored(Outcome::InvalidDuplicateTag, names, in_order(findings));
    }
    tag_findings(&tags, &mut findings);
    let findings = in_order(findings);
    let noted = |spec: Spec| findings.iter().any(|f| f.spec.covers(spec));
    Record {
        tags: names,
        rfc7489: read(&tags, Rfc::R7489, noted(Spec::Rfc7489)),
        rfc9989: read(&tags, Rfc::R9989, noted(Spec::Rfc9989)),
        findings,
    }
}

impl Record {
    fn ignored(outcome: Outcome, tags: Vec<(String, String)>, findings: Vec<Finding>) -> Self {
        Self {
            tags,
            rfc7489: Reading::without_policy(outcome),
            rfc9989: Reading::without_policy(outcome),
            findings,
        }
    }
}

impl Reading {
    fn without_policy(outcome: Outcome) -> Self {
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

fn in_order(mut findings: Vec<(usize, Finding)>) -> Vec<Finding> {
    findings.sort_by_key(|(pos, _)| *pos);
    findings.into_iter().map(|(_, f)| f).collect()
}

/// The two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rfc {
    R7489 = 0,
    R9989 = 1,
}

const RFCS: [Rfc; 2] = [Rfc::R7489, Rfc::R9989];

impl From<Rfc> for Spec {
    fn from(rfc: Rfc) -> Self {
        match rfc {
            Rfc::R7489 => Self::Rfc7489,
            Rfc::R9989 => Self::Rfc9989,
        }
    }
}

/// The tags of RFC 7489 §6.3 and RFC 9989 §4.7 (its registry, §9.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    V,
    P,
    Sp,
    Np,
    Adkim,
    Aspf,
    Fo,
    Psd,
    T,
    Rua,
    Ruf,
    Pct,
    Rf,
    Ri,
}

impl Known {
    fn from_name(lower: &str) -> Option<Self> {
        Some(match lower {
            "v" => Self::V,
            "p" => Self::P,
            "sp" => Self::Sp,
            "np" => Self::Np,
            "adkim" => Self::Adkim,
            "aspf" => Self::Aspf,
            "fo" => Self::Fo,
            "psd" => Self::Psd,
            "t" => Self::T,
            "rua" => Self::Rua,
            "ruf" => Self::Ruf,
            "pct" => Self::Pct,
            "rf" => Self::Rf,
            "ri" => Self::Ri,
            _ => return None,
        })
    }

    fn defined_in(self, rfc: Rfc) -> bool {
        match self {
            // np comes from RFC 9091, psd and t are new in RFC 9989 (Appendix C.5.1).
            Self::Np | Self::Psd | Self::T => rfc == Rfc::R9989,
            // Historic in the RFC 9989 registry (§9.3, Appendix C.5.2).
            Self::Pct | Self::Rf | Self::Ri => rfc == Rfc::R7489,
            _ => true,
        }
    }

    fn is_policy(self) -> bool {
        matches!(self, Self::P | Self::Sp | Self::Np)
    }

    /// The rule a value must follow, for a finding's detail.
    fn rule(self, spec: Spec) -> &'static str {
        match self {
            Self::V => "exactly DMARC1",
            Self::P | Self::Sp | Self::Np => "none, quarantine or reject",
            Self::Adkim | Self::Aspf => "r (relaxed) or s (strict)",
            Self::Psd => "y, n or u",
            Self::T => "y or n",
            Self::Fo if spec == Spec::Rfc7489 => "a colon-separated list of 0, 1, d and s",
            // A value meeting this also meets RFC 7489's rule, so it serves for both.
            Self::Fo => "0 or 1 (not both), d and s, each at most once, separated by colons",
            Self::Rua | Self::Ruf => "a comma-separated list of URIs",
            Self::Pct => "a whole number from 0 to 100",
            Self::Rf => "afrf, the only registered failure-report format",
            Self::Ri => "a number of seconds from 0 to 4294967295",
        }
    }

    /// What receivers use instead of an invalid value; `None` for the tags whose value
    /// cannot be invalid (v, rua, ruf) or whose failure has wider effects (p, sp, np).
    fn default_value(self) -> Option<&'static str> {
        match self {
            Self::Adkim | Self::Aspf => Some("r"),
            Self::Psd => Some("u"),
            Self::T => Some("n"),
            Self::Fo => Some("0"),
            Self::Pct => Some("100"),
            Self::Rf => Some("afrf"),
            Self::Ri => Some("86400"),
            Self::V | Self::P | Self::Sp | Self::Np | Self::Rua | Self::Ruf => None,
        }
    }
}

/// A tag's value as a reading takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Version,
    Policy(Policy),
    Alignment(Alignment),
    Psd(Psd),
    Test(bool),
    Fo(Vec<String>),
    Pct(u8),
    Rf(Vec<String>),
    Ri(u32),
    Uris(Vec<ReportUri>),
}

/// The single check of a tag value, for both readings: `None` when the tag is not defined
/// by `rfc` or the value breaks the tag's rule there.
fn validate(known: Known, value: &str, rfc: Rfc) -> Option<Value> {
    if !known.defined_in(rfc) {
        return None;
    }
    Some(match known {
        Known::V => (value == "DMARC1").then_some(Value::Version)?,
        Known::P | Known::Sp | Known::Np => Value::Policy(value.parse().ok()?),
        Known::Adkim | Known::Aspf => Value::Alignment(value.parse().ok()?),
        Known::Psd => Value::Psd(value.parse().ok()?),
        Known::T => Value::Test(match value {
            "y" | "Y" => true,
            "n" | "N" => false,
            _ => return None,
        }),
        Known::Fo => Value::Fo(failure_options(value, rfc)?),
        Known::Rua | Known::Ruf => Value::Uris(uri_elements(value).map(ReportUri::parse).collect()),
        // RFC 7489 §6.4 `dmarc-percent = "pct" *WSP "=" *WSP 1*3DIGIT`, 0 to 100 (§6.3).
        Known::Pct => Value::Pct(
            digits(value)
                .filter(|d| d.len() <= 3)?
                .parse()
                .ok()
                .filter(|&n| n <= 100)?,
        ),
        // RFC 7489 §6.3 "registered reporting formats only", and afrf is the only one.
        Known::Rf => Value::Rf(
            value
                .split(':')
                .map(|f| f.trim_matches(WSP).to_ascii_lowercase())
                .map(|f| (f == "afrf").then_some(f))
                .collect::<Option<_>>()?,
        ),
        // RFC 7489 §6.3: "plain-text 32-bit unsigned integer".
        Known::Ri => Value::Ri(digits(value)?.parse().ok()?),
    })
}

/// `1*DIGIT`, which Rust's integer parsing alone does not enforce (it takes a "+").
fn digits(value: &str) -> Option<&str> {
    (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())).then_some(value)
}

/// fo, lower-cased. RFC 7489 §6.4: `("0" / "1" / "d" / "s") *(*WSP ":" *WSP (...))`.
/// RFC 9989 §4.8 `dmarc-fo` allows no WSP, makes 0 and 1 mutually exclusive, and lets d
/// and s appear at most once each.
fn failure_options(value: &str, rfc: Rfc) -> Option<Vec<String>> {
    let options: Vec<String> = value
        .split(':')
        .map(|o| match rfc {
            Rfc::R7489 => o.trim_matches(WSP),
            Rfc::R9989 => o,
        })
        .map(str::to_ascii_lowercase)
        .collect();
    if !options
        .iter()
        .all(|o| matches!(o.as_str(), "0" | "1" | "d" | "s"))
    {
        return None;
    }
    let count = |set: &[&str]| options.iter().filter(|o| set.contains(&o.as_str())).count();
    let repeats = count(&["0", "1"]) > 1 || count(&["d"]) > 1 || count(&["s"]) > 1;
    (rfc == Rfc::R7489 || !repeats).then_some(options)
}

/// `dmarc-urilist`: elements separated by "," with optional WSP around it.
fn uri_elements(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(|e| e.trim_matches(WSP))
}

/// A well-formed tag, with its value under each reading.
struct Checked<'a> {
    /// Index of its `;`-separated segment, for ordering findings.
    pos: usize,
    name: String,
    value: &'a str,
    known: Option<Known>,
    /// Indexed by [`Rfc`]; see [`validate`].
    values: [Option<Value>; 2],
}

impl<'a> Checked<'a> {
    fn new(pos: usize, name: &str, value: &'a str) -> Self {
        let name = name.to_ascii_lowercase();
        let known = Known::from_name(&name);
        let values = RFCS.map(|rfc| known.and_then(|k| validate(k, value, rfc)));
        Self {
            pos,
            name,
            value,
            known,
            values,
        }
    }

    fn value_in(&self, rfc: Rfc) -> Option<&Value> {
        self.values[rfc as usize].as_ref()
    }

    /// The parsed URI list of a rua or ruf tag (the same under both readings).
    fn uris(&self) -> &[ReportUri] {
        match self.value_in(Rfc::R9989) {
            Some(Value::Uris(uris)) => uris,
            _ => &[],
        }
    }
}

/// Why a segment is not a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Malformed {
    NoEquals,
    BadName,
    EmptyValue,
}

/// `dmarc-tag = 1*ALPHA equals 1*dmarc-value` → (name, value) of a segment that has no
/// surrounding white space. The value's characters are left to each tag's own rule.
fn split_tag(segment: &str) -> Result<(&str, &str), Malformed> {
    let (name, value) = segment.split_once('=').ok_or(Malformed::NoEquals)?;
    let name = name.trim_end_matches(WSP);
    let value = value.trim_start_matches(WSP);
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphabetic()) {
        Err(Malformed::BadName)
    } else if value.is_empty() {
        Err(Malformed::EmptyValue)
    } else {
        Ok((name, value))
    }
}

/// The reading of the well-formed `tags` (v first, no duplicates) under `rfc`.
fn read(tags: &[Checked<'_>], rfc: Rfc, noted: bool) -> Reading {
    let mut r = Reading::without_policy(Outcome::Valid);
    r.fo = vec!["0".to_owned()];
    let (mut p, mut sp, mut np) = (None, None, None);
    let (mut psd, mut t, mut pct, mut rf, mut ri) = (None, None, None, None, None);
    let mut invalid_policy = false;
    for tag in tags {
        let Some(known) = tag.known.filter(|k| k.defined_in(rfc)) else {
            continue; // unknown tags MUST be ignored (RFC 7489 §6.3, RFC 9989 §4.7)
        };
        let Some(value) = tag.value_in(rfc) else {
            // Other syntax errors give way to the default (RFC 7489 §6.3, RFC 9989 §4.8).
            invalid_policy |= known.is_policy();
            continue;
        };
        match (known, value) {
            (Known::P, Value::Policy(v)) => p = Some(*v),
            (Known::Sp, Value::Policy(v)) => sp = Some(*v),
            (Known::Np, Value::Policy(v)) => np = Some(*v),
            (Known::Adkim, Value::Alignment(v)) => r.adkim = *v,
            (Known::Aspf, Value::Alignment(v)) => r.aspf = *v,
            (Known::Rua, Value::Uris(v)) => r.rua.clone_from(v),
            (Known::Ruf, Value::Uris(v)) => r.ruf.clone_from(v),
            (_, Value::Fo(v)) => r.fo.clone_from(v),
            (_, Value::Psd(v)) => psd = Some(*v),
            (_, Value::Test(v)) => t = Some(*v),
            (_, Value::Pct(v)) => pct = Some(*v),
            (_, Value::Rf(v)) => rf = Some(v.clone()),
            (_, Value::Ri(v)) => ri = Some(*v),
            // validate() gives each tag its own variant; v needs nothing.
            _ => {}
        }
    }
    // RFC 7489 §6.3: "the "v" and "p" tags MUST be present and MUST appear in that
    // order", so a p elsewhere is no valid p. RFC 9989 §4.7 reads a missing p as p=none.
    let p_lost = rfc == Rfc::R7489 && !p_is_second(tags);
    if invalid_policy || p_lost {
        if !r.rua.iter().any(|u| u.valid) {
            return Reading::without_policy(Outcome::NoDmarcProcessing);
        }
        // "act as if a record containing ... "p=none" was retrieved" (RFC 7489 §6.6.3,
        // RFC 9989 §4.10.1): such a record has no sp or np either.
        (p, sp, np) = (Some(Policy::None), None, None);
        r.outcome = Outcome::PNoneFallback;
    } else if noted {
        r.outcome = Outcome::ValidWithWarnings;
    }
    let p = p.unwrap_or(Policy::None);
    let sp = sp.unwrap_or(p);
    r.p = Some(p);
    r.sp = Some(sp);
    match rfc {
        Rfc::R7489 => {
            r.pct = Some(pct.unwrap_or(100));
            r.rf = Some(rf.unwrap_or_else(|| vec!["afrf".to_owned()]));
            r.ri = Some(ri.unwrap_or(86_400));
        }
        Rfc::R9989 => {
            r.np = Some(np.unwrap_or(sp));
            r.psd = Some(psd.unwrap_or(Psd::Unknown));
            r.t = Some(t.unwrap_or(false));
        }
    }
    r
}

fn p_is_second(tags: &[Checked<'_>]) -> bool {
    tags.get(1).is_some_and(|t| t.known == Some(Known::P))
}

/// Whether rua holds a syntactically valid URI: the condition of the p=none fallback.
fn has_valid_rua(tags: &[Checked<'_>]) -> bool {
    tags.iter()
        .filter(|t| t.known == Some(Known::Rua))
        .any(|t| t.uris().iter().any(|u| u.valid))
}

/// "RFC 7489 §a, RFC 9989 §b", or the one that `spec` concerns.
fn cite(spec: Spec, rfc7489: &str, rfc9989: &str) -> String {
    match spec {
        Spec::Both => format!("RFC 7489 §{rfc7489}, RFC 9989 §{rfc9989}"),
        Spec::Rfc7489 => format!("RFC 7489 §{rfc7489}"),
        Spec::Rfc9989 => format!("RFC 9989 §{rfc9989}"),
    }
}

/// What receivers do when p, sp or np is unusable (RFC 7489 §6.6.3, RFC 9989 §4.10.1).
fn lost_policy_consequence(valid_rua: bool) -> &'static str {
    if valid_rua {
        "act as if the record said p=none, because rua holds a valid URI"
    } else {
        "apply no DMARC processing at all, because rua holds no valid URI"
    }
}

/// Findings about the tags after v, pushed with their segment index.
fn tag_findings(tags: &[Checked<'_>], out: &mut Vec<(usize, Finding)>) {
    use FindingKind::*;
    let valid_rua = has_valid_rua(tags);
    let has_ruf = tags.iter().any(|t| t.known == Some(Known::Ruf));
    for (i, tag) in tags.iter().enumerate().skip(1) {
        let (name, value) = (tag.name.as_str(), tag.value);
        let mut push = |kind, spec, value: &str, detail| {
            out.push((
                tag.pos,
                Finding::new(kind, spec, Some(name), Some(value), detail),
            ));
        };
        let Some(known) = tag.known else {
            push(
                UnknownTag,
                Spec::Both,
                value,
                format!(
                    "{name}={value}: unknown tag, receivers ignore it (RFC 7489 §6.3, RFC 9989 §4.7)"
                ),
            );
            continue;
        };
        if !known.defined_in(Rfc::R9989) {
            let advice = if known == Known::Pct {
                "; to test a policy use t=y instead (Appendix A.6)"
            } else {
                ""
            };
            push(
                HistoricTag,
                Spec::Rfc9989,
                value,
                format!(
                    "{name}={value}: RFC 9989 removed {name} (historic, §9.3), so its receivers ignore it{advice}"
                ),
            );
        }
        if !known.defined_in(Rfc::R7489) {
            let effect = match known {
                Known::Np => " and apply sp, or p, to non-existent subdomains",
                Known::T if value.eq_ignore_ascii_case("y") => {
                    " and apply the policy in full, not in test mode"
                }
                _ => "",
            };
            push(
                NewTag,
                Spec::Rfc7489,
                value,
                format!(
                    "{name}={value}: {name} is not defined in RFC 7489 but in RFC 9989 (§4.7), so RFC 7489 receivers ignore it{effect}"
                ),
            );
        }
        let invalid: Vec<Rfc> = RFCS
            .into_iter()
            .filter(|&rfc| known.defined_in(rfc) && tag.value_in(rfc).is_none())
            .collect();
        if let Some(&first) = invalid.first() {
            let spec = if invalid.len() == RFCS.len() {
                Spec::Both
            } else {
                first.into()
            };
            let (consequence, cite) = match known.default_value() {
                Some(default) => (
                    format!("receivers use the default {default}"),
                    cite(spec, "6.3", "4.8"),
                ),
                None => (
                    format!("receivers {}", lost_policy_consequence(valid_rua)),
                    cite(spec, "6.6.3", "4.10.1"),
                ),
            };
            let hint = if value.contains('=') {
                "; a \";\" seems to be missing before the next tag"
            } else {
                ""
            };
            push(
                InvalidTagValue,
                spec,
                value,
                format!(
                    "{name}={value}: must be {}; {consequence}{hint} ({cite})",
                    known.rule(spec)
                ),
            );
        }
        match known {
            Known::P if i != 1 => {
                push(
                    PolicyNotSecond,
                    Spec::Rfc7489,
                    value,
                    format!(
                        "p={value} is not the first tag after v: RFC 7489 requires \"v=DMARC1; p=...\" in that order (§6.3, §6.4), so its receivers find no valid p and {} (§6.6.3); move p right after v",
                        lost_policy_consequence(valid_rua)
                    ),
                );
                push(
                    PolicyNotSecond,
                    Spec::Rfc9989,
                    value,
                    format!(
                        "p={value} is not the first tag after v: RFC 9989 allows any order (§4.8), but RFC 7489 receivers then ignore p; move p right after v"
                    ),
                );
            }
            Known::Rua | Known::Ruf => {
                for (raw, uri) in uri_elements(value).zip(tag.uris()) {
                    for (kind, spec, detail) in uri_findings(name, raw, uri) {
                        push(kind, spec, raw, detail);
                    }
                }
            }
            Known::Fo if !has_ruf => push(
                FoWithoutRuf,
                Spec::Both,
                value,
                format!(
                    "fo={value} has no effect without a ruf tag: receivers send no failure reports (RFC 7489 §6.3, RFC 9989 §4.7)"
                ),
            ),
            _ => {}
        }
    }
    if !tags.iter().any(|t| t.known == Some(Known::P)) {
        let rfc7489 = lost_policy_consequence(valid_rua);
        out.push((
            usize::MAX,
            Finding::new(
                MissingPolicy,
                Spec::Both,
                Some("p"),
                None,
                format!(
                    "no p tag: RFC 7489 requires p right after v (§6.3) and without it its receivers {rfc7489} (§6.6.3); RFC 9989 reads the record as p=none (§4.7); publish p=none, quarantine or reject"
                ),
            ),
        ));
    }
}

/// Findings about one rua or ruf element, `raw` as written (with any `!size`).
fn uri_findings(tag: &str, raw: &str, uri: &ReportUri) -> Vec<(FindingKind, Spec, String)> {
    let mut found = Vec::new();
    if !uri.valid {
        let hint = if uri.scheme.is_none() {
            " (a URI needs a scheme: write mailto: before an address)"
        } else if uri.uri.contains(['!', ',']) {
            " (\"!\" and \",\" inside a URI must be written %21 and %2C)"
        } else if uri.uri.contains(WSP) {
            " (it contains white space)"
        } else {
            ""
        };
        found.push((
            FindingKind::InvalidUri,
            Spec::Both,
            format!(
                "{tag} element \"{raw}\" is not a valid URI{hint}; receivers ignore it (RFC 7489 §6.4, RFC 9989 §4.8)"
            ),
        ));
    } else if uri.scheme.as_deref() != Some("mailto") {
        let scheme = uri.scheme.as_deref().unwrap_or_default();
        found.push((
            FindingKind::NonMailtoUri,
            Spec::Both,
            format!(
                "{tag} element \"{raw}\" uses the {scheme} scheme; receivers must support only mailto and ignore schemes they do not support (RFC 7489 §6.3, RFC 9989 §4.7)"
            ),
        ));
    } else if uri.address.is_none() {
        found.push((
            FindingKind::InvalidMailtoAddress,
            Spec::Both,
            format!(
                "{tag} element \"{raw}\" holds no valid e-mail address after mailto:, so no report can be sent to it (RFC 6068 §2)"
            ),
        ));
    }
    if uri.size_limit.is_some() {
        let suffix = &raw[uri.uri.len()..];
        found.push((
            FindingKind::ObsoleteSizeLimit,
            Spec::Rfc9989,
            format!(
                "{tag} element \"{raw}\": the size limit \"{suffix}\" is obsolete and RFC 9989 reporters ignore it (§4.8, Appendix C.4)"
            ),
        ));
    }
    found
}

fn malformed(segment: &str, why: Malformed) -> Finding {
    let problem = match why {
        Malformed::NoEquals => "is not a tag=value pair".to_owned(),
        Malformed::EmptyValue => "has an empty value".to_owned(),
        Malformed::BadName => {
            let name = segment
                .split('=')
                .next()
                .unwrap_or_default()
                .trim_end_matches(WSP);
            format!("has the tag name \"{name}\", but tag names are letters only")
        }
    };
    Finding::new(
        FindingKind::MalformedTag,
        Spec::Both,
        None,
        Some(segment),
        format!("\"{segment}\" {problem}; receivers discard it (RFC 7489 §6.3, RFC 9989 §4.8)"),
    )
}

fn duplicate(tag: &Checked<'_>) -> Finding {
    let name = &tag.name;
    Finding::new(
        FindingKind::DuplicateTag,
        Spec::Both,
        Some(name.as_str()),
        Some(tag.value),
        format!(
            "{name}={}: {name} appears more than once, which makes the whole record invalid, so receivers ignore it (RFC 6376 §3.2, adopted by RFC 7489 §6.3 and RFC 9989 §4.7); keep one {name}",
            tag.value
        ),
    )
}

fn not_dmarc(text: &str, first: &str) -> Finding {
    let trimmed = text.trim_start_matches(WSP);
    let version = split_tag(first.trim_matches(WSP)).ok();
    let (tag, value, detail) = if trimmed.len() < text.len() && is_dmarc_record(trimmed) {
        (
            None,
            None,
            "the record starts with white space, and receivers discard records that do not start with \"v=\" (RFC 7489 §6.6.3, RFC 9989 §4.10); remove it".to_owned(),
        )
    } else if let Some((name, value)) = version.filter(|(n, _)| n.eq_ignore_ascii_case("v")) {
        let hint = if value.starts_with("DMARC1") {
            "; separate tags with \";\""
        } else if value
            .get(..4)
            .is_some_and(|v| v.eq_ignore_ascii_case("spf1"))
        {
            "; this is an SPF record, which belongs at the domain itself, not at _dmarc"
        } else {
            ""
        };
        (
            Some("v"),
            Some(value),
            format!(
                "{name}={value}: the version must be exactly DMARC1 (case-sensitive), so receivers ignore the whole record{hint} (RFC 7489 §6.3, RFC 9989 §4.7)"
            ),
        )
    } else {
        (
            None,
            None,
            "the record does not begin with v=DMARC1, so it is no DMARC record and receivers ignore it (RFC 7489 §6.3, RFC 9989 §4.7)".to_owned(),
        )
    };
    Finding::new(FindingKind::NotDmarcRecord, Spec::Both, tag, value, detail)
}

impl ReportUri {
    fn parse(raw: &str) -> Self {
        let (uri, size_limit) = split_size(raw);
        let scheme = uri.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        let valid = is_uri(uri);
        let mailbox = (valid && scheme.as_deref() == Some("mailto"))
            .then(|| mailto_address(uri))
            .flatten();
        let (address, domain) = match mailbox {
            Some((address, domain)) => (Some(address), Some(domain)),
            None => (None, None),
        };
        Self {
            uri: uri.to_owned(),
            scheme,
            valid,
            address,
            domain,
            size_limit,
        }
    }
}

/// Splits `"!" 1*DIGIT [ "k" / "m" / "g" / "t" ]` off the end. A "!" cannot be part of
/// the URI itself (it must be encoded), so the last one is the only candidate.
fn split_size(raw: &str) -> (&str, Option<u64>) {
    let Some((uri, suffix)) = raw.rsplit_once('!') else {
        return (raw, None);
    };
    let (number, unit) = match suffix.as_bytes().last() {
        Some(b) if b.is_ascii_alphabetic() => suffix.split_at(suffix.len() - 1),
        _ => (suffix, ""),
    };
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return (raw, None),
    };
    match digits(number) {
        Some(n) => {
            let bytes = n
                .parse::<u64>()
                .unwrap_or(u64::MAX)
                .saturating_mul(1 << shift);
            (uri, Some(bytes))
        }
        None => (raw, None),
    }
}

/// RFC 3986 sub-delims without "!" and ",", which DMARC URIs must percent-encode.
const SUB_DELIMS: &[u8] = b"$&'()*+;=";

/// RFC 3986 §3: `URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]`.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    let (rest, fragment) = split_off(rest, '#');
    let (hier, query) = split_off(rest, '?');
    // query = fragment = *( pchar / "/" / "?" )
    let tail_ok = |t: Option<&str>| t.is_none_or(|t| uri_chars(t, b":@/?"));
    scheme_ok && tail_ok(query) && tail_ok(fragment) && is_hier_part(hier)
}

fn split_off(s: &str, delimiter: char) -> (&str, Option<&str>) {
    match s.split_once(delimiter) {
        Some((head, tail)) => (head, Some(tail)),
        None => (s, None),
    }
}

/// `hier-part = "//" authority path-abempty / path-absolute / path-rootless / path-empty`:
/// apart from the authority, pchars and "/".
fn is_hier_part(hier: &str) -> bool {
    match hier.strip_prefix("//") {
        Some(rest) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            is_authority(authority) && uri_chars(path, b":@/")
        }
        None => uri_chars(hier, b":@/"),
    }
}

/// `authority = [ userinfo "@" ] host [ ":" port ]`.
fn is_authority(authority: &str) -> bool {
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    // userinfo = *( unreserved / pct-encoded / sub-delims / ":" )
    if userinfo.is_some_and(|u| !uri_chars(u, b":")) {
        return false;
    }
    let (host_ok, port) = match host_port.strip_prefix('[') {
        // IP-literal = "[" ( IPv6address / IPvFuture ) "]"
        Some(rest) => match rest.split_once(']') {
            Some((literal, after)) => (is_ip_literal(literal), after),
            None => return false,
        },
        // IPv4address and reg-name: reg-name = *( unreserved / pct-encoded / sub-delims )
        None => {
            let end = host_port.find(':').unwrap_or(host_port.len());
            let (host, port) = host_port.split_at(end);
            (uri_chars(host, b""), port)
        }
    };
    // port = *DIGIT
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

fn is_ip_literal(literal: &str) -> bool {
    // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
    if let Some(future) = literal.strip_prefix(['v', 'V']) {
        return future.split_once('.').is_some_and(|(version, rest)| {
            !version.is_empty()
                && version.bytes().all(|b| b.is_ascii_hexdigit())
                && !rest.is_empty()
                && !rest.contains('%')
                && uri_chars(rest, b":")
        });
    }
    literal.parse::<std::net::Ipv6Addr>().is_ok()
}

/// Whether `s` is made of RFC 3986 unreserved characters, pct-encoded octets, DMARC's
/// sub-delims and the bytes of `extra`.
fn uri_chars(s: &str, extra: &[u8]) -> bool {
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        let ok = if b == b'%' {
            bytes.next().is_some_and(|h| h.is_ascii_hexdigit())
                && bytes.next().is_some_and(|h| h.is_ascii_hexdigit())
        } else {
            b.is_ascii_alphanumeric()
                || b"-._~".contains(&b)
                || SUB_DELIMS.contains(&b)
                || extra.contains(&b)
        };
        if !ok {
            return false;
        }
    }
    true
}

/// RFC 6068 §2 `mailtoURI = "mailto:" [ to ] [ hfields ]`, `to = addr-spec *("," addr-spec)`:
/// (address, domain) when `to` is exactly one addr-spec whose domain is a host name.
fn mailto_address(uri: &str) -> Option<(String, String)> {
    let (_, rest) = uri.split_once(':')?;
    let to = rest.split('?').next().unwrap_or_default();
    let decoded = percent_decode(to)?;
    let (local, domain) = decoded.rsplit_once('@')?;
    let domain = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(domain).ok()?
    };
    (is_local_part(local) && is_host_name(&domain)).then(|| (format!("{local}@{domain}"), domain))
}

fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// RFC 5322 §3.4.1 `local-part = dot-atom / quoted-string` (UTF-8 allowed, RFC 6532).
fn is_local_part(local: &str) -> bool {
    if let Some(quoted) = local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        // qtext and quoted-pair: anything printable, with '"' and '\' escaped.
        let mut chars = quoted.chars();
        while let Some(c) = chars.next() {
            let ok = match c {
                '\\' => chars
                    .next()
                    .is_some_and(|e| e == ' ' || e == '\t' || !e.is_control()),
                '"' => false,
                c => c == ' ' || c == '\t' || !c.is_control(),
            };
            if !ok {
                return false;
            }
        }
        return true;
    }
    // atext = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "/" /
    //         "=" / "?" / "^" / "_" / "`" / "{" / "|" / "}" / "~"
    local.split('.').all(|atom| {
        !atom.is_empty()
            && atom.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || "!#$%&'*+-/=?^_`{|}~".contains(c)
                    || (!c.is_ascii() && !c.is_control())
            })
    })
}

/// RFC 5321 §4.1.2 `Domain = sub-domain *("." sub-domain)`, letters, digits and inner
/// hyphens per label, within DNS limits, and at least two labels: a report address
/// needs a domain that resolves to a mail host.
fn is_host_name(domain: &str) -> bool {
    check_name(domain).is_ok()
        && domain.contains('.')
        && domain.split('.').all(|label| {
            label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde::Deserialize;
    use serde_json::{Value as Json, json};
    use strum::VariantArray;

    use super::*;

    use FindingKind::*;
    use Spec::{Both, Rfc7489, Rfc9989};

    /// Vectors whose reference reading contradicts the RFC text, each with the sentence
    /// that decides it. The vector tests assert that exactly these diverge.
    const DIVERGENCES: &[(&str, &str)] = &[];

    #[derive(Deserialize)]
    struct RecordVector {
        id: String,
        record: Option<String>,
        rrset: Option<Vec<String>>,
        rfc7489: Json,
        rfc9989: Json,
    }

    #[derive(Deserialize)]
    struct TagVector {
        tag: String,
        value: String,
        rfc7489_valid: Option<bool>,
        rfc9989_valid: Option<bool>,
    }

    fn record_vectors() -> Vec<RecordVector> {
        serde_json::from_str(include_str!("../../tests/data/dmarc-records.json"))
            .expect("vector file is JSON")
    }

    fn tag_vectors() -> Vec<TagVector> {
        serde_json::from_str(include_str!("../../tests/data/dmarc-tag-values.json"))
            .expect("vector file is JSON")
    }

    /// A reading in the shape of the vectors' `effective` object.
    fn effective(r: &Reading) -> Json {
        let Some(p) = r.p else {
            return Json::Null;
        };
        let uris = |list: &[ReportUri]| -> Json {
            list.iter()
                .map(|u| {
                    let mut j =
                        json!({"uri": u.uri, "uri_syntax_valid": u.valid, "scheme": u.scheme});
                    if u.valid && u.scheme.as_deref() == Some("mailto") {
                        j["mailto_addr_spec"] = json!(u.address.is_some());
                    }
                    if let Some(a) = &u.address {
                        j["address"] = json!(a);
                    }
                    if let Some(s) = u.size_limit {
                        j["size_limit"] = json!(s);
                    }
                    j
                })
                .collect()
        };
        let mut j = json!({
            "p": p.as_str(),
            "sp": r.sp.map(Policy::as_str),
            "adkim": r.adkim.as_str(),
            "aspf": r.aspf.as_str(),
            "fo": r.fo,
            "rua": uris(&r.rua),
            "ruf": uris(&r.ruf),
        });
        if let Some(np) = r.np {
            j["np"] = json!(np.as_str());
        }
        if let Some(psd) = r.psd {
            j["psd"] = json!(psd.as_str());
        }
        if let Some(t) = r.t {
            j["t"] = json!(if t { "y" } else { "n" });
        }
        if let Some(pct) = r.pct {
            j["pct"] = json!(pct);
        }
        if let Some(rf) = &r.rf {
            j["rf"] = json!(rf);
        }
        if let Some(ri) = r.ri {
            j["ri"] = json!(ri);
        }
        j
    }

    /// The reference `effective` without what `effective()` does not model: the raw
    /// element (the finding's value holds it) and the flag that duplicates size_limit.
    fn reference_effective(want: &Json) -> Json {
        let mut want = want["effective"].clone();
        for list in ["rua", "ruf"] {
            if let Some(Json::Array(uris)) = want.get_mut(list) {
                for u in uris.iter_mut().filter_map(Json::as_object_mut) {
                    u.remove("raw");
                    u.remove("obsolete_size_suffix");
                }
            }
        }
        want
    }

    /// Compares one reading and its findings with a reference reading.
    fn compare(record: &Record, spec: Spec, want: &Json) -> Result<(), String> {
        let got = if spec == Rfc7489 {
            &record.rfc7489
        } else {
            &record.rfc9989
        };
        if got.outcome.as_str() != want["outcome"] {
            return Err(format!(
                "{}: outcome {} but the reference says {}",
                spec.as_str(),
                got.outcome.as_str(),
                want["outcome"]
            ));
        }
        let (mine, theirs) = (effective(got), reference_effective(want));
        if mine != theirs {
            return Err(format!(
                "{}: effective {mine}\n  reference {theirs}",
                spec.as_str()
            ));
        }
        let findings: Vec<&Finding> = record
            .findings
            .iter()
            .filter(|f| f.spec.covers(spec))
            .collect();
        let count = |key: &str| want[key].as_array().map_or(0, Vec::len);
        let (warnings, errors) = (count("warnings"), count("errors"));
        if (warnings + errors == 0) != findings.is_empty() {
            return Err(format!(
                "{}: {} findings, reference has {warnings} warnings and {errors} errors: {findings:#?}",
                spec.as_str(),
                findings.len()
            ));
        }
        if errors > 0 && !findings.iter().any(|f| f.severity == Severity::Error) {
            return Err(format!(
                "{}: reference errors {} but no error finding",
                spec.as_str(),
                want["errors"]
            ));
        }
        Ok(())
    }

    fn check_record_vector(v: &RecordVector) -> Result<(), String> {
        let wants = [(Rfc7489, &v.rfc7489), (Rfc9989, &v.rfc9989)];
        match (&v.record, &v.rrset) {
            (Some(text), _) => {
                let record = parse(text);
                wants
                    .into_iter()
                    .try_for_each(|(spec, want)| compare(&record, spec, want))
            }
            (None, Some(rrset)) => {
                // RFC 7489 §6.6.3 steps 2 and 5, RFC 9989 §4.10 step 2: other TXT records
                // are discarded, and several DMARC records mean none.
                let selected: Vec<&String> = rrset.iter().filter(|t| is_dmarc_record(t)).collect();
                let outcome = match selected.len() {
                    0 => "no_record",
                    1 => "single_record",
                    _ => "multiple_records_discarded",
                };
                wants.into_iter().try_for_each(|(spec, want)| {
                    if want["outcome"] != outcome {
                        return Err(format!(
                            "{}: {outcome} but the reference says {}",
                            spec.as_str(),
                            want["outcome"]
                        ));
                    }
                    match selected.as_slice() {
                        [one] => compare(&parse(one), spec, &want["record_evaluation"]),
                        _ => Ok(()),
                    }
                })
            }
            (None, None) => Err("vector has neither record nor rrset".to_owned()),
        }
    }

    fn assert_divergences(kind: &str, run: usize, diverging: &BTreeMap<String, String>) {
        eprintln!(
            "DMARC {kind} vectors: {run} run, {} passed, {} diverging",
            run - diverging.len(),
            diverging.len()
        );
        let expected: BTreeSet<&str> = DIVERGENCES.iter().map(|(id, _)| *id).collect();
        let got: BTreeSet<&str> = diverging.keys().map(String::as_str).collect();
        let unexpected: Vec<String> = diverging
            .iter()
            .filter(|(id, _)| !expected.contains(id.as_str()))
            .map(|(id, why)| format!("{id}: {why}"))
            .collect();
        assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
        let listed: BTreeSet<&str> = expected
            .iter()
            .copied()
            .filter(|id| id.starts_with("tag-value ") == (kind == "tag-value"))
            .collect();
        assert_eq!(got, listed, "DIVERGENCES lists vectors that now pass");
    }

    #[test]
    fn record_vectors_match_the_reference_readings() {
        let vectors = record_vectors();
        assert_eq!(vectors.len(), 138);
        let diverging: BTreeMap<String, String> = vectors
            .iter()
            .filter_map(|v| check_record_vector(v).err().map(|e| (v.id.clone(), e)))
            .collect();
        assert_divergences("record", vectors.len(), &diverging);
    }

    /// Validity of `tag=value` under `spec` as the parser reports it: `None` when the
    /// reading does not define the tag.
    fn tag_validity(tag: &str, value: &str, spec: Spec) -> Option<bool> {
        if tag == "v" {
            return Some(is_dmarc_record(&format!("v={value}")));
        }
        let text = if tag == "p" {
            format!("v=DMARC1; p={value}")
        } else {
            format!("v=DMARC1; p=none; {tag}={value}")
        };
        let record = parse(&text);
        let noted = |kind| {
            record
                .findings
                .iter()
                .any(|f| f.kind == kind && f.spec.covers(spec) && f.tag.as_deref() == Some(tag))
        };
        if noted(HistoricTag) || noted(NewTag) || noted(UnknownTag) {
            return None;
        }
        Some(!noted(InvalidTagValue) && !noted(InvalidUri))
    }

    #[test]
    fn tag_value_vectors_match_the_reference_validity() {
        let vectors = tag_vectors();
        assert_eq!(vectors.len(), 101);
        let mut diverging = BTreeMap::new();
        for v in &vectors {
            for (spec, want) in [(Rfc7489, v.rfc7489_valid), (Rfc9989, v.rfc9989_valid)] {
                let got = tag_validity(&v.tag, &v.value, spec);
                if got != want {
                    diverging.insert(
                        format!("tag-value {}={}", v.tag, v.value),
                        format!("{}: {got:?}, reference {want:?}", spec.as_str()),
                    );
                }
            }
        }
        assert_divergences("tag-value", vectors.len(), &diverging);
    }

    #[test]
    fn version_selection() {
        for (text, want) in [
            ("v=DMARC1; p=none", true),
            ("v=DMARC1", true),
            ("v=DMARC1;", true),
            ("v = DMARC1 ; p=reject", true),
            ("v\t=\tDMARC1\t", true),
            ("V=DMARC1; p=none", true),
            ("v=DMARC1 p=none", false),
            (" v=DMARC1; p=none", false),
            ("\tv=DMARC1", false),
            ("v=dmarc1; p=none", false),
            ("v=DMARC10; p=none", false),
            ("v=DMARC2", false),
            ("p=none; v=DMARC1", false),
            ("v=spf1 -all", false),
            ("", false),
        ] {
            assert_eq!(is_dmarc_record(text), want, "{text:?}");
            assert_eq!(
                parse(text).rfc9989.outcome == Outcome::NotDmarcRecord,
                !want,
                "{text:?}"
            );
        }
    }

    #[test]
    fn tags_keep_order_lower_case_names_and_trimmed_values() {
        let record = parse("v=DMARC1;P = Reject\t; RUA=mailto:A@Example.COM ;;x-y=1; Foo=Bar ;");
        let tags: Vec<(&str, &str)> = record
            .tags
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            tags,
            [
                ("v", "DMARC1"),
                ("p", "Reject"),
                ("rua", "mailto:A@Example.COM"),
                ("foo", "Bar"),
            ]
        );
        assert_eq!(record.rfc7489.p, Some(Policy::Reject));
        assert_eq!(
            record.rfc9989.rua[0].address.as_deref(),
            Some("A@example.com")
        );
    }

    #[test]
    fn tag_values_per_specification() {
        // (tag, value, valid under RFC 7489, under RFC 9989); None: tag not defined there.
        let cases: &[(&str, &str, Option<bool>, Option<bool>)] = &[
            ("p", "Quarantine", Some(true), Some(true)),
            ("p", "n", Some(false), Some(false)),
            ("sp", "rejects", Some(false), Some(false)),
            ("np", "reject", None, Some(true)),
            ("adkim", "S", Some(true), Some(true)),
            ("aspf", "strict", Some(false), Some(false)),
            ("fo", "0:d:s", Some(true), Some(true)),
            ("fo", "d:0:s", Some(true), Some(true)),
            ("fo", "s:1", Some(true), Some(true)),
            ("fo", "0 : d", Some(true), Some(false)),
            ("fo", "0:1", Some(true), Some(false)),
            ("fo", "d:d", Some(true), Some(false)),
            ("fo", "0:", Some(false), Some(false)),
            ("psd", "U", None, Some(true)),
            ("t", "yes", None, Some(false)),
            ("pct", "0", Some(true), None),
            ("pct", "100", Some(true), None),
            ("pct", "0100", Some(false), None),
            ("pct", "+5", Some(false), None),
            ("ri", "0086400", Some(true), None),
            ("ri", "4294967296", Some(false), None),
            ("ri", "+1", Some(false), None),
            ("rf", "AFRF : afrf", Some(true), None),
            ("rf", "afrf:iodef", Some(false), None),
            (
                "rua",
                "mailto:a@example.com, mailto:b@example.net!10k",
                Some(true),
                Some(true),
            ),
            ("rua", "mailto:a@example.com,", Some(false), Some(false)),
            ("ruf", "https://example.com/r?x=1#f", Some(true), Some(true)),
        ];
        for &(tag, value, r7489, r9989) in cases {
            assert_eq!(
                tag_validity(tag, value, Rfc7489),
                r7489,
                "{tag}={value} 7489"
            );
            assert_eq!(
                tag_validity(tag, value, Rfc9989),
                r9989,
                "{tag}={value} 9989"
            );
        }
    }

    #[test]
    fn report_uris() {
        // (element, RFC 3986 URI, address)
        let cases: &[(&str, bool, Option<&str>)] = &[
            ("mailto:d@example.com", true, Some("d@example.com")),
            (
                "MailTo:Reports@EXAMPLE.com",
                true,
                Some("Reports@example.com"),
            ),
            (
                "mailto:d@example.com?subject=dmarc",
                true,
                Some("d@example.com"),
            ),
            (
                "mailto:first%2Elast@example.com",
                true,
                Some("first.last@example.com"),
            ),
            (
                "mailto:%22a%20b%22@example.com",
                true,
                Some("\"a b\"@example.com"),
            ),
            (
                "mailto:d@b%C3%BCcher.example",
                true,
                Some("d@xn--bcher-kva.example"),
            ),
            // URIs, but without one usable address.
            ("mailto://abuse.com", true, None),
            ("mailto:a@example.com%2Cb@example.com", true, None),
            ("mailto:d@localhost", true, None),
            ("mailto:d@-bad.example", true, None),
            ("mailto:d@example.com.", true, None),
            ("mailto:a..b@example.com", true, None),
            ("mailto:d@example.com%2", false, None),
            ("mailtoo:me@example.com", true, None),
            ("ftp://abuse.com", true, None),
            ("https://[2001:db8::1]:8443/r", true, None),
            ("https://[v1.x:y]/r", true, None),
            ("https://u:p@example.com:/r?a=b#c", true, None),
            ("urn:ietf:rfc:9989", true, None),
            // Not URIs.
            ("bob@example.com", false, None),
            ("__mailto:r@example.com", false, None),
            ("mailto:a!b@example.com", false, None),
            ("mailto:d@exa mple.com", false, None),
            ("https://example.com:80x/", false, None),
            ("https://[::1/", false, None),
            ("https://[fe80::1%25eth0]/", false, None),
            ("http://a@b@c/", false, None),
            ("http://a#b#c", false, None),
            ("1http://example.com", false, None),
            ("", false, None),
        ];
        for &(raw, valid, address) in cases {
            let got = ReportUri::parse(raw);
            assert_eq!(
                (got.valid, got.address.as_deref()),
                (valid, address),
                "{raw:?}"
            );
            let domain = address.and_then(|a| a.rsplit_once('@')).map(|(_, d)| d);
            assert_eq!(got.domain.as_deref(), domain, "{raw:?}");
            assert_eq!(got.size_limit, None, "{raw:?}");
        }
        // (element, URI without the suffix, size limit in bytes)
        let sizes: &[(&str, &str, Option<u64>)] = &[
            ("mailto:d@example.com!1", "mailto:d@example.com", Some(1)),
            (
                "mailto:d@example.com!10k",
                "mailto:d@example.com",
                Some(10 << 10),
            ),
            (
                "mailto:d@example.com!10M",
                "mailto:d@example.com",
                Some(10 << 20),
            ),
            (
                "mailto:d@example.com!2G",
                "mailto:d@example.com",
                Some(2 << 30),
            ),
            (
                "mailto:d@example.com!1t",
                "mailto:d@example.com",
                Some(1 << 40),
            ),
            (
                "mailto:d@example.com!99999999999999999999t",
                "mailto:d@example.com",
                Some(u64::MAX),
            ),
            ("mailto:d@example.com!", "mailto:d@example.com!", None),
            (
                "mailto:d@example.com!10 K",
                "mailto:d@example.com!10 K",
                None,
            ),
            ("mailto:d@example.com!am", "mailto:d@example.com!am", None),
            (
                "mailto:d@example.com!100p",
                "mailto:d@example.com!100p",
                None,
            ),
        ];
        for &(raw, uri, size) in sizes {
            let got = ReportUri::parse(raw);
            assert_eq!((got.uri.as_str(), got.size_limit), (uri, size), "{raw:?}");
            assert_eq!(got.valid, size.is_some(), "{raw:?}");
        }
        // The scheme is reported whenever there is a ":", to show what was meant.
        for (raw, scheme) in [
            ("MAILTO:d@example.com", Some("mailto")),
            ("__mailto:d@example.com", Some("__mailto")),
            ("mailto:d@example.com!10 K", Some("mailto")),
            ("d@example.com", None),
        ] {
            assert_eq!(ReportUri::parse(raw).scheme.as_deref(), scheme, "{raw:?}");
        }
    }

    #[test]
    fn readings() {
        let r = parse(
            "v=DMARC1; p=reject; sp=quarantine; np=none; t=y; psd=n; adkim=s; pct=50; rf=afrf; ri=3600; fo=1:d; ruf=mailto:f@example.com",
        );
        let (a, b) = (&r.rfc7489, &r.rfc9989);
        assert_eq!(
            (a.p, a.sp, a.np),
            (Some(Policy::Reject), Some(Policy::Quarantine), None)
        );
        assert_eq!(
            (b.p, b.sp, b.np),
            (
                Some(Policy::Reject),
                Some(Policy::Quarantine),
                Some(Policy::None)
            )
        );
        assert_eq!(
            (a.psd, a.t, b.psd, b.t),
            (None, None, Some(Psd::No), Some(true))
        );
        assert_eq!(
            (a.pct, a.ri, b.pct, b.ri, b.rf.as_ref()),
            (Some(50), Some(3600), None, None, None)
        );
        assert_eq!(a.rf.as_deref(), Some(&["afrf".to_owned()][..]));
        assert_eq!((a.adkim, a.aspf), (Alignment::Strict, Alignment::Relaxed));
        assert_eq!(a.fo, ["1", "d"]);
        assert_eq!(a.ruf[0].address.as_deref(), Some("f@example.com"));

        // np defaults to sp, sp to p; invalid optional values give way to the defaults.
        let r = parse("v=DMARC1; p=quarantine; adkim=x; fo=0:1; psd=maybe");
        assert_eq!(r.rfc9989.np, Some(Policy::Quarantine));
        assert_eq!(r.rfc9989.sp, Some(Policy::Quarantine));
        assert_eq!(r.rfc9989.adkim, Alignment::Relaxed);
        assert_eq!(r.rfc9989.fo, ["0"]);
        assert_eq!(r.rfc7489.fo, ["0", "1"]);
        assert_eq!(r.rfc9989.psd, Some(Psd::Unknown));
        assert_eq!(r.rfc9989.outcome, Outcome::ValidWithWarnings);

        // The p=none fallback resets sp and np as well (RFC 9989 §4.10.1).
        let r = parse("v=DMARC1; p=reject; sp=quarantine; np=bad; rua=mailto:r@example.com");
        assert_eq!(r.rfc9989.outcome, Outcome::PNoneFallback);
        assert_eq!(
            (r.rfc9989.p, r.rfc9989.sp, r.rfc9989.np),
            (Some(Policy::None), Some(Policy::None), Some(Policy::None))
        );
        assert_eq!(r.rfc7489.outcome, Outcome::ValidWithWarnings);
        assert_eq!(r.rfc7489.p, Some(Policy::Reject));

        // A typo in np switches DMARC off under RFC 9989 when rua has no valid URI.
        let r = parse("v=DMARC1; p=reject; np=rejct");
        assert_eq!(
            r.rfc9989,
            Reading::without_policy(Outcome::NoDmarcProcessing)
        );

        // Missing p: RFC 9989 reads p=none; RFC 7489 needs a valid rua to fall back.
        let r = parse("v=DMARC1; rua=bob@example.com");
        assert_eq!(r.rfc9989.p, Some(Policy::None));
        assert_eq!(r.rfc7489.outcome, Outcome::NoDmarcProcessing);
        let r = parse("v=DMARC1; rua=ftp://example.com");
        assert_eq!(r.rfc7489.outcome, Outcome::PNoneFallback);

        let r = parse("v=DMARC1; p=none; P=reject");
        assert_eq!(
            r.rfc7489,
            Reading::without_policy(Outcome::InvalidDuplicateTag)
        );
        assert_eq!(r.rfc9989.outcome, Outcome::InvalidDuplicateTag);
    }

    #[test]
    fn findings() {
        // (record, [(kind, spec, tag)]) in record order.
        type Expected<'a> = (FindingKind, Spec, Option<&'a str>);
        let cases: &[(&str, &[Expected<'_>])] = &[
            ("v=DMARC1; p=reject; rua=mailto:r@example.com", &[]),
            (" v=DMARC1; p=reject", &[(NotDmarcRecord, Both, None)]),
            ("v=DMARC2; p=reject", &[(NotDmarcRecord, Both, Some("v"))]),
            ("v=spf1 -all", &[(NotDmarcRecord, Both, Some("v"))]),
            ("p=none; v=DMARC1", &[(NotDmarcRecord, Both, None)]),
            (
                "v=DMARC1; p; x_y=1; =2",
                &[
                    (MalformedTag, Both, None),
                    (MalformedTag, Both, None),
                    (MalformedTag, Both, None),
                    (MissingPolicy, Both, Some("p")),
                ],
            ),
            (
                "v=DMARC1; p=none; x; p=reject; v=DMARC1",
                &[
                    (MalformedTag, Both, None),
                    (DuplicateTag, Both, Some("p")),
                    (DuplicateTag, Both, Some("v")),
                ],
            ),
            (
                "v=DMARC1; sp=none; p=reject",
                &[
                    (PolicyNotSecond, Rfc7489, Some("p")),
                    (PolicyNotSecond, Rfc9989, Some("p")),
                ],
            ),
            (
                "v=DMARC1; p=bob; adkim=bob; fo=0:1; xyz=x",
                &[
                    (InvalidTagValue, Both, Some("p")),
                    (InvalidTagValue, Both, Some("adkim")),
                    (InvalidTagValue, Rfc9989, Some("fo")),
                    (FoWithoutRuf, Both, Some("fo")),
                    (UnknownTag, Both, Some("xyz")),
                ],
            ),
            (
                "v=DMARC1; p=none; pct=150; np=x; t=y; ri=1",
                &[
                    (HistoricTag, Rfc9989, Some("pct")),
                    (InvalidTagValue, Rfc7489, Some("pct")),
                    (NewTag, Rfc7489, Some("np")),
                    (InvalidTagValue, Rfc9989, Some("np")),
                    (NewTag, Rfc7489, Some("t")),
                    (HistoricTag, Rfc9989, Some("ri")),
                ],
            ),
            (
                "v=DMARC1; p=none; rua=r@example.com, ftp://example.com, mailto://x, mailto:r@example.com!5m",
                &[
                    (InvalidUri, Both, Some("rua")),
                    (NonMailtoUri, Both, Some("rua")),
                    (InvalidMailtoAddress, Both, Some("rua")),
                    (ObsoleteSizeLimit, Rfc9989, Some("rua")),
                ],
            ),
        ];
        for &(text, want) in cases {
            let record = parse(text);
            let got: Vec<Expected<'_>> = record
                .findings
                .iter()
                .map(|f| (f.kind, f.spec, f.tag.as_deref()))
                .collect();
            assert_eq!(got, want, "{text:?}");
            for f in &record.findings {
                assert_eq!(f.severity, f.kind.severity(f.spec), "{f:?}");
                assert!(f.detail.contains("RFC"), "no section cited: {f:?}");
                if let Some(value) = &f.value {
                    assert!(f.detail.contains(value.as_str()), "value not named: {f:?}");
                }
            }
        }
    }

    #[test]
    fn odd_input_keeps_the_readings_consistent() {
        for text in [
            "v=DMARC1;\u{0};p=\u{e9}; rua=mailto:%C3%28@example.com",
            "v=DMARC1; p=none; rua=,,!,%,mailto:!1k, ; ruf=[:!",
            "v=DMARC1; p=reject\n; sp=r\u{e9}ject",
            "v=DMARC1;;;;",
            "v=DMARC1; =; ==; p==none",
            "v=DMARC1; fo=:::; pct=; ri=99999999999999999999",
            "\u{feff}v=DMARC1; p=none",
            ";",
        ] {
            let record = parse(text);
            assert_eq!(is_dmarc_record(text), !record.tags.is_empty(), "{text:?}");
            for reading in [&record.rfc7489, &record.rfc9989] {
                assert_eq!(reading.outcome.applies(), reading.p.is_some(), "{text:?}");
                assert_eq!(reading.p.is_some(), reading.sp.is_some(), "{text:?}");
            }
            assert!(!record.findings.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn severities() {
        assert_eq!(PolicyNotSecond.severity(Rfc7489), Severity::Error);
        assert_eq!(PolicyNotSecond.severity(Rfc9989), Severity::Warning);
        assert_eq!(InvalidTagValue.severity(Both), Severity::Error);
        assert_eq!(MissingPolicy.severity(Both), Severity::Error);
        assert_eq!(UnknownTag.severity(Both), Severity::Warning);
        assert_eq!(ObsoleteSizeLimit.severity(Rfc9989), Severity::Warning);
    }

    #[test]
    fn finding_details() {
        let detail = |text: &str, kind| {
            parse(text)
                .findings
                .into_iter()
                .find(|f| f.kind == kind)
                .map(|f| f.detail)
                .unwrap_or_else(|| panic!("{text:?}: no {kind:?}"))
        };
        assert_eq!(
            detail("v=DMARC1; p=none; adkim=bob", InvalidTagValue),
            "adkim=bob: must be r (relaxed) or s (strict); receivers use the default r (RFC 7489 §6.3, RFC 9989 §4.8)"
        );
        assert_eq!(
            detail("v=DMARC1; p=reject; np=rejct", InvalidTagValue),
            "np=rejct: must be none, quarantine or reject; receivers apply no DMARC processing at all, because rua holds no valid URI (RFC 9989 §4.10.1)"
        );
        assert!(
            detail(
                "v=DMARC1; p=none; fo=1:s rua=mailto:a@b.example",
                InvalidTagValue
            )
            .contains("\";\" seems to be missing")
        );
        assert!(detail("v=DMARC1 p=none", NotDmarcRecord).contains("separate tags with \";\""));
        assert!(detail("v=spf1 -all", NotDmarcRecord).contains("SPF record"));
        assert!(detail(" v=DMARC1; p=none", NotDmarcRecord).contains("starts with white space"));
        assert!(
            detail("v=DMARC1; rua=mailto:a@b.example", MissingPolicy)
                .contains("act as if the record said p=none")
        );
        assert!(detail("v=DMARC1; p=none; pct=0", HistoricTag).contains("t=y"));
        assert!(detail("v=DMARC1; p=none; t=y", NewTag).contains("in full"));
        assert!(detail("v=DMARC1; p=none; rua=r@example.com", InvalidUri).contains("mailto:"));
        assert!(detail("v=DMARC1; p=none; rua=mailto:a!b@example.com", InvalidUri).contains("%21"));
    }

    #[test]
    fn serde_names_match_as_str() {
        fn same<T: Serialize>(value: T, name: &str) {
            assert_eq!(serde_json::to_value(value).unwrap(), json!(name));
        }
        for &p in Policy::VARIANTS {
            same(p, p.as_str());
        }
        for &a in Alignment::VARIANTS {
            same(a, a.as_str());
        }
        for &p in Psd::VARIANTS {
            same(p, p.as_str());
        }
        for s in [Both, Rfc7489, Rfc9989] {
            same(s, s.as_str());
        }
        for s in [Severity::Error, Severity::Warning] {
            same(s, s.as_str());
        }
        use Outcome::*;
        for o in [
            Valid,
            ValidWithWarnings,
            PNoneFallback,
            NoDmarcProcessing,
            NotDmarcRecord,
            InvalidDuplicateTag,
        ] {
            same(o, o.as_str());
        }
        for k in [
            FindingKind::NotDmarcRecord,
            MalformedTag,
            DuplicateTag,
            MissingPolicy,
            PolicyNotSecond,
            InvalidTagValue,
            UnknownTag,
            HistoricTag,
            NewTag,
            InvalidUri,
            NonMailtoUri,
            InvalidMailtoAddress,
            ObsoleteSizeLimit,
            FoWithoutRuf,
        ] {
            same(k, k.as_str());
        }
    }
}
