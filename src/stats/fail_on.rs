//! `--fail-on`: the kinds of findings that make a run end with exit code 3, so that a CI
//! job can fail on posture; each kind is counted from the run's figures.

use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

use super::Adoption;

/// A kind of finding `--fail-on` can name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, IntoStaticStr,
)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub(crate) enum FailOn {
    /// No SPF record.
    SpfMissing,
    /// SPF permerror (syntax, several records, a limit passed, a dangling include…).
    Permerror,
    /// SPF needs more than 10 DNS-querying terms.
    TooManyLookups,
    /// An SPF include whose target publishes no SPF record.
    DanglingInclude,
    /// No DMARC record covers the domain.
    DmarcMissing,
    /// A DMARC record that is not valid.
    DmarcInvalid,
    /// DMARC policy `none`.
    DmarcNone,
    /// An MX host that answered EHLO did not complete STARTTLS.
    StarttlsMissing,
    /// An MTA-STS policy that would refuse mail to an MX host (`holds: would_fail`; in
    /// testing mode, once enforced).
    MtaStsWouldFail,
    /// SPF, DMARC or MX ended in temperror (MTA-STS and TLS-RPT failures stay in their
    /// parts).
    Temperror,
}

impl FailOn {
    /// The name as given on the command line.
    pub(crate) fn name(self) -> &'static str {
        self.into()
    }

    /// The domains of `summary` that have this finding.
    pub(crate) fn count(self, s: &Adoption) -> u64 {
        let f = &s.figures;
        match self {
            Self::SpfMissing => s.spf_known - f.spf_present.count,
            Self::Permerror => f.spf_permerror.count,
            Self::TooManyLookups => f.spf_lookup_limit_overrun.count,
            Self::DanglingInclude => f.spf_dangling_include.count,
            Self::DmarcMissing => s.dmarc_known - f.dmarc_present.count,
            Self::DmarcInvalid => f.dmarc_present.count - f.dmarc_valid.count,
            Self::DmarcNone => f.dmarc_policy_none.count,
            Self::StarttlsMissing => s.starttls_probed - f.starttls_all.count,
            Self::MtaStsWouldFail => f.mta_sts_would_fail.count,
            Self::Temperror => f.temperror.count,
        }
    }
}

/// The kinds among `kinds` that `summary` has, with their domain counts.
pub(crate) fn matched(summary: &Adoption, kinds: &[FailOn]) -> Vec<(FailOn, u64)> {
    let mut kinds = kinds.to_vec();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
        .into_iter()
        .map(|kind| (kind, kind.count(summary)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names `--fail-on` takes and `scan.json` keeps (README), each kind once.
    #[test]
    fn names_are_the_documented_ones() {
        let names = [
            (FailOn::SpfMissing, "spf-missing"),
            (FailOn::Permerror, "permerror"),
            (FailOn::TooManyLookups, "too-many-lookups"),
            (FailOn::DanglingInclude, "dangling-include"),
            (FailOn::DmarcMissing, "dmarc-missing"),
            (FailOn::DmarcInvalid, "dmarc-invalid"),
            (FailOn::DmarcNone, "dmarc-none"),
            (FailOn::StarttlsMissing, "starttls-missing"),
            (FailOn::MtaStsWouldFail, "mta-sts-would-fail"),
            (FailOn::Temperror, "temperror"),
        ];
        crate::names::assert_serde_named(&names, FailOn::name);
    }
}
