//! Report destinations (`rua`, `ruf`): whether each one outside the policy's own
//! Organizational Domain has agreed to receive reports (RFC 7489 §7.1, unchanged in the
//! RFC 9989 generation's aggregate-reporting document).

use serde::{Deserialize, Serialize};

use super::ReportUri;
use super::parse;
use crate::dns::{Dns, Outcome, check_name};
use crate::psl::SuffixList;

/// One reporting URI and what was found about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    #[serde(flatten)]
    pub uri: ReportUri,
    /// The address's Organizational Domain differs from the policy domain's.
    pub external: bool,
    /// True for a destination inside the policy's Organizational Domain or one that
    /// published its consent; false when it did not; null when the check could not be
    /// made (no mailto domain, or the lookup failed).
    pub authorized: Option<bool>,
}

impl Destination {
    /// A destination recorded without any check.
    pub(crate) fn unchecked(uri: &ReportUri) -> Self {
        Self {
            uri: uri.clone(),
            external: false,
            authorized: None,
        }
    }
}

/// What checking a destination found, for the report's warnings.
pub(crate) enum Check {
    Done,
    Unauthorized { query: String },
    Failed { query: String, cause: String },
}

/// Checks `uri`, published in the record at `policy_domain`.
pub(crate) async fn check(
    dns: &Dns,
    psl: &SuffixList,
    policy_domain: &str,
    uri: &ReportUri,
) -> (Destination, Check) {
    let mut destination = Destination::unchecked(uri);
    let Some(host) = uri.domain.as_deref().filter(|_| is_mailto(uri)) else {
        return (destination, Check::Done);
    };
    // §7.1: the check is needed when "the host portion of the reporting URI's authority
    // has a different Organizational Domain than the domain of the policy".
    if psl.organizational_domain(host) == psl.organizational_domain(policy_domain) {
        destination.authorized = Some(true);
        return (destination, Check::Done);
    }
    destination.external = true;
    let query = format!("{policy_domain}._report._dmarc.{host}");
    if check_name(&query).is_err() {
        // The aggregate-reporting draft: a name too long to ask is "not authorized".
        destination.authorized = Some(false);
        return (destination, Check::Unauthorized { query });
    }
    match dns.txt(&query).await {
        Outcome::Answer(texts) if texts.iter().any(|t| parse::is_dmarc_record(t)) => {
            destination.authorized = Some(true);
            (destination, Check::Done)
        }
        Outcome::TempFail(fail) => (
            destination,
            Check::Failed {
                query,
                cause: fail.to_string(),
            },
        ),
        // §7.1 steps 5–6: records not beginning "v=DMARC1" are discarded; none left
        // means no positive determination.
        _ => {
            destination.authorized = Some(false);
            (destination, Check::Unauthorized { query })
        }
    }
}

fn is_mailto(uri: &ReportUri) -> bool {
    uri.scheme.as_deref() == Some("mailto")
}
