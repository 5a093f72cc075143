//! The MTA-STS policy fetch (RFC 8461 §3.3) against an in-process HTTPS server, with the
//! policy host's name served by the DNS fixture: one test per way a fetch ends.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use mailposture::mta_sts::fetch::{FetchSettings, FetchStatus, Fetched, PolicyFetcher};
use mailposture::net::Guard;

use crate::support::dns::{DnsFixture, Zone, next_loopback};
use crate::support::https::{HttpsBehaviour, HttpsConfig, HttpsServer, PORT};
use crate::support::smtp::{TestPki, TlsIdentity, self_signed};

const POLICY: &str = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.net\r\nmax_age: 86400\r\n";

/// Settings for loopback: the test port, any address, the test CA's roots.
fn settings(pki: &TestPki) -> FetchSettings {
    FetchSettings {
        port: PORT,
        roots: pki.roots(),
        guard: Guard::ALLOW_NONPUBLIC,
        ..FetchSettings::default()
    }
}

fn host(domain: &str) -> String {
    format!("mta-sts.{domain}")
}

/// What one fetch of `domain` against one server found, and the server's view of it.
struct Run {
    fetched: Arc<Fetched>,
    server: HttpsServer,
}

/// Serves `config` at a fresh loopback address that `mta-sts.<domain>` resolves to, and
/// fetches `domain`'s policy once with `settings`. The caller stops the server.
async fn fetch_from(domain: &str, config: HttpsConfig, settings: FetchSettings) -> Run {
    let ip = next_loopback();
    let server = HttpsServer::start(SocketAddr::from((ip, PORT)), config).await;
    let mut zone = Zone::new();
    zone.a(&host(domain), ip);
    let dns = DnsFixture::start(zone).await;
    let fetched = PolicyFetcher::new(dns.dns(), settings).fetch(domain).await;
    dns.stop().await;
    Run { fetched, server }
}

/// [`fetch_from`] with the test CA's certificate for the policy host and default settings.
async fn fetch_answer(
    domain: &str,
    pki: &TestPki,
    answer: impl FnOnce(TlsIdentity) -> HttpsConfig,
) -> Run {
    fetch_from(domain, answer(pki.leaf(&host(domain))), settings(pki)).await
}

/// A fetch over DNS only (no server): `zone` decides what the policy host resolves to.
async fn fetch_with_zone(domain: &str, zone: Zone, settings: FetchSettings) -> Arc<Fetched> {
    let dns = DnsFixture::start(zone).await;
    let fetched = PolicyFetcher::new(dns.dns(), settings).fetch(domain).await;
    dns.stop().await;
    fetched
}

#[tokio::test]
async fn a_valid_policy_is_returned_with_its_facts() {
    let pki = TestPki::new();
    let run = fetch_answer("valid.example", &pki, |id| HttpsConfig::policy(id, POLICY)).await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::Ok, "{facts:?}");
    assert_eq!(facts.error, None);
    assert_eq!(run.fetched.body.as_deref(), Some(POLICY));
    assert_eq!(
        facts.url,
        "https://mta-sts.valid.example/.well-known/mta-sts.txt"
    );
    assert_eq!(facts.http_status, Some(200));
    assert_eq!(
        facts.content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(facts.address, Some(run.server.addr().ip()));
    let cert = facts.cert.as_ref().expect("certificate facts");
    assert!(
        cert.valid && cert.chain_valid && cert.hostname_match,
        "{cert:?}"
    );
    assert!(!cert.expired && !cert.self_signed);
    // The request a sender makes: one GET of the well-known path, HTTP/1.1, the policy
    // host named, the scanner named, no cookie.
    let requests = run.server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let seen = &requests[0];
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/.well-known/mta-sts.txt");
    assert_eq!(seen.version, "HTTP/1.1");
    assert_eq!(seen.host.as_deref(), Some("mta-sts.valid.example"));
    let agent = seen.user_agent.as_deref().unwrap_or_default();
    assert!(agent.starts_with("mailposture/"), "{agent}");
    assert!(agent.contains(env!("CARGO_PKG_VERSION")), "{agent}");
    assert_eq!(seen.cookie, None);
    run.server.stop().await;
}

