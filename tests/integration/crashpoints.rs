//! Crash points of a scan directory: scans killed with SIGKILL at different moments, the
//! states a crash leaves between the last steps built on purpose, and a disk that fills
//! at each step. From every one, `scan --resume` must finish the scan with each domain of
//! the list recorded once, and the CSV, `scan.json` and `history` agreeing with the
//! records.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

use crate::support::cmd::{command, kill_9, spawn, wait_for, wait_stderr};
use crate::support::{DnsFixture, Zone, slow_world};

/// Far more than any run of these small lists takes: past it a run is a failure, not a
/// hung test.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// Writes a domain list, one name a line.
fn write_names<'a>(path: &Path, names: impl IntoIterator<Item = &'a String>) {
    let text: String = names.into_iter().map(|n| format!("{n}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// Every name of `names` answered (an SPF record each), none silent.
fn answered_world(names: &[String]) -> Zone {
    let mut zone = Zone::new();
    for name in names {
        zone.txt_text(name, "v=spf1 -all");
    }
    zone
}

/// The domains `list` names, read here rather than by the scanner: one a line, blank
/// lines and `#` comments skipped, lower-case, without a trailing dot.
fn list_domains(list: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(list)
        .unwrap()
        .lines()
        .map(|line| {
            let name = line.split('#').next().unwrap_or_default().trim();
            name.trim_end_matches('.').to_ascii_lowercase()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// How many records `results.jsonl` in `dir` holds for each domain; every line must be
/// complete and a JSON object naming its domain.
fn record_counts(dir: &Path) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(dir.join("results.jsonl")).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{}: torn last line",
        dir.display()
    );
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let record: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a record ({e}): {line}"));
        let domain = record["domain"]
            .as_str()
            .unwrap_or_else(|| panic!("a record without its domain: {line}"));
        *counts.entry(domain.to_owned()).or_default() += 1;
    }
    counts
}

/// Complete lines of `results.jsonl` in `dir` so far; none when it is absent.
fn lines(dir: &Path) -> usize {
    std::fs::read(dir.join("results.jsonl"))
        .map_or(0, |bytes| bytes.iter().filter(|&&b| b == b'\n').count())
}

fn read_json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Files in `dir` left under a temporary name (`.NAME.XXXX.tmp`).
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect()
}

/// Asserts that the scan in `out` finished whole: one record for each domain of `list`
/// and no other, a CSV row for each record, `scan.json` counting them, and `history` of
/// the directory above listing it (and nothing else there) as complete. Returns its
/// `scan.json`.
fn assert_finished(out: &Path, list: &Path) -> serde_json::Value {
    let at = out.display();
    let counts = record_counts(out);
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "{at}: recorded more than once: {repeated:?}"
    );
    let recorded: BTreeSet<String> = counts.into_keys().collect();
    assert_eq!(
        recorded,
        list_domains(list),
        "{at}: the records against the list"
    );

    let mut csv = csv::Reader::from_path(out.join("results.csv")).unwrap();
    let column = csv
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "domain")
        .expect("a domain column");
    let rows: Vec<String> = csv
        .records()
        .map(|row| row.unwrap()[column].to_owned())
        .collect();
    assert_eq!(rows.len(), recorded.len(), "{at}: CSV rows against records");
    assert_eq!(rows.into_iter().collect::<BTreeSet<_>>(), recorded, "{at}");

    let scan = read_json(&out.join("scan.json"));
    assert_eq!(
        scan["domains"].as_u64(),
        Some(recorded.len() as u64),
        "{at}: {scan}"
    );

    let root = out
        .parent()
        .expect("a scan directory inside the test's own");
    let history = command()
        .args(["history", &root.display().to_string(), "--json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&history.stdout);
    assert!(
        history.status.success(),
        "{}",
        String::from_utf8_lossy(&history.stderr)
    );
    let scans: serde_json::Value = serde_json::from_str(&text).unwrap();
    let scans = scans.as_array().expect("a list of scans");
    assert_eq!(scans.len(), 1, "{text}");
    assert_eq!(scans[0]["dir"], at.to_string(), "{text}");
    assert_eq!(scans[0]["complete"], true, "{text}");
    assert_eq!(
        scans[0]["domains"].as_u64(),
        Some(recorded.len() as u64),
        "{text}"
    );
    scan
}

fn scan_command(list: &Path, out: &Path, resolver: &str) -> Command {
    scan_command_at(list, out, resolver, "2023-06-01T00:00:00Z")
}

/// [`scan_command`] recording the scan at `time`.
fn scan_command_at(list: &Path, out: &Path, resolver: &str, time: &str) -> Command {
    let mut command = command();
    command
        .args(["scan", &list.display().to_string()])
        .args(["--out", &out.display().to_string()])
        .args(["--resolver", resolver, "--quiet", "--no-starttls"])
        // Two at a time, and silent names waited for long past any wait of these tests:
        // a scan that reached them is still running when it is killed.
        .args(["--concurrency", "2", "--timeout", "60", "--attempts", "1"])
        .args(["--scan-time", time]);
    command
}

fn resume_command(out: &Path) -> Command {
    let mut command = command();
    command.args(["scan", "--resume", &out.display().to_string(), "--quiet"]);
    command
}

/// Runs `command` to its end (bounded): its status and standard error.
fn run_to_end(command: Command) -> (ExitStatus, String) {
    wait_stderr(spawn(command), RUN_LIMIT)
}

/// `scan --resume out` to its end, which must be a success.
fn resume_to_end(out: &Path) {
    let (status, stderr) = run_to_end(resume_command(out));
    assert!(status.success(), "resuming {}: {stderr}", out.display());
}

/// The resume count `resume.json` in `out` holds, once a run has written it.
fn resumes(out: &Path) -> Option<u64> {
    let bytes = std::fs::read(out.join("resume.json")).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes).ok()?["resumes"].as_u64()
}

/// Scans killed at four moments: started (resume.json written, no record yet), after
/// its first record, after every answered domain (the rest waiting on DNS), and a
/// resume killed in its turn. The world is then served whole at the same resolver
/// address, and each directory resumed to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_killed_at_each_moment_resume_to_every_domain_once() {
    let (zone, names) = slow_world();
    let answered = names.iter().filter(|n| !n.starts_with("silent")).count();
    let dns = DnsFixture::start(zone).await;
    let (addr, resolver) = (dns.addr, dns.resolver_arg());
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    write_names(&list, &names);
    // The silent names first: a scan of this list writes no record while it waits.
    let silent_first = dir.path().join("silent-first.txt");
    write_names(&silent_first, names.iter().rev());
    // Each scan alone in its own directory, for `history` of the one above.
    let out = |moment: &str| dir.path().join(moment).join("scan");
    let (started, first, all_answered, resume_killed) = (
        out("started"),
        out("first-record"),
        out("all-answered"),
        out("resume-killed"),
    );

    tokio::task::block_in_place(|| {
        let mut child = spawn(scan_command(&silent_first, &started, &resolver));
        wait_for("resume.json of the scan", || resumes(&started).is_some());
        kill_9(&mut child);
        assert_eq!(lines(&started), 0, "a record before the kill");

        let mut child = spawn(scan_command(&list, &first, &resolver));
        wait_for("a first record", || lines(&first) >= 1);
        kill_9(&mut child);

        let mut child = spawn(scan_command(&list, &all_answered, &resolver));
        wait_for("every answered domain", || lines(&all_answered) >= answered);
        kill_9(&mut child);
        assert!(lines(&all_answered) < names.len());

        let mut child = spawn(scan_command(&list, &resume_killed, &resolver));
        wait_for("a first record", || lines(&resume_killed) >= 1);
        kill_9(&mut child);
        let mut child = spawn(resume_command(&resume_killed));
        // The resume rewrote resume.json as it started, then scanned what was left of
        // the answered domains.
        wait_for("the resume under way", || {
            resumes(&resume_killed) == Some(1) && lines(&resume_killed) >= answered
        });
        kill_9(&mut child);

        for out in [&started, &first, &all_answered, &resume_killed] {
            assert!(!out.join("scan.json").exists(), "{}", out.display());
        }
    });
    dns.stop().await;

    let dns = DnsFixture::start_at(answered_world(&names), addr).await;
    tokio::task::block_in_place(|| {
        for (out, list, kills) in [
            (&started, &silent_first, 1),
            (&first, &list, 1),
            (&all_answered, &list, 1),
            (&resume_killed, &list, 2),
        ] {
            let partial = lines(out);
            resume_to_end(out);
            let scan = assert_finished(out, list);
            assert_eq!(scan["resumes"], kills, "{}: {scan}", out.display());
            assert_eq!(
                scan["input"]["already_scanned"].as_u64(),
                Some(partial as u64),
                "{}: {scan}",
                out.display()
            );
        }
    });
    dns.stop().await;
}

