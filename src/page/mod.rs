//! Reports for people. A trend (this module): `report.html`, one self-contained page (charts inline,
//! no scripts, nothing fetched) that prints, and each chart again as its own SVG file.

pub mod audit;
mod charts;
mod html;
mod wilson;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::stats::trend::{Row, Trend};
use crate::stats::{Figure, Figures};

/// Charts are drawn for at most this many groups, the largest in the latest period.
pub const MAX_CHART_GROUPS: usize = 8;

type Pick = fn(&Figures) -> &Figure;

/// The lines of the adoption charts; their order also picks each line's look.
const LINES: [(&str, Pick); 8] = [
    ("DMARC present", |f| &f.dmarc_present),
    ("DMARC enforcing", |f| &f.dmarc_enforcing),
    ("SPF ok", |f| &f.spf_ok),
    ("STARTTLS on all MX", |f| &f.starttls_all),
    ("MTA-STS present", |f| &f.mta_sts_present),
    ("TLS-RPT present", |f| &f.tls_rpt_present),
    ("DNSSEC secure", |f| &f.dnssec_secure),
    ("DANE published", |f| &f.dane_published),
];

/// The heading of a figure's column in the table, by its name in `summary.json`.
pub(crate) fn heading(name: &str) -> &str {
    match name {
        "spf_present" => "SPF present",
        "spf_ok" => "SPF ok",
        "spf_permerror" => "SPF permerror",
        "spf_lookup_limit_overrun" => "SPF over lookup limit",
        "spf_dangling_include" => "SPF dangling include",
        "dmarc_present" => "DMARC present",
        "dmarc_valid" => "DMARC valid",
        "dmarc_policy_none" => "DMARC p=none",
        "dmarc_policy_quarantine" => "DMARC p=quarantine",
        "dmarc_policy_reject" => "DMARC p=reject",
        "dmarc_enforcing" => "DMARC enforcing",
        "dmarc_rua_present" => "DMARC rua",
        "mx_null" => "Null MX",
        "mx_none" => "No MX",
        "starttls_all" => "STARTTLS on all MX",
        "mta_sts_present" => "MTA-STS present",
        "mta_sts_enforce" => "MTA-STS enforce",
        "mta_sts_holds" => "MTA-STS holds",
        "mta_sts_would_fail" => "MTA-STS would fail",
        "tls_rpt_present" => "TLS-RPT present",
        "dnssec_secure" => "DNSSEC secure",
        "dnssec_bogus" => "DNSSEC bogus",
        "dane_published" => "DANE published",
        "dane_all_ok" => "DANE ok on all MX",
        "dane_failing" => "DANE failing",
        "dkim_found" => "DKIM key found",
        "dkim_weak_key" => "DKIM weak key",
        "dkim_revoked" => "DKIM revoked key",
        "bimi_published" => "BIMI published",
        "bimi_without_enforcement" => "BIMI without enforcement",
        "temperror" => "Temporary error",
        other => other,
    }
}

