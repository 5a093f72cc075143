//! Command-line flags as typed, unvalidated values (clap derive). Nothing here touches
//! the file system or the network; `config` does that.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::exit::EXIT_CODES;

/// A command-line enum (clap's `ValueEnum`, with the help text of each value) and its
/// mapping onto the type the rest of the program uses, which knows nothing of clap.
macro_rules! value_enum {
    ($(#[$meta:meta])* $name:ident => $target:path { $($(#[$doc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
        pub enum $name {
            $($(#[$doc])* $variant),+
        }

        impl From<$name> for $target {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => Self::$variant),+
                }
            }
        }
    };
}

value_enum! {
    /// `--transport`.
    TransportArg => crate::dns::Transport {
        /// A pool of long-lived UDP sockets with its own cache: built for scans.
        Bulk,
        /// hickory's resolver: a socket per question, the system's resolver options.
        Standard,
    }
}

value_enum! {
    /// `--starttls-mx`.
    MxSelectionArg => crate::smtp::prober::MxSelection {
        /// The hosts with the lowest preference: where mail goes first.
        Primary,
        /// Every host.
        All,
    }
}

value_enum! {
    /// `--skip`.
    PartArg => crate::record::Part {
        /// The `_mta-sts` record and the policy's fetch.
        MtaSts,
        /// The `_smtp._tls` record.
        TlsRpt,
        /// The MX hosts' TLSA records (`_25._tcp.<host>`) and their match.
        Dane,
        /// The DKIM key records under `_domainkey.<domain>` (the same as `--dkim off`).
        Dkim,
        /// The BIMI record at `<selector>._bimi.<domain>`.
        Bimi,
    }
}

value_enum! {
    /// `trend --by`.
    ByArg => crate::stats::trend::By {
        /// Every complete scan is a period of its own.
        Scan,
        Day,
        /// ISO 8601 weeks, Monday first: `2023-W14`.
        Week,
        Month,
    }
}

value_enum! {
    /// `trend --group`.
    GroupingArg => crate::stats::trend::Grouping {
        /// By the list a scan was made of, named by its file name without the extension.
        List,
        /// By the domain's public suffix (`co.jp`, `go.jp`, …) from the Public Suffix List.
        Suffix,
        /// All domains of a period together.
        None,
    }
}

value_enum! {
    /// `--fail-on`.
    FailOnArg => crate::stats::fail_on::FailOn {
        /// No SPF record.
        SpfMissing,
        /// SPF permerror (syntax, several records, a limit passed, a dangling include…).
        Permerror,
        /// SPF needs more than 10 DNS-querying terms.
        TooManyLookups,
        /// An SPF include whose target publishes no SPF record.
        DanglingInclude,
        /// No DMARC record covers the domain.
        DmarcMissing,
        /// A DMARC record that is not valid.
        DmarcInvalid,
        /// DMARC policy `none`.
        DmarcNone,
        /// An MX host that answered EHLO did not complete STARTTLS.
        StarttlsMissing,
        /// An MTA-STS policy that would refuse mail to an MX host (in testing mode, once
        /// enforced).
        MtaStsWouldFail,
        /// SPF, DMARC or MX ended in temperror (MTA-STS and TLS-RPT failures stay in
        /// their parts).
        Temperror,
    }
}

const INPUT: &str = "Input";
const DNS: &str = "DNS";
const STARTTLS: &str = "STARTTLS and MTA-STS";
const OUTPUT: &str = "Output";
const CONTROL: &str = "Scan control";

const MAIN_EXAMPLES: &str = "\
Examples:
  mailposture scan domain-lists/jp-financial-banks.txt
  mailposture scan big.txt --resolver 127.0.0.1 --concurrency 2000
  mailposture check example.co.jp example.com
  mailposture trend --by month --report reports/trend
  mailposture report reports/scans/jp-financial-banks/2026-12-01T00-00-00Z
";

const SCAN_EXAMPLES: &str = "\
Examples:
  mailposture scan a.txt b.txt --out scans/today
  cat domains.txt | mailposture scan - --jsonl - | jq .spf.status
  mailposture scan big.txt --resolver 127.0.0.1 --concurrency 2000 --qps 5000
  mailposture scan ours.txt --fail-on permerror,dmarc-missing,dmarc-none
  mailposture scan ours.txt --report
  mailposture scan --resume reports/scans/big/2026-12-01T00-00-00Z
";

const CHECK_EXAMPLES: &str = "\
Examples:
  mailposture check example.co.jp
  mailposture check example.co.jp example.com --json | jq .dmarc.policy
  mailposture check example.co.jp --fail-on dmarc-missing,dmarc-none
