//! Validated settings built from the raw flags: resolver addresses parsed, durations
//! checked, lists opened, the scan directory chosen.

pub(crate) mod flags;

use std::net::{IpAddr, SocketAddr};
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use self::flags::{DnsFlags, PolicyFlags, ScanFlags, SmtpFlags};
use crate::cli::{CheckArgs, ScanArgs, TrendArgs};
use crate::dns::{ResolverSettings, Transport};
use crate::exit::usage;
use crate::input::{self, DomainLists};
use crate::mta_sts::fetch::FetchSettings;
use crate::net::Guard;
use crate::output::OutputSpec;
use crate::progress::Progress;
use crate::psl::SuffixList;
use crate::record::Part;
use crate::scan::ScanOptions;
use crate::scandir::history::list_name;
use crate::scandir::{self, Done, ListIdentity, Lock, ResumeFile};
use crate::shard::Shard;
use crate::smtp::ProbeSettings;
use crate::smtp::prober::StarttlsOptions;
use crate::stats::fail_on::FailOn;
use crate::stats::trend::TrendOptions;
use crate::terminal::Escaped;

/// Where scans go when `--out` is not given.
pub(crate) const DEFAULT_SCANS_DIR: &str = "reports/scans";

/// `trend`: where the scans are, how to count them, where the CSV goes.
pub(crate) struct TrendConfig {
    pub dir: PathBuf,
    pub options: TrendOptions,
    pub out: PathBuf,
    pub report: Option<PathBuf>,
}

impl TrendConfig {
    pub(crate) fn from_cli(args: TrendArgs) -> anyhow::Result<Self> {
        let dir = args.dir.unwrap_or_else(|| DEFAULT_SCANS_DIR.into());
        Ok(Self {
            out: args.out.unwrap_or_else(|| scandir::trend_csv(&dir)),
            report: args.report,
            dir,
            options: TrendOptions {
                by: args.by.into(),
                grouping: args.group.into(),
                same_domains: args.same_domains,
                suffix_list: suffix_list(&(&args.policy).into())?,
            },
        })
    }
}

pub(crate) struct ScanConfig {
    /// The scan directory's lock, taken before a resume reads the directory; a new scan
    /// takes it when it creates the directory.
    pub lock: Option<Lock>,
    /// Taken by the run that reads them.
    pub lists: Option<DomainLists>,
    pub list_names: Vec<String>,
    /// Candidate lines in the lists, when all are files and a progress bar is shown.
    pub total: Option<u64>,
    pub resolver: ResolverSettings,
    pub options: ScanOptions,
    pub output: OutputSpec,
    pub quiet: bool,
    /// The scan's start, kept across resumptions.
    pub started_at: String,
    /// Written into the scan directory as it starts; None for `--jsonl -`.
    pub resume_file: Option<ResumeFile<ScanFlags>>,
    /// When resuming: what the interrupted scan already wrote.
    pub done: Option<Done>,
    pub shard: Option<Shard>,
    pub fail_on: Vec<FailOn>,
    /// Write report.html at the end.
    pub report: bool,
}

impl ScanConfig {
    pub(crate) fn from_cli(args: ScanArgs) -> anyhow::Result<Self> {
        match args.resume.clone() {
            Some(dir) => Self::resume(&dir, args),
            None => Self::start(args),
        }
    }

    /// A new scan, and the `resume.json` it will leave.
    fn start(args: ScanArgs) -> anyhow::Result<Self> {
        let started_at = match &args.scan_time {
            Some(text) => scan_time(text)?,
            None => crate::record::now_rfc3339(),
        };
        if args.report && args.jsonl.is_some() {
            return Err(usage(
                "--report reads the scan's results.jsonl, which --jsonl - does not write",
            ));
        }
        let flags = ScanFlags::of(&args)?;
        let resume_file = match args.jsonl {
            Some(_) => None,
            None => {
                // Reads each list once more before the scan: 0.13 s for a list of 10⁶
                // names (19 MB), against 8 s for the scan's own pass over it without DNS.
                let mut lists = Vec::with_capacity(flags.lists.len());
                for list in flags.lists.iter().filter(|l| l.as_os_str() != "-") {
                    lists.extend(ListIdentity::of(list)?);
                }
                Some(ResumeFile {
                    tool: env!("CARGO_PKG_NAME").into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    started_at: started_at.clone(),
                    resumes: 0,
                    args: flags.clone(),
                    lists: Some(lists),
                })
            }
        };
        // The lists as given, not made absolute: they name the scan in scan.json.
        let mut flags = flags;
        flags.lists.clone_from(&args.lists);
        let mut config = Self::build(flags, args.quiet, started_at, resume_file, None)?;
        config.report = args.report;
        Ok(config)
    }