/// A scan run to its end in an answered world, in `DIR/scan`; the list is beside it.
struct Finished {
    dns: DnsFixture,
    _dir: tempfile::TempDir,
    list: PathBuf,
    out: PathBuf,
}

impl Finished {
    async fn new() -> Self {
        let (_, names) = slow_world();
        let dns = DnsFixture::start(answered_world(&names)).await;
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("list.txt");
        write_names(&list, &names);
        let out = dir.path().join("scans").join("scan");
        let (status, stderr) = tokio::task::block_in_place(|| {
            run_to_end(scan_command(&list, &out, &dns.resolver_arg()))
        });
        assert!(status.success(), "{stderr}");
        assert_finished(&out, &list);
        Self {
            dns,
            _dir: dir,
            list,
            out,
        }
    }

    fn remove(&self, name: &str) {
        std::fs::remove_file(self.out.join(name)).unwrap();
    }

    /// Cuts the file `name` to its first `len` bytes.
    fn cut(&self, name: &str, len: usize) {
        let path = self.out.join(name);
        let bytes = std::fs::read(&path).unwrap();
        assert!(len < bytes.len());
        std::fs::write(&path, &bytes[..len]).unwrap();
    }

    /// Resumes the scan to its end, checks it finished whole and stops the world; the
    /// finished scan's `scan.json`.
    async fn resume(self) -> serde_json::Value {
        let scan = tokio::task::block_in_place(|| {
            resume_to_end(&self.out);
            assert_finished(&self.out, &self.list)
        });
        self.dns.stop().await;
        assert_eq!(scan["resumes"], 1, "{scan}");
        scan
    }
}

