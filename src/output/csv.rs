//! The flat view of the per-domain record: one CSV row per domain, stable columns, and
//! no cell that a spreadsheet would run as a formula.

use std::io::Write;

use crate::scan::report::DomainReport;

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
    "dmarc_p",
    "dmarc_record",
    "mx_status",
    "mx_hosts",
];

/// Writes rows; lists inside a cell are joined with `; `.
pub struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> CsvSink<W> {
    /// `bom` starts the file with a UTF-8 byte-order mark, without which Excel on a
    /// Japanese Windows reads UTF-8 as Shift_JIS.
    pub fn new(mut out: W, bom: bool) -> csv::Result<Self> {
        if bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(COLUMNS)?;
        Ok(Self { writer })
    }

    pub fn write(&mut self, r: &DomainReport) -> csv::Result<()> {
        let kinds = |v: &mut dyn Iterator<Item = &'static str>| {
            let mut seen: Vec<&str> = Vec::new();
            for k in v {
                if !seen.contains(&k) {
                    seen.push(k);
                }
            }
            seen.join("; ")
        };
        let row = [
            r.domain.clone(),
            r.scanned_at.clone(),
            r.spf.status.as_str().to_owned(),
            kinds(&mut r.spf.errors.iter().map(|e| e.kind.as_str())),
            r.spf.lookups.to_string(),
            r.spf.void_lookups.to_string(),
            r.spf.all.clone().unwrap_or_default(),
            r.spf.dangling_includes.join("; "),
            kinds(&mut r.spf.warnings.iter().map(|w| w.kind.as_str())),
            r.spf.record.clone().unwrap_or_default(),
            r.dmarc.status.as_str().to_owned(),
            (!r.dmarc.records.is_empty()).to_string(),
            r.dmarc.p.clone().unwrap_or_default(),
            r.dmarc.record.clone().unwrap_or_default(),
            r.mx.status.as_str().to_owned(),
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
                .join("; "),
        ];
        let cells: Vec<_> = row.iter().map(|c| neutralise(c)).collect();
        self.writer.write_record(cells.iter().map(|c| c.as_bytes()))
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// A cell starting with `=`, `+`, `-`, `@`, tab or carriage return is run as a formula
/// by spreadsheets; a leading apostrophe makes it text (OWASP, "CSV Injection"). DNS
/// records are written by strangers, so every cell goes through this.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

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
