//! Runs the subcommands on validated configuration.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use clap::CommandFactory as _;
use futures::StreamExt as _;

use crate::cli::{Cli, Command, DiffArgs, HistoryArgs, MergeArgs, ReportArgs};
use crate::config::{CheckConfig, DEFAULT_SCANS_DIR, ScanConfig, TrendConfig};
use crate::dns::Dns;
use crate::exit::{Exit, Signal};
use crate::output::summary::SummaryJson;
use crate::output::{self, Writer, text};
use crate::page;
use crate::progress::Progress;
use crate::record::SCHEMA;
use crate::scan::{self, ScanOptions, Scanner, Selection};
use crate::scandir::history;
use crate::scandir::scan_json::{MtaStsJson, ScanJsonOptions, StarttlsJson};
use crate::scandir::{self, ScanJson};
use crate::stats::facts::Facts;
use crate::stats::fail_on::{self, FailOn};
use crate::stats::health::{self, Notice};
use crate::stats::{Adoption, Tally, diff, trend};

/// Runs the command line; errors are run-level failures (exit code 1), or usage errors
/// (2) when they are [`crate::exit::UsageError`]s.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    // One thread runs every domain's tasks and the DNS sockets' receivers (the writer and
    // the list reader have their own). Measured on the 10k benchmark world against the
    // multi-thread runtime's two workers: 20–25% less CPU per domain and no slower, as an
    // answer no longer wakes a task parked on another thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match cli.command {
        Command::Scan(args) => {
            let config = ScanConfig::from_cli(args)?;
            runtime.block_on(run_scan(config))
        }
        Command::Check(args) => {
            let config = CheckConfig::from_cli(args)?;
            runtime.block_on(run_check(config))
        }
        Command::History(args) => run_history(&args),
        Command::Trend(args) => run_trend(&TrendConfig::from_cli(args)?),
        Command::Diff(args) => run_diff(&args),
        Command::Merge(args) => run_merge(&args),
        Command::Report(args) => run_report(&args),
        Command::Completions(args) => {
            let mut command = Cli::command();
            clap_complete::generate(
                args.shell,
                &mut command,
                "mailposture",
                &mut std::io::stdout(),
            );
            Ok(Exit::Success)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .context("writing the man page")?;
            Ok(Exit::Success)
        }
    }
}

fn run_trend(config: &TrendConfig) -> anyhow::Result<Exit> {
    let scans = history::find_scans(&config.dir)?;
    let trend = trend::compute(&scans, &config.options)?;
    if trend.rows.is_empty() {
        anyhow::bail!("no complete scan under {}", config.dir.display());
    }
    output::trend::write_csv(&trend, &config.out)?;
    if output::is_stdout(&config.out) {
        // Standard output carries the CSV: the table goes beside it, not into it.
        eprint!("{}", text::trend(&trend));
    } else {
        print!("{}", text::trend(&trend));
        eprintln!("wrote {}", config.out.display());
    }
    if let Some(dir) = &config.report {
        page::write_trend_page(&trend, dir)?;
        eprintln!("wrote {}", dir.join("report.html").display());
    }
    Ok(Exit::Success)
}

fn run_history(args: &HistoryArgs) -> anyhow::Result<Exit> {
    let dir = args.dir.clone().unwrap_or_else(|| DEFAULT_SCANS_DIR.into());
    let scans = history::find_scans(&dir)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&scans)?);
    } else {
        print!("{}", text::history(&scans));
    }
    Ok(Exit::Success)
}

fn run_report(args: &ReportArgs) -> anyhow::Result<Exit> {
    if !args.dir.is_dir() {
        anyhow::bail!("{} is not a scan directory", args.dir.display());
    }
    // One writer per scan directory: not while a scan is writing it.
    let _lock = scandir::Lock::acquire(&args.dir)?;
    let written = page::audit::write_audit_page(&args.dir, args.out.as_deref())?;
    eprintln!("{}", written.text());
    Ok(Exit::Success)
}

fn run_merge(args: &MergeArgs) -> anyhow::Result<Exit> {
    let merged = output::merge::merge(&args.dirs, &args.out)?;
    eprintln!(
        "merged {} shards: {} domains in {}",
        merged.shards,
        merged.domains,
        args.out.display()
    );
    Ok(Exit::Success)
}