/// A crash after the last record and before summary.json: results.jsonl complete,
/// results.csv short (cut in the middle of a row), no summary.json, no scan.json.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_before_summary_json_with_a_short_csv_resumes() {
    let scan = Finished::new().await;
    scan.remove("scan.json");
    scan.remove("summary.json");
    let csv = std::fs::read(scan.out.join("results.csv")).unwrap();
    scan.cut("results.csv", csv.len() / 2);
    let records = lines(&scan.out) as u64;
    let finished = scan.resume().await;
    // Nothing was scanned again: the records were all there.
    assert_eq!(finished["input"]["already_scanned"], records, "{finished}");
}

/// A crash between summary.json and scan.json.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_summary_json_and_scan_json_resumes() {
    let scan = Finished::new().await;
    scan.remove("scan.json");
    let records = lines(&scan.out) as u64;
    let finished = scan.resume().await;
    assert_eq!(finished["input"]["already_scanned"], records, "{finished}");
}

/// A crash while scan.json was being written: its temporary file left empty beside a
/// missing scan.json.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_temporary_scan_json_left_by_a_crash_blocks_nothing() {
    let scan = Finished::new().await;
    scan.remove("scan.json");
    let leftover = scan.out.join(".scan.json.abc123.tmp");
    std::fs::write(&leftover, "").unwrap();
    // `assert_finished` also finds no second scan in `history`.
    scan.resume().await;
}

