use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _};

use super::*;
use crate::dkim::DkimFindingKind::{
    BadKey, BadVersion, MissingP, Pkcs1Key, Revoked, ShortKey, Syntax, Testing, UnknownKeyType,
    VersionNotFirst, WeakKey,
};

// RSA public keys made with `openssl genrsa BITS` and written with `openssl rsa -pubout
// -outform DER` (SubjectPublicKeyInfo) or `-RSAPublicKey_out` (PKCS#1), base64: ring and
// rcgen's ring backend cannot generate RSA keys, so they are fixed here.

/// A 512-bit key, SubjectPublicKeyInfo.
const RSA_512_SPKI: &str = "\
    MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANfshVrFmd3m5t59mt1XX8TSr+YsmhixOqV1ag6YLCBvQEfb\
    V9Evd+37kBBpOoPKJw2353lj55VEbPWBN6apEV8CAwEAAQ==";
/// A 1024-bit key, SubjectPublicKeyInfo.
const RSA_1024_SPKI: &str = "\
    MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCW/R35i3D7yJjxBJjygRXDTj4HtIX6GPNKHOuZrrM1\
    bPdZ4F8yPpuahKt7bahMRyUkgx7E7TIHKs3fm9k5PdB/+tqOmf+F7MwYP14o2rJnsBD0ZjCO54mVL64I\
    9rDFXURf2UWHhlEwdgQxDqGgqHxuqqvVrfMfhxYD62fXmp7A2QIDAQAB";
/// A 2048-bit key, SubjectPublicKeyInfo.
const RSA_2048_SPKI: &str = "\
    MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0XIoWBtYIT29xDVFnFGVLtaLmYCgq1HqIMiE\
    b/4358OPh4JOAEZcjlsBC7teMDkHlpnbemdc2mzffvVFajeY88enuNzwGMB0xQ6gvccrNIikyRkJCHZB\
    W4+JkG6mqNL7zwuuxbHgHV9b6118NT5QWAY6+12PfvOKCphpA9uvLwzcs4fDigg4irlHoJr3wrMJaoR5\
    C/HyL3+Ngaz0t0lj2F680qZPOm4186le9v/t2jWwHzGU0ExgT4L4DdsjhonK+QjFFLpUriZLn10wWydU\
    wn2RCqSO43BEcE7rtLRPpid8FAxETHoIMqgCS5+Dp3lFL9ka0VFss0spio0mf+t6ZwIDAQAB";
/// The 1024-bit key above as a bare PKCS#1 RSAPublicKey.
const RSA_1024_PKCS1: &str = "\
    MIGJAoGBAJb9HfmLcPvImPEEmPKBFcNOPge0hfoY80oc65muszVs91ngXzI+m5qEq3ttqExHJSSDHsTt\
    Mgcqzd+b2Tk90H/62o6Z/4XszBg/XijasmewEPRmMI7niZUvrgj2sMVdRF/ZRYeGUTB2BDEOoaCofG6q\
    q9Wt8x+HFgPrZ9eansDZAgMBAAE=";
/// A P-256 key (`openssl genpkey -algorithm EC`), SubjectPublicKeyInfo.
const EC_P256_SPKI: &str = "\
    MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEUXfJKPBWA1evUPi3yQ9gx9G+fcc4JD2bHQOnKrgsMY5p\
    sIiFtfVC7N9xJ720/O/VUnTFU2C3zwkakL8DYNAf/A==";

/// A fresh Ed25519 public key, 32 octets.
fn ed25519_public() -> Vec<u8> {
    let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(document.as_ref()).unwrap();
    pair.public_key().as_ref().to_vec()
}

fn kinds(findings: &[DkimFinding]) -> Vec<DkimFindingKind> {
    findings.iter().map(|f| f.kind).collect()
}

/// Errors and warnings of a record, by kind.
fn verdict(text: &str) -> (Vec<DkimFindingKind>, Vec<DkimFindingKind>) {
    let key = key_record(text);
    (kinds(&key.errors), kinds(&key.warnings))
}

#[test]
fn rsa_keys_are_sized_against_rfc_8301() {
    for (p, bits, errors, warnings) in [
        (RSA_512_SPKI, 512, vec![WeakKey], vec![]),
        (RSA_1024_SPKI, 1024, vec![], vec![ShortKey]),
        (RSA_2048_SPKI, 2048, vec![], vec![]),
    ] {
        let key = key_record(&format!("v=DKIM1; k=rsa; p={p}"));
        assert_eq!(key.key_type, Some(KeyType::Rsa), "{bits}");
        assert_eq!(key.bits, Some(bits));
        assert_eq!(kinds(&key.errors), errors, "{bits}");
        assert_eq!(kinds(&key.warnings), warnings, "{bits}");
        assert!(!key.revoked && !key.testing);
    }
}