fn run_diff(args: &DiffArgs) -> anyhow::Result<Exit> {
    let out = match &args.out {
        Some(out) => out.clone(),
        None => {
            // `OLD` may be `.` or end in `..`: name it by where it really is.
            let old = std::fs::canonicalize(&args.old)
                .with_context(|| format!("reading {}", args.old.display()))?;
            let name = old.file_name().unwrap_or(old.as_os_str()).to_string_lossy();
            args.new.join(format!("diff-{name}.csv"))
        }
    };
    output::diff::check_out(&out, args.force)?;
    let diff = diff::compare_scans(&args.old, &args.new, &out)?;
    output::diff::write_csv(&diff, &out, args.force)?;
    let summary = diff.summary;
    let counts = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&summary)?)
    } else {
        summary.text()
    };
    // With `--out -` standard output carries the CSV; the counts go beside it.
    if output::is_stdout(&out) {
        eprint!("{counts}");
    } else {
        print!("{counts}");
    }
    Ok(Exit::Success)
}

async fn run_scan(mut config: ScanConfig) -> anyhow::Result<Exit> {
    let start = Instant::now();
    let interrupted = interruption()?;
    let dns = Dns::from_settings(&config.resolver)?;
    // Before any domain: every answer's DNSSEC state depends on it.
    dns.check_validation().await;
    let scanner = Arc::new(Scanner::new(dns.clone(), config.options.clone()));
    let writer = open_scan_dir(&mut config)?;
    let progress = Progress::new(config.total, config.quiet);
    let selection = Selection {
        done: config.done.take().map(|done| done.domains),
        shard: config.shard,
    };
    let lists = config.lists.take().context("the lists were read already")?;
    let run = scan::run(
        scanner,
        lists,
        &writer,
        &progress,
        !config.quiet,
        selection,
        interrupted,
    )
    .await;
    progress.finish();
    // Whatever happened to the input, the records already scanned are kept.
    // The lock stays held until scan.json, the last file, is written.
    let (tally, _lock) = writer.finish()?;
    let run = run?;
    let dir = &config.output.dir;
    if let Some(signal) = run.interrupted {
        eprintln!(
            "{}: scan interrupted; the domains finished are in {}",
            signal.name(),
            dir.display()
        );
        if config.resume_file.is_some() {
            eprintln!("resume with: mailposture scan --resume {}", dir.display());
        }
        return Ok(Exit::Interrupted(signal));
    }
    // A resumed scan's records came from several runs: its CSV and figures are made
    // from the whole of results.jsonl.
    let tally = if config.output.resume {
        output::csv::rebuild(dir, config.output.csv_bom).map_err(|e| scandir::resumable(e, dir))?
    } else {
        tally
    };
    let scan = scan_json(&config, &tally, run.input, dns.figures(), start.elapsed());
    let figures = tally.adoption();
    let notices = health::notices(&figures, scan.dns.as_ref());
    scandir::finish(dir, &SummaryJson::of(&scan, &notices, &figures), &scan)?;
    anstream::eprintln!("{}", text::summary(&scan, &figures, &notices, dir));
    if config.report {
        let written = page::audit::write_audit_page(dir, None)?;
        eprintln!("{}", written.text());
    }
    Ok(verdict(&notices, &figures, &config.fail_on))
}

/// Takes the scan directory (its lock, held from here to the end) and writes its
/// `resume.json` before any record, so that a scan stopped at any later point can be
/// resumed; a directory holding a scan is refused first, so that its own stays.
fn open_scan_dir(config: &mut ScanConfig) -> anyhow::Result<Writer> {
    let dir = &config.output.dir;
    let lock = match config.lock.take() {
        Some(lock) => lock,
        None => scandir::create(dir)?,
    };
    if !config.output.resume {
        scandir::refuse_existing(dir)?;
    }
    if let Some(file) = &config.resume_file {
        file.write(dir).map_err(|e| scandir::resumable(e, dir))?;
    }
    Writer::start(&config.output, lock)
}

/// The `scan.json` of the finished scan `config` describes.
fn scan_json(
    config: &ScanConfig,
    tally: &Tally,
    input: scandir::InputCounts,
    dns: crate::dns::DnsFigures,
    elapsed: std::time::Duration,
) -> ScanJson {
    let elapsed = elapsed.as_secs_f64();
    let resolvers = &config.resolver.servers;
    ScanJson {
        tool: env!("CARGO_PKG_NAME").into(),
        version: env!("CARGO_PKG_VERSION").into(),
        schema: SCHEMA,
        started_at: config.started_at.clone(),
        finished_at: crate::record::now_rfc3339(),
        elapsed_seconds: elapsed,
        domains_per_second: if elapsed > 0.0 {
            tally.domains() as f64 / elapsed
        } else {
            0.0
        },
        lists: config.list_names.clone(),
        resolver: if resolvers.is_empty() {
            vec!["system".into()]
        } else {
            resolvers.iter().map(ToString::to_string).collect()
        },
        options: options_record(config),
        input,
        domains: tally.domains(),
        resumes: config.resume_file.as_ref().map_or(0, |f| f.resumes),
        dns: Some(dns),
        merged_from: None,
    }
}

