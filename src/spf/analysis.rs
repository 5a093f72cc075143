//! Verdicts from an expanded SPF tree, with no I/O: the status a receiver would reach
//! for a client IP that matches nothing, the lookup and void-lookup limits, and the
//! warnings an administrator should see.

use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

use super::tree::{Finding, FindingKind, SpfNode, Via};
use super::{DualCidr, Mechanism, Modifier, Qualifier, Record, TermKind};

/// RFC 7208 §4.6.4: at most 10 DNS-querying terms per evaluation.
pub const LOOKUP_LIMIT: u32 = 10;
/// RFC 7208 §4.6.4: more than 2 void lookups should be a permerror; we follow the SHOULD.
pub(crate) const VOID_LIMIT: u32 = 2;
/// RFC 7208 §3.4: records above 450 octets may not fit a 512-octet UDP answer.
pub(crate) const RECORD_LENGTH_ADVICE: usize = 450;
/// An `ip4` range wider than /16 (65,536 addresses) is reported as broad.
pub(crate) const BROAD_IP4_PREFIX: u8 = 16;
/// An `ip6` range wider than /32 (a whole ISP allocation) is reported as broad.
pub(crate) const BROAD_IP6_PREFIX: u8 = 32;

/// The SPF part of a domain's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SpfStatus {
    /// No SPF record (RFC 7208 §4.5).
    None,
    Ok,
    Permerror,
    Temperror,
}

impl SpfStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// SPF facts and verdicts for one domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfReport {
    pub status: SpfStatus,
    /// The domain's own SPF record (null when there is none, or several).
    pub record: Option<String>,
    /// Every error in the tree, in evaluation order; the first decides `status`.
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
    /// DNS-querying terms in the whole tree, in the worst case (RFC 7208 §4.6.4).
    pub lookups: u32,
    /// Of those, the ones that found nothing.
    pub void_lookups: u32,
    /// The effective `all` term: the domain's own, or its redirect target's.
    pub all: Option<String>,
    /// Include targets that publish no SPF record.
    pub dangling_includes: Vec<String>,
    /// IPv4 addresses authorised by `ip4` terms across the tree (overlaps counted twice).
    pub ip4_addresses: u64,
    pub tree: SpfNode,
}

/// Turns an expanded tree into the report; fills in the tree's cumulative counts.
pub fn analyse(mut tree: SpfNode) -> SpfReport {
    let mut eval = Eval::default();
    let mut path = Vec::new();
    visit(&mut tree, &mut eval, &mut path);

    // The limit findings go where evaluation passed the limit: (place in `errors`, lookup
    // number). Two at one place (no other error between them) keep their evaluation
    // order too — a 3rd void lookup at lookup 3 comes before the 11th lookup — since
    // the first error is the one a receiver would stop at (RFC 7208 §4.6.4).
    let mut limits: Vec<(usize, u32, Finding)> = Vec::new();
    if let Some(chain) = &eval.eleventh_lookup {
        let finding = Finding::new(
            FindingKind::TooManyLookups,
            format!(
                "{} DNS-querying terms{}, limit {LOOKUP_LIMIT}; the 11th: {chain}",
                eval.lookups,
                if eval.truncated { " or more" } else { "" }
            ),
        );
        limits.push((eval.eleventh_at, LOOKUP_LIMIT + 1, finding));
    }
    if let Some(chain) = &eval.third_void {
        let finding = Finding::new(
            FindingKind::TooManyVoidLookups,
            format!(
                "{} DNS-querying terms found nothing (NXDOMAIN or NODATA), limit {VOID_LIMIT}; the 3rd: {chain}",
                eval.voids
            ),
        );
        limits.push((eval.third_void_at, eval.third_void_lookup, finding));
    }
    // Last place first, so that earlier places stay valid; at one place, the later
    // lookup first, so that the earlier one ends up in front of it.
    limits.sort_by_key(|(at, lookup, _)| std::cmp::Reverse((*at, *lookup)));
    for (at, _, finding) in limits {
        eval.errors.insert(at, finding);
    }

    let status = if tree.missing.is_some() {
        SpfStatus::None
    } else {
        match eval.errors.first() {
            None => SpfStatus::Ok,
            Some(e) if e.kind.is_temporary() => SpfStatus::Temperror,
            Some(_) => SpfStatus::Permerror,
        }
    };

    let all = effective_all(&tree);
    let mut warnings = eval.warnings;
    // A redirect that could not be followed (a macro needing the client) leaves the
    // effective `all` unknown, which is not the same as having none.
    let redirects = tree.steps.iter().any(|s| {
        s.term
            .get(..9)
            .is_some_and(|t| t.eq_ignore_ascii_case("redirect="))
    });
    if status != SpfStatus::None && tree.entry_errors.is_empty() && !(all.is_none() && redirects) {
        match all.as_deref() {
            Some("?all") => warnings.push(Finding::new(
                FindingKind::NeutralAll,
                "ends in ?all: mail from any host gets a neutral result, as if there were no policy",
            )),
            None => warnings.push(Finding::new(
                FindingKind::NoAll,
                "no all term and no redirect: mail from unlisted hosts gets a neutral result (RFC 7208 §4.7)",
            )),
            _ => {}
        }
    }
    let dangling_includes = eval
        .errors
        .iter()
        .filter(|e| e.kind == FindingKind::DanglingInclude)
        .filter_map(|e| e.target.clone())
        .collect();

    SpfReport {
        status,
        record: tree.record.clone(),
        errors: eval.errors,
        warnings,
        lookups: eval.lookups,
        void_lookups: eval.voids,
        all,
        dangling_includes,
        ip4_addresses: eval.ip4_addresses,
        tree,
    }
}

