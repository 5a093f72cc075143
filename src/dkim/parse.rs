//! A DKIM key record read into its tags (RFC 6376 §3.2) and its key (§3.6.1, RFC 8463
//! §4.2), with what is wrong with either; pure, no DNS.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::{PublicKey, RSAPublicKey};
use x509_parser::x509::SubjectPublicKeyInfo;

use super::{DkimFinding, DkimFindingKind, KeyType};

/// The only version a key record may name (RFC 6376 §3.6.1).
pub const VERSION: &str = "DKIM1";

/// Characters of a value from the network quoted in a finding's detail.
const QUOTED_CHARS: usize = 40;

/// The bits under which verifiers MUST NOT accept an RSA signature, and under which
/// signers SHOULD NOT go (RFC 8301 §3.2).
const RSA_MUST_BITS: u32 = 1024;
const RSA_SHOULD_BITS: u32 = 2048;

/// Octets of an Ed25519 public key (RFC 8032 §5.1.5), what `p=` holds (RFC 8463 §4.2).
const ED25519_LEN: usize = 32;

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4), before the key:
/// a wrapping some publishers add though RFC 8463 §4.2 wants the bare key.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// `base64string` allows the padding to be left out (RFC 6376 §2.4's ABNF makes both
/// "=" optional), so decoding accepts either.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// White space a tag-list may hold around and inside values: `FWS`, which in a TXT
/// record is usually spaces, sometimes tabs or a line break kept from a zone file.
const FWS: [char; 4] = [' ', '\t', '\r', '\n'];

/// One tag of a key record: its name and value as written, the white space around the
/// value taken off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub value: String,
}

/// A key record read: its tags, its key decoded, and its problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedKey {
    /// The well-formed tags in the order written, the first of each name only.
    pub tags: Vec<Tag>,
    /// Null when the key is revoked, of an unknown type or not decodable.
    pub key_type: Option<KeyType>,
    /// RSA modulus bits, 256 for Ed25519.
    pub bits: Option<u32>,
    /// `p=` empty.
    pub revoked: bool,
    /// `t=` holds the flag `y`.
    pub testing: bool,
    pub errors: Vec<DkimFinding>,
    pub warnings: Vec<DkimFinding>,
}

impl ParsedKey {
    fn tag(&self, name: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.value.as_str())
    }

    fn push(&mut self, kind: DkimFindingKind, detail: impl Into<String>) {
        let finding = DkimFinding::new(kind, detail);
        if kind.is_warning() {
            self.warnings.push(finding);
        } else {
            self.errors.push(finding);
        }
    }
}

/// Whether a TXT record at a selector is a DKIM key record, as opposed to another TXT
/// record sharing the name: its tag-list has a `p=` tag, or a `v=` naming a DKIM
/// version. A record that begins with a `v=` of another protocol (`v=spf1`,
/// `v=DMARC1; p=none`) is not one; verifiers discard it (RFC 6376 §3.6.1).
pub(crate) fn is_key_record(text: &str) -> bool {
    let (tags, _) = split(text);
    let dkim_version = |value: &str| {
        value
            .get(..4)
            .is_some_and(|v| v.eq_ignore_ascii_case("DKIM"))
    };
    match tags.first() {
        Some(first) if first.name == "v" && !dkim_version(&first.value) => false,
        _ => tags
            .iter()
            .any(|t| t.name == "p" || (t.name == "v" && dkim_version(&t.value))),
    }
}