/// A crash while summary.json and then scan.json were being written: partial temporary
/// files of both, neither final file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_temporary_files_left_by_a_crash_block_nothing() {
    let scan = Finished::new().await;
    for (name, temporary) in [
        ("summary.json", ".summary.json.Qx81zT.tmp"),
        ("scan.json", ".scan.json.abc123.tmp"),
    ] {
        let bytes = std::fs::read(scan.out.join(name)).unwrap();
        std::fs::write(scan.out.join(temporary), &bytes[..bytes.len() / 2]).unwrap();
        scan.remove(name);
    }
    let finished = scan.resume().await;
    assert!(finished["finished_at"].is_string(), "{finished}");
}

/// A directory holding nothing but a temporary file a crash left takes a new scan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_scan_into_a_directory_holding_only_a_leftover_temporary_file() {
    let (_, names) = slow_world();
    let dns = DnsFixture::start(answered_world(&names)).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    write_names(&list, &names);
    let out = dir.path().join("scans").join("scan");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(".scan.json.abc123.tmp"), "{\"tool\":").unwrap();
    tokio::task::block_in_place(|| {
        let (status, stderr) = run_to_end(scan_command(&list, &out, &dns.resolver_arg()));
        assert!(status.success(), "{stderr}");
        assert_finished(&out, &list);
    });
    dns.stop().await;
}

/// A crash in the middle of a record: the last line of results.jsonl torn, no summary
/// nor scan.json. The torn record's domain is scanned again, and only it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_last_line_is_cut_and_its_domain_scanned_again() {
    let scan = Finished::new().await;
    scan.remove("scan.json");
    scan.remove("summary.json");
    let jsonl = std::fs::read(scan.out.join("results.jsonl")).unwrap();
    let last = jsonl[..jsonl.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    scan.cut("results.jsonl", last + (jsonl.len() - last) / 2);
    let whole = lines(&scan.out) as u64;
    let finished = scan.resume().await;
    assert_eq!(finished["input"]["already_scanned"], whole, "{finished}");
}

/// A crash after the scan wrote resume.json, before it created results.jsonl and
/// results.csv: nothing else but the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_before_the_results_files_resumes() {
    let scan = Finished::new().await;
    for name in ["scan.json", "summary.json", "results.jsonl", "results.csv"] {
        scan.remove(name);
    }
    let finished = scan.resume().await;
    assert_eq!(finished["input"]["already_scanned"], 0, "{finished}");
}

/// A tmpfs mounted over a directory for one test, unmounted however the test ends
/// (lazily, so that nothing left open can keep it mounted).
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// `None`, after saying why on standard error, where this process may not mount one.
    fn mount(path: &Path, bytes: u64) -> Option<Self> {
        // /proc/self belongs to the process's effective user.
        if std::fs::metadata("/proc/self").map(|m| m.uid()).ok() != Some(0) {
            eprintln!("skipped: this test needs root to mount a tmpfs");
            return None;
        }
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(path)
            .output()
            .expect("run mount");
        if !output.status.success() {
            eprintln!(
                "skipped: this test needs root allowed to mount a tmpfs; mount said: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
            return None;
        }
        Some(Self {
            path: path.to_owned(),
        })
    }

    /// Bytes free, in whole pages: tmpfs gives a file its space a page at a time.
    fn free(&self) -> u64 {
        let stat = rustix::fs::statvfs(&self.path).unwrap();
        stat.f_bavail * stat.f_frsize
    }

    fn page(&self) -> u64 {
        rustix::fs::statvfs(&self.path).unwrap().f_frsize
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// The step of a scan at which its disk is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// resume.json, the scan's first file after its lock.
    Start,
    /// results.jsonl and results.csv, as records stream.
    Records,
    SummaryJson,
    ScanJson,
    /// The CSV a resume rebuilds from results.jsonl, after a disk full as records
    /// streamed.
    ResumeCsv,
    /// The resume.json a resume writes as it starts, the disk still full after a disk
    /// full as records streamed.
    ResumeStart,
}

/// Bytes of each file of the scan directory `out`, by name.
fn sizes(out: &Path) -> BTreeMap<String, u64> {
    std::fs::read_dir(out)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, e.metadata().unwrap().len())
        })
        .collect()
}