/// What the evaluation-order walk gathers.
#[derive(Default)]
struct Eval {
    lookups: u32,
    voids: u32,
    errors: Vec<Finding>,
    warnings: Vec<Finding>,
    ip4_addresses: u64,
    truncated: bool,
    /// The chain of terms that reached the 11th lookup, and where in `errors` it falls.
    eleventh_lookup: Option<String>,
    eleventh_at: usize,
    third_void: Option<String>,
    third_void_at: usize,
    /// The lookup number of the 3rd void lookup.
    third_void_lookup: u32,
}

fn visit(node: &mut SpfNode, eval: &mut Eval, path: &mut Vec<(String, u32)>) {
    let steps = std::mem::take(&mut node.steps);
    // Only a node with findings needs the text that places them (most have none).
    let has_findings = !node.entry_errors.is_empty()
        || !node.warnings.is_empty()
        || steps.iter().any(|s| s.error.is_some());
    let prefix = match &node.term {
        Some(term) if has_findings => format!("at {} (via {term}): ", node.domain),
        _ => String::new(),
    };
    for &i in &node.entry_errors {
        eval.errors.push(prefixed(&node.errors[i], &prefix));
    }
    for w in &node.warnings {
        eval.truncated |= w.kind == FindingKind::WalkTruncated;
        eval.warnings.push(prefixed(w, &prefix));
    }
    eval.ip4_addresses = eval.ip4_addresses.saturating_add(node.ip4_addresses);

    for step in &steps {
        eval.lookups += 1;
        path.push((step.term.clone(), eval.lookups));
        if eval.lookups == LOOKUP_LIMIT + 1 {
            eval.eleventh_lookup = Some(describe_path(path));
            eval.eleventh_at = eval.errors.len();
            node.limit_passed_by = Some(step.term.clone());
        }
        if step.void {
            eval.voids += 1;
            if eval.voids == VOID_LIMIT + 1 {
                eval.third_void = Some(describe_path(path));
                eval.third_void_at = eval.errors.len();
                eval.third_void_lookup = eval.lookups;
            }
        }
        if let Some(i) = step.error {
            eval.errors.push(prefixed(&node.errors[i], &prefix));
        }
        if let Some(c) = step.child {
            visit(&mut node.children[c], eval, path);
        }
        path.pop();
    }
    node.steps = steps;
    node.cumulative_lookups = eval.lookups;
}

/// The lookups that led to a limit, each with its running count: `include:a (1) → a (2)`.
fn describe_path(path: &[(String, u32)]) -> String {
    path.iter()
        .map(|(term, count)| format!("{term} ({count})"))
        .collect::<Vec<_>>()
        .join(" → ")
}

fn prefixed(finding: &Finding, prefix: &str) -> Finding {
    let mut f = finding.clone();
    if !prefix.is_empty() {
        f.detail = format!("{prefix}{}", f.detail);
    }
    f
}

/// The `all` that ends evaluation of the domain's policy: its own, or, when it has none,
/// the one reached through `redirect` (RFC 7208 §6.1).
fn effective_all(node: &SpfNode) -> Option<String> {
    node.all.clone().or_else(|| {
        node.children
            .iter()
            .find(|c| c.via == Via::Redirect)
            .and_then(effective_all)
    })
}