/// Reads a key record (its TXT strings already joined): the tag-list (RFC 6376 §3.2),
/// the version (§3.6.1), the key type and the key (`p=`, decoded by type), the flags.
pub fn key_record(text: &str) -> ParsedKey {
    let (tags, syntax) = split(text);
    let mut key = ParsedKey {
        tags,
        key_type: None,
        bits: None,
        revoked: false,
        testing: false,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    for detail in syntax {
        key.push(DkimFindingKind::Syntax, detail);
    }
    if let Some(at) = key.tags.iter().position(|t| t.name == "v") {
        let value = key.tags[at].value.clone();
        if at != 0 {
            key.push(
                DkimFindingKind::VersionNotFirst,
                format!(
                    "v= is tag {} of the record; it must be the first (RFC 6376 §3.6.1)",
                    at + 1
                ),
            );
        }
        // A string comparison: "DKIM1.0" and "dkim1" are other versions (§3.6.1).
        if value != VERSION {
            key.push(
                DkimFindingKind::BadVersion,
                format!(
                    "v={}; only {VERSION} is defined, and verifiers discard records of \
                     another version (RFC 6376 §3.6.1)",
                    quote(&value)
                ),
            );
        }
    }
    let key_type = match key.tag("k") {
        None | Some("rsa") => Some(KeyType::Rsa),
        Some("ed25519") => Some(KeyType::Ed25519),
        Some(other) => {
            let detail = format!(
                "k={}; verifiers know rsa (RFC 6376 §3.6.1) and ed25519 (RFC 8463)",
                quote(other)
            );
            key.push(DkimFindingKind::UnknownKeyType, detail);
            None
        }
    };
    if let Some(flags) = key.tag("t") {
        key.testing = flags.split(':').any(|flag| flag.trim_matches(FWS) == "y");
    }
    match key.tag("p").map(|p| p.replace(FWS, "")) {
        None => key.push(
            DkimFindingKind::MissingP,
            "no p= tag; the key record requires one (RFC 6376 §3.6.1)",
        ),
        Some(p) if p.is_empty() => {
            key.revoked = true;
            key.push(
                DkimFindingKind::Revoked,
                "p= is empty: the key is revoked, and signatures made with it fail (RFC 6376 \
                 §3.6.1)",
            );
        }
        Some(p) => match (key_type, BASE64.decode(&p)) {
            (_, Err(e)) => key.push(DkimFindingKind::BadKey, format!("p= is not base64: {e}")),
            (None, Ok(_)) => {}
            (Some(KeyType::Rsa), Ok(der)) => rsa(&mut key, &der),
            (Some(KeyType::Ed25519), Ok(raw)) => ed25519(&mut key, &raw),
        },
    }
    if key.testing {
        key.push(
            DkimFindingKind::Testing,
            "t=y: the domain is testing DKIM, and verifiers may treat its signed mail as \
             unsigned (RFC 6376 §3.6.1)",
        );
    }
    key
}

/// An RSA key: a SubjectPublicKeyInfo, or a bare PKCS#1 RSAPublicKey (RFC 8017 §A.1.1).
fn rsa(key: &mut ParsedKey, der: &[u8]) {
    let bits = match SubjectPublicKeyInfo::from_der(der) {
        Ok(([], spki)) => match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => modulus_bits(rsa.modulus),
            Ok(_) => {
                let detail = format!(
                    "p= holds a key of algorithm {}, not RSA (k=rsa)",
                    spki.algorithm.algorithm.to_id_string()
                );
                return key.push(DkimFindingKind::BadKey, detail);
            }
            Err(_) => {
                return key.push(
                    DkimFindingKind::BadKey,
                    "p= is an RSA SubjectPublicKeyInfo whose key does not decode",
                );
            }
        },
        _ => match RSAPublicKey::from_der(der) {
            Ok(([], rsa)) => {
                // RFC 6376 §3.6.1's words name RSAPublicKey, but its example (Appendix
                // C) and the verifiers in use expect a SubjectPublicKeyInfo, so a bare
                // key verifies only at some receivers.
                key.push(
                    DkimFindingKind::Pkcs1Key,
                    "p= is a bare PKCS#1 RSAPublicKey; verifiers commonly expect it wrapped in \
                     a SubjectPublicKeyInfo (as `openssl rsa -pubout` writes it, RFC 6376 \
                     Appendix C)",
                );
                modulus_bits(rsa.modulus)
            }
            _ => {
                return key.push(
                    DkimFindingKind::BadKey,
                    format!(
                        "p= decodes to {} octets that are neither a SubjectPublicKeyInfo nor \
                         an RSAPublicKey in DER",
                        der.len()
                    ),
                );
            }
        },
    };
    let Some(bits) = bits else {
        return key.push(
            DkimFindingKind::BadKey,
            "p= is an RSA key with a zero modulus",
        );
    };
    key.key_type = Some(KeyType::Rsa);
    key.bits = Some(bits);
    if bits < RSA_MUST_BITS {
        key.push(
            DkimFindingKind::WeakKey,
            format!(
                "an RSA key of {bits} bits; verifiers MUST NOT accept signatures with keys \
                 under {RSA_MUST_BITS} bits (RFC 8301 §3.2)"
            ),
        );
    } else if bits < RSA_SHOULD_BITS {
        key.push(
            DkimFindingKind::ShortKey,
            format!(
                "an RSA key of {bits} bits; signers SHOULD use at least {RSA_SHOULD_BITS} \
                 (RFC 8301 §3.2)"
            ),
        );
    }
}