";

/// Scan sender domains for SPF, DMARC, MX and STARTTLS posture.
#[derive(Debug, Parser)]
#[command(name = "mailposture", version, about, long_about = None)]
#[command(after_help = format!("{MAIN_EXAMPLES}\n{EXIT_CODES}"))]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's arguments as [`Parser::parse`] does (a usage error ends the
    /// process with clap's message), noting which flags of `scan` were given.
    pub fn parse_given() -> Self {
        use clap::{CommandFactory as _, FromArgMatches as _};
        let matches = Self::command().get_matches();
        let mut cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        if let (Command::Scan(args), Some(("scan", scan))) =
            (&mut cli.command, matches.subcommand())
        {
            args.given = scan
                .ids()
                .map(|id| id.as_str())
                .filter(|id| scan.value_source(id) == Some(clap::parser::ValueSource::CommandLine))
                .map(str::to_owned)
                .collect();
        }
        cli
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan domain lists; write results.jsonl, results.csv and scan.json.
    #[command(after_help = format!("{SCAN_EXAMPLES}\n{EXIT_CODES}"))]
    Scan(ScanArgs),
    /// Check domains now and print what is wrong, in words.
    #[command(after_help = format!("{CHECK_EXAMPLES}\n{EXIT_CODES}"))]
    Check(CheckArgs),
    /// List the scans under a directory: list, time, domains, version, and whether each
    /// finished.
    History(HistoryArgs),
    /// Adoption over time: the figures of every scan (or period) per list, public
    /// suffix or all together; writes trend.csv and prints a table.
    Trend(TrendArgs),
    /// Compare two scans domain by domain; write the domains that changed to a CSV file
    /// and print the counts of each kind of change.
    Diff(DiffArgs),
    /// Write report.html into a scan directory: the headline figures, the findings that
    /// affect the most domains with their fixes, and every domain's verdicts and details.
    Report(ReportArgs),
    /// Join the scan directories of the shards of one scan (`scan --shard I/N`) into one.
    Merge(MergeArgs),
    /// Print a shell completion script, e.g. `mailposture completions bash >
    /// /etc/bash_completion.d/mailposture`.
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `mailposture man > mailposture.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' scan directories, all N of them.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,

    /// The merged scan directory (its results.jsonl must not exist yet).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct TrendArgs {
    /// Where the scans are [default: reports/scans].
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// One row per scan, or per period with the latest complete scan of each list in it.
    #[arg(long, value_enum, default_value_t = ByArg::Scan)]
    pub by: ByArg,

    /// Split each period's domains by list, by public suffix (co.jp, go.jp, …), or not.
    #[arg(long, value_enum, default_value_t = GroupingArg::List)]
    pub group: GroupingArg,

    /// Count in every period only the domains present in all periods (a panel: list
    /// membership changes would otherwise move the figures).
    #[arg(long)]
    pub same_domains: bool,

    /// Write the CSV here, `-` for standard output (the table then goes to standard
    /// error) [default: DIR/trend.csv, replaced each time].
    #[arg(long, value_name = "FILE|-")]
    pub out: Option<PathBuf>,

    /// Also write report.html (charts, the table, the latest period's dangling includes
    /// and permerror kinds) and each chart as an SVG file into this directory.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,

    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older scan directory.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The newer scan directory.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,

    /// The CSV file of changed domains, `-` for standard output (the counts then go to
    /// standard error) [default: NEW/diff-<OLD directory name>.csv].
    #[arg(long, value_name = "FILE|-")]
    pub out: Option<PathBuf>,

    /// Replace the CSV file if it exists.
    #[arg(long)]
    pub force: bool,

    /// Print the counts as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The scan directory.
    #[arg(value_name = "SCAN_DIR")]
    pub dir: PathBuf,

    /// Write the page here instead of SCAN_DIR/report.html.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Where the scans are [default: reports/scans].
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Domain list files, one domain per line (`#` comments); `-` reads standard input.
    #[arg(required_unless_present = "resume", value_name = "LIST|-")]
    pub lists: Vec<PathBuf>,

    /// Scan only shard I of N (counted from 0): the domains whose SHA-256 falls there,
    /// the same on every machine. `mailposture merge` joins the N scan directories.
    #[arg(long, value_name = "I/N", help_heading = INPUT)]
    pub shard: Option<crate::shard::Shard>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub dns: DnsArgs,

    #[command(flatten)]
    pub smtp: SmtpArgs,

    /// Scan directory [default: reports/scans/<list name>/<UTC time>/].
    #[arg(long, value_name = "DIR", help_heading = OUTPUT)]
    pub out: Option<PathBuf>,

    /// Write the JSON lines to this destination instead of results.jsonl; only `-`
    /// (standard output) is accepted, for pipelines.
    #[arg(long, value_name = "-", help_heading = OUTPUT)]
    pub jsonl: Option<String>,

    /// Start results.csv with a UTF-8 byte-order mark (for Excel on Japanese Windows).
    #[arg(long, help_heading = OUTPUT)]
    pub csv_bom: bool,

    /// Exit with code 3 when any domain has one of these findings (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KINDS", help_heading = OUTPUT)]
    pub fail_on: Vec<FailOnArg>,

    /// No progress bar, and no notes about rewritten input lines.
    #[arg(long, short, help_heading = OUTPUT)]
    pub quiet: bool,

    /// Also write report.html into the scan directory when the scan ends: the audit
    /// report `mailposture report` writes (with `--resume`, give it again).
    #[arg(long, help_heading = OUTPUT)]
    pub report: bool,

    /// Continue the interrupted scan in DIR with its own lists and options: the domains
    /// already in its results.jsonl are skipped, the rest appended. No other option but
    /// --quiet may be given.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["lists", "out"], help_heading = CONTROL)]
    pub resume: Option<PathBuf>,

    /// Domains scanned at once. A domain whose name servers do not answer gives its
    /// place to the next while it waits (up to four such domains a place).
    #[arg(long, value_name = "N", default_value_t = crate::scan::ScanOptions::DEFAULT_CONCURRENCY, help_heading = CONTROL)]
    pub concurrency: usize,

    /// Seconds allowed for each of a domain's SPF, DMARC and MX parts before it is a temperror.
    #[arg(long, value_name = "SECS", default_value_t = crate::scan::ScanOptions::DEFAULT_DOMAIN_TIMEOUT.as_secs_f64(), help_heading = CONTROL)]
    pub domain_timeout: f64,

    /// Scan the domains that ended in temperror again at the end, up to N more passes;
    /// each record says in `attempts` which pass produced it.
    #[arg(long, value_name = "N", default_value_t = 0, help_heading = CONTROL)]
    pub retry_temperror: u32,

    /// Record this time (RFC 3339, e.g. 2023-04-01T00:00:00Z) as the scan's time instead
    /// of the clock's: for rebuilding a history, and for tests.
    #[arg(long, value_name = "TIME", help_heading = CONTROL)]
    pub scan_time: Option<String>,

    /// The flags given on the command line (their clap ids, which are the field names),
    /// as opposed to left at their defaults: `--resume` compares those with the scan's.
    #[arg(skip)]
    pub given: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The domains (a URL or e-mail address is accepted too).
    #[arg(required = true, value_name = "DOMAIN")]
    pub domains: Vec<String>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub dns: DnsArgs,

    #[command(flatten)]
    pub smtp: SmtpArgs,

    /// Print the JSON record instead of the readable report (JSON lines, one record
    /// per domain, when several are checked).
    #[arg(long, help_heading = OUTPUT)]
    pub json: bool,

    /// Exit with code 3 when a domain has one of these findings (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KINDS", help_heading = OUTPUT)]
    pub fail_on: Vec<FailOnArg>,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = STARTTLS)]
