//! The verdict of the `tls_rpt` part: what the answer to `_smtp._tls.<domain>` TXT says
//! ([`from_txt`]), and whether a domain that asks for TLS leaves its failures unreported
//! ([`note_missing`]).

use super::{RptFinding, RptFindingKind, RuaFacts, TXT_LABEL, TlsRptReport, TlsRptStatus, parse};
use crate::dns::Outcome;
use crate::txt_fields;

impl TlsRptReport {
    fn new(status: TlsRptStatus) -> Self {
        Self {
            status,
            record: None,
            records: Vec::new(),
            rua: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The report when the lookup could not be finished (or not in time).
    pub fn temperror(detail: String) -> Self {
        let mut report = Self::new(TlsRptStatus::Temperror);
        report
            .errors
            .push(RptFinding::new(RptFindingKind::Temperror, detail));
        report
    }
}

/// The report from the answer to `_smtp._tls.<domain>` TXT (RFC 8460 §3).
pub fn from_txt(domain: &str, answer: Outcome<Vec<String>>) -> TlsRptReport {
    let txts = match answer {
        Outcome::Answer(txts) => txts,
        Outcome::NxDomain | Outcome::NoData => return TlsRptReport::new(TlsRptStatus::None),
        Outcome::TempFail(failure) => {
            return TlsRptReport::temperror(format!("TXT {TXT_LABEL}.{domain}: {failure}"));
        }
    };
    let text = match txt_fields::the_one(&txts, parse::SELECT_PREFIX) {
        Ok(None) => return TlsRptReport::new(TlsRptStatus::None),
        Ok(Some(text)) => text,
        Err(count) => {
            let mut report = TlsRptReport::new(TlsRptStatus::Invalid);
            report.records = txts
                .iter()
                .filter(|t| t.starts_with(parse::SELECT_PREFIX))
                .cloned()
                .collect();
            report.errors.push(RptFinding::new(
                RptFindingKind::MultipleRecords,
                super::RecordError::MultipleRecords { count }.to_string(),
            ));
            return report;
        }
    };
    let mut report = TlsRptReport::new(TlsRptStatus::Ok);
    report.record = Some(text.to_owned());
    match parse::parse_record(text) {
        Ok(record) => report.rua = record.rua.iter().map(RuaFacts::from).collect(),
        Err(e) => {
            report.status = TlsRptStatus::Invalid;
            report.errors.push(RptFinding::new(
                RptFindingKind::Syntax,
                format!("{e}; senders send no reports (RFC 8460 §3)"),
            ));
        }
    }
    report
}

/// Warns when the domain publishes an MTA-STS record (`asks_for_tls`) and no TLS-RPT
/// record: RFC 8460 §1 exists so that such failures are seen. A failed lookup says
/// nothing, so it draws no warning.
pub fn note_missing(report: &mut TlsRptReport, asks_for_tls: &str) {
    if report.status == TlsRptStatus::None {
        report.warnings.push(RptFinding::new(
            RptFindingKind::Missing,
            format!(
                "{asks_for_tls}, but no TLS-RPT record: senders' TLS failures would go \
                 unreported"
            ),
        ));
    }
}
