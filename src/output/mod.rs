//! The single writer: every finished record goes through one bounded channel to one
//! thread that appends it to `results.jsonl` and `results.csv`, so lines are never torn
//! and file I/O never blocks the scan's runtime.

pub mod csv;
pub(crate) mod diff;
pub(crate) mod merge;
pub(crate) mod summary;
pub mod text;
pub(crate) mod trend;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::mpsc;

use self::csv::CsvSink;
use crate::record::DomainRecord;
use crate::scandir::{self, Lock};
use crate::stats::Tally;
use crate::stats::facts::Facts;

/// Whether an output path is `-`, standard output, as every output option accepts.
pub(crate) fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The longest a finished record waits in a buffer before it is written out.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Records finished this close together are written out together.
const FLUSH_BATCH: Duration = Duration::from_millis(100);

/// Bytes gathered per output file before a write: a JSON record is about 2 KB, so the
/// default 8 KB buffer made a system call every four records.
const OUTPUT_BUFFER: usize = 256 << 10;

/// Records waiting for the writer; a slow disk holds the scan back instead of memory growing.
const QUEUE: usize = 1024;

/// Where the records go.
#[derive(Debug, Clone)]
pub struct OutputSpec {
    pub dir: PathBuf,
    /// Write the JSON lines to standard output instead of `results.jsonl`.
    pub jsonl_stdout: bool,
    pub csv_bom: bool,
    /// Append to the `results.jsonl` of an interrupted scan; `results.csv` is then made
    /// again from it at the end ([`csv::rebuild`]) instead of written as records come.
    pub resume: bool,
}

/// Handle on the writer thread.
pub struct Writer {
    tx: mpsc::Sender<DomainRecord>,
    thread: std::thread::JoinHandle<io::Result<Tally>>,
    dir: PathBuf,
    lock: Lock,
}

impl Writer {
    /// Opens the files the records stream into, in the directory whose lock `lock` is:
    /// `results.jsonl` and `results.csv` created new for a new scan (a directory that
    /// holds one is refused), `results.jsonl` appended to when resuming.
    pub fn start(spec: &OutputSpec, lock: Lock) -> anyhow::Result<Self> {
        let (jsonl, csv): (Box<dyn Write + Send>, _) = if spec.resume {
            (Box::new(scandir::append_results(&spec.dir)?), None)
        } else {
            let (jsonl, csv) = scandir::create_results(&spec.dir, !spec.jsonl_stdout)?;
            let jsonl: Box<dyn Write + Send> = match jsonl {
                Some(file) => Box::new(file),
                None => Box::new(io::stdout()),
            };
            let csv = CsvSink::new(BufWriter::with_capacity(OUTPUT_BUFFER, csv), spec.csv_bom)?;
            (jsonl, Some(csv))
        };
        let (tx, rx) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("writer".into())
            .spawn(move || write_all(rx, BufWriter::with_capacity(OUTPUT_BUFFER, jsonl), csv))
            .context("starting the writer thread")?;
        Ok(Self {
            tx,
            thread,
            dir: spec.dir.clone(),
            lock,
        })
    }

    pub async fn send(&self, report: DomainRecord) -> anyhow::Result<()> {
        self.tx
            .send(report)
            .await
            .map_err(|_| anyhow::anyhow!("the writer stopped early (see the error below)"))
    }

    /// Waits for every record to be written and returns the counts, and the directory's
    /// lock, to be held until the last file of the scan is written.
    pub fn finish(self) -> anyhow::Result<(Tally, Lock)> {
        drop(self.tx);
        let tally = self
            .thread
            .join()
            .map_err(|_| anyhow::anyhow!("the writer thread panicked"))?
            .context("writing results")
            .map_err(|e| scandir::resumable(e, &self.dir))?;
        Ok((tally, self.lock))
    }
}

fn write_all(
    mut rx: mpsc::Receiver<DomainRecord>,
    mut jsonl: BufWriter<Box<dyn Write + Send>>,
    mut csv: Option<CsvSink<BufWriter<File>>>,
) -> io::Result<Tally> {
    let mut tally = Tally::default();
    let mut flushed = Instant::now();
    let mut pending = false;
    loop {
        let report = match rx.try_recv() {
            Ok(report) => report,
            Err(mpsc::error::TryRecvError::Disconnected) => break,
            // The queue ran dry. Written out at once when the last write is old enough,
            // records reach the disk promptly when the scan is slow; within FLUSH_BATCH
            // of each other, they wait (the thread sleeps, so finishing a domain does not
            // wake it) and go out together: a fast scan would otherwise pay two writes
            // and a wake-up for every domain.
            Err(mpsc::error::TryRecvError::Empty) => {
                if pending && flushed.elapsed() < FLUSH_BATCH {
                    std::thread::sleep(FLUSH_BATCH / 10);
                    continue;
                }
                if pending {
                    flush(&mut jsonl, csv.as_mut())?;
                    flushed = Instant::now();
                }
                match rx.blocking_recv() {
                    Some(report) => report,
                    None => break,
                }
            }
        };
        serde_json::to_writer(&mut jsonl, &report)?;
        jsonl.write_all(b"\n")?;
        if let Some(csv) = &mut csv {
            csv.write(&report).map_err(io::Error::other)?;
        }
        tally.add(&Facts::from(&report));
        pending = true;
        // A queue that never runs dry still reaches the disk this often, so an
        // interruption loses at most that much.
        if flushed.elapsed() >= FLUSH_EVERY {
            flush(&mut jsonl, csv.as_mut())?;
            flushed = Instant::now();
            pending = false;
        }
    }
    flush(&mut jsonl, csv.as_mut())?;
    Ok(tally)
}

fn flush(jsonl: &mut impl Write, csv: Option<&mut CsvSink<BufWriter<File>>>) -> io::Result<()> {
    jsonl.flush()?;
    csv.map_or(Ok(()), CsvSink::flush)
}