/// The bit length of a DER INTEGER's content octets read as an unsigned modulus: the
/// leading zero octets (DER's sign octet) and the zero bits of the first octet left out.
fn modulus_bits(modulus: &[u8]) -> Option<u32> {
    let start = modulus.iter().position(|&b| b != 0)?;
    let significant = &modulus[start..];
    let bits = significant.len() * 8 - significant[0].leading_zeros() as usize;
    u32::try_from(bits).ok()
}

/// An Ed25519 key: the bare 32 octets (RFC 8463 §4.2).
fn ed25519(key: &mut ParsedKey, raw: &[u8]) {
    if raw.len() == ED25519_LEN {
        key.key_type = Some(KeyType::Ed25519);
        key.bits = Some(256);
        return;
    }
    let detail = if raw.len() == ED25519_SPKI_PREFIX.len() + ED25519_LEN
        && raw.starts_with(&ED25519_SPKI_PREFIX)
    {
        "p= is an Ed25519 key wrapped in a SubjectPublicKeyInfo; RFC 8463 §4.2 publishes the \
         bare 32-octet key"
            .to_owned()
    } else {
        format!(
            "p= decodes to {} octets; an Ed25519 key is {ED25519_LEN} (RFC 8463 §4.2)",
            raw.len()
        )
    };
    key.push(DkimFindingKind::BadKey, detail);
}

/// The tags of a tag-list (RFC 6376 §3.2) and what breaks it, each problem in words.
/// Malformed tags are left out; of duplicate names, the first is kept.
fn split(text: &str) -> (Vec<Tag>, Vec<String>) {
    let mut tags: Vec<Tag> = Vec::new();
    let mut problems = Vec::new();
    let pieces: Vec<&str> = text.split(';').collect();
    for (i, piece) in pieces.iter().enumerate() {
        let spec = piece.trim_matches(FWS);
        if spec.is_empty() {
            // The tag-list may end with one ";" (and the white space of the TXT record).
            if i + 1 == pieces.len() && i > 0 {
                continue;
            }
            problems.push(format!("empty tag at \";\" number {}", i + 1));
            continue;
        }
        let Some((name, value)) = spec.split_once('=') else {
            problems.push(format!("{} has no \"=\"", quote(spec)));
            continue;
        };
        let name = name.trim_matches(FWS);
        let value = value.trim_matches(FWS);
        let mut chars = name.chars();
        let name_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok {
            problems.push(format!(
                "invalid tag name {}; a name is a letter, then letters, digits or \"_\"",
                quote(name)
            ));
            continue;
        }
        // VALCHAR is %x21-3A / %x3C-7E ("=" included), with white space between.
        if let Some(bad) = value
            .chars()
            .find(|&c| !(('!'..='~').contains(&c) || FWS.contains(&c)))
        {
            problems.push(format!(
                "tag {name}= holds the character {bad:?}, outside printable ASCII"
            ));
        }
        if tags.iter().any(|t| t.name == name) {
            problems.push(format!(
                "tag {name}= appears more than once, which makes the whole record invalid \
                 (RFC 6376 §3.2)"
            ));
            continue;
        }
        tags.push(Tag {
            name: name.to_owned(),
            value: value.to_owned(),
        });
    }
    (tags, problems)
}

/// `text` Debug-quoted (escaped for a terminal), at most [`QUOTED_CHARS`] of it.
fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("{:?}…", &text[..end]),
        None => format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests;
