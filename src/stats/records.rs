//! Reads a scan's per-domain records back one line at a time, so that a scan of millions
//! of domains is never held in memory: `results.jsonl`, or `results.jsonl.zst` for a scan
//! archived with `zstd --rm results.jsonl`.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::de::DeserializeOwned;

use super::facts::Facts;
use crate::output::RESULTS_JSONL;

/// An archived scan's records, compressed with zstd.
pub const RESULTS_JSONL_ZST: &str = "results.jsonl.zst";

/// How many unreadable lines of one file are reported one by one before only counting.
const REPORTED_BAD_LINES: u64 = 5;

/// The records file of a scan directory, plain or compressed; None when it has neither.
pub fn results_file(dir: &Path) -> Option<PathBuf> {
    [RESULTS_JSONL, RESULTS_JSONL_ZST]
        .into_iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// What a pass over one records file found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCounts {
    pub records: u64,
    /// Lines that are not a record (a torn last line of an interrupted scan, say): each
    /// is reported on standard error with its line number and skipped.
    pub bad_lines: u64,
}

/// Calls `each` with the facts of every record of the scan in `dir`, in file order.
pub fn read_facts(dir: &Path, each: impl FnMut(Facts)) -> anyhow::Result<ReadCounts> {
    read_records(dir, each)
}

/// Calls `each` with every record of the scan in `dir` read as a `T` (the whole
/// [`DomainReport`](crate::record::DomainReport), or the parts of it `T` names).
pub fn read_records<T: DeserializeOwned>(
    dir: &Path,
    mut each: impl FnMut(T),
) -> anyhow::Result<ReadCounts> {
    let path =
        results_file(dir).with_context(|| format!("{} has no {RESULTS_JSONL}", dir.display()))?;
    let mut reader = open(&path)?;
    let mut counts = ReadCounts::default();
    let (mut line, mut number) = (Vec::new(), 0u64);
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| read_error(e, &path, number + 1))?;
        if read == 0 {
            if counts.bad_lines > REPORTED_BAD_LINES {
                eprintln!(
                    "{}: {} more lines skipped",
                    path.display(),
                    counts.bad_lines - REPORTED_BAD_LINES
                );
            }
            return Ok(counts);
        }
        number += 1;
        match serde_json::from_slice::<T>(&line) {
            Ok(facts) => {
                counts.records += 1;
                each(facts);
            }
            Err(error) => {
                counts.bad_lines += 1;
                if counts.bad_lines <= REPORTED_BAD_LINES {
                    eprintln!(
                        "{}:{number}: skipped, not a record: {error}",
                        path.display()
                    );
                }
            }
        }
    }
}

/// The `domain` of one `results.jsonl` line, read without the rest of the record; None
/// for a line that is not a record.
pub fn domain_of(line: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Domain {
        domain: String,
    }
    serde_json::from_slice::<Domain>(line)
        .ok()
        .map(|d| d.domain)
}

/// The records file at `path`, decompressed when its name ends in `.zst`.
pub fn open(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(if path.extension().is_some_and(|e| e == "zst") {
        let decoder = zstd::Decoder::new(file)
            .with_context(|| format!("reading {} as zstd", path.display()))?;
        Box::new(BufReader::new(decoder))
    } else {
        Box::new(BufReader::new(file))
    })
}

fn read_error(error: io::Error, path: &Path, line: u64) -> anyhow::Error {
    anyhow::Error::new(error).context(format!("reading {} at line {line}", path.display()))
}
