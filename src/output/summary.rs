//! `scan.json` (what was scanned, how and when, so that later scans can be lined up
//! against each other) and `summary.json` (the adoption figures of the scan).

use serde::Serialize;

use crate::stats::Summary;
use crate::stats::health::Notice;

/// How the input went.
#[derive(Debug, Default, Clone, Serialize)]
pub struct InputCounts {
    pub domains: u64,
    pub invalid_lines: u64,
    pub duplicates: u64,
    pub rewritten: u64,
    pub read_errors: u64,
    /// Domains a resumed scan found already in `results.jsonl` and skipped.
    pub already_scanned: u64,
    /// Valid domains left to the other shards (`--shard`); not in `domains`.
    pub other_shards: u64,
}

/// The whole of `scan.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ScanSummary {
    pub tool: &'static str,
    pub version: &'static str,
    pub schema: u32,
    pub started_at: String,
    pub finished_at: String,
    pub elapsed_seconds: f64,
    pub domains_per_second: f64,
    pub lists: Vec<String>,
    pub resolver: Vec<String>,
    pub options: serde_json::Value,
    pub input: InputCounts,
    /// Records written: one per distinct valid domain.
    pub domains: u64,
    /// How many times the scan was interrupted and resumed.
    pub resumes: u32,
    /// Questions asked, queries sent and answers dropped, of the last run (a resumed scan
    /// counts only its last part).
    pub dns: crate::dns::DnsFigures,
}

/// The whole of `summary.json`: the scan it belongs to, then the figures.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryFile<'a> {
    pub tool: &'static str,
    pub version: &'static str,
    pub schema: u32,
    pub lists: &'a [String],
    pub started_at: &'a str,
    pub finished_at: &'a str,
    /// What a reader of the figures must know first: nothing measured, mostly
    /// temperror, MX hosts unreachable for STARTTLS.
    pub notices: &'a [Notice],
    #[serde(flatten)]
    pub summary: &'a Summary,
}
