//! DKIM keys and BIMI through a whole domain scan over real DNS: the `_domainkey` prune
//! (RFC 8020), selectors found directly and through a CNAME, keys of each kind and size,
//! revoked and broken keys, a failed selector; the BIMI record against the domain's DMARC.

use mailposture::bimi::BimiStatus;
use mailposture::dkim::{DkimReport, DkimStatus, KeyType};
use mailposture::record::{DomainRecord, Part};
use mailposture::scan::{ScanOptions, Scanner};

use crate::support::{DnsFixture, Zone};

/// RSA public keys (SubjectPublicKeyInfo, DER, base64) made with `openssl genrsa` for
/// these tests; the Ed25519 key is a raw 32-octet public key (RFC 8463 §4.2).
const RSA_512: &str = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKZp34bKqHPV6MsAk6kSCckNkZuCiYDt5K4a/i/W3xTIN4motJ2F3OEck+hlKgwJvRdb5fq1ycg2SjmkS4Hn+EUCAwEAAQ==";
const RSA_1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCwKUiER03Of3OsEjCQqHpb2P4YSExlMZu6xQKZTjt90e/bvyiR/ndCkyZXq1LUmcCBrXCmvsdTVxt7nFNMA9O+FCyUPMkPywHDSiaWKSMv/2YT9lss9n+30Ltn4BqQRFa8BDWW6Q9HDOWoA8I5FwknTci3N1a3C6hpATsXW2+0mwIDAQAB";
const RSA_2048: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtEFAMgl72Vr4SWOjcINsDqqAK9DWSzDBCWyDPe1Btf5oenTeB649bJnua3UDRQugP1bmF3S9QS+n5jyBqgkOoKTC87JSTJNmINLZ0SLRWsrhn3ZMYNsSOwmL0mLiV8TO3283yuwzQgeUqq27Zpq7an28Cl+xt7iHpasQfOBlS4G1sykeWrdWthh/UYZplWB9mKUr+2+Ut29d/IWjTcRO7dEir16rJbyErHkspEeOnSNZwBgtBhN1HMyJLlAb8SS5YuK/TMcEVtWq3XY9HuXI15lumPFiimfv5iHwUktS51uf6c4XUBKU8utaU0b7PnKerBkrLisE2IoU9NDlrefPawIDAQAB";
const ED25519: &str = "fmSq6PlmiEx4FQ09738xjFCG/L48KqvtEYtn/qGLDTo=";

/// A TXT record of `text` in character-strings of at most 255 octets.
fn txt(zone: &mut Zone, owner: &str, text: &str) {
    let chunks: Vec<&[u8]> = text.as_bytes().chunks(255).collect();
    zone.txt(owner, &chunks);
}

fn selectors(list: &[&str]) -> ScanOptions {
    ScanOptions {
        dkim_selectors: Some(list.iter().map(|s| (*s).to_owned()).collect()),
        ..ScanOptions::default()
    }
}

async fn scan(zone: Zone, domain: &str, options: ScanOptions) -> (DomainRecord, u64) {
    let fixture = DnsFixture::start(zone).await;
    let record = Scanner::new(fixture.dns(), options).scan(domain).await;
    let queries = fixture.queries();
    fixture.stop().await;
    (record, queries)
}

fn dkim(record: &DomainRecord) -> &DkimReport {
    record.dkim.as_ref().expect("a dkim part")
}

/// RFC 8020: NXDOMAIN at `_domainkey.<domain>` means nothing below it; no selector is
/// asked, which the server's count of questions shows.
#[tokio::test]
async fn an_nxdomain_domainkey_asks_no_selector() {
    let mut zone = Zone::new();
    zone.txt_text("example.test", "v=spf1 -all");
    let (without, off) = scan(zone.clone(), "example.test", ScanOptions::default()).await;
    let (with, on) = scan(
        zone,
        "example.test",
        selectors(&["google", "selector1", "s1"]),
    )
    .await;
    assert!(without.dkim.is_none());
    let d = dkim(&with);
    assert_eq!(d.status, DkimStatus::None, "{d:?}");
    assert!(d.selectors_asked.is_empty(), "{d:?}");
    assert_eq!(on, off + 1, "the _domainkey question alone");
}

