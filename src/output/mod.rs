//! The single writer: every finished record goes through one bounded channel to one
//! thread that appends it to `results.jsonl` and `results.csv`, so lines are never torn
//! and file I/O never blocks the scan's runtime.

pub mod csv;
pub mod summary;
pub mod text;
pub mod trend;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use tokio::sync::mpsc;

use self::csv::CsvSink;
use crate::scan::report::DomainReport;
use crate::stats::Tally;
use crate::stats::facts::Facts;

pub const RESULTS_JSONL: &str = "results.jsonl";
pub const RESULTS_CSV: &str = "results.csv";
pub const SCAN_JSON: &str = "scan.json";
pub const SUMMARY_JSON: &str = "summary.json";

/// Records waiting for the writer; a slow disk holds the scan back instead of memory growing.
const QUEUE: usize = 1024;

/// Where the records go.
#[derive(Debug, Clone)]
pub struct OutputSpec {
    pub dir: PathBuf,
    /// Write the JSON lines to standard output instead of `results.jsonl`.
    pub jsonl_stdout: bool,
    pub csv_bom: bool,
}

/// Handle on the writer thread.
pub struct Writer {
    tx: mpsc::Sender<DomainReport>,
    thread: std::thread::JoinHandle<io::Result<Tally>>,
}

impl Writer {
    /// Creates the scan directory and its files. An existing `results.jsonl` is never
    /// overwritten.
    pub fn start(spec: &OutputSpec) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&spec.dir)
            .with_context(|| format!("creating the scan directory {}", spec.dir.display()))?;
        let jsonl: Box<dyn Write + Send> = if spec.jsonl_stdout {
            Box::new(io::stdout())
        } else {
            Box::new(create_new(&spec.dir.join(RESULTS_JSONL))?)
        };
        let csv_file = create_new(&spec.dir.join(RESULTS_CSV))?;
        let csv = CsvSink::new(BufWriter::new(csv_file), spec.csv_bom)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("writer".into())
            .spawn(move || write_all(rx, BufWriter::new(jsonl), csv))
            .context("starting the writer thread")?;
        Ok(Self { tx, thread })
    }

    pub async fn send(&self, report: DomainReport) -> anyhow::Result<()> {
        self.tx
            .send(report)
            .await
            .map_err(|_| anyhow::anyhow!("the writer stopped early (see the error below)"))
    }

    /// Waits for every record to be written and returns the counts.
    pub fn finish(self) -> anyhow::Result<Tally> {
        drop(self.tx);
        let tally = self
            .thread
            .join()
            .map_err(|_| anyhow::anyhow!("the writer thread panicked"))?
            .context("writing results")?;
        Ok(tally)
    }
}

fn create_new(path: &Path) -> anyhow::Result<File> {
    File::options()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))
}

fn write_all(
    mut rx: mpsc::Receiver<DomainReport>,
    mut jsonl: BufWriter<Box<dyn Write + Send>>,
    mut csv: CsvSink<BufWriter<File>>,
) -> io::Result<Tally> {
    let mut tally = Tally::default();
    while let Some(report) = rx.blocking_recv() {
        serde_json::to_writer(&mut jsonl, &report)?;
        jsonl.write_all(b"\n")?;
        csv.write(&report).map_err(io::Error::other)?;
        tally.add(&Facts::from(&report));
        // Flush whenever the queue runs dry: records reach the disk promptly when the
        // scan is slow, and in large batches when it is fast.
        if rx.is_empty() {
            jsonl.flush()?;
            csv.flush()?;
        }
    }
    jsonl.flush()?;
    csv.flush()?;
    Ok(tally)
}
