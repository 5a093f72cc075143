//! The report's page and charts from a trend built by hand: files, points per line with
//! their Wilson intervals, bar stacks, the table, escaping, self-containment; and the
//! report of a history where no DNS question was answered (the browser test is in
//! `trend`).

use std::path::{Path, PathBuf};

use mailposture::page::{MAX_CHART_GROUPS, write_trend_page};
use mailposture::stats::facts::Facts;
use mailposture::stats::trend::{By, Grouping, Row, Trend};
use mailposture::stats::{Adoption, Tally};

use crate::support::cmd::run;
use crate::support::history::{scan_unanswered, write_list};
use crate::support::svg::{
    elements, hovers, legend_sample, line_points, line_segments, line_stroke, whiskers,
    y_of_percent,
};

const PERIODS: [&str; 4] = ["2024-01", "2024-02", "2024-03", "2024-04"];
/// A group name that must be escaped in HTML and sanitised in file names.
const ODD: &str = "a<b>&c";
const LINES: [&str; 8] = [
    "DMARC present",
    "DMARC enforcing",
    "SPF ok",
    "STARTTLS on all MX",
    "MTA-STS present",
    "TLS-RPT present",
    "DNSSEC secure",
    "DANE published",
];
const BAR_PARTS: [&str; 4] = ["reject", "quarantine", "none", "absent or no policy"];

/// One domain's facts: SPF status, DMARC policy (`None`: no record), STARTTLS roll-up.
fn facts(domain: &str, spf: &str, policy: Option<&str>, starttls: Option<&str>) -> Facts {
    let permerror = spf == "permerror";
    serde_json::from_value(serde_json::json!({
        "domain": domain,
        "spf": {
            "status": spf,
            "errors": if permerror { vec![serde_json::json!({"kind": "too_many_lookups"})] } else { vec![] },
            "dangling_includes": if permerror { vec!["gone.example"] } else { vec![] },
        },
        "dmarc": {
            "status": if policy.is_some() { "ok" } else { "none" },
            "policy": policy,
            "testing": false,
            "rua": [],
        },
        "mx": {"status": "ok", "starttls": starttls},
    }))
    .unwrap()
}

/// The domains of one group in one period: more of them, and more enforcing, as time
/// goes on; the odd group's MX hosts were never probed, nor the first group's in the
/// second period (STARTTLS 0 of 0 there). MTA-STS, TLS-RPT, DNSSEC and DANE were looked
/// for only in the first group from the second period on: the records of the first
/// period and of the odd group have none of the parts, as those of a scan made before
/// they existed. Some DNSSEC states are `unknown` and count on neither side.
fn domains(group: usize, period: usize) -> Vec<Facts> {
    let n = 6 + 2 * period + group;
    (0..n)
        .map(|i| {
            let policy = match (i + period) % 4 {
                0 => Some("reject"),
                1 => Some("quarantine"),
                2 => Some("none"),
                _ => None,
            };
            let spf = if i % 5 == 4 { "permerror" } else { "ok" };
            let starttls = match i % 3 {
                _ if group == 1 || period == 1 => None,
                0 => Some("some"),
                _ => Some("all"),
            };
            let mut f = facts(&format!("d{i}.g{group}.example"), spf, policy, starttls);
            if group == 0 && period > 0 {
                let sts = if (i + period).is_multiple_of(3) {
                    "ok"
                } else {
                    "none"
                };
                let rpt = if i.is_multiple_of(2) { "ok" } else { "none" };
                f.mta_sts = serde_json::from_value(serde_json::json!({"status": sts})).unwrap();
                f.tls_rpt = serde_json::from_value(serde_json::json!({"status": rpt})).unwrap();
                let dnssec = match (i + period) % 4 {
                    0 | 1 => "secure",
                    2 => "insecure",
                    _ => "unknown",
                };
                f.dnssec = serde_json::from_value(serde_json::json!({"status": dnssec})).unwrap();
                let dane = if i.is_multiple_of(3) { "all" } else { "n/a" };
                f.mx.dane = serde_json::from_value(serde_json::json!(dane)).unwrap();
            }
            f
        })
        .collect()
}

