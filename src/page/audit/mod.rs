//! A scan as a report for people: `report.html` in the scan directory, one
//! self-contained page with the scan's headline figures, the findings that affect the
//! most domains with their remedies, every domain's verdicts by part (sortable and
//! filterable by a small inline script) and each domain's details. Records are read one
//! at a time; the table keeps the most serious domains that fit its budget, so a scan of
//! any size gives a page of bounded size in bounded memory.

mod cells;
mod html;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use self::cells::{Cell, Tone};
use crate::advice::{self, Area, Severity, Subject};
use crate::record::DomainRecord;
use crate::scandir::history::{self, Status};
use crate::scandir::{self, ScanJson};
use crate::stats::Tally;
use crate::stats::facts::Facts;

/// The most domains the table shows: beyond a few thousand rows a page is searched, not
/// read, and sorting in the browser slows down.
pub const MAX_ROWS: usize = 5_000;

/// The bytes the table's rows and details may take, so that the page of a scan of
/// millions of domains stays one a browser opens and a mail client attaches (~20 MB).
pub const ROW_BUDGET: usize = 16 << 20;

/// Domains named as examples of each finding at the top of the page.
const EXAMPLES: usize = 5;

/// What writing the report did.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub domains: u64,
    /// Domains in the table; the others are counted, and are in `results.csv`.
    pub shown: usize,
    pub bytes: usize,
}

impl Written {
    /// What was written, in a line for standard error.
    pub fn text(&self) -> String {
        let table = if (self.shown as u64) < self.domains {
            format!(
                "the table holds the {} most serious of {} domains",
                self.shown, self.domains
            )
        } else {
            format!("{} domains", self.domains)
        };
        format!(
            "wrote {} ({table}, {:.1} MB)",
            crate::terminal::escape(&self.path.display().to_string()),
            self.bytes as f64 / 1e6
        )
    }
}

/// Writes the audit report of the scan in `dir` to `out` (default `dir/report.html`),
/// whole or not at all. A damaged scan is refused; one that did not finish is reported
/// as such, on the page and on standard error.
pub fn write_audit_page(dir: &Path, out: Option<&Path>) -> anyhow::Result<Written> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a scan directory", dir.display());
    }
    // One pass: the records are checked (each a record, each domain once, none torn in a
    // finished scan, as many as scan.json counts) as they are read, and the page is
    // made only of a scan found whole.
    let path = scandir::records::results_file(dir);
    let mut decoder = path.as_deref().map(scandir::records::Decoder::new);
    let mut audit = Audit::default();
    let entry = history::verify_each(dir, |number, line| {
        if let Some(r) = decoder
            .as_mut()
            .and_then(|d| d.decode::<DomainRecord>(number, line))
        {
            audit.add(&r);
        }
    });
    let complete = match entry.status {
        Status::Complete => true,
        Status::Interrupted => {
            eprintln!(
                "mailposture: warning: {} did not finish: the report covers the {} domains \
                 scanned so far",
                dir.display(),
                entry.domains
            );
            false
        }
        Status::Damaged => anyhow::bail!(
            "{} is DAMAGED ({}): a report would silently leave out its lost records; \
             nothing written",
            dir.display(),
            entry.damage.as_deref().unwrap_or("unknown")
        ),
    };
    let scan = if complete {
        Some(ScanJson::read(dir)?)
    } else {
        None
    };
    let counts = decoder
        .map(scandir::records::Decoder::finish)
        .unwrap_or_default();
    audit.bad_lines = counts.bad_lines;
    let finished = audit.finish();
    let shown = finished.rows.len();
    let page = html::page(&finished, scan.as_ref(), dir, complete);
    let path = out.map_or_else(|| dir.join(REPORT_HTML), Path::to_path_buf);
    scandir::write_atomic(&path, page.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(Written {
        path,
        domains: counts.records,
        shown,
        bytes: page.len(),
    })
}

/// The report's name in a scan directory.
pub const REPORT_HTML: &str = "report.html";

/// How serious a domain is, most serious least: its worst finding (error, failure to
/// measure, warning, none), then more errors, more failures, more warnings, then its name.
type Key = (u8, Reverse<u32>, Reverse<u32>, Reverse<u32>, String);

/// A domain of the table.
struct Row {
    key: Key,
    cells: [Cell; Area::COUNT],
    /// The domain's details, HTML.
    detail: String,
}

impl Row {
    fn bytes(&self) -> usize {
        // The row's own markup is about this much besides the details.
        self.detail.len() + 60 * Area::COUNT
    }
}