pub struct SmtpArgs {
    /// Do not connect to MX hosts to probe STARTTLS.
    #[arg(long)]
    pub no_starttls: bool,

    /// Which MX hosts to probe: the lowest-preference ones, or all.
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = MxSelectionArg::Primary)]
    pub starttls_mx: MxSelectionArg,

    /// Name sent in EHLO [default: this machine's host name]. Receivers check it: many
    /// slow down or refuse a client whose EHLO name is not a name that resolves to it.
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,

    /// SMTP connections open at once to one MX address.
    #[arg(long, value_name = "N", default_value_t = crate::smtp::prober::StarttlsOptions::DEFAULT_PER_ADDRESS)]
    pub smtp_per_address: usize,

    /// SMTP connections open at once over the whole scan.
    #[arg(long, value_name = "N", default_value_t = crate::smtp::prober::StarttlsOptions::DEFAULT_CONCURRENCY)]
    pub smtp_concurrency: usize,

    /// Port of the MX hosts' SMTP service (25; another only for tests).
    #[arg(long, value_name = "PORT", default_value_t = 25)]
    pub smtp_port: u16,

    /// Probe MX addresses, and fetch MTA-STS policies from addresses, that are not
    /// public (loopback, private-use, link-local, documentation...), which are otherwise
    /// recorded as skipped: for auditing internal mail servers, and for tests on loopback.
    #[arg(long)]
    pub allow_nonpublic: bool,

    /// Do not fetch MTA-STS policies over HTTPS (the `_mta-sts` and `_smtp._tls` TXT
    /// records are still read).
    #[arg(long)]
    pub no_mta_sts: bool,

    /// Port of the MTA-STS policy hosts' HTTPS service (443; another only for tests).
    #[arg(long, value_name = "PORT", default_value_t = crate::mta_sts::fetch::DEFAULT_PORT)]
    pub mta_sts_port: u16,

    /// Parts of the record not looked at (comma-separated); they are null in the record
    /// and their figures `n/a`. `--skip mta-sts,tls-rpt,dane` asks no more questions than
    /// a scan of SPF, DMARC and MX.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "PARTS")]
    pub skip: Vec<PartArg>,

    /// PEM file of further trust anchors, added to the built-in web PKI roots, for the
    /// certificates of MX hosts (STARTTLS) and of MTA-STS policy hosts (HTTPS): for a
    /// private PKI, and for tests with a test CA.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = INPUT)]
