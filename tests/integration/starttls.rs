//! STARTTLS in a scan: which hosts are probed, how often, and the domain's roll-up,
//! against in-process SMTP servers sharing one port on distinct loopback addresses.

use std::net::{Ipv4Addr, SocketAddr};
use std::num::NonZeroUsize;
use std::time::Duration;

use mailposture::net::Guard;
use mailposture::record::DomainRecord;
use mailposture::scan::{ScanOptions, Scanner};
use mailposture::smtp::ProbeSettings;
use mailposture::smtp::prober::{MxSelection, Rollup, StarttlsOptions};

use crate::support::{Behaviour, DnsFixture, SmtpConfig, SmtpServer, TestPki, Zone, plain};

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 25, 1, last)
}

/// A TLS server for `name` at `ip(last)`, on `port` (0: any).
async fn server(pki: &TestPki, last: u8, port: u16, name: &str, tls: bool) -> SmtpServer {
    let config = if tls {
        SmtpConfig::with_tls(pki.leaf(name))
    } else {
        SmtpConfig::with_capabilities(&["PIPELINING", "8BITMIME"])
    };
    SmtpServer::start_at(SocketAddr::from((ip(last), port)), config).await
}

fn options(pki: &TestPki, port: u16, hosts: MxSelection) -> ScanOptions {
    ScanOptions {
        starttls: Some(StarttlsOptions {
            settings: ProbeSettings {
                port,
                helo: "scanner.test.example".into(),
                connect_timeout: Duration::from_secs(1),
                reply_timeout: Duration::from_secs(1),
                handshake_timeout: Duration::from_secs(2),
                total_timeout: Duration::from_secs(5),
                roots: pki.roots(),
            },
            concurrency: NonZeroUsize::new(8).unwrap(),
            per_address: NonZeroUsize::new(1).unwrap(),
            hosts,
            // The servers are on loopback.
            guard: Guard::ALLOW_NONPUBLIC,
        }),
        ..ScanOptions::default()
    }
}

async fn scan_all(zone: Zone, options: ScanOptions, domains: &[String]) -> Vec<DomainRecord> {
    let dns = DnsFixture::start(zone).await;
    let scanner = Scanner::new(dns.dns(), options);
    let reports = futures::future::join_all(domains.iter().map(|d| scanner.scan(d))).await;
    dns.stop().await;
    // Probe results and certificate facts read back from JSON unchanged, as a resumed
    // scan reads them.
    for report in &reports {
        let json = serde_json::to_string(report).unwrap();
        let back: DomainRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }
    reports
}

#[tokio::test]
async fn two_hundred_domains_sharing_two_mx_addresses_make_two_probes() {
    let pki = TestPki::new();
    let a = server(&pki, 1, 0, "mx1.shared.test", true).await;
    let b = server(&pki, 2, a.port(), "mx2.shared.test", true).await;
    let mut zone = Zone::new();
    zone.a("mx1.shared.test", ip(1)).a("mx2.shared.test", ip(2));
    let domains: Vec<String> = (0..200).map(|i| format!("d{i}.example.test")).collect();
    for d in &domains {
        zone.mx(d, 10, "mx1.shared.test")
            .mx(d, 10, "mx2.shared.test");
    }
    let reports = scan_all(
        zone,
        options(&pki, a.port(), MxSelection::Primary),
        &domains,
    )
    .await;
    let accepted = (a.accepted(), b.accepted());
    a.stop().await;
    b.stop().await;
    // Every domain has both results; each server saw one connection.
    assert_eq!(accepted, (1, 1));
    for r in &reports {
        assert_eq!(r.mx.starttls, Some(Rollup::All), "{}", r.domain);
        for h in &r.mx.hosts {
            let probe = h.starttls.as_ref().expect("probed");
            assert_eq!(probe.result.status.as_str(), "ok");
            assert!(probe.result.cert.as_ref().unwrap().valid);
        }
    }
}

#[tokio::test]
async fn primary_only_unless_all_hosts_are_asked_for_and_the_roll_up_says_some() {
    let pki = TestPki::new();
    let tls = server(&pki, 3, 0, "mx1.mixed.test", true).await;
    let plain = server(&pki, 4, tls.port(), "mx2.mixed.test", false).await;
    let zone = || {
        let mut zone = Zone::new();
        zone.a("mx1.mixed.test", ip(3)).a("mx2.mixed.test", ip(4));
        zone.mx("mixed.test", 10, "mx1.mixed.test")
            .mx("mixed.test", 20, "mx2.mixed.test");
        zone
    };
    let domains = ["mixed.test".to_owned()];
    let primary = scan_all(
        zone(),
        options(&pki, tls.port(), MxSelection::Primary),
        &domains,
    )
    .await;
    let after_primary = plain.accepted();
    let all = scan_all(
        zone(),
        options(&pki, tls.port(), MxSelection::All),
        &domains,
    )
    .await;
    let after_all = plain.accepted();
    tls.stop().await;
    plain.stop().await;

    // Only the preference-10 host is probed by default.
    assert_eq!(after_primary, 0);
    assert_eq!(primary[0].mx.starttls, Some(Rollup::All));
    assert!(primary[0].mx.hosts[1].starttls.is_none());
    // Both with --starttls-mx all: one offers STARTTLS, the other does not.
    assert_eq!(after_all, 1);
    assert_eq!(all[0].mx.starttls, Some(Rollup::Some));
    let statuses: Vec<&str> = all[0]
        .mx
        .hosts
        .iter()
        .map(|h| h.starttls.as_ref().unwrap().result.status.as_str())
        .collect();
    assert_eq!(statuses, ["ok", "not_offered"]);
}

