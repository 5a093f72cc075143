//! The `name=value` fields, separated by ";", that the `_mta-sts` (RFC 8461 §3.1) and
//! `_smtp._tls` (RFC 8460 §3) TXT records share after their version field: one
//! tokenizer for both, so the two records treat white space and empty fields alike.

// RFC 8461 §3.1 and RFC 8460 §3 (the same rules under two prefixes):
//
//   record          = version 1*(field-delim field) [field-delim]
//   field-delim     = *WSP ";" *WSP
//   extension       = ext-name "=" ext-value
//   ext-name        = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//   ext-value       = 1*(%x21-3A / %x3C / %x3E-7E)
//                     ; chars excluding "=", ";", SP, and CTLs

use std::ops::Range;

use crate::dns::{Outcome, TempFail};

/// ABNF `WSP`: the only white space allowed around ";" (and "," in TLS-RPT's rua).
pub(crate) const WSP: [char; 2] = [' ', '\t'];

/// A field the protocol does not define, kept as written; senders ignore it
/// (RFC 8461 §3.2 last paragraph, RFC 8460 §3 last paragraph).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub name: String,
    pub value: String,
}

/// What a TXT answer holds of the records that begin with one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Published {
    /// None (NXDOMAIN, NODATA, or only other records).
    None,
    /// The lookup failed: not known.
    Unknown(TempFail),
    One(String),
    /// Several, each of them: both RFCs then have senders use none.
    Several(Vec<String>),
}

/// The records of `answer` that begin with `prefix`.
pub(crate) fn published(answer: Outcome<Vec<String>>, prefix: &str) -> Published {
    let txts = match answer {
        Outcome::Answer(txts) => txts,
        Outcome::NxDomain | Outcome::NoData => return Published::None,
        Outcome::TempFail(failure) => return Published::Unknown(failure),
    };
    // One rule of choice for both: `the_one`'s.
    match the_one(&txts, prefix) {
        Ok(None) => Published::None,
        Ok(Some(one)) => Published::One(one.to_owned()),
        Err(_) => Published::Several(txts.into_iter().filter(|t| t.starts_with(prefix)).collect()),
    }
}

/// The one record among `txts` that begins with `prefix` (both RFCs discard the others):
/// `Ok(None)` when none does, `Err(count)` when several do.
pub(crate) fn the_one<'a>(txts: &'a [String], prefix: &str) -> Result<Option<&'a str>, usize> {
    let mut chosen = txts.iter().filter(|t| t.starts_with(prefix));
    match (chosen.next(), chosen.next()) {
        (None, _) => Ok(None),
        (Some(one), None) => Ok(Some(one)),
        (Some(_), Some(_)) => Err(2 + chosen.count()),
    }
}

/// One `name=value` field of a record, borrowed from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawField<'a> {
    pub(crate) name: &'a str,
    /// Everything after the first "=", up to the next ";" or the end, without the
    /// white space before that ";".
    pub(crate) value: &'a str,
    /// Byte offset of `name` in the record text.
    pub(crate) offset: usize,
}

impl RawField<'_> {
    pub(crate) fn to_extension(self) -> Extension {
        Extension {
            name: self.name.to_owned(),
            value: self.value.to_owned(),
        }
    }
}

/// Why the fields of a record do not follow the shared grammar. Names and values are
/// kept as written and shown Debug-quoted, as they come from the network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum FieldError {
    #[error("non-ASCII character at offset {offset}; the record must be US-ASCII")]
    NotAscii { offset: usize },
    #[error("expected \";\" after the version at offset {offset}, found {found:?}")]
    ExpectedDelimiter { offset: usize, found: String },
    #[error("empty field at offset {offset}: nothing between two \";\"")]
    EmptyField { offset: usize },
    #[error("field {field:?} at offset {offset} has no \"=\"")]
    MissingEquals { field: String, offset: usize },
    #[error(
        "invalid field name {name:?} at offset {offset}; a name is a letter or digit, then \
         up to 31 letters, digits, \"_\", \"-\" or \".\", with no space before the \"=\""
    )]
    BadName { name: String, offset: usize },
    #[error(
        "invalid value {value:?} of field {name:?} at offset {offset}; a value is one or more \
         printable ASCII characters other than \"=\" and \";\", without spaces"
    )]
    BadValue {
        name: String,
        value: String,
        offset: usize,
    },
    #[error("white space at the end of the record (offset {offset}) without a \";\" before it")]
    TrailingWhitespace { offset: usize },
}

