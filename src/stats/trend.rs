//! Adoption over time: the figures of every scan (or of the latest complete scan in each
//! day, week or month) per group of domains, computed from the per-domain records with
//! the same [`Tally`] as `summary.json`.

use serde::Serialize;

use super::Summary;

/// The time step of a trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// Every complete scan is a period of its own.
    Scan,
    Day,
    /// ISO 8601 weeks, Monday first: `2023-W14`.
    Week,
    Month,
}

/// How the domains of a period are split into rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    /// By the list a scan was made of.
    List,
    /// By the domain's public suffix (`co.jp`, `go.jp`, …) from the Public Suffix List.
    Suffix,
    /// All domains of a period together.
    None,
}

/// One period and group.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `2023-04`, `2023-W14`, `2023-04-01`, or with `--by scan` the scan's start time.
    pub period: String,
    /// The list, the public suffix, or `all`.
    pub group: String,
    /// Start times of the scans the row's records come from.
    pub scans: Vec<String>,
    pub summary: Summary,
}

/// A whole trend: rows by period (oldest first), then group.
#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    pub by: By,
    pub grouping: Grouping,
    /// Every period restricted to the domains present in all of them.
    pub same_domains: bool,
    pub rows: Vec<Row>,
    /// The latest period over all its groups: its top dangling include targets and
    /// permerror kinds go into the report.
    pub latest: Option<Row>,
}