/// Per line, the periods where its share is of nobody (0 of 0).
type LineGaps = Vec<(&'static str, Vec<String>)>;

/// The charts of one group, as drawn into the page and the files.
struct GroupCharts {
    group: String,
    adoption: String,
    policies: String,
    /// Lines left out of the adoption chart because no period had a value for them.
    lines_left_out: Vec<&'static str>,
    /// Shares of a drawn line over an empty population (0 of 0), by line: not drawn.
    line_gaps: LineGaps,
    /// Periods of the group without a policy bar: DMARC known for none of its domains.
    bar_gaps: Vec<String>,
}

/// Writes report.html and the charts as standalone .svg files into `dir` (created if
/// missing), each whole or not at all; returns the paths written.
pub fn write_trend_page(trend: &Trend, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let periods = periods(trend);
    let (charted, left_out) = chart_groups(trend, &periods);
    let by_key: HashMap<(&str, &str), &Row> = trend
        .rows
        .iter()
        .rev()
        .map(|row| ((row.period.as_str(), row.group.as_str()), row))
        .collect();

    let mut written = Vec::new();
    let mut names = HashSet::new();
    let mut charts = Vec::new();
    for group in charted {
        let rows: Vec<Option<&Row>> = periods
            .iter()
            .map(|p| by_key.get(&(*p, group)).copied())
            .collect();
        let (adoption, lines_left_out, line_gaps) = adoption_chart(group, &periods, &rows)?;
        let (policies, bar_gaps) = policies_chart(group, &periods, &rows)?;
        let stem = unique_stem(group, &mut names);
        for (kind, svg) in [("adoption", &adoption), ("policies", &policies)] {
            let path = dir.join(format!("{kind}-{stem}.svg"));
            crate::scandir::write_atomic(&path, svg.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            written.push(path);
        }
        charts.push(GroupCharts {
            group: group.to_owned(),
            adoption,
            policies,
            lines_left_out,
            line_gaps,
            bar_gaps,
        });
    }

    let page = html::page(trend, &periods, &charts, &left_out);
    let path = dir.join("report.html");
    crate::scandir::write_atomic(&path, page.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    written.push(path);
    Ok(written)
}

/// The periods in the trend's order (oldest first), each once.
fn periods(trend: &Trend) -> Vec<&str> {
    let mut periods: Vec<&str> = Vec::new();
    for row in &trend.rows {
        if !periods.contains(&row.period.as_str()) {
            periods.push(&row.period);
        }
    }
    periods
}

/// The groups that get charts (most domains in the latest period first, then by name)
/// and those left out.
fn chart_groups<'a>(trend: &'a Trend, periods: &[&str]) -> (Vec<&'a str>, Vec<&'a str>) {
    let latest = periods.last().copied();
    let mut size: Vec<(&str, u64)> = Vec::new();
    for row in &trend.rows {
        let domains = if Some(row.period.as_str()) == latest {
            row.summary.domains
        } else {
            0
        };
        match size.iter_mut().find(|(g, _)| *g == row.group) {
            Some((_, n)) => *n += domains,
            None => size.push((&row.group, domains)),
        }
    }
    size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut groups: Vec<&str> = size.into_iter().map(|(g, _)| g).collect();
    let rest = groups.split_off(groups.len().min(MAX_CHART_GROUPS));
    (groups, rest)
}

/// The adoption chart, the lines left out (no share in any period) and the periods
/// where a drawn line has a share of nobody.
fn adoption_chart(
    group: &str,
    periods: &[&str],
    rows: &[Option<&Row>],
) -> anyhow::Result<(String, Vec<&'static str>, LineGaps)> {
    let mut lines = Vec::new();
    let mut left_out = Vec::new();
    let mut gaps = Vec::new();
    for (look, (name, pick)) in LINES.into_iter().enumerate() {
        let values: Vec<Option<Figure>> = rows
            .iter()
            .map(|row| Some(*pick(&(*row)?.summary.figures)))
            .collect();
        if values.iter().flatten().all(|f| f.of == 0) {
            left_out.push(name);
            continue;
        }
        let empty: Vec<String> = values
            .iter()
            .zip(periods)
            .filter(|(f, _)| f.is_some_and(|f| f.of == 0))
            .map(|(_, p)| (*p).to_owned())
            .collect();
        if !empty.is_empty() {
            gaps.push((name, empty));
        }
        lines.push(charts::Line { name, look, values });
    }
    let title = format!("Adoption: {}", short(group));
    Ok((charts::adoption(&title, periods, &lines)?, left_out, gaps))
}

/// The policy chart and the periods where the group has domains but no DMARC known.
fn policies_chart(
    group: &str,
    periods: &[&str],
    rows: &[Option<&Row>],
) -> anyhow::Result<(String, Vec<String>)> {
    let mut gaps = Vec::new();
    let bars: Vec<Option<charts::Bar>> = rows
        .iter()
        .zip(periods)
        .map(|(row, period)| {
            let s = &(*row)?.summary;
            let f = &s.figures;
            let known = s.dmarc_known;
            if known == 0 {
                gaps.push((*period).to_owned());
                return None;
            }
            let (reject, quarantine, none) = (
                f.dmarc_policy_reject.count,
                f.dmarc_policy_quarantine.count,
                f.dmarc_policy_none.count,
            );
            let absent = known.saturating_sub(reject + quarantine + none);
            // The order of charts::BAR_PARTS, bottom to top.
            Some(charts::Bar {
                counts: [reject, quarantine, none, absent],
                of: known,
            })
        })
        .collect();
    let title = format!("DMARC policy: {}", short(group));
    Ok((charts::policies(&title, periods, &bars)?, gaps))
}

/// A group name short enough for a chart title; the page shows it in full.
fn short(group: &str) -> String {
    const MAX: usize = 36;
    if group.chars().count() <= MAX {
        group.to_owned()
    } else {
        let mut s: String = group.chars().take(MAX - 1).collect();
        s.push('…');
        s
    }
}

/// The group as a file name part, `[a-z0-9._-]` only, made unique with a suffix when two
/// groups come out the same.
fn unique_stem(group: &str, taken: &mut HashSet<String>) -> String {
    let mut stem: String = group
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() {
        stem.push('_');
    }
    let mut candidate = stem.clone();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{stem}-{n}");
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every figure has a heading in words: the arm that passes other names through
    /// would show a new one's raw name.
    #[test]
    fn every_figure_has_a_heading() {
        let adoption = crate::stats::Tally::default().adoption();
        for (name, _) in adoption.figures.named() {
            assert_ne!(heading(name), name);
        }
    }

    #[test]
    fn stems_are_safe_and_unique() {
        let mut taken = HashSet::new();
        let cases = [
            ("co.jp", "co.jp"),
            ("Gov List", "gov_list"),
            ("gov list", "gov_list-2"),
            ("<x>/..", "_x__.."),
            ("", "_"),
            ("ドメイン", "____"),
        ];
        for (group, want) in cases {
            assert_eq!(unique_stem(group, &mut taken), want, "{group:?}");
        }
    }
}