/// How a run that produced `figures` ends: a failure when nothing was measured, else
/// findings when `--fail-on` names kinds that were found (said on standard error).
fn verdict(notices: &[Notice], figures: &Adoption, kinds: &[FailOn]) -> Exit {
    if notices.iter().any(Notice::is_failure) {
        return Exit::Failure;
    }
    let found = fail_on::matched(figures, kinds);
    if found.is_empty() {
        return Exit::Success;
    }
    let list: Vec<String> = found
        .iter()
        .map(|(kind, n)| format!("{} ({n})", kind.name()))
        .collect();
    eprintln!(
        "mailposture: --fail-on: found {}; exit code {}",
        list.join(", "),
        Exit::Findings.code()
    );
    Exit::Findings
}

/// Catches SIGINT and SIGTERM from now on (the handlers are installed here, not when
/// the future is first polled); the future resolves to the first one's name.
fn interruption() -> anyhow::Result<impl Future<Output = Signal> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("catching SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("catching SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => Signal::Interrupt,
            _ = terminate.recv() => Signal::Terminate,
        }
    })
}

/// The settings of the scan that `scan.json` records.
fn options_record(config: &ScanConfig) -> ScanJsonOptions {
    let ScanOptions {
        concurrency,
        domain_timeout,
        memo_capacity,
        suffix_list,
        starttls,
        mta_sts,
        skip,
        dkim_selectors,
        bimi_selector,
        unpublished_policies: _,
        scan_time,
        retry_temperror,
    } = &config.options;
    ScanJsonOptions {
        concurrency: concurrency.get(),
        domain_timeout_seconds: domain_timeout.as_secs_f64(),
        memo_capacity: *memo_capacity,
        public_suffix_list: suffix_list.origin().to_owned(),
        dns_timeout_seconds: config.resolver.timeout.as_secs_f64(),
        dns_attempts: config.resolver.attempts,
        dns_cache_size: config.resolver.cache_size,
        dns_in_flight: config.resolver.max_in_flight,
        dns_qps: config.resolver.max_qps.map(|n| n.get()),
        csv_bom: config.output.csv_bom,
        scan_time: scan_time.clone(),
        retry_temperror: *retry_temperror,
        shard: config.shard,
        starttls: starttls.as_ref().map(|s| StarttlsJson {
            hosts: s.hosts,
            smtp_concurrency: s.concurrency.get(),
            smtp_per_address: s.per_address.get(),
            helo: s.settings.helo.clone(),
            port: s.settings.port,
            allow_nonpublic: s.guard.allows_nonpublic(),
        }),
        skip: skip.clone(),
        dkim_selectors: dkim_selectors
            .as_ref()
            .filter(|_| !skip.contains(&crate::record::Part::Dkim))
            .map(|s| s.to_vec()),
        bimi_selector: (!skip.contains(&crate::record::Part::Bimi)).then(|| bimi_selector.clone()),
        mta_sts: mta_sts.as_ref().map(|m| MtaStsJson {
            port: m.port,
            allow_nonpublic: m.guard.allows_nonpublic(),
        }),
    }
}

/// Domains `check` scans at once: enough to hide round trips, few enough to stay polite
/// to the system's resolver.
const CHECK_CONCURRENCY: usize = 8;

async fn run_check(config: CheckConfig) -> anyhow::Result<Exit> {
    let dns = Dns::from_settings(&config.resolver)?;
    dns.check_validation().await;
    let scanner = Scanner::new(dns.clone(), config.options);
    let several = config.domains.len() > 1;
    // In the order given, each printed as soon as it and those before it are done.
    let mut reports = futures::stream::iter(&config.domains)
        .map(|domain| scanner.scan(domain))
        .buffered(CHECK_CONCURRENCY);
    let mut tally = Tally::default();
    let mut first = true;
    while let Some(report) = reports.next().await {
        tally.add(&Facts::from(&report));
        if config.json && several {
            println!("{}", serde_json::to_string(&report)?);
        } else if config.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            if !first {
                println!();
            }
            anstream::print!("{}", text::domain(&report));
        }
        first = false;
    }
    let figures = tally.adoption();
    let notices = health::notices(&figures, Some(&dns.figures()));
    for notice in &notices {
        anstream::eprintln!("{}", text::notice(notice));
    }
    Ok(verdict(&notices, &figures, &config.fail_on))
}
