//! Where a domain's DMARC policy comes from, by both methods receivers use today: the
//! DNS tree walk of RFC 9989 §4.10 and the Public Suffix List lookup of RFC 7489 §6.6.3.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::parse;
use super::{Psd, Record, Validity};
use crate::cache::Shared;
use crate::dns::{Dns, Outcome as DnsOutcome, TempFail, check_name};
use crate::psl::SuffixList;

/// RFC 9989 §4.10: a walk asks at most this many names, however deep the domain.
const MAX_WALK_LABELS: usize = 7;

/// Where the applied record was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Source {
    /// At `_dmarc.<domain>` itself.
    Domain,
    /// Higher up: the Organizational Domain, or a Public Suffix Domain (RFC 9989 §4.10.1).
    Organizational,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A record as published and as read, parsed once for discovery, policy and report.
#[derive(Debug, PartialEq, Eq)]
pub struct Published {
    pub text: String,
    pub parsed: Record,
}

/// What one `_dmarc` name publishes: every `v=DMARC1` record, and the record parsed
/// when there is exactly one (several apply no policy, so none of them is read).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AtName {
    pub records: Vec<String>,
    pub single: Option<Arc<Published>>,
}

impl AtName {
    fn new(records: Vec<String>) -> Self {
        let single = match records.as_slice() {
            [only] => Some(Arc::new(Published {
                text: only.clone(),
                parsed: parse::parse(only),
            })),
            _ => None,
        };
        Self { records, single }
    }
}

/// Shared between the methods, and for names above the scanned domains, between domains.
pub type Records = Arc<AtName>;

/// A lookup that failed, naming what was asked.
#[derive(Debug, Clone)]
pub struct LookupFailure {
    pub name: String,
    pub fail: TempFail,
}

/// One method's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    /// Where the applied record is published; null when no policy applies.
    pub policy_domain: Option<String>,
    pub source: Option<Source>,
    /// The Organizational Domain by this method's rules.
    pub organizational_domain: String,
    /// `_dmarc` names asked, in order.
    pub queries: Vec<String>,
    #[serde(skip)]
    pub record: Option<Arc<Published>>,
}

/// Answers `_dmarc` questions; the ones for names above the scanned domains (`_dmarc.com`,
/// `_dmarc.co.jp`, an Organizational Domain shared by many subdomains) are kept for the
/// whole scan, and concurrent identical questions wait for one answer.
#[derive(Clone)]
pub struct PolicyLookups {
    dns: Dns,
    shared: Shared<String, Records, LookupFailure>,
}

impl PolicyLookups {
    pub fn new(dns: Dns, capacity: u64) -> Self {
        Self {
            dns,
            shared: Shared::new(capacity),
        }
    }

    pub fn dns(&self) -> &Dns {
        &self.dns
    }

    /// The `v=DMARC1` records at `_dmarc.<domain>`, asked afresh.
    pub async fn at(&self, domain: &str) -> Result<Records, LookupFailure> {
        let name = format!("_dmarc.{domain}");
        if check_name(&name).is_err() {
            // Longer than a DNS name may be: nothing can be published there.
            return Ok(Records::default());
        }
        match self.dns.txt(&name).await {
            DnsOutcome::Answer(texts) => Ok(Arc::new(AtName::new(
                texts
                    .into_iter()
                    .filter(|t| parse::is_dmarc_record(t))
                    .collect(),
            ))),
            DnsOutcome::NxDomain | DnsOutcome::NoData => Ok(Records::default()),
            DnsOutcome::TempFail(fail) => Err(LookupFailure { name, fail }),
        }
    }

    /// Like [`Self::at`], through the scan-wide cache. Failures are not kept, so one
    /// timeout does not spread to every later domain under the same parent.
    async fn above(&self, domain: &str) -> Result<Records, LookupFailure> {
        // Boxed: the cache's future is large, and inline it would sit in every domain's
        // task for the task's whole life instead of for this one lookup.
        Box::pin(self.shared.get_or_try(domain, || self.at(domain), |_| None)).await
    }
}

/// A record that a tree walk keeps: the only `v=DMARC1` record at its name, and one a
/// receiver can read at all (RFC 9989 §4.10 steps 2 and 6: several are all discarded).
fn usable(at: &AtName) -> Option<&Arc<Published>> {
    at.single.as_ref().filter(|p| {
        !matches!(
            p.parsed.rfc9989.outcome,
            Validity::NotDmarcRecord | Validity::InvalidDuplicateTag
        )
    })
}

fn psd_of(record: &Published) -> Psd {
    record.parsed.rfc9989.psd.unwrap_or(Psd::Unknown)
}

/// The names a walk asks after `domain` itself (RFC 9989 §4.10 steps 3–7): the parent,
/// or for a domain of eight or more labels its last seven, then one label less each time,
/// down to the top-level domain.
pub(crate) fn walk_names(domain: &str) -> Vec<String> {
    let labels: Vec<&str> = domain.split('.').collect();
    let first = if labels.len() > MAX_WALK_LABELS {
        labels.len() - MAX_WALK_LABELS
    } else {
        1
    };
    (first..labels.len())
        .map(|i| labels[i..].join("."))
        .collect()
}

