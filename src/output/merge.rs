//! `mailposture merge`: joins the scan directories of the N shards of one scan
//! (`scan --shard I/N`) into one scan directory, as if one machine had scanned the list.

use std::collections::HashSet;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::summary::SummaryJson;
use crate::causes::Causes;
use crate::dns::FailureCause;
use crate::input;
use crate::scandir::history::{self, Status};
use crate::scandir::{self, Lock, ScanJson, records};
use crate::shard::Shard;

/// What a merge produced.
#[derive(Debug)]
pub(crate) struct Merged {
    pub shards: usize,
    pub domains: u64,
}

/// One shard's directory and its `scan.json`.
struct Part {
    dir: PathBuf,
    scan: ScanJson,
    shard: Shard,
}

/// Checks that `dirs` are the finished shards, all of them, of one scan of the same
/// lists with the same options, and writes their union into `out`. The merged scan is
/// built in a temporary directory beside `out` and renamed into place at the end, so a
/// failed merge leaves nothing behind.
pub(crate) fn merge(dirs: &[PathBuf], out: &Path) -> anyhow::Result<Merged> {
    let parts = dirs
        .iter()
        .map(|d| part(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    check(&parts)?;
    // An existing `out` is locked for the whole merge, so that no scan starts in it
    // meanwhile, and must not hold a scan.
    let lock = if out.is_dir() {
        let lock = Lock::acquire(out)?;
        scandir::refuse_existing(out)?;
        Some(lock)
    } else {
        None
    };
    let parent = scandir::parent(out);
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = out.file_name().unwrap_or(out.as_os_str()).to_string_lossy();
    let building = tempfile::Builder::new()
        .prefix(&format!(".{name}.merge-"))
        // As `create_dir` would make it (the umask applies), not tempfile's 0700.
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o777))
        .tempdir_in(parent)
        .with_context(|| format!("creating a temporary directory in {}", parent.display()))?;
    let merged = build(&parts, building.path())?;
    if lock.is_some() {
        scandir::move_finished(building.path(), out)?;
    } else {
        std::fs::rename(building.path(), out).with_context(|| {
            format!(
                "moving the merged scan to {} (created by another process meanwhile?)",
                out.display()
            )
        })?;
        // Renamed away: nothing is left to remove.
        let _ = building.keep();
    }
    scandir::sync_dir(parent).with_context(|| format!("syncing {}", parent.display()))?;
    Ok(merged)
}

/// Writes the merged scan into the new, empty directory `out`.
fn build(parts: &[Part], out: &Path) -> anyhow::Result<Merged> {
    let path = scandir::results_jsonl(out);
    let file =
        scandir::create_new(&path).with_context(|| format!("creating {}", path.display()))?;
    let mut jsonl = BufWriter::new(file);
    let mut seen = HashSet::new();
    for part in parts {
        copy_records(part, &mut jsonl, &mut seen)?;
    }
    jsonl
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|file| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    let summary = super::csv::rebuild(out, parts[0].scan.options.csv_bom)?.adoption();
    let scan = merged_scan_json(parts, summary.domains);
    let notices = crate::stats::health::notices(&summary, None);
    scandir::finish(out, &SummaryJson::of(&scan, &notices, &summary), &scan)?;
    Ok(Merged {
        shards: parts.len(),
        domains: summary.domains,
    })
}

/// A finished, intact shard: its records agree with its `scan.json`.
fn part(dir: &Path) -> anyhow::Result<Part> {
    let entry = history::verify(dir);
    match entry.status {
        Status::Complete => {}
        Status::Interrupted => bail!(
            "{} did not finish: resume it with `mailposture scan --resume {}`",
            dir.display(),
            dir.display()
        ),
        Status::Damaged => bail!(
            "{} is DAMAGED ({}): merging it would lose its missing records",
            dir.display(),
            entry.damage.as_deref().unwrap_or("unknown")
        ),
    }
    let scan = ScanJson::read(dir)?;
    let shard = scan
        .options
        .shard
        .with_context(|| format!("{} is not a shard (scanned without --shard)", dir.display()))?;
    Ok(Part {
        dir: dir.to_path_buf(),
        scan,
        shard,
    })
}

/// The same lists, options (but the shard) and format; every shard of N exactly once.
fn check(parts: &[Part]) -> anyhow::Result<()> {
    let Some(first) = parts.first() else {
        bail!("no shard directories given");
    };
    for part in &parts[1..] {
        let (a, b) = (&first.scan, &part.scan);
        for (key, same) in [
            ("lists", a.lists == b.lists),
            ("schema", a.schema == b.schema),
            ("version", a.version == b.version),
        ] {
            if !same {
                bail!(
                    "{} and {} are not shards of one scan: their {key} differ",
                    first.dir.display(),
                    part.dir.display(),
                );
            }
        }
        let differ = options_differ(a, b);
        if !differ.is_empty() {
            bail!(
                "{} and {} were scanned with different options: {}",
                first.dir.display(),
                part.dir.display(),
                differ.join("; ")
            );
        }
    }
    let count = first.shard.count;
    let mut present = vec![false; count as usize];
    for part in parts {
        if part.shard.count != count {
            bail!(
                "{} is shard {} but {} is shard {}: not one split",
                first.dir.display(),
                first.shard,
                part.dir.display(),
                part.shard
            );
        }
        let slot = &mut present[part.shard.index as usize];
        if *slot {
            bail!("shard {} given twice", part.shard);
        }
        *slot = true;
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !present[*i as usize])
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        bail!("shards missing: {}", missing.join(", "));
    }
    Ok(())
}

