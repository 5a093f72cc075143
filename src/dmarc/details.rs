//! The words of every DMARC finding (its `detail`): what is wrong, what receivers do
//! about it, and the section saying so. The parser and the report decide which findings
//! there are; this file says them.

use super::reading::Known;
use super::record::{Malformed, Policy, ReportUri, Spec, WSP};

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

/// The rule a value of `known` must follow under `spec`.
fn rule(known: Known, spec: Spec) -> &'static str {
    match known {
        Known::V => "exactly DMARC1",
        Known::P | Known::Sp | Known::Np => "none, quarantine or reject",
        Known::Adkim | Known::Aspf => "r (relaxed) or s (strict)",
        Known::Psd => "y, n or u",
        Known::T => "y or n",
        Known::Fo if spec == Spec::Rfc7489 => "a colon-separated list of 0, 1, d and s",
        // A value meeting this also meets RFC 7489's rule, so it serves for both.
        Known::Fo => "0 or 1 (not both), d and s, each at most once, separated by colons",
        Known::Rua | Known::Ruf => "a comma-separated list of URIs",
        Known::Pct => "a whole number from 0 to 100",
        Known::Rf => "afrf, the only registered failure-report format",
        Known::Ri => "a number of seconds from 0 to 4294967295",
    }
}

// The record's text.

/// The record starts with white space before an otherwise valid `v=DMARC1`.
pub(super) fn leading_white_space() -> String {
    "the record starts with white space, and receivers discard records that do not start with \"v=\" (RFC 7489 §6.6.3, RFC 9989 §4.10); remove it".to_owned()
}

/// The first tag is v, with a value other than `DMARC1`.
pub(super) fn wrong_version(name: &str, value: &str) -> String {
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
    format!(
        "{name}={value}: the version must be exactly DMARC1 (case-sensitive), so receivers ignore the whole record{hint} (RFC 7489 §6.3, RFC 9989 §4.7)"
    )
}

/// The first tag is not v.
pub(super) fn no_version() -> String {
    "the record does not begin with v=DMARC1, so it is no DMARC record and receivers ignore it (RFC 7489 §6.3, RFC 9989 §4.7)".to_owned()
}

pub(super) fn malformed_tag(segment: &str, why: Malformed) -> String {
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
    format!("\"{segment}\" {problem}; receivers discard it (RFC 7489 §6.3, RFC 9989 §4.8)")
}

pub(super) fn duplicate_tag(name: &str, value: &str) -> String {
    format!(
        "{name}={value}: {name} appears more than once, which makes the whole record invalid, so receivers ignore it (RFC 6376 §3.2, adopted by RFC 7489 §6.3 and RFC 9989 §4.7); keep one {name}"
    )
}

pub(super) fn missing_policy(valid_rua: bool) -> String {
    let rfc7489 = lost_policy_consequence(valid_rua);
    format!(
        "no p tag: RFC 7489 requires p right after v (§6.3) and without it its receivers {rfc7489} (§6.6.3); RFC 9989 reads the record as p=none (§4.7); publish p=none, quarantine or reject"
    )
}

// One tag.

pub(super) fn unknown_tag(name: &str, value: &str) -> String {
    format!("{name}={value}: unknown tag, receivers ignore it (RFC 7489 §6.3, RFC 9989 §4.7)")
}

/// A tag RFC 9989 removed.
pub(super) fn historic_tag(known: Known, name: &str, value: &str) -> String {
    let advice = if known == Known::Pct {
        "; to test a policy use t=y instead (Appendix A.6)"
    } else {
        ""
    };
    format!(
        "{name}={value}: RFC 9989 removed {name} (historic, §9.3), so its receivers ignore it{advice}"
    )
}

/// A tag RFC 7489 does not define.
pub(super) fn new_tag(known: Known, name: &str, value: &str) -> String {
    let effect = match known {
        Known::Np => " and apply sp, or p, to non-existent subdomains",
        Known::T if value.eq_ignore_ascii_case("y") => {
            " and apply the policy in full, not in test mode"
        }
        _ => "",
    };
    format!(
        "{name}={value}: {name} is not defined in RFC 7489 but in RFC 9989 (§4.7), so RFC 7489 receivers ignore it{effect}"
    )
}

/// A value that breaks `known`'s rule under `spec`.
pub(super) fn invalid_tag_value(
    known: Known,
    spec: Spec,
    name: &str,
    value: &str,
    valid_rua: bool,
) -> String {
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
    format!(
        "{name}={value}: must be {}; {consequence}{hint} ({cite})",
        rule(known, spec)
    )
}

