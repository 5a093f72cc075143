//! What only the bulk transport does: its cache and single-flight, the counting of
//! datagrams it drops, and query-name case randomisation. Every other DNS test runs over
//! both transports (`tests/standard_transport.rs`).

use std::time::Duration;

use mailposture::dns::{Dns, Outcome, ResolverSettings, TempFailKind, Transport};

use crate::support::history::write_list;
use crate::support::raw_dns::{Behaviour, RawDns};
use crate::support::{DnsFixture, Zone};

const SPF: &str = "v=spf1 ip4:192.0.2.0/24 -all";
const TIMEOUT: Duration = Duration::from_millis(300);

fn bulk(mut settings: ResolverSettings) -> Dns {
    settings.transport = Transport::Bulk;
    Dns::from_settings(&settings).expect("bulk transport")
}

/// 200 questions for one name at the same moment go out as one query, and later ones
/// for it, and for a name that does not exist, are answered from the cache (for the
/// records' TTL, 300 s, and the SOA's negative TTL, min(TTL, MINIMUM) = 60 s, RFC 2308
/// §5).
#[tokio::test]
async fn identical_questions_share_one_query_and_answers_are_cached() {
    let mut zone = Zone::new();
    zone.txt_text("_spf.provider.test", SPF);
    let fixture = DnsFixture::start(zone).await;
    let dns = bulk(fixture.settings());
    let together = futures::future::join_all((0..200).map(|_| dns.txt("_spf.provider.test"))).await;
    let after_burst = fixture.queries();
    let later = dns.txt("_SPF.Provider.test").await;
    let missing = [
        dns.txt("gone.provider.test").await,
        dns.txt("gone.provider.test").await,
    ];
    let total = fixture.queries();
    let figures = dns.figures();
    fixture.stop().await;
    assert!(
        together
            .iter()
            .all(|o| *o == Outcome::Answer(vec![SPF.to_owned()]))
    );
    assert_eq!(after_burst, 1, "the burst sent {after_burst} queries");
    assert_eq!(later, Outcome::Answer(vec![SPF.to_owned()]));
    assert_eq!(missing, [Outcome::NxDomain, Outcome::NxDomain]);
    assert_eq!(total, 2, "{total} queries in all");
    assert_eq!((figures.lookups, figures.queries_sent), (203, Some(2)));
}

/// Forgeries that arrive before the real answer (wrong ID, wrong question, another source
/// port) are dropped and counted; the real answer is taken. Each duplicate of an answer
/// is counted the same way.
#[tokio::test]
async fn forged_and_duplicate_datagrams_are_dropped_and_counted() {
    let forged = RawDns::start(Behaviour::ForgedFirst, vec![SPF.as_bytes().to_vec()]).await;
    let dns = bulk(forged.settings(TIMEOUT, 1));
    let outcome = dns.txt("victim.test").await;
    // The forgeries were sent first; give the receiving task a moment for stragglers.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let figures = dns.figures();
    forged.stop().await;
    assert_eq!(outcome, Outcome::Answer(vec![SPF.to_owned()]));
    assert_eq!(figures.spoofed_or_stray, Some(3));

    let twice = RawDns::start(Behaviour::Twice, vec![SPF.as_bytes().to_vec()]).await;
    let dns = bulk(twice.settings(TIMEOUT, 1));
    let a = dns.txt("one.test").await;
    let b = dns.txt("two.test").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let figures = dns.figures();
    twice.stop().await;
    let answer = Outcome::Answer(vec![SPF.to_owned()]);
    assert_eq!([a, b], [answer.clone(), answer]);
    assert_eq!(figures.spoofed_or_stray, Some(2));
}

/// Each try of a question goes out on another socket (another source port), so a socket
/// whose answers are lost does not take the retries with it.
#[tokio::test]
async fn retries_go_out_on_other_sockets() {
    let silent = RawDns::start(Behaviour::Silent, vec![SPF.as_bytes().to_vec()]).await;
    let dns = bulk(silent.settings(Duration::from_millis(100), 3));
    let outcome = dns.txt("lost.test").await;
    let sources = silent.counts.udp_sources.lock().unwrap().clone();
    silent.stop().await;
    assert!(matches!(outcome, Outcome::TempFail(_)), "{outcome:?}");
    assert_eq!(sources.len(), 3, "{sources:?}");
    let ports: std::collections::HashSet<u16> = sources.iter().map(|s| s.port()).collect();
    assert_eq!(ports.len(), 3, "tries from {sources:?}");
}