#[tokio::test]
async fn keys_are_found_directly_and_through_a_cname_and_judged() {
    let mut zone = Zone::new();
    let d = "example.test";
    txt(
        &mut zone,
        &format!("google._domainkey.{d}"),
        &format!("v=DKIM1; k=rsa; p={RSA_2048}"),
    );
    zone.cname(
        &format!("selector1._domainkey.{d}"),
        "selector1-example-test._domainkey.tenant.mail.test",
    );
    txt(
        &mut zone,
        "selector1-example-test._domainkey.tenant.mail.test",
        &format!("v=DKIM1; k=rsa; p={RSA_1024}"),
    );
    txt(
        &mut zone,
        &format!("s1._domainkey.{d}"),
        &format!("k=rsa; p={RSA_512}"),
    );
    txt(
        &mut zone,
        &format!("ed._domainkey.{d}"),
        &format!("v=DKIM1; k=ed25519; p={ED25519}"),
    );
    txt(&mut zone, &format!("old._domainkey.{d}"), "v=DKIM1; p=");
    txt(
        &mut zone,
        &format!("bad._domainkey.{d}"),
        "v=DKIM1; p=not*base64",
    );
    txt(
        &mut zone,
        &format!("late._domainkey.{d}"),
        "p=AAAA; v=DKIM1",
    );
    txt(
        &mut zone,
        &format!("test._domainkey.{d}"),
        &format!("v=DKIM1; t=y; p={RSA_2048}"),
    );
    let asked = [
        "google",
        "selector1",
        "s1",
        "ed",
        "old",
        "bad",
        "late",
        "test",
        "absent",
    ];
    let (record, _) = scan(zone, d, selectors(&asked)).await;
    let d = dkim(&record);
    assert_eq!(d.status, DkimStatus::Found, "{d:#?}");
    assert_eq!(d.selectors_asked, asked);
    assert!(!d.selectors_found.iter().any(|s| s == "absent"), "{d:#?}");
    let key = |selector: &str| {
        d.keys
            .iter()
            .find(|k| k.selector == selector)
            .unwrap_or_else(|| panic!("{selector}: {d:#?}"))
    };
    let kinds = |list: &[mailposture::finding::Finding<mailposture::dkim::DkimFindingKind>]| {
        list.iter().map(|f| f.kind.as_str()).collect::<Vec<_>>()
    };
    assert_eq!(
        (key("google").key_type, key("google").bits),
        (Some(KeyType::Rsa), Some(2048))
    );
    assert!(key("google").errors.is_empty() && key("google").warnings.is_empty());
    let ms = key("selector1");
    assert_eq!(
        ms.cname.as_deref(),
        Some("selector1-example-test._domainkey.tenant.mail.test")
    );
    assert_eq!(ms.bits, Some(1024));
    assert_eq!(kinds(&ms.warnings), ["short_key"]);
    assert_eq!(key("s1").bits, Some(512));
    assert_eq!(kinds(&key("s1").errors), ["weak_key"]);
    assert_eq!(key("ed").key_type, Some(KeyType::Ed25519));
    assert!(key("ed").errors.is_empty(), "{:?}", key("ed"));
    assert!(key("old").revoked);
    assert_eq!(kinds(&key("bad").errors), ["bad_key"]);
    assert!(kinds(&key("late").errors).contains(&"version_not_first"));
    assert!(key("test").testing);
}

/// A failed selector is said, and does not hide the keys found at the others.
#[tokio::test]
async fn a_selector_that_fails_is_temperror_not_absent() {
    let mut zone = Zone::new();
    txt(
        &mut zone,
        "google._domainkey.example.test",
        &format!("v=DKIM1; p={RSA_2048}"),
    );
    zone.silent("slow._domainkey.example.test");
    let (record, _) = scan(zone.clone(), "example.test", selectors(&["google", "slow"])).await;
    let d = dkim(&record);
    assert_eq!(d.status, DkimStatus::Found, "{d:#?}");
    assert!(
        d.errors.iter().any(|e| e.kind.as_str() == "temperror"),
        "{d:#?}"
    );
    // With only the failing one asked, nothing is known.
    let (record, _) = scan(zone, "example.test", selectors(&["slow"])).await;
    assert_eq!(
        dkim(&record).status,
        DkimStatus::Temperror,
        "{:#?}",
        record.dkim
    );
}

