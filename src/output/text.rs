//! Human-readable text: the `check` report (the SPF include tree with its lookup counts,
//! DMARC, MX) and the end-of-scan summary.

use std::fmt::Write as _;
use std::path::Path;

use crate::dmarc::DmarcReport;
use crate::dmarc::discover::Source;
use crate::dmarc::parse::Policy;
use crate::mx::MxFinding;
use crate::output::summary::ScanSummary;
use crate::scan::report::DomainReport;
use crate::smtp::prober::HostStarttls;
use crate::spf::analysis::{LOOKUP_LIMIT, SpfReport};
use crate::spf::tree::{Finding, SpfNode};
use crate::stats::history::ScanEntry;
use crate::stats::trend::{Row, Trend};
use crate::stats::{Figure, Summary};

/// The `check` report for one domain.
pub fn report(r: &DomainReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", r.domain);
    spf(&mut out, &r.spf);

    dmarc(&mut out, &r.domain, &r.dmarc);

    let mx = &r.mx;
    let _ = write!(out, "\nMX     {}", mx.status.as_str());
    if let Some(rollup) = mx.starttls {
        let _ = write!(out, "  STARTTLS {}", rollup.as_str());
    }
    out.push('\n');
    for h in &mx.hosts {
        let name = if h.name.is_empty() { "." } else { &h.name };
        let line = format!("  {:>5} {name}  {}", h.preference, h.addresses.join(", "));
        let _ = writeln!(out, "{}", line.trim_end());
        mx_findings(&mut out, "          error", &h.errors);
        if let Some(probe) = &h.starttls {
            let _ = writeln!(out, "          STARTTLS {}", starttls(probe));
        }
    }
    if let Some(implicit) = &mx.implicit_mx {
        let addresses = match implicit.addresses.as_slice() {
            [] => "no address".to_owned(),
            some => some.join(", "),
        };
        let _ = writeln!(
            out,
            "  no MX: mail goes to {} itself (implicit MX, RFC 5321 §5.1): {addresses}",
            r.domain
        );
    }
    mx_findings(&mut out, "  error", &mx.errors);
    mx_findings(&mut out, "  warning", &mx.warnings);
    out
}

/// One probe in a line: the outcome, the TLS parameters, and the certificate's facts.
fn starttls(probe: &HostStarttls) -> String {
    let s = &probe.result;
    let mut line = format!("{} at {}", s.status.as_str(), probe.address);
    if let Some(phase) = s.phase {
        let _ = write!(line, " in {}", phase.as_str());
    }
    for part in [&s.tls_version, &s.cipher, &s.error].into_iter().flatten() {
        let _ = write!(line, "  {part}");
    }
    if let Some(c) = &s.cert {
        let validity = if c.valid {
            "valid".to_owned()
        } else {
            let mut why = Vec::new();
            if !c.chain_valid {
                why.push(if c.self_signed {
                    "self-signed"
                } else {
                    "untrusted chain"
                });
            }
            if !c.hostname_match {
                why.push("wrong name");
            }
            if c.expired {
                why.push("expired");
            }
            format!("NOT valid ({})", why.join(", "))
        };
        let _ = write!(
            line,
            "  certificate {validity}, expires {} ({} days), issuer {}",
            c.not_after, c.days_to_expiry, c.issuer
        );
    }
    line
}

