//! The expanded SPF tree: what expansion finds at each record, kept so that a user
//! can see which include or redirect contributed which lookups and which errors.

use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

/// A finding about a record: an error (makes the result `permerror` or `temperror`)
/// or a warning (worth fixing, not an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub detail: String,
    /// The domain the finding is about, where there is one (a dangling include's target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl Finding {
    pub fn new(kind: FindingKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            target: None,
        }
    }

    pub(crate) fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }
}

/// Kinds of findings; the snake_case names are part of the output format.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, IntoStaticStr,
)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FindingKind {
    // Errors that make the result permerror.
    MultipleRecords,
    Syntax,
    TooManyLookups,
    TooManyVoidLookups,
    DanglingInclude,
    RedirectMissing,
    IncludeLoop,
    TooManyMxNames,
    // The error that makes the result temperror.
    Temperror,
    // Warnings.
    PassAll,
    NeutralAll,
    NoAll,
    PtrUsed,
    BroadRange,
    RecordTooLong,
    TermsAfterAll,
    RedirectIgnored,
    UnexpandableMacro,
    WalkTruncated,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub(crate) fn is_temporary(self) -> bool {
        self == Self::Temperror
    }
}

/// How a node was reached from its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    Root,
    Include,
    Redirect,
}

/// One record of the tree (the root domain's, or an include/redirect target's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfNode {
    pub domain: String,
    pub via: Via,
    /// The parent's term that led here (`include:_spf.example.net`), null at the root.
    pub term: Option<String>,
    /// The selected SPF record, when exactly one was found.
    pub record: Option<String>,
    /// The record's `all` term (`-all`, `~all`, `?all`, `+all`), if it has one.
    pub all: Option<String>,
    /// DNS-querying terms this record contributes itself (RFC 7208 §4.6.4).
    pub lookups: u32,
    /// Of those, the ones whose query found nothing (NXDOMAIN or NODATA).
    pub void_lookups: u32,
    /// Running count of DNS-querying terms, from the root in evaluation order, once this
    /// node and everything under it has been evaluated.
    pub cumulative_lookups: u32,
    /// The term of this record that is the 11th DNS-querying term of the evaluation,
    /// where the limit is passed (set by the analysis; absent elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_passed_by: Option<String>,
    /// Errors at this node: its own record, or one of its terms.
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
    /// IPv4 addresses authorised by this record's own `ip4` terms.
    pub ip4_addresses: u64,
    pub children: Vec<Self>,
    /// DNS-querying terms of this node and everything under it.
    #[serde(skip)]
    pub subtree_lookups: u32,
    /// Set when no usable record was found: why, and whether the query was void.
    #[serde(skip)]
    pub missing: Option<Missing>,
    /// Evaluation order of the node, for analysis; not part of the output.
    #[serde(skip)]
    pub steps: Vec<Step>,
    /// Errors found on fetching the record itself, before any term (indices into `errors`).
    #[serde(skip)]
    pub entry_errors: Vec<usize>,
    /// False when the subtree's content depends on where it is reached from (a loop back
    /// to an ancestor, or the walk budget ran out), so it must not be reused elsewhere.
    #[serde(skip)]
    pub context_free: bool,
}

/// Why a node has no record to evaluate (RFC 7208 §4.5: the result would be `none`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// NXDOMAIN or NODATA on the TXT query (a void lookup).
    pub void: bool,
    pub reason: String,
}

/// A DNS-querying term of a node, in evaluation order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub term: String,
    pub void: bool,
    /// Index into the node's `errors` of an error this term caused.
    pub error: Option<usize>,
    /// Index into the node's `children` of the subtree this term evaluates.
    pub child: Option<usize>,
}

impl SpfNode {
    pub fn new(domain: String, via: Via, term: Option<String>) -> Self {
        Self {
            domain,
            via,
            term,
            record: None,
            all: None,
            lookups: 0,
            void_lookups: 0,
            cumulative_lookups: 0,
            limit_passed_by: None,
            errors: Vec::new(),
            warnings: Vec::new(),
            ip4_addresses: 0,
            children: Vec::new(),
            subtree_lookups: 0,
            missing: None,
            steps: Vec::new(),
            entry_errors: Vec::new(),
            context_free: true,
        }
    }

    pub(crate) fn entry_error(&mut self, finding: Finding) {
        self.entry_errors.push(self.errors.len());
        self.errors.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the record format (src/record.rs), each variant once.
    #[test]
    fn finding_kind_names_are_the_documented_ones() {
        let names = [
            (FindingKind::MultipleRecords, "multiple_records"),
            (FindingKind::Syntax, "syntax"),
            (FindingKind::TooManyLookups, "too_many_lookups"),
            (FindingKind::TooManyVoidLookups, "too_many_void_lookups"),
            (FindingKind::DanglingInclude, "dangling_include"),
            (FindingKind::RedirectMissing, "redirect_missing"),
            (FindingKind::IncludeLoop, "include_loop"),
            (FindingKind::TooManyMxNames, "too_many_mx_names"),
            (FindingKind::Temperror, "temperror"),
            (FindingKind::PassAll, "pass_all"),
            (FindingKind::NeutralAll, "neutral_all"),
            (FindingKind::NoAll, "no_all"),
            (FindingKind::PtrUsed, "ptr_used"),
            (FindingKind::BroadRange, "broad_range"),
            (FindingKind::RecordTooLong, "record_too_long"),
            (FindingKind::TermsAfterAll, "terms_after_all"),
            (FindingKind::RedirectIgnored, "redirect_ignored"),
            (FindingKind::UnexpandableMacro, "unexpandable_macro"),
            (FindingKind::WalkTruncated, "walk_truncated"),
        ];
        crate::names::assert_serde_named(&names, FindingKind::as_str);
    }
}