impl PartialEq for Row {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Row {}
impl PartialOrd for Row {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Row {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// Domains that have a finding, and a few of their names.
#[derive(Debug, Default)]
pub(crate) struct SubjectCount {
    pub domains: u64,
    pub examples: Vec<String>,
}

/// The pass over the records.
#[derive(Default)]
struct Audit {
    tally: Tally,
    /// Per finding (failures to measure included), the domains that have it.
    subjects: HashMap<Subject, SubjectCount>,
    /// Domains by their worst severity; the last is those without any finding.
    by_severity: [u64; 4],
    /// Per part, the domains where it was looked at (its tone not `Off`).
    looked_at: [u64; Area::COUNT],
    /// The most serious domains, least serious on top, to be dropped first.
    rows: BinaryHeap<Row>,
    row_bytes: usize,
    /// Domains left out of the table.
    left_out: u64,
    bad_lines: u64,
}

impl Audit {
    fn add(&mut self, r: &DomainRecord) {
        self.tally.add(&Facts::from(r));
        let items = advice::findings(r);
        let cells = cells::cells(r, &items);
        for (seen, cell) in self.looked_at.iter_mut().zip(&cells) {
            if cell.tone != Tone::Off {
                *seen += 1;
            }
        }
        let mut counted: Vec<Subject> = Vec::with_capacity(items.len());
        let (mut errors, mut unknown, mut warnings) = (0u32, 0u32, 0u32);
        for item in &items {
            match item.severity {
                Severity::Error => errors += 1,
                Severity::Unknown => unknown += 1,
                Severity::Warning => warnings += 1,
            }
            if !counted.contains(&item.subject) {
                counted.push(item.subject);
                let count = self.subjects.entry(item.subject).or_default();
                count.domains += 1;
                if count.examples.len() < EXAMPLES {
                    count.examples.push(r.domain.clone());
                }
            }
        }
        // The findings decide the order, not the cells: a part not known for every domain
        // alike (DNSSEC through a resolver that does not validate) would put every
        // domain before those with warnings.
        let rank = match items.iter().map(|i| i.severity).min() {
            Some(Severity::Error) => 0,
            Some(Severity::Unknown) => 1,
            Some(Severity::Warning) => 2,
            None => 3,
        };
        self.by_severity[rank] += 1;
        let key: Key = (
            rank as u8,
            Reverse(errors),
            Reverse(unknown),
            Reverse(warnings),
            r.domain.clone(),
        );
        // A full table keeps a less serious domain out without rendering it.
        if self.full() && self.rows.peek().is_some_and(|least| least.key <= key) {
            self.left_out += 1;
            return;
        }
        let row = Row {
            key,
            cells,
            detail: html::detail(r, &items),
        };
        self.row_bytes += row.bytes();
        self.rows.push(row);
        while self.rows.len() > MAX_ROWS || (self.row_bytes > ROW_BUDGET && self.rows.len() > 1) {
            if let Some(dropped) = self.rows.pop() {
                self.row_bytes -= dropped.bytes();
                self.left_out += 1;
            }
        }
    }

    /// Whether one more row would pass a bound: the rows', or (by their average size)
    /// the bytes'. Once the bytes bind first, without this every record would be
    /// rendered only to be dropped again.
    fn full(&self) -> bool {
        let rows = self.rows.len();
        rows >= MAX_ROWS || (rows > 0 && self.row_bytes + self.row_bytes / rows > ROW_BUDGET)
    }

    fn finish(self) -> Finished {
        let mut rows = self.rows.into_vec();
        rows.sort();
        let mut subjects: Vec<(Subject, SubjectCount)> = self.subjects.into_iter().collect();
        subjects.sort_by(|a, b| {
            b.1.domains
                .cmp(&a.1.domains)
                .then_with(|| a.0.kind().cmp(b.0.kind()))
        });
        Finished {
            adoption: self.tally.adoption(),
            subjects,
            by_severity: self.by_severity,
            looked_at: self.looked_at,
            rows,
            left_out: self.left_out,
            bad_lines: self.bad_lines,
        }
    }
}

/// Everything the page shows.
pub(crate) struct Finished {
    adoption: crate::stats::Adoption,
    subjects: Vec<(Subject, SubjectCount)>,
    by_severity: [u64; 4],
    looked_at: [u64; Area::COUNT],
    rows: Vec<Row>,
    left_out: u64,
    bad_lines: u64,
}