#[tokio::test]
async fn a_404_is_an_http_status_failure() {
    let pki = TestPki::new();
    let run = fetch_answer("missing.example", &pki, |id| HttpsConfig {
        status: 404,
        ..HttpsConfig::policy(id, "not found")
    })
    .await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::HttpStatus, "{facts:?}");
    assert_eq!(facts.http_status, Some(404));
    assert_eq!(run.fetched.body, None);
    assert!(facts.error.as_deref().unwrap().contains("404"), "{facts:?}");
    assert!(!facts.status.transient());
    run.server.stop().await;
}

#[tokio::test]
async fn a_redirect_is_recorded_and_not_followed() {
    let pki = TestPki::new();
    let target = "https://mta-sts.moved.example/.well-known/elsewhere.txt";
    let run = fetch_answer("moved.example", &pki, |id| {
        HttpsConfig {
            status: 301,
            ..HttpsConfig::policy(id, POLICY)
        }
        .with_header("Location", target)
    })
    .await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::Redirect, "{facts:?}");
    assert_eq!(facts.http_status, Some(301));
    assert_eq!(facts.location.as_deref(), Some(target));
    assert_eq!(run.fetched.body, None);
    // The target is served by the same server: following it would have been a second
    // request.
    let requests = run.server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(run.server.accepted(), 1);
    run.server.stop().await;
}

#[tokio::test]
async fn text_html_is_the_wrong_media_type() {
    let pki = TestPki::new();
    let run = fetch_answer("html.example", &pki, |id| HttpsConfig {
        headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
        ..HttpsConfig::policy(id, POLICY)
    })
    .await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::MediaType, "{facts:?}");
    assert_eq!(
        facts.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(run.fetched.body, None);
    run.server.stop().await;
}

#[tokio::test]
async fn no_content_type_is_the_wrong_media_type() {
    let pki = TestPki::new();
    let run = fetch_answer("untyped.example", &pki, |id| HttpsConfig {
        headers: Vec::new(),
        ..HttpsConfig::policy(id, POLICY)
    })
    .await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::MediaType, "{facts:?}");
    assert_eq!(facts.content_type, None);
    assert_eq!(facts.http_status, Some(200));
    run.server.stop().await;
}

#[tokio::test]
async fn a_body_over_the_cap_is_too_large_and_not_read_to_its_end() {
    const MIB: usize = 1024 * 1024;
    let pki = TestPki::new();
    let big = "x".repeat(MIB);
    // Chunked, so the client learns the size only by reading; then with its length
    // declared, which ends the fetch before the body.
    for declared in [false, true] {
        let domain = if declared {
            "declared.example"
        } else {
            "chunked.example"
        };
        let run = fetch_answer(domain, &pki, |id| {
            let config = HttpsConfig::policy(id, &big);
            if declared {
                config.with_header("Content-Length", &MIB.to_string())
            } else {
                config
            }
        })
        .await;
        let facts = &run.fetched.facts;
        assert_eq!(facts.status, FetchStatus::TooLarge, "{declared}: {facts:?}");
        assert_eq!(run.fetched.body, None);
        // The client hung up at the cap: the server could not hand over the whole body
        // (its send buffer is small; only what the kernels buffer got past the cap).
        let sent = run.server.body_sent();
        assert!(
            sent < MIB,
            "{declared}: the server handed over {sent} bytes"
        );
        run.server.stop().await;
    }
}

/// A certificate the test CA issued for another name: handshake done, no request sent.
#[tokio::test]
async fn a_certificate_for_another_name_stops_the_fetch_before_the_request() {
    let pki = TestPki::new();
    let config = HttpsConfig::policy(pki.leaf("www.wrongname.example"), POLICY);
    let run = fetch_from("wrongname.example", config, settings(&pki)).await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::Certificate, "{facts:?}");
    let cert = facts.cert.as_ref().expect("certificate facts");
    assert!(
        cert.chain_valid && !cert.hostname_match && !cert.valid,
        "{cert:?}"
    );
    assert_eq!(run.server.accepted(), 1);
    assert_eq!(run.server.requests(), []);
    assert_eq!(facts.http_status, None);
    run.server.stop().await;
}