/// IPv4 addresses authorised by a record's own `ip4` terms.
pub fn ip4_addresses(record: &Record) -> u64 {
    record
        .terms
        .iter()
        .filter_map(|t| match t.kind {
            TermKind::Directive(Qualifier::Pass, Mechanism::Ip4(_, prefix)) => {
                Some(1u64 << (32 - u32::from(prefix.unwrap_or(32).min(32))))
            }
            _ => None,
        })
        .sum()
}

/// Warnings about one record on its own (the tree-wide ones come from [`analyse`]).
pub(crate) fn record_warnings(record: &Record, text: &str) -> Vec<Finding> {
    let mut warnings = Vec::new();
    if text.len() > RECORD_LENGTH_ADVICE {
        warnings.push(Finding::new(
            FindingKind::RecordTooLong,
            format!(
                "record is {} octets; above {RECORD_LENGTH_ADVICE} it may not fit a UDP answer (RFC 7208 §3.4)",
                text.len()
            ),
        ));
    }
    let mut after_all: Vec<&str> = Vec::new();
    let mut seen_all = false;
    let mut redirect = None;
    for term in &record.terms {
        match &term.kind {
            TermKind::Directive(q, mechanism) => {
                if seen_all {
                    after_all.push(&term.text);
                    continue;
                }
                match mechanism {
                    Mechanism::All => {
                        seen_all = true;
                        if *q == Qualifier::Pass {
                            warnings.push(Finding::new(
                                FindingKind::PassAll,
                                format!("{}: authorises every host on the internet", term.text),
                            ));
                        }
                    }
                    Mechanism::Ptr(_) => warnings.push(Finding::new(
                        FindingKind::PtrUsed,
                        format!(
                            "{}: ptr is slow, unreliable and deprecated (RFC 7208 §5.5)",
                            term.text
                        ),
                    )),
                    Mechanism::Ip4(_, Some(p))
                        if *p < BROAD_IP4_PREFIX && *q == Qualifier::Pass =>
                    {
                        warnings.push(broad(&term.text, 1u64 << (32 - u32::from(*p))));
                    }
                    Mechanism::Ip6(_, Some(p))
                        if *p < BROAD_IP6_PREFIX && *q == Qualifier::Pass =>
                    {
                        warnings.push(Finding::new(
                            FindingKind::BroadRange,
                            format!("{}: authorises a whole IPv6 /{p}", term.text),
                        ));
                    }
                    Mechanism::A(_, cidr) | Mechanism::Mx(_, cidr)
                        if *q == Qualifier::Pass && is_broad(cidr) =>
                    {
                        warnings.push(Finding::new(
                            FindingKind::BroadRange,
                            format!(
                                "{}: the prefix length widens each address to a large network",
                                term.text
                            ),
                        ));
                    }
                    _ => {}
                }
            }
            TermKind::Modifier(Modifier::Redirect(_)) => redirect = Some(term.text.as_str()),
            TermKind::Modifier(_) => {}
        }
    }
    if !after_all.is_empty() {
        warnings.push(Finding::new(
            FindingKind::TermsAfterAll,
            format!("never evaluated, they follow all: {}", after_all.join(" ")),
        ));
    }
    if let (Some(term), true) = (redirect, seen_all) {
        warnings.push(Finding::new(
            FindingKind::RedirectIgnored,
            format!("{term}: ignored because the record has an all term (RFC 7208 §6.1)"),
        ));
    }
    warnings
}

fn is_broad(cidr: &DualCidr) -> bool {
    cidr.v4.is_some_and(|p| p < BROAD_IP4_PREFIX) || cidr.v6.is_some_and(|p| p < BROAD_IP6_PREFIX)
}

fn broad(term: &str, addresses: u64) -> Finding {
    Finding::new(
        FindingKind::BroadRange,
        format!("{term}: authorises {addresses} IPv4 addresses"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the record format (src/record.rs), each variant once.
    #[test]
    fn spf_status_names_are_the_documented_ones() {
        let names = [
            (SpfStatus::None, "none"),
            (SpfStatus::Ok, "ok"),
            (SpfStatus::Permerror, "permerror"),
            (SpfStatus::Temperror, "temperror"),
        ];
        crate::names::assert_serde_named(&names, SpfStatus::as_str);
    }
}
