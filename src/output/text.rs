//! Human-readable text: the `check` report (the SPF include tree with its lookup counts,
//! DMARC, MX) and the end-of-scan summary.

use std::fmt::Write as _;
use std::path::Path;

use crate::mx::MxFinding;
use crate::output::summary::{ScanSummary, Tally};
use crate::scan::report::DomainReport;
use crate::spf::analysis::{LOOKUP_LIMIT, SpfReport};
use crate::spf::tree::{Finding, SpfNode};

/// The `check` report for one domain.
pub fn report(r: &DomainReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", r.domain);
    spf(&mut out, &r.spf);

    let dmarc = &r.dmarc;
    let _ = write!(out, "\nDMARC  {}", dmarc.status.as_str());
    if let Some(p) = &dmarc.p {
        let _ = write!(out, "  p={p}");
    }
    out.push('\n');
    match (&dmarc.record, dmarc.records.as_slice()) {
        (Some(record), _) => {
            let _ = writeln!(out, "  {record}");
        }
        (None, []) => {
            let _ = writeln!(out, "  no record at _dmarc.{}", r.domain);
        }
        (None, several) => {
            for record in several {
                let _ = writeln!(out, "  {record}");
            }
        }
    }
    for e in &dmarc.errors {
        let _ = writeln!(out, "  error {}: {}", e.kind, e.detail);
    }

    let mx = &r.mx;
    let _ = writeln!(out, "\nMX     {}", mx.status.as_str());
    for h in &mx.hosts {
        let name = if h.name.is_empty() { "." } else { &h.name };
        let line = format!("  {:>5} {name}  {}", h.preference, h.addresses.join(", "));
        let _ = writeln!(out, "{}", line.trim_end());
        mx_findings(&mut out, "          error", &h.errors);
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

/// The lines printed on stderr at the end of a scan.
pub fn summary(s: &ScanSummary, dir: &Path) -> String {
    let c = &s.counts;
    let pct = |n: u64| {
        if c.domains == 0 {
            0.0
        } else {
            100.0 * n as f64 / c.domains as f64
        }
    };
    let spf = |k: &str| Tally::count(&c.spf, k);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scanned {} domains in {:.1}s ({:.0}/s); {} invalid lines skipped, {} duplicates",
        c.domains,
        s.elapsed_seconds,
        s.domains_per_second,
        s.input.invalid_lines,
        s.input.duplicates
    );
    let _ = writeln!(
        out,
        "SPF: ok {} ({:.1}%), permerror {} ({:.1}%), temperror {}, none {}",
        spf("ok"),
        pct(spf("ok")),
        spf("permerror"),
        pct(spf("permerror")),
        spf("temperror"),
        spf("none")
    );
    let dmarc_present =
        c.domains - Tally::count(&c.dmarc, "none") - Tally::count(&c.dmarc, "temperror");
    let _ = writeln!(
        out,
        "DMARC: present {} ({:.1}%), p=none {}, quarantine {}, reject {}",
        dmarc_present,
        pct(dmarc_present),
        c.dmarc_p.get("none").copied().unwrap_or(0),
        c.dmarc_p.get("quarantine").copied().unwrap_or(0),
        c.dmarc_p.get("reject").copied().unwrap_or(0)
    );
    let _ = write!(out, "results in {}", dir.display());
    out
}