fn summary(facts: &[Facts]) -> Adoption {
    let mut tally = Tally::default();
    for f in facts {
        tally.add(f);
    }
    tally.adoption()
}

fn row(period: &str, group: &str, summary: Adoption) -> Row {
    Row {
        period: period.to_owned(),
        group: group.to_owned(),
        scans: vec![format!("{period}-01T00:00:00Z")],
        summary,
    }
}

/// Two groups ("gov" and [`ODD`]) over three periods.
fn trend() -> Trend {
    let groups = ["gov", ODD];
    let mut rows = Vec::new();
    for (p, period) in PERIODS.iter().enumerate() {
        for (g, group) in groups.iter().enumerate() {
            rows.push(row(period, group, summary(&domains(g, p))));
        }
    }
    let last = PERIODS.len() - 1;
    let all: Vec<Facts> = (0..groups.len()).flat_map(|g| domains(g, last)).collect();
    Trend {
        by: By::Month,
        grouping: Grouping::List,
        same_domains: false,
        latest: Some(row(PERIODS[last], "all", summary(&all))),
        rows,
    }
}

fn written(dir: &Path) -> (Trend, Vec<PathBuf>) {
    let trend = trend();
    let paths = write_trend_page(&trend, dir).unwrap();
    (trend, paths)
}

#[test]
fn report_writes_the_page_and_one_chart_file_per_kind_and_group() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new/report");
    let (_, paths) = written(&out);
    let mut names: Vec<String> = paths
        .iter()
        .map(|p| {
            assert!(p.is_file(), "{} not written", p.display());
            assert_eq!(p.parent(), Some(out.as_path()));
            p.file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "adoption-a_b__c.svg",
            "adoption-gov.svg",
            "policies-a_b__c.svg",
            "policies-gov.svg",
            "report.html"
        ]
    );
}

/// The 95% Wilson score interval of `count` of `of`, in percent (Wilson 1927): centre
/// (k + z²/2)/(n + z²), half-width z·√(k(n−k)/n + z²/4)/(n + z²).
fn wilson(count: u64, of: u64) -> (f64, f64) {
    let z = 1.959964_f64;
    let (k, n) = (count as f64, of as f64);
    let centre = (k + z * z / 2.0) / (n + z * z);
    let half = z * (k * (n - k) / n + z * z / 4.0).sqrt() / (n + z * z);
    (100.0 * (centre - half), 100.0 * (centre + half))
}

/// The count and population of figure `key` in a row's summary, read as summary.json
/// has it.
fn counts(trend: &Trend, period: &str, group: &str, key: &str) -> (u64, u64) {
    let row = trend
        .rows
        .iter()
        .find(|r| r.period == period && r.group == group)
        .unwrap();
    let summary = serde_json::to_value(&row.summary).unwrap();
    let figure = &summary["figures"][key];
    (
        figure["count"].as_u64().unwrap(),
        figure["of"].as_u64().unwrap(),
    )
}

fn figure_key(line: &str) -> &'static str {
    match line {
        "DMARC present" => "dmarc_present",
        "DMARC enforcing" => "dmarc_enforcing",
        "SPF ok" => "spf_ok",
        "STARTTLS on all MX" => "starttls_all",
        "MTA-STS present" => "mta_sts_present",
        "TLS-RPT present" => "tls_rpt_present",
        "DNSSEC secure" => "dnssec_secure",
        "DANE published" => "dane_published",
        other => panic!("no figure for line {other:?}"),
    }
}

/// Plotters maps values to whole pixels: a drawn end may be a pixel off the exact one.
const PIXEL: f64 = 1.5;

