//! Pure BIMI parser: which TXT records are BIMI1 records, and the tags of one (draft §4.2,
//! in RFC 6376 §3.2's tag-list syntax), with `l=` and `a=` checked as HTTPS URLs.

use url::{Host, Url};

use super::Record;

/// ABNF `WSP`. RFC 6376's FWS also allows CRLF before white space; a TXT record has no
/// header folding to undo, so a CR or LF in one is an error like any control character.
const WSP: [char; 2] = [' ', '\t'];

/// The version a BIMI1 record's first tag must give, exactly (draft §4.2: "The value of
/// this tag MUST match precisely").
const VERSION: &str = "BIMI1";

/// Why a BIMI1 record gives receivers no indicator. Tags and values are kept as written
/// and shown Debug-quoted, as they come from the network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("the record does not begin with \"v=BIMI1\" (draft §4.2)")]
    BadVersion,
    #[error("empty tag at offset {offset}: nothing between two \";\" (RFC 6376 §3.2)")]
    EmptyTag { offset: usize },
    #[error("tag {text:?} at offset {offset} has no \"=\"")]
    MissingEquals { text: String, offset: usize },
    #[error(
        "invalid tag name {name:?} at offset {offset}; a name is a letter, then letters, \
         digits or \"_\" (RFC 6376 §3.2)"
    )]
    BadTagName { name: String, offset: usize },
    #[error(
        "invalid value of tag {name:?} at offset {offset}; a value is printable US-ASCII \
         other than \";\", with white space only between its parts (RFC 6376 §3.2)"
    )]
    BadValue { name: String, offset: usize },
    #[error(
        "tag {name:?} repeated at offset {offset}; the whole record is then invalid (RFC 6376 §3.2)"
    )]
    DuplicateTag { name: String, offset: usize },
    #[error("no l= tag; the record requires one, empty or not (draft §4.2)")]
    MissingLocation,
    #[error("{tag}= {value:?} is not a single URI (draft §4.2: one URI, commas percent-encoded)")]
    NotSingleUri { tag: &'static str, value: String },
    #[error("{tag}= {uri:?} is not a valid URI (RFC 3986)")]
    InvalidUri { tag: &'static str, uri: String },
    #[error("{tag}= {uri:?} is not an https URL; HTTPS is the only transport (draft §4.2)")]
    NotHttps { tag: &'static str, uri: String },
    #[error("{tag}= {uri:?} names no {needed} (draft §4.2)")]
    NoHost {
        tag: &'static str,
        uri: String,
        needed: &'static str,
    },
    #[error(
        "l= is empty but a= is not: no declination, which needs both empty (draft §4.2.1), \
         and no indicator location, without which receivers display nothing (draft §7.3 \
         step 1)"
    )]
    NoLocation,
}

/// Whether `text` is a BIMI1 record at all: its first tag is `v=BIMI1`, with white space
/// around the "=" as the ABNF allows, and nothing else before the first ";". Others are
/// discarded, not errors (draft §4.2 on `v=`, §7.2 step 4): `v=BIMI10;` or `v=bimi1;`
/// is no BIMI1 record, and receivers "MUST NOT attempt to fix" it.
pub(crate) fn is_bimi_record(text: &str) -> bool {
    let first = text.split(';').next().unwrap_or_default();
    first
        .strip_prefix('v')
        .map(|rest| rest.trim_start_matches(WSP))
        .and_then(|rest| rest.strip_prefix('='))
        .is_some_and(|value| value.trim_matches(WSP) == VERSION)
}

/// One `tag=value` of the record, borrowed from its text, white space around both trimmed.
struct Tag<'a> {
    name: &'a str,
    value: &'a str,
}

/// Parses one BIMI Assertion Record (`bimi-record`).
pub fn parse_record(text: &str) -> Result<Record, RecordError> {
    if !is_bimi_record(text) {
        return Err(RecordError::BadVersion);
    }
    let tags = tag_list(text)?;
    let mut location = None;
    let mut authority = None;
    // The first tag is `v` (checked above); unknown tags are ignored (draft §4.2).
    for tag in &tags[1..] {
        match tag.name {
            "l" => location = Some(tag.value),
            "a" => authority = Some(tag.value),
            _ => {}
        }
    }
    let location = location.ok_or(RecordError::MissingLocation)?;
    let location = https_uri("l", location, false)?;
    // An absent a= reads as an empty one (draft §4.2).
    let authority = match authority {
        Some(value) => https_uri("a", value, true)?,
        None => None,
    };
    if location.is_none() && authority.is_some() {
        return Err(RecordError::NoLocation);
    }
    Ok(Record {
        location,
        authority,
    })
}

