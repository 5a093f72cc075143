//! Verdicts on chains made at test time: a CA, an intermediate and leaves issued by it
//! (rcgen), with TLSA data computed over their DER or SPKI.

use super::*;
use crate::dns::{Aliased, TempFail};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

const HOST: &str = "mx.example.test";
/// The next-hop domain whose MX records named the host.
const DOMAIN: &str = "mail.test";
const TLSA_NAME: &str = "_25._tcp.mx.example.test";

/// A certificate and the key it certifies.
struct Made {
    der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl Made {
    fn spki(&self) -> Vec<u8> {
        let (_, cert) = X509Certificate::from_der(self.der.as_ref()).unwrap();
        cert.public_key().raw.to_vec()
    }
}

/// Validity dates: from `from` days to `to` days after now (negative: before).
fn params(sans: &[&str], cn: &str, days: (i64, i64)) -> CertificateParams {
    let sans: Vec<String> = sans.iter().map(|s| (*s).to_owned()).collect();
    let mut params = CertificateParams::new(sans).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    let now = OffsetDateTime::now_utc();
    params.not_before = now + time::Duration::days(days.0);
    params.not_after = now + time::Duration::days(days.1);
    params
}

const VALID: (i64, i64) = (-30, 365);

fn make(params: CertificateParams, issuer: Option<&Made>) -> Made {
    let key = KeyPair::generate().unwrap();
    let cert = match issuer {
        Some(issuer) => params.signed_by(&key, &issuer.issuer).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    Made {
        der: cert.der().clone(),
        issuer: Issuer::new(params, key),
    }
}

fn ca(cn: &str, issuer: Option<&Made>) -> Made {
    let mut params = params(&[], cn, VALID);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    make(params, issuer)
}

/// A root, an intermediate it signed, and leaves the intermediate issues.
struct Pki {
    root: Made,
    intermediate: Made,
}

impl Pki {
    fn new(tag: &str) -> Self {
        let root = ca(&format!("{tag} root"), None);
        let intermediate = ca(&format!("{tag} intermediate"), Some(&root));
        Self { root, intermediate }
    }

    fn leaf(&self, sans: &[&str], cn: &str, days: (i64, i64)) -> Made {
        make(params(sans, cn, days), Some(&self.intermediate))
    }

    /// The chain as a server sends it: leaf, intermediate, root.
    fn chain(&self, leaf: &Made) -> Vec<CertificateDer<'static>> {
        vec![
            leaf.der.clone(),
            self.intermediate.der.clone(),
            self.root.der.clone(),
        ]
    }
}

fn self_signed(sans: &[&str], days: (i64, i64)) -> Made {
    make(params(sans, sans.first().unwrap_or(&"x"), days), None)
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, bytes).as_ref().to_vec()
}

fn sha512(bytes: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA512, bytes).as_ref().to_vec()
}

fn tlsa(usage: u8, selector: u8, matching: u8, data: Vec<u8>) -> TLSA {
    TLSA::new(usage.into(), selector.into(), matching.into(), data)
}

/// The `usage selector matching` record of `cert`, its data computed as the record says.
fn record_of(usage: u8, selector: u8, matching: u8, cert: &Made) -> TLSA {
    let selected = match selector {
        0 => cert.der.to_vec(),
        1 => cert.spki(),
        _ => unreachable!(),
    };
    let data = match matching {
        0 => selected,
        1 => sha256(&selected),
        2 => sha512(&selected),
        _ => unreachable!(),
    };
    tlsa(usage, selector, matching, data)
}

fn answer(records: Vec<TLSA>, dnssec: Dnssec) -> Secured<TLSA> {
    Secured {
        outcome: Outcome::Answer(Aliased {
            records,
            canonical: None,
        }),
        dnssec,
    }
}

fn failed(kind: TempFailKind, dnssec: Dnssec) -> Secured<TLSA> {
    Secured {
        outcome: Outcome::TempFail(TempFail {
            kind,
            detail: "SERVFAIL".to_owned(),
        }),
        dnssec,
    }
}

fn probe_ok(chain: Vec<CertificateDer<'static>>) -> Starttls {
    Starttls {
        chain,
        ..Starttls::with_status(StarttlsStatus::Ok)
    }
}