#[test]
fn report_adoption_points_have_wilson_intervals_and_none_over_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let (trend, _) = written(dir.path());
    for (file, group, lines) in [
        ("adoption-gov.svg", "gov", &LINES[..]),
        // Its MX hosts were never probed: no STARTTLS line.
        ("adoption-a_b__c.svg", ODD, &LINES[..3]),
    ] {
        let svg = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(svg.starts_with("<svg"), "{file}");
        let y_of = y_of_percent(&svg);
        let mut drawn = 0;
        for name in lines {
            let stroke = line_stroke(&svg, name);
            let points = hovers(&svg, "data-series", name);
            let bars = whiskers(&svg, &stroke, "2");
            assert_eq!(bars.len(), points.len(), "{file}: {name:?} whiskers");
            let mut shares = Vec::new();
            for period in PERIODS {
                let (count, of) = counts(&trend, period, group, figure_key(name));
                let point = points.iter().find(|(p, ..)| p == period);
                let Some((_, (x, y), title)) = point else {
                    assert_eq!(
                        of, 0,
                        "{file}: {name:?} {period}: {count} of {of} not drawn"
                    );
                    continue;
                };
                assert!(of > 0, "{file}: {name:?} {period}: a point over 0 of 0");
                let share = 100.0 * count as f64 / of as f64;
                assert!(
                    (*y as f64 - y_of(share)).abs() <= PIXEL,
                    "{file}: {name:?} {period}"
                );
                assert!(title.contains(&format!(" {count} of {of} ")), "{title}");
                let (low, high) = wilson(count, of);
                let &(_, low_y, high_y) = bars
                    .iter()
                    .find(|(bx, ..)| bx == x)
                    .unwrap_or_else(|| panic!("{file}: {name:?} {period}: no whisker"));
                for (end, drawn, want) in [("low", low_y, low), ("high", high_y, high)] {
                    assert!(
                        (drawn as f64 - y_of(want)).abs() <= PIXEL,
                        "{file}: {name:?} {period} ({count} of {of}): {end} end at {drawn} px, \
                         Wilson {want:.2}% is {:.1} px",
                        y_of(want)
                    );
                }
                shares.push((*x, share));
            }
            drawn += shares.len();
            // The line joins the points of consecutive periods only, in the right order.
            let line = line_points(&svg, name);
            shares.sort_by_key(|s| s.0);
            assert!(line.len() <= shares.len(), "{file}: {name:?}");
            for (i, (x, share)) in shares.iter().enumerate().skip(1) {
                let (prev_x, prev_share) = shares[i - 1];
                let (dy, dv) = (y_of(*share) - y_of(prev_share), share - prev_share);
                if dv.abs() > 2.0 {
                    assert!(
                        (dy < 0.0) == (dv > 0.0),
                        "{file}: {name:?} goes the wrong way"
                    );
                }
                assert!(*x > prev_x, "{file}: {name:?} x order");
            }
        }
        let texts: Vec<String> = elements(&svg, "text").into_iter().map(|t| t.2).collect();
        for name in &LINES[lines.len()..] {
            assert!(!texts.contains(&name.to_string()), "{file}: {name:?} drawn");
        }
        assert!(drawn > 0, "{file}: no point drawn");
        assert!(
            texts.iter().any(|t| t.contains('%')),
            "{file}: no % axis label"
        );
        assert!(
            texts.iter().any(|t| t.starts_with("n=")),
            "{file}: no population under the periods"
        );
        for (_, a, _) in elements(&svg, "text") {
            let size: f64 = a["font-size"].parse().unwrap();
            assert!(size >= 12.0, "{file}: font-size {size}");
        }
    }
}

#[test]
fn report_adoption_line_breaks_where_a_share_is_of_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let (trend, _) = written(dir.path());
    assert_eq!(counts(&trend, PERIODS[1], "gov", "starttls_all").1, 0);
    let svg = std::fs::read_to_string(dir.path().join("adoption-gov.svg")).unwrap();
    let name = "STARTTLS on all MX";
    let periods: Vec<String> = hovers(&svg, "data-series", name)
        .into_iter()
        .map(|h| h.0)
        .collect();
    assert_eq!(periods, [PERIODS[0], PERIODS[2], PERIODS[3]]);
    // The first point stands alone; the last two are joined.
    let segments = line_segments(&svg, name);
    assert_eq!(segments.len(), 1, "{segments:?}");
    assert_eq!(segments[0].len(), 2, "{segments:?}");
    // Another line over the same periods is not broken.
    assert_eq!(line_segments(&svg, "SPF ok").len(), 1);
    assert_eq!(line_points(&svg, "SPF ok").len(), PERIODS.len());
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        html.contains("No point for STARTTLS on all MX in 2024-02: 0 of 0 domains to count on."),
        "no note of the share not drawn"
    );
    // Records of a scan made before MTA-STS, TLS-RPT, DNSSEC and DANE were looked at: no
    // point at all, not a share of 0%.
    for name in LINES[4..].iter().copied() {
        assert_eq!(counts(&trend, PERIODS[0], "gov", figure_key(name)), (0, 0));
        let periods: Vec<String> = hovers(&svg, "data-series", name)
            .into_iter()
            .map(|h| h.0)
            .collect();
        assert_eq!(periods, PERIODS[1..], "{name}");
        assert_eq!(line_segments(&svg, name).len(), 1, "{name}");
        assert!(
            html.contains(&format!(
                "No point for {name} in 2024-01: 0 of 0 domains to count on."
            )),
            "no note of {name} not drawn"
        );
    }
    assert!(html.contains("95% Wilson"));
}

