//! The verdict of a domain's DKIM from the answers at `_domainkey.<domain>` and at each
//! selector asked: which selectors hold key records, each key read with its problems,
//! and the part's status. Pure: the questions are asked elsewhere.

use super::parse::{is_key_record, key_record};
use super::{
    DkimFinding, DkimFindingKind, DkimKey, DkimReport, DkimStatus, DomainkeyState, selector_name,
};
use crate::dns::{Aliased, Outcome};

/// The state of the answer to TXT `_domainkey.<domain>`: NODATA and records both mean
/// the name exists.
fn domainkey_state<T>(domainkey: &Outcome<T>) -> DomainkeyState {
    match domainkey {
        Outcome::Answer(_) | Outcome::NoData => DomainkeyState::Exists,
        Outcome::NxDomain => DomainkeyState::Nxdomain,
        Outcome::TempFail(_) => DomainkeyState::Temperror,
    }
}

fn empty(status: DkimStatus, domainkey: DomainkeyState) -> DkimReport {
    DkimReport {
        status,
        domainkey,
        selectors_asked: Vec::new(),
        selectors_found: Vec::new(),
        keys: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    }
}

/// The report when no selector needs asking, from the answer to TXT
/// `_domainkey.<domain>`: NXDOMAIN means no selector exists beneath it (RFC 8020 §2,
/// status `none`), and a failed question leaves the domain unknown (status
/// `temperror`). `None` when the name exists and the selectors must be asked.
pub fn pruned(domain: &str, domainkey: &Outcome<Vec<String>>) -> Option<DkimReport> {
    match domainkey {
        Outcome::Answer(_) | Outcome::NoData => None,
        Outcome::NxDomain => Some(empty(DkimStatus::None, DomainkeyState::Nxdomain)),
        Outcome::TempFail(failure) => {
            let mut report = empty(DkimStatus::Temperror, DomainkeyState::Temperror);
            report.errors.push(DkimFinding::new(
                DkimFindingKind::Temperror,
                format!("TXT {}: {failure}", super::domainkey_name(domain)),
            ));
            Some(report)
        }
    }
}

/// The `dkim` part of `domain` from the answer at `_domainkey.<domain>` and the TXT
/// answers at the selectors, `(selector, answer)` in the order asked.
///
/// Status `found` when any selector holds a key record, valid or not; `temperror` when
/// every selector's question failed (or the `_domainkey` one did and none was asked);
/// `not_checked` when no selector was asked; `none` otherwise, a failed selector noted
/// as a `temperror` error whatever the status.
pub(crate) fn report(
    domain: &str,
    domainkey: &Outcome<Vec<String>>,
    answers: Vec<(String, Outcome<Aliased<String>>)>,
) -> DkimReport {
    if answers.is_empty()
        && let Some(report) = pruned(domain, domainkey)
    {
        return report;
    }
    let mut report = empty(DkimStatus::None, domainkey_state(domainkey));
    if let Outcome::TempFail(failure) = domainkey {
        report.errors.push(DkimFinding::new(
            DkimFindingKind::Temperror,
            format!("TXT {}: {failure}", super::domainkey_name(domain)),
        ));
    }
    let mut failed = 0;
    for (selector, answer) in answers {
        let name = selector_name(&selector, domain);
        report.selectors_asked.push(selector.clone());
        let aliased = match answer {
            Outcome::Answer(aliased) => aliased,
            Outcome::NxDomain | Outcome::NoData => continue,
            Outcome::TempFail(failure) => {
                failed += 1;
                report.errors.push(DkimFinding::new(
                    DkimFindingKind::Temperror,
                    format!("selector {selector}: TXT {name}: {failure}"),
                ));
                continue;
            }
        };
        // Other TXT records may share the name (a wildcard, a verification token).
        let records: Vec<String> = aliased
            .records
            .into_iter()
            .filter(|text| is_key_record(text))
            .collect();
        if records.is_empty() {
            continue;
        }
        report.selectors_found.push(selector.clone());
        let count = records.len();
        for record in records {
            let parsed = key_record(&record);
            let mut key = DkimKey {
                selector: selector.clone(),
                name: name.clone(),
                cname: aliased.canonical.clone(),
                record,
                key_type: parsed.key_type,
                bits: parsed.bits,
                revoked: parsed.revoked,
                testing: parsed.testing,
                errors: parsed.errors,
                warnings: parsed.warnings,
            };
            if count > 1 {
                // RFC 6376 §6.1.2: the verifier picks one of them, or tries each, at
                // its discretion; which key a signature meets is left to chance.
                key.errors.insert(
                    0,
                    DkimFinding::new(
                        DkimFindingKind::MultipleRecords,
                        format!(
                            "{count} key records at {name}; verifiers choose among them at \
                             will (RFC 6376 §6.1.2)"
                        ),
                    ),
                );
            }
            report.keys.push(key);
        }
    }
    report.status = if !report.keys.is_empty() {
        DkimStatus::Found
    } else if report.selectors_asked.is_empty() {
        DkimStatus::NotChecked
    } else if failed == report.selectors_asked.len() {
        DkimStatus::Temperror
    } else {
        DkimStatus::None
    };
    report
}

#[cfg(test)]
mod tests;
