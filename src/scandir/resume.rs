//! `resume.json`, what a scan was started with, and the state of an interrupted scan's
//! `results.jsonl`: `scan --resume DIR` cuts it back to its last complete line, skips the
//! domains already in it and appends the rest. The lists' size and SHA-256, recorded as
//! the scan starts, make sure it resumes over the same input.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::records;
use super::{RESULTS_JSONL, RESUME_JSON, SCAN_JSON};
use crate::input;

/// The whole of `resume.json`; `A` is the scan's settings, lists as absolute paths, in
/// the form the caller keeps them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResumeFile<A> {
    pub tool: String,
    pub version: String,
    /// When the scan first started: a resumed scan keeps its place in the history.
    pub started_at: String,
    /// How many times the scan was resumed.
    pub resumes: u32,
    /// The scan's lists and options.
    pub args: A,
    /// What each list file held when the scan started. `None` in a file written by a
    /// version that did not record it; standard input, and lists that are not regular
    /// files (a pipe), have no entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lists: Option<Vec<ListIdentity>>,
}

/// A list file as it was: resuming over another list would mix two lists' records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListIdentity {
    /// Absolute, as the scan's settings hold it.
    pub path: PathBuf,
    /// Bytes.
    pub size: u64,
    /// The modification time (RFC 3339), for a person reading the file: a list touched
    /// but not changed resumes all the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// SHA-256 of the contents, lower-case hex.
    pub sha256: String,
}

impl ListIdentity {
    /// The identity of the list at `path`, read in chunks (lists can be gigabytes), or
    /// `None` when it is not a regular file and so cannot be read twice.
    pub fn of(path: &Path) -> anyhow::Result<Option<Self>> {
        let mut file = input::open_file(path)?;
        let reading = || format!("reading the domain list {}", path.display());
        let metadata = file.metadata().with_context(reading)?;
        if !metadata.is_file() {
            return Ok(None);
        }
        let modified = metadata.modified().ok().and_then(|at| {
            time::OffsetDateTime::from(at)
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
        let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
        let (mut buf, mut size) = (vec![0; 1 << 16], 0u64);
        loop {
            let read = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(read) => read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).with_context(reading),
            };
            digest.update(&buf[..read]);
            size += read as u64;
        }
        let sha256 =
            digest
                .finish()
                .as_ref()
                .iter()
                .fold(String::with_capacity(64), |mut hex, byte| {
                    hex.push_str(&format!("{byte:02x}"));
                    hex
                });
        Ok(Some(Self {
            path: path.to_path_buf(),
            size,
            modified,
            sha256,
        }))
    }

    /// Whether the list is still what it was: an error naming what changed, if not.
    fn check(&self) -> anyhow::Result<()> {
        let now = Self::of(&self.path)?.with_context(|| {
            format!(
                "the domain list {} is no longer a regular file: resuming cannot check it is the list the scan started with; start a new scan",
                self.path.display()
            )
        })?;
        if now.size == self.size && now.sha256 == self.sha256 {
            return Ok(());
        }
        let size = if now.size == self.size {
            format!("same size, {} bytes", self.size)
        } else {
            format!("size {} → {} bytes", self.size, now.size)
        };
        bail!(
            "{} changed since the scan started ({size}, SHA-256 differs): resuming would mix two lists; start a new scan",
            self.path.display()
        )
    }
}

impl<A: Serialize + DeserializeOwned> ResumeFile<A> {
    /// Writes the file whole or not at all (a temporary file renamed over it).
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(RESUME_JSON);
        super::write_atomic(&path, &serde_json::to_vec_pretty(self)?)
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
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "reading {} (a scan started by an older version, or with --jsonl -, cannot be resumed)",
                path.display()
            )
        })?;
        let file: Self = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a resume file", path.display()))?;
        Ok(file)
    }

    /// Checks that `lists`, the scan's, are those it started with; refuses standard input
    /// and any list that changed. Returns warnings for lists that cannot be checked.
    pub(crate) fn check_lists(&self, dir: &Path, lists: &[PathBuf]) -> anyhow::Result<Vec<String>> {
        if lists.iter().any(|l| l.as_os_str() == "-") {
            bail!(
                "the scan in {} read standard input, which cannot be read again: scan the rest as a new scan",
                dir.display()
            );
        }
        let Some(identities) = &self.lists else {
            return Ok(vec![format!(
                "{} records no size or SHA-256 of the lists (it was written by an older version): they cannot be checked to be the ones the scan started with",
                dir.join(RESUME_JSON).display()
            )]);
        };
        let mut warnings = Vec::new();
        for list in lists {
            match identities.iter().find(|i| &i.path == list) {
                Some(identity) => identity.check()?,
                // Standard input was refused when the file was read.
                None => warnings.push(format!(
                    "{} was not a regular file when the scan started: it cannot be checked to be the list the scan started with",
                    list.display()
                )),
            }
        }
        Ok(warnings)
    }
}

/// What an interrupted scan's `results.jsonl` already holds.
#[derive(Debug, Default)]
pub struct Done {
    /// `input::name_hash` of each domain recorded.
    pub domains: HashSet<u64>,
    pub records: u64,
    /// Bytes of a torn last line, cut off.
    pub torn_bytes: u64,
}

/// Cuts `results.jsonl` back to its last complete line and reads the domains in it; a
/// scan stopped before its first record has none.
pub(crate) fn prepare(dir: &Path) -> anyhow::Result<Done> {
    let path = dir.join(RESULTS_JSONL);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Done::default()),
        Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
    };
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