pub struct PolicyArgs {
    /// Public Suffix List file for RFC 7489 Organizational Domains, e.g. a fresh copy of
    /// public_suffix_list.dat [default: the snapshot built into the program].
    #[arg(long, value_name = "FILE")]
    pub psl: Option<PathBuf>,

    /// DKIM selectors asked under `_domainkey.<domain>` (only when that name exists):
    /// `common` (a built-in list of common providers' selectors), `off`, a
    /// comma-separated list or `@FILE` (one selector a line) asked instead, or `+LIST` /
    /// `+@FILE` asked as well [default: common for check, off for scan].
    #[arg(long, alias = "dkim-selectors", value_name = "off|common|LIST|@FILE")]
    pub dkim: Option<String>,

    /// The BIMI selector: the record asked is `<selector>._bimi.<domain>` [default:
    /// default].
    #[arg(long, value_name = "SELECTOR")]
    pub bimi_selector: Option<String>,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = DNS)]
pub struct DnsArgs {
    /// Recursive resolver ADDR[:PORT] (IPv6 as [ADDR]:PORT), repeatable
    /// [default: the system's, from /etc/resolv.conf].
    #[arg(long, value_name = "ADDR[:PORT]")]
    pub resolver: Vec<String>,

    /// Seconds the first try of a DNS question waits for its answer (with the bulk
    /// transport a retry waits less: twice the measured RTO per earlier try, at least
    /// 1 s, at most this).
    #[arg(long, value_name = "SECS", default_value_t = crate::dns::ResolverSettings::DEFAULT_TIMEOUT.as_secs_f64())]
    pub timeout: f64,

    /// Tries per DNS question before it counts as a temporary failure.
    #[arg(long, value_name = "N", default_value_t = crate::dns::ResolverSettings::DEFAULT_ATTEMPTS)]
    pub attempts: usize,

    /// The most DNS questions in flight at once: the ceiling of a window that grows
    /// while the resolver answers and halves when it shows distress; questions long
    /// unanswered wait outside it, up to as many again (with the standard transport
    /// each holds a socket: keep it under the open-file limit, `ulimit -n`).
    #[arg(long, value_name = "N", default_value_t = crate::dns::ResolverSettings::DEFAULT_MAX_IN_FLIGHT)]
    pub dns_in_flight: usize,

    /// At most N DNS questions a second over the whole scan (a burst of up to N at
    /// once). Large public resolvers limit each client, e.g. to about 1,500 a second.
    #[arg(long, value_name = "N")]
    pub qps: Option<u32>,

    /// How questions reach the resolvers: `bulk` multiplexes them over a few long-lived
    /// UDP sockets with its own cache; `standard` is hickory's resolver, a socket per
    /// question [default: bulk for scan, standard for check].
    #[arg(
        long,
        value_enum,
        value_name = "TRANSPORT",
        env = "MAILPOSTURE_TRANSPORT"
    )]
    pub transport: Option<TransportArg>,

    /// UDP sockets of the bulk transport.
    #[arg(long, value_name = "N", default_value_t = crate::dns::ResolverSettings::DEFAULT_UDP_SOCKETS)]
    pub udp_sockets: usize,

    /// Bulk transport: send names in randomised letter case and accept only answers that
    /// echo it exactly ("0x20", a further defence against forged answers; a few
    /// resolvers and middleboxes do not preserve case).
    #[arg(long)]
    pub randomise_case: bool,
}
