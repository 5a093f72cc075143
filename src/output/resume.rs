//! Resuming an interrupted scan. `resume.json` records what a scan was started with;
//! `scan --resume DIR` cuts `results.jsonl` back to its last complete line, skips the
//! domains already in it, appends the rest, and at the end makes `results.csv` and the
//! figures again from `results.jsonl`, so that the three always agree.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, BufWriter};
use std::path::Path;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use super::csv::CsvSink;
use super::{RESULTS_CSV, RESULTS_JSONL, SCAN_JSON};
use crate::cli::ScanArgs;
use crate::input;
use crate::scan::report::DomainReport;
use crate::stats::Tally;
use crate::stats::facts::Facts;
use crate::stats::records;

pub const RESUME_JSON: &str = "resume.json";

/// The whole of `resume.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResumeFile {
    pub tool: String,
    pub version: String,
    /// When the scan first started: a resumed scan keeps its place in the history.
    pub started_at: String,
    /// How many times the scan was resumed.
    pub resumes: u32,
    /// The scan's options, its lists as absolute paths.
    pub args: ScanArgs,
}

impl ResumeFile {
    /// Writes the file whole or not at all (a temporary file renamed over it).
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(RESUME_JSON);
        let temporary = dir.join(format!("{RESUME_JSON}.tmp"));
        std::fs::write(&temporary, serde_json::to_vec_pretty(self)?)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .with_context(|| format!("writing {}", path.display()))
    }

    /// The file of the interrupted scan in `dir`, checked for being resumable.
    pub fn read(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(RESUME_JSON);
        if dir.join(SCAN_JSON).is_file() {
            bail!(
                "{} finished (it has {SCAN_JSON}): nothing to resume",
                dir.display()
            );
        }
        if !dir.join(RESULTS_JSONL).is_file() {
            bail!(
                "{} has no {RESULTS_JSONL}: nothing to resume",
                dir.display()
            );
        }
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "reading {} (a scan started by an older version, or with --jsonl -, cannot be resumed)",
                path.display()
            )
        })?;
        let file: Self = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a resume file", path.display()))?;
        if file.args.lists.iter().any(|l| l.as_os_str() == "-") {
            bail!(
                "the scan in {} read standard input, which cannot be read again: scan the rest as a new scan",
                dir.display()
            );
        }
        Ok(file)
    }
}

/// What an interrupted scan's `results.jsonl` already holds.
#[derive(Debug, Default)]
pub struct Done {
    /// [`input::name_hash`] of each domain recorded.
    pub domains: HashSet<u64>,
    pub records: u64,
    /// Bytes of a torn last line, cut off.
    pub torn_bytes: u64,
}

/// Cuts `results.jsonl` back to its last complete line and reads the domains in it.
pub fn prepare(dir: &Path) -> anyhow::Result<Done> {
    let path = dir.join(RESULTS_JSONL);
    let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = BufReader::new(file);
    let (mut done, mut line, mut complete_bytes) = (Done::default(), Vec::new(), 0u64);
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading {}", path.display()))?;
        if read == 0 {
            break;
        }
        if !line.ends_with(b"\n") {
            // Only the last line can lack its newline: the writer was stopped mid-line.
            done.torn_bytes = read as u64;
            break;
        }
        complete_bytes += read as u64;
        // A line that is not a record is left for the rebuild to report; its domain, if
        // any, is scanned again.
        if let Some(domain) = records::domain_of(&line) {
            done.domains.insert(input::name_hash(&domain));
            done.records += 1;
        }
    }
    if done.torn_bytes > 0 {
        OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(complete_bytes))
            .with_context(|| format!("cutting the torn last line of {}", path.display()))?;
    }
    Ok(done)
}

/// Writes `results.csv` anew from `results.jsonl` (through a temporary file, so an
/// interruption leaves the old one) and counts the figures of every record.
pub fn rebuild(dir: &Path, csv_bom: bool) -> anyhow::Result<Tally> {
    let path = dir.join(RESULTS_CSV);
    let temporary = dir.join(format!("{RESULTS_CSV}.tmp"));
    let file =
        File::create(&temporary).with_context(|| format!("creating {}", temporary.display()))?;
    let mut csv = CsvSink::new(BufWriter::new(file), csv_bom)?;
    let (mut tally, mut failed) = (Tally::default(), None);
    records::read_records(dir, |report: DomainReport| {
        if failed.is_none() {
            failed = csv.write(&report).err();
        }
        tally.add(&Facts::from(&report));
    })?;
    if let Some(error) = failed {
        return Err(error).with_context(|| format!("writing {}", temporary.display()));
    }
    csv.flush()
        .and_then(|()| std::fs::rename(&temporary, &path))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(tally)
}

/// Opens `results.jsonl` for appending the domains still to scan.
pub fn append(dir: &Path) -> anyhow::Result<File> {
    let path = dir.join(RESULTS_JSONL);
    OpenOptions::new()
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {} to append", path.display()))
}
