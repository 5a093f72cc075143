//! The scans found under a directory (by default `reports/scans/<list>/<time>/`), each a
//! point in time of an adoption series; a scan without `scan.json` was interrupted.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::records;
use crate::output::SCAN_JSON;

/// How deep below the root a scan directory may sit: `<list>/<time>/` is two levels.
const MAX_DEPTH: usize = 3;

/// One scan directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanEntry {
    pub dir: PathBuf,
    /// The lists scanned, from `scan.json`, else the directory's parent name.
    pub lists: Vec<String>,
    /// When the scan started (from `scan.json`), else the directory name.
    pub started_at: String,
    /// Records written.
    pub domains: u64,
    pub version: Option<String>,
    pub schema: Option<u32>,
    /// `scan.json` is written last: without it the scan did not finish.
    pub complete: bool,
}

/// The parts of `scan.json` the history needs.
#[derive(Deserialize)]
struct ScanJson {
    version: String,
    schema: u32,
    started_at: String,
    lists: Vec<String>,
    domains: u64,
}

/// The name a list goes by in the history: its file name without the extension
/// (`stdin` for `-`), so that scans of `lists/fin.txt` and `/data/fin.txt` line up.
pub fn list_name(path: &Path) -> String {
    Some(path)
        .filter(|p| p.as_os_str() != "-")
        .and_then(Path::file_stem)
        .map_or_else(|| "stdin".into(), |s| s.to_string_lossy().into_owned())
}

/// Every directory under `root` holding a `results.jsonl` (or `.zst`), oldest first within a list.
pub fn find_scans(root: &Path) -> anyhow::Result<Vec<ScanEntry>> {
    let mut found = Vec::new();
    visit(root, 0, &mut found)
        .with_context(|| format!("reading the scans under {}", root.display()))?;
    found.sort_by(|a, b| (&a.lists, &a.started_at).cmp(&(&b.lists, &b.started_at)));
    Ok(found)
}

fn visit(dir: &Path, depth: usize, found: &mut Vec<ScanEntry>) -> anyhow::Result<()> {
    if let Some(results) = records::results_file(dir) {
        found.push(entry(dir, &results)?);
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

fn entry(dir: &Path, results: &Path) -> anyhow::Result<ScanEntry> {
    let name = |p: Option<&Path>| {
        p.and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let summary = std::fs::read(dir.join(SCAN_JSON)).ok();
    Ok(match summary {
        Some(bytes) => {
            let s: ScanJson = serde_json::from_slice(&bytes).with_context(|| {
                format!("{} is not a scan summary", dir.join(SCAN_JSON).display())
            })?;
            ScanEntry {
                dir: dir.to_path_buf(),
                lists: s.lists,
                started_at: s.started_at,
                domains: s.domains,
                version: Some(s.version),
                schema: Some(s.schema),
                complete: true,
            }
        }
        None => ScanEntry {
            dir: dir.to_path_buf(),
            lists: vec![name(dir.parent())],
            started_at: name(Some(dir)),
            domains: complete_lines(results)?,
            version: None,
            schema: None,
            complete: false,
        },
    })
}

/// Lines that end in a newline: an interrupted writer may leave a partial last one.
fn complete_lines(path: &Path) -> anyhow::Result<u64> {
    let mut reader = records::open(path)?;
    let (mut lines, mut line) = (0, Vec::new());
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(lines);
        }
        lines += u64::from(line.ends_with(b"\n"));
    }
}
