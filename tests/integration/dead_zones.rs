//! Domains delegated to name servers that do not answer: their questions share a fate
//! (the first goes alone; when it times out the rest end at once, saying why), they give
//! their place to live domains while they wait, and a resolver whose request list is
//! small is paced instead of overrun.

use std::path::Path;

use mailposture::record::DomainRecord;
use mailposture::scan::{ScanOptions, Scanner};

use crate::support::cmd::{run, scan_args};
use crate::support::standin::{Standin, StandinConfig};
use crate::support::{DnsFixture, Zone};

const SPF: &str = "v=spf1 ip4:192.0.2.0/24 -all";
const DMARC: &str = "v=DMARC1; p=reject";

/// A live domain: SPF, DMARC, one MX host with an address, all answered.
fn live(zone: &mut Zone, domain: &str) {
    zone.txt_text(domain, SPF)
        .txt_text(&format!("_dmarc.{domain}"), DMARC)
        .mx(domain, 10, &format!("mx.{domain}"))
        .a(&format!("mx.{domain}"), "192.0.2.25".parse().unwrap());
}

/// A domain whose every name goes unanswered (in a zone served elsewhere by a server
/// that never answers, as a lame delegation does).
fn silent(zone: &mut Zone, domain: &str) {
    for name in [domain.to_owned(), format!("_dmarc.{domain}")] {
        zone.silent(&name);
    }
}

fn statuses(record: &DomainRecord) -> [String; 3] {
    let json = serde_json::to_value(record).unwrap();
    ["spf", "dmarc", "mx"].map(|part| json[part]["status"].as_str().unwrap().to_owned())
}

/// The record as JSON text, to look for the words a reader sees.
fn text(record: &DomainRecord) -> String {
    serde_json::to_string(record).unwrap()
}

#[tokio::test]
async fn a_silent_domain_asks_one_question_and_says_why_the_rest_were_not_asked() {
    let mut zone = Zone::new();
    silent(&mut zone, "dead.example.test");
    silent(&mut zone, "alone.example.test");
    let fixture = DnsFixture::start(zone).await;
    // What one unanswered question costs on the wire with this transport.
    let _ = fixture.dns().txt("alone.example.test").await;
    let one_question = fixture.queries();
    let scanner = Scanner::new(fixture.dns(), ScanOptions::default());
    let record = scanner.scan("dead.example.test").await;
    let queries = fixture.queries() - one_question;
    fixture.stop().await;

    assert_eq!(statuses(&record), ["temperror"; 3].map(String::from));
    // The first question alone went out; without a shared fate, DMARC and MX would
    // each have waited out a timeout of their own.
    assert!(one_question > 0);
    assert_eq!(queries, one_question, "{}", text(&record));
    let json = serde_json::to_value(&record).unwrap();
    for part in ["dmarc", "mx"] {
        let said = json[part].to_string();
        assert!(
            said.contains("not asked: the name servers of dead.example.test did not answer TXT dead.example.test"),
            "{part}: {said}"
        );
    }
    // The first question itself timed out, and says so.
    assert!(
        json["spf"].to_string().contains("timeout"),
        "{}",
        json["spf"]
    );
}

#[tokio::test]
async fn a_domain_that_answered_keeps_asking_after_one_name_times_out() {
    let mut zone = Zone::new();
    // Its own DMARC name goes unanswered; its zone answers the apex and MX.
    zone.txt_text("half.example.test", SPF)
        .mx("half.example.test", 10, "mx.half.example.test")
        .a("mx.half.example.test", "192.0.2.25".parse().unwrap())
        .silent("_dmarc.half.example.test");
    // An include outside the domain that never answers: asked as usual.
    zone.txt_text("other.example.test", "v=spf1 include:gone.example.net -all")
        .mx("other.example.test", 10, "mx.half.example.test")
        .txt_text("_dmarc.other.example.test", DMARC);
    zone.silent("gone.example.net");
    let fixture = DnsFixture::start(zone).await;
    let scanner = Scanner::new(fixture.dns(), ScanOptions::default());
    let (half, other) = tokio::join!(
        scanner.scan("half.example.test"),
        scanner.scan("other.example.test")
    );
    fixture.stop().await;

    assert_eq!(statuses(&half), ["ok", "temperror", "ok"].map(String::from));
    assert!(!text(&half).contains("not asked"), "{}", text(&half));
    let [spf, dmarc, mx] = statuses(&other);
    assert_eq!((dmarc.as_str(), mx.as_str()), ("ok", "ok"));
    assert_eq!(spf, "temperror", "{}", text(&other));
    assert!(!text(&other).contains("not asked"), "{}", text(&other));
}

