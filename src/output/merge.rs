//! `mailposture merge`: joins the scan directories of the N shards of one scan
//! (`scan --shard I/N`) into one scan directory, as if one machine had scanned the list.

use std::collections::HashSet;
use std::io::{BufRead as _, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde_json::Value;

use super::summary::SummaryFile;
use super::{RESULTS_CSV, RESULTS_JSONL, SCAN_JSON, SUMMARY_JSON, resume};
use crate::causes::Causes;
use crate::dns::FailureCause;
use crate::input;
use crate::scandir::{self, Lock};
use crate::shard::Shard;
use crate::stats::records;

/// What a merge produced.
#[derive(Debug)]
pub struct Merged {
    pub shards: usize,
    pub domains: u64,
}

/// One shard's directory and its `scan.json`.
struct Part {
    dir: PathBuf,
    scan: Value,
    shard: Shard,
}

/// Checks that `dirs` are the finished shards, all of them, of one scan of the same
/// lists with the same options, and writes their union into `out`. The merged scan is
/// built in a temporary directory beside `out` and renamed into place at the end, so a
/// failed merge leaves nothing behind.
pub fn merge(dirs: &[PathBuf], out: &Path) -> anyhow::Result<Merged> {
    let parts = dirs
        .iter()
        .map(|d| part(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    check(&parts)?;
    // An existing `out` is locked for the whole merge, so that no scan starts in it
    // meanwhile, and must not hold a scan.
    let lock = if out.is_dir() {
        let lock = Lock::acquire(out)?;
        refuse_scan(out)?;
        Some(lock)
    } else {
        None
    };
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
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
        // File by file into the locked `out`; scan.json, which marks a scan finished, last.
        for file in [RESULTS_JSONL, RESULTS_CSV, SUMMARY_JSON, SCAN_JSON] {
            std::fs::rename(building.path().join(file), out.join(file))
                .with_context(|| format!("moving {file} into {}", out.display()))?;
        }
        scandir::sync_dir(out).with_context(|| format!("syncing {}", out.display()))?;
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

/// Refuses an `out` that holds a scan already.
fn refuse_scan(out: &Path) -> anyhow::Result<()> {
    for file in [RESULTS_JSONL, SCAN_JSON] {
        if out.join(file).symlink_metadata().is_ok() {
            bail!(
                "{} already holds a scan ({} exists): give another directory with --out",
                out.display(),
                out.join(file).display()
            );
        }
    }
    Ok(())
}

/// Writes the merged scan into the new, empty directory `out`.
fn build(parts: &[Part], out: &Path) -> anyhow::Result<Merged> {
    let path = out.join(RESULTS_JSONL);
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
    let csv_bom = parts[0].scan["options"]["csv_bom"] == Value::Bool(true);
    let summary = resume::rebuild(out, csv_bom)?.summary();
    let scan = merged_scan_json(parts, summary.domains);
    let file = SummaryFile {
        tool: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
        schema: crate::record::SCHEMA,
        lists: &serde_json::from_value::<Vec<String>>(scan["lists"].clone()).unwrap_or_default(),
        started_at: scan["started_at"].as_str().unwrap_or_default(),
        finished_at: scan["finished_at"].as_str().unwrap_or_default(),
        notices: &crate::stats::health::notices(&summary, None),
        summary: &summary,
    };
    write_json(&out.join(SUMMARY_JSON), &serde_json::to_value(&file)?)?;
    write_json(&out.join(SCAN_JSON), &scan)?;
    Ok(Merged {
        shards: parts.len(),
        domains: summary.domains,
    })
}

fn part(dir: &Path) -> anyhow::Result<Part> {
    let path = dir.join(SCAN_JSON);
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "{} has no {SCAN_JSON}: the shard did not finish (resume it with `scan --resume`)",
            dir.display()
        )
    })?;
    let scan: Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a scan summary", path.display()))?;
    let shard = scan["options"]["shard"]
        .as_str()
        .with_context(|| format!("{} is not a shard (scanned without --shard)", dir.display()))?
        .parse::<Shard>()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
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
    let options = |p: &Part| {
        let mut options = p.scan["options"].clone();
        if let Some(map) = options.as_object_mut() {
            map.remove("shard");
        }
        options
    };
    for part in &parts[1..] {
        for key in ["lists", "schema", "version"] {
            if part.scan[key] != first.scan[key] {
                bail!(
                    "{} and {} are not shards of one scan: their {key} differ ({} and {})",
                    first.dir.display(),
                    part.dir.display(),
                    first.scan[key],
                    part.scan[key]
                );
            }
        }
        if options(part) != options(first) {
            bail!(
                "{} and {} were scanned with different options: {} and {}",
                first.dir.display(),
                part.dir.display(),
                options(first),
                options(part)
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

/// Appends a shard's complete record lines; a domain in two shards means they are not
/// one split after all.
fn copy_records(
    part: &Part,
    out: &mut impl std::io::Write,
    seen: &mut HashSet<u64>,
) -> anyhow::Result<()> {
    let path = records::results_file(&part.dir)
        .with_context(|| format!("{} has no {RESULTS_JSONL}", part.dir.display()))?;
    let mut reader = records::open(&path)?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let Some(domain) = records::domain_of(&line) else {
            bail!("{}: a line that is not a record", path.display());
        };
        if !seen.insert(input::name_hash(&domain)) {
            bail!("{domain} is in more than one shard");
        }
        out.write_all(&line)?;
        if !line.ends_with(b"\n") {
            out.write_all(b"\n")?;
        }
    }
}

/// The first shard's `scan.json` with the shards' times, counts and lookups combined.
fn merged_scan_json(parts: &[Part], domains: u64) -> Value {
    let mut scan = parts[0].scan.clone();
    let text = |p: &Part, key: &str| p.scan[key].as_str().unwrap_or_default().to_owned();
    let number = |p: &Part, key: &str| p.scan[key].as_f64().unwrap_or(0.0);
    // A figure at `path` (keys from the top), summed over the shards.
    let sum = |path: &[&str]| {
        parts
            .iter()
            .map(|p| {
                path.iter()
                    .fold(&p.scan, |v, k| &v[*k])
                    .as_u64()
                    .unwrap_or(0)
            })
            .sum::<u64>()
    };
    let started = parts.iter().map(|p| text(p, "started_at")).min();
    let finished = parts.iter().map(|p| text(p, "finished_at")).max();
    // The shards ran side by side: the merged scan took as long as the slowest one.
    let elapsed = parts
        .iter()
        .map(|p| number(p, "elapsed_seconds"))
        .fold(0.0, f64::max);
    let input_sum = |key: &str| {
        parts
            .iter()
            .map(|p| p.scan["input"][key].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    scan["started_at"] = started.unwrap_or_default().into();
    scan["finished_at"] = finished.unwrap_or_default().into();
    scan["elapsed_seconds"] = elapsed.into();
    scan["domains_per_second"] = if elapsed > 0.0 {
        (domains as f64 / elapsed).into()
    } else {
        0.0.into()
    };
    scan["domains"] = domains.into();
    scan["resumes"] = sum(&["resumes"]).into();
    for key in [
        "lookups",
        "temp_failures",
        "queries_sent",
        "tcp_fallbacks",
        "spoofed_or_stray",
    ] {
        // `null` (the standard transport does not count it) stays null.
        if !scan["dns"][key].is_null() {
            scan["dns"][key] = sum(&["dns", key]).into();
        }
    }
    // The shards' causes of DNS failures, added up, most frequent first.
    let mut causes = Causes::default();
    let mut resolvers: Vec<Value> = Vec::new();
    for part in parts {
        let listed: Vec<FailureCause> =
            serde_json::from_value(part.scan["dns"]["failure_causes"].clone()).unwrap_or_default();
        for c in listed {
            causes.add(&c.cause, c.questions);
        }
        for resolver in part.scan["dns"]["resolvers"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if !resolvers.contains(resolver) {
                resolvers.push(resolver.clone());
            }
        }
    }
    scan["dns"]["failure_causes"] =
        serde_json::to_value(FailureCause::from_top(&causes)).unwrap_or_default();
    scan["dns"]["resolvers"] = resolvers.into();
    // Every shard read the whole list: its line counts are the list's; the domains were
    // divided between them.
    scan["input"]["domains"] = input_sum("domains").into();
    scan["input"]["already_scanned"] = input_sum("already_scanned").into();
    scan["input"]["other_shards"] = 0.into();
    scan["options"]["shard"] = Value::Null;
    scan["merged_from"] = parts
        .iter()
        .map(|p| Value::from(p.dir.display().to_string()))
        .collect();
    scan
}

fn write_json(path: &Path, value: &Value) -> anyhow::Result<()> {
    scandir::write_atomic(path, &serde_json::to_vec_pretty(value)?)
        .with_context(|| format!("writing {}", path.display()))
}
