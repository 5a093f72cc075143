//! Adoption over time: the figures of every scan (or of the latest complete scan in each
//! day, week or month) per group of domains, computed from the per-domain records with
//! the same [`Tally`] as `summary.json`.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::facts::read_facts;
use super::{Adoption, Tally};
use crate::psl::SuffixList;
use crate::scandir::history::{ScanEntry, Status, list_name};

/// The time step of a trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    /// By the list a scan was made of, named by its file name without the extension.
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
    pub summary: Adoption,
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

/// How a trend is made.
#[derive(Debug, Clone)]
pub(crate) struct TrendOptions {
    pub by: By,
    pub grouping: Grouping,
    pub same_domains: bool,
    /// For `Grouping::Suffix`.
    pub suffix_list: SuffixList,
}

/// The group label of `Grouping::None`.
pub const ALL: &str = "all";

/// The scans a period is made of: the latest complete one of each list in it.
type Period = BTreeMap<String, ScanEntry>;

/// Computes the trend of the complete scans in `scans`; interrupted and damaged ones are
/// skipped with a note on stderr.
pub(crate) fn compute(scans: &[ScanEntry], options: &TrendOptions) -> anyhow::Result<Trend> {
    // With --group list every list is a series of its own, so that its periods and its
    // panel do not depend on when the other lists were scanned.
    let mut series: BTreeMap<String, BTreeMap<String, Period>> = BTreeMap::new();
    for scan in scans {
        match scan.status {
            Status::Complete => {}
            Status::Interrupted => {
                eprintln!("skipped {}: the scan did not finish", scan.dir.display());
                continue;
            }
            Status::Damaged => {
                eprintln!(
                    "mailposture: warning: skipped {}: DAMAGED: {}",
                    scan.dir.display(),
                    scan.damage.as_deref().unwrap_or("unknown")
                );
                continue;
            }
        }
        let names: Vec<String> = scan.lists.iter().map(|l| list_name(Path::new(l))).collect();
        let list = names.join(",");
        let period = period_of(&scan.started_at, options.by)
            .with_context(|| format!("the start time of {}", scan.dir.display()))?;
        let name = match options.grouping {
            Grouping::List => list.clone(),
            Grouping::Suffix | Grouping::None => ALL.to_owned(),
        };
        let chosen = series
            .entry(name)
            .or_default()
            .entry(period)
            .or_default()
            .entry(list)
            .or_insert_with(|| scan.clone());
        if scan.started_at > chosen.started_at {
            *chosen = scan.clone();
        }
    }
    let mut tallies = Vec::new();
    for (name, periods) in &series {
        let panel = match options.same_domains {
            true => Some(panel(periods)?),
            false => None,
        };
        for (period, scans) in periods {
            let started: Vec<String> = scans.values().map(|s| s.started_at.clone()).collect();
            for (group, tally) in tally_period(scans, name, panel.as_ref(), options)? {
                tallies.push((period.clone(), group, started.clone(), tally));
            }
        }
    }
    tallies.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let latest = tallies.last().map(|(period, ..)| {
        let (mut all, mut scans) = (Tally::default(), Vec::new());
        for (_, _, started, tally) in tallies.iter().filter(|t| &t.0 == period) {
            all.merge(tally);
            scans.extend(started.iter().cloned());
        }
        scans.sort();
        scans.dedup();
        Row {
            period: period.clone(),
            group: ALL.to_owned(),
            scans,
            summary: all.adoption(),
        }
    });
    Ok(Trend {
        by: options.by,
        grouping: options.grouping,
        same_domains: options.same_domains,
        rows: tallies
            .into_iter()
            .map(|(period, group, scans, tally)| Row {
                period,
                group,
                scans,
                summary: tally.adoption(),
            })
            .collect(),
        latest,
    })
}

/// The label of the period `started_at` falls in; labels sort in time order.
fn period_of(started_at: &str, by: By) -> anyhow::Result<String> {
    let at = OffsetDateTime::parse(started_at, &Rfc3339)
        .with_context(|| format!("{started_at:?} is not an RFC 3339 time"))?
        .to_offset(UtcOffset::UTC);
    Ok(match by {
        By::Scan => crate::record::rfc3339(at),
        By::Day => at.date().to_string(),
        By::Week => {
            let (year, week, _) = at.date().to_iso_week_date();
            format!("{year}-W{week:02}")
        }
        By::Month => format!("{}-{:02}", at.year(), u8::from(at.month())),
    })
}

/// The domains present in every period of a series.
fn panel(periods: &BTreeMap<String, Period>) -> anyhow::Result<HashSet<Box<str>>> {
    let mut panel: Option<HashSet<Box<str>>> = None;
    for scans in periods.values() {
        let mut present = HashSet::new();
        for scan in scans.values() {
            read_verified(scan, |facts| {
                if panel
                    .as_ref()
                    .is_none_or(|p| p.contains(facts.domain.as_str()))
                {
                    present.insert(Box::from(facts.domain));
                }
            })?;
        }
        panel = Some(present);
    }
    Ok(panel.unwrap_or_default())
}

/// The tallies of one period by group. A domain in two lists of the period counts once.
fn tally_period(
    scans: &Period,
    series: &str,
    panel: Option<&HashSet<Box<str>>>,
    options: &TrendOptions,
) -> anyhow::Result<BTreeMap<String, Tally>> {
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    let mut seen: HashSet<Box<str>> = HashSet::new();
    let pooled = scans.len() > 1;
    for scan in scans.values() {
        read_verified(scan, |facts| {
            if panel.is_some_and(|p| !p.contains(facts.domain.as_str())) {
                return;
            }
            if pooled && !seen.insert(Box::from(facts.domain.as_str())) {
                return;
            }
            let group = match options.grouping {
                Grouping::List | Grouping::None => series.to_owned(),
                Grouping::Suffix => options
                    .suffix_list
                    .public_suffix(&facts.domain)
                    .unwrap_or_else(|| facts.domain.clone()),
            };
            groups.entry(group).or_default().add(&facts);
        })?;
    }
    Ok(groups)
}

/// Reads the facts of a scan `history` found complete, and fails should they no longer
/// be what it verified (the scan changed meanwhile, or a line that names a domain is not
/// a whole record): a figure is never made from part of a scan.
fn read_verified(scan: &ScanEntry, each: impl FnMut(super::facts::Facts)) -> anyhow::Result<()> {
    let counts = read_facts(&scan.dir, each)?;
    if counts.bad_lines > 0 || counts.records != scan.domains {
        anyhow::bail!(
            "{} held {} records when it was verified, and {} records and {} unreadable lines when it was read: no trend is made from part of a scan",
            scan.dir.display(),
            scan.domains,
            counts.records,
            counts.bad_lines
        );
    }
    Ok(())
}