/// The verdict for [`HOST`] on a secure answer and MX, the chain captured by a probe.
fn judged(records: Vec<TLSA>, chain: Vec<CertificateDer<'static>>) -> HostDane {
    judged_for(HOST, records, chain)
}

fn judged_for(host: &str, records: Vec<TLSA>, chain: Vec<CertificateDer<'static>>) -> HostDane {
    let probe = probe_ok(chain);
    judge(
        host,
        DOMAIN,
        &tlsa_name(host),
        &answer(records, Dnssec::Secure),
        Dnssec::Secure,
        Some(&probe),
        SystemTime::now(),
    )
}

fn tlsa_name(host: &str) -> String {
    super::super::tlsa_name(host)
}

fn kinds(findings: &[DaneFinding]) -> Vec<DaneFindingKind> {
    findings.iter().map(|f| f.kind).collect()
}

fn error_detail(report: &HostDane) -> &str {
    assert_eq!(report.errors.len(), 1, "{report:#?}");
    &report.errors[0].detail
}

#[track_caller]
fn assert_ok(report: &HostDane, record: &TLSA) {
    assert_eq!(report.status, DaneStatus::Ok, "{report:#?}");
    assert_eq!(
        report.matched.as_deref(),
        Some(&*parse::presentation(record))
    );
    assert!(report.errors.is_empty(), "{report:#?}");
}

#[track_caller]
fn assert_no_match(report: &HostDane, why: &str) {
    assert_eq!(report.status, DaneStatus::Fail, "{report:#?}");
    assert_eq!(report.matched, None);
    assert_eq!(kinds(&report.errors), [DaneFindingKind::NoMatch]);
    let detail = error_detail(report);
    assert!(detail.contains(why), "{detail:?} lacks {why:?}");
}

// DANE-EE(3).

#[test]
fn dane_ee_matches_the_leaf_by_spki_or_certificate_and_any_digest() {
    let pki = Pki::new("ee");
    let leaf = pki.leaf(&[HOST], HOST, VALID);
    for (selector, matching) in [(1, 1), (0, 1), (1, 2), (0, 0), (1, 0), (0, 2)] {
        let record = record_of(3, selector, matching, &leaf);
        let report = judged(vec![record.clone()], pki.chain(&leaf));
        assert_ok(&report, &record);
        assert_eq!(report.dnssec, Dnssec::Secure);
        assert_eq!(report.tlsa_name, TLSA_NAME);
        assert_eq!(
            report.records,
            [TlsaEntry {
                record: parse::presentation(&record),
                usable: true,
                problem: None,
            }]
        );
    }
}

/// RFC 7672 §3.1.1, §3.2.1: neither the leaf's names nor its dates count for DANE-EE.
#[test]
fn dane_ee_ignores_the_leaf_name_and_expiry() {
    let leaf = self_signed(&["other.example.test"], (-400, -2));
    let record = record_of(3, 1, 1, &leaf);
    assert_ok(
        &judged(vec![record.clone()], vec![leaf.der.clone()]),
        &record,
    );
}

/// A DANE-EE record names the leaf only, not a certificate above it.
#[test]
fn dane_ee_does_not_match_the_issuer() {
    let pki = Pki::new("ee-issuer");
    let leaf = pki.leaf(&[HOST], HOST, VALID);
    let record = record_of(3, 1, 1, &pki.intermediate);
    let report = judged(vec![record], pki.chain(&leaf));
    let leaf_digest = parse::quoted_hex(&sha256(&leaf.spki()));
    assert_no_match(
        &report,
        &format!("not the leaf's SPKI (its SHA2-256 is {leaf_digest})"),
    );
}

#[test]
fn no_record_matching_is_a_failure_that_says_why() {
    let pki = Pki::new("nomatch");
    let leaf = pki.leaf(&[HOST], HOST, VALID);
    let stranger = self_signed(&[HOST], VALID);
    let records = vec![record_of(3, 1, 1, &stranger), record_of(2, 0, 1, &stranger)];
    let report = judged(records.clone(), pki.chain(&leaf));
    assert_no_match(
        &report,
        "matches no certificate of the presented chain (3 certificates",
    );
    let detail = error_detail(&report);
    assert!(detail.contains(&parse::quoted(&parse::presentation(&records[0]))));
    assert!(detail.contains("(3 certificates)"), "{detail}");
    assert!(
        report.warnings.is_empty(),
        "two usable records: {report:#?}"
    );
    assert!(report.records.iter().all(|r| r.usable));
}

