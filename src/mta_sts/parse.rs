//! Pure MTA-STS parsers: the choice of the `_mta-sts` TXT record among those at the name
//! and its fields (RFC 8461 §3.1), the policy file (§3.2), and MX pattern matching (§4.1).
//!
//! Literals are case-sensitive, as the RFC writes them with RFC 7405's `%s`: `v=stsv1`,
//! `ID=…`, `Mode: enforce` and `mode: Enforce` are not the defined fields and values.

use super::{Extension, FieldError, Mode, MxPattern, Policy, Record};
use crate::dns::check_name;
#[cfg(test)]
use crate::hostname::mx_matches;
use crate::txt_fields::{self, RawField, WSP};

/// What a record must begin with to be considered at all: RFC 8461 §3.1 says "records
/// that do not begin with "v=STSv1;" are discarded" — the version and the ";" directly
/// after it, case-sensitively. So `v=STSv1 ;id=…`, though its ABNF allows white space
/// before the ";", is discarded rather than chosen.
pub(super) const SELECT_PREFIX: &str = "v=STSv1;";

/// `sts-version`.
const VERSION: &str = "v=STSv1";

/// The largest `max_age`, a year of seconds (RFC 8461 §3.2).
pub const MAX_AGE_LIMIT: u32 = 31_557_600;

/// Why the `_mta-sts` TXT records give no usable policy indication.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum RecordError {
    #[error(
        "{count} TXT records begin with \"v=STSv1;\"; unless exactly one does, there is no \
         usable policy (RFC 8461 §3.1)"
    )]
    MultipleRecords { count: usize },
    #[error("the record does not begin with \"v=STSv1\"")]
    BadVersion,
    #[error(transparent)]
    Syntax(#[from] FieldError),
    #[error("no id field; the record requires one (RFC 8461 §3.1)")]
    MissingId,
    #[error("invalid id {id:?} at offset {offset}; an id is 1 to 32 letters and digits")]
    BadId { id: String, offset: usize },
}

/// Why a policy file is not a valid policy. Lines are counted from 1; values are kept
/// as written and shown Debug-quoted, as they come from the network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum PolicyError {
    #[error("the policy file is empty")]
    Empty,
    #[error("line {line} is empty; lines hold one \"key: value\" each (RFC 8461 §3.2)")]
    EmptyLine { line: usize },
    #[error("line {line} ({text:?}) has no \":\" between a key and its value")]
    MissingColon { line: usize, text: String },
    #[error(
        "invalid key {key:?} on line {line}; a key is a letter or digit, then up to 31 \
         letters, digits, \"_\", \"-\" or \".\", at the start of the line"
    )]
    BadKey { line: usize, key: String },
    #[error(
        "invalid value {value:?} of {key:?} on line {line}; a value is printable text without \
         control characters"
    )]
    BadExtensionValue {
        line: usize,
        key: String,
        value: String,
    },
    #[error("version {value:?} on line {line}; only \"STSv1\" is defined")]
    BadVersion { line: usize, value: String },
    #[error(
        "mode {value:?} on line {line}; it must be \"enforce\", \"testing\" or \"none\" \
         (lower case)"
    )]
    BadMode { line: usize, value: String },
    #[error("max_age {value:?} on line {line}; it must be 1 to 10 digits")]
    BadMaxAge { line: usize, value: String },
    #[error("max_age {value} on line {line} is above the limit of 31557600 seconds")]
    MaxAgeTooLarge { line: usize, value: u64 },
    #[error(
        "mx {value:?} on line {line}; it must be a host name, or \"*.\" and a domain, in \
         letters, digits and inner hyphens (an A-label for an internationalised name)"
    )]
    BadMx { line: usize, value: String },
    #[error("no version line; the policy requires \"version: STSv1\"")]
    MissingVersion,
    #[error("no mode line; the policy requires one")]
    MissingMode,
    #[error("no max_age line; the policy requires one")]
    MissingMaxAge,
    #[error("no mx line with mode {mode}; only a policy in mode none may omit mx (RFC 8461 §3.2)")]
    MissingMx { mode: Mode },
}

/// Chooses the `_mta-sts` record among the TXT records at the name (each with its
/// strings already joined without spaces, §3.1) and parses it.
///
/// `Ok(None)`: no record begins with `v=STSv1;`, so the domain publishes no MTA-STS.
/// Several such records, or one that is invalid, are errors: RFC 8461 §3.1 has senders
/// then assume no available policy.
pub fn select_record(txts: &[String]) -> Result<Option<Record>, RecordError> {
    match txt_fields::the_one(txts, SELECT_PREFIX) {
        Ok(one) => one.map(parse_record).transpose(),
        Err(count) => Err(RecordError::MultipleRecords { count }),
    }
}

/// Parses one `_mta-sts` TXT record (`sts-text-record`).
pub fn parse_record(text: &str) -> Result<Record, RecordError> {
    if !text.starts_with(VERSION) {
        return Err(RecordError::BadVersion);
    }
    let mut id = None;
    let mut extensions = Vec::new();
    let mut ignored_duplicates = Vec::new();
    for field in txt_fields::split(text, VERSION)? {
        if field.name == "id" && id.is_none() {
            id = Some(check_id(&field)?);
            continue;
        }
        // Anything else must at least be an `sts-extension`.
        txt_fields::check_ext_value(&field)?;
        match field.name {
            // The version stood at the start already.
            "v" | "id" => ignored_duplicates.push(field.to_extension()),
            _ => extensions.push(field.to_extension()),
        }
    }
    let id = id.ok_or(RecordError::MissingId)?;
    Ok(Record {
        id,
        extensions,
        ignored_duplicates,
    })
}

