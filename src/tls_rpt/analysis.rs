//! The verdict of the `tls_rpt` part: what the answer to `_smtp._tls.<domain>` TXT says
//! ([`from_txt`]), and whether a domain that asks for TLS leaves its failures unreported
//! ([`note_missing`]).

use super::{RptFinding, RptFindingKind, RuaFacts, TXT_LABEL, TlsRptReport, TlsRptStatus, parse};
use crate::dns::Outcome;
use crate::txt_fields::{self, Published};

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
    let text = match txt_fields::published(answer, parse::SELECT_PREFIX) {
        Published::None => return TlsRptReport::new(TlsRptStatus::None),
        Published::Unknown(failure) => {
            return TlsRptReport::temperror(format!("TXT {TXT_LABEL}.{domain}: {failure}"));
        }
        Published::One(text) => text,
        Published::Several(records) => {
            let mut report = TlsRptReport::new(TlsRptStatus::Invalid);
            let count = records.len();
            report.errors.push(RptFinding::new(
                RptFindingKind::MultipleRecords,
                super::RecordError::MultipleRecords { count }.to_string(),
            ));
            report.records = records;
            return report;
        }
    };
    let mut report = TlsRptReport::new(TlsRptStatus::Ok);
    let parsed = parse::parse_record(&text);
    report.record = Some(text);
    match parsed {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{TempFail, TempFailKind};

    fn txt(records: &[&str]) -> Outcome<Vec<String>> {
        Outcome::Answer(records.iter().map(|r| (*r).to_owned()).collect())
    }

    fn kinds(findings: &[RptFinding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.kind.as_str()).collect()
    }

    #[test]
    fn record_states() {
        let ok = from_txt(
            "example.com",
            txt(&[
                "v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.net/x",
                "other",
            ]),
        );
        assert_eq!(ok.status, TlsRptStatus::Ok);
        let targets: Vec<(&str, &str)> = ok
            .rua
            .iter()
            .map(|r| (r.scheme.as_str(), r.target.as_str()))
            .collect();
        assert_eq!(
            targets,
            [("mailto", "tls@example.com"), ("https", "r.example.net")]
        );

        let none = from_txt("example.com", Outcome::NxDomain);
        assert_eq!(none.status, TlsRptStatus::None);
        let two = from_txt(
            "example.com",
            txt(&[
                "v=TLSRPTv1; rua=mailto:a@example.com",
                "v=TLSRPTv1; rua=mailto:b@example.com",
            ]),
        );
        assert_eq!(
            (two.status, kinds(&two.errors)),
            (TlsRptStatus::Invalid, vec!["multiple_records"])
        );
        assert_eq!(two.records.len(), 2);
        let bad = from_txt("example.com", txt(&["v=TLSRPTv1; rua=ftp://x.example"]));
        assert_eq!(
            (bad.status, kinds(&bad.errors)),
            (TlsRptStatus::Invalid, vec!["syntax"])
        );
        assert!(bad.rua.is_empty());
        let failed = from_txt(
            "example.com",
            Outcome::TempFail(TempFail {
                kind: TempFailKind::Timeout,
                detail: "no answer".into(),
            }),
        );
        assert_eq!(failed.status, TlsRptStatus::Temperror);
    }

    #[test]
    fn missing_reports_warn_only_when_known_missing() {
        let mut none = from_txt("example.com", Outcome::NoData);
        note_missing(&mut none, "an MTA-STS record is published");
        assert_eq!(kinds(&none.warnings), ["missing"]);
        let mut failed = TlsRptReport::temperror("x".into());
        note_missing(&mut failed, "an MTA-STS record is published");
        assert!(failed.warnings.is_empty(), "a failed lookup is not absence");
    }

    /// The names of the record format (src/record.rs), each variant once.
    #[test]
    fn names_are_the_documented_ones() {
        use crate::names::assert_serde_named;
        assert_serde_named(
            &[
                (TlsRptStatus::None, "none"),
                (TlsRptStatus::Ok, "ok"),
                (TlsRptStatus::Invalid, "invalid"),
                (TlsRptStatus::Temperror, "temperror"),
            ],
            TlsRptStatus::as_str,
        );
        assert_serde_named(
            &[
                (RptFindingKind::Temperror, "temperror"),
                (RptFindingKind::MultipleRecords, "multiple_records"),
                (RptFindingKind::Syntax, "syntax"),
                (RptFindingKind::Missing, "missing"),
            ],
            RptFindingKind::as_str,
        );
    }
}
