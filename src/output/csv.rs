//! The flat view of the per-domain record: one CSV row per domain, stable columns, and
//! no cell that a spreadsheet would run as a formula.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::dane::DaneRollup;
use crate::dmarc::DmarcFinding;
use crate::dmarc::Policy;
use crate::dmarc::destination::Destination;
use crate::dmarc::discover::Source;
use crate::mta_sts::Holding;
use crate::mx::MxReport;
use crate::record::DomainRecord;
use crate::scandir::{self, records};
use crate::smtp::Starttls;
use crate::smtp::prober::Rollup;
use crate::stats::Tally;
use crate::stats::facts::Facts;

/// Writes the `results.csv` of the scan in `dir` anew from its records (a resumed or
/// merged scan's came from several runs), through a temporary file so that an
/// interruption leaves the old one, and counts the figures of every record.
pub(crate) fn rebuild(dir: &Path, csv_bom: bool) -> anyhow::Result<Tally> {
    let mut read = None;
    let tally = scandir::rewrite_results_csv(dir, |file| {
        let mut csv = CsvSink::new(BufWriter::new(file), csv_bom).map_err(io::Error::other)?;
        let (mut tally, mut failed) = (Tally::default(), None);
        let result = records::read_records(dir, |report: DomainRecord| {
            if failed.is_none() {
                failed = csv.write(&report).err();
            }
            tally.add(&Facts::from(&report));
        });
        if let Err(error) = result {
            // Not a write failure: kept whole for the caller, and the old file stays.
            read = Some(error);
            return Err(io::Error::other("reading the records failed"));
        }
        if let Some(error) = failed {
            return Err(io::Error::other(error));
        }
        csv.flush()?;
        Ok(tally)
    });
    if let Some(error) = read {
        return Err(error);
    }
    tally
}

/// Column names; a public interface like the JSON field names.
pub const COLUMNS: &[&str] = &[
    "domain",
    "scanned_at",
    "spf_status",
    "spf_errors",
    "spf_lookups",
    "spf_void_lookups",
    "spf_all",
    "spf_dangling_includes",
    "spf_warnings",
    "spf_record",
    "dmarc_status",
    "dmarc_present",
    "dmarc_source",
    "dmarc_policy_domain",
    "dmarc_policy",
    "dmarc_p",
    "dmarc_sp",
    "dmarc_np",
    "dmarc_pct",
    "dmarc_t",
    "dmarc_rua",
    "dmarc_rua_authorized",
    "dmarc_errors",
    "dmarc_warnings",
    "dmarc_record",
    "mx_status",
    "mx_hosts",
    "mx_errors",
    "starttls",
    "starttls_tls_versions",
    "starttls_cert_valid",
    "mta_sts_status",
    "mta_sts_mode",
    "mta_sts_holds",
    "mta_sts_errors",
    "tls_rpt_status",
    "dnssec",
    "dane",
    "dkim_status",
    "dkim_selectors_found",
    "dkim_weakest_key_bits",
    "bimi_status",
];

