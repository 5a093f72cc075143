//! `scan.json`: what was scanned, how and when, so that later scans can be lined up
//! against each other; written last, it marks the scan finished.
//!
//! Fields may be added; a file written by an older version, without them, still reads
//! (they take their defaults), but a field of the wrong type makes the file unreadable,
//! and the scan damaged, rather than silently zero.

use serde::{Deserialize, Serialize};

use crate::dns::DnsFigures;
use crate::shard::Shard;
use crate::smtp::prober::MxSelection;

/// The whole of `scan.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanJson {
    pub tool: String,
    pub version: String,
    /// The record format of `results.jsonl` ([`crate::record::SCHEMA`]).
    pub schema: u32,
    pub started_at: String,
    #[serde(default)]
    pub finished_at: String,
    #[serde(default)]
    pub elapsed_seconds: f64,
    #[serde(default)]
    pub domains_per_second: f64,
    /// The lists as given on the command line.
    pub lists: Vec<String>,
    #[serde(default)]
    pub resolver: Vec<String>,
    #[serde(default)]
    pub options: ScanJsonOptions,
    #[serde(default)]
    pub input: InputCounts,
    /// Records written: one per distinct valid domain, the number `results.jsonl` must
    /// hold.
    pub domains: u64,
    /// How many times the scan was interrupted and resumed.
    #[serde(default)]
    pub resumes: u32,
    /// Questions asked, queries sent and answers dropped, of the last run (a resumed scan
    /// counts only its last part; a merged one, the sum of its shards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsFigures>,
    /// The shard directories a merged scan was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Vec<String>>,
}

/// The settings of a scan that shape its records and its pace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScanJsonOptions {
    pub concurrency: usize,
    pub domain_timeout_seconds: f64,
    pub memo_capacity: u64,
    /// Where the Public Suffix List came from: `bundled`, or its file.
    pub public_suffix_list: String,
    pub dns_timeout_seconds: f64,
    pub dns_attempts: usize,
    pub dns_cache_size: u64,
    pub dns_in_flight: usize,
    pub dns_qps: Option<u32>,
    pub csv_bom: bool,
    pub scan_time: Option<String>,
    pub retry_temperror: u32,
    /// `I/N`, as `--shard` takes it.
    #[serde(with = "shard_text")]
    pub shard: Option<Shard>,
    /// Null when STARTTLS was not probed.
    pub starttls: Option<StarttlsJson>,
    /// Parts of the record not looked at (`--skip`).
    #[serde(default)]
    pub skip: Vec<crate::record::Part>,
    /// Null when MTA-STS policies were not fetched (`--no-mta-sts`, or a scan made
    /// before they were).
    #[serde(default)]
    pub mta_sts: Option<MtaStsJson>,
    /// The DKIM selectors asked, in order; null when DKIM was not looked at (`--dkim
    /// off`, or a scan made before it was).
    #[serde(default)]
    pub dkim_selectors: Option<Vec<String>>,
    /// The BIMI selector; null in scans made before BIMI was looked at.
    #[serde(default)]
    pub bimi_selector: Option<String>,
}

/// How MTA-STS policies were fetched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MtaStsJson {
    pub port: u16,
    pub allow_nonpublic: bool,
}

/// How MX hosts were probed for STARTTLS.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StarttlsJson {
    pub hosts: MxSelection,
    pub smtp_concurrency: usize,
    pub smtp_per_address: usize,
    pub helo: String,
    pub port: u16,
    pub allow_nonpublic: bool,
}

/// How the input went.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InputCounts {
    pub domains: u64,
    pub invalid_lines: u64,
    pub duplicates: u64,
    pub rewritten: u64,
    pub read_errors: u64,
    /// Domains a resumed scan found already in `results.jsonl` and skipped.
    pub already_scanned: u64,
    /// Valid domains left to the other shards (`--shard`); not in `domains`.
    pub other_shards: u64,
}

impl ScanJson {
    /// Reads `scan.json` of `dir`.
    pub fn read(dir: &std::path::Path) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let path = super::scan_json(dir);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a scan summary", path.display()))
    }
}

/// A shard as the text `I/N`, and null for none.
mod shard_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::shard::Shard;

    pub(super) fn serialize<S: Serializer>(shard: &Option<Shard>, s: S) -> Result<S::Ok, S::Error> {
        match shard {
            Some(shard) => s.collect_str(shard),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Shard>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| text.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_file_without_the_newer_fields_reads_and_a_wrong_type_does_not() {
        let old = r#"{"tool":"mailposture","version":"0.1.0","schema":1,
            "started_at":"2023-04-01T00:00:00Z","lists":["fin.txt"],"domains":3,
            "options":{"concurrency":256,"shard":"1/4"}}"#;
        let scan: ScanJson = serde_json::from_str(old).unwrap();
        assert_eq!(scan.domains, 3);
        assert_eq!(scan.options.shard, Some(Shard { index: 1, count: 4 }));
        assert_eq!(scan.options.starttls, None);
        assert!(scan.dns.is_none());
        let text = serde_json::to_string(&scan).unwrap();
        assert!(text.contains(r#""shard":"1/4""#), "{text}");

        let wrong = old.replace(r#""domains":3"#, r#""domains":"3""#);
        assert!(serde_json::from_str::<ScanJson>(&wrong).is_err());
        let wrong = old.replace(r#""shard":"1/4""#, r#""shard":"4/4""#);
        assert!(serde_json::from_str::<ScanJson>(&wrong).is_err());
    }
}
