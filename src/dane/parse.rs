//! TLSA records as hickory decoded them, read into the certificate associations a DANE
//! SMTP client uses (RFC 7672 §3.1), or the reason it does not use one.

use std::fmt::Write as _;

use hickory_resolver::proto::rr::rdata::TLSA;
use hickory_resolver::proto::rr::rdata::tlsa::{
    CertUsage, Matching as WireMatching, Selector as WireSelector,
};

use super::DaneFindingKind;

/// Octets of association data quoted in a finding's detail: enough to tell records apart,
/// and a `3 0 0` record (a whole certificate) does not fill a screen.
pub(crate) const QUOTED_OCTETS: usize = 8;

/// The certificate usages SMTP uses (RFC 7218 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Usage {
    /// DANE-TA(2): the data names a trust anchor the chain must lead to.
    DaneTa,
    /// DANE-EE(3): the data names the server's own certificate or key.
    DaneEe,
}

/// Which part of a certificate the data is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Selector {
    /// Cert(0): the whole certificate, DER.
    Cert,
    /// SPKI(1): its SubjectPublicKeyInfo, DER.
    Spki,
}

/// How the selected part is compared with the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Matching {
    /// Full(0): the data is the selected part itself.
    Full,
    /// SHA2-256(1): the data is its SHA-256 digest, 32 octets.
    Sha256,
    /// SHA2-512(2): the data is its SHA-512 digest, 64 octets.
    Sha512,
}

impl Matching {
    /// The length the data must have; `None` for Full(0), whose data is a certificate or
    /// key of any length.
    pub(crate) fn digest_len(self) -> Option<usize> {
        match self {
            Self::Full => None,
            Self::Sha256 => Some(32),
            Self::Sha512 => Some(64),
        }
    }
}

/// A record a DANE SMTP client can use, were its RRset secure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Association {
    pub(crate) usage: Usage,
    pub(crate) selector: Selector,
    pub(crate) matching: Matching,
    pub(crate) data: Vec<u8>,
}

/// Why a record is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) kind: DaneFindingKind,
    pub(crate) detail: String,
}

impl Problem {
    fn new(kind: DaneFindingKind, detail: String) -> Self {
        Self { kind, detail }
    }
}

/// One record of an answer: its presentation form and what a client makes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// `usage selector matching hex`, lower-case hex (RFC 6698 §2.2).
    pub(crate) text: String,
    pub(crate) read: Result<Association, Problem>,
}

/// The records of an answer, in order.
pub(crate) fn entries(records: &[TLSA]) -> Vec<Entry> {
    records
        .iter()
        .map(|tlsa| Entry {
            text: presentation(tlsa),
            read: read(tlsa),
        })
        .collect()
}

/// The record in presentation form on one line, the hex in lower case (RFC 6698 §2.2).
pub(crate) fn presentation(tlsa: &TLSA) -> String {
    let mut text = format!(
        "{} {} {} ",
        u8::from(tlsa.cert_usage),
        u8::from(tlsa.selector),
        u8::from(tlsa.matching)
    );
    push_hex(&mut text, &tlsa.cert_data);
    text
}

/// The presentation form with at most [`QUOTED_OCTETS`] of the data, for details.
pub(crate) fn quoted(text: &str) -> String {
    // The data begins after the third space.
    let keep = text
        .char_indices()
        .filter(|&(_, c)| c == ' ')
        .nth(2)
        .map_or(text.len(), |(i, _)| i + 1)
        + 2 * QUOTED_OCTETS;
    match text.get(..keep) {
        Some(head) if keep < text.len() => format!("{head}…"),
        _ => text.to_owned(),
    }
}

/// `bytes` in lower-case hex, at most [`QUOTED_OCTETS`] of them followed by `…`.
pub(crate) fn quoted_hex(bytes: &[u8]) -> String {
    let mut text = String::new();
    push_hex(&mut text, &bytes[..bytes.len().min(QUOTED_OCTETS)]);
    if bytes.len() > QUOTED_OCTETS {
        text.push('…');
    }
    text
}

fn push_hex(text: &mut String, bytes: &[u8]) {
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
}

/// What a DANE SMTP client makes of one record: an association, or why it is unusable.
/// The usage is judged first, then the selector, the matching type and the data's length.
pub(crate) fn read(tlsa: &TLSA) -> Result<Association, Problem> {
    let usage = match tlsa.cert_usage {
        CertUsage::DaneTa => Usage::DaneTa,
        CertUsage::DaneEe => Usage::DaneEe,
        // RFC 7672 §3.1.3: senders have no agreed set of public CAs, so the PKIX usages
        // cannot help on port 25; clients MAY (and in practice do) treat them as unusable.
        CertUsage::PkixTa | CertUsage::PkixEe => {
            let name = if tlsa.cert_usage == CertUsage::PkixTa {
                "PKIX-TA(0)"
            } else {
                "PKIX-EE(1)"
            };
            return Err(Problem::new(
                DaneFindingKind::UnusableUsage,
                format!("usage {name} is not used for SMTP (RFC 7672 §3.1.3)"),
            ));
        }
        other => {
            return Err(unknown("usage", u8::from(other)));
        }
    };
    let selector = match tlsa.selector {
        WireSelector::Full => Selector::Cert,
        WireSelector::Spki => Selector::Spki,
        other => return Err(unknown("selector", u8::from(other))),
    };
    let matching = match tlsa.matching {
        WireMatching::Raw => Matching::Full,
        WireMatching::Sha256 => Matching::Sha256,
        WireMatching::Sha512 => Matching::Sha512,
        other => return Err(unknown("matching type", u8::from(other))),
    };
    let len = tlsa.cert_data.len();
    match matching.digest_len() {
        Some(want) if len != want => {
            let name = if matching == Matching::Sha256 {
                "SHA2-256"
            } else {
                "SHA2-512"
            };
            return Err(Problem::new(
                DaneFindingKind::BadLength,
                format!("{name} data of {len} octets, {want} expected"),
            ));
        }
        None if len == 0 => {
            return Err(Problem::new(
                DaneFindingKind::BadLength,
                "Full(0) data is empty".to_owned(),
            ));
        }
        _ => {}
    }
    Ok(Association {
        usage,
        selector,
        matching,
        data: tlsa.cert_data.clone(),
    })
}

