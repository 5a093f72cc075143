//! DKIM key records (RFC 6376 §3.6): the TXT records published at
//! `<selector>._domainkey.<domain>` for a list of commonly used selectors, read into tags
//! and a decoded key with its problems (pure `parse`), and the domain's verdict over the
//! selectors asked (pure `analysis`). Selectors cannot be listed from the DNS, so a
//! domain whose signer uses another selector shows `none`.

pub mod analysis;
pub mod parse;
pub mod selectors;

use serde::{Deserialize, Serialize};
use strum::IntoStaticStr;

pub use parse::{ParsedKey, Tag, key_record};

/// The label under which selectors live (RFC 6376 §3.6.2.1).
pub const DOMAINKEY_LABEL: &str = "_domainkey";

/// `_domainkey.<domain>`: the parent of every selector's name. When it does not exist
/// (NXDOMAIN), nothing beneath it does either (RFC 8020 §2), so no selector is asked.
pub fn domainkey_name(domain: &str) -> String {
    format!("{DOMAINKEY_LABEL}.{domain}")
}

/// `<selector>._domainkey.<domain>`, the name of a key record (RFC 6376 §3.6.2.1).
pub fn selector_name(selector: &str, domain: &str) -> String {
    format!("{selector}.{DOMAINKEY_LABEL}.{domain}")
}

// RFC 6376 §3.2, the tag-list shared by signatures and key records:
//
//   tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//   tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//   tag-name  =  ALPHA *ALNUMPUNC
//   tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
//                     ; Prohibits WSP and FWS at beginning and end
//   tval      =  1*VALCHAR
//   VALCHAR   =  %x21-3A / %x3C-7E
//                     ; EXCLAMATION to TILDE except SEMICOLON
//   ALNUMPUNC =  ALPHA / DIGIT / "_"
//
//   Tags with duplicate names MUST NOT occur within a single tag-list; if a tag name
//   does occur more than once, the entire tag-list is invalid. Tag names are
//   case-sensitive; unrecognised tags MUST be ignored.
//
// RFC 6376 §3.6.1, the key record's tags (the TXT strings of one record joined first):
//
//   key-v-tag    = %x76 [FWS] "=" [FWS] %x44.4B.49.4D.31      ; "DKIM1"; if present,
//                                                             ; the first tag
//   key-h-tag    = %x68 [FWS] "=" [FWS] key-h-tag-alg
//                  0*( [FWS] ":" [FWS] key-h-tag-alg )        ; acceptable hashes
//   key-k-tag    = %x6b [FWS] "=" [FWS] key-k-tag-type        ; default "rsa"
//   key-k-tag-type = "rsa" / x-key-k-tag-type                 ; RFC 8463 adds "ed25519"
//   key-n-tag    = %x6e [FWS] "=" [FWS] qp-section            ; notes
//   key-p-tag    = %x70 [FWS] "=" [ [FWS] base64string ]      ; REQUIRED; empty: revoked
//   key-s-tag    = %x73 [FWS] "=" [FWS] key-s-tag-type
//                  0*( [FWS] ":" [FWS] key-s-tag-type )       ; service types
//   key-t-tag    = %x74 [FWS] "=" [FWS] key-t-tag-flag
//                  0*( [FWS] ":" [FWS] key-t-tag-flag )       ; "y" testing, "s" strict
//
//   base64string = ALPHADIGITPS *([FWS] ALPHADIGITPS)
//                  [ [FWS] "=" [ [FWS] "=" ] ]               ; white space inside allowed
//
// p= holds, for k=rsa, a DER public key: RFC 6376 §3.6.1 names the PKCS#1
// RSAPublicKey, while its own example (Appendix C, `openssl rsa -pubout`) and the
// verifiers in use take a SubjectPublicKeyInfo; for k=ed25519 the raw 32-octet key
// (RFC 8463 §4.2).

/// The `dkim` part of a domain's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimReport {
    pub status: DkimStatus,
    /// The answer to TXT `_domainkey.<domain>`.
    pub domainkey: DomainkeyState,
    /// The selectors asked, in order; empty when the domainkey name was NXDOMAIN or its
    /// question failed.
    pub selectors_asked: Vec<String>,
    /// The selectors at which a key record was found, in the order asked.
    pub selectors_found: Vec<String>,
    /// Every key record found, in the order asked (several at one selector in the order
    /// of the answer).
    pub keys: Vec<DkimKey>,
    /// Part-level findings: failed questions (`temperror`).
    pub errors: Vec<DkimFinding>,
    pub warnings: Vec<DkimFinding>,
}

impl DkimReport {
    /// The size of the smallest RSA key published (revoked ones aside): the key a
    /// verifier's rules on length (RFC 8301 §3.2) bite first.
    pub fn weakest_rsa_bits(&self) -> Option<u32> {
        self.keys
            .iter()
            .filter(|k| k.key_type == Some(KeyType::Rsa) && !k.revoked)
            .filter_map(|k| k.bits)
            .min()
    }
}

/// What the `dkim` part found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DkimStatus {
    /// At least one key record among the selectors asked, valid or not.
    Found,
    /// No key record among the selectors asked, or `_domainkey.<domain>` does not exist.
    /// Not proof of no DKIM: the signer may use a selector not asked.
    None,
    /// No selector was asked for the domain.
    NotChecked,
    /// The `_domainkey` question failed, or every selector question failed and none
    /// found a key: unknown, never absence.
    Temperror,
}

