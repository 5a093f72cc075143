//! Human-readable text: the `check` report (the SPF include tree with its lookup counts,
//! DMARC, MX, MTA-STS and TLS-RPT), each finding followed by its fix, and the end-of-scan
//! summary.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};

use crate::advice::{self, State, Subject};
use crate::bimi::{BimiReport, BimiStatus};
use crate::dane::{DaneRollup, DaneStatus, HostDane};
use crate::dkim::{DkimReport, DkimStatus, DomainkeyState};
use crate::dmarc::Policy;
use crate::dmarc::discover::Source;
use crate::dmarc::{DmarcReport, DmarcStatus};
use crate::dns::{Dnssec, Validation};
use crate::dnssec::DnssecReport;
use crate::mta_sts::{MtaStsReport, MtaStsStatus};
use crate::mx::{MxFinding, MxStatus};
use crate::record::DomainRecord;
use crate::scandir::ScanJson;
use crate::scandir::history::ScanEntry;
use crate::smtp::CertFacts;
use crate::smtp::prober::HostStarttls;
use crate::spf::analysis::{LOOKUP_LIMIT, SpfReport, SpfStatus};
use crate::spf::tree::SpfNode;
use crate::stats::health::{Notice, NoticeKind};
use crate::stats::trend::Trend;
use crate::stats::{Adoption, Figure};
use crate::terminal::{self, Escaped, escape, style, thousands};
use crate::tls_rpt::{TlsRptReport, TlsRptStatus};

/// The `check` report for one domain. Every text that came from the network is escaped;
/// verdict words carry colour, which the caller's stream drops where it is not wanted.
pub fn domain(r: &DomainRecord) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", Escaped(&r.domain));
    spf(&mut out, &r.spf);

    dmarc(&mut out, &r.domain, &r.dmarc);

    let mx = &r.mx;
    let _ = write!(out, "\nMX     {}", verdict(mx.status.as_str()));
    if let Some(rollup) = mx.starttls {
        let _ = write!(out, "  STARTTLS {}", rollup.as_str());
    }
    if let Some(rollup) = mx.dane.filter(|r| *r != DaneRollup::NotApplicable) {
        let _ = write!(out, "  DANE {}", rollup.as_str());
    }
    out.push('\n');
    if mx.status == MxStatus::Temperror {
        line(&mut out, "  ", "not known: the MX lookup failed");
    }
    for h in &mx.hosts {
        let name = if h.name.is_empty() { "." } else { &h.name };
        let text = format!(
            "{:>5} {}  {}",
            h.preference,
            Escaped(name),
            joined(&h.addresses)
        );
        line(&mut out, "  ", text.trim_end());
        mx_findings(&mut out, "          ", "error", &h.errors);
        if let Some(probe) = &h.starttls {
            line(
                &mut out,
                "          ",
                &format!("STARTTLS {}", starttls(probe)),
            );
            starttls_fixes(&mut out, "          ", probe);
        }
        if let Some(d) = h.dane.as_ref().filter(|d| d.status != DaneStatus::None) {
            dane(&mut out, d);
        }
    }
    if mx.dane == Some(DaneRollup::NotApplicable) && mx.hosts.iter().any(|h| h.dane.is_some()) {
        line(
            &mut out,
            "  ",
            "DANE not published: no TLSA record at any host",
        );
    }
    if let Some(implicit) = &mx.implicit_mx {
        let addresses = match implicit.addresses.as_slice() {
            [] => "no address".to_owned(),
            some => joined(some),
        };
        line(
            &mut out,
            "  ",
            &format!(
                "no MX: mail goes to {} itself (implicit MX, RFC 5321 §5.1): {addresses}",
                Escaped(&r.domain)
            ),
        );
    }
    mx_findings(&mut out, "  ", "error", &mx.errors);
    mx_findings(&mut out, "  ", "warning", &mx.warnings);
    if let Some(sts) = &r.mta_sts {
        mta_sts(&mut out, &r.domain, sts);
    }
    if let Some(rpt) = &r.tls_rpt {
        tls_rpt(&mut out, &r.domain, rpt);
    }
    if let Some(d) = &r.dkim {
        dkim(&mut out, &r.domain, d);
    }
    if let Some(b) = &r.bimi {
        bimi(&mut out, &r.domain, b);
    }
    if let Some(d) = &r.dnssec {
        dnssec(&mut out, d);
    }
    out
}