fn unknown(field: &str, value: u8) -> Problem {
    let what = if value == 255 {
        "reserved for private use"
    } else {
        "not defined"
    };
    Problem::new(
        DaneFindingKind::UnknownParameter,
        format!("{field} {value} is {what} (RFC 7218 registries)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlsa(usage: u8, selector: u8, matching: u8, data: Vec<u8>) -> TLSA {
        TLSA::new(usage.into(), selector.into(), matching.into(), data)
    }

    #[test]
    fn presentation_is_decimal_parameters_and_lower_case_hex() {
        let record = tlsa(3, 1, 1, vec![0x0c, 0x72, 0xAC, 0x00]);
        assert_eq!(presentation(&record), "3 1 1 0c72ac00");
    }

    #[test]
    fn quoted_forms_are_bounded() {
        let long = presentation(&tlsa(3, 0, 0, vec![0xab; 1000]));
        let short = quoted(&long);
        assert_eq!(short, format!("3 0 0 {}…", "ab".repeat(QUOTED_OCTETS)));
        let whole = presentation(&tlsa(255, 255, 255, vec![1, 2]));
        assert_eq!(quoted(&whole), "255 255 255 0102");
        assert_eq!(quoted_hex(&[0xcd; 3]), "cdcdcd");
        assert_eq!(
            quoted_hex(&[0xcd; 40]),
            format!("{}…", "cd".repeat(QUOTED_OCTETS))
        );
    }

    /// Each record's verdict: usable with its parameters, or the kind of its problem.
    #[test]
    fn records_are_read_in_the_order_usage_selector_matching_length() {
        use DaneFindingKind::{BadLength, UnknownParameter, UnusableUsage};
        let ok = |usage, selector, matching| Ok::<_, DaneFindingKind>((usage, selector, matching));
        for ((u, s, m, len), want) in [
            (
                (3, 1, 1, 32),
                ok(Usage::DaneEe, Selector::Spki, Matching::Sha256),
            ),
            (
                (3, 0, 2, 64),
                ok(Usage::DaneEe, Selector::Cert, Matching::Sha512),
            ),
            (
                (2, 0, 0, 700),
                ok(Usage::DaneTa, Selector::Cert, Matching::Full),
            ),
            (
                (2, 1, 1, 32),
                ok(Usage::DaneTa, Selector::Spki, Matching::Sha256),
            ),
            ((0, 0, 1, 32), Err(UnusableUsage)),
            ((1, 1, 1, 32), Err(UnusableUsage)),
            // The usage is judged before anything else.
            ((1, 7, 9, 3), Err(UnusableUsage)),
            ((4, 1, 1, 32), Err(UnknownParameter)),
            ((255, 1, 1, 32), Err(UnknownParameter)),
            ((3, 2, 1, 32), Err(UnknownParameter)),
            ((3, 1, 3, 32), Err(UnknownParameter)),
            ((3, 1, 255, 32), Err(UnknownParameter)),
            ((3, 1, 1, 31), Err(BadLength)),
            ((3, 1, 1, 33), Err(BadLength)),
            ((3, 1, 1, 64), Err(BadLength)),
            ((3, 1, 2, 32), Err(BadLength)),
            ((3, 0, 0, 0), Err(BadLength)),
        ] {
            let record = tlsa(u, s, m, vec![7; len]);
            let got = read(&record)
                .map(|a| (a.usage, a.selector, a.matching))
                .map_err(|p| p.kind);
            assert_eq!(got, want, "{u} {s} {m} with {len} octets");
            if let Ok(association) = read(&record) {
                assert_eq!(association.data, vec![7; len]);
            }
        }
    }

    #[test]
    fn problems_say_what_is_wrong() {
        let detail = |u, s, m, len| read(&tlsa(u, s, m, vec![0; len])).unwrap_err().detail;
        assert_eq!(
            detail(1, 1, 1, 32),
            "usage PKIX-EE(1) is not used for SMTP (RFC 7672 §3.1.3)"
        );
        assert_eq!(
            detail(3, 1, 1, 20),
            "SHA2-256 data of 20 octets, 32 expected"
        );
        assert_eq!(
            detail(3, 1, 2, 32),
            "SHA2-512 data of 32 octets, 64 expected"
        );
        assert_eq!(
            detail(3, 9, 1, 32),
            "selector 9 is not defined (RFC 7218 registries)"
        );
        assert_eq!(
            detail(3, 1, 255, 32),
            "matching type 255 is reserved for private use (RFC 7218 registries)"
        );
    }

    #[test]
    fn entries_keep_the_answer_order() {
        let got = entries(&[tlsa(3, 1, 1, vec![1; 32]), tlsa(1, 1, 1, vec![2; 32])]);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].text, format!("3 1 1 {}", "01".repeat(32)));
        assert!(got[0].read.is_ok());
        assert_eq!(got[1].text, format!("1 1 1 {}", "02".repeat(32)));
        assert!(got[1].read.is_err());
    }
}