/// The options of two shards' scans that differ, but the shard, each as `name: a and b`.
fn options_differ(a: &ScanJson, b: &ScanJson) -> Vec<String> {
    let as_map = |scan: &ScanJson| {
        let mut options = scan.options.clone();
        options.shard = None;
        match serde_json::to_value(options) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    };
    let (a, b) = (as_map(a), as_map(b));
    a.iter()
        .filter(|(key, value)| b.get(*key) != Some(value))
        .map(|(key, value)| {
            let other = b.get(key).cloned().unwrap_or_default();
            format!("{key}: {value} and {other}")
        })
        .collect()
}

/// Appends a shard's record lines (verified whole); a domain in two shards means they
/// are not one split after all.
fn copy_records(
    part: &Part,
    out: &mut impl std::io::Write,
    seen: &mut HashSet<u64>,
) -> anyhow::Result<()> {
    let path = records::results_file(&part.dir)
        .with_context(|| format!("{} holds no records", part.dir.display()))?;
    records::each_line(&path, |_, line| {
        let Some(domain) = records::domain_of(line) else {
            bail!("{}: a line that is not a record", path.display());
        };
        if !seen.insert(input::name_hash(&domain)) {
            bail!("{domain} is in more than one shard");
        }
        out.write_all(line)?;
        Ok(())
    })
}

/// The first shard's `scan.json` with the shards' times, counts and lookups combined.
fn merged_scan_json(parts: &[Part], domains: u64) -> ScanJson {
    let mut scan = parts[0].scan.clone();
    let sum = |get: &dyn Fn(&ScanJson) -> u64| parts.iter().map(|p| get(&p.scan)).sum::<u64>();
    scan.started_at = parts
        .iter()
        .map(|p| p.scan.started_at.clone())
        .min()
        .unwrap_or_default();
    scan.finished_at = parts
        .iter()
        .map(|p| p.scan.finished_at.clone())
        .max()
        .unwrap_or_default();
    // The shards ran side by side: the merged scan took as long as the slowest one.
    scan.elapsed_seconds = parts
        .iter()
        .map(|p| p.scan.elapsed_seconds)
        .fold(0.0, f64::max);
    scan.domains_per_second = if scan.elapsed_seconds > 0.0 {
        domains as f64 / scan.elapsed_seconds
    } else {
        0.0
    };
    scan.domains = domains;
    scan.resumes = parts.iter().map(|p| p.scan.resumes).sum();
    // Every shard read the whole list: its line counts are the list's; the domains were
    // divided between them.
    scan.input.domains = sum(&|s| s.input.domains);
    scan.input.already_scanned = sum(&|s| s.input.already_scanned);
    scan.input.other_shards = 0;
    scan.options.shard = None;
    if let Some(dns) = &mut scan.dns {
        let figures: Vec<_> = parts.iter().filter_map(|p| p.scan.dns.as_ref()).collect();
        let total = |get: &dyn Fn(&crate::dns::DnsFigures) -> u64| {
            figures.iter().map(|f| get(f)).sum::<u64>()
        };
        // `None` (the standard transport does not count it) stays none.
        let optional = |get: &dyn Fn(&crate::dns::DnsFigures) -> Option<u64>| {
            figures.iter().map(|f| get(f)).sum::<Option<u64>>()
        };
        dns.lookups = total(&|f| f.lookups);
        dns.temp_failures = total(&|f| f.temp_failures);
        dns.queries_sent = optional(&|f| f.queries_sent);
        dns.tcp_fallbacks = optional(&|f| f.tcp_fallbacks);
        dns.spoofed_or_stray = optional(&|f| f.spoofed_or_stray);
        dns.window_decreases = optional(&|f| f.window_decreases);
        dns.smallest_window = figures.iter().filter_map(|f| f.smallest_window).min();
        // The shards' causes of DNS failures, added up, most frequent first.
        let mut causes = Causes::default();
        let mut resolvers: Vec<String> = Vec::new();
        for f in &figures {
            for c in &f.failure_causes {
                causes.add(&c.cause, c.questions);
            }
            for resolver in &f.resolvers {
                if !resolvers.contains(resolver) {
                    resolvers.push(resolver.clone());
                }
            }
        }
        dns.failure_causes = FailureCause::from_top(&causes);
        dns.resolvers = resolvers;
    }
    scan.merged_from = Some(parts.iter().map(|p| p.dir.display().to_string()).collect());
    scan
}