/// The DKIM part: what was asked, so that "none" reads "none among these selectors".
fn dkim(out: &mut String, domain: &str, d: &DkimReport) {
    let _ = write!(out, "\nDKIM     {}", verdict(d.status.as_str()));
    let asked = d.selectors_asked.len();
    let what = match (d.domainkey, d.status) {
        (DomainkeyState::Nxdomain, _) => format!(
            "  no key can exist: _domainkey.{} does not exist (NXDOMAIN, RFC 8020), no selector asked",
            Escaped(domain)
        ),
        (DomainkeyState::Temperror, _) => {
            format!(
                "  not known: the lookup of _domainkey.{} failed",
                Escaped(domain)
            )
        }
        (_, DkimStatus::Found) => format!(
            "  {} of {asked} selectors asked: {}",
            d.selectors_found.len(),
            Escaped(&d.selectors_found.join(", "))
        ),
        (_, DkimStatus::None) => format!("  none among the {asked} selectors asked"),
        (_, DkimStatus::Temperror) => "  not known: every selector's lookup failed".to_owned(),
        (_, DkimStatus::NotChecked) => "  not checked: no selector to ask".to_owned(),
    };
    out.push_str(&what);
    out.push('\n');
    for k in &d.keys {
        let key = match (k.revoked, k.key_type, k.bits) {
            (true, _, _) => "revoked (empty p=)".to_owned(),
            (false, Some(kind), Some(bits)) => format!("{} {bits} bits", kind.as_str()),
            (false, Some(kind), None) => kind.as_str().to_owned(),
            (false, None, _) => "no usable key".to_owned(),
        };
        let mut text = format!("{}  {key}", Escaped(&k.selector));
        if k.testing {
            text.push_str("  testing (t=y)");
        }
        if let Some(cname) = &k.cname {
            let _ = write!(text, "  via CNAME {}", Escaped(cname));
        }
        line(out, "  ", &text);
        part_findings(out, "    ", Subject::Dkim, &k.errors, &k.warnings);
    }
    part_findings(out, "  ", Subject::Dkim, &d.errors, &d.warnings);
}

fn bimi(out: &mut String, domain: &str, b: &BimiReport) {
    let _ = write!(out, "\nBIMI     {}", verdict(b.status.as_str()));
    if let Some(org) = b.from.as_deref().filter(|from| *from != domain)
        && b.status != BimiStatus::None
    {
        let _ = write!(out, "  from {} (the domain has none)", Escaped(org));
    }
    match b.status {
        BimiStatus::None => {
            let _ = write!(
                out,
                "  no v=BIMI1 record at {}",
                Escaped(&crate::bimi::record_name(&b.selector, domain))
            );
            if let Some(org) = b.from.as_deref().filter(|from| *from != domain) {
                let _ = write!(
                    out,
                    " nor at {} (its Organizational Domain)",
                    Escaped(&crate::bimi::record_name(&b.selector, org))
                );
            }
        }
        BimiStatus::Declined => out.push_str("  the domain declines to show an indicator"),
        BimiStatus::Temperror => out.push_str("  not known: the lookup failed"),
        _ => {}
    }
    out.push('\n');
    for record in b.record.iter().chain(&b.records) {
        line(out, "  ", &escape(record));
    }
    part_findings(out, "  ", Subject::Bimi, &b.errors, &b.warnings);
}