/// `sts-id = %s"id=" 1*32(ALPHA / DIGIT)`.
fn check_id(field: &RawField<'_>) -> Result<String, RecordError> {
    let value = field.value;
    if (1..=32).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(value.to_owned())
    } else {
        Err(RecordError::BadId {
            id: value.to_owned(),
            offset: field.offset + "id=".len(),
        })
    }
}

/// Parses a policy file body (`sts-policy-record`), lines ended by LF or CRLF.
///
/// Keys are case-sensitive; unknown keys are kept as extensions and otherwise ignored,
/// and later copies of `version`, `mode` and `max_age` are ignored unread (RFC 8461
/// §3.2, last paragraph).
pub fn parse_policy(body: &str) -> Result<Policy, PolicyError> {
    if body.is_empty() {
        return Err(PolicyError::Empty);
    }
    let mut version = false;
    let mut mode = None;
    let mut max_age = None;
    let mut mx = Vec::new();
    let mut extensions = Vec::new();
    let mut ignored_duplicates = Vec::new();
    let pieces: Vec<&str> = body.split('\n').collect();
    for (i, piece) in pieces.iter().enumerate() {
        let line = i + 1;
        let last = i + 1 == pieces.len();
        // `sts-policy-term = LF / CRLF`: a CR counts only right before an LF.
        let text = if last {
            piece
        } else {
            piece.strip_suffix('\r').unwrap_or(piece)
        };
        if text.is_empty() {
            // The last term is optional: the body may end with one line break.
            if last && i > 0 {
                break;
            }
            return Err(PolicyError::EmptyLine { line });
        }
        let Some((key, value)) = text.split_once(':') else {
            return Err(PolicyError::MissingColon {
                line,
                text: text.to_owned(),
            });
        };
        if !txt_fields::is_ext_name(key) {
            return Err(PolicyError::BadKey {
                line,
                key: key.to_owned(),
            });
        }
        let value = value.trim_matches(WSP);
        let duplicate = match key {
            "version" => version,
            "mode" => mode.is_some(),
            "max_age" => max_age.is_some(),
            _ => false,
        };
        if duplicate {
            ignored_duplicates.push(extension(key, value));
            continue;
        }
        match key {
            "version" if value == "STSv1" => version = true,
            "version" => {
                return Err(PolicyError::BadVersion {
                    line,
                    value: value.to_owned(),
                });
            }
            "mode" => mode = Some(parse_mode(value).ok_or_else(|| bad_mode(line, value))?),
            "max_age" => max_age = Some(parse_max_age(line, value)?),
            "mx" => mx.push(parse_mx(value).ok_or_else(|| PolicyError::BadMx {
                line,
                value: value.to_owned(),
            })?),
            _ if is_ext_value(value) => extensions.push(extension(key, value)),
            _ => {
                return Err(PolicyError::BadExtensionValue {
                    line,
                    key: key.to_owned(),
                    value: value.to_owned(),
                });
            }
        }
    }
    if !version {
        return Err(PolicyError::MissingVersion);
    }
    let mode = mode.ok_or(PolicyError::MissingMode)?;
    let max_age = max_age.ok_or(PolicyError::MissingMaxAge)?;
    // §3.2's ABNF: mx is "required at least once, except when mode is "none"".
    if mx.is_empty() && mode != Mode::None {
        return Err(PolicyError::MissingMx { mode });
    }
    Ok(Policy {
        mode,
        max_age,
        mx,
        extensions,
        ignored_duplicates,
    })
}

fn extension(key: &str, value: &str) -> Extension {
    Extension {
        name: key.to_owned(),
        value: value.to_owned(),
    }
}

fn bad_mode(line: usize, value: &str) -> PolicyError {
    PolicyError::BadMode {
        line,
        value: value.to_owned(),
    }
}

fn parse_mode(value: &str) -> Option<Mode> {
    match value {
        "enforce" => Some(Mode::Enforce),
        "testing" => Some(Mode::Testing),
        "none" => Some(Mode::None),
        _ => None,
    }
}

/// `1*10(DIGIT)`, at most [`MAX_AGE_LIMIT`]; leading zeros are allowed.
fn parse_max_age(line: usize, value: &str) -> Result<u32, PolicyError> {
    if !(1..=10).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PolicyError::BadMaxAge {
            line,
            value: value.to_owned(),
        });
    }
    // Ten digits fit in a u64.
    let seconds: u64 = value.parse().unwrap_or(u64::MAX);
    u32::try_from(seconds)
        .ok()
        .filter(|&s| s <= MAX_AGE_LIMIT)
        .ok_or(PolicyError::MaxAgeTooLarge {
            line,
            value: seconds,
        })
}

/// `["*."] Domain`, with RFC 5321 §4.1.2 `Domain = sub-domain *("." sub-domain)`,
/// `sub-domain = Let-dig [Ldh-str]`: letters, digits and inner hyphens, within the DNS
/// limits of 63 octets a label and 253 a name (RFC 1035 §2.3.4).
fn parse_mx(value: &str) -> Option<MxPattern> {
    let (wildcard, domain) = match value.strip_prefix("*.") {
        Some(domain) => (true, domain),
        None => (false, value),
    };
    let ldh = domain.split('.').all(|label| {
        label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    (ldh && check_name(domain).is_ok()).then(|| MxPattern {
        wildcard,
        domain: domain.to_owned(),
    })
}

/// `sts-policy-ext-value`: not empty and no control characters (the WSP around it,
/// which the ABNF gives to the delimiter and the line, was already taken off).
fn is_ext_value(value: &str) -> bool {
    !value.is_empty() && !value.chars().any(char::is_control)
}

#[cfg(test)]
mod tests;