fn dmarc(out: &mut String, domain: &str, d: &DmarcReport) {
    let _ = write!(out, "\nDMARC  {}", d.status.as_str());
    if let Some(policy) = d.policy {
        let _ = write!(out, "  policy {}", policy.as_str());
    }
    if d.testing {
        out.push_str(" (testing)");
    }
    match (&d.source, &d.policy_domain) {
        (Some(Source::Organizational), Some(from)) => {
            let _ = write!(out, "  inherited from _dmarc.{from}");
        }
        (None, _) => {
            let _ = write!(out, "  no record at _dmarc.{domain} or above");
        }
        _ => {}
    }
    out.push('\n');
    for record in &d.records {
        let _ = writeln!(out, "  {record}");
    }
    for (tag, list) in [("rua", &d.rua), ("ruf", &d.ruf)] {
        for dest in list {
            let verdict = match (dest.external, dest.authorized) {
                (false, _) => "",
                (true, Some(true)) => "  external, authorized",
                (true, Some(false)) => "  external, NOT authorized",
                (true, None) => "  external, not checked",
            };
            let _ = writeln!(out, "  {tag} {}{verdict}", dest.uri.uri);
        }
    }
    if let Some(found) = d.discovery.as_ref().filter(|_| d.discovery_differs) {
        for (spec, m) in [("RFC 7489", &found.rfc7489), ("RFC 9989", &found.rfc9989)] {
            let _ = writeln!(
                out,
                "  {spec} receivers: policy {} from {}",
                m.policy.map_or("none applies", Policy::as_str),
                m.discovery
                    .policy_domain
                    .as_deref()
                    .map_or_else(|| "no record".to_owned(), |p| format!("_dmarc.{p}"))
            );
        }
    }
    for e in &d.errors {
        let _ = writeln!(out, "  error {}: {}", e.kind, e.detail);
    }
    for w in &d.warnings {
        let _ = writeln!(out, "  warning {}: {}", w.kind, w.detail);
    }
}

fn spf(out: &mut String, s: &SpfReport) {
    let _ = writeln!(
        out,
        "\nSPF    {}  {} DNS lookups (limit {LOOKUP_LIMIT}), {} void",
        s.status.as_str(),
        s.lookups,
        s.void_lookups
    );
    if s.tree.record.is_none() && s.errors.is_empty() {
        let _ = writeln!(out, "  no SPF record");
    }
    findings(out, "error", &s.errors);
    findings(out, "warning", &s.warnings);
    if s.tree.record.is_some() {
        let _ = writeln!(out, "  tree (own lookups / running total):");
        node(out, &s.tree, "  ", "");
    }
}

fn findings(out: &mut String, label: &str, list: &[Finding]) {
    for f in list {
        let _ = writeln!(out, "  {label} {}: {}", f.kind.as_str(), f.detail);
    }
}

fn mx_findings(out: &mut String, label: &str, list: &[MxFinding]) {
    for f in list {
        let _ = writeln!(out, "{label} {}: {}", f.kind.as_str(), f.detail);
    }
}

/// One tree line per record, marking the record whose term made the 11th lookup.
fn node(out: &mut String, n: &SpfNode, indent: &str, branch: &str) {
    let via = n
        .term
        .as_deref()
        .map(|t| format!("{t} → "))
        .unwrap_or_default();
    let record = n.record.as_deref().unwrap_or("(no SPF record)");
    let _ = write!(
        out,
        "{indent}{branch}{via}{}  [{} / {}]  {record}",
        n.domain, n.lookups, n.cumulative_lookups
    );
    if let Some(term) = &n.limit_passed_by {
        let _ = write!(out, "  ← {term} is lookup {}", LOOKUP_LIMIT + 1);
    }
    out.push('\n');
    let child_indent = match branch {
        "" => indent.to_owned(),
        "└─ " => format!("{indent}   "),
        _ => format!("{indent}│  "),
    };
    for e in &n.errors {
        let _ = writeln!(out, "{child_indent}   ✗ {}: {}", e.kind.as_str(), e.detail);
    }
    // Children are in evaluation order, as their terms are.
    for (i, child) in n.children.iter().enumerate() {
        let branch = if i + 1 == n.children.len() {
            "└─ "
        } else {
            "├─ "
        };
        node(out, child, &child_indent, branch);
    }
}

/// `history`: one line per scan, oldest first within a list.
pub fn history(scans: &[ScanEntry]) -> String {
    let mut out = format!(
        "{:<24} {:<22} {:>10}  {:<8} {:<6} {}\n",
        "list", "started", "domains", "version", "schema", "state"
    );
    for s in scans {
        let _ = writeln!(
            out,
            "{:<24} {:<22} {:>10}  {:<8} {:<6} {}  {}",
            s.lists.join(","),
            s.started_at,
            s.domains,
            s.version.as_deref().unwrap_or("-"),
            s.schema.map_or_else(|| "-".to_owned(), |v| v.to_string()),
            if s.complete { "complete" } else { "INCOMPLETE" },
            s.dir.display()
        );
    }
    out
}

