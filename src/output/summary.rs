//! `summary.json`: the adoption figures of a scan, after the notices a reader of them
//! must see first.

use serde::Serialize;

use crate::stats::Adoption;
use crate::stats::health::Notice;

/// The whole of `summary.json`: the scan it belongs to, then the figures.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SummaryJson<'a> {
    pub tool: &'a str,
    pub version: &'a str,
    pub schema: u32,
    pub lists: &'a [String],
    pub started_at: &'a str,
    pub finished_at: &'a str,
    /// What a reader of the figures must know first: nothing measured, mostly
    /// temperror, MX hosts unreachable for STARTTLS.
    pub notices: &'a [Notice],
    /// The DKIM selectors the scan asked: what `dkim_found` is "among".
    pub dkim_selectors: Option<&'a [String]>,
    #[serde(flatten)]
    pub summary: &'a Adoption,
}

impl<'a> SummaryJson<'a> {
    /// The figures of the scan `scan` describes.
    pub(crate) fn of(
        scan: &'a crate::scandir::ScanJson,
        notices: &'a [Notice],
        summary: &'a Adoption,
    ) -> Self {
        Self {
            tool: &scan.tool,
            version: &scan.version,
            schema: scan.schema,
            lists: &scan.lists,
            started_at: &scan.started_at,
            finished_at: &scan.finished_at,
            notices,
            dkim_selectors: scan.options.dkim_selectors.as_deref(),
            summary,
        }
    }
}