fn bimi_zone(dmarc: &str, bimi: &[&str]) -> Zone {
    let mut zone = Zone::new();
    zone.txt_text("_dmarc.example.test", dmarc);
    for record in bimi {
        zone.txt_text("default._bimi.example.test", record);
    }
    zone
}

#[tokio::test]
async fn bimi_records_and_the_dmarc_they_need() {
    let reject = "v=DMARC1; p=reject";
    let logo = "v=BIMI1; l=https://brand.test/logo.svg; a=https://brand.test/vmc.pem";
    for (dmarc, bimi, status, errors, warnings) in [
        (reject, &[logo][..], BimiStatus::Ok, &[][..], &[][..]),
        (
            reject,
            &["v=BIMI1; l=; a=;"],
            BimiStatus::Declined,
            &[],
            &[],
        ),
        (
            reject,
            &["v=BIMI1; l=http://brand.test/logo.svg"],
            BimiStatus::Invalid,
            &["not_https"],
            &[],
        ),
        (
            reject,
            &[logo, "v=BIMI1; l=https://brand.test/2.svg"],
            BimiStatus::Invalid,
            &["multiple_records"],
            &[],
        ),
        (
            "v=DMARC1; p=none",
            &[logo],
            BimiStatus::Ok,
            &[],
            &["no_enforcement"],
        ),
        (
            "v=DMARC1; p=quarantine; pct=50",
            &[logo],
            BimiStatus::Ok,
            &[],
            &["no_enforcement"],
        ),
        (reject, &[], BimiStatus::None, &[], &[]),
    ] {
        let (record, _) = scan(
            bimi_zone(dmarc, bimi),
            "example.test",
            ScanOptions::default(),
        )
        .await;
        let b = record.bimi.as_ref().expect("a bimi part");
        let kinds = |list: &[mailposture::finding::Finding<
            mailposture::bimi::BimiFindingKind,
        >]| { list.iter().map(|f| f.kind.as_str()).collect::<Vec<_>>() };
        assert_eq!(b.status, status, "{dmarc} {bimi:?}: {b:#?}");
        assert_eq!(kinds(&b.errors), errors, "{dmarc} {bimi:?}: {b:#?}");
        assert_eq!(kinds(&b.warnings), warnings, "{dmarc} {bimi:?}: {b:#?}");
    }
}

#[tokio::test]
async fn skip_leaves_both_parts_out() {
    let zone = bimi_zone(
        "v=DMARC1; p=reject",
        &["v=BIMI1; l=https://brand.test/logo.svg"],
    );
    let options = ScanOptions {
        skip: vec![Part::Dkim, Part::Bimi],
        ..selectors(&["google"])
    };
    let (record, _) = scan(zone, "example.test", options).await;
    assert!(record.dkim.is_none() && record.bimi.is_none());
}