/// Records are tried in order; `matched` is the first that matched.
#[test]
fn matched_is_the_first_record_that_matches() {
    let pki = Pki::new("order");
    let leaf = pki.leaf(&[HOST], HOST, VALID);
    let stranger = self_signed(&[HOST], VALID);
    let records = vec![
        record_of(3, 1, 1, &stranger),
        record_of(2, 0, 1, &pki.root),
        record_of(3, 1, 1, &leaf),
    ];
    let report = judged(records.clone(), pki.chain(&leaf));
    assert_ok(&report, &records[1]);
    assert!(report.warnings.is_empty());
}

// DANE-TA(2).

#[test]
fn dane_ta_matches_the_intermediate_or_the_root_when_the_leaf_names_the_host() {
    let pki = Pki::new("ta");
    let leaf = pki.leaf(&["other.example.test", HOST], HOST, VALID);
    for record in [
        record_of(2, 1, 1, &pki.intermediate),
        record_of(2, 0, 1, &pki.intermediate),
        record_of(2, 0, 1, &pki.root),
        record_of(2, 1, 2, &pki.root),
        record_of(2, 0, 0, &pki.root),
    ] {
        assert_ok(&judged(vec![record.clone()], pki.chain(&leaf)), &record);
    }
}

/// RFC 7672 §3.2.2: with DANE-TA the leaf must be valid for the host.
#[test]
fn dane_ta_with_a_leaf_for_another_name_fails() {
    let pki = Pki::new("ta-name");
    let leaf = pki.leaf(&["other.example.test"], HOST, VALID);
    let report = judged(
        vec![record_of(2, 1, 1, &pki.intermediate)],
        pki.chain(&leaf),
    );
    assert_no_match(
        &report,
        "matched the certificate at depth 1 but the leaf is not valid for mx.example.test or \
         mail.test (it names other.example.test)",
    );
    // The same chain passes with a DANE-EE record: only DANE-TA checks names.
    let record = record_of(3, 0, 1, &leaf);
    assert_ok(&judged(vec![record.clone()], pki.chain(&leaf)), &record);
}

#[test]
fn dane_ta_through_a_broken_link_fails() {
    let ours = Pki::new("ours");
    let theirs = Pki::new("theirs");
    // A leaf of one CA sent with another CA's intermediate and root.
    let leaf = ours.leaf(&[HOST], HOST, VALID);
    let chain = theirs.chain(&leaf);
    let report = judged(vec![record_of(2, 0, 1, &theirs.root)], chain.clone());
    assert_no_match(
        &report,
        "matched the certificate at depth 2 but the certificate at depth 0 is not signed by \
         the one at depth 1",
    );
    // The link above it holds: anchored at the intermediate, the break is still below.
    let report = judged(vec![record_of(2, 1, 1, &theirs.intermediate)], chain);
    assert_no_match(
        &report,
        "matched the certificate at depth 1 but the certificate at depth 0 is not signed",
    );
}

/// RFC 7671 §5.2.2: the trust anchor must be in the chain the server sends.
#[test]
fn dane_ta_whose_anchor_is_not_sent_fails() {
    let pki = Pki::new("ta-absent");
    let leaf = pki.leaf(&[HOST], HOST, VALID);
    let record = record_of(2, 0, 1, &pki.root);
    let sent = vec![leaf.der.clone(), pki.intermediate.der.clone()];
    assert_no_match(
        &judged(vec![record], sent),
        "matches no certificate of the presented chain (2 certificates",
    );
}

/// Below the anchor the dates count (PKIX path validation, RFC 6698 §2.1.1); the
/// anchor's own do not.
#[test]
fn dane_ta_checks_the_dates_below_the_anchor_only() {
    let pki = Pki::new("ta-dates");
    let expired = pki.leaf(&[HOST], HOST, (-400, -2));
    let report = judged(vec![record_of(2, 0, 1, &pki.root)], pki.chain(&expired));
    let day = (OffsetDateTime::now_utc() - time::Duration::days(2)).date();
    assert_no_match(
        &report,
        &format!(
            "matched the certificate at depth 2 but the certificate at depth 0 expired on {day}"
        ),
    );
    let future = pki.leaf(&[HOST], HOST, (3, 300));
    let report = judged(vec![record_of(2, 0, 1, &pki.root)], pki.chain(&future));
    assert_no_match(&report, "the certificate at depth 0 is not valid before");

    // An expired anchor is fine: the record, not the certificate, makes it trusted.
    let old_root = make(
        {
            let mut p = params(&[], "old root", (-800, -1));
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p
        },
        None,
    );
    let leaf = make(params(&[HOST], HOST, VALID), Some(&old_root));
    let record = record_of(2, 0, 1, &old_root);
    assert_ok(
        &judged(
            vec![record.clone()],
            vec![leaf.der.clone(), old_root.der.clone()],
        ),
        &record,
    );
}