/// A host's DANE verdict, its records and why.
fn dane(out: &mut String, d: &HostDane) {
    let what = match d.status {
        DaneStatus::None => format!("none: no TLSA record at {}", Escaped(&d.tlsa_name)),
        _ => format!(
            "{} ({} TLSA {} at {}, DNSSEC {})",
            verdict(d.status.as_str()),
            d.records.len(),
            if d.records.len() == 1 {
                "record"
            } else {
                "records"
            },
            Escaped(&d.tlsa_name),
            d.dnssec.as_str()
        ),
    };
    line(out, "          ", &format!("DANE {what}"));
    for r in &d.records {
        let mut text = escape(&r.record).into_owned();
        if d.matched.as_deref() == Some(r.record.as_str()) {
            text.push_str("  matched");
        }
        if let Some(problem) = &r.problem {
            let _ = write!(text, "  {}", Escaped(problem));
        }
        line(out, "            ", &text);
    }
    part_findings(out, "            ", Subject::Dane, &d.errors, &d.warnings);
}

fn dnssec(out: &mut String, d: &DnssecReport) {
    let word = d.status.as_str();
    let style = match d.status {
        Dnssec::Secure => style::GOOD,
        Dnssec::Unknown => style::UNKNOWN,
        Dnssec::Insecure | Dnssec::Bogus => style::BAD,
    };
    let _ = write!(out, "\nDNSSEC   {style}{word}{style:#}");
    let why = match (d.validation, d.status) {
        (Validation::NotValidating, _) => "  not known: the resolver does not validate",
        (Validation::NotKnown, _) => "  not known: the resolver did not say whether it validates",
        (_, Dnssec::Secure) => "  the apex TXT and MX answers validated",
        (_, Dnssec::Insecure) => "  not signed: no chain of trust reaches the domain",
        (_, Dnssec::Bogus) => {
            "  signed, and validation fails: resolvers that validate answer SERVFAIL"
        }
        (_, Dnssec::Unknown) => "  not known: a lookup failed",
    };
    out.push_str(why);
    out.push('\n');
    if d.status == Dnssec::Bogus {
        fix(out, "", Subject::State(State::DnssecBogus));
    }
    let p = &d.parts;
    let parts: Vec<String> = [
        ("SPF", p.spf),
        ("DMARC", p.dmarc),
        ("MX", p.mx),
        ("MTA-STS", p.mta_sts),
        ("TLS-RPT", p.tls_rpt),
    ]
    .into_iter()
    .filter_map(|(name, state)| state.map(|s| format!("{name} {}", s.as_str())))
    .collect();
    if !parts.is_empty() {
        line(out, "  ", &parts.join(", "));
    }
}

fn mta_sts(out: &mut String, domain: &str, m: &MtaStsReport) {
    let _ = write!(out, "\nMTA-STS  {}", verdict(m.status.as_str()));
    if let Some(p) = &m.policy {
        let _ = write!(out, "  mode {}, max_age {} s", p.mode, p.max_age);
    }
    if let Some(holds) = m.holds {
        let _ = write!(out, "  {}", verdict(holds.as_str()));
    }
    match m.status {
        MtaStsStatus::None => {
            let _ = write!(out, "  no v=STSv1 record at _mta-sts.{}", Escaped(domain));
        }
        MtaStsStatus::Temperror => out.push_str("  not known: a lookup or the fetch failed"),
        MtaStsStatus::Ok if m.fetch.is_none() => out.push_str("  policy not fetched"),
        _ => {}
    }
    out.push('\n');
    for record in m.record.iter().chain(&m.records) {
        line(out, "  ", &escape(record));
    }
    if let Some(f) = &m.fetch {
        let mut text = format!("policy {} {}", Escaped(&f.url), verdict(f.status.as_str()));
        if let Some(address) = f.address {
            let _ = write!(text, " from {address}");
        }
        if let Some(code) = f.http_status {
            let _ = write!(text, "  HTTP {code}");
        }
        for part in [&f.content_type, &f.location, &f.error]
            .into_iter()
            .flatten()
        {
            let _ = write!(text, "  {}", Escaped(part));
        }
        if let Some(c) = &f.cert {
            let _ = write!(text, "  {}", certificate(c));
        }
        line(out, "  ", &text);
    }
    if let Some(p) = &m.policy {
        let patterns: Vec<String> = p.mx.iter().map(|x| Escaped(x).to_string()).collect();
        line(out, "  ", &format!("mx {}", patterns.join(", ")));
    }
    for h in &m.hosts {
        let pattern = h.pattern.as_deref().map_or_else(
            || verdict("matched by no mx pattern"),
            |p| format!("matched by {}", Escaped(p)),
        );
        let mut text = format!("{}  {pattern}  TLS {}", Escaped(&h.name), h.tls.as_str());
        if let Some(detail) = &h.detail {
            let _ = write!(text, " ({})", Escaped(detail));
        }
        line(out, "  ", &text);
    }
    part_findings(out, "  ", Subject::MtaSts, &m.errors, &m.warnings);
}