/// A datagram the kernel refuses (to the broadcast address, without SO_BROADCAST: nothing
/// leaves the machine) fails its try at once with the reason, not after the timeout; the
/// next try goes to the next resolver, and questions sent with it are not held up.
#[tokio::test]
async fn a_refused_send_fails_its_try_at_once() {
    let mut zone = Zone::new();
    zone.txt_text("ok.test", SPF);
    let fixture = DnsFixture::start(zone).await;
    let mut settings = fixture.settings();
    settings.timeout = Duration::from_secs(3);
    let broadcast = "255.255.255.255:53".parse().unwrap();
    let mut only_broadcast = settings.clone();
    only_broadcast.servers = vec![broadcast];
    settings.servers.insert(0, broadcast);
    settings.attempts = 2;
    let started = std::time::Instant::now();
    let refused = bulk(only_broadcast).txt("ok.test").await;
    let recovered = bulk(settings).txt("ok.test").await;
    let took = started.elapsed();
    fixture.stop().await;
    match refused {
        Outcome::TempFail(t) => {
            assert_eq!(t.kind, TempFailKind::Network, "{t:?}");
            assert!(t.detail.contains("255.255.255.255"), "{}", t.detail);
        }
        other => panic!("expected a network temperror, got {other:?}"),
    }
    assert_eq!(recovered, Outcome::Answer(vec![SPF.to_owned()]));
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

/// With `--randomise-case`, an answer whose question does not echo the name's case octet
/// for octet is not the answer to the query sent (the 0x20 defence): against a server
/// that lower-cases names the question times out; against one that echoes the name, it
/// is answered.
#[tokio::test]
async fn randomised_case_must_be_echoed() {
    for (behaviour, answered) in [(Behaviour::Correct, true), (Behaviour::LowerCase, false)] {
        let server = RawDns::start(behaviour, vec![SPF.as_bytes().to_vec()]).await;
        let mut settings = server.settings(TIMEOUT, 1);
        settings.randomise_case = true;
        let dns = bulk(settings);
        // A long name, so that a random case is almost never all lower case (2^-20).
        let outcome = dns.txt("abcdefghij.klmnopqrst.test").await;
        let figures = dns.figures();
        server.stop().await;
        if answered {
            assert_eq!(
                outcome,
                Outcome::Answer(vec![SPF.to_owned()]),
                "{behaviour:?}"
            );
            assert_eq!(figures.spoofed_or_stray, Some(0));
        } else {
            match outcome {
                Outcome::TempFail(t) => assert_eq!(t.kind, TempFailKind::Timeout),
                other => panic!("{behaviour:?}: accepted {other:?}"),
            }
            assert_eq!(figures.spoofed_or_stray, Some(1));
        }
    }
}

/// `scan.json` says which transport ran and what went over the wire.
#[tokio::test]
async fn scan_json_has_the_transport_figures() {
    let mut zone = Zone::new();
    for d in ["a.example.jp", "b.example.jp"] {
        zone.txt_text(d, "v=spf1 include:_spf.provider.test -all");
    }
    zone.txt_text("_spf.provider.test", SPF);
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    write_list(&list, &["a.example.jp", "b.example.jp"]);
    let mut figures = Vec::new();
    for transport in ["bulk", "standard"] {
        let out = dir.path().join(transport);
        crate::support::history::scan_zone(
            zone.clone(),
            &list,
            &out,
            "2026-01-01T00:00:00Z",
            &["--transport", transport],
        )
        .await;
        let scan: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("scan.json")).unwrap()).unwrap();
        figures.push(scan["dns"].clone());
    }
    let [bulk, standard] = &figures[..] else {
        unreachable!()
    };
    assert_eq!(bulk["transport"], "bulk");
    assert_eq!(standard["transport"], "standard");
    // The bulk transport also asks whether the resolver validates DNSSEC (the root's
    // DNSKEY), once; the standard one cannot tell and does not ask.
    let lookups = |f: &serde_json::Value| f["lookups"].as_u64().unwrap();
    assert_eq!(lookups(bulk), lookups(standard) + 1);
    assert_eq!(bulk["dnssec_validation"], "not_known");
    assert_eq!(standard["dnssec_validation"], "not_known");
    let sent = bulk["queries_sent"].as_u64().unwrap();
    assert!(
        sent > 0 && sent <= bulk["lookups"].as_u64().unwrap(),
        "{bulk}"
    );
    assert_eq!(bulk["spoofed_or_stray"], 0);
    assert_eq!(bulk["temp_failures"], 0);
    assert!(standard["queries_sent"].is_null());
}