#[test]
fn report_policy_bars_stack_to_the_whole_of_each_period() {
    let dir = tempfile::tempdir().unwrap();
    let (trend, _) = written(dir.path());
    let svg = std::fs::read_to_string(dir.path().join("policies-gov.svg")).unwrap();
    let rects = elements(&svg, "rect");
    // Per bar part: its rectangles (x, width, height) without the legend swatch (hover
    // targets have no fill of their own).
    let mut parts = Vec::new();
    for name in BAR_PARTS {
        let (swatch_at, swatch) = legend_sample(&svg, name, "rect", "fill", "none");
        let bars: Vec<(i64, i64, i64)> = rects
            .iter()
            .filter(|(at, a, _)| *at != swatch_at && a.get("fill") == Some(&swatch["fill"]))
            .map(|(_, a, _)| {
                let number = |key: &str| a[key].parse().unwrap();
                (number("x"), number("width"), number("height"))
            })
            .collect();
        assert_eq!(bars.len(), PERIODS.len(), "bars of {name:?}");
        parts.push(bars);
    }
    let fills: Vec<String> = BAR_PARTS
        .iter()
        .map(|name| legend_sample(&svg, name, "rect", "fill", "none").1["fill"].clone())
        .collect();
    for pair in fills.windows(2) {
        assert_ne!(pair[0], pair[1], "neighbouring parts look the same");
    }
    let y_of = y_of_percent(&svg);
    // White whiskers (in a black halo) at the boundaries of each bar, left to right, and
    // one in the legend.
    let mut bounds = whiskers(&svg, "#FFFFFF", "2");
    let mut in_bars = 0;
    bounds.sort();
    let totals: Vec<f64> = (0..PERIODS.len())
        .map(|p| parts.iter().map(|bars| bars[p].2 as f64).sum())
        .collect();
    for (p, period) in PERIODS.iter().enumerate() {
        assert!(
            (totals[p] - totals[0]).abs() <= 4.0,
            "{period}: stack of {} px, first of {} px",
            totals[p],
            totals[0]
        );
        let s = &trend
            .rows
            .iter()
            .find(|r| r.period == *period && r.group == "gov")
            .unwrap()
            .summary;
        let reject = s.figures.dmarc_policy_reject.count as f64 / s.dmarc_known as f64;
        let drawn = parts[0][p].2 as f64 / totals[p];
        assert!(
            (drawn - reject).abs() < 0.02,
            "{period}: reject {drawn} != {reject}"
        );
        assert!(
            parts.iter().all(|bars| bars[p].0 == parts[0][p].0),
            "{period}: parts not stacked"
        );
        // A boundary: the share of the parts below it, with its interval; one whisker
        // where two boundaries coincide (an empty part between them).
        let (left, right) = (parts[0][p].0, parts[0][p].0 + parts[0][p].1);
        let mine: Vec<_> = bounds
            .iter()
            .filter(|(x, ..)| (left..right).contains(x))
            .collect();
        let f = &s.figures;
        let mut below = vec![
            f.dmarc_policy_reject.count,
            f.dmarc_policy_reject.count + f.dmarc_policy_quarantine.count,
            f.dmarc_policy_reject.count
                + f.dmarc_policy_quarantine.count
                + f.dmarc_policy_none.count,
        ];
        below.dedup();
        assert_eq!(mine.len(), below.len(), "{period}: whiskers {mine:?}");
        in_bars += mine.len();
        for (&&(_, low_y, high_y), count) in mine.iter().zip(below) {
            let (low, high) = wilson(count, s.dmarc_known);
            assert!(
                (low_y as f64 - y_of(low)).abs() <= PIXEL,
                "{period}: {count} low"
            );
            assert!(
                (high_y as f64 - y_of(high)).abs() <= PIXEL,
                "{period}: {count} high"
            );
        }
    }
    assert_eq!(
        bounds.len(),
        in_bars + 1,
        "whiskers outside the bars and legend"
    );
    assert!(
        elements(&svg, "text").iter().any(|t| t.2.starts_with("n=")),
        "no population under the periods"
    );
}