/// A scan on a tmpfs left just the space it needs up to `step`: the same scan is first
/// run there with space to spare and its files measured, then a filler file takes the
/// rest. The scan must fail with exit code 1, naming its directory and `--resume`,
/// without scan.json, an empty file under a final name, or a temporary file; with the
/// filler deleted, `scan --resume` must finish it.
async fn full_disk_at(step: Step) {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    // Dropped (unmounted) before `dir`.
    let Some(tmpfs) = Tmpfs::mount(&disk, 8 << 20) else {
        return;
    };
    let names: Vec<String> = (0..48).map(|i| format!("d{i}.example.jp")).collect();
    let dns = DnsFixture::start(answered_world(&names)).await;
    let resolver = dns.resolver_arg();
    // The list outside the tmpfs, taking none of its space.
    let list = dir.path().join("list.txt");
    let out = disk.join("scan");
    tokio::task::block_in_place(|| {
        let page = tmpfs.page();
        let pages = |bytes: u64| bytes.div_ceil(page);
        let mut measured = None;
        // Records differ from run to run only in `elapsed_ms`, a few digits each: the
        // space results.jsonl takes is known only when it does not end near a page
        // boundary, which another domain in the list moves.
        for count in 40..names.len() {
            write_names(&list, &names[..count]);
            let (status, stderr) = run_to_end(scan_command(&list, &out, &resolver));
            assert!(status.success(), "{stderr}");
            let sizes = sizes(&out);
            // Same place, same path: resume.json, which holds it, keeps its size.
            std::fs::remove_dir_all(&out).unwrap();
            let slack = 4 * count as u64 + 64;
            let tail = sizes["results.jsonl"] % page;
            if matches!(step, Step::Start | Step::Records) || (slack..page - slack).contains(&tail)
            {
                measured = Some(sizes);
                break;
            }
        }
        let sizes = measured.expect("a list whose records do not end near a page boundary");
        let lock = pages(sizes[".lock"]);
        let started = lock + pages(sizes["resume.json"]);
        let streamed = pages(sizes["results.jsonl"]) + pages(sizes["results.csv"]);
        assert!(streamed > 2, "{sizes:?}");
        let wanted = page
            * match step {
                Step::Start => lock,
                Step::Records | Step::ResumeCsv | Step::ResumeStart => started + 1,
                Step::SummaryJson => started + streamed,
                Step::ScanJson => started + streamed + pages(sizes["summary.json"]),
            };
        let filler = disk.join("filler");
        std::fs::write(&filler, vec![0; (tmpfs.free() - wanted) as usize]).unwrap();
        assert_eq!(tmpfs.free(), wanted, "{sizes:?}");

        let (status, stderr) = run_to_end(scan_command(&list, &out, &resolver));
        assert_eq!(status.code(), Some(1), "{step:?}: {stderr}");
        assert_left_whole(&out, step);
        if step == Step::Start {
            // Nothing was scanned and nothing is left but the lock: the same command,
            // once space is freed, makes the whole scan.
            assert!(
                stderr.contains(&out.display().to_string())
                    && stderr.contains("run the same command again"),
                "{step:?}: {stderr}"
            );
            assert!(!out.join("results.jsonl").exists(), "{step:?}");
            std::fs::remove_file(&filler).unwrap();
            let (status, stderr) = run_to_end(scan_command(&list, &out, &resolver));
            assert!(status.success(), "{step:?}: {stderr}");
            let scan = assert_finished(&out, &list);
            assert_eq!(scan["resumes"], 0, "{step:?}: {scan}");
            return;
        }
        assert!(
            stderr.contains(&out.display().to_string()) && stderr.contains("--resume"),
            "{step:?}: {stderr}"
        );
        let domains = list_domains(&list).len();
        match step {
            Step::Start => unreachable!(),
            Step::Records | Step::ResumeCsv | Step::ResumeStart => {
                assert!(!out.join("summary.json").exists(), "{step:?}");
                assert!(lines(&out) < domains, "{step:?}: every record written");
            }
            Step::SummaryJson => {
                assert!(stderr.contains("summary.json"), "{step:?}: {stderr}");
                assert!(!out.join("summary.json").exists(), "{step:?}");
                assert_eq!(record_counts(&out).len(), domains, "{step:?}");
            }
            Step::ScanJson => {
                assert!(stderr.contains("scan.json"), "{step:?}: {stderr}");
                read_json(&out.join("summary.json"));
                assert_eq!(record_counts(&out).len(), domains, "{step:?}");
            }
        }

        // Where the resume would cut a torn last line of results.jsonl.
        let jsonl = std::fs::read(out.join("results.jsonl")).unwrap();
        let whole = jsonl
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1) as u64;
        match step {
            Step::ResumeCsv => {
                // Space for the records left, none for the rebuilt CSV beside the old one.
                let wanted = page * (pages(sizes["results.jsonl"]) - pages(whole));
                let filler = std::fs::File::options().write(true).open(&filler).unwrap();
                let shrunk = filler.metadata().unwrap().len() - (wanted - tmpfs.free());
                filler.set_len(shrunk).unwrap();
                assert_eq!(tmpfs.free(), wanted, "{sizes:?}");
                let csv = std::fs::read(out.join("results.csv")).unwrap();
                assert_resume_fails(&out, step, "results.csv");
                assert_eq!(record_counts(&out).len(), domains, "{step:?}");
                assert_eq!(
                    std::fs::read(out.join("results.csv")).unwrap(),
                    csv,
                    "{step:?}: the old CSV not kept whole"
                );
            }
            Step::ResumeStart => {
                // The torn line cut here, so that the page it may free is not the one
                // resume.json takes; no space left at all.
                std::fs::File::options()
                    .write(true)
                    .open(out.join("results.jsonl"))
                    .and_then(|f| f.set_len(whole))
                    .unwrap();
                let free = tmpfs.free();
                std::fs::write(disk.join("filler-2"), vec![0; free as usize]).unwrap();
                assert_eq!(tmpfs.free(), 0);
                let resume = std::fs::read(out.join("resume.json")).unwrap();
                assert_resume_fails(&out, step, "resume.json");
                assert_eq!(
                    std::fs::read(out.join("resume.json")).unwrap(),
                    resume,
                    "{step:?}: resume.json not kept whole"
                );
                std::fs::remove_file(disk.join("filler-2")).unwrap();
            }
            _ => {}
        }

        std::fs::remove_file(&filler).unwrap();
        let partial = lines(&out);
        resume_to_end(&out);
        let scan = assert_finished(&out, &list);
        // A resume refused before it wrote resume.json does not count.
        let resumes = if step == Step::ResumeCsv { 2 } else { 1 };
        assert_eq!(scan["resumes"], resumes, "{step:?}: {scan}");
        assert_eq!(
            scan["input"]["already_scanned"].as_u64(),
            Some(partial as u64),
            "{step:?}: {scan}"
        );
    });
    dns.stop().await;
}