/// RFC 6376 §3.2 `tag-list`: the tags in order, each name checked, each value's
/// characters checked, no name twice.
fn tag_list(text: &str) -> Result<Vec<Tag<'_>>, RecordError> {
    let segments: Vec<(usize, &str)> = text
        .split(';')
        .scan(0, |at, segment| {
            let start = *at;
            *at += segment.len() + 1;
            Some((start, segment))
        })
        .collect();
    let mut tags: Vec<Tag<'_>> = Vec::with_capacity(segments.len());
    for (i, &(start, segment)) in segments.iter().enumerate() {
        let trimmed = segment.trim_start_matches(WSP);
        let offset = start + (segment.len() - trimmed.len());
        let trimmed = trimmed.trim_end_matches(WSP);
        if trimmed.is_empty() {
            // One ";" may end the list (`[ ";" ]`), with white space after it.
            if i > 0 && i + 1 == segments.len() {
                break;
            }
            return Err(RecordError::EmptyTag { offset });
        }
        let Some((name, value)) = trimmed.split_once('=') else {
            return Err(RecordError::MissingEquals {
                text: trimmed.to_owned(),
                offset,
            });
        };
        let name = name.trim_end_matches(WSP);
        let value = value.trim_start_matches(WSP);
        if !is_tag_name(name) {
            return Err(RecordError::BadTagName {
                name: name.to_owned(),
                offset,
            });
        }
        // VALCHAR = %x21-3A / %x3C-7E, and WSP between them; ";" cannot occur here.
        if !value
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) || WSP.contains(&char::from(b)))
        {
            return Err(RecordError::BadValue {
                name: name.to_owned(),
                offset,
            });
        }
        if tags.iter().any(|t| t.name == name) {
            return Err(RecordError::DuplicateTag {
                name: name.to_owned(),
                offset,
            });
        }
        tags.push(Tag { name, value });
    }
    Ok(tags)
}

/// `tag-name = ALPHA *ALNUMPUNC`.
fn is_tag_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `[bimi-uri]`: `None` when empty, else one https URL with a host — a domain name when
/// `fqdn` (draft §4.2 asks that of `a=` only).
fn https_uri(tag: &'static str, value: &str, fqdn: bool) -> Result<Option<String>, RecordError> {
    if value.is_empty() {
        return Ok(None);
    }
    if value.contains(WSP) || value.contains(',') {
        return Err(RecordError::NotSingleUri {
            tag,
            value: value.to_owned(),
        });
    }
    let invalid = || RecordError::InvalidUri {
        tag,
        uri: value.to_owned(),
    };
    let (scheme, rest) = value.split_once(':').ok_or_else(invalid)?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok || !is_uri_text(rest) {
        return Err(invalid());
    }
    // Schemes are case-insensitive (RFC 3986 §3.1): `HTTPS:` is https.
    if !scheme.eq_ignore_ascii_case("https") {
        return Err(RecordError::NotHttps {
            tag,
            uri: value.to_owned(),
        });
    }
    let no_host = || RecordError::NoHost {
        tag,
        uri: value.to_owned(),
        needed: if fqdn { "domain name" } else { "host" },
    };
    // The URL parser alone would not do: it reads `https:///x` and `https:x` as host
    // `x`, as browsers do; RFC 3986 gives them no authority.
    let authority_ok = rest
        .strip_prefix("//")
        .is_some_and(|after| !after.starts_with(['/', '?', '#']) && !after.is_empty());
    if !authority_ok {
        return Err(no_host());
    }
    let url = Url::parse(value).map_err(|_| invalid())?;
    match url.host() {
        Some(Host::Domain(domain)) if !domain.is_empty() => Ok(Some(value.to_owned())),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) if !fqdn => Ok(Some(value.to_owned())),
        _ => Err(no_host()),
    }
}

