//! `scan.json`: what was scanned, how, when, and the counts by status, so that later
//! scans can be lined up against each other.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::scan::report::DomainReport;

/// Counts by status, tallied as records are written.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Tally {
    pub domains: u64,
    pub spf: BTreeMap<&'static str, u64>,
    /// Domains with at least one error of each kind.
    pub spf_errors: BTreeMap<&'static str, u64>,
    pub dmarc: BTreeMap<&'static str, u64>,
    pub dmarc_p: BTreeMap<String, u64>,
    pub mx: BTreeMap<&'static str, u64>,
}

impl Tally {
    pub fn add(&mut self, r: &DomainReport) {
        self.domains += 1;
        *self.spf.entry(r.spf.status.as_str()).or_default() += 1;
        let mut kinds: Vec<&'static str> = r.spf.errors.iter().map(|e| e.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        for k in kinds {
            *self.spf_errors.entry(k).or_default() += 1;
        }
        *self.dmarc.entry(r.dmarc.status.as_str()).or_default() += 1;
        if let Some(p) = &r.dmarc.p {
            *self.dmarc_p.entry(p.clone()).or_default() += 1;
        }
        *self.mx.entry(r.mx.status.as_str()).or_default() += 1;
    }

    pub fn count(map: &BTreeMap<&'static str, u64>, key: &str) -> u64 {
        map.get(key).copied().unwrap_or(0)
    }
}

/// How the input went.
#[derive(Debug, Default, Clone, Serialize)]
pub struct InputCounts {
    pub domains: u64,
    pub invalid_lines: u64,
    pub duplicates: u64,
    pub rewritten: u64,
    pub read_errors: u64,
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
    pub counts: Tally,
    /// Questions asked of the resolver library; its cache answers some without the network.
    pub dns_lookups: u64,
    pub dns_temp_failures: u64,
}
