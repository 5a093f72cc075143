//! The DNSSEC state of an answer, as the validating resolver the scan asks reports it:
//! the AD bit of its response (RFC 4035 §3.2.3), and, for a SERVFAIL, whether the same
//! question with checking disabled (CD, RFC 4035 §3.2.2) gets an answer. The scanner
//! validates nothing itself, so each state is only as trustworthy as the path to the
//! resolver (a validating resolver on the same host is the sound set-up).

use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

/// What the resolver said of an answer's DNSSEC validation (RFC 4033 §5 names the states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Dnssec {
    /// The resolver validated the answer (records, or a proof of non-existence): AD set.
    Secure,
    /// A validating resolver answered without AD: no chain of trust reaches the name.
    Insecure,
    /// The resolver failed validation: SERVFAIL, while the same question with CD set gets
    /// an answer (a signed zone whose signatures or delegation are broken).
    Bogus,
    /// Not known: the resolver does not validate (or the transport cannot ask it), or the
    /// question got no answer at all.
    Unknown,
}

impl Dnssec {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The state of a set of answers taken together: one bogus answer makes the set
    /// bogus, one not known leaves it unknown, and it is secure only when every answer is.
    pub fn and(self, other: Self) -> Self {
        use Dnssec::{Bogus, Insecure, Secure, Unknown};
        match (self, other) {
            (Bogus, _) | (_, Bogus) => Bogus,
            (Unknown, _) | (_, Unknown) => Unknown,
            (Insecure, _) | (_, Insecure) => Insecure,
            (Secure, Secure) => Secure,
        }
    }

    /// [`Self::and`] over `states`; `None` when there are none.
    pub fn all(states: impl IntoIterator<Item = Self>) -> Option<Self> {
        states.into_iter().reduce(Self::and)
    }
}

/// Whether the resolvers a scan asks validate DNSSEC, found once at its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Validation {
    /// The root's DNSKEY came back with AD set.
    Validating,
    /// It came back without AD: every DNSSEC state of the scan is `unknown`.
    NotValidating,
    /// The question got no answer, or the transport cannot ask for the AD bit (hickory's
    /// resolver sets neither DO nor AD on its questions unless it validates itself):
    /// every DNSSEC state of the scan is `unknown`.
    NotKnown,
}

impl Validation {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray as _;

    #[test]
    fn dnssec_names_are_the_documented_ones() {
        let names = [
            (Dnssec::Secure, "secure"),
            (Dnssec::Insecure, "insecure"),
            (Dnssec::Bogus, "bogus"),
            (Dnssec::Unknown, "unknown"),
        ];
        crate::names::assert_serde_named(&names, Dnssec::as_str);
    }

    /// `and` is symmetric, secure only from two secure answers, and ranks bogus over
    /// unknown over insecure.
    #[test]
    fn states_combine_worst_first() {
        for &a in Dnssec::VARIANTS {
            for &b in Dnssec::VARIANTS {
                assert_eq!(a.and(b), b.and(a), "{a:?} {b:?}");
            }
            assert_eq!(a.and(Dnssec::Bogus), Dnssec::Bogus);
            assert_eq!(a.and(Dnssec::Secure), a);
        }
        assert_eq!(Dnssec::Insecure.and(Dnssec::Unknown), Dnssec::Unknown);
        assert_eq!(Dnssec::all([]), None);
        assert_eq!(
            Dnssec::all([Dnssec::Secure, Dnssec::Insecure, Dnssec::Secure]),
            Some(Dnssec::Insecure)
        );
    }
}
