//! MX records of a domain. For now: the hosts and preferences, and the null MX of
//! RFC 7505; address checks come next.

use serde::Serialize;

use crate::dns::{Dns, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MxStatus {
    /// No MX records (mail would fall back to the domain's address, RFC 5321 §5.1).
    None,
    Ok,
    /// A single `MX 0 .`: the domain accepts no mail (RFC 7505).
    NullMx,
    Temperror,
}

impl MxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Ok => "ok",
            Self::NullMx => "null_mx",
            Self::Temperror => "temperror",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MxHost {
    pub name: String,
    pub preference: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MxReport {
    pub status: MxStatus,
    /// Hosts in preference order (lowest first), then by name.
    pub hosts: Vec<MxHost>,
    pub errors: Vec<String>,
}

pub async fn fetch(dns: &Dns, domain: &str) -> MxReport {
    let mut report = MxReport {
        status: MxStatus::None,
        hosts: Vec::new(),
        errors: Vec::new(),
    };
    match dns.mx(domain).await {
        Outcome::Answer(records) => {
            let mut hosts: Vec<MxHost> = records
                .into_iter()
                .map(|r| MxHost {
                    name: r.exchange,
                    preference: r.preference,
                })
                .collect();
            hosts.sort_by(|a, b| (a.preference, &a.name).cmp(&(b.preference, &b.name)));
            report.status = match hosts.as_slice() {
                [only] if only.name.is_empty() => MxStatus::NullMx,
                _ => MxStatus::Ok,
            };
            report.hosts = hosts;
        }
        Outcome::TempFail(t) => {
            report.status = MxStatus::Temperror;
            report
                .errors
                .push(format!("MX lookup for {domain} failed: {t}"));
        }
        _ => {}
    }
    report
}