impl DkimStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The answer to TXT `_domainkey.<domain>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DomainkeyState {
    /// NXDOMAIN: no name exists beneath it (RFC 8020 §2).
    Nxdomain,
    /// The name exists (records or NODATA, an empty non-terminal over the selectors).
    Exists,
    /// The question failed.
    Temperror,
}

impl DomainkeyState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One key record found at a selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimKey {
    pub selector: String,
    /// `<selector>._domainkey.<domain>`.
    pub name: String,
    /// Where the name's CNAME chain ends, when it is an alias (a provider hosting the
    /// key); null when the name owns the record.
    pub cname: Option<String>,
    /// The record as published, its TXT strings joined.
    pub record: String,
    /// The key's type; null when the key is revoked, of an unknown type or not
    /// decodable.
    pub key_type: Option<KeyType>,
    /// RSA modulus bits; 256 for Ed25519; null when there is no decodable key.
    pub bits: Option<u32>,
    /// `p=` is empty: the key was revoked (RFC 6376 §3.6.1).
    pub revoked: bool,
    /// `t=y`: the domain is testing DKIM (RFC 6376 §3.6.1).
    pub testing: bool,
    pub errors: Vec<DkimFinding>,
    pub warnings: Vec<DkimFinding>,
}

/// `k=`: the key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum KeyType {
    /// RSA (RFC 6376 §3.6.1), the default.
    Rsa,
    /// Ed25519 (RFC 8463 §4.2).
    Ed25519,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An error or warning of the `dkim` part or of one of its keys.
pub type DkimFinding = crate::finding::Finding<DkimFindingKind>;

/// Kinds of findings; the snake_case names are part of the output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantArray))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DkimFindingKind {
    // Part-level errors.
    /// A question failed: `_domainkey.<domain>` or a selector (the detail says which).
    Temperror,
    // Key errors.
    /// Several key records at one selector: verifiers pick one at will (RFC 6376
    /// §6.1.2).
    MultipleRecords,
    /// The tag-list is broken (RFC 6376 §3.2): a malformed tag, a bad character, a
    /// duplicate tag; verifiers discard the whole record.
    Syntax,
    /// `v=` present but not the first tag (RFC 6376 §3.6.1).
    VersionNotFirst,
    /// `v=` other than `DKIM1`: verifiers discard the record (RFC 6376 §3.6.1).
    BadVersion,
    /// No `p=` tag, which is required (RFC 6376 §3.6.1).
    MissingP,
    /// `p=` is not base64, or not a key of the record's type.
    BadKey,
    /// An RSA key under 1024 bits: verifiers MUST NOT accept its signatures (RFC 8301
    /// §3.2).
    WeakKey,
    /// `k=` other than `rsa` or `ed25519`.
    UnknownKeyType,
    // Key warnings.
    /// An RSA key of 1024 to 2047 bits: signers SHOULD use at least 2048 (RFC 8301 §3.2).
    ShortKey,
    /// `p=` is empty: the key was revoked (RFC 6376 §3.6.1).
    Revoked,
    /// `t=y`: verifiers may treat the domain's signatures as unsigned (RFC 6376 §3.6.1).
    Testing,
    /// An RSA key as a bare PKCS#1 RSAPublicKey, not wrapped in a SubjectPublicKeyInfo:
    /// the literal reading of RFC 6376 §3.6.1, which common verifiers reject.
    Pkcs1Key,
}

impl DkimFindingKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the kind is a warning rather than an error.
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            Self::ShortKey | Self::Revoked | Self::Testing | Self::Pkcs1Key
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the record format, each variant once.
    #[test]
    fn status_names_are_the_documented_ones() {
        let names = [
            (DkimStatus::Found, "found"),
            (DkimStatus::None, "none"),
            (DkimStatus::NotChecked, "not_checked"),
            (DkimStatus::Temperror, "temperror"),
        ];
        crate::names::assert_serde_named(&names, DkimStatus::as_str);
    }

    /// The names of the record format, each variant once.
    #[test]
    fn domainkey_names_are_the_documented_ones() {
        let names = [
            (DomainkeyState::Nxdomain, "nxdomain"),
            (DomainkeyState::Exists, "exists"),
            (DomainkeyState::Temperror, "temperror"),
        ];
        crate::names::assert_serde_named(&names, DomainkeyState::as_str);
    }

    /// The names of the record format, each variant once.
    #[test]
    fn key_type_names_are_the_documented_ones() {
        let names = [(KeyType::Rsa, "rsa"), (KeyType::Ed25519, "ed25519")];
        crate::names::assert_serde_named(&names, KeyType::as_str);
    }

    /// The names of the record format, each variant once.
    #[test]
    fn finding_kind_names_are_the_documented_ones() {
        let names = [
            (DkimFindingKind::Temperror, "temperror"),
            (DkimFindingKind::MultipleRecords, "multiple_records"),
            (DkimFindingKind::Syntax, "syntax"),
            (DkimFindingKind::VersionNotFirst, "version_not_first"),
            (DkimFindingKind::BadVersion, "bad_version"),
            (DkimFindingKind::MissingP, "missing_p"),
            (DkimFindingKind::BadKey, "bad_key"),
            (DkimFindingKind::WeakKey, "weak_key"),
            (DkimFindingKind::UnknownKeyType, "unknown_key_type"),
            (DkimFindingKind::ShortKey, "short_key"),
            (DkimFindingKind::Revoked, "revoked"),
            (DkimFindingKind::Testing, "testing"),
            (DkimFindingKind::Pkcs1Key, "pkcs1_key"),
        ];
        crate::names::assert_serde_named(&names, DkimFindingKind::as_str);
    }

    #[test]
    fn names_are_built_under_domainkey() {
        assert_eq!(domainkey_name("example.jp"), "_domainkey.example.jp");
        assert_eq!(
            selector_name("selector1", "example.jp"),
            "selector1._domainkey.example.jp"
        );
    }
}
