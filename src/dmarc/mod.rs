//! DMARC (RFC 7489): the policy record at `_dmarc.<domain>`. For now this fetches and
//! selects the record and reads its policy; discovery through the organizational domain
//! and full tag validation come next.

pub mod parse;

use serde::Serialize;

use crate::dns::{Dns, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DmarcStatus {
    /// No DMARC record at `_dmarc.<domain>`.
    None,
    Ok,
    /// Records were found but no policy applies (several records, or no valid `p`).
    Invalid,
    Temperror,
}

impl DmarcStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Ok => "ok",
            Self::Invalid => "invalid",
            Self::Temperror => "temperror",
        }
    }
}

/// A DMARC finding: `{kind, detail}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcFinding {
    pub kind: &'static str,
    pub detail: String,
}

/// The DMARC part of a domain's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcReport {
    pub status: DmarcStatus,
    /// The record, when exactly one was found.
    pub record: Option<String>,
    /// Every TXT record at `_dmarc.<domain>` that begins `v=DMARC1`.
    pub records: Vec<String>,
    /// The requested policy (`none`, `quarantine`, `reject`), as written.
    pub p: Option<String>,
    pub errors: Vec<DmarcFinding>,
}

/// Fetches and reads `_dmarc.<domain>`.
pub async fn fetch(dns: &Dns, domain: &str) -> DmarcReport {
    let name = format!("_dmarc.{domain}");
    let mut report = DmarcReport {
        status: DmarcStatus::None,
        record: None,
        records: Vec::new(),
        p: None,
        errors: Vec::new(),
    };
    let txts = match dns.txt(&name).await {
        Outcome::Answer(txts) => txts,
        Outcome::TempFail(t) => {
            report.status = DmarcStatus::Temperror;
            report.errors.push(DmarcFinding {
                kind: "temperror",
                detail: format!("TXT lookup for {name} failed: {t}"),
            });
            return report;
        }
        _ => return report,
    };
    // RFC 7489 §6.6.3: records not beginning with "v=DMARC1" are discarded.
    report.records = txts.into_iter().filter(|t| is_dmarc_record(t)).collect();
    match report.records.as_slice() {
        [] => {}
        [one] => {
            report.record = Some(one.clone());
            report.p = tag(one, "p").map(str::to_ascii_lowercase);
            let valid = matches!(report.p.as_deref(), Some("none" | "quarantine" | "reject"));
            report.status = if valid {
                DmarcStatus::Ok
            } else {
                DmarcStatus::Invalid
            };
            if !valid {
                report.errors.push(DmarcFinding {
                    kind: "invalid_policy",
                    detail: format!("p is {:?}; it must be none, quarantine or reject", report.p),
                });
            }
        }
        several => {
            report.status = DmarcStatus::Invalid;
            report.errors.push(DmarcFinding {
                kind: "multiple_records",
                detail: format!(
                    "{} DMARC records at {name}: no policy applies (RFC 7489 §6.6.3)",
                    several.len()
                ),
            });
        }
    }
    report
}

/// `dmarc-version = "v" *WSP "=" *WSP %x44.4d.41.52.43.31` (RFC 7489 §6.4), as the first tag.
fn is_dmarc_record(text: &str) -> bool {
    let Some((name, rest)) = text.split_once('=') else {
        return false;
    };
    if !name.trim_matches([' ', '\t']).eq_ignore_ascii_case("v") {
        return false;
    }
    let value = rest.trim_start_matches([' ', '\t']);
    value
        .strip_prefix("DMARC1")
        .map(|after| after.trim_start_matches([' ', '\t']))
        .is_some_and(|after| after.is_empty() || after.starts_with(';'))
}

/// The value of tag `name` in a `tag=value; …` list.
fn tag<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.split(';').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmarc_record_selection() {
        for (text, want) in [
            ("v=DMARC1; p=none", true),
            ("v=DMARC1", true),
            ("v = DMARC1 ; p=reject", true),
            ("V=DMARC1; p=none", true),
            ("v=dmarc1; p=none", false),
            ("v=DMARC10; p=none", false),
            ("p=none; v=DMARC1", false),
            ("v=spf1 -all", false),
        ] {
            assert_eq!(is_dmarc_record(text), want, "{text}");
        }
    }

    #[test]
    fn policy_tag() {
        assert_eq!(
            tag("v=DMARC1; p=Reject; rua=mailto:a@b", "p"),
            Some("Reject")
        );
        assert_eq!(tag("v=DMARC1; sp=none", "p"), None);
    }
}