fn tls_rpt(out: &mut String, domain: &str, t: &TlsRptReport) {
    let _ = write!(out, "\nTLS-RPT  {}", verdict(t.status.as_str()));
    match t.status {
        TlsRptStatus::None => {
            let _ = write!(
                out,
                "  no v=TLSRPTv1 record at _smtp._tls.{}",
                Escaped(domain)
            );
        }
        TlsRptStatus::Temperror => out.push_str("  not known: the lookup failed"),
        _ => {}
    }
    out.push('\n');
    for record in t.record.iter().chain(&t.records) {
        line(out, "  ", &escape(record));
    }
    for rua in &t.rua {
        line(out, "  ", &format!("rua {}", Escaped(&rua.uri)));
    }
    part_findings(out, "  ", Subject::TlsRpt, &t.errors, &t.warnings);
}

/// A part's errors and warnings, each with its fix.
fn part_findings<K: Copy>(
    out: &mut String,
    indent: &str,
    subject: fn(K) -> Subject,
    errors: &[crate::finding::Finding<K>],
    warnings: &[crate::finding::Finding<K>],
) {
    for (label, list) in [("error", errors), ("warning", warnings)] {
        for f in list {
            finding(out, indent, label, subject(f.kind), &f.detail);
        }
    }
}

/// How a fix line begins (after its indent).
pub(crate) const FIX: &str = "fix: ";

/// A finding's line, `label kind: detail`, and its fix under it.
fn finding(out: &mut String, indent: &str, label: &str, subject: Subject, detail: &str) {
    line(
        out,
        indent,
        &format!("{label} {}: {}", subject.kind(), Escaped(detail)),
    );
    fix(out, indent, subject);
}

/// What to do about `subject`, under its line at `indent`: where that line's own
/// continuation goes, so that the fix reads as part of the finding.
fn fix(out: &mut String, indent: &str, subject: Subject) {
    line(
        out,
        &format!("{indent}    "),
        &format!("{FIX}{}", advice::remedy(subject)),
    );
}

/// The fixes of a probed host's STARTTLS verdict and of each problem of its certificate.
fn starttls_fixes(out: &mut String, indent: &str, probe: &HostStarttls) {
    let s = &probe.result;
    let certificate = s.cert.as_ref().map(State::of_certificate);
    for state in State::of_starttls(s.status)
        .into_iter()
        .chain(certificate.into_iter().flatten())
    {
        fix(out, indent, Subject::State(state));
    }
}

/// A status word, coloured by what it means for the domain.
fn verdict(word: &str) -> String {
    let style = match word {
        "ok" | "all" | "holds" | "found" => style::GOOD,
        "temperror" | "unverified" | "unknown" | "not_checked" => style::UNKNOWN,
        _ => style::BAD,
    };
    format!("{style}{word}{style:#}")
}

/// `text` after `indent`, wrapped at word boundaries to the terminal's width; the lines
/// after the first are indented four columns more.
fn line(out: &mut String, indent: &str, text: &str) {
    wrapped(out, indent, &format!("{indent}    "), text);
}

/// `text` wrapped to the terminal's width (whole when standard output is not a
/// terminal), its first line after `first`, the others after `rest`.
fn wrapped(out: &mut String, first: &str, rest: &str, text: &str) {
    let Some(width) = terminal::width() else {
        let _ = writeln!(out, "{first}{text}");
        return;
    };
    let options = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false);
    for part in textwrap::wrap(text, options) {
        let _ = writeln!(out, "{}", part.trim_end());
    }
}