/// A leaf may be its own trust anchor; its name still counts.
#[test]
fn dane_ta_matching_the_leaf_itself_checks_its_name() {
    let leaf = self_signed(&[HOST], VALID);
    let record = record_of(2, 0, 1, &leaf);
    assert_ok(
        &judged(vec![record.clone()], vec![leaf.der.clone()]),
        &record,
    );
    let report = judged_for("mx2.example.test", vec![record], vec![leaf.der.clone()]);
    assert_no_match(
        &report,
        "matched the certificate at depth 0 but the leaf is not valid for mx2.example.test or \
         mail.test",
    );
}

/// RFC 7672 §3.2.2: after a secure MX lookup the next-hop domain is a reference
/// identifier too, so one certificate naming the mail domain serves every MX host.
#[test]
fn dane_ta_accepts_a_leaf_that_names_the_next_hop_domain() {
    let pki = Pki::new("next hop");
    let record = record_of(2, 1, 1, &pki.intermediate);
    let leaf = pki.leaf(&[DOMAIN], "x", VALID);
    assert_ok(&judged(vec![record.clone()], pki.chain(&leaf)), &record);
    let other = pki.leaf(&["other.test"], "x", VALID);
    assert_eq!(
        judged(vec![record], pki.chain(&other)).status,
        DaneStatus::Fail
    );
}

/// RFC 7672 §3.2.3: a wildcard is the whole first label and covers one label; the CN
/// counts only without DNS names.
#[test]
fn dane_ta_name_checks_follow_rfc_7672_3_2_3() {
    let pki = Pki::new("names");
    let record = record_of(2, 1, 1, &pki.intermediate);
    for (sans, cn, host, valid) in [
        (&["*.example.test"][..], "x", HOST, true),
        (&["*.example.test"], "x", "deep.mx.example.test", false),
        (&["*.example.test"], "x", "example.test", false),
        (&["mx*.example.test"], "x", HOST, false),
        (&["MX.Example.TEST"], "x", HOST, true),
        // No DNS name: the CN is the name.
        (&[], HOST, HOST, true),
        (&[], "*.example.test", HOST, true),
        (&[], "other.example.test", HOST, false),
        // With DNS names the CN is not looked at.
        (&["other.example.test"], HOST, HOST, false),
    ] {
        let leaf = pki.leaf(sans, cn, VALID);
        let report = judged_for(host, vec![record.clone()], pki.chain(&leaf));
        let want = if valid {
            DaneStatus::Ok
        } else {
            DaneStatus::Fail
        };
        assert_eq!(
            report.status, want,
            "{sans:?} CN={cn} for {host}: {report:#?}"
        );
    }
}

#[test]
fn a_leaf_with_many_names_is_quoted_bounded() {
    let pki = Pki::new("many");
    let long = format!("{0}.{0}.example.test", "a".repeat(60));
    let sans = [
        long.as_str(),
        "b.example.test",
        "c.example.test",
        "d.example.test",
        "e.example.test",
    ];
    let leaf = pki.leaf(&sans, "x", VALID);
    let report = judged(
        vec![record_of(2, 1, 1, &pki.intermediate)],
        pki.chain(&leaf),
    );
    let detail = error_detail(&report);
    assert!(
        detail.contains("b.example.test, c.example.test, 2 more)"),
        "{detail}"
    );
    assert!(
        detail.contains(&format!("{}…", &long[..QUOTED_CHARS])),
        "{detail}"
    );
    assert!(!detail.contains(&long), "{detail}");
}

// Records that are not usable.

