//! The DNSSEC part of a domain's record: the state the validating resolver gave the
//! answers at the domain's own record names, one per part, and the domain's own
//! (its apex TXT and MX answers). Answers at other names (include targets, an
//! organizational domain's DMARC record, other zones' mail hosts) are not counted:
//! their zones are other operators'.

use hickory_resolver::proto::rr::RecordType;
use serde::{Deserialize, Serialize};

use crate::dns::scope::Seen;
use crate::dns::{Dnssec, Validation};
use crate::{mta_sts, tls_rpt};

/// The `dnssec` part of the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnssecReport {
    /// The apex TXT and MX answers together: `secure` only when both validated,
    /// `bogus` when either failed validation, `unknown` when the resolver does not
    /// validate or a question got no answer.
    pub status: Dnssec,
    /// Whether the resolver validates at all: when it does not, every state is
    /// `unknown`, never `insecure`.
    pub validation: Validation,
    pub parts: DnssecParts,
}

/// The state of the answer at each part's own record name; null for a part not asked
/// (left out with `--skip`, or its answer shared with another domain's scan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnssecParts {
    /// TXT at the domain.
    pub spf: Option<Dnssec>,
    /// TXT at `_dmarc.<domain>`.
    pub dmarc: Option<Dnssec>,
    /// MX at the domain.
    pub mx: Option<Dnssec>,
    /// TXT at `_mta-sts.<domain>`.
    pub mta_sts: Option<Dnssec>,
    /// TXT at `_smtp._tls.<domain>`.
    pub tls_rpt: Option<Dnssec>,
}

/// The part for `domain` (lower-case, no trailing dot) from the answers its scan saw.
pub fn report(domain: &str, seen: &Seen, validation: Validation) -> DnssecReport {
    let txt = |name: &str| seen.state(name, RecordType::TXT);
    let parts = DnssecParts {
        spf: txt(domain),
        dmarc: txt(&format!("_dmarc.{domain}")),
        mx: seen.state(domain, RecordType::MX),
        mta_sts: txt(&format!("{}.{domain}", mta_sts::TXT_LABEL)),
        tls_rpt: txt(&format!("{}.{domain}", tls_rpt::TXT_LABEL)),
    };
    DnssecReport {
        status: Dnssec::all(parts.spf.into_iter().chain(parts.mx)).unwrap_or(Dnssec::Unknown),
        validation,
        parts,
    }
}