#[test]
fn a_clean_record_keeps_its_tags_in_order() {
    let key = key_record(&format!(
        "v=DKIM1; h=sha256; k=rsa; s=email; p={RSA_2048_SPKI};"
    ));
    let names: Vec<&str> = key.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["v", "h", "k", "s", "p"]);
    assert_eq!(key.tags[1].value, "sha256");
    assert!(key.errors.is_empty() && key.warnings.is_empty(), "{key:?}");
}

/// k= defaults to rsa, v= is optional (RFC 6376 §3.6.1).
#[test]
fn k_and_v_are_optional() {
    let key = key_record(&format!("p={RSA_2048_SPKI}"));
    assert_eq!((key.key_type, key.bits), (Some(KeyType::Rsa), Some(2048)));
    assert!(key.errors.is_empty() && key.warnings.is_empty(), "{key:?}");
}

/// base64string allows FWS inside and the padding left out (RFC 6376 §2.4, §3.6.1).
#[test]
fn p_may_hold_white_space_and_omit_padding() {
    // The 512-bit key's DER (94 octets) needs padding; the 2048-bit one's does not.
    for (spki, bits, errors) in [
        (RSA_512_SPKI, 512, vec![WeakKey]),
        (RSA_2048_SPKI, 2048, vec![]),
    ] {
        let unpadded = STANDARD_NO_PAD.encode(STANDARD.decode(spki).unwrap());
        let (head, tail) = unpadded.split_at(40);
        let (middle, tail) = tail.split_at(30);
        let record = format!("v=DKIM1; k=rsa; p={head} {middle}\t\r\n {tail} ");
        let key = key_record(&record);
        assert_eq!(key.bits, Some(bits));
        assert_eq!(kinds(&key.errors), errors, "{key:?}");
    }
    assert!(RSA_512_SPKI.ends_with("=="));
}

#[test]
fn a_bare_pkcs1_key_is_read_and_flagged() {
    let key = key_record(&format!("v=DKIM1; p={RSA_1024_PKCS1}"));
    assert_eq!((key.key_type, key.bits), (Some(KeyType::Rsa), Some(1024)));
    assert_eq!(kinds(&key.errors), []);
    assert_eq!(kinds(&key.warnings), [Pkcs1Key, ShortKey]);
}

#[test]
fn an_ed25519_key_is_the_raw_32_octets() {
    let public = ed25519_public();
    let key = key_record(&format!(
        "v=DKIM1; k=ed25519; p={}",
        STANDARD.encode(&public)
    ));
    assert_eq!(
        (key.key_type, key.bits),
        (Some(KeyType::Ed25519), Some(256))
    );
    assert!(key.errors.is_empty() && key.warnings.is_empty(), "{key:?}");

    // The same key wrapped in a SubjectPublicKeyInfo (RFC 8410 §4), and cut short.
    let mut wrapped = ED25519_SPKI_PREFIX.to_vec();
    wrapped.extend_from_slice(&public);
    for (bytes, says) in [
        (wrapped, "wrapped in a SubjectPublicKeyInfo"),
        (public[..31].to_vec(), "31 octets"),
    ] {
        let key = key_record(&format!(
            "v=DKIM1; k=ed25519; p={}",
            STANDARD.encode(&bytes)
        ));
        assert_eq!((key.key_type, key.bits), (None, None));
        assert_eq!(kinds(&key.errors), [BadKey]);
        assert!(
            key.errors[0].detail.contains(says),
            "{}",
            key.errors[0].detail
        );
    }
}

#[test]
fn keys_that_do_not_decode_are_bad() {
    let ed = STANDARD.encode(ed25519_public());
    for (record, says) in [
        ("v=DKIM1; k=rsa; p=MIGf*MA0G".to_owned(), "not base64"),
        (
            "v=DKIM1; k=rsa; p=AAAA".to_owned(),
            "neither a SubjectPublicKeyInfo",
        ),
        // An Ed25519 key where an RSA key is expected (k= left to its default).
        (format!("v=DKIM1; p={ed}"), "neither a SubjectPublicKeyInfo"),
        (
            format!("v=DKIM1; k=rsa; p={EC_P256_SPKI}"),
            "algorithm 1.2.840.10045.2.1",
        ),
    ] {
        let key = key_record(&record);
        assert_eq!((key.key_type, key.bits), (None, None), "{record}");
        assert_eq!(kinds(&key.errors), [BadKey], "{record}");
        assert!(
            key.errors[0].detail.contains(says),
            "{}",
            key.errors[0].detail
        );
    }
}

