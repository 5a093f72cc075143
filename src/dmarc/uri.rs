//! Report URIs (rua, ruf): splitting the list, the `!size` suffix, RFC 3986 URI syntax,
//! and the one e-mail address of a `mailto:` URI (RFC 6068, RFC 5322), as receivers
//! need them to send reports.

use super::record::{ReportUri, WSP, digits};
use crate::dns::check_name;

/// `dmarc-urilist`: elements separated by "," with optional WSP around it.
pub(super) fn uri_elements(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(|e| e.trim_matches(WSP))
}

impl ReportUri {
    /// Reads one element of rua or ruf, as written (with any `!size`).
    pub(super) fn parse(raw: &str) -> Self {
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
pub(crate) fn is_uri(s: &str) -> bool {
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
            Some((literal, after)) => (is_bracketed_host(literal), after),
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

/// What RFC 3986 allows between the brackets of an `IP-literal`: an IPv6 address or an
/// `IPvFuture`. Not [`crate::dns::is_ip_literal`], which answers whether a host name is
/// an address: it takes IPv4 too, which a URI writes without brackets (`[192.0.2.1]` is
/// no URI host), and knows no IPvFuture.
fn is_bracketed_host(literal: &str) -> bool {
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
pub(crate) fn mailto_address(uri: &str) -> Option<(String, String)> {
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