/// The characters RFC 3986 allows after the scheme: unreserved, reserved, and "%"
/// followed by two hex digits.
fn is_uri_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3);
            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b)) {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(location: Option<&str>, authority: Option<&str>) -> Result<Record, RecordError> {
        Ok(Record {
            location: location.map(str::to_owned),
            authority: authority.map(str::to_owned),
        })
    }

    #[test]
    fn which_records_are_bimi1() {
        for (text, bimi) in [
            ("v=BIMI1; l=https://example.com/l.svg", true),
            ("v=BIMI1;l=", true),
            ("v = BIMI1 ; l=", true),
            ("v=BIMI1", true),
            ("v=BIMI10; l=https://example.com/l.svg", false),
            ("v=bimi1; l=https://example.com/l.svg", false),
            ("V=BIMI1; l=https://example.com/l.svg", false),
            (" v=BIMI1; l=https://example.com/l.svg", false),
            ("l=https://example.com/l.svg; v=BIMI1", false),
            ("v=spf1 -all", false),
            ("", false),
        ] {
            assert_eq!(is_bimi_record(text), bimi, "{text:?}");
        }
    }

    #[test]
    fn records() {
        let logo = "https://example.com/logo.svg";
        let vmc = "https://example.com/vmc.pem";
        for (text, expected) in [
            (
                "v=BIMI1; l=https://example.com/logo.svg",
                record(Some(logo), None),
            ),
            (
                "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem;",
                record(Some(logo), Some(vmc)),
            ),
            // Any order after v, white space around "=" and ";", unknown tags ignored.
            (
                "v=BIMI1 ;a = https://example.com/vmc.pem; x_1=what ever ; l= https://example.com/logo.svg ",
                record(Some(logo), Some(vmc)),
            ),
            ("v=BIMI1; l=; a=;", record(None, None)),
            ("v=BIMI1; l=", record(None, None)),
            (
                "v=BIMI1; l=HTTPS://example.com/logo.svg",
                record(Some("HTTPS://example.com/logo.svg"), None),
            ),
        ] {
            assert_eq!(parse_record(text), expected, "{text:?}");
        }
    }

    #[test]
    fn errors() {
        use RecordError as E;
        let not_https = |tag, uri: &str| E::NotHttps {
            tag,
            uri: uri.to_owned(),
        };
        for (text, expected) in [
            ("v=BIMI2; l=", E::BadVersion),
            ("v=BIMI1", E::MissingLocation),
            ("v=BIMI1; a=https://example.com/vmc.pem", E::MissingLocation),
            ("v=BIMI1;; l=", E::EmptyTag { offset: 8 }),
            (
                "v=BIMI1; l",
                E::MissingEquals {
                    text: "l".into(),
                    offset: 9,
                },
            ),
            (
                "v=BIMI1; 1x=y; l=",
                E::BadTagName {
                    name: "1x".into(),
                    offset: 9,
                },
            ),
            (
                "v=BIMI1; l=\u{e9}",
                E::BadValue {
                    name: "l".into(),
                    offset: 9,
                },
            ),
            (
                "v=BIMI1; l=; l=",
                E::DuplicateTag {
                    name: "l".into(),
                    offset: 13,
                },
            ),
            (
                "v=BIMI1; v=BIMI1; l=",
                E::DuplicateTag {
                    name: "v".into(),
                    offset: 9,
                },
            ),
            (
                "v=BIMI1; l=http://example.com/logo.svg",
                not_https("l", "http://example.com/logo.svg"),
            ),
            (
                "v=BIMI1; l=https://example.com/l.svg; a=http://example.com/vmc.pem",
                not_https("a", "http://example.com/vmc.pem"),
            ),
            (
                "v=BIMI1; l=https://a.example/l.svg,https://b.example/l.svg",
                E::NotSingleUri {
                    tag: "l",
                    value: "https://a.example/l.svg,https://b.example/l.svg".into(),
                },
            ),
            (
                "v=BIMI1; l=https://example.com/l o.svg",
                E::NotSingleUri {
                    tag: "l",
                    value: "https://example.com/l o.svg".into(),
                },
            ),
            (
                "v=BIMI1; l=example.com/logo.svg",
                E::InvalidUri {
                    tag: "l",
                    uri: "example.com/logo.svg".into(),
                },
            ),
            (
                "v=BIMI1; l=https://example.com/%zz.svg",
                E::InvalidUri {
                    tag: "l",
                    uri: "https://example.com/%zz.svg".into(),
                },
            ),
            (
                "v=BIMI1; l=https://exa<mple.com/l.svg",
                E::InvalidUri {
                    tag: "l",
                    uri: "https://exa<mple.com/l.svg".into(),
                },
            ),
            (
                "v=BIMI1; l=https:///logo.svg",
                E::NoHost {
                    tag: "l",
                    uri: "https:///logo.svg".into(),
                    needed: "host",
                },
            ),
            (
                "v=BIMI1; l=https://example.com/l.svg; a=https://192.0.2.1/vmc.pem",
                E::NoHost {
                    tag: "a",
                    uri: "https://192.0.2.1/vmc.pem".into(),
                    needed: "domain name",
                },
            ),
            ("v=BIMI1; l=; a=https://example.com/vmc.pem", E::NoLocation),
        ] {
            assert_eq!(parse_record(text), Err(expected), "{text:?}");
        }
    }
}