#[tokio::test]
async fn unreachable_mx_is_not_applicable_and_check_shows_each_probe() {
    let pki = TestPki::new();
    // Nothing listens at ip(5); the port is one a server holds elsewhere.
    let tls = server(&pki, 6, 0, "mx.up.test", true).await;
    let mut zone = Zone::new();
    zone.a("mx.down.test", ip(5))
        .mx("down.test", 10, "mx.down.test");
    zone.a("mx.up.test", ip(6)).mx("up.test", 10, "mx.up.test");
    let domains = ["down.test".to_owned(), "up.test".to_owned()];
    let reports = scan_all(
        zone,
        options(&pki, tls.port(), MxSelection::Primary),
        &domains,
    )
    .await;
    tls.stop().await;
    assert_eq!(reports[0].mx.starttls, Some(Rollup::NotApplicable));
    assert_eq!(
        reports[0].mx.hosts[0]
            .starttls
            .as_ref()
            .unwrap()
            .result
            .status
            .as_str(),
        "refused"
    );
    let text = plain(&mailposture::output::text::domain(&reports[1]));
    assert!(text.contains("MX     ok  STARTTLS all"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("STARTTLS ok at 127.25.1.6")
                && l.contains("certificate valid")),
        "{text}"
    );
}

/// A host that answers EHLO and then declines STARTTLS (454) gives no TLS: beside a host
/// that completes the handshake the domain is `some`, alone it is `none`, never `all`.
#[tokio::test]
async fn a_host_declining_starttls_after_ehlo_counts_against_all() {
    let pki = TestPki::new();
    let tls = server(&pki, 10, 0, "mx1.declines.test", true).await;
    let declining = SmtpServer::start_at(
        SocketAddr::from((ip(11), tls.port())),
        SmtpConfig::behaving(Behaviour::RefuseStarttls),
    )
    .await;
    let mut zone = Zone::new();
    zone.a("mx1.declines.test", ip(10))
        .a("mx2.declines.test", ip(11));
    zone.mx("declines.test", 10, "mx1.declines.test")
        .mx("declines.test", 10, "mx2.declines.test");
    zone.mx("only-declines.test", 10, "mx2.declines.test");
    let domains = ["declines.test".to_owned(), "only-declines.test".to_owned()];
    let reports = scan_all(
        zone,
        options(&pki, tls.port(), MxSelection::Primary),
        &domains,
    )
    .await;
    let commands = declining.commands();
    tls.stop().await;
    declining.stop().await;
    // The declining host was asked for STARTTLS, after EHLO, and said no.
    assert!(commands.iter().any(|c| c == "STARTTLS"), "{commands:?}");
    let declined = reports[0]
        .mx
        .hosts
        .iter()
        .find(|h| h.name == "mx2.declines.test")
        .and_then(|h| h.starttls.as_ref())
        .expect("probed");
    assert_eq!(
        (
            declined.result.status.as_str(),
            declined.result.phase.map(|p| p.as_str()),
            declined.result.advertised,
        ),
        ("refused", Some("starttls"), Some(true))
    );
    assert_eq!(reports[0].mx.starttls, Some(Rollup::Some));
    assert_eq!(reports[1].mx.starttls, Some(Rollup::None));
}