/// Scans `list` (lines) through `resolver` with the binary; the records in the order
/// they were written, and `scan.json`.
async fn scan(
    dir: &Path,
    list: &[String],
    resolver: &str,
    flags: &[&str],
) -> (Vec<serde_json::Value>, serde_json::Value) {
    let path = dir.join("list.txt");
    std::fs::write(&path, list.join("\n")).unwrap();
    let out = dir.join("scan");
    let args = scan_args(&path, &out, resolver, flags);
    let output = run(dir, args).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let records = std::fs::read_to_string(out.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let scan_json =
        serde_json::from_str(&std::fs::read_to_string(out.join("scan.json")).unwrap()).unwrap();
    (records, scan_json)
}

/// With one domain scanned at a time, two silent domains step aside while they wait, and
/// the live domains after them are scanned (and written) before their timeout ends.
#[tokio::test]
async fn silent_domains_give_their_place_to_live_ones() {
    let mut zone = Zone::new();
    let mut list = vec!["live0.example.test".to_owned()];
    live(&mut zone, "live0.example.test");
    for dead in ["dead1.example.test", "dead2.example.test"] {
        silent(&mut zone, dead);
        list.push(dead.to_owned());
    }
    for i in 1..=5 {
        let domain = format!("live{i}.example.test");
        live(&mut zone, &domain);
        list.push(domain);
    }
    let fixture = DnsFixture::start(zone).await;
    let dir = tempfile::tempdir().unwrap();
    // A try lasts 1.5 s; the first live domain's answers bring the time after which an
    // unanswered question is presumed lost down to its floor (200 ms).
    let flags = ["--concurrency", "1", "--timeout", "1.5", "--attempts", "1"];
    let (records, _) = scan(dir.path(), &list, &fixture.resolver_arg(), &flags).await;
    fixture.stop().await;

    let order: Vec<&str> = records
        .iter()
        .map(|r| r["domain"].as_str().unwrap())
        .collect();
    assert_eq!(order.len(), list.len());
    let first_dead = order.iter().position(|d| d.starts_with("dead")).unwrap();
    assert_eq!(
        first_dead, 6,
        "the live domains were written before the silent ones: {order:?}"
    );
    for record in &records[6..] {
        for part in ["spf", "dmarc", "mx"] {
            assert_eq!(record[part]["status"], "temperror", "{record}");
        }
    }
}

/// A resolver whose request list holds 20 questions, 6 domains delegated to name servers
/// that never answer (each keeps its question in that list for good), and 60 live
/// domains asked all at once with room for 64 questions in flight: the dead domains hold
/// one place each, the window backs off when expected answers go missing, and every
/// live domain is answered.
#[tokio::test]
async fn a_small_request_list_is_paced_and_dead_domains_hold_one_place_each() {
    const DEAD: usize = 6;
    const LIVE: usize = 60;
    let mut zone = Zone::new();
    let mut list = Vec::new();
    let mut dead_zones = Vec::new();
    for i in 0..LIVE {
        let domain = format!("live{i}.example.test");
        live(&mut zone, &domain);
        list.push(domain);
        if i % (LIVE / DEAD) == 0 {
            let dead = format!("dead{i}.example.test");
            list.push(dead.clone());
            dead_zones.push(dead);
        }
    }
    let upstream = DnsFixture::start(zone).await;
    let standin = Standin::start(
        upstream.addr,
        StandinConfig {
            capacity: 20,
            dead_zones,
            ..StandinConfig::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let resolver = standin.addr().to_string();
    let flags = [
        "--concurrency",
        "100",
        "--dns-in-flight",
        "64",
        "--timeout",
        "0.3",
        "--attempts",
        "6",
    ];
    let (records, scan_json) = scan(dir.path(), &list, &resolver, &flags).await;
    let (in_hand, exceeded) = (standin.in_hand(), standin.exceeded());
    standin.stop().await;
    upstream.stop().await;

    assert_eq!(records.len(), LIVE + DEAD);
    for record in &records {
        let domain = record["domain"].as_str().unwrap();
        for part in ["spf", "dmarc", "mx"] {
            let status = record[part]["status"].as_str().unwrap();
            if domain.starts_with("dead") {
                assert_eq!(status, "temperror", "{record}");
            } else {
                assert_ne!(status, "temperror", "{record}");
            }
        }
    }
    // Each dead domain left exactly its first question in the resolver's list.
    assert_eq!(in_hand, DEAD);
    let dns = &scan_json["dns"];
    eprintln!("dead zones: request list exceeded {exceeded} times, {dns}");
    // The list overflowed, and the window shrank in answer to it. hickory's resolver
    // retries inside one lookup, so the standard transport's window sees a lookup's
    // end, not its lost tries: only the bulk transport's must have shrunk here.
    assert!(exceeded > 0);
    if crate::TRANSPORT == mailposture::dns::Transport::Bulk {
        assert!(dns["window_decreases"].as_u64().unwrap() >= 1, "{dns}");
    }
}

/// A zone whose name servers answer SERVFAIL: every question is asked (a quick answer
/// holds nothing up) and each part says SERVFAIL, none "not asked".
#[tokio::test]
async fn a_servfail_zone_is_asked_and_reported_part_by_part() {
    let mut zone = Zone::new();
    live(&mut zone, "live.example.test");
    let upstream = DnsFixture::start(zone).await;
    let standin = Standin::start(
        upstream.addr,
        StandinConfig {
            servfail_zones: vec!["broken.example.test".into()],
            ..StandinConfig::default()
        },
    )
    .await;
    let mut settings = upstream.settings();
    settings.servers = vec![standin.addr()];
    let scanner = Scanner::new(
        mailposture::dns::Dns::from_settings(&settings).unwrap(),
        ScanOptions::default(),
    );
    let (broken, live) = tokio::join!(
        scanner.scan("broken.example.test"),
        scanner.scan("live.example.test")
    );
    standin.stop().await;
    upstream.stop().await;

    assert_eq!(statuses(&broken), ["temperror"; 3].map(String::from));
    let said = text(&broken);
    assert!(!said.contains("not asked"), "{said}");
    assert!(said.matches("servfail").count() >= 3, "{said}");
    assert_eq!(statuses(&live), ["ok"; 3].map(String::from));
}