/// `check`'s words say what was looked at: "none among the N selectors asked", never
/// "no DKIM"; and why nothing was asked.
#[tokio::test]
async fn check_text_says_what_was_asked() {
    let text =
        |record: &DomainRecord| crate::support::plain(&mailposture::output::text::domain(record));
    let mut zone = Zone::new();
    zone.txt_text("signed.test", "v=spf1 -all");
    txt(
        &mut zone,
        "google._domainkey.signed.test",
        &format!("v=DKIM1; p={RSA_2048}"),
    );
    txt(&mut zone, "other._domainkey.unsigned.test", "v=spf1 -all");
    let options = || selectors(&["google", "selector1", "k1"]);
    let (found, _) = scan(zone.clone(), "signed.test", options()).await;
    let (none, _) = scan(zone.clone(), "unsigned.test", options()).await;
    let (pruned, _) = scan(zone, "nothing.test", options()).await;
    let found = text(&found);
    assert!(
        found.contains("DKIM     found  1 of 3 selectors asked: google"),
        "{found}"
    );
    assert!(found.contains("  google  rsa 2048 bits"), "{found}");
    let none = text(&none);
    assert!(
        none.contains("DKIM     none  none among the 3 selectors asked"),
        "{none}"
    );
    let pruned = text(&pruned);
    assert!(
        pruned.contains(
            "_domainkey.nothing.test does not exist (NXDOMAIN, RFC 8020), no selector asked"
        ),
        "{pruned}"
    );
    assert!(
        pruned.contains("BIMI     none  no v=BIMI1 record at default._bimi.nothing.test"),
        "{pruned}"
    );
}

/// Draft §7.2 step 5: no BIMI record at the domain itself sends receivers to its
/// Organizational Domain's; the part says which one it read.
#[tokio::test]
async fn bimi_falls_back_to_the_organizational_domain() {
    let logo = "v=BIMI1; l=https://brand.test/logo.svg";
    let mut zone = bimi_zone("v=DMARC1; p=reject", &[logo]);
    zone.txt_text("mail.example.test", "v=spf1 -all");
    let (record, _) = scan(zone.clone(), "mail.example.test", ScanOptions::default()).await;
    let b = record.bimi.as_ref().expect("a bimi part");
    assert_eq!(b.status, BimiStatus::Ok, "{b:#?}");
    assert_eq!(b.from.as_deref(), Some("example.test"));
    assert_eq!(b.record.as_deref(), Some(logo));
    // The domain's own record comes first.
    zone.txt_text("default._bimi.mail.example.test", "v=BIMI1; l=; a=;");
    let (record, _) = scan(zone, "mail.example.test", ScanOptions::default()).await;
    let b = record.bimi.as_ref().expect("a bimi part");
    assert_eq!(b.status, BimiStatus::Declined, "{b:#?}");
    assert_eq!(b.from.as_deref(), Some("mail.example.test"));
}

/// A list line may give its domain its own selectors (`example.test selectors=s2023`):
/// a scan, which asks no selector by default, asks those for that domain only, and those
/// of `--dkim` as well when given.
#[tokio::test]
async fn a_list_gives_a_domain_its_own_selectors() {
    let mut zone = Zone::new();
    for d in ["listed.test", "other.test"] {
        zone.txt_text(d, "v=spf1 -all");
        txt(
            &mut zone,
            &format!("s2023._domainkey.{d}"),
            &format!("v=DKIM1; p={RSA_2048}"),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "listed.test selectors=s2023\nother.test\n").unwrap();
    // In list order, whatever order the scan finished them in.
    let read = |out: &std::path::Path| -> Vec<serde_json::Value> {
        let mut records: Vec<serde_json::Value> =
            std::fs::read_to_string(out.join("results.jsonl"))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
        records.sort_by_key(|r| r["domain"] != "listed.test");
        records
    };
    let time = "2026-12-01T00:00:00Z";
    let out = dir.path().join("default");
    crate::support::history::scan_zone(zone.clone(), &list, &out, time, &[]).await;
    let records = read(&out);
    assert_eq!(
        records[0]["dkim"]["selectors_asked"],
        serde_json::json!(["s2023"])
    );
    assert_eq!(records[0]["dkim"]["status"], "found");
    assert!(records[1]["dkim"].is_null(), "{}", records[1]);
    let out = dir.path().join("with");
    crate::support::history::scan_zone(zone, &list, &out, time, &["--dkim", "google"]).await;
    let records = read(&out);
    assert_eq!(
        records[0]["dkim"]["selectors_asked"],
        serde_json::json!(["google", "s2023"])
    );
    assert_eq!(
        records[1]["dkim"]["selectors_asked"],
        serde_json::json!(["google"])
    );
    assert_eq!(records[1]["dkim"]["status"], "none");
}