/// The binary end to end: the CSV columns and the summary figure of STARTTLS.
#[tokio::test]
async fn scan_writes_starttls_columns_and_figure() {
    let pki = TestPki::new();
    let tls = server(&pki, 7, 0, "mx.csv.test", true).await;
    let plain = server(&pki, 8, tls.port(), "mx.plain.test", false).await;
    let dns = DnsFixture::from_text(&format!(
        "mx.csv.test. IN A {}\ncsv.test. IN MX 10 mx.csv.test.\n\
         mx.plain.test. IN A {}\nplain.test. IN MX 10 mx.plain.test.\n\
         nomx.test. IN A 192.0.2.1\n",
        ip(7),
        ip(8)
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("list.txt"),
        "csv.test\nplain.test\nnomx.test\n",
    )
    .unwrap();
    let out = dir.path().join("scan");
    let output = crate::support::cmd::run(
        dir.path(),
        [
            "scan",
            "list.txt",
            "--out",
            &out.display().to_string(),
            "--resolver",
            &dns.resolver_arg(),
            "--quiet",
            "--smtp-port",
            &tls.port().to_string(),
            "--helo",
            "scanner.test.example",
            "--allow-nonpublic",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    dns.stop().await;
    tls.stop().await;
    plain.stop().await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut csv = csv::Reader::from_path(out.join("results.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: std::collections::BTreeMap<String, csv::StringRecord> = csv
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r)
        })
        .collect();
    let cells = |d: &str| {
        let r = &rows[d];
        (
            r[col("starttls")].to_owned(),
            r[col("starttls_tls_versions")].to_owned(),
            r[col("starttls_cert_valid")].to_owned(),
        )
    };
    // The test CA is not a web PKI root: the handshake works, the certificate is not valid.
    assert_eq!(
        cells("csv.test"),
        ("all".into(), "TLSv1.3".into(), "false".into())
    );
    assert_eq!(
        cells("plain.test"),
        ("none".into(), String::new(), String::new())
    );
    assert_eq!(
        cells("nomx.test"),
        ("n/a".into(), String::new(), String::new())
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["starttls_probed"], 2);
    let figure = &summary["figures"]["starttls_all"];
    assert_eq!(
        (figure["count"].as_u64(), figure["of"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(figure["denominator"], "starttls_probed");
}

/// Runs `scan` of `domain` into `dir/name` with `extra` arguments and returns the record
/// and the starttls options of scan.json.
async fn scan_one(
    dir: &std::path::Path,
    name: &str,
    resolver: &str,
    port: u16,
    extra: &[&str],
) -> (serde_json::Value, serde_json::Value) {
    let out = dir.join(name);
    let mut args: Vec<String> = [
        "scan",
        "list.txt",
        "--out",
        &out.display().to_string(),
        "--resolver",
        resolver,
        "--quiet",
        "--smtp-port",
        &port.to_string(),
        "--helo",
        "scanner.test.example",
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|a| a.to_string()));
    let output = crate::support::cmd::run(dir, args).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read = |file: &str| std::fs::read_to_string(out.join(file)).unwrap();
    let record = serde_json::from_str(read("results.jsonl").trim()).unwrap();
    let scan: serde_json::Value = serde_json::from_str(&read("scan.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&read("summary.json")).unwrap();
    assert_eq!(
        summary["starttls_probed"],
        u64::from(extra.contains(&"--allow-nonpublic")),
        "a skipped host is no STARTTLS finding"
    );
    (record, scan["options"]["starttls"].clone())
}

/// An MX that points at a non-public address (here loopback, where a server listens) is
/// not connected to unless --allow-nonpublic is given; the record says why.
#[tokio::test]
async fn nonpublic_mx_is_skipped_without_a_connection_unless_allowed() {
    let pki = TestPki::new();
    let tls = server(&pki, 9, 0, "mx.inside.test", true).await;
    let dns = DnsFixture::from_text(&format!(
        "mx.inside.test. IN A {}\ninside.test. IN MX 10 mx.inside.test.\n",
        ip(9)
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("list.txt"), "inside.test\n").unwrap();
    let resolver = dns.resolver_arg();
    let (refused, refused_options) =
        scan_one(dir.path(), "default", &resolver, tls.port(), &[]).await;
    let after_default = tls.accepted();
    let (allowed, allowed_options) = scan_one(
        dir.path(),
        "allowed",
        &resolver,
        tls.port(),
        &["--allow-nonpublic"],
    )
    .await;
    let after_allowed = tls.accepted();
    dns.stop().await;
    tls.stop().await;

    assert_eq!((after_default, after_allowed), (0, 1));
    let mx = &refused["mx"];
    assert_eq!(mx["starttls"], "n/a", "{mx:#}");
    let probe = &mx["hosts"][0]["starttls"];
    assert_eq!(probe["address"], "127.25.1.9");
    assert_eq!(probe["status"], "skipped", "{probe:#}");
    assert_eq!(probe["phase"], serde_json::Value::Null);
    assert_eq!(
        probe["error"],
        "not probed: 127.25.1.9 is loopback (RFC 1122 §3.2.1.3); \
         --allow-nonpublic probes it"
    );
    assert_eq!(probe["banner"], serde_json::Value::Null);
    assert_eq!(refused_options["allow_nonpublic"], false);

    assert_eq!(allowed["mx"]["starttls"], "all");
    let probe = &allowed["mx"]["hosts"][0]["starttls"];
    assert_eq!(probe["status"], "ok", "{probe:#}");
    assert_eq!(probe["error"], serde_json::Value::Null);
    assert_eq!(allowed_options["allow_nonpublic"], true);
}