    /// The rest of the interrupted scan in `dir`, with the options it was started with.
    fn resume(dir: &Path, given: ScanArgs) -> anyhow::Result<Self> {
        // One writer at a time: nothing of the directory is read or cut before this.
        let lock = Lock::acquire(dir)?;
        let mut file: ResumeFile<ScanFlags> = ResumeFile::read(dir)?;
        file.args.check_same(&given)?;
        // Before `prepare`, which may cut `results.jsonl`: a refused resume changes nothing.
        for warning in file.check_lists(dir, &file.args.lists)? {
            eprintln!("mailposture: warning: {}", Escaped(&warning));
        }
        let done = scandir::resume::prepare(dir)?;
        file.resumes += 1;
        let mut flags = file.args.clone();
        flags.out = Some(dir.to_path_buf());
        let started_at = file.started_at.clone();
        let mut config = Self::build(flags, given.quiet, started_at, Some(file), Some(done))?;
        config.lock = Some(lock);
        config.report = given.report;
        Ok(config)
    }

    fn build(
        flags: ScanFlags,
        quiet: bool,
        started_at: String,
        resume_file: Option<ResumeFile<ScanFlags>>,
        done: Option<Done>,
    ) -> anyhow::Result<Self> {
        let resolver = resolver_settings(&flags.dns, Transport::Bulk)?;
        let roots = roots(flags.smtp.ca_file.as_deref())?;
        let concurrency = NonZeroUsize::new(flags.concurrency)
            .ok_or_else(|| usage("--concurrency must be at least 1"))?;
        let options = ScanOptions {
            concurrency,
            domain_timeout: seconds("--domain-timeout", flags.domain_timeout)?,
            suffix_list: suffix_list(&flags.policy)?,
            starttls: starttls(&flags.smtp, &roots)?,
            mta_sts: mta_sts(&flags.smtp, &roots),
            skip: flags.smtp.skip.clone(),
            dkim_selectors: dkim_selectors(flags.policy.dkim.as_deref(), false)?,
            bimi_selector: bimi_selector(flags.policy.bimi_selector.as_deref())?,
            scan_time: flags.scan_time.as_deref().map(scan_time).transpose()?,
            retry_temperror: flags.retry_temperror,
            ..ScanOptions::default()
        };
        let jsonl_stdout = match flags.jsonl.as_deref() {
            None => false,
            Some("-") => true,
            Some(other) => {
                return Err(usage(format!(
                    "--jsonl takes only `-` (standard output), not {other:?}"
                )));
            }
        };
        let lists = DomainLists::open(&flags.lists)?;
        // Counting reads every list once more: only worth it for a bar someone sees.
        let total = if Progress::shown(quiet) {
            input::count_candidates(&flags.lists).context("reading the lists")?
        } else {
            None
        };
        let dir = match flags.out {
            Some(dir) => dir,
            None => default_scan_dir(&flags.lists, options.scan_time.as_deref(), flags.shard),
        };
        Ok(Self {
            lock: None,
            lists: Some(lists),
            list_names: flags
                .lists
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            total,
            resolver,
            options,
            output: OutputSpec {
                dir,
                jsonl_stdout,
                csv_bom: flags.csv_bom,
                resume: done.is_some(),
            },
            quiet,
            started_at,
            resume_file,
            done,
            shard: flags.shard,
            fail_on: flags.fail_on,
            report: false,
        })
    }
}

pub(crate) struct CheckConfig {
    /// In the order given, each once.
    pub domains: Vec<String>,
    pub json: bool,
    pub fail_on: Vec<FailOn>,
    pub resolver: ResolverSettings,
    pub options: ScanOptions,
}

impl CheckConfig {
    pub(crate) fn from_cli(args: CheckArgs) -> anyhow::Result<Self> {
        let mut domains = Vec::with_capacity(args.domains.len());
        for given in &args.domains {
            let domain = match input::normalise_line(given) {
                Ok(Some((domain, _))) => domain,
                Ok(None) => return Err(usage(format!("{given:?} holds no domain to check"))),
                Err(reason) => {
                    return Err(usage(format!(
                        "{} is not a domain to check: {reason}",
                        Escaped(given)
                    )));
                }
            };
            if !domains.contains(&domain) {
                domains.push(domain);
            }
        }
        let smtp = SmtpFlags::from(&args.smtp);
        let roots = roots(smtp.ca_file.as_deref())?;
        Ok(Self {
            domains,
            json: args.json,
            fail_on: args.fail_on.iter().map(|&kind| kind.into()).collect(),
            // The bulk transport, as for `scan`: only it can ask the resolver for its
            // DNSSEC verdict, which DNSSEC and DANE need.
            resolver: resolver_settings(&(&args.dns).into(), Transport::Bulk)?,
            options: ScanOptions {
                suffix_list: suffix_list(&(&args.policy).into())?,
                starttls: starttls(&smtp, &roots)?,
                mta_sts: mta_sts(&smtp, &roots),
                skip: smtp.skip.clone(),
                dkim_selectors: dkim_selectors(args.policy.dkim.as_deref(), true)?,
                bimi_selector: bimi_selector(args.policy.bimi_selector.as_deref())?,
                unpublished_policies: true,
                ..ScanOptions::default()
            },
        })
    }
}