#[test]
fn report_page_is_self_contained_and_escapes_data() {
    let dir = tempfile::tempdir().unwrap();
    let (trend, _) = written(dir.path());
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("<title>"));
    assert!(html.contains("@media print"));
    assert!(!html.to_ascii_lowercase().contains("<script"));
    let outside_svg_namespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!outside_svg_namespace.contains("http://"));
    assert!(!outside_svg_namespace.contains("https://"));
    // Nothing else to load, not even a file next to it.
    for reference in [
        "src=", "href=", "url(", "@import", "<link", "<iframe", "<object",
    ] {
        assert!(!html.contains(reference), "{reference}");
    }
    assert_eq!(html.matches("<svg").count(), 4, "charts inline");
    assert!(!html.contains(ODD), "group name unescaped");
    assert!(html.contains("a&lt;b&gt;&amp;c"));
    for param in ["month", "list", "same_domains"] {
        assert!(html.contains(param), "{param}");
    }
    assert!(html.contains("gone.example"));
    assert!(html.contains("too_many_lookups"));
    // The lists of the latest period say what population they were looked for in.
    let latest = &trend.latest.as_ref().unwrap().summary;
    let population = format!(
        "{} domains whose SPF is known (of {})",
        latest.spf_known, latest.domains
    );
    assert_eq!(html.matches(&population).count(), 2, "{population}");
    assert!(html.contains("Not drawn, no domain to count on in any period: STARTTLS on all MX"));
}

/// Text of each cell of each row of the figures table, and its column headings' titles.
fn table(html: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let start = html.find("<thead>").expect("no table");
    let head = &html[start..start + html[start..].find("</thead>").unwrap()];
    let titles = head
        .split("<th")
        .skip(1)
        .filter(|th| !th.starts_with("ead"))
        .map(|th| match th.find("title=\"") {
            Some(at) => th[at + 7..].split('"').next().unwrap().to_owned(),
            None => String::new(),
        })
        .collect();
    let body_start = start + html[start..].find("<tbody>").unwrap();
    let body = &html[body_start..body_start + html[body_start..].find("</tbody>").unwrap()];
    let strip = |cell: &str| {
        let mut text = String::new();
        let mut in_tag = false;
        for c in cell.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => text.push(' '),
            }
        }
        text.replace("&nbsp;", " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let rows = body
        .split("<tr>")
        .skip(1)
        .map(|tr| {
            tr.split("<td")
                .skip(1)
                .map(|td| strip(&format!("<td{td}")))
                .collect()
        })
        .collect();
    (titles, rows)
}

#[test]
fn report_table_has_every_figure_of_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let (trend, _) = written(dir.path());
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let (titles, cells) = table(&html);
    assert_eq!(cells.len(), trend.rows.len());
    for (row, cells) in trend.rows.iter().zip(&cells) {
        assert_eq!(cells[0], row.period);
        assert_eq!(
            cells[1],
            row.group
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        );
        assert_eq!(cells[2], row.summary.domains.to_string());
        let figures = serde_json::to_value(&row.summary.figures).unwrap();
        let figures = figures.as_object().unwrap();
        for (name, figure) in figures {
            let column = titles
                .iter()
                .position(|t| t == name)
                .unwrap_or_else(|| panic!("no column {name}"));
            let percent = match figure["of"].as_u64().unwrap() {
                0 => "n/a".to_owned(),
                _ => format!("{:.1} %", figure["percent"].as_f64().unwrap()),
            };
            let want = format!("{percent} {} / {}", figure["count"], figure["of"]);
            assert_eq!(cells[column], want, "{} {} {name}", row.period, row.group);
        }
    }
}