/// One probe in a line: the outcome, the TLS parameters, and the certificate's facts.
fn starttls(probe: &HostStarttls) -> String {
    let s = &probe.result;
    let mut line = format!("{} at {}", verdict(s.status.as_str()), probe.address);
    if let Some(phase) = s.phase {
        let _ = write!(line, " in {}", phase.as_str());
    }
    for part in [&s.tls_version, &s.cipher, &s.error].into_iter().flatten() {
        let _ = write!(line, "  {}", Escaped(part));
    }
    if let Some(c) = &s.cert {
        let _ = write!(line, "  {}", certificate(c));
    }
    line
}

/// A certificate's verdict, expiry and issuer.
fn certificate(c: &CertFacts) -> String {
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
    format!(
        "certificate {validity}, expires {} ({} days), issuer {}",
        c.not_after,
        c.days_to_expiry,
        Escaped(&c.issuer)
    )
}

fn dmarc(out: &mut String, domain: &str, d: &DmarcReport) {
    let _ = write!(out, "\nDMARC  {}", verdict(d.status.as_str()));
    let mut missing = false;
    if let Some(policy) = d.policy {
        let _ = write!(out, "  policy {}", policy.as_str());
    }
    if d.testing {
        out.push_str(" (testing)");
    }
    match (&d.source, &d.policy_domain) {
        (Some(Source::Organizational), Some(from)) => {
            let _ = write!(out, "  inherited from _dmarc.{}", Escaped(from));
        }
        // Only an answer saying so shows there is no record; a failed lookup shows
        // nothing (RFC 7489 §6.6.3: a temporary failure is not an absence).
        (None, _) if d.status == DmarcStatus::None => {
            let _ = write!(out, "  no record at _dmarc.{} or above", Escaped(domain));
            missing = true;
        }
        (None, _) if d.status == DmarcStatus::Temperror => {
            out.push_str("  not known: the lookup failed");
        }
        _ => {}
    }
    out.push('\n');
    if missing {
        fix(out, "", Subject::State(State::DmarcMissing));
    }
    for record in &d.records {
        line(out, "  ", &escape(record));
    }
    for (tag, list) in [("rua", &d.rua), ("ruf", &d.ruf)] {
        for dest in list {
            let verdict = match (dest.external, dest.authorized) {
                (false, _) => "",
                (true, Some(true)) => "  external, authorized",
                (true, Some(false)) => "  external, NOT authorized",
                (true, None) => "  external, not checked",
            };
            line(
                out,
                "  ",
                &format!("{tag} {}{verdict}", Escaped(&dest.uri.uri)),
            );
        }
    }
    if let Some(found) = d.discovery.as_ref().filter(|_| d.discovery_differs) {
        for (spec, m) in [("RFC 7489", &found.rfc7489), ("RFC 9989", &found.rfc9989)] {
            line(
                out,
                "  ",
                &format!(
                    "{spec} receivers: policy {} from {}",
                    m.policy.map_or("none applies", Policy::as_str),
                    m.discovery.policy_domain.as_deref().map_or_else(
                        || "no record".to_owned(),
                        |p| format!("_dmarc.{}", Escaped(p))
                    )
                ),
            );
        }
    }
    for (label, list) in [("error", &d.errors), ("warning", &d.warnings)] {
        for f in list {
            finding(out, "  ", label, Subject::Dmarc(f.kind), &f.detail);
        }
    }
}