#[test]
fn pkix_usages_are_unusable() {
    let pki = Pki::new("pkix");
    let leaf = pki.leaf(&[HOST], HOST, VALID);
    let records = vec![record_of(1, 1, 1, &leaf), record_of(0, 0, 1, &pki.root)];
    let report = judged(records.clone(), pki.chain(&leaf));
    assert_eq!(report.status, DaneStatus::Unusable, "{report:#?}");
    assert_eq!(report.matched, None);
    assert_eq!(kinds(&report.errors), [DaneFindingKind::UnusableUsage]);
    assert_eq!(
        report.errors[0].detail,
        format!(
            "{}: usage PKIX-EE(1) is not used for SMTP (RFC 7672 §3.1.3) (and 1 more records)",
            parse::quoted(&parse::presentation(&records[0]))
        )
    );
    assert!(
        report
            .records
            .iter()
            .all(|r| !r.usable && r.problem.is_some())
    );
    assert!(report.warnings.is_empty());
}

#[test]
fn a_truncated_digest_is_unusable() {
    let pki = Pki::new("short");
    let leaf = pki.leaf(&[HOST], HOST, VALID);
    let mut short = sha256(&leaf.spki());
    short.pop();
    let truncated = tlsa(3, 1, 1, short);
    let report = judged(vec![truncated.clone()], pki.chain(&leaf));
    assert_eq!(report.status, DaneStatus::Unusable, "{report:#?}");
    assert_eq!(kinds(&report.errors), [DaneFindingKind::BadLength]);
    assert_eq!(
        report.records[0].problem.as_deref(),
        Some("SHA2-256 data of 31 octets, 32 expected")
    );

    // Beside a good record it is left out, and the good one alone is a single record.
    let good = record_of(3, 1, 1, &leaf);
    let report = judged(vec![truncated, good.clone()], pki.chain(&leaf));
    assert_ok(&report, &good);
    assert_eq!(
        report.records.iter().map(|r| r.usable).collect::<Vec<_>>(),
        [false, true]
    );
    assert_eq!(kinds(&report.warnings), [DaneFindingKind::SingleRecord]);
}

#[test]
fn unknown_parameters_are_unusable() {
    let pki = Pki::new("unknown");
    let leaf = pki.leaf(&[HOST], HOST, VALID);
    let report = judged(
        vec![tlsa(3, 2, 1, vec![0; 32]), tlsa(3, 1, 7, vec![0; 32])],
        pki.chain(&leaf),
    );
    assert_eq!(report.status, DaneStatus::Unusable, "{report:#?}");
    assert_eq!(kinds(&report.errors), [DaneFindingKind::UnknownParameter]);
}

// DNS and DNSSEC.

#[test]
fn no_tlsa_rrset_is_none() {
    for outcome in [Outcome::NxDomain, Outcome::NoData] {
        for dnssec in [Dnssec::Secure, Dnssec::Insecure] {
            let report = judge(
                HOST,
                DOMAIN,
                TLSA_NAME,
                &Secured {
                    outcome: outcome.clone(),
                    dnssec,
                },
                Dnssec::Secure,
                None,
                SystemTime::now(),
            );
            assert_eq!(report.status, DaneStatus::None, "{report:#?}");
            assert_eq!(report.dnssec, dnssec);
            assert!(report.records.is_empty() && report.errors.is_empty());
            assert!(report.warnings.is_empty() && report.matched.is_none());
        }
    }
}

/// The verdict for [`HOST`] on `answer` and a secure MX, with a matching chain.
fn judged_answer(answer: &Secured<TLSA>, mx: Dnssec) -> HostDane {
    let leaf = self_signed(&[HOST], VALID);
    let probe = probe_ok(vec![leaf.der.clone()]);
    judge(
        HOST,
        DOMAIN,
        TLSA_NAME,
        answer,
        mx,
        Some(&probe),
        SystemTime::now(),
    )
}

#[test]
fn an_insecure_rrset_is_unusable_even_when_it_would_match() {
    let leaf = self_signed(&[HOST], VALID);
    let record = record_of(3, 1, 1, &leaf);
    let probe = probe_ok(vec![leaf.der.clone()]);
    let report = judge(
        HOST,
        DOMAIN,
        TLSA_NAME,
        &answer(vec![record.clone()], Dnssec::Insecure),
        Dnssec::Secure,
        Some(&probe),
        SystemTime::now(),
    );
    assert_eq!(report.status, DaneStatus::Unusable, "{report:#?}");
    assert_eq!(report.dnssec, Dnssec::Insecure);
    assert_eq!(kinds(&report.errors), [DaneFindingKind::InsecureTlsa]);
    assert_eq!(report.matched, None);
    assert_eq!(
        report.records,
        [TlsaEntry {
            record: parse::presentation(&record),
            usable: false,
            problem: None,
        }]
    );
}

