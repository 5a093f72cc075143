//! The flags of a scan as data: what `resume.json` keeps so that `scan --resume` runs the
//! rest of a scan as it was started. Their own serde types, not clap's, so that a change
//! to the command line's shape never changes the file's; the field names are the flags'
//! (`--dns-in-flight` is `dns_in_flight`), which is also how a flag given again with
//! `--resume` is found and compared.

use std::path::PathBuf;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::cli::{DnsArgs, PolicyArgs, ScanArgs, SmtpArgs};
use crate::dns::Transport;
use crate::exit::usage;
use crate::record::Part;
use crate::shard::Shard;
use crate::smtp::prober::MxSelection;
use crate::stats::fail_on::FailOn;

/// The lists and options of a scan, lists and the suffix list as absolute paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ScanFlags {
    pub lists: Vec<PathBuf>,
    pub shard: Option<Shard>,
    pub policy: PolicyFlags,
    pub dns: DnsFlags,
    pub smtp: SmtpFlags,
    pub out: Option<PathBuf>,
    pub jsonl: Option<String>,
    pub csv_bom: bool,
    #[serde(default)]
    pub fail_on: Vec<FailOn>,
    pub concurrency: usize,
    pub domain_timeout: f64,
    #[serde(default)]
    pub retry_temperror: u32,
    pub scan_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PolicyFlags {
    pub psl: Option<PathBuf>,
    /// `--dkim` as given, an `@FILE` made absolute; absent from scans made before it.
    #[serde(default)]
    pub dkim: Option<String>,
    #[serde(default)]
    pub bimi_selector: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DnsFlags {
    pub resolver: Vec<String>,
    pub timeout: f64,
    pub attempts: usize,
    pub dns_in_flight: usize,
    pub qps: Option<u32>,
    pub transport: Option<Transport>,
    pub udp_sockets: usize,
    #[serde(default)]
    pub randomise_case: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SmtpFlags {
    pub no_starttls: bool,
    pub starttls_mx: MxSelection,
    pub helo: Option<String>,
    pub smtp_per_address: usize,
    pub smtp_concurrency: usize,
    pub smtp_port: u16,
    #[serde(default)]
    pub allow_nonpublic: bool,
    #[serde(default)]
    pub no_mta_sts: bool,
    #[serde(default)]
    pub skip: Vec<Part>,
    #[serde(default = "default_mta_sts_port")]
    pub mta_sts_port: u16,
    /// Absolute, so that the scan resumes from any directory.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_mta_sts_port() -> u16 {
    crate::mta_sts::fetch::DEFAULT_PORT
}

impl From<&PolicyArgs> for PolicyFlags {
    fn from(args: &PolicyArgs) -> Self {
        let PolicyArgs {
            psl,
            dkim,
            bimi_selector,
        } = args;
        Self {
            psl: psl.clone(),
            dkim: dkim.clone(),
            bimi_selector: bimi_selector.clone(),
        }
    }
}

impl From<&DnsArgs> for DnsFlags {
    fn from(args: &DnsArgs) -> Self {
        let DnsArgs {
            resolver,
            timeout,
            attempts,
            dns_in_flight,
            qps,
            transport,
            udp_sockets,
            randomise_case,
        } = args;
        Self {
            resolver: resolver.clone(),
            timeout: *timeout,
            attempts: *attempts,
            dns_in_flight: *dns_in_flight,
            qps: *qps,
            transport: transport.map(Into::into),
            udp_sockets: *udp_sockets,
            randomise_case: *randomise_case,
        }
    }
}

impl From<&SmtpArgs> for SmtpFlags {
    fn from(args: &SmtpArgs) -> Self {
        let SmtpArgs {
            no_starttls,
            starttls_mx,
            helo,
            smtp_per_address,
            smtp_concurrency,
            smtp_port,
            allow_nonpublic,
            no_mta_sts,
            mta_sts_port,
            skip,
            ca_file,
        } = args;
        Self {
            no_starttls: *no_starttls,
            starttls_mx: (*starttls_mx).into(),
            helo: helo.clone(),
            smtp_per_address: *smtp_per_address,
            smtp_concurrency: *smtp_concurrency,
            smtp_port: *smtp_port,
            allow_nonpublic: *allow_nonpublic,
            no_mta_sts: *no_mta_sts,
            skip: skip.iter().map(|&part| part.into()).collect(),
            mta_sts_port: *mta_sts_port,
            ca_file: ca_file.clone(),
        }
    }
}

impl ScanFlags {
    /// The flags of `args`, files made absolute so that the scan resumes from any
    /// directory. Every field of [`ScanArgs`] is named here, so a new flag cannot be
    /// forgotten.
    pub(crate) fn of(args: &ScanArgs) -> anyhow::Result<Self> {
        let ScanArgs {
            lists,
            shard,
            policy,
            dns,
            smtp,
            out,
            jsonl,
            csv_bom,
            fail_on,
            quiet: _,
            report: _,
            resume: _,
            concurrency,
            domain_timeout,
            retry_temperror,
            scan_time,
            given: _,
        } = args;
        let mut flags = Self {
            lists: lists.clone(),
            shard: *shard,
            policy: policy.into(),
            dns: dns.into(),
            smtp: smtp.into(),
            out: out.clone(),
            jsonl: jsonl.clone(),
            csv_bom: *csv_bom,
            fail_on: fail_on.iter().map(|&kind| kind.into()).collect(),
            concurrency: *concurrency,
            domain_timeout: *domain_timeout,
            retry_temperror: *retry_temperror,
            scan_time: scan_time.clone(),
        };
        for list in &mut flags.lists {
            if list.as_os_str() != "-" {
                *list = std::fs::canonicalize(&*list)
                    .with_context(|| format!("cannot open the list {}", list.display()))?;
            }
        }
        if let Some(ca) = &mut flags.smtp.ca_file {
            *ca = std::fs::canonicalize(&*ca)
                .with_context(|| format!("cannot read the CA file {}", ca.display()))?;
        }
        if let Some(psl) = &mut flags.policy.psl {
            *psl = std::fs::canonicalize(&*psl)
                .with_context(|| format!("cannot read the suffix list {}", psl.display()))?;
        }
        if let Some(dkim) = &mut flags.policy.dkim {
            let (plus, rest) = dkim
                .strip_prefix('+')
                .map_or(("", dkim.as_str()), |r| ("+", r));
            if let Some(file) = rest.strip_prefix('@') {
                let file = std::fs::canonicalize(file)
                    .with_context(|| format!("cannot read the DKIM selector file {file}"))?;
                *dkim = format!("{plus}@{}", file.display());
            }
        }
        Ok(flags)
    }

    /// Refuses flags of `given` (with `--resume`) that differ from the scan's own,
    /// naming each: the rest of a scan runs as it started, or its records would mix two
    /// kinds of scan. A flag given with the scan's own value is accepted.
    pub(crate) fn check_same(&self, given: &ScanArgs) -> anyhow::Result<()> {
        let ours = leaves(&serde_json::to_value(self)?);
        let theirs = leaves(&serde_json::to_value(Self::of(given)?)?);
        let mut differ = Vec::new();
        for id in &given.given {
            if matches!(id.as_str(), "resume" | "quiet") {
                continue;
            }
            let value = |leaves: &[(String, serde_json::Value)]| {
                leaves
                    .iter()
                    .find(|(name, _)| name == id)
                    .map(|(_, value)| value.clone())
                    .unwrap_or_default()
            };
            let (asked, kept) = (value(&theirs), value(&ours));
            if asked != kept {
                differ.push(format!(
                    "--{} {asked} (the scan's: {kept})",
                    id.replace('_', "-")
                ));
            }
        }
        if differ.is_empty() {
            return Ok(());
        }
        Err(usage(format!(
            "--resume continues the scan with its own lists and options; these differ: {}",
            differ.join(", ")
        )))
    }
}

/// The leaf fields of a flags object, by name (nested objects flattened: their field
/// names are distinct).
fn leaves(value: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    if let serde_json::Value::Object(map) = value {
        for (name, value) in map {
            match value {
                serde_json::Value::Object(_) => out.extend(leaves(value)),
                _ => out.push((name.clone(), value.clone())),
            }
        }
    }
    out
}