/// Writes rows; lists inside a cell are joined with `; `.
pub(crate) struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> CsvSink<W> {
    /// `bom` starts the file with a UTF-8 byte-order mark, without which Excel on a
    /// Japanese Windows reads UTF-8 as Shift_JIS.
    pub(crate) fn new(mut out: W, bom: bool) -> csv::Result<Self> {
        if bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(COLUMNS)?;
        Ok(Self { writer })
    }

    pub(crate) fn write(&mut self, r: &DomainRecord) -> csv::Result<()> {
        let d = &r.dmarc;
        let sts = r.mta_sts.as_ref();
        // Borrowed where the record already holds the text: a row is written per domain.
        let row: [Cow<'_, str>; COLUMNS.len()] = [
            r.domain.as_str().into(),
            r.scanned_at.as_str().into(),
            r.spf.status.as_str().into(),
            distinct(r.spf.errors.iter().map(|e| e.kind.as_str().to_owned())).into(),
            r.spf.lookups.to_string().into(),
            r.spf.void_lookups.to_string().into(),
            r.spf.all.as_deref().unwrap_or_default().into(),
            r.spf.dangling_includes.join("; ").into(),
            distinct(r.spf.warnings.iter().map(|w| w.kind.as_str().to_owned())).into(),
            r.spf.record.as_deref().unwrap_or_default().into(),
            d.status.as_str().into(),
            if d.records.is_empty() {
                "false"
            } else {
                "true"
            }
            .into(),
            d.source.map(Source::as_str).unwrap_or_default().into(),
            d.policy_domain.as_deref().unwrap_or_default().into(),
            policy(d.policy).into(),
            policy(d.p).into(),
            policy(d.sp).into(),
            policy(d.np).into(),
            d.pct.map(|p| p.to_string()).unwrap_or_default().into(),
            d.t.map(|t| if t { "y" } else { "n" })
                .unwrap_or_default()
                .into(),
            d.rua
                .iter()
                .map(|r| r.uri.uri.as_str())
                .collect::<Vec<_>>()
                .join("; ")
                .into(),
            rua_authorized(&d.rua).into(),
            findings(&d.errors).into(),
            findings(&d.warnings).into(),
            d.record.as_deref().unwrap_or_default().into(),
            r.mx.status.as_str().into(),
            r.mx.hosts
                .iter()
                .map(|h| {
                    format!(
                        "{} {}",
                        h.preference,
                        if h.name.is_empty() { "." } else { &h.name }
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
                .into(),
            mx_errors(&r.mx).into(),
            r.mx.starttls.map(Rollup::as_str).unwrap_or_default().into(),
            distinct(probes(&r.mx).filter_map(|s| s.tls_version.clone())).into(),
            cert_valid(&r.mx).into(),
            // Empty where the part is null: a record of a scan made before it existed.
            sts.map_or("", |s| s.status.as_str()).into(),
            sts.and_then(|s| s.policy.as_ref())
                .map_or("", |p| p.mode.into())
                .into(),
            sts.and_then(|s| s.holds).map_or("", Holding::as_str).into(),
            sts.map(|s| distinct(s.errors.iter().map(|e| e.kind.as_str().to_owned())))
                .unwrap_or_default()
                .into(),
            r.tls_rpt.as_ref().map_or("", |t| t.status.as_str()).into(),
            r.dnssec.as_ref().map_or("", |d| d.status.as_str()).into(),
            r.mx.dane.map_or("", DaneRollup::as_str).into(),
            r.dkim.as_ref().map_or("", |d| d.status.as_str()).into(),
            r.dkim
                .as_ref()
                .map(|d| d.selectors_found.join("; "))
                .unwrap_or_default()
                .into(),
            r.dkim
                .as_ref()
                .and_then(|d| d.weakest_rsa_bits())
                .map(|b| b.to_string())
                .unwrap_or_default()
                .into(),
            r.bimi.as_ref().map_or("", |b| b.status.as_str()).into(),
        ];
        for cell in &row {
            self.writer.write_field(neutralise(cell).as_bytes())?;
        }
        // An empty record ends the row of the fields written one by one.
        self.writer.write_record(None::<&[u8]>)
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

fn policy(p: Option<Policy>) -> String {
    p.map(Policy::as_str).unwrap_or_default().to_owned()
}

/// `true` when every mailto destination may receive reports, `false` when one may not,
/// empty when there is nothing to say (no rua, or no check could be made).
fn rua_authorized(rua: &[Destination]) -> String {
    all_true(rua.iter().filter_map(|d| d.authorized))
}

/// Distinct kinds, with the tag they concern: `invalid_tag_value:adkim; no_rua`.
fn findings(list: &[DmarcFinding]) -> String {
    distinct(list.iter().map(|f| match &f.tag {
        Some(tag) => format!("{}:{tag}", f.kind),
        None => f.kind.to_string(),
    }))
}

/// The MX query's error kinds, then each host's as `kind:host`.
fn mx_errors(mx: &MxReport) -> String {
    let top = mx.errors.iter().map(|e| e.kind.as_str().to_owned());
    let hosts = mx.hosts.iter().flat_map(|h| {
        h.errors
            .iter()
            .map(move |e| format!("{}:{}", e.kind.as_str(), h.name))
    });
    distinct(top.chain(hosts))
}

/// The STARTTLS probes of the domain's MX hosts.
fn probes(mx: &MxReport) -> impl Iterator<Item = &Starttls> {
    mx.hosts
        .iter()
        .filter_map(|h| h.starttls.as_ref().map(|s| s.result.as_ref()))
}

/// `true` when every certificate seen verifies for its MX name, `false` when one does
/// not, empty when no handshake got a certificate.
fn cert_valid(mx: &MxReport) -> String {
    all_true(probes(mx).filter_map(|s| s.cert.as_ref().map(|c| c.valid)))
}

/// `true` or `false` as every verdict is true or not; empty when there is none.
fn all_true(mut verdicts: impl Iterator<Item = bool>) -> String {
    match verdicts.next() {
        None => String::new(),
        Some(first) => (first && verdicts.all(|v| v)).to_string(),
    }
}

/// The items in first-seen order, each once, joined with `; `.
fn distinct(items: impl Iterator<Item = String>) -> String {
    let mut seen: Vec<String> = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen.join("; ")
}

/// A cell starting with `=`, `+`, `-`, `@`, tab or carriage return is run as a formula
/// by spreadsheets; a leading apostrophe makes it text (OWASP, "CSV Injection"). DNS
/// records are written by strangers, so every cell goes through this.
pub(crate) fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as a scan writes it, with no MX host and `mta_sts` and `tls_rpt` as given.
    fn record(mta_sts: serde_json::Value, tls_rpt: serde_json::Value) -> DomainRecord {
        serde_json::from_value(serde_json::json!({
            "schema": 1, "domain": "example.jp", "scanned_at": "2026-01-01T00:00:00Z",
            "elapsed_ms": 3, "attempts": 1,
            "spf": {"status": "none", "record": null, "errors": [], "warnings": [],
                    "lookups": 0, "void_lookups": 0, "all": null, "dangling_includes": [],
                    "ip4_addresses": 0,
                    "tree": {"domain": "example.jp", "via": "root", "term": null,
                             "record": null, "all": null, "lookups": 0, "void_lookups": 0,
                             "cumulative_lookups": 0, "errors": [], "warnings": [],
                             "ip4_addresses": 0, "children": []}},
            "dmarc": {"status": "none", "record": null, "records": [], "source": null,
                      "policy_domain": null, "organizational_domain": null,
                      "discovery_differs": false, "discovery": null, "policy": null,
                      "p": null, "sp": null, "np": null, "pct": null, "t": null,
                      "testing": false, "adkim": null, "aspf": null, "fo": [], "psd": null,
                      "rua": [], "ruf": [], "errors": [], "warnings": []},
            "mx": {"status": "none", "hosts": [], "implicit_mx": null, "errors": [],
                   "warnings": [], "starttls": null},
            "mta_sts": mta_sts,
            "tls_rpt": tls_rpt,
        }))
        .unwrap()
    }

    /// The row of `r` as column name → cell.
    fn row(r: &DomainRecord) -> std::collections::BTreeMap<&'static str, String> {
        let mut sink = CsvSink::new(Vec::new(), false).unwrap();
        sink.write(r).unwrap();
        let bytes = sink.writer.into_inner().unwrap();
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(reader.headers().unwrap(), COLUMNS);
        let cells = reader.records().next().unwrap().unwrap();
        COLUMNS
            .iter()
            .copied()
            .zip(cells.iter().map(str::to_owned))
            .collect()
    }

    const STS_COLUMNS: [&str; 5] = [
        "mta_sts_status",
        "mta_sts_mode",
        "mta_sts_holds",
        "mta_sts_errors",
        "tls_rpt_status",
    ];

    #[test]
    fn mta_sts_and_tls_rpt_columns() {
        let enforce = serde_json::json!({
            "status": "ok", "record": "v=STSv1; id=1", "id": "1", "fetch": null,
            "policy": {"mode": "enforce", "max_age": 604800, "mx": ["mx.example.jp"]},
            "holds": "would_fail",
            "hosts": [{"name": "mx.example.jp", "pattern": "mx.example.jp",
                       "tls": "invalid", "detail": "STARTTLS not offered"}],
            "errors": [{"kind": "would_fail", "detail": "x"}],
            "warnings": [{"kind": "short_max_age", "detail": "y"}],
        });
        let invalid = serde_json::json!({
            "status": "invalid", "record": null, "records": ["v=STSv1; id=1", "v=STSv1; id=2"],
            "id": null, "fetch": null, "policy": null, "holds": null, "hosts": [],
            "errors": [{"kind": "multiple_records", "detail": "a"},
                       {"kind": "multiple_records", "detail": "b"}],
            "warnings": [],
        });
        let rpt = |status: &str| {
            serde_json::json!({"status": status, "record": null, "rua": [], "errors": [],
                               "warnings": []})
        };
        let null = serde_json::Value::Null;
        for (sts, tls, want) in [
            (
                enforce,
                rpt("ok"),
                ["ok", "enforce", "would_fail", "would_fail", "ok"],
            ),
            (
                invalid,
                rpt("temperror"),
                ["invalid", "", "", "multiple_records", "temperror"],
            ),
            // A record of a scan made before the parts existed.
            (null.clone(), null, ["", "", "", "", ""]),
        ] {
            let cells = row(&record(sts, tls));
            assert_eq!(STS_COLUMNS.map(|c| cells[c].as_str()), want);
            assert_eq!(cells["domain"], "example.jp");
        }
    }

    /// A record line of an older scan, without the two parts, still reads and writes.
    #[test]
    fn records_without_the_parts_read_as_null() {
        let mut value =
            serde_json::to_value(record(serde_json::Value::Null, serde_json::Value::Null)).unwrap();
        let object = value.as_object_mut().unwrap();
        object.remove("mta_sts");
        object.remove("tls_rpt");
        let r: DomainRecord = serde_json::from_value(value).unwrap();
        assert!(r.mta_sts.is_none() && r.tls_rpt.is_none());
        assert_eq!(
            STS_COLUMNS.map(|c| row(&r)[c].clone()),
            [""; 5].map(String::from)
        );
    }

    #[test]
    fn formula_cells_become_text() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-all", "'-all"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("v=spf1 -all", "v=spf1 -all"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), want);
        }
    }
}