#[test]
fn an_empty_p_is_a_revoked_key() {
    for record in ["v=DKIM1; k=rsa; p=", "v=DKIM1; p= ;", "p=\t"] {
        let key = key_record(record);
        assert!(key.revoked, "{record}");
        assert_eq!((key.key_type, key.bits), (None, None));
        assert_eq!(verdict(record), (vec![], vec![Revoked]), "{record}");
    }
}

#[test]
fn version_must_be_first_and_dkim1() {
    let p = RSA_2048_SPKI;
    assert_eq!(
        verdict(&format!("k=rsa; v=DKIM1; p={p}")),
        (vec![VersionNotFirst], vec![])
    );
    // A string comparison (RFC 6376 §3.6.1): other spellings are other versions.
    for version in ["DKIM2", "dkim1", "DKIM1.0"] {
        assert_eq!(
            verdict(&format!("v={version}; p={p}")),
            (vec![BadVersion], vec![]),
            "{version}"
        );
    }
    assert_eq!(
        verdict(&format!("p={p}; v=DKIM2")),
        (vec![VersionNotFirst, BadVersion], vec![])
    );
}

#[test]
fn t_y_marks_testing() {
    let p = RSA_2048_SPKI;
    for (flags, testing) in [("y", true), ("s", false), ("s:y", true), ("s : y", true)] {
        let key = key_record(&format!("v=DKIM1; t={flags}; p={p}"));
        assert_eq!(key.testing, testing, "{flags}");
        let want: &[DkimFindingKind] = if testing { &[Testing] } else { &[] };
        assert_eq!(kinds(&key.warnings), want, "{flags}");
        assert!(key.errors.is_empty());
    }
}

#[test]
fn unknown_key_types_are_not_decoded() {
    for k in ["dsa", "RSA", "ed448"] {
        let key = key_record(&format!("v=DKIM1; k={k}; p={RSA_2048_SPKI}"));
        assert_eq!((key.key_type, key.bits), (None, None), "{k}");
        assert_eq!(kinds(&key.errors), [UnknownKeyType], "{k}");
    }
}

#[test]
fn p_is_required() {
    assert_eq!(verdict("v=DKIM1; k=rsa"), (vec![MissingP], vec![]));
}

/// RFC 6376 §3.2: a duplicate tag invalidates the tag-list; the first copy is read.
#[test]
fn a_duplicate_tag_is_a_syntax_error() {
    let key = key_record(&format!("v=DKIM1; k=rsa; k=ed25519; p={RSA_2048_SPKI}"));
    assert_eq!(kinds(&key.errors), [Syntax]);
    assert!(key.errors[0].detail.contains("k= appears more than once"));
    assert_eq!(key.bits, Some(2048));
}

#[test]
fn broken_tag_lists_are_syntax_errors() {
    let p = RSA_2048_SPKI;
    for (record, says) in [
        (format!("v=DKIM1;; p={p}"), "empty tag"),
        (format!("v=DKIM1; k rsa; p={p}"), "has no \"=\""),
        (format!("v=DKIM1; 1k=rsa; p={p}"), "invalid tag name \"1k\""),
        (format!("v=DKIM1; n=caf\u{e9}; p={p}"), "character 'é'"),
    ] {
        let key = key_record(&record);
        assert_eq!(kinds(&key.errors), [Syntax], "{record}");
        assert!(
            key.errors[0].detail.contains(says),
            "{}",
            key.errors[0].detail
        );
        assert_eq!(key.bits, Some(2048), "the key is still read: {record}");
    }
}

#[test]
fn details_quote_network_text_escaped_and_bounded() {
    let long = "x".repeat(100);
    let key = key_record(&format!("v=\u{1b}[31m{long}; p="));
    let detail = &key
        .errors
        .iter()
        .find(|e| e.kind == BadVersion)
        .unwrap()
        .detail;
    assert!(detail.starts_with("v=\"\\u{1b}[31mxxx"), "{detail}");
    assert!(detail.contains("xx\"…;"), "{detail}");
    assert!(!detail.contains('\u{1b}'));
}

#[test]
fn key_records_are_told_from_other_txt_records() {
    for (text, is) in [
        ("v=DKIM1; k=rsa; p=MIGf", true),
        ("k=rsa; p=MIGf", true),
        ("p=", true),
        ("v=DKIM1; k=rsa", true),
        ("v=DKIM2; p=abc", true),
        ("v=spf1 include:_spf.example.net -all", false),
        ("v=DMARC1; p=none", false),
        ("google-site-verification=abc123", false),
        ("", false),
    ] {
        assert_eq!(is_key_record(text), is, "{text:?}");
    }
}
