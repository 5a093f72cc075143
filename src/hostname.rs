//! Host names matched against patterns with a one-label wildcard, the rule MTA-STS
//! policies (RFC 8461 §4.1) and DANE-TA certificate names (RFC 7672 §3.2.3) share.

/// Whether host `host` matches pattern `pattern` (RFC 8461 §4.1): ASCII case
/// is ignored, and so is a trailing root dot on either; `*.example.com` stands for
/// exactly one more label on the left, so it matches `mail.example.com` but neither
/// `example.com` nor `foo.bar.example.com`.
pub(crate) fn mx_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(domain) => matches(true, domain, host),
        None => matches(false, pattern, host),
    }
}

/// `host` is `domain`, or with `wildcard` exactly one label under it.
pub(crate) fn matches(wildcard: bool, domain: &str, host: &str) -> bool {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    let host = host.strip_suffix('.').unwrap_or(host);
    if domain.is_empty() || host.is_empty() {
        return false;
    }
    if !wildcard {
        return host.eq_ignore_ascii_case(domain);
    }
    match host.split_once('.') {
        Some((first, rest)) => !first.is_empty() && rest.eq_ignore_ascii_case(domain),
        None => false,
    }
}