#[test]
fn report_charts_at_most_the_largest_groups() {
    let groups: Vec<String> = (0..MAX_CHART_GROUPS + 2)
        .map(|g| format!("list{g:02}"))
        .collect();
    let rows = PERIODS
        .iter()
        .flat_map(|period| {
            groups.iter().enumerate().map(move |(g, group)| {
                // list00 is the smallest, so the largest are the last ones.
                row(period, group, summary(&domains(0, 3)[..=g]))
            })
        })
        .collect();
    let trend = Trend {
        by: By::Scan,
        grouping: Grouping::Suffix,
        same_domains: true,
        rows,
        latest: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let paths = write_trend_page(&trend, dir.path()).unwrap();
    let charted: Vec<String> = paths
        .iter()
        .filter_map(|p| {
            p.file_name()?
                .to_str()?
                .strip_prefix("adoption-")?
                .strip_suffix(".svg")
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(charted.len(), MAX_CHART_GROUPS);
    assert!(
        !charted.contains(&"list00".to_owned()) && !charted.contains(&"list01".to_owned()),
        "{charted:?}"
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        html.contains("2 more left out"),
        "no note on the groups left out"
    );
}

/// Every DNS question of the history fails (a resolver address where nothing listens):
/// the report measured nothing and must say so, not that nothing was wrong.
#[tokio::test]
async fn report_of_a_history_without_answers_says_not_measured_and_claims_no_absence() {
    let dir = tempfile::tempdir().unwrap();
    let (list, scans) = (dir.path().join("silent.txt"), dir.path().join("scans"));
    write_list(&list, &["a.example", "b.example", "c.example"]);
    for time in ["2024-01-10T09:00:00Z", "2024-02-10T09:00:00Z"] {
        let out = scans.join(time.replace(':', "-"));
        scan_unanswered(&list, &out, time, "0.2").await;
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        for known in ["spf_known", "dmarc_known", "mx_known"] {
            assert_eq!(summary[known], 0, "{known}: {summary}");
        }
    }
    let report = dir.path().join("report");
    let args = [
        "trend",
        &scans.display().to_string(),
        "--out",
        &dir.path().join("trend.csv").display().to_string(),
        "--by",
        "month",
        "--report",
        &report.display().to_string(),
    ];
    let output = run(dir.path(), args.iter().map(|a| a.to_string()).collect()).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();

    let not_measured = "<p>Not measured: SPF is known for 0 of 3 domains (all temperror).</p>";
    assert_eq!(
        html.matches(not_measured).count(),
        2,
        "dangling includes, permerror kinds"
    );
    for absence in [
        "<p>None",
        "<p>No ",
        "every include target",
        "No SPF permerror",
        "No dangling include",
    ] {
        assert!(!html.contains(absence), "claims an absence: {absence:?}");
    }
    // Every share but the temporary errors' is of nobody: n/a, not 0%.
    let (titles, cells) = table(&html);
    assert_eq!(cells.len(), 2);
    for row in &cells {
        for (title, cell) in titles.iter().zip(row) {
            match title.as_str() {
                "" => {}
                "temperror" => assert_eq!(cell, "100.0 % 3 / 3"),
                figure => assert_eq!(cell, "n/a 0 / 0", "{figure}"),
            }
        }
    }
    // Nothing to draw: no point, no whisker, no bar, and the captions say why.
    let svg = std::fs::read_to_string(report.join("adoption-silent.svg")).unwrap();
    assert!(hovers(&svg, "data-period", "2024-01").is_empty());
    assert!(hovers(&svg, "data-period", "2024-02").is_empty());
    assert!(
        html.contains(
            "Not drawn, no domain to count on in any period: DMARC present, DMARC \
             enforcing, SPF ok, STARTTLS on all MX, MTA-STS present, TLS-RPT present, \
             DNSSEC secure, DANE published."
        ),
        "no note of the lines left out"
    );
    let svg = std::fs::read_to_string(report.join("policies-silent.svg")).unwrap();
    assert!(elements(&svg, "title").is_empty(), "a bar part drawn");
    assert!(html.contains("No bar for 2024-01, 2024-02: DMARC known for 0 domains."));
}