/// `scan --resume out` on a full disk fails at the file `at`, saying how to go on, and
/// leaves the directory whole.
fn assert_resume_fails(out: &Path, step: Step, at: &str) {
    let (status, stderr) = run_to_end(resume_command(out));
    assert_eq!(status.code(), Some(1), "{step:?}: {stderr}");
    assert!(
        stderr.contains(&out.display().to_string())
            && stderr.contains("--resume")
            && stderr.contains(at),
        "{step:?}: {stderr}"
    );
    assert_left_whole(out, step);
}

/// After a failed run on a full disk: no scan.json, no empty file under a final name
/// (a reader would take it for the file), no temporary file left.
fn assert_left_whole(out: &Path, step: Step) {
    assert!(!out.join("scan.json").exists(), "{step:?}");
    for name in ["scan.json", "summary.json", "resume.json"] {
        if let Ok(file) = std::fs::symlink_metadata(out.join(name)) {
            assert!(file.len() > 0, "{step:?}: {name} left empty");
        }
    }
    assert_eq!(temporaries(out), Vec::<String>::new(), "{step:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_full_at_resume_json_leaves_nothing_that_blocks_the_scan() {
    full_disk_at(Step::Start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_full_while_records_stream_leaves_a_resumable_scan() {
    full_disk_at(Step::Records).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_full_at_summary_json_leaves_a_resumable_scan() {
    full_disk_at(Step::SummaryJson).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_full_at_scan_json_leaves_a_resumable_scan() {
    full_disk_at(Step::ScanJson).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_full_as_a_resume_rebuilds_results_csv_leaves_a_resumable_scan() {
    full_disk_at(Step::ResumeCsv).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_still_full_as_a_resume_starts_says_how_to_go_on() {
    full_disk_at(Step::ResumeStart).await;
}

/// `history --json` of `root`: each scan directory's status, by the directory's name.
fn statuses(root: &Path) -> BTreeMap<String, String> {
    let output = command()
        .args(["history", &root.display().to_string(), "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let scans: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    scans
        .iter()
        .map(|s| {
            let dir = Path::new(s["dir"].as_str().unwrap());
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            (name, s["status"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// `trend --by scan` of `root` as CSV rows (header first), and its standard error.
fn trend_rows(root: &Path) -> (Vec<Vec<String>>, String) {
    let output = command()
        .args([
            "trend",
            &root.display().to_string(),
            "--by",
            "scan",
            "--out",
            "-",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(output.stdout.as_slice());
    let rows = csv
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (rows, stderr)
}

/// The round trip of a tree holding one scan of each kind, on a tmpfs: complete, merged
/// from two shards, interrupted (SIGKILL), damaged (truncated) and stopped by a full
/// disk. `history` tells them apart and `trend` counts only the whole ones; once the
/// disk has room, the interrupted and the disk-full scans resume to the end, and every
/// whole scan of the unchanged world has the same figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tree_of_every_kind_of_scan_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    let Some(tmpfs) = Tmpfs::mount(&disk, 16 << 20) else {
        return;
    };
    let (slow, names) = slow_world();
    let list = dir.path().join("fin.txt");
    write_names(&list, &names);
    let tree = disk.join("scans");
    let fin = tree.join("fin");
    let at = |day: u32| format!("2023-06-{day:02}T00:00:00Z");
    let scan = |name: &str| fin.join(name);

    let dns = DnsFixture::start(answered_world(&names)).await;
    let (addr, resolver) = (dns.addr, dns.resolver_arg());
    tokio::task::block_in_place(|| {
        for (name, day) in [("complete", 1), ("damaged", 3)] {
            let (status, stderr) =
                run_to_end(scan_command_at(&list, &scan(name), &resolver, &at(day)));
            assert!(status.success(), "{name}: {stderr}");
        }
        // Two shards scanned elsewhere, merged into the tree.
        let shards: Vec<PathBuf> = (0..2)
            .map(|i| dir.path().join(format!("shard{i}")))
            .collect();
        for (i, shard) in shards.iter().enumerate() {
            let mut command = scan_command_at(&list, shard, &resolver, &at(5));
            command.args(["--shard", &format!("{i}/2")]);
            let (status, stderr) = run_to_end(command);
            assert!(status.success(), "shard {i}: {stderr}");
        }
        let mut merge = command();
        merge
            .arg("merge")
            .args(&shards)
            .arg("--out")
            .arg(scan("merged"));
        let (status, stderr) = run_to_end(merge);
        assert!(status.success(), "merge: {stderr}");
        // The disk full once the scan's lock and resume.json are written.
        let filler = disk.join("filler");
        let room = 2 * tmpfs.page();
        std::fs::write(&filler, vec![0; (tmpfs.free() - room) as usize]).unwrap();
        let (status, stderr) = run_to_end(scan_command_at(
            &list,
            &scan("disk-full"),
            &resolver,
            &at(4),
        ));
        assert_eq!(status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("--resume"), "{stderr}");
        std::fs::remove_file(&filler).unwrap();
    });
    dns.stop().await;

    // The silent names keep this one running until it is killed.
    let dns = DnsFixture::start_at(slow, addr).await;
    tokio::task::block_in_place(|| {
        let out = scan("interrupted");
        let mut child = spawn(scan_command_at(&list, &out, &resolver, &at(2)));
        wait_for("a first record", || lines(&out) >= 1);
        kill_9(&mut child);
    });
    dns.stop().await;
    let lines_before = lines(&scan("damaged"));
    let bytes = std::fs::read(scan("damaged").join("results.jsonl")).unwrap();
    let half = bytes.len() / 2;
    let cut = bytes[..half].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    std::fs::write(scan("damaged").join("results.jsonl"), &bytes[..cut]).unwrap();
    assert!(lines(&scan("damaged")) < lines_before);

    let expect = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(
        statuses(&tree),
        expect(&[
            ("complete", "complete"),
            ("interrupted", "interrupted"),
            ("damaged", "damaged"),
            ("disk-full", "interrupted"),
            ("merged", "complete"),
        ])
    );
    let (rows, stderr) = trend_rows(&tree);
    let periods: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(periods, [at(1), at(5)], "{stderr}");
    assert!(
        stderr.contains(&format!("skipped {}: DAMAGED", scan("damaged").display())),
        "{stderr}"
    );

    // The world answered again at the address the scans recorded: both resume.
    let dns = DnsFixture::start_at(answered_world(&names), addr).await;
    tokio::task::block_in_place(|| {
        for name in ["interrupted", "disk-full"] {
            resume_to_end(&scan(name));
        }
    });
    dns.stop().await;
    assert_eq!(
        statuses(&tree),
        expect(&[
            ("complete", "complete"),
            ("interrupted", "complete"),
            ("damaged", "damaged"),
            ("disk-full", "complete"),
            ("merged", "complete"),
        ])
    );
    let (rows, stderr) = trend_rows(&tree);
    let periods: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(periods, [at(1), at(2), at(4), at(5)], "{stderr}");
    let header = &rows[0];
    let domains = header.iter().position(|h| h == "domains").unwrap();
    // Past `scans`, every cell is a figure of the unchanged world: the same in each row.
    let figures = |row: &[String]| row[domains..].to_vec();
    for row in &rows[1..] {
        assert_eq!(row[domains], names.len().to_string(), "{row:?}");
        assert_eq!(figures(row), figures(&rows[1]), "{row:?}");
    }
    // Nothing changed in the world between the first scan and the resumed one.
    let output = command()
        .args(["diff", &scan("complete").display().to_string()])
        .arg(scan("disk-full"))
        .arg("--out")
        .arg(dir.path().join("diff.csv"))
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["in_both"], names.len(), "{summary}");
    assert_eq!(summary["changed"], 0, "{summary}");
}