#[test]
fn a_bogus_answer_fails() {
    let report = judged_answer(&failed(TempFailKind::Bogus, Dnssec::Bogus), Dnssec::Secure);
    assert_eq!(report.status, DaneStatus::Fail, "{report:#?}");
    assert_eq!(report.dnssec, Dnssec::Bogus);
    assert_eq!(kinds(&report.errors), [DaneFindingKind::Bogus]);
    assert!(error_detail(&report).contains("RFC 7672 §2.1.1"));
    // Records that come with a bogus state fail too.
    let report = judged_answer(
        &answer(vec![tlsa(3, 1, 1, vec![0; 32])], Dnssec::Bogus),
        Dnssec::Secure,
    );
    assert_eq!(report.status, DaneStatus::Fail, "{report:#?}");
    assert_eq!(kinds(&report.errors), [DaneFindingKind::Bogus]);
}

#[test]
fn a_failed_lookup_or_an_unknown_state_is_unknown() {
    for kind in [TempFailKind::Servfail, TempFailKind::Timeout] {
        let report = judged_answer(&failed(kind, Dnssec::Unknown), Dnssec::Secure);
        assert_eq!(report.status, DaneStatus::Unknown, "{report:#?}");
        assert_eq!(kinds(&report.errors), [DaneFindingKind::Temperror]);
        assert!(error_detail(&report).starts_with(&format!("TLSA {TLSA_NAME}: ")));
    }
    let leaf = self_signed(&[HOST], VALID);
    let report = judged_answer(
        &answer(vec![record_of(3, 1, 1, &leaf)], Dnssec::Unknown),
        Dnssec::Secure,
    );
    assert_eq!(report.status, DaneStatus::Unknown, "{report:#?}");
    assert_eq!(kinds(&report.errors), [DaneFindingKind::Temperror]);
    assert!(report.records.iter().all(|r| !r.usable));
}

/// RFC 7672 §2.2.1: DANE needs the MX RRset secure too; when its state is not known,
/// neither is the verdict.
#[test]
fn an_mx_rrset_not_secure_makes_the_records_unusable() {
    let leaf = self_signed(&[HOST], VALID);
    let records = vec![record_of(3, 1, 1, &leaf)];
    for (mx, status, kind) in [
        (
            Dnssec::Insecure,
            DaneStatus::Unusable,
            DaneFindingKind::InsecureMx,
        ),
        (
            Dnssec::Unknown,
            DaneStatus::Unknown,
            DaneFindingKind::Temperror,
        ),
        (
            Dnssec::Bogus,
            DaneStatus::Unknown,
            DaneFindingKind::Temperror,
        ),
    ] {
        let report = judged_answer(&answer(records.clone(), Dnssec::Secure), mx);
        assert_eq!(report.status, status, "{mx:?}: {report:#?}");
        assert_eq!(kinds(&report.errors), [kind]);
        assert!(error_detail(&report).contains(mx.as_str()));
        assert_eq!(report.matched, None);
    }
    // The same answer with a secure MX RRset matches.
    assert_ok(
        &judged(records.clone(), vec![leaf.der.clone()]),
        &records[0],
    );
}

// The probe.

fn judged_probe(probe: Option<&Starttls>) -> HostDane {
    let leaf = self_signed(&[HOST], VALID);
    judge(
        HOST,
        DOMAIN,
        TLSA_NAME,
        &answer(vec![record_of(3, 1, 1, &leaf)], Dnssec::Secure),
        Dnssec::Secure,
        probe,
        SystemTime::now(),
    )
}

