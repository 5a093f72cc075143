//! Reads a scan's per-domain records back one line at a time, so that a scan of millions
//! of domains is never held in memory: `results.jsonl`, or `results.jsonl.zst` for a scan
//! archived with `zstd --rm results.jsonl`.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::de::DeserializeOwned;

use super::{RESULTS_JSONL, RESULTS_JSONL_ZST};

/// How many unreadable lines of one file are reported one by one before only counting.
const REPORTED_BAD_LINES: u64 = 5;

/// The records file of a scan directory, plain or compressed; None when it has neither.
pub(crate) fn results_file(dir: &Path) -> Option<PathBuf> {
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

/// Calls `each` with every record of the scan in `dir` read as a `T` (the whole
/// [`DomainRecord`](crate::record::DomainRecord), or the parts of it `T` names), in
/// file order.
pub fn read_records<T: DeserializeOwned>(
    dir: &Path,
    mut each: impl FnMut(T),
) -> anyhow::Result<ReadCounts> {
    let path =
        results_file(dir).with_context(|| format!("{} has no {RESULTS_JSONL}", dir.display()))?;
    let mut decoder = Decoder::new(&path);
    each_line(&path, |number, line| {
        if let Some(record) = decoder.decode(number, line) {
            each(record);
        }
        Ok(())
    })?;
    Ok(decoder.finish())
}

/// Reads lines of a records file as records: each unreadable one counted, and reported
/// on standard error with its line number (the first few; then only how many more).
pub(crate) struct Decoder<'a> {
    path: &'a Path,
    counts: ReadCounts,
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(path: &'a Path) -> Self {
        Self {
            path,
            counts: ReadCounts::default(),
        }
    }

    /// Line `number` as a `T`, or None (reported) when it is not one.
    pub(crate) fn decode<T: DeserializeOwned>(&mut self, number: u64, line: &[u8]) -> Option<T> {
        match serde_json::from_slice::<T>(line) {
            Ok(record) => {
                self.counts.records += 1;
                Some(record)
            }
            Err(error) => {
                self.counts.bad_lines += 1;
                if self.counts.bad_lines <= REPORTED_BAD_LINES {
                    eprintln!(
                        "{}:{number}: skipped, not a record: {error}",
                        self.path.display()
                    );
                }
                None
            }
        }
    }

    /// The counts, once the file is read; says how many unreadable lines went unreported.
    pub(crate) fn finish(self) -> ReadCounts {
        if self.counts.bad_lines > REPORTED_BAD_LINES {
            eprintln!(
                "{}: {} more lines skipped",
                self.path.display(),
                self.counts.bad_lines - REPORTED_BAD_LINES
            );
        }
        self.counts
    }
}

/// Calls `each` with the number (from 1) and bytes of every line of the records file at
/// `path`, its newline included: a last line without one was torn by an interrupted
/// writer. An error of `each` ends the pass.
pub(crate) fn each_line(
    path: &Path,
    mut each: impl FnMut(u64, &[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut reader = open(path)?;
    let (mut line, mut number) = (Vec::new(), 0u64);
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "reading {} at line {}",
                path.display(),
                number + 1
            ))
        })?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        each(number, &line)?;
    }
}

/// The `domain` of one `results.jsonl` line, read without the rest of the record; None
/// for a line that is not a record.
pub(crate) fn domain_of(line: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Domain {
        domain: String,
    }
    serde_json::from_slice::<Domain>(line)
        .ok()
        .map(|d| d.domain)
}

/// The records file at `path`, decompressed when its name ends in `.zst`.
fn open(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(if path.extension().is_some_and(|e| e == "zst") {
        let decoder = zstd::Decoder::new(file)
            .with_context(|| format!("reading {} as zstd", path.display()))?;
        Box::new(BufReader::new(decoder))
    } else {
        Box::new(BufReader::new(file))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_their_newline_so_a_torn_last_line_shows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RESULTS_JSONL);
        std::fs::write(&path, b"{\"domain\":\"a.example\"}\n{\"domain\":\"b.ex").unwrap();
        let mut seen = Vec::new();
        each_line(&path, |n, line| {
            seen.push((n, line.ends_with(b"\n"), domain_of(line)));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            [(1, true, Some("a.example".into())), (2, false, None)]
        );
    }
}