/// The trust anchors of certificate checks: the web PKI roots built in, and those of
/// `--ca-file`.
fn roots(ca_file: Option<&Path>) -> anyhow::Result<Arc<RootCertStore>> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let Some(path) = ca_file else {
        return Ok(Arc::new(roots));
    };
    let shown = path.display();
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("cannot read the CA file {shown}"))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{shown}: not a PEM file of certificates"))?;
    if certs.is_empty() {
        return Err(usage(format!("{shown} holds no PEM certificate")));
    }
    for (i, cert) in certs.into_iter().enumerate() {
        roots.add(cert).with_context(|| {
            format!(
                "{shown}: certificate {} is not a usable trust anchor",
                i + 1
            )
        })?;
    }
    Ok(Arc::new(roots))
}

fn mta_sts(args: &SmtpFlags, roots: &Arc<RootCertStore>) -> Option<FetchSettings> {
    let fetch = !args.no_mta_sts && !args.skip.contains(&Part::MtaSts);
    fetch.then(|| FetchSettings {
        port: args.mta_sts_port,
        roots: Arc::clone(roots),
        guard: Guard::new(args.allow_nonpublic),
        ..FetchSettings::default()
    })
}

fn starttls(
    args: &SmtpFlags,
    roots: &Arc<RootCertStore>,
) -> anyhow::Result<Option<StarttlsOptions>> {
    if args.no_starttls {
        return Ok(None);
    }
    let concurrency = NonZeroUsize::new(args.smtp_concurrency)
        .ok_or_else(|| usage("--smtp-concurrency must be at least 1"))?;
    let per_address = NonZeroUsize::new(args.smtp_per_address)
        .ok_or_else(|| usage("--smtp-per-address must be at least 1"))?;
    let helo = match &args.helo {
        Some(name) => name.clone(),
        None => host_name().context("no host name found for EHLO: give one with --helo")?,
    };
    // It goes into an SMTP command line: a line break would start another command.
    if helo.is_empty() || helo.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(usage(format!("--helo {helo:?} is not a host name")));
    }
    Ok(Some(StarttlsOptions {
        settings: ProbeSettings {
            port: args.smtp_port,
            helo,
            roots: Arc::clone(roots),
            ..ProbeSettings::default()
        },
        concurrency,
        per_address,
        hosts: args.starttls_mx,
        guard: Guard::new(args.allow_nonpublic),
    }))
}

/// The machine's host name, as the kernel has it.
fn host_name() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
}

fn suffix_list(args: &PolicyFlags) -> anyhow::Result<SuffixList> {
    match &args.psl {
        Some(path) => SuffixList::from_file(path),
        None => Ok(SuffixList::bundled()),
    }
}

/// The DKIM selectors `--dkim` asks for (`None`: off); without the flag, the common
/// ones when `on_by_default`, else none.
fn dkim_selectors(
    flag: Option<&str>,
    on_by_default: bool,
) -> anyhow::Result<Option<Arc<[String]>>> {
    let common = || {
        crate::dkim::selectors::COMMON
            .iter()
            .map(|s| (*s).to_owned())
    };
    let Some(flag) = flag else {
        return Ok(on_by_default.then(|| common().collect()));
    };
    let (extend, given) = match flag.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, flag),
    };
    match given {
        "off" if !extend => return Ok(None),
        "common" if !extend => return Ok(Some(common().collect())),
        _ => {}
    }
    let listed: Vec<String> = match given.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the DKIM selector file {file}"))?
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default().trim().to_owned())
            .filter(|line| !line.is_empty())
            .collect(),
        None => given.split(',').map(|s| s.trim().to_owned()).collect(),
    };
    let mut selectors: Vec<String> = if extend {
        common().collect()
    } else {
        Vec::new()
    };
    for selector in listed {
        let selector = selector.to_ascii_lowercase();
        // A selector is one or more DNS labels (RFC 6376 §3.1).
        crate::dns::check_name(&crate::dkim::selector_name(&selector, "example.invalid"))
            .map_err(|e| usage(format!("--dkim: selector {selector:?}: {e}")))?;
        if selector.is_empty() {
            return Err(usage("--dkim: an empty selector"));
        }
        if !selectors.contains(&selector) {
            selectors.push(selector);
        }
    }
    if selectors.is_empty() {
        return Err(usage("--dkim: no selector given"));
    }
    Ok(Some(selectors.into()))
}