#[test]
fn a_host_not_probed_is_unknown() {
    let report = judged_probe(None);
    assert_eq!(report.status, DaneStatus::Unknown, "{report:#?}");
    assert_eq!(kinds(&report.errors), [DaneFindingKind::NotProbed]);
    // The records were still judged.
    assert!(report.records[0].usable);
    assert_eq!(kinds(&report.warnings), [DaneFindingKind::SingleRecord]);

    for status in [
        StarttlsStatus::Skipped,
        StarttlsStatus::Timeout,
        StarttlsStatus::Refused,
        StarttlsStatus::ProtocolError,
    ] {
        let probe = Starttls {
            error: Some("x".repeat(500)),
            ..Starttls::with_status(status)
        };
        let report = judged_probe(Some(&probe));
        assert_eq!(
            report.status,
            DaneStatus::Unknown,
            "{status:?}: {report:#?}"
        );
        assert_eq!(kinds(&report.errors), [DaneFindingKind::NotProbed]);
        let detail = error_detail(&report);
        assert!(detail.contains(status.as_str()), "{detail}");
        assert!(detail.len() < 200, "unbounded: {detail}");
    }
    // A handshake whose chain was not kept says nothing either.
    let report = judged_probe(Some(&probe_ok(Vec::new())));
    assert_eq!(report.status, DaneStatus::Unknown, "{report:#?}");
}

/// RFC 7672 §2.2: secure TLSA records commit the host to STARTTLS.
#[test]
fn a_host_without_tls_fails() {
    for status in [StarttlsStatus::NotOffered, StarttlsStatus::HandshakeFailed] {
        let probe = Starttls {
            error: (status == StarttlsStatus::HandshakeFailed)
                .then(|| "handshake_failure".to_owned()),
            ..Starttls::with_status(status)
        };
        let report = judged_probe(Some(&probe));
        assert_eq!(report.status, DaneStatus::Fail, "{status:?}: {report:#?}");
        assert_eq!(kinds(&report.errors), [DaneFindingKind::NoStarttls]);
    }
}

#[test]
fn no_match_details_are_bounded() {
    let leaf = self_signed(&[HOST], VALID);
    let records: Vec<TLSA> = (0u8..10).map(|i| tlsa(3, 0, 0, vec![i; 2000])).collect();
    let report = judged(records, vec![leaf.der.clone()]);
    let detail = error_detail(&report);
    assert!(detail.contains("; and 7 more records"), "{detail}");
    assert!(detail.len() < 1000, "{} bytes", detail.len());
    // The records themselves are kept whole.
    assert_eq!(report.records[0].record.len(), "3 0 0 ".len() + 4000);
}

#[test]
fn host_dane_serialises_to_the_documented_fields() {
    let leaf = self_signed(&[HOST], VALID);
    let record = record_of(3, 1, 1, &leaf);
    let report = judged(vec![record.clone()], vec![leaf.der.clone()]);
    let json = serde_json::to_value(&report).unwrap();
    let text = parse::presentation(&record);
    assert_eq!(
        json,
        serde_json::json!({
            "status": "ok",
            "tlsa_name": TLSA_NAME,
            "dnssec": "secure",
            "records": [{"record": text, "usable": true, "problem": null}],
            "matched": text,
            "errors": [],
            "warnings": [{"kind": "single_record", "detail": report.warnings[0].detail}],
        })
    );
    assert_eq!(serde_json::from_value::<HostDane>(json).unwrap(), report);
}

// The roll-up.

fn host_with(status: DaneStatus) -> HostDane {
    HostDane {
        status,
        ..HostDane::new(TLSA_NAME, Dnssec::Secure)
    }
}

#[test]
fn rollup_counts_hosts_that_published_records() {
    use DaneStatus::{Fail, None, Ok, Unknown, Unusable};
    for (statuses, want) in [
        (vec![Ok, Ok], DaneRollup::All),
        // A host without records does not count against `all`.
        (vec![Ok, None], DaneRollup::All),
        (vec![Ok, Fail], DaneRollup::Some),
        (vec![Ok, Unusable], DaneRollup::Some),
        // Not known is neither passing nor failing.
        (vec![Ok, Unknown], DaneRollup::Unknown),
        (vec![Unknown, None], DaneRollup::Unknown),
        (vec![Ok, Fail, Unknown], DaneRollup::Some),
        (vec![Fail, None], DaneRollup::None),
        (vec![Unusable, Unknown], DaneRollup::None),
        (vec![None, None], DaneRollup::NotApplicable),
        (vec![], DaneRollup::NotApplicable),
    ] {
        let hosts: Vec<HostDane> = statuses.iter().map(|s| host_with(*s)).collect();
        assert_eq!(rollup(&hosts), want, "{statuses:?}");
    }
}
