//! The per-domain record: one JSON object per line of `results.jsonl`.
//!
//! # Format
//!
//! Field names are a public interface: fields may be added; renaming or removing one
//! bumps [`SCHEMA`].
//!
//! ```text
//! schema        integer, 1
//! domain        the scanned name: ASCII, lower-case, A-labels, no trailing dot
//! scanned_at    RFC 3339 UTC time the domain's scan finished
//! elapsed_ms    wall time spent on the domain
//! spf           status  none | ok | permerror | temperror
//!               record  the domain's SPF record, or null
//!               errors  [{kind, detail, target?}] in evaluation order; the first decides status.
//!                       kinds: multiple_records syntax too_many_lookups too_many_void_lookups
//!                       dangling_include redirect_missing include_loop too_many_mx_names temperror
//!               warnings [{kind, detail}]: pass_all neutral_all no_all ptr_used broad_range
//!                       record_too_long terms_after_all redirect_ignored unexpandable_macro
//!                       walk_truncated
//!               lookups       DNS-querying terms in the tree (RFC 7208 §4.6.4), worst case
//!               void_lookups  of those, the ones that found nothing
//!               all           effective all term: "-all" "~all" "?all" "+all", or null
//!               dangling_includes  include targets without an SPF record
//!               ip4_addresses IPv4 addresses authorised by ip4 terms in the tree
//!               tree          {domain, via: root|include|redirect, term, record, all, lookups,
//!                              void_lookups, cumulative_lookups, limit_passed_by (the
//!                              term that is lookup 11, on that node only), errors, warnings,
//!                              ip4_addresses, children: [...]}
//! dmarc         status  none | ok | invalid | temperror
//!               record, records (every v=DMARC1 record found), p, errors [{kind, detail}]
//! mx            status  none | ok | null_mx | temperror
//!               hosts   [{name, preference}] lowest preference first; errors [text]
//! ```

use serde::Serialize;

use crate::dmarc::DmarcReport;
use crate::mx::MxReport;
use crate::spf::analysis::SpfReport;

/// Version of the record format.
pub const SCHEMA: u32 = 1;

/// Everything found about one domain.
#[derive(Debug, Clone, Serialize)]
pub struct DomainReport {
    pub schema: u32,
    pub domain: String,
    pub scanned_at: String,
    pub elapsed_ms: u64,
    pub spf: SpfReport,
    pub dmarc: DmarcReport,
    pub mx: MxReport,
}