/// `--bimi-selector`, checked as a DNS label sequence.
fn bimi_selector(flag: Option<&str>) -> anyhow::Result<String> {
    let selector = flag
        .unwrap_or(crate::bimi::DEFAULT_SELECTOR)
        .to_ascii_lowercase();
    crate::dns::check_name(&crate::bimi::record_name(&selector, "example.invalid"))
        .map_err(|e| usage(format!("--bimi-selector {selector:?}: {e}")))?;
    Ok(selector)
}

/// The resolver settings of a command whose transport is `default` unless `--transport`
/// says otherwise.
fn resolver_settings(args: &DnsFlags, default: Transport) -> anyhow::Result<ResolverSettings> {
    for (flag, value) in [
        ("--udp-sockets", args.udp_sockets),
        ("--attempts", args.attempts),
        ("--dns-in-flight", args.dns_in_flight),
    ] {
        if value == 0 {
            return Err(usage(format!("{flag} must be at least 1")));
        }
    }
    let servers = args
        .resolver
        .iter()
        .map(|s| parse_resolver(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ResolverSettings {
        servers,
        timeout: seconds("--timeout", args.timeout)?,
        attempts: args.attempts,
        max_in_flight: args.dns_in_flight,
        max_qps: args
            .qps
            .map(|n| NonZeroU32::new(n).ok_or_else(|| usage("--qps must be at least 1")))
            .transpose()?,
        transport: args.transport.unwrap_or(default),
        udp_sockets: args.udp_sockets,
        randomise_case: args.randomise_case,
        ..ResolverSettings::default()
    })
}

/// `ADDR`, `ADDR:PORT`, `[V6ADDR]:PORT` or a bare IPv6 address; the port defaults to 53.
pub(crate) fn parse_resolver(text: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => Ok(SocketAddr::new(ip, 53)),
        Err(_) => Err(usage(format!(
            "--resolver {text:?}: expected ADDR[:PORT], e.g. 127.0.0.1:5353 or [::1]:53"
        ))),
    }
}

fn seconds(flag: &str, value: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            usage(format!(
                "{flag} must be a positive number of seconds, not {value}"
            ))
        })
}

/// `--scan-time`, checked and written the way the scan writes its own times.
fn scan_time(text: &str) -> anyhow::Result<String> {
    use time::format_description::well_known::Rfc3339;
    let at = time::OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        usage(format!(
            "--scan-time {text:?} is not an RFC 3339 time, such as 2023-04-01T00:00:00Z"
        ))
    })?;
    Ok(crate::record::rfc3339(at))
}

/// `reports/scans/<list name>/<UTC time>/`: the list name is the first list's file stem
/// (`stdin` for `-`), so repeated scans of one list line up in one directory.
fn default_scan_dir(lists: &[PathBuf], scan_time: Option<&str>, shard: Option<Shard>) -> PathBuf {
    let name = lists
        .first()
        .map_or_else(|| "stdin".into(), |p| list_name(p));
    // Colons are not allowed in Windows file names.
    let stamp = scan_time
        .map_or_else(crate::record::now_rfc3339, str::to_owned)
        .replace(':', "-");
    // Shards of one scan share its time: their directories must still differ.
    let stamp = match shard {
        Some(s) => format!("{stamp}-shard-{}-of-{}", s.index, s.count),
        None => stamp,
    };
    Path::new(DEFAULT_SCANS_DIR).join(name).join(stamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_addresses() {
        for (text, want) in [
            ("127.0.0.1", "127.0.0.1:53"),
            ("127.0.0.1:5353", "127.0.0.1:5353"),
            ("::1", "[::1]:53"),
            ("[::1]", "[::1]:53"),
            ("[::1]:5353", "[::1]:5353"),
        ] {
            assert_eq!(parse_resolver(text).unwrap().to_string(), want, "{text}");
        }
        for bad in ["", "dns.example", "127.0.0.1:99999", "1.2.3"] {
            assert!(parse_resolver(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scan_dir_is_named_after_the_list() {
        let dir = default_scan_dir(&[PathBuf::from("domain-lists/jp-sample.txt")], None, None);
        assert!(
            dir.starts_with("reports/scans/jp-sample"),
            "{}",
            dir.display()
        );
        let dir = default_scan_dir(&[PathBuf::from("-")], None, None);
        assert!(dir.starts_with("reports/scans/stdin"), "{}", dir.display());
        // --scan-time names the directory too, without the colons Windows refuses.
        let at = scan_time("2023-04-01T09:00:00+09:00").unwrap();
        assert_eq!(at, "2023-04-01T00:00:00Z");
        let dir = default_scan_dir(&[PathBuf::from("-")], Some(&at), None);
        assert_eq!(dir, Path::new("reports/scans/stdin/2023-04-01T00-00-00Z"));
        assert!(scan_time("April 2023").is_err());
    }
}
