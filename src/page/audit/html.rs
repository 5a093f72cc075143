//! The audit report's markup. Every text from the network (records, banners, names) is
//! HTML-escaped and appears only in element content: attributes hold numbers and words
//! of this code, never DNS text.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;

use super::cells::Tone;
use super::{Finished, Row};
use crate::advice::{self, Area, Item, Severity, Subject};
use crate::output::text::FIX;
use crate::page::html::escape;
use crate::page::{heading, wilson};
use crate::record::DomainRecord;
use crate::scandir::ScanJson;
use crate::stats::{Adoption, Figure};

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");

/// The findings listed one by one at the top; the others follow, folded.
const TOP: usize = 12;

/// The Content-Security-Policy: nothing loaded, the page's own script (by its hash) the
/// only one that runs.
fn policy() -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, SCRIPT.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    format!("default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'")
}

pub(super) fn page(f: &Finished, scan: Option<&ScanJson>, dir: &Path, complete: bool) -> String {
    let mut out = String::with_capacity(f.rows.iter().map(Row::bytes).sum::<usize>() + 65_536);
    let title = match scan {
        Some(s) if !s.lists.is_empty() => format!("Email posture audit: {}", s.lists.join(", ")),
        _ => "Email posture audit".to_owned(),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        policy(),
        escape(&title),
        escape(&title),
    );
    parameters(&mut out, f, scan, dir, complete);
    headline(&mut out, &f.adoption);
    top_findings(&mut out, f);
    not_measured(&mut out, f);
    domains(&mut out, f);
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

fn parameters(out: &mut String, f: &Finished, scan: Option<&ScanJson>, dir: &Path, complete: bool) {
    let domains = f.adoption.domains;
    if !complete {
        let _ = writeln!(
            out,
            "<p class=\"banner\">INCOMPLETE: this scan did not finish. The figures and the \
             table cover the {domains} domains scanned before it stopped, not the whole list.</p>"
        );
    }
    out.push_str("<dl class=\"params\">\n");
    let _ = writeln!(
        out,
        "<dt>Scan</dt><dd>{}</dd>",
        escape(&dir.display().to_string())
    );
    if let Some(s) = scan {
        let _ = writeln!(
            out,
            "<dt>Lists</dt><dd>{}</dd>\n<dt>Started</dt><dd>{}</dd>\n<dt>Finished</dt><dd>{}</dd>\n\
             <dt>Tool</dt><dd>{} {}</dd>",
            escape(&s.lists.join(", ")),
            escape(&s.started_at),
            escape(&s.finished_at),
            escape(&s.tool),
            escape(&s.version),
        );
        if let Some(dns) = &s.dns {
            let _ = writeln!(
                out,
                "<dt>Resolver</dt><dd>{} (DNSSEC validation: {})</dd>",
                escape(&s.resolver.join(", ")),
                dns.dnssec_validation.map_or("not known", |v| v.as_str()),
            );
        }
        if !s.options.skip.is_empty() {
            let skipped: Vec<String> = s
                .options
                .skip
                .iter()
                .map(|p| {
                    serde_json::to_string(p)
                        .unwrap_or_default()
                        .replace('"', "")
                })
                .collect();
            let _ = writeln!(
                out,
                "<dt>Skipped</dt><dd>{}</dd>",
                escape(&skipped.join(", "))
            );
        }
    }
    let [errors, unknown, warnings, clean] = f.by_severity;
    let _ = writeln!(
        out,
        "<dt>Domains</dt><dd>{domains}: {errors} with an error, {unknown} with a part not \
         known (and no error), {warnings} with warnings only, {clean} without findings</dd>",
    );
    if f.bad_lines > 0 {
        let _ = writeln!(
            out,
            "<dt>Unreadable</dt><dd>{} lines of results.jsonl are not records and are not \
             counted</dd>",
            f.bad_lines
        );
    }
    out.push_str("</dl>\n");
}

/// A share with its 95% Wilson interval, or n/a for a share of nobody.
fn share(figure: &Figure) -> (String, String) {
    match wilson::interval(figure.count, figure.of) {
        None => ("n/a".to_owned(), "n/a".to_owned()),
        Some((low, high)) => (
            figure.share().replace('%', "&nbsp;%"),
            format!("{:.1}–{:.1}&nbsp;%", low * 100.0, high * 100.0),
        ),
    }
}

fn headline(out: &mut String, a: &Adoption) {
    out.push_str(
        "<h2>Headline figures</h2>\n<p>Each share is of its population, the domains whose \
         part is known (a lookup that failed counts in none), as in <code>summary.json</code>; \
         the range is its 95% Wilson score interval. A share of 0 domains is n/a.</p>\n\
         <div class=\"figures\">\n",
    );
    for (name, figure) in a.figures.named() {
        let (percent, interval) = share(figure);
        let _ = writeln!(
            out,
            "<div class=\"figure\"><span class=\"label\">{}</span> \
             <span class=\"pct\">{percent}</span> \
             <span class=\"of\">{} of {} <code>{}</code>; 95%: {interval}</span></div>",
            heading(name),
            figure.count,
            figure.of,
            figure.denominator,
        );
    }
    out.push_str("</div>\n");
}

/// The population a part's findings are counted in, and its name.
fn population(a: &Adoption, area: Area) -> (u64, &'static str) {
    match area {
        Area::Spf => (a.spf_known, "whose SPF is known"),
        Area::Dmarc => (a.dmarc_known, "whose DMARC is known"),
        Area::Mx => (a.mx_known, "whose MX is known"),
        Area::Starttls => (a.starttls_probed, "with an MX host that answered EHLO"),
        Area::MtaSts => (a.mta_sts_known, "whose MTA-STS is known"),
        Area::TlsRpt => (a.tls_rpt_known, "whose TLS-RPT is known"),
        Area::Dnssec => (a.dnssec_known, "whose DNSSEC state is known"),
        Area::Dane => (a.dane_known, "whose DANE is known"),
        Area::Dkim => (a.dkim_known, "whose DKIM is known"),
        Area::Bimi => (a.bimi_known, "whose BIMI is known"),
    }
}

/// A finding's name: its part and kind, `SPF too_many_lookups`.
fn name(subject: Subject) -> String {
    format!("{} <code>{}</code>", subject.area().title(), subject.kind())
}

fn remedy_html(subject: Subject) -> String {
    let r = advice::remedy(subject);
    format!(
        "<span class=\"fix\">{} <span class=\"cite\">({})</span></span>",
        escape(r.fix),
        escape(r.cite)
    )
}

fn top_findings(out: &mut String, f: &Finished) {
    out.push_str("<h2>Findings that affect the most domains</h2>\n");
    let found: Vec<_> = f.subjects.iter().filter(|(s, _)| !s.is_failure()).collect();
    let a = &f.adoption;
    if found.is_empty() {
        // Only measured parts can be without findings: say how many were not.
        let [_, unknown, _, clean] = f.by_severity;
        let _ = writeln!(
            out,
            "<p>No finding: {clean} of the {} domains have none, and {unknown} have a part \
             that could not be measured (listed below).</p>",
            a.domains
        );
    }
    let item = |out: &mut String, subject: Subject, count: &super::SubjectCount| {
        let (of, who) = population(a, subject.area());
        let figure = Figure::new(count.domains, of, "");
        let share = if count.domains <= of {
            let (percent, interval) = share(&figure);
            format!("{percent} of the {of} domains {who}; 95% interval {interval}")
        } else {
            format!("population n/a: {of} domains {who}")
        };
        let examples: Vec<String> = count.examples.iter().map(|d| escape(d)).collect();
        let more = if count.domains as usize > examples.len() {
            ", …"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<li><strong>{} {}</strong> ({share}): {}{}<span class=\"eg\">e.g. {}{more}</span></li>",
            count.domains,
            if count.domains == 1 {
                "domain"
            } else {
                "domains"
            },
            name(subject),
            remedy_html(subject),
            examples.join(", "),
        );
    };
    if !found.is_empty() {
        out.push_str("<ol class=\"top\">\n");
        for (subject, count) in found.iter().take(TOP) {
            item(out, *subject, count);
        }
        out.push_str("</ol>\n");
        if found.len() > TOP {
            let _ = writeln!(
                out,
                "<details><summary>{} more findings</summary>\n<ol class=\"top\" start=\"{}\">",
                found.len() - TOP,
                TOP + 1
            );
            for (subject, count) in found.iter().skip(TOP) {
                item(out, *subject, count);
            }
            out.push_str("</ol>\n</details>\n");
        }
    }
    if !a.top_dangling_includes.is_empty() {
        let cite =
            advice::remedy(Subject::Spf(crate::spf::tree::FindingKind::DanglingInclude)).cite;
        out.push_str(
            "<h3>Include targets that publish no SPF record</h3>\n<p>Every SPF record that \
             includes one of these fails (permerror) for every receiver: remove the include, \
             or have the target publish its record again (",
        );
        out.push_str(&escape(cite));
        out.push_str(").</p>\n<ul>\n");
        for t in &a.top_dangling_includes {
            let _ = writeln!(
                out,
                "<li><strong>{} {}</strong> <code class=\"name\">{}</code></li>",
                t.domains,
                if t.domains == 1 {
                    "domain includes"
                } else {
                    "domains include"
                },
                escape(&t.target),
            );
        }
        out.push_str("</ul>\n");
    }
}

fn not_measured(out: &mut String, f: &Finished) {
    let failed: Vec<_> = f.subjects.iter().filter(|(s, _)| s.is_failure()).collect();
    if failed.is_empty() {
        return;
    }
    out.push_str(
        "<h2>Not measured</h2>\n<p>A lookup or probe that did not finish says nothing about \
         the domain: these parts are counted in no figure above and in no finding.</p>\n<ul>\n",
    );
    for (subject, count) in failed {
        let examples: Vec<String> = count.examples.iter().map(|d| escape(d)).collect();
        let _ = writeln!(
            out,
            "<li><strong>{} {}</strong>: {}{}<span class=\"eg\">e.g. {}</span></li>",
            count.domains,
            if count.domains == 1 {
                "domain"
            } else {
                "domains"
            },
            name(*subject),
            remedy_html(*subject),
            examples.join(", "),
        );
    }
    out.push_str("</ul>\n");
}

fn domains(out: &mut String, f: &Finished) {
    let columns: Vec<(usize, Area)> = Area::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| f.looked_at[*i] > 0)
        .map(|(i, a)| (i, *a))
        .collect();
    let total = f.adoption.domains;
    let shown = f.rows.len() as u64;
    out.push_str("<h2>Domains</h2>\n");
    if shown < total {
        let _ = writeln!(
            out,
            "<p class=\"banner\">The table shows the {shown} most serious of the {total} \
             domains (errors first); the other {} are counted above and are all in \
             <code>results.csv</code> and <code>results.jsonl</code>.</p>",
            f.left_out
        );
    }
    out.push_str("<p class=\"legend\">");
    for tone in Tone::ALL {
        let _ = write!(
            out,
            "<span class=\"t{}\">{} {}</span>",
            tone.rank(),
            tone.symbol(),
            tone.label()
        );
    }
    out.push_str(
        "</p>\n<p>Rows: domains with errors first, then parts not known, then warnings. \
         Each domain's name leads to its details below.</p>\n\
         <div class=\"controls\" id=\"controls\" hidden>\n\
         <label>Part <select id=\"f-part\"><option value=\"\">any part</option>",
    );
    for (column, (_, a)) in columns.iter().enumerate() {
        let _ = write!(
            out,
            "<option value=\"{}\">{}</option>",
            column + 1,
            a.title()
        );
    }
    out.push_str(
        "</select></label>\n<label>Verdict <select id=\"f-tone\"><option value=\"\">any \
         verdict</option>",
    );
    for tone in Tone::ALL {
        let _ = write!(
            out,
            "<option value=\"{}\">{}</option>",
            tone.rank(),
            tone.label()
        );
    }
    out.push_str(
        "</select></label>\n<label>Domain <input id=\"f-text\" type=\"search\" \
         placeholder=\"contains…\"></label>\n<output id=\"f-count\"></output>\n</div>\n\
         <div class=\"wide\"><table id=\"domains\">\n<thead><tr>\
         <th><button type=\"button\">Domain</button></th>",
    );
    for (_, a) in &columns {
        let _ = write!(
            out,
            "<th><button type=\"button\">{}</button></th>",
            a.title()
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (i, row) in f.rows.iter().enumerate() {
        let _ = write!(
            out,
            "<tr data-i=\"{i}\"><th scope=\"row\"><a href=\"#d{i}\">{}</a></th>",
            escape(&row.key.4)
        );
        for (index, _) in &columns {
            let cell = row.cells[*index];
            let _ = write!(
                out,
                "<td class=\"t{0}\" data-t=\"{0}\">{1} {2}</td>",
                cell.tone.rank(),
                cell.tone.symbol(),
                cell.word
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n<h2>Domain details</h2>\n");
    for (i, row) in f.rows.iter().enumerate() {
        let _ = write!(
            out,
            "<details class=\"domain\" id=\"d{i}\"><summary>{}</summary>\n{}</details>\n",
            escape(&row.key.4),
            row.detail
        );
    }
}

/// A domain's details: its findings with their remedies, then the domain as `check`
/// shows it.
pub(super) fn detail(r: &DomainRecord, items: &[Item<'_>]) -> String {
    let mut out = String::new();
    if items.is_empty() {
        out.push_str("<p>No finding.</p>\n");
    } else {
        out.push_str(
            "<table class=\"findings\"><thead><tr><th>Severity</th><th>Finding</th>\
             <th>Detail and fix</th></tr></thead><tbody>\n",
        );
        for item in items {
            let tone = match item.severity {
                Severity::Error => Tone::Bad,
                Severity::Unknown => Tone::Unknown,
                Severity::Warning => Tone::Warn,
            };
            let at = item
                .at
                .map(|at| format!(" at <span class=\"name\">{}</span>", escape(at)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<tr><td class=\"t{}\">{} {}</td><td>{}{at}</td><td class=\"detail\">{}{}</td></tr>",
                tone.rank(),
                tone.symbol(),
                item.severity.as_str(),
                name(item.subject),
                escape(&item.detail),
                remedy_html(item.subject),
            );
        }
        out.push_str("</tbody></table>\n");
    }
    // The findings' fixes are in the table above; the rest is check's text as it is.
    let text = crate::terminal::unwrapped(|| crate::output::text::domain(r));
    let plain = anstream::adapter::strip_str(&text).to_string();
    out.push_str("<pre class=\"check\">");
    for line in plain.lines().filter(|l| !l.trim_start().starts_with(FIX)) {
        out.push_str(&escape(line));
        out.push('\n');
    }
    out.push_str("</pre>\n");
    out
}