#[tokio::test]
async fn an_expired_certificate_stops_the_fetch() {
    let pki = TestPki::new();
    let domain = "expired.example";
    let config = HttpsConfig::policy(pki.expired_leaf(&host(domain)), POLICY);
    let run = fetch_from(domain, config, settings(&pki)).await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::Certificate, "{facts:?}");
    let cert = facts.cert.as_ref().expect("certificate facts");
    assert!(
        cert.expired && cert.hostname_match && !cert.valid,
        "{cert:?}"
    );
    assert_eq!(run.server.requests(), []);
    run.server.stop().await;
}

#[tokio::test]
async fn a_self_signed_certificate_stops_the_fetch() {
    let pki = TestPki::new();
    let domain = "selfsigned.example";
    let config = HttpsConfig::policy(self_signed(&host(domain)), POLICY);
    let run = fetch_from(domain, config, settings(&pki)).await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::Certificate, "{facts:?}");
    let cert = facts.cert.as_ref().expect("certificate facts");
    assert!(
        cert.self_signed && !cert.chain_valid && !cert.valid,
        "{cert:?}"
    );
    assert_eq!(run.server.requests(), []);
    run.server.stop().await;
}

/// Settings whose total time runs out while a server still makes progress within the
/// read timeout.
fn short(pki: &TestPki) -> FetchSettings {
    FetchSettings {
        read_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(4),
        ..settings(pki)
    }
}

/// A byte every 500 ms never trips the read timeout; the total one ends the fetch.
#[tokio::test]
async fn a_dribbling_server_ends_as_a_timeout() {
    let pki = TestPki::new();
    let domain = "dribble.example";
    let config = HttpsConfig {
        behaviour: HttpsBehaviour::Dribble,
        ..HttpsConfig::policy(pki.leaf(&host(domain)), &"x".repeat(60))
    };
    let run = fetch_from(domain, config, short(&pki)).await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::Timeout, "{facts:?}");
    assert!(
        facts.error.as_deref().unwrap().contains("total"),
        "{facts:?}"
    );
    assert!(facts.status.transient());
    assert_eq!(facts.http_status, Some(200));
    assert!(run.server.body_sent() > 0);
    run.server.stop().await;
}

#[tokio::test]
async fn a_server_stalling_after_its_headers_ends_as_a_read_timeout() {
    let pki = TestPki::new();
    let domain = "stall.example";
    let config = HttpsConfig {
        behaviour: HttpsBehaviour::StallAfterHeaders,
        ..HttpsConfig::policy(pki.leaf(&host(domain)), POLICY)
    };
    let run = fetch_from(domain, config, short(&pki)).await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::Timeout, "{facts:?}");
    let error = facts.error.as_deref().unwrap();
    assert!(
        error.starts_with("body: no progress within 2000 ms"),
        "{error}"
    );
    assert_eq!(run.server.body_sent(), 0);
    run.server.stop().await;
}

#[tokio::test]
async fn a_policy_host_without_an_address_is_no_host() {
    let pki = TestPki::new();
    let mut zone = Zone::new();
    // The domain exists, its policy host does not.
    zone.txt_text("_mta-sts.nohost.example", "v=STSv1; id=1");
    let fetched = fetch_with_zone("nohost.example", zone, settings(&pki)).await;
    assert_eq!(fetched.facts.status, FetchStatus::NoHost, "{fetched:?}");
    assert_eq!(fetched.facts.address, None);
    assert!(!fetched.facts.status.transient());
}

#[tokio::test]
async fn a_silent_name_server_is_a_dns_temperror() {
    let pki = TestPki::new();
    let mut zone = Zone::new();
    zone.silent("mta-sts.silent.example");
    let fetched = fetch_with_zone("silent.example", zone, settings(&pki)).await;
    assert_eq!(
        fetched.facts.status,
        FetchStatus::DnsTemperror,
        "{fetched:?}"
    );
    assert!(fetched.facts.status.transient());
}