/// `trend`: the main figures of each period and group, in percent of their populations
/// ("n/a" where the population is empty); `trend.csv` has them all, with counts.
pub fn trend(trend: &Trend) -> String {
    const COLUMNS: [(&str, &str); 12] = [
        ("SPF", "spf_present"),
        ("SPF ok", "spf_ok"),
        ("permerr", "spf_permerror"),
        ("DMARC", "dmarc_present"),
        ("valid", "dmarc_valid"),
        ("none", "dmarc_policy_none"),
        ("quar.", "dmarc_policy_quarantine"),
        ("reject", "dmarc_policy_reject"),
        ("enforce", "dmarc_enforcing"),
        ("rua", "dmarc_rua_present"),
        ("STARTTLS", "starttls_all"),
        ("temperr", "temperror"),
    ];
    let width = |label: fn(&Row) -> &str, header: &str| {
        trend
            .rows
            .iter()
            .map(|r| label(r).chars().count())
            .chain([header.len()])
            .max()
            .unwrap_or(0)
    };
    let period_width = width(|r| &r.period, "period");
    let group_width = width(|r| &r.group, "group");
    let mut out = format!(
        "{:<period_width$}  {:<group_width$}  {:>9}",
        "period", "group", "domains"
    );
    for (header, _) in COLUMNS {
        let _ = write!(out, " {header:>8}");
    }
    out.push('\n');
    for row in &trend.rows {
        let _ = write!(
            out,
            "{:<period_width$}  {:<group_width$}  {:>9}",
            row.period, row.group, row.summary.domains
        );
        let figures = row.summary.figures.named();
        for (_, name) in COLUMNS {
            let Some((_, figure)) = figures.iter().find(|(n, _)| *n == name) else {
                continue;
            };
            let _ = write!(out, " {:>8}", figure.share());
        }
        out.push('\n');
    }
    out
}

/// The table printed on stderr at the end of a scan.
pub fn summary(s: &ScanSummary, figures: &Summary, dir: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scanned {} domains in {:.1}s ({:.0}/s); {} invalid lines skipped, {} duplicates",
        figures.domains,
        s.elapsed_seconds,
        s.domains_per_second,
        s.input.invalid_lines,
        s.input.duplicates
    );
    let f = &figures.figures;
    let mut row = |label: &str, figure: &Figure| {
        let _ = writeln!(
            out,
            "  {label:<32} {:>9} / {:<9} {:>6}  of {}",
            figure.count,
            figure.of,
            figure.share(),
            figure.denominator
        );
    };
    row("SPF present", &f.spf_present);
    row("SPF ok", &f.spf_ok);
    row("SPF permerror", &f.spf_permerror);
    for (kind, figure) in &figures.spf_permerror_by_kind {
        row(&format!("  first error {kind}"), figure);
    }
    row("SPF over 10 lookups", &f.spf_lookup_limit_overrun);
    row("SPF dangling include", &f.spf_dangling_include);
    row("DMARC present", &f.dmarc_present);
    row("DMARC valid", &f.dmarc_valid);
    row("DMARC policy none", &f.dmarc_policy_none);
    row("DMARC policy quarantine", &f.dmarc_policy_quarantine);
    row("DMARC policy reject", &f.dmarc_policy_reject);
    row("DMARC enforcing", &f.dmarc_enforcing);
    row("DMARC rua present", &f.dmarc_rua_present);
    row("null MX", &f.mx_null);
    row("no MX", &f.mx_none);
    if figures.starttls_probed > 0 {
        row("STARTTLS on all MX", &f.starttls_all);
    }
    row("temperror (any part)", &f.temperror);
    if !figures.top_dangling_includes.is_empty() {
        let top: Vec<String> = figures
            .top_dangling_includes
            .iter()
            .take(5)
            .map(|t| format!("{}: {}", t.target, t.domains))
            .collect();
        let _ = writeln!(out, "  top dangling includes: {}", top.join(", "));
    }
    let _ = write!(out, "results in {}", dir.display());
    out
}