/// Splits the text after `version` (which the caller has checked `text` begins with)
/// into its fields, in order. An empty list means the record holds the version alone.
pub(crate) fn split<'a>(text: &'a str, version: &str) -> Result<Vec<RawField<'a>>, FieldError> {
    if let Some(offset) = text.bytes().position(|b| !b.is_ascii()) {
        return Err(FieldError::NotAscii { offset });
    }
    let mut pieces = pieces(text, version.len());
    let Some(first) = pieces.next() else {
        return Ok(Vec::new());
    };
    // Between the version and the first ";" only WSP may stand: `v=STSv1x;` is no version.
    let head = &text[first.clone()];
    if !head.trim_matches(WSP).is_empty() {
        return Err(FieldError::ExpectedDelimiter {
            offset: first.start,
            found: head.to_owned(),
        });
    }
    let pieces: Vec<Range<usize>> = pieces.collect();
    let mut fields = Vec::with_capacity(pieces.len());
    for (i, piece) in pieces.iter().enumerate() {
        let raw = &text[piece.clone()];
        let trimmed = raw.trim_start_matches(WSP);
        let offset = piece.start + (raw.len() - trimmed.len());
        let last = i + 1 == pieces.len();
        if trimmed.is_empty() {
            // A trailing delimiter is allowed once, with WSP after it (`[field-delim]`).
            if last {
                break;
            }
            return Err(FieldError::EmptyField { offset });
        }
        let field = if last {
            // Only a ";" may take the white space after the last field.
            if trimmed.ends_with(WSP) {
                return Err(FieldError::TrailingWhitespace {
                    offset: offset + trimmed.trim_end_matches(WSP).len(),
                });
            }
            trimmed
        } else {
            trimmed.trim_end_matches(WSP)
        };
        let Some((name, value)) = field.split_once('=') else {
            return Err(FieldError::MissingEquals {
                field: field.to_owned(),
                offset,
            });
        };
        if !is_ext_name(name) {
            return Err(FieldError::BadName {
                name: name.to_owned(),
                offset,
            });
        }
        fields.push(RawField {
            name,
            value,
            offset,
        });
    }
    Ok(fields)
}

/// The byte ranges between the ";"s after `start`; the first is what stands between the
/// version and the first ";", or the whole rest when there is no ";" at all (then it is
/// the only one, and `None` is returned when it is empty too).
fn pieces(text: &str, start: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let rest = &text[start..];
    let empty = rest.is_empty();
    let mut at = start;
    rest.split(';')
        .map(move |piece| {
            let range = at..at + piece.len();
            at = range.end + 1;
            range
        })
        .filter(move |_| !empty)
}

/// `ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")`.
pub(crate) fn is_ext_name(name: &str) -> bool {
    name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

/// `ext-value = 1*(%x21-3A / %x3C / %x3E-7E)`: printable ASCII but "=" and ";".
pub(crate) fn check_ext_value(field: &RawField<'_>) -> Result<(), FieldError> {
    let ok = !field.value.is_empty()
        && field
            .value
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'=' && b != b';');
    if ok {
        Ok(())
    } else {
        Err(FieldError::BadValue {
            name: field.name.to_owned(),
            value: field.value.to_owned(),
            offset: field.offset,
        })
    }
}
