//! The scans found under a directory (by default `reports/scans/<list>/<time>/`), each a
//! point in time of an adoption series, and each checked before it is counted: a scan
//! without `scan.json` was interrupted; one whose records disagree with its `scan.json`
//! (truncated, torn, a line that is not a record, a domain twice) or whose `scan.json`
//! cannot be read is damaged, said with the reason, and never counted as complete.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;
use strum::IntoStaticStr;

use super::records;
use super::scan_json::ScanJson;
use crate::input;

/// How deep below the root a scan directory may sit: `<list>/<time>/` is two levels.
const MAX_DEPTH: usize = 3;

/// What a scan directory holds.
///
/// [`Status::name`] is the word shown to people, the JSON name otherwise; damage is
/// shouted there, so that it stands out in a list of scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Status {
    /// Finished, and its records agree with `scan.json`.
    Complete,
    /// No `scan.json`: stopped before the end (`scan --resume` continues it).
    Interrupted,
    /// Its files disagree or cannot be read; see [`ScanEntry::damage`].
    #[strum(serialize = "DAMAGED")]
    Damaged,
}

impl Status {
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// One scan directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanEntry {
    pub dir: PathBuf,
    /// The lists scanned, from `scan.json`, else the directory's parent name.
    pub lists: Vec<String>,
    /// When the scan started (from `scan.json`), else the directory name.
    pub started_at: String,
    /// Records found in `results.jsonl`.
    pub domains: u64,
    pub version: Option<String>,
    pub schema: Option<u32>,
    pub status: Status,
    /// Finished and intact: the only scans `trend` counts.
    pub complete: bool,
    /// Why the scan is damaged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damage: Option<String>,
}

/// The name a list goes by in the history: its file name without the extension
/// (`stdin` for `-`), so that scans of `lists/fin.txt` and `/data/fin.txt` line up.
pub(crate) fn list_name(path: &Path) -> String {
    Some(path)
        .filter(|p| p.as_os_str() != "-")
        .and_then(Path::file_stem)
        .map_or_else(|| "stdin".into(), |s| s.to_string_lossy().into_owned())
}

/// Every scan directory under `root` (one holding records or `scan.json`), oldest first
/// within a list, each verified. A damaged scan is listed as such; it never fails the
/// whole tree.
pub(crate) fn find_scans(root: &Path) -> anyhow::Result<Vec<ScanEntry>> {
    let mut found = Vec::new();
    visit(root, 0, &mut found)
        .with_context(|| format!("reading the scans under {}", root.display()))?;
    found.sort_by(|a, b| (&a.lists, &a.started_at).cmp(&(&b.lists, &b.started_at)));
    Ok(found)
}

fn visit(dir: &Path, depth: usize, found: &mut Vec<ScanEntry>) -> anyhow::Result<()> {
    if records::results_file(dir).is_some() || super::is_finished(dir) {
        found.push(verify(dir));
        return Ok(());
    }
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    for child in std::fs::read_dir(dir)? {
        let path = child?.path();
        if path.is_dir() {
            visit(&path, depth + 1, found)?;
        }
    }
    Ok(())
}

/// Reads the scan in `dir` whole and says whether it can be trusted: every line a
/// record, each domain once, and for a finished scan no torn line and as many records
/// as `scan.json` counts.
pub(crate) fn verify(dir: &Path) -> ScanEntry {
    verify_each(dir, |_, _| {})
}

/// [`verify`], calling `each` with the number and bytes of every line that is the record
/// of a domain not seen before, in file order: a reader that needs the records reads the
/// file once, and counts nothing of a scan found damaged (it hears of the damage only at
/// the end, from the entry).
pub(crate) fn verify_each(dir: &Path, each: impl FnMut(u64, &[u8])) -> ScanEntry {
    let name = |p: Option<&Path>| {
        p.and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut entry = ScanEntry {
        dir: dir.to_path_buf(),
        lists: vec![name(dir.parent())],
        started_at: name(Some(dir)),
        domains: 0,
        version: None,
        schema: None,
        status: Status::Interrupted,
        complete: false,
        damage: None,
    };
    let scan = if super::is_finished(dir) {
        match ScanJson::read(dir) {
            Ok(scan) => {
                entry.lists.clone_from(&scan.lists);
                entry.started_at.clone_from(&scan.started_at);
                entry.version = Some(scan.version.clone());
                entry.schema = Some(scan.schema);
                Some(scan)
            }
            Err(error) => return damaged(entry, format!("{error:#}")),
        }
    } else {
        None
    };
    let records = match count_records(dir, scan.is_some(), each) {
        Ok(records) => records,
        Err(error) => return damaged(entry, format!("{error:#}")),
    };
    entry.domains = records;
    if let Some(scan) = scan {
        if records != scan.domains {
            let missing = if records < scan.domains {
                " (truncated?)"
            } else {
                ""
            };
            return damaged(
                entry,
                format!(
                    "results.jsonl holds {records} records but scan.json counts {}{missing}",
                    scan.domains
                ),
            );
        }
        entry.status = Status::Complete;
        entry.complete = true;
    }
    entry
}

fn damaged(mut entry: ScanEntry, reason: String) -> ScanEntry {
    entry.status = Status::Damaged;
    entry.complete = false;
    entry.damage = Some(reason);
    entry
}

/// The records of the scan in `dir`, each checked to be one, with a domain not seen
/// before; a torn last line is damage only in a `finished` scan (an interrupted writer
/// leaves one, which a resume cuts).
fn count_records(
    dir: &Path,
    finished: bool,
    mut each: impl FnMut(u64, &[u8]),
) -> anyhow::Result<u64> {
    let path = records::results_file(dir).context("results.jsonl is missing")?;
    let (mut count, mut seen) = (0u64, HashSet::new());
    let mut torn = None;
    records::each_line(&path, |number, line| {
        if !line.ends_with(b"\n") {
            // Only the last line can lack its newline.
            torn = Some(number);
            return Ok(());
        }
        let domain = records::domain_of(line)
            .with_context(|| format!("line {number} of {} is not a record", path.display()))?;
        if !seen.insert(input::name_hash(&domain)) {
            anyhow::bail!(
                "line {number} of {}: {domain} is recorded twice",
                path.display()
            );
        }
        count += 1;
        each(number, line);
        Ok(())
    })?;
    match torn {
        Some(number) if finished => {
            anyhow::bail!("the last line ({number}) of {} is torn", path.display())
        }
        _ => Ok(count),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `history`'s words for people and its JSON names, each status once.
    #[test]
    fn status_names_are_the_documented_ones() {
        let names = [
            (Status::Complete, "complete", "complete"),
            (Status::Interrupted, "interrupted", "interrupted"),
            (Status::Damaged, "DAMAGED", "damaged"),
        ];
        let shown: Vec<_> = names.iter().map(|&(s, shown, _)| (s, shown)).collect();
        crate::names::assert_named(&shown, Status::name);
        let json: Vec<_> = names.iter().map(|&(s, _, json)| (s, json)).collect();
        for (status, json) in json {
            assert_eq!(serde_json::to_value(status).unwrap(), json);
        }
    }
}
