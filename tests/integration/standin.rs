//! The resolver stand-in itself: it relays answers, keeps dead questions unanswered in
//! its request list, drops and counts questions when the list is full, and fails
//! SERVFAIL zones at once.

use std::time::Duration;

use mailposture::dns::{Dns, Outcome, TempFailKind};

use crate::support::standin::{Standin, StandinConfig};
use crate::support::{DnsFixture, Zone};

const SPF: &str = "v=spf1 ip4:192.0.2.0/24 -all";
const TIMEOUT: Duration = Duration::from_millis(300);

/// An upstream zone with TXT records at `names`.
async fn upstream(names: &[&str]) -> DnsFixture {
    let mut zone = Zone::new();
    for name in names {
        zone.txt_text(name, SPF);
    }
    DnsFixture::start(zone).await
}

/// A resolver asking only `standin`: one try of 300 ms a question, no cache.
fn through(fixture: &DnsFixture, standin: &Standin) -> Dns {
    let mut settings = fixture.settings();
    settings.servers = vec![standin.addr()];
    settings.timeout = TIMEOUT;
    settings.attempts = 1;
    settings.cache_size = 0;
    Dns::from_settings(&settings).expect("resolver")
}

fn dead(zones: &[&str], capacity: usize) -> StandinConfig {
    StandinConfig {
        capacity,
        dead_zones: zones.iter().map(|z| (*z).to_owned()).collect(),
        ..StandinConfig::default()
    }
}

fn timed_out(outcome: &Outcome<Vec<String>>) -> bool {
    matches!(outcome, Outcome::TempFail(t) if t.kind == TempFailKind::Timeout)
}

#[tokio::test]
async fn a_healthy_name_is_answered_through_the_upstream() {
    let fixture = upstream(&["mail.example.test"]).await;
    let standin = Standin::start(fixture.addr, StandinConfig::default()).await;
    let dns = through(&fixture, &standin);
    let outcome = dns.txt("mail.example.test").await;
    let missing = dns.txt("gone.example.test").await;
    let counts = (
        standin.received(),
        standin.accepted(),
        standin.exceeded(),
        standin.peak(),
        standin.in_hand(),
    );
    let upstream_queries = fixture.queries();
    standin.stop().await;
    fixture.stop().await;
    assert_eq!(outcome, Outcome::Answer(vec![SPF.to_owned()]));
    assert_eq!(missing, Outcome::NxDomain);
    assert_eq!(
        counts,
        (2, 2, 0, 1, 0),
        "received, accepted, exceeded, peak, in hand"
    );
    assert_eq!(upstream_queries, 2);
}

#[tokio::test]
async fn a_dead_name_times_out_while_another_is_answered() {
    let fixture = upstream(&["mail.example.test", "mail.lame.test"]).await;
    let standin = Standin::start(fixture.addr, dead(&["lame.test"], 16)).await;
    let dns = through(&fixture, &standin);
    let (lame, healthy) = tokio::join!(dns.txt("mail.lame.test"), dns.txt("mail.example.test"));
    let in_hand = standin.in_hand();
    let upstream_queries = fixture.queries();
    standin.stop().await;
    fixture.stop().await;
    assert!(timed_out(&lame), "{lame:?}");
    assert_eq!(healthy, Outcome::Answer(vec![SPF.to_owned()]));
    assert_eq!(in_hand, 1, "the dead question keeps its place");
    assert_eq!(
        upstream_queries, 1,
        "the dead question reached the upstream"
    );
}

#[tokio::test]
async fn a_full_list_drops_a_new_question_and_counts_it() {
    let fixture = upstream(&["mail.example.test"]).await;
    let standin = Standin::start(fixture.addr, dead(&["lame.test"], 2)).await;
    let dns = through(&fixture, &standin);
    // One after the other, so both are in hand before the healthy question comes.
    let first = dns.txt("a.lame.test").await;
    let second = dns.txt("b.lame.test").await;
    let healthy = dns.txt("mail.example.test").await;
    let counts = (
        standin.received(),
        standin.accepted(),
        standin.exceeded(),
        standin.peak(),
    );
    let upstream_queries = fixture.queries();
    standin.stop().await;
    fixture.stop().await;
    assert!(
        timed_out(&first) && timed_out(&second),
        "{first:?} {second:?}"
    );
    assert!(timed_out(&healthy), "{healthy:?}");
    assert_eq!(counts, (3, 2, 1, 2), "received, accepted, exceeded, peak");
    assert_eq!(upstream_queries, 0);
}

#[tokio::test]
async fn the_same_question_again_joins_the_one_in_hand() {
    let fixture = upstream(&[]).await;
    let standin = Standin::start(fixture.addr, dead(&["lame.test"], 1)).await;
    let dns = through(&fixture, &standin);
    let first = dns.txt("mail.lame.test").await;
    let again = dns.txt("MAIL.Lame.test").await;
    let other = dns.txt("other.lame.test").await;
    let counts = (
        standin.accepted(),
        standin.exceeded(),
        standin.peak(),
        standin.in_hand(),
    );
    standin.stop().await;
    fixture.stop().await;
    assert!(
        [first, again, other].iter().all(timed_out),
        "a dead question was answered"
    );
    assert_eq!(counts, (2, 1, 1, 1), "accepted, exceeded, peak, in hand");
}

/// A dead question gives its place back after `dead_hold`, and a healthy question then
/// finds room in a list of one.
#[tokio::test]
async fn a_dead_question_is_forgotten_after_its_hold() {
    let fixture = upstream(&["mail.example.test"]).await;
    let config = StandinConfig {
        dead_hold: Some(Duration::from_millis(50)),
        ..dead(&["lame.test"], 1)
    };
    let standin = Standin::start(fixture.addr, config).await;
    let dns = through(&fixture, &standin);
    let lame = dns.txt("mail.lame.test").await;
    for _ in 0..200 {
        if standin.in_hand() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let in_hand = standin.in_hand();
    let healthy = dns.txt("mail.example.test").await;
    let exceeded = standin.exceeded();
    standin.stop().await;
    fixture.stop().await;
    assert!(timed_out(&lame), "{lame:?}");
    assert_eq!(in_hand, 0, "the dead question was never forgotten");
    assert_eq!(healthy, Outcome::Answer(vec![SPF.to_owned()]));
    assert_eq!(exceeded, 0);
}

#[tokio::test]
async fn a_servfail_zone_fails_at_once_without_the_upstream() {
    let fixture = upstream(&["mail.broken.test"]).await;
    let config = StandinConfig {
        servfail_zones: vec!["broken.test".to_owned()],
        ..StandinConfig::default()
    };
    let standin = Standin::start(fixture.addr, config).await;
    let dns = through(&fixture, &standin);
    let outcome = dns.txt("mail.broken.test").await;
    let counts = (standin.accepted(), standin.peak(), standin.in_hand());
    let upstream_queries = fixture.queries();
    standin.stop().await;
    fixture.stop().await;
    match outcome {
        Outcome::TempFail(t) => assert_eq!(t.kind, TempFailKind::Servfail, "{t:?}"),
        other => panic!("expected SERVFAIL, got {other:?}"),
    }
    assert_eq!(counts, (1, 1, 0), "accepted, peak, in hand");
    assert_eq!(upstream_queries, 0);
}