/// The default guard refuses loopback: no connection is made, and the record says which
/// address and why.
#[tokio::test]
async fn a_loopback_address_is_refused_by_the_default_guard() {
    let pki = TestPki::new();
    let domain = "loopback.example";
    let config = HttpsConfig::policy(pki.leaf(&host(domain)), POLICY);
    let run = fetch_from(
        domain,
        config,
        FetchSettings {
            guard: Guard::default(),
            ..settings(&pki)
        },
    )
    .await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::NotPublic, "{facts:?}");
    assert_eq!(facts.address, Some(run.server.addr().ip()));
    assert!(
        facts
            .error
            .as_deref()
            .unwrap()
            .contains("--allow-nonpublic")
    );
    assert_eq!(run.server.accepted(), 0);
    run.server.stop().await;
}

#[tokio::test]
async fn nothing_listening_is_a_connect_failure() {
    let pki = TestPki::new();
    let ip: Ipv4Addr = next_loopback();
    let mut zone = Zone::new();
    zone.a("mta-sts.closed.example", ip);
    let fetched = fetch_with_zone("closed.example", zone, settings(&pki)).await;
    assert_eq!(fetched.facts.status, FetchStatus::Connect, "{fetched:?}");
    assert_eq!(fetched.facts.address, Some(ip.into()));
    assert_eq!(fetched.facts.cert, None);
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_an_encoding_failure() {
    let pki = TestPki::new();
    let run = fetch_answer("latin1.example", &pki, |id| {
        let mut config = HttpsConfig::policy(id, "");
        config.body = b"version: STSv1\r\nmode: enforce\r\nmx: caf\xe9.example\r\n".to_vec();
        config
    })
    .await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::Encoding, "{facts:?}");
    assert!(
        facts.error.as_deref().unwrap().contains("byte 38"),
        "{facts:?}"
    );
    assert_eq!(run.fetched.body, None);
    run.server.stop().await;
}

/// A scan asks for one domain's policy more than once; the host is fetched once, and a
/// failure is kept as well as a success.
#[tokio::test]
async fn a_second_fetch_of_a_domain_comes_from_the_cache() {
    let pki = TestPki::new();
    let (ok_ip, failing_ip) = (next_loopback(), next_loopback());
    let ok_host = host("cached.example");
    let ok = HttpsServer::start(
        SocketAddr::from((ok_ip, PORT)),
        HttpsConfig::policy(pki.leaf(&ok_host), POLICY),
    )
    .await;
    let failing = HttpsServer::start(
        SocketAddr::from((failing_ip, PORT)),
        HttpsConfig {
            status: 500,
            ..HttpsConfig::policy(pki.leaf(&host("broken.example")), POLICY)
        },
    )
    .await;
    let mut zone = Zone::new();
    zone.a(&ok_host, ok_ip)
        .a(&host("broken.example"), failing_ip);
    let dns = DnsFixture::start(zone).await;
    let fetcher = PolicyFetcher::new(dns.dns(), settings(&pki));
    let first = fetcher.fetch("cached.example").await;
    let again = fetcher.clone().fetch("cached.example").await;
    assert_eq!(first.facts.status, FetchStatus::Ok, "{first:?}");
    assert!(Arc::ptr_eq(&first, &again));
    let broken = fetcher.fetch("broken.example").await;
    let broken_again = fetcher.fetch("broken.example").await;
    assert_eq!(broken.facts.status, FetchStatus::HttpStatus, "{broken:?}");
    assert!(Arc::ptr_eq(&broken, &broken_again));
    for server in [&ok, &failing] {
        assert_eq!(server.requests().len(), 1);
        assert_eq!(server.accepted(), 1);
    }
    dns.stop().await;
    ok.stop().await;
    failing.stop().await;
}

/// The server promises more body than it sends, then hangs up.
#[tokio::test]
async fn a_body_cut_short_is_a_protocol_failure() {
    let pki = TestPki::new();
    let run = fetch_answer("cut.example", &pki, |id| {
        HttpsConfig::policy(id, POLICY).with_header("Content-Length", "1000")
    })
    .await;
    let facts = &run.fetched.facts;
    assert_eq!(facts.status, FetchStatus::Protocol, "{facts:?}");
    let error = facts.error.as_deref().unwrap();
    assert!(error.contains("closed without TLS close_notify"), "{error}");
    assert!(!facts.status.transient());
    assert_eq!(run.fetched.body, None);
    run.server.stop().await;
}
