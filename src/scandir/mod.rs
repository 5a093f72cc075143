//! The scan directory, the project's unit of data, and the only module that knows its
//! layout: the file names, one writer at a time ([`Lock`]), every file complete or absent
//! ([`write_atomic`]) and never written through a symbolic link, the typed `scan.json`
//! ([`ScanJson`]) and `resume.json` ([`ResumeFile`]), reading records back
//! ([`records`]), and finding and verifying the scans of a tree (`history`).
//!
//! ```text
//! results.jsonl   one record per line, appended as domains finish; the canonical data
//!                 (results.jsonl.zst once archived with `zstd --rm results.jsonl`)
//! results.csv     the same records as spreadsheet rows
//! resume.json     what the scan was started with, written as it starts
//! summary.json    the adoption figures, written at the end
//! scan.json       what was scanned, how and when; written last, it marks the scan finished
//! .lock           held by the one process writing the directory
//! ```
//!
//! Every crash point leaves a directory that is either finished (`scan.json` is there and
//! agrees with `results.jsonl`) or resumable (no `scan.json`): the streamed files are
//! appended to, every other file replaces its name whole, and `scan.json` comes last.

mod atomic;
pub(crate) mod history;
mod lock;
pub mod records;
pub(crate) mod resume;
pub(crate) mod scan_json;

pub(crate) use atomic::parent;
pub use atomic::{create_new, open_append, sync_dir, write_atomic, write_atomic_with};
pub use lock::Lock;
pub use resume::{Done, ListIdentity, ResumeFile};
pub use scan_json::{InputCounts, ScanJson};

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;

/// The records, one JSON object per line.
const RESULTS_JSONL: &str = "results.jsonl";
/// The records of an archived scan, compressed with zstd.
const RESULTS_JSONL_ZST: &str = "results.jsonl.zst";
const RESULTS_CSV: &str = "results.csv";
const RESUME_JSON: &str = "resume.json";
const SUMMARY_JSON: &str = "summary.json";
/// Written last: the mark of a finished scan.
const SCAN_JSON: &str = "scan.json";
/// In the directory above the scans, not in a scan directory: derived from them all.
const TREND_CSV: &str = "trend.csv";

/// The files a finished scan is made of, in the order they are completed.
const FINISHED_FILES: [&str; 4] = [RESULTS_JSONL, RESULTS_CSV, SUMMARY_JSON, SCAN_JSON];

/// `DIR/results.jsonl`, for messages and for a resume.
pub(crate) fn results_jsonl(dir: &Path) -> PathBuf {
    dir.join(RESULTS_JSONL)
}

/// `DIR/resume.json`, for messages.
pub fn resume_json(dir: &Path) -> PathBuf {
    dir.join(RESUME_JSON)
}

/// `DIR/scan.json`, for messages.
pub(crate) fn scan_json(dir: &Path) -> PathBuf {
    dir.join(SCAN_JSON)
}

/// Where `trend` writes its CSV by default: beside the scans of `root`.
pub(crate) fn trend_csv(root: &Path) -> PathBuf {
    root.join(TREND_CSV)
}

/// Whether the scan in `dir` finished (it has `scan.json`, the last file written); says
/// nothing of whether the files agree, which `history::verify` checks.
pub(crate) fn is_finished(dir: &Path) -> bool {
    scan_json(dir).symlink_metadata().is_ok()
}

/// Creates the scan directory `dir` (and its parents) and takes its lock.
pub fn create(dir: &Path) -> anyhow::Result<Lock> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the scan directory {}", dir.display()))?;
    Lock::acquire(dir)
}

/// The streamed files of a new scan: `results.jsonl` (unless the records go to standard
/// output) and `results.csv`, both created new. A directory that holds a scan already is
/// refused, and a refused start leaves no file of its own behind.
pub(crate) fn create_results(dir: &Path, jsonl: bool) -> anyhow::Result<(Option<File>, File)> {
    let jsonl_path = dir.join(RESULTS_JSONL);
    let records = jsonl.then(|| create_streamed(&jsonl_path)).transpose()?;
    let csv = create_streamed(&dir.join(RESULTS_CSV)).inspect_err(|_| {
        if jsonl {
            // Ours, and empty: left, it would refuse the next scan here.
            let _ = std::fs::remove_file(&jsonl_path);
        }
    })?;
    sync_dir(dir).with_context(|| format!("syncing {}", dir.display()))?;
    Ok((records, csv))
}

