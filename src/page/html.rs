//! The report page: parameters, the charts inline, the figures of every row and the
//! latest period's SPF troubles, as one HTML file that needs nothing else to show or print.

use std::fmt::Write as _;

use serde::Serialize;

use super::{GroupCharts, MAX_CHART_GROUPS, heading};
use crate::stats::trend::Trend;

const STYLE: &str = "
body { font-family: sans-serif; font-size: 15px; color: #000; background: #fff;
       margin: 1.5em auto; max-width: 1280px; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.35em; margin-top: 1.6em; border-bottom: 1px solid #888; }
h3 { font-size: 1.1em; margin: 1.2em 0 0.4em; overflow-wrap: anywhere; }
dl.params { display: grid; grid-template-columns: max-content auto; gap: 0.1em 1em; }
dl.params dt { font-weight: bold; }
dl.params dd { margin: 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr));
          gap: 1em; }
figure { margin: 0; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 0.9em; color: #333; }
.note { font-style: italic; }
.wide { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 0.5em 0; }
th, td { border: 1px solid #999; padding: 0.2em 0.45em; vertical-align: top; }
th { background: #eee; text-align: left; }
td.num { text-align: right; white-space: nowrap; }
td .of { display: block; color: #444; font-size: 0.9em; }
td.name { overflow-wrap: anywhere; }
td.period { white-space: nowrap; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { font-size: 10pt; margin: 0; max-width: none; }
  .wide { overflow: visible; }
  table { font-size: 8pt; }
  th { background: none; }
  section.group, figure, tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
";

/// The whole page. Its Content-Security-Policy lets it load nothing and run nothing, so a
/// domain name that slipped through unescaped could still not fetch or run anything, and a
/// browser says so if the page ever asks for a file.
pub(super) fn page(
    trend: &Trend,
    periods: &[&str],
    charts: &[GroupCharts],
    left_out: &[&str],
) -> String {
    let mut out = String::new();
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>mailposture trend report</title>\n<style>",
    );
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<h1>Sender-domain posture over time</h1>\n");
    parameters(&mut out, trend, periods);
    chart_section(&mut out, charts, left_out);
    figures_table(&mut out, trend);
    latest(&mut out, trend);
    out.push_str("</body>\n</html>\n");
    out
}

fn parameters(out: &mut String, trend: &Trend, periods: &[&str]) {
    let span = match (periods.first(), periods.last()) {
        (Some(first), Some(last)) if first != last => format!("{first} to {last}"),
        (Some(only), _) => (*only).to_owned(),
        _ => "none".to_owned(),
    };
    let _ = write!(
        out,
        "<dl class=\"params\">\n\
         <dt>Periods</dt><dd>{} ({})</dd>\n\
         <dt>by</dt><dd>{}</dd>\n\
         <dt>grouping</dt><dd>{}</dd>\n\
         <dt>same_domains</dt><dd>{}</dd>\n\
         <dt>Rows</dt><dd>{}</dd>\n</dl>\n",
        escape(&span),
        periods.len(),
        escape(&word(&trend.by)),
        escape(&word(&trend.grouping)),
        trend.same_domains,
        trend.rows.len(),
    );
    if trend.same_domains {
        out.push_str(
            "<p>Every period counts only the domains present in all periods, so changes are \
             changes of those domains, not of the lists.</p>\n",
        );
    }
}

fn chart_section(out: &mut String, charts: &[GroupCharts], left_out: &[&str]) {
    out.push_str("<h2>Adoption and DMARC policies by group</h2>\n");
    if charts.is_empty() {
        out.push_str("<p class=\"note\">Not measured: the trend has no rows, so no charts.</p>\n");
        return;
    }
    out.push_str(
        "<p>Percentages are shares of the domains whose part in question is known: DMARC \
         and policies of <code>dmarc_known</code>, SPF of <code>spf_known</code>, STARTTLS \
         of the domains with an MX host that answered EHLO, MTA-STS of \
         <code>mta_sts_known</code>, TLS-RPT of <code>tls_rpt_known</code>, DNSSEC of \
         <code>dnssec_known</code> (never through a resolver that does not validate), \
         DANE published of <code>dane_known</code> (scans made before a part was looked \
         at, or that skipped it, count in none of these). Each share has its 95% Wilson \
         score interval as a whisker, and under each period <code>n</code> is the number of \
         domains the shares are of (a range where the lines count different domains; each \
         point's own is in its tooltip). A share of 0 of 0 domains is not drawn. The table \
         below gives the counts.</p>\n",
    );
    if !left_out.is_empty() {
        let names: Vec<String> = left_out.iter().map(|g| escape(g)).collect();
        let _ = writeln!(
            out,
            "<p class=\"note\">Charts are drawn for the {MAX_CHART_GROUPS} groups with the \
             most domains in the latest period; {} more left out (in the table below): {}.</p>",
            left_out.len(),
            names.join(", "),
        );
    }
    for chart in charts {
        let group = escape(&chart.group);
        let _ = write!(
            out,
            "<section class=\"group\">\n<h3>{group}</h3>\n<div class=\"charts\">\n\
             <figure>\n{}<figcaption>Adoption in {group}, percent per period; whiskers: 95% \
             Wilson interval; n: the domains each share is of.",
            chart.adoption,
        );
        if !chart.lines_left_out.is_empty() {
            let _ = write!(
                out,
                " Not drawn, no domain to count on in any period: {}.",
                chart.lines_left_out.join(", ")
            );
        }
        for (line, periods) in &chart.line_gaps {
            let periods: Vec<String> = periods.iter().map(|p| escape(p)).collect();
            let _ = write!(
                out,
                " No point for {line} in {}: 0 of 0 domains to count on.",
                periods.join(", ")
            );
        }
        let _ = write!(
            out,
            "</figcaption>\n</figure>\n<figure>\n{}<figcaption>DMARC policy in {group}, \
             percent of the domains whose DMARC is known (n); whiskers: 95% Wilson interval \
             of the share below each boundary (reject; reject or quarantine; any policy).",
            chart.policies,
        );
        if !chart.bar_gaps.is_empty() {
            let periods: Vec<String> = chart.bar_gaps.iter().map(|p| escape(p)).collect();
            let _ = write!(
                out,
                " No bar for {}: DMARC known for 0 domains.",
                periods.join(", ")
            );
        }
        out.push_str("</figcaption>\n</figure>\n</div>\n</section>\n");
    }
}

fn figures_table(out: &mut String, trend: &Trend) {
    out.push_str("<h2>Figures</h2>\n");
    if trend.rows.is_empty() {
        out.push_str("<p class=\"note\">Not measured: the trend has no rows.</p>\n");
        return;
    }
    out.push_str(
        "<p>Each cell: percent, then count / population.</p>\n<div class=\"wide\">\n<table>\n\
         <thead><tr><th>Period</th><th>Group</th><th>Domains</th>",
    );
    for (name, _) in trend.rows[0].summary.figures.named() {
        let _ = write!(out, "<th title=\"{name}\">{}</th>", heading(name));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &trend.rows {
        let _ = write!(
            out,
            "<tr><td class=\"period\">{}</td><td class=\"name\">{}</td><td class=\"num\">{}</td>",
            escape(&row.period),
            escape(&row.group),
            row.summary.domains,
        );
        for (_, f) in row.summary.figures.named() {
            // A share of nobody is no share: 0/0 is not 0 %.
            let percent = f.share().replace('%', "&nbsp;%");
            let _ = write!(
                out,
                "<td class=\"num\">{percent}<span class=\"of\">{}&nbsp;/&nbsp;{}</span></td>",
                f.count, f.of,
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}

fn latest(out: &mut String, trend: &Trend) {
    let Some(row) = &trend.latest else {
        return;
    };
    let s = &row.summary;
    let _ = writeln!(
        out,
        "<h2>Latest period: {} ({} domains, all groups)</h2>",
        escape(&row.period),
        s.domains,
    );
    // Both lists count only the domains whose SPF is known: an empty list over none of
    // them observed nothing, and says so instead of claiming an absence.
    let not_measured = spf_not_measured(s.domains);
    out.push_str("<h3>Most referenced dangling include targets</h3>\n");
    if s.spf_known == 0 {
        let _ = writeln!(out, "<p>{not_measured}</p>");
    } else if s.top_dangling_includes.is_empty() {
        let _ = writeln!(
            out,
            "<p>No dangling include among the {} domains whose SPF is known (of {}).</p>",
            s.spf_known, s.domains,
        );
    } else {
        let f = &s.figures.spf_dangling_include;
        let _ = writeln!(
            out,
            "<p>Include targets that publish no SPF record, by the number of domains whose \
             SPF references them; {} of the {} domains whose SPF is known (of {}) reference \
             one ({}).</p>",
            f.count,
            s.spf_known,
            s.domains,
            f.share().replace('%', "&nbsp;%"),
        );
        out.push_str("<table>\n<thead><tr><th>Target</th><th>Domains</th></tr></thead>\n<tbody>\n");
        for t in &s.top_dangling_includes {
            let _ = writeln!(
                out,
                "<tr><td class=\"name\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&t.target),
                t.domains,
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("<h3>SPF permerror by kind</h3>\n");
    if s.spf_known == 0 {
        let _ = writeln!(out, "<p>{not_measured}</p>");
    } else if s.spf_permerror_by_kind.is_empty() {
        let _ = writeln!(
            out,
            "<p>No SPF permerror among the {} domains whose SPF is known (of {}).</p>",
            s.spf_known, s.domains,
        );
    } else {
        let _ = writeln!(
            out,
            "<p>The kind of each permerror domain's first error, of the {} domains whose SPF \
             is known (of {}).</p>",
            s.spf_known, s.domains,
        );
        out.push_str(
            "<table>\n<thead><tr><th>Kind</th><th>Domains</th><th>Percent</th></tr></thead>\n\
             <tbody>\n",
        );
        for (kind, f) in &s.spf_permerror_by_kind {
            let _ = writeln!(
                out,
                "<tr><td class=\"name\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td></tr>",
                escape(kind),
                f.count,
                f.share().replace('%', "&nbsp;%"),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
}

/// What a list over the SPF-known domains says when none is known: a domain's SPF is
/// unknown only when its SPF lookups failed (temperror).
fn spf_not_measured(domains: u64) -> String {
    match domains {
        0 => "Not measured: the period has no domains.".to_owned(),
        _ => format!("Not measured: SPF is known for 0 of {domains} domains (all temperror)."),
    }
}

/// The word a value is written as in JSON (`week`, `suffix`).
fn word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Text safe in HTML element content and in quoted attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