fn spf(out: &mut String, s: &SpfReport) {
    let _ = write!(out, "\nSPF    {}", verdict(s.status.as_str()));
    if s.status == SpfStatus::Temperror {
        // The walk stopped at a failed lookup: its counts are not the record's.
        let _ = writeln!(out, "  not known: a lookup failed");
    } else {
        let _ = writeln!(
            out,
            "  {} DNS lookups (limit {LOOKUP_LIMIT}), {} void",
            s.lookups, s.void_lookups
        );
    }
    if s.status == SpfStatus::None {
        let _ = writeln!(out, "  no SPF record");
        fix(out, "  ", Subject::State(State::SpfMissing));
    }
    for (label, list) in [("error", &s.errors), ("warning", &s.warnings)] {
        for f in list {
            finding(out, "  ", label, Subject::Spf(f.kind), &f.detail);
        }
    }
    if s.tree.record.is_some() {
        let _ = writeln!(out, "  tree (own lookups / running total):");
        node(out, &s.tree, "  ", "");
    }
}

/// Addresses in their record order, comma-separated.
fn joined(addresses: &[IpAddr]) -> String {
    let text: Vec<String> = addresses.iter().map(IpAddr::to_string).collect();
    text.join(", ")
}

fn mx_findings(out: &mut String, indent: &str, label: &str, list: &[MxFinding]) {
    for f in list {
        finding(out, indent, label, Subject::Mx(f.kind), &f.detail);
    }
}

