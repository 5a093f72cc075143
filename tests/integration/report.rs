//! The report's page and charts from a trend built by hand: files, points per line,
//! bar stacks, the table, escaping, self-containment (the browser test is in `trend`).

use std::path::{Path, PathBuf};

use mailposture::report::{MAX_CHART_GROUPS, write_report};
use mailposture::stats::facts::Facts;
use mailposture::stats::trend::{By, Grouping, Row, Trend};
use mailposture::stats::{Summary, Tally};

use crate::support::svg::{elements, legend_sample, line_points};

const PERIODS: [&str; 3] = ["2024-01", "2024-02", "2024-03"];
/// A group name that must be escaped in HTML and sanitised in file names.
const ODD: &str = "a<b>&c";
const LINES: [&str; 4] = [
    "DMARC present",
    "DMARC enforcing",
    "SPF ok",
    "STARTTLS on all MX",
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
/// goes on; the odd group's MX hosts were never probed.
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
            let starttls = match (group, i % 3) {
                (1, _) => None,
                (_, 0) => Some("some"),
                _ => Some("all"),
            };
            facts(&format!("d{i}.g{group}.example"), spf, policy, starttls)
        })
        .collect()
}

fn summary(facts: &[Facts]) -> Summary {
    let mut tally = Tally::default();
    for f in facts {
        tally.add(f);
    }
    tally.summary()
}

fn row(period: &str, group: &str, summary: Summary) -> Row {
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
    let paths = write_report(&trend, dir).unwrap();
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

#[test]
fn report_adoption_lines_have_one_point_per_period() {
    let dir = tempfile::tempdir().unwrap();
    let (trend, _) = written(dir.path());
    for (file, group, lines) in [
        ("adoption-gov.svg", "gov", &LINES[..]),
        // Its MX hosts were never probed: no STARTTLS line.
        ("adoption-a_b__c.svg", ODD, &LINES[..3]),
    ] {
        let svg = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(svg.starts_with("<svg"), "{file}");
        let polylines = elements(&svg, "polyline");
        for name in lines {
            let points = line_points(&svg, name);
            assert_eq!(points.len(), PERIODS.len(), "{file}: {name:?}");
            let shares: Vec<f64> = PERIODS
                .iter()
                .map(|period| {
                    let row = trend
                        .rows
                        .iter()
                        .find(|r| r.period == *period && r.group == group);
                    let figures = serde_json::to_value(&row.unwrap().summary.figures).unwrap();
                    let key = match *name {
                        "DMARC present" => "dmarc_present",
                        "DMARC enforcing" => "dmarc_enforcing",
                        "SPF ok" => "spf_ok",
                        _ => "starttls_all",
                    };
                    figures[key]["percent"].as_f64().unwrap()
                })
                .collect();
            for i in 1..points.len() {
                assert!(points[i].0 > points[i - 1].0, "{file}: {name:?} x order");
                let (dy, dv) = (points[i].1 - points[i - 1].1, shares[i] - shares[i - 1]);
                if dv.abs() > 2.0 {
                    assert!(
                        (dy < 0) == (dv > 0.0),
                        "{file}: {name:?} goes the wrong way"
                    );
                }
            }
        }
        let texts: Vec<String> = elements(&svg, "text").into_iter().map(|t| t.2).collect();
        for name in &LINES[lines.len()..] {
            assert!(!texts.contains(&name.to_string()), "{file}: {name:?} drawn");
        }
        // Data lines plus one legend sample each, besides the axes.
        let thick = polylines
            .iter()
            .filter(|(_, a, _)| a["stroke-width"] != "1");
        assert_eq!(thick.count(), 2 * lines.len(), "{file}");
        assert!(
            texts.iter().any(|t| t.contains('%')),
            "{file}: no % axis label"
        );
        for (_, a, _) in elements(&svg, "text") {
            let size: f64 = a["font-size"].parse().unwrap();
            assert!(size >= 12.0, "{file}: font-size {size}");
        }
    }
}

#[test]
fn report_policy_bars_stack_to_the_whole_of_each_period() {
    let dir = tempfile::tempdir().unwrap();
    let (trend, _) = written(dir.path());
    let svg = std::fs::read_to_string(dir.path().join("policies-gov.svg")).unwrap();
    let rects = elements(&svg, "rect");
    // Per bar part: its rectangles (x, height) without the legend swatch.
    let mut parts = Vec::new();
    for name in BAR_PARTS {
        let (swatch_at, swatch) = legend_sample(&svg, name, "rect", "fill", "none");
        let bars: Vec<(i64, f64)> = rects
            .iter()
            .filter(|(at, a, _)| *at != swatch_at && a["fill"] == swatch["fill"])
            .map(|(_, a, _)| (a["x"].parse().unwrap(), a["height"].parse().unwrap()))
            .collect();
        assert_eq!(bars.len(), PERIODS.len(), "bars of {name:?}");
        parts.push(bars);
    }
    let totals: Vec<f64> = (0..PERIODS.len())
        .map(|p| parts.iter().map(|bars| bars[p].1).sum())
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
        let drawn = parts[0][p].1 / totals[p];
        assert!(
            (drawn - reject).abs() < 0.02,
            "{period}: reject {drawn} != {reject}"
        );
        assert!(
            parts.iter().all(|bars| bars[p].0 == parts[0][p].0),
            "{period}: parts not stacked"
        );
    }
}

#[test]
fn report_page_is_self_contained_and_escapes_data() {
    let dir = tempfile::tempdir().unwrap();
    written(dir.path());
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
    let paths = write_report(&trend, dir.path()).unwrap();
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