/// RFC 9989 §4.10.1 policy discovery for a domain whose own `_dmarc` name held `own`.
pub async fn rfc9989(
    lookups: &PolicyLookups,
    domain: &str,
    own: &AtName,
) -> Result<Discovery, LookupFailure> {
    let mut queries = vec![format!("_dmarc.{domain}")];
    if let Some(record) = usable(own) {
        // The policy is the domain's own; the Organizational Domain still takes a walk
        // from the domain itself (§4.10.2). It is not the policy, so a failed lookup on
        // the way leaves the domain its own Organizational Domain instead of failing.
        let mut found = vec![(domain.to_owned(), Arc::clone(record), psd_of(record))];
        if found[0].2 == Psd::Unknown {
            let mut asked = Vec::new();
            if walk(lookups, domain, &mut found, &mut asked).await.is_err() {
                found.truncate(1);
            }
        }
        return Ok(Discovery {
            policy_domain: Some(domain.to_owned()),
            source: Some(Source::Domain),
            organizational_domain: select_organizational(domain, &found),
            queries,
            record: Some(Arc::clone(record)),
        });
    }
    let mut found = Vec::new();
    walk(lookups, domain, &mut found, &mut queries).await?;
    let organizational_domain = select_organizational(domain, &found);
    // §4.10.1: the Organizational Domain's record if there is one, else the Public
    // Suffix Domain's (the psd=y record), else the record at the fewest labels.
    let applied = found
        .iter()
        .find(|(name, ..)| *name == organizational_domain)
        .or_else(|| found.iter().find(|(.., psd)| *psd == Psd::Yes))
        .or_else(|| found.last());
    Ok(Discovery {
        policy_domain: applied.map(|(name, ..)| name.clone()),
        source: applied.map(|_| Source::Organizational),
        organizational_domain,
        queries,
        record: applied.map(|(_, record, _)| Arc::clone(record)),
    })
}

/// A usable record a walk found: its name, the record and its `psd` value.
type Found = (String, Arc<Published>, Psd);

/// Walks up from above `domain` (RFC 9989 §4.10 steps 3–7), adding each usable record
/// to `found` and each name asked to `queries`, until a record carries psd=y or psd=n.
async fn walk(
    lookups: &PolicyLookups,
    domain: &str,
    found: &mut Vec<Found>,
    queries: &mut Vec<String>,
) -> Result<(), LookupFailure> {
    for name in walk_names(domain) {
        queries.push(format!("_dmarc.{name}"));
        let records = lookups.above(&name).await?;
        if let Some(record) = usable(&records) {
            let psd = psd_of(record);
            found.push((name, Arc::clone(record), psd));
            if psd != Psd::Unknown {
                break;
            }
        }
    }
    Ok(())
}

/// RFC 9989 §4.10.2 over the records a walk from `start` found, longest name first.
fn select_organizational(start: &str, found: &[Found]) -> String {
    for (name, _, psd) in found {
        match psd {
            Psd::No => return name.clone(),
            // "the domain one label below this one", towards the start of the walk.
            Psd::Yes if name != start => {
                let keep = name.split('.').count() + 1;
                let labels: Vec<&str> = start.split('.').collect();
                return labels[labels.len().saturating_sub(keep)..].join(".");
            }
            _ => {}
        }
    }
    found
        .last()
        .map_or_else(|| start.to_owned(), |(name, ..)| name.clone())
}

/// RFC 7489 §6.6.3: the domain's own record, else the one at its Organizational Domain
/// from the Public Suffix List. Several records at either name mean no policy applies.
pub async fn rfc7489(
    lookups: &PolicyLookups,
    psl: &SuffixList,
    domain: &str,
    own: &Records,
) -> Result<Discovery, LookupFailure> {
    let organizational_domain = psl.organizational_domain(domain);
    let mut queries = vec![format!("_dmarc.{domain}")];
    let (name, records, source) = if !own.records.is_empty() || organizational_domain == domain {
        (domain, Arc::clone(own), Source::Domain)
    } else {
        queries.push(format!("_dmarc.{organizational_domain}"));
        let records = lookups.above(&organizational_domain).await?;
        (
            organizational_domain.as_str(),
            records,
            Source::Organizational,
        )
    };
    let applied = records.single.clone();
    Ok(Discovery {
        policy_domain: applied.as_ref().map(|_| name.to_owned()),
        source: applied.as_ref().map(|_| source),
        organizational_domain,
        queries,
        record: applied,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_names_follow_rfc9989_section_4_10() {
        assert_eq!(walk_names("example.com"), ["com"]);
        assert_eq!(
            walk_names("a.mail.example.com"),
            ["mail.example.com", "example.com", "com"]
        );
        assert!(walk_names("com").is_empty());
        // The draft's own example: 13 labels, eight queries in all.
        assert_eq!(
            walk_names("a.b.c.d.e.f.g.h.i.j.mail.example.com"),
            [
                "g.h.i.j.mail.example.com",
                "h.i.j.mail.example.com",
                "i.j.mail.example.com",
                "j.mail.example.com",
                "mail.example.com",
                "example.com",
                "com"
            ]
        );
        // Eight labels: the parent already has seven.
        assert_eq!(walk_names("a.b.c.d.e.f.g.h").len(), 7);
    }

    #[test]
    fn organizational_domain_selection() {
        let record = Arc::new(Published {
            text: String::new(),
            parsed: parse::parse("v=DMARC1"),
        });
        let at = |name: &str, psd| (name.to_owned(), Arc::clone(&record), psd);
        // §4.10.2 examples 1–3, for a walk from a.mail.example.com.
        let start = "a.mail.example.com";
        assert_eq!(
            select_organizational(
                start,
                &[
                    at("mail.example.com", Psd::Unknown),
                    at("example.com", Psd::Unknown)
                ]
            ),
            "example.com"
        );
        assert_eq!(
            select_organizational(start, &[at("mail.example.com", Psd::No)]),
            "mail.example.com"
        );
        assert_eq!(
            select_organizational(start, &[at("com", Psd::Yes)]),
            "example.com"
        );
        assert_eq!(select_organizational(start, &[]), start);
    }
}