/// One tree line per record, marking the record whose term made the 11th lookup.
fn node(out: &mut String, n: &SpfNode, indent: &str, branch: &str) {
    let via = n
        .term
        .as_deref()
        .map(|t| format!("{} → ", Escaped(t)))
        .unwrap_or_default();
    let record = n
        .record
        .as_deref()
        .map_or_else(|| "(no SPF record)".into(), |r| escape(r));
    let mut text = format!(
        "{branch}{via}{}  [{} / {}]  {record}",
        Escaped(&n.domain),
        n.lookups,
        n.cumulative_lookups
    );
    if let Some(term) = &n.limit_passed_by {
        let _ = write!(text, "  ← {} is lookup {}", Escaped(term), LOOKUP_LIMIT + 1);
    }
    let child_indent = match branch {
        "" => indent.to_owned(),
        "└─ " => format!("{indent}   "),
        _ => format!("{indent}│  "),
    };
    // Continuation lines keep the tree's rails beside them.
    let rail = if n.children.is_empty() {
        format!("{child_indent}      ")
    } else {
        format!("{child_indent}│     ")
    };
    wrapped(out, indent, &rail, &text);
    for e in &n.errors {
        line(
            out,
            &format!("{child_indent}   "),
            &format!("✗ {}: {}", e.kind.as_str(), Escaped(&e.detail)),
        );
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

/// A notice about the run, for standard error: what went wrong, first.
pub(crate) fn notice(n: &Notice) -> String {
    let label = match n.kind {
        NoticeKind::NothingMeasured => "error",
        NoticeKind::MostlyTemperror | NoticeKind::SmtpUnreachable | NoticeKind::SmtpSkipped => {
            "warning"
        }
        NoticeKind::DnssecUnknown => "note",
    };
    let style = if n.is_failure() {
        style::BAD
    } else {
        style::UNKNOWN
    };
    format!("{style}{label}{style:#}: {}", Escaped(&n.detail))
}

/// A table with no borders: columns apart by spaces, numbers to the right.
fn table(header: &[&str], right: &[usize]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().map(Cell::new));
    for &i in right {
        if let Some(column) = t.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// A table's lines without the padding of the first column's left edge and of the last
/// column's right edge.
fn lines(t: &Table) -> String {
    let mut out = String::new();
    for l in t.lines() {
        let _ = writeln!(out, "{}", l.trim_end());
    }
    out
}

/// `history`: one line per scan, oldest first within a list, then why each damaged
/// scan is damaged.
pub fn history(scans: &[ScanEntry]) -> String {
    let mut t = table(
        &[
            "list",
            "started",
            "domains",
            "version",
            "schema",
            "state",
            "directory",
        ],
        &[2],
    );
    for s in scans {
        t.add_row(vec![
            escape(&s.lists.join(",")).into_owned(),
            escape(&s.started_at).into_owned(),
            s.domains.to_string(),
            s.version
                .as_deref()
                .map_or_else(|| "-".into(), escape)
                .into_owned(),
            s.schema.map_or_else(|| "-".to_owned(), |v| v.to_string()),
            s.status.name().to_owned(),
            escape(&s.dir.display().to_string()).into_owned(),
        ]);
    }
    let mut out = lines(&t);
    for s in scans {
        if let Some(damage) = &s.damage {
            let _ = writeln!(
                out,
                "DAMAGED {}: {}; not counted by trend",
                escape(&s.dir.display().to_string()),
                escape(damage)
            );
        }
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
    let mut header = vec!["period", "group", "domains"];
    header.extend(COLUMNS.iter().map(|(h, _)| *h));
    let right: Vec<usize> = (2..header.len()).collect();
    let mut t = table(&header, &right);
    for row in &trend.rows {
        let mut cells = vec![
            escape(&row.period).into_owned(),
            escape(&row.group).into_owned(),
            row.summary.domains.to_string(),
        ];
        let figures = row.summary.figures.named();
        for (_, name) in COLUMNS {
            if let Some((_, figure)) = figures.iter().find(|(n, _)| *n == name) {
                cells.push(figure.share());
            }
        }
        t.add_row(cells);
    }
    lines(&t)
}

/// The report printed on standard error at the end of a scan: what went wrong first,
/// then the figures with their populations.
pub fn summary(s: &ScanJson, figures: &Adoption, notices: &[Notice], dir: &Path) -> String {
    let mut out = String::new();
    for n in notices {
        let _ = writeln!(out, "{}", notice(n));
    }
    let _ = writeln!(
        out,
        "scanned {} domains in {:.1}s ({}/s); {} invalid lines skipped, {} duplicates",
        figures.domains,
        s.elapsed_seconds,
        thousands(s.domains_per_second.round() as u64),
        s.input.invalid_lines,
        s.input.duplicates
    );
    let f = &figures.figures;
    let mut t = table(
        &["figure", "count", "of", "share", "population"],
        &[1, 2, 3],
    );
    let mut row = |label: &str, figure: &Figure| {
        t.add_row(vec![
            label.to_owned(),
            figure.count.to_string(),
            figure.of.to_string(),
            figure.share(),
            figure.denominator.to_owned(),
        ]);
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
    // Scans made before the parts existed, or with --skip, looked at none of them.
    if figures.mta_sts_known > 0 {
        row("MTA-STS present", &f.mta_sts_present);
        row("MTA-STS enforce", &f.mta_sts_enforce);
        row("MTA-STS holds", &f.mta_sts_holds);
        row("MTA-STS would fail", &f.mta_sts_would_fail);
    }
    if figures.tls_rpt_known > 0 {
        row("TLS-RPT present", &f.tls_rpt_present);
    }
    // Through a resolver that does not validate nothing is known (a notice says so).
    if figures.dnssec_known > 0 {
        row("DNSSEC secure", &f.dnssec_secure);
        row("DNSSEC bogus", &f.dnssec_bogus);
    }
    if figures.dane_known > 0 {
        row("DANE published", &f.dane_published);
        row("DANE ok on every MX", &f.dane_all_ok);
        row("DANE failing", &f.dane_failing);
    }
    if figures.dkim_known > 0 {
        row("DKIM key found", &f.dkim_found);
        row("DKIM weak key", &f.dkim_weak_key);
        row("DKIM revoked key", &f.dkim_revoked);
    }
    if figures.bimi_known > 0 {
        row("BIMI published", &f.bimi_published);
        row("BIMI without enforcement", &f.bimi_without_enforcement);
    }
    row("temperror (any part)", &f.temperror);
    for l in t.lines() {
        let _ = writeln!(out, "  {}", l.trim_end());
    }
    if !figures.top_dangling_includes.is_empty() {
        let top: Vec<String> = figures
            .top_dangling_includes
            .iter()
            .take(5)
            .map(|t| format!("{}: {}", Escaped(&t.target), t.domains))
            .collect();
        let _ = writeln!(out, "  top dangling includes: {}", top.join(", "));
    }
    let _ = write!(out, "results in {}", escape(&dir.display().to_string()));
    out
}