/// p elsewhere than right after v, for the reading `spec`.
pub(super) fn policy_not_second(spec: Spec, value: &str, valid_rua: bool) -> String {
    if spec == Spec::Rfc7489 {
        format!(
            "p={value} is not the first tag after v: RFC 7489 requires \"v=DMARC1; p=...\" in that order (§6.3, §6.4), so its receivers find no valid p and {} (§6.6.3); move p right after v",
            lost_policy_consequence(valid_rua)
        )
    } else {
        format!(
            "p={value} is not the first tag after v: RFC 9989 allows any order (§4.8), but RFC 7489 receivers then ignore p; move p right after v"
        )
    }
}

pub(super) fn fo_without_ruf(value: &str) -> String {
    format!(
        "fo={value} has no effect without a ruf tag: receivers send no failure reports (RFC 7489 §6.3, RFC 9989 §4.7)"
    )
}

// One rua or ruf element, `raw` as written (with any `!size`).

pub(super) fn invalid_uri(tag: &str, raw: &str, uri: &ReportUri) -> String {
    let hint = if uri.scheme.is_none() {
        " (a URI needs a scheme: write mailto: before an address)"
    } else if uri.uri.contains(['!', ',']) {
        " (\"!\" and \",\" inside a URI must be written %21 and %2C)"
    } else if uri.uri.contains(WSP) {
        " (it contains white space)"
    } else {
        ""
    };
    format!(
        "{tag} element \"{raw}\" is not a valid URI{hint}; receivers ignore it (RFC 7489 §6.4, RFC 9989 §4.8)"
    )
}

pub(super) fn non_mailto_uri(tag: &str, raw: &str, uri: &ReportUri) -> String {
    let scheme = uri.scheme.as_deref().unwrap_or_default();
    format!(
        "{tag} element \"{raw}\" uses the {scheme} scheme; receivers must support only mailto and ignore schemes they do not support (RFC 7489 §6.3, RFC 9989 §4.7)"
    )
}

pub(super) fn invalid_mailto_address(tag: &str, raw: &str) -> String {
    format!(
        "{tag} element \"{raw}\" holds no valid e-mail address after mailto:, so no report can be sent to it (RFC 6068 §2)"
    )
}

pub(super) fn obsolete_size_limit(tag: &str, raw: &str, uri: &ReportUri) -> String {
    let suffix = &raw[uri.uri.len()..];
    format!(
        "{tag} element \"{raw}\": the size limit \"{suffix}\" is obsolete and RFC 9989 reporters ignore it (§4.8, Appendix C.4)"
    )
}

// The domain's policy as published (the report's own findings).

/// `count` records at `_dmarc.{domain}`.
pub(super) fn multiple_records(count: usize, domain: &str) -> String {
    format!(
        "{count} DMARC records at _dmarc.{domain}: RFC 7489 §6.6.3 applies no policy; \
         RFC 9989 §4.10 discards them all and looks higher up"
    )
}

/// More report URIs in one tag than are checked (`checked`).
pub(super) fn destinations_unchecked(count: usize, checked: usize) -> String {
    format!(
        "{count} report URIs; only the first {checked} were checked \
         (RFC 7489 §6.2 asks receivers to support two)"
    )
}

pub(super) fn destination_check_failed(address: &str, query: &str, cause: &str) -> String {
    format!("could not check {address}: TXT lookup for {query} failed: {cause}")
}

pub(super) fn unauthorized_destination(address: &str, policy_domain: &str, query: &str) -> String {
    format!(
        "{address} is outside {policy_domain}'s organization and {query} \
         has no v=DMARC1 record: receivers send it no reports (RFC 7489 §7.1)"
    )
}

pub(super) fn p_none() -> String {
    "p=none: monitoring only, receivers take no action on failing mail".into()
}

pub(super) fn no_rua() -> String {
    "no rua: the domain receives no aggregate reports, so it cannot see who sends as it".into()
}

/// `tag` (sp or np) is weaker than p.
pub(super) fn weaker_than_p(tag: &str, value: Option<Policy>, p: Option<Policy>) -> String {
    format!(
        "{tag}={} is weaker than p={}",
        value.map_or("?", Policy::as_str),
        p.map_or("?", Policy::as_str)
    )
}

pub(super) fn pct_below_100(pct: u8) -> String {
    format!(
        "pct={pct}: RFC 7489 receivers apply the policy to {pct}% of failing mail; RFC 9989 dropped pct"
    )
}

pub(super) fn test_mode() -> String {
    "t=y: RFC 9989 receivers apply the policy one level weaker".into()
}
