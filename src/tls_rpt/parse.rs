//! Pure TLS-RPT parser: the choice of the `_smtp._tls` TXT record among those at the name
//! and its fields (RFC 8460 §3), with each `rua` URI checked as a `mailto:` address or an
//! `https:` URL with a host.

use super::{Extension, FieldError, Record, ReportUri};
use crate::dmarc::{is_uri, mailto_address};
use crate::txt_fields::{self, RawField, WSP};

/// What a record must begin with to be considered at all: RFC 8460 §3 says "records that
/// do not begin with "v=TLSRPTv1;" are discarded" — the version and the ";" directly
/// after it, case-sensitively (`%s` in the ABNF). So `v=TLSRPTv1 ;rua=…`, though its
/// ABNF allows white space before the ";", is discarded rather than chosen.
pub(super) const SELECT_PREFIX: &str = "v=TLSRPTv1;";

/// `tlsrpt-version`.
const VERSION: &str = "v=TLSRPTv1";

/// Why the `_smtp._tls` TXT records give no usable reporting policy. URIs are kept as
/// written and shown Debug-quoted, as they come from the network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum RecordError {
    #[error(
        "{count} TXT records begin with \"v=TLSRPTv1;\"; unless exactly one does, senders \
         assume no TLS reporting (RFC 8460 §3)"
    )]
    MultipleRecords { count: usize },
    #[error("the record does not begin with \"v=TLSRPTv1\"")]
    BadVersion,
    #[error(transparent)]
    Syntax(#[from] FieldError),
    // RFC 8460 does not say what a repeated field means; a second rua may or may not be
    // read, so the record is refused rather than guessed at.
    #[error("field {name:?} repeated at offset {offset}; each field may appear only once")]
    DuplicateField { name: String, offset: usize },
    #[error("no rua field; the record requires one (RFC 8460 §3)")]
    MissingRua,
    #[error("empty rua element at offset {offset}: nothing between two \",\"")]
    EmptyUri { offset: usize },
    #[error(
        "rua URI {uri:?} at offset {offset} has a scheme other than mailto: and https:, the \
         two RFC 8460 §3 supports"
    )]
    UnsupportedScheme { uri: String, offset: usize },
    #[error(
        "rua URI {uri:?} at offset {offset} is not a valid URI (RFC 3986; \",\", \"!\" and \
         \";\" must be percent-encoded)"
    )]
    InvalidUri { uri: String, offset: usize },
    #[error("rua URI {uri:?} at offset {offset} holds no single valid e-mail address")]
    InvalidMailto { uri: String, offset: usize },
    #[error("rua URI {uri:?} at offset {offset} is not an https URL with a host")]
    InvalidHttps { uri: String, offset: usize },
}

/// Chooses the `_smtp._tls` record among the TXT records at the name (each with its
/// strings already joined without spaces, §3) and parses it.
///
/// `Ok(None)`: no record begins with `v=TLSRPTv1;`, so the domain asks for no reports.
/// Several such records are an error: RFC 8460 §3 has senders then assume the domain
/// does not implement TLS-RPT.
pub fn select_record(txts: &[String]) -> Result<Option<Record>, RecordError> {
    match txt_fields::the_one(txts, SELECT_PREFIX) {
        Ok(one) => one.map(parse_record).transpose(),
        Err(count) => Err(RecordError::MultipleRecords { count }),
    }
}

/// Parses one `_smtp._tls` TXT record (`tlsrpt-record`).
pub fn parse_record(text: &str) -> Result<Record, RecordError> {
    if !text.starts_with(VERSION) {
        return Err(RecordError::BadVersion);
    }
    let mut rua = None;
    let mut extensions: Vec<Extension> = Vec::new();
    for field in txt_fields::split(text, VERSION)? {
        let repeated = match field.name {
            "v" => true,
            "rua" => rua.is_some(),
            name => extensions.iter().any(|e| e.name == name),
        };
        if repeated {
            return Err(RecordError::DuplicateField {
                name: field.name.to_owned(),
                offset: field.offset,
            });
        }
        if field.name == "rua" {
            rua = Some(parse_rua(&field)?);
        } else {
            txt_fields::check_ext_value(&field)?;
            extensions.push(field.to_extension());
        }
    }
    let rua = rua.ok_or(RecordError::MissingRua)?;
    Ok(Record { rua, extensions })
}

/// `tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)`.
fn parse_rua(field: &RawField<'_>) -> Result<Vec<ReportUri>, RecordError> {
    let mut at = field.offset + "rua=".len();
    let mut uris = Vec::new();
    for element in field.value.split(',') {
        let trimmed = element.trim_start_matches(WSP);
        let offset = at + (element.len() - trimmed.len());
        at += element.len() + 1;
        let uri = trimmed.trim_end_matches(WSP);
        if uri.is_empty() {
            return Err(RecordError::EmptyUri { offset });
        }
        uris.push(report_uri(uri, offset)?);
    }
    Ok(uris)
}

fn report_uri(uri: &str, offset: usize) -> Result<ReportUri, RecordError> {
    let owned = || uri.to_owned();
    let scheme = uri.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    let supported = matches!(scheme.as_deref(), Some("mailto" | "https"));
    if !supported {
        return Err(RecordError::UnsupportedScheme {
            uri: owned(),
            offset,
        });
    }
    if !is_uri(uri) {
        return Err(RecordError::InvalidUri {
            uri: owned(),
            offset,
        });
    }
    if scheme.as_deref() == Some("mailto") {
        return match mailto_address(uri) {
            Some((address, _)) => Ok(ReportUri::Mailto {
                uri: owned(),
                address,
            }),
            None => Err(RecordError::InvalidMailto {
                uri: owned(),
                offset,
            }),
        };
    }
    match https_host(uri) {
        Some(host) => Ok(ReportUri::Https { uri: owned(), host }),
        None => Err(RecordError::InvalidHttps {
            uri: owned(),
            offset,
        }),
    }
}

/// The host of an `https:` URI that has an authority with a non-empty host. The URL
/// parser alone would not do: it reads `https:///x` as host `x`, as browsers do.
fn https_host(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once(':')?;
    let authority = rest.strip_prefix("//")?;
    let authority = &authority[..authority.find(['/', '?', '#']).unwrap_or(authority.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return None;
    }
    let url = url::Url::parse(uri).ok()?;
    url.host_str().filter(|h| !h.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests;