/// `results.jsonl` of an interrupted scan, opened to append the rest of its records;
/// created when the scan stopped before it had any.
pub(crate) fn append_results(dir: &Path) -> anyhow::Result<File> {
    let path = dir.join(RESULTS_JSONL);
    open_append(&path).with_context(|| {
        format!(
            "opening {} to append (a symbolic link is refused)",
            path.display()
        )
    })
}

/// Replaces `results.csv` with what `fill` writes (a resumed or merged scan's CSV made
/// again from its records); an error of `fill` leaves the old file.
pub(crate) fn rewrite_results_csv<T>(
    dir: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<T>,
) -> anyhow::Result<T> {
    let path = dir.join(RESULTS_CSV);
    write_atomic_with(&path, fill).with_context(|| format!("writing {}", path.display()))
}

/// Marks the scan in `dir` finished: `summary.json`, then `scan.json`, each whole. A
/// failure before `scan.json` (a full disk) leaves a scan that `--resume` completes.
pub fn finish(dir: &Path, summary: &impl Serialize, scan: &ScanJson) -> anyhow::Result<()> {
    for (name, bytes) in [
        (SUMMARY_JSON, serde_json::to_vec_pretty(summary)?),
        (SCAN_JSON, serde_json::to_vec_pretty(scan)?),
    ] {
        let path = dir.join(name);
        write_atomic(&path, &bytes)
            .with_context(|| format!("writing {}", path.display()))
            .map_err(|e| resumable(e, dir))?;
    }
    Ok(())
}

/// Moves the finished scan built in `from` into the existing, locked `to`, file by file,
/// `scan.json` last.
pub(crate) fn move_finished(from: &Path, to: &Path) -> anyhow::Result<()> {
    for file in FINISHED_FILES {
        std::fs::rename(from.join(file), to.join(file))
            .with_context(|| format!("moving {file} into {}", to.display()))?;
    }
    sync_dir(to).with_context(|| format!("syncing {}", to.display()))
}

/// Refuses a `dir` that holds a scan (finished or not) already, saying how to go on.
pub(crate) fn refuse_existing(dir: &Path) -> anyhow::Result<()> {
    for file in [RESULTS_JSONL, RESULTS_JSONL_ZST, RESULTS_CSV, SCAN_JSON] {
        let path = dir.join(file);
        if path.symlink_metadata().is_ok() {
            return Err(holds_scan(dir, &path));
        }
    }
    Ok(())
}

/// The refusal of `dir`, which holds a scan (`path` exists): another directory, or for
/// an unfinished scan that can be resumed, `--resume`.
fn holds_scan(dir: &Path, path: &Path) -> anyhow::Error {
    let shown = dir.display();
    let resume = if !is_finished(dir) && dir.join(RESUME_JSON).is_file() {
        format!(", or continue that scan with `mailposture scan --resume {shown}`")
    } else {
        String::new()
    };
    anyhow::anyhow!(
        "{shown} already holds a scan ({} exists): give another directory with \
         --out DIR{resume}",
        path.display()
    )
}

/// `error` as said to the user of the scan in `dir`: a full disk names the directory and
/// how to go on once space is freed: `--resume` where the scan has its `resume.json`
/// (the records written so far are kept), else the same command again (the scan had not
/// started: nothing of it is left to block the next).
pub(crate) fn resumable(error: anyhow::Error, dir: &Path) -> anyhow::Error {
    let full = error
        .chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::StorageFull);
    if !full {
        return error;
    }
    let shown = dir.display();
    let next = if dir.join(RESUME_JSON).is_file() {
        format!("`mailposture scan --resume {shown}` continues the scan")
    } else {
        "run the same command again: the scan had not started".to_owned()
    };
    error.context(format!(
        "no space left on the device of {shown}: once space is freed, {next}"
    ))
}

/// Creates a streamed output file, which must not exist (see [`create_new`]).
fn create_streamed(path: &Path) -> anyhow::Result<File> {
    create_new(path).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => holds_scan(parent(path), path),
        _ => anyhow::Error::new(e).context(format!("creating {}", path.display())),
    })
}
