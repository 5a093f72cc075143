//! Hostile peers: DNS servers that lie, truncate, loop or flood, an SPF tree far past
//! every limit, and a domain list of a million junk lines. Each case must end in a
//! bounded, recorded outcome — never a hang, a crash or unbounded memory. Measured
//! times are printed (`--nocapture`) so that a slowdown shows before it becomes a hang.

use std::time::{Duration, Instant};

use mailposture::dns::{Outcome, TempFailKind};
use mailposture::spf::analysis::{LOOKUP_LIMIT, SpfStatus, analyse};
use mailposture::spf::expand::{Expander, WALK_CAP};

use crate::support::raw_dns::{Behaviour, RawDns};
use crate::support::{DnsFixture, Zone, kinds, warning_kinds};

/// Per-attempt timeout for the misbehaving responders: short, so that the tests are fast,
/// and long enough for loopback on a busy two-core machine.
const TIMEOUT: Duration = Duration::from_millis(300);
const ATTEMPTS: usize = 2;
/// Scheduling slack on top of `TIMEOUT × ATTEMPTS` on a loaded machine.
const SLACK: Duration = Duration::from_secs(2);

const SPF: &str = "v=spf1 ip4:192.0.2.0/24 -all";

/// One character-string holding `text` (short texts only).
fn strings(text: &str) -> Vec<Vec<u8>> {
    vec![text.as_bytes().to_vec()]
}

/// A reply that does not match the question — another ID, another name, another type,
/// or from another port than the one asked — must be ignored (RFC 1035 §7.3; RFC 5452
/// §9.1 for ID, question and port), so the question ends as a timeout, never as an
/// accepted answer, and within the configured timeout × attempts; as does a question
/// that is never answered at all.
#[tokio::test]
async fn mismatched_replies_are_ignored_and_time_out() {
    for behaviour in [
        Behaviour::Silent,
        Behaviour::WrongId,
        Behaviour::WrongName,
        Behaviour::WrongType,
        Behaviour::OtherPort,
    ] {
        let server = RawDns::start(behaviour, strings(SPF)).await;
        let dns = server.dns(TIMEOUT, ATTEMPTS);
        let start = Instant::now();
        let outcome = dns.txt("victim.test").await;
        let took = start.elapsed();
        let (udp, tcp) = (server.counts.udp(), server.counts.tcp());
        server.stop().await;
        eprintln!("hostile: {behaviour:?}: {outcome:?} in {took:?}, {udp} UDP + {tcp} TCP queries");
        match &outcome {
            Outcome::TempFail(t) => assert_eq!(t.kind, TempFailKind::Timeout, "{behaviour:?}"),
            other => panic!("{behaviour:?}: a mismatched reply was accepted: {other:?}"),
        }
        assert!(
            took < TIMEOUT * ATTEMPTS as u32 + SLACK,
            "{behaviour:?} took {took:?}"
        );
        // The resolver did wait for a reply rather than give up early.
        assert!(took >= TIMEOUT, "{behaviour:?} gave up after {took:?}");
        // One query per try, all over UDP: a timeout is no reason to switch to TCP.
        assert_eq!((udp, tcp), (ATTEMPTS as u64, 0), "{behaviour:?}");
    }
}

/// The control for the case above: the same responder, answering properly, is believed;
/// and an answer sent twice is taken once (the duplicate is dropped with its socket).
#[tokio::test]
async fn correct_and_doubled_replies_are_answers() {
    for behaviour in [Behaviour::Correct, Behaviour::Twice] {
        let server = RawDns::start(behaviour, strings(SPF)).await;
        let dns = server.dns(TIMEOUT, ATTEMPTS);
        let outcome = dns.txt("victim.test").await;
        let again = dns.txt("other.test").await;
        let (udp, tcp) = (server.counts.udp(), server.counts.tcp());
        server.stop().await;
        assert_eq!(
            outcome,
            Outcome::Answer(vec![SPF.to_owned()]),
            "{behaviour:?}"
        );
        assert_eq!(
            again,
            Outcome::Answer(vec![SPF.to_owned()]),
            "{behaviour:?}"
        );
        assert_eq!((udp, tcp), (2, 0), "{behaviour:?}");
    }
}

/// A server that drops every third query: each dropped question is asked again after
/// its timeout, and every name gets its answer.
#[tokio::test]
async fn every_third_query_dropped_is_recovered_by_retries() {
    let server = RawDns::start(Behaviour::DropEveryThird, strings(SPF)).await;
    let dns = server.dns(TIMEOUT, 2);
    let mut outcomes = Vec::new();
    // One at a time, so that which query is dropped is known: the 3rd, 6th, 9th...
    for i in 0..8 {
        outcomes.push(dns.txt(&format!("n{i}.drop.test")).await);
    }
    let udp = server.counts.udp();
    server.stop().await;
    for (i, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome, &Outcome::Answer(vec![SPF.to_owned()]), "n{i}");
    }
    // 8 names, and 3 queries dropped (the 3rd, 6th and 9th sent) and sent again.
    assert_eq!(udp, 11);
}

/// TC=1 over UDP: the question is asked again over TCP and the full answer used
/// (RFC 1035 §4.2.1, RFC 7766 §5).
#[tokio::test]
async fn truncated_udp_is_retried_over_tcp() {
    let server = RawDns::start(Behaviour::TruncatedUdp, strings(SPF)).await;
    let dns = server.dns(TIMEOUT, ATTEMPTS);
    let outcome = dns.txt("victim.test").await;
    let (udp, tcp) = (server.counts.udp(), server.counts.tcp());
    server.stop().await;
    assert_eq!(outcome, Outcome::Answer(vec![SPF.to_owned()]));
    assert_eq!((udp, tcp), (1, 1));
}

/// A TXT record as large as a DNS message allows (RFC 1035 §4.2.2: 65,535 octets over
/// TCP): 255 character-strings of 255 octets, together an SPF record of 65,025 octets
/// made of thousands of `a` terms. Legal DNS, and RFC 7208 §3.3 says to concatenate the
/// strings; §3.4 only advises keeping records small. The code analyses it (a choice: the
/// alternative would be to reject it unread) and must stay bounded while doing so: the
/// walk queries no more than `WALK_CAP` of its terms, not thousands.
#[tokio::test]
async fn txt_of_64_kb_over_tcp_is_analysed_within_the_walk_cap() {
    let mut text = String::from("v=spf1");
    let mut terms = 0usize;
    while text.len() + " a:h00000.big.test".len() + " -all".len() <= 255 * 255 {
        text.push_str(&format!(" a:h{terms:05}.big.test"));
        terms += 1;
    }
    text.push_str(" -all");
    let chunks: Vec<Vec<u8>> = text.as_bytes().chunks(255).map(<[u8]>::to_vec).collect();
    assert!(chunks.len() <= 255 && text.len() > 64_000, "{}", text.len());

    let server = RawDns::start(Behaviour::TruncatedUdp, chunks).await;
    let dns = server.dns(TIMEOUT, ATTEMPTS);
    let start = Instant::now();
    let report = analyse(Expander::new(dns, 0).expand("big.test").await);
    let took = start.elapsed();
    let (udp, tcp) = (server.counts.udp(), server.counts.tcp());
    server.stop().await;
    eprintln!(
        "hostile: 64 KB TXT ({} octets, {terms} a terms): {:?} {:?} in {took:?}, {udp} UDP + {tcp} TCP queries",
        text.len(),
        kinds(&report),
        warning_kinds(&report)
    );
    assert_eq!(report.record.as_deref(), Some(text.as_str()));
    assert_eq!(report.status, SpfStatus::Permerror);
    // Every `a` term is counted (RFC 7208 §4.6.4), queried or not.
    assert_eq!(report.lookups as usize, terms);
    // The responder answers A and AAAA with NODATA: the first queried terms are void.
    assert_eq!(
        kinds(&report),
        ["too_many_void_lookups", "too_many_lookups"]
    );
    assert_eq!(
        warning_kinds(&report),
        ["record_too_long", "walk_truncated"]
    );
    // The TXT question once over UDP (truncated) and once over TCP; then A and AAAA for
    // each of the first WALK_CAP terms only, each truncated over UDP too (the responder
    // truncates every UDP reply) and retried over TCP.
    let queried = 1 + 2 * u64::from(WALK_CAP);
    assert_eq!((udp, tcp), (queried, queried));
}

/// A chain of 20 CNAMEs to a TXT record, and a CNAME loop, served by hickory-server.
/// RFC 1034 §3.6.2 lets a resolver follow chains but does not fix a length; loops must
/// end somehow (RFC 1034 §5.3.3 "bound the amount of work").
#[tokio::test]
async fn cname_chain_of_20_and_cname_loop_are_bounded() {
    let mut zone = Zone::new();
    for i in 0..20 {
        zone.cname(
            &format!("c{i}.chain.test"),
            &format!("c{}.chain.test", i + 1),
        );
    }
    zone.txt("c20.chain.test", &[SPF.as_bytes()]);
    zone.cname("a.loop.test", "b.loop.test");
    zone.cname("b.loop.test", "a.loop.test");
    zone.cname("self.loop.test", "self.loop.test");
    let fixture = DnsFixture::start(zone).await;
    let dns = fixture.dns();

    let start = Instant::now();
    let chain = dns.txt("c0.chain.test").await;
    let chain_took = start.elapsed();
    let chain_queries = fixture.queries();
    let start = Instant::now();
    let looped = dns.txt("a.loop.test").await;
    let selfish = dns.txt("self.loop.test").await;
    let loop_took = start.elapsed();
    let loop_queries = fixture.queries() - chain_queries;
    fixture.stop().await;
    eprintln!(
        "hostile: CNAME chain of 20: {chain:?} in {chain_took:?} ({chain_queries} queries); \
         loop: {looped:?}, self: {selfish:?} in {loop_took:?} ({loop_queries} queries)"
    );
    // hickory-server follows the chain inside its zone and the resolver follows what is
    // left: the TXT record is the answer (4 requests measured), never more than one
    // question per link.
    assert_eq!(chain, Outcome::Answer(vec![SPF.to_owned()]));
    assert!(chain_queries <= 21, "{chain_queries}");
    // A loop ends, in hickory's choice, as NODATA — the resolver stops re-asking after
    // a query depth of 8 and reports no records — which SPF reads as a void lookup
    // (RFC 7208 §4.6.4). Measured: 8 requests per looping name.
    assert_eq!((&looped, &selfish), (&Outcome::NoData, &Outcome::NoData));
    assert!(loop_queries <= 2 * 8, "{loop_queries}");
    assert!(loop_took < Duration::from_secs(5), "{loop_took:?}");
}

/// Thousands of TXT records at one name (RFC 7208 §4.5: only those starting `v=spf1`
/// are SPF records; exactly one must remain, two or more is a permerror). 1,500 short
/// records fit one TCP message; 5,000 do not (65,535 octets, RFC 1035 §4.2.2), so the
/// server truncates even over TCP and the question cannot be answered: a temperror, as
/// for any lookup error other than NXDOMAIN (RFC 7208 §4.4) — the code's choice, since
/// the RFC names no rule for an answer too big for TCP.
#[tokio::test]
async fn thousands_of_txt_records_select_the_spf_one() {
    const OTHERS: usize = 1_500;
    const TOO_MANY: usize = 5_000;
    let mut zone = Zone::new();
    for i in 0..OTHERS {
        zone.txt("one.flood.test", &[format!("verify={i:05}").as_bytes()]);
        zone.txt("two.flood.test", &[format!("verify={i:05}").as_bytes()]);
    }
    zone.txt("one.flood.test", &[SPF.as_bytes()]);
    zone.txt("two.flood.test", &[SPF.as_bytes()]);
    zone.txt("two.flood.test", &[b"v=spf1 -all"]);
    for i in 0..TOO_MANY {
        zone.txt("huge.flood.test", &[format!("verify={i:05}").as_bytes()]);
    }
    zone.txt("huge.flood.test", &[SPF.as_bytes()]);
    let fixture = DnsFixture::start(zone).await;
    let spf = |domain: &'static str| {
        let dns = fixture.dns();
        async move { analyse(Expander::new(dns, 0).expand(domain).await) }
    };
    let start = Instant::now();
    let txts = fixture.dns().txt("one.flood.test").await;
    let one = spf("one.flood.test").await;
    let two = spf("two.flood.test").await;
    let took = start.elapsed();
    let before = fixture.queries();
    let start = Instant::now();
    let huge = spf("huge.flood.test").await;
    let huge_took = start.elapsed();
    let huge_queries = fixture.queries() - before;
    fixture.stop().await;
    eprintln!(
        "hostile: {OTHERS} TXT records + SPF: {:?}, + 2 SPF: {:?} in {took:?}; \
         {TOO_MANY} TXT records: {:?} in {huge_took:?}, {huge_queries} queries",
        one.status,
        kinds(&two),
        huge.errors
    );
    let Outcome::Answer(txts) = txts else {
        panic!("{OTHERS} TXT records: {txts:?}");
    };
    assert_eq!(txts.len(), OTHERS + 1);
    assert_eq!(one.status, SpfStatus::Ok);
    assert_eq!(one.record.as_deref(), Some(SPF));
    assert_eq!(two.status, SpfStatus::Permerror);
    assert_eq!(kinds(&two), ["multiple_records"]);
    assert_eq!(two.record, None);

    assert_eq!(huge.status, SpfStatus::Temperror);
    assert_eq!(kinds(&huge), ["temperror"]);
    assert!(
        huge.errors[0].detail.contains("truncated"),
        "{}",
        huge.errors[0].detail
    );
    // Once over UDP (truncated), once over TCP (truncated again), and no retry: the
    // fixture's resolver makes one try per question.
    assert_eq!(huge_queries, 2);
}

/// An SPF tree 1,000 includes wide and 50 deep: `wide.test` includes the head of a
/// 50-record chain and then 999 more records. RFC 7208 §4.6.4 ends evaluation at the
/// 11th DNS-querying term; the static walk goes on to `WALK_CAP` terms (to count and
/// show more) and no further, so the queries it sends are a fixed, small number.
#[tokio::test]
async fn an_spf_tree_1000_wide_and_50_deep_stops_at_the_walk_cap() {
    const WIDE: usize = 1_000;
    const DEEP: usize = 50;
    let mut zone = Zone::new();
    let mut root = String::from("v=spf1 include:l1.deep.test");
    for i in 1..WIDE {
        root.push_str(&format!(" include:w{i:03}.wide.test"));
        zone.txt_text(&format!("w{i:03}.wide.test"), "v=spf1 a -all");
    }
    root.push_str(" -all");
    zone.txt_text("wide.test", &root);
    for level in 1..=DEEP {
        let next = if level < DEEP {
            format!(" include:l{}.deep.test", level + 1)
        } else {
            String::new()
        };
        zone.txt_text(
            &format!("l{level}.deep.test"),
            &format!("v=spf1 a:h{level}.deep.test{next} -all"),
        );
        zone.a(&format!("h{level}.deep.test"), "192.0.2.1".parse().unwrap());
    }
    let fixture = DnsFixture::start(zone).await;
    let start = Instant::now();
    let report = analyse(Expander::new(fixture.dns(), 0).expand("wide.test").await);
    let took = start.elapsed();
    let queries = fixture.queries();
    // Through the shared-subtree memo, as a scan runs it.
    let start = Instant::now();
    let shared = analyse(Expander::new(fixture.dns(), 1000).expand("wide.test").await);
    let shared_took = start.elapsed();
    let shared_queries = fixture.queries() - queries;
    fixture.stop().await;
    eprintln!(
        "hostile: SPF tree {WIDE} wide, {DEEP} deep: {:?} {:?}, {} lookups, in {took:?} with {queries} queries; \
         with the memo in {shared_took:?} with {shared_queries} queries",
        kinds(&report),
        warning_kinds(&report),
        report.lookups
    );
    assert_eq!(report.status, SpfStatus::Permerror);
    assert_eq!(kinds(&report), ["too_many_lookups"]);
    // The root's record is ~22 KB; the walk was cut in the root (its other includes)
    // and in the last chain record followed.
    assert_eq!(
        warning_kinds(&report),
        ["record_too_long", "walk_truncated", "walk_truncated"]
    );
    // Chain record k is entered after 2k − 1 terms (each has an `a` and an include);
    // an include is followed while the count is at most WALK_CAP, so records l1..l20
    // are fetched and their `a` terms queried, and none of the 999 other includes.
    let followed = (WALK_CAP as usize).div_ceil(2);
    assert_eq!(followed, 20);
    // Every term of the root and of the followed records is counted.
    assert_eq!(report.lookups as usize, WIDE + 2 * followed);
    assert!(report.lookups > LOOKUP_LIMIT);
    // The root's TXT twice (UDP truncated, then TCP), one TXT per followed record, and
    // A and AAAA for each followed record's `a` term.
    assert_eq!(queries as usize, 2 + followed + 2 * followed);
    assert_eq!(
        serde_json::to_value(&shared).unwrap(),
        serde_json::to_value(&report).unwrap()
    );
    // The memo first walks the chain from its own head, with a fresh count, one record
    // further (l21: entered after 40 terms, its `a` term capped); the walk from the root
    // then finds every answer in the resolver's cache.
    assert_eq!(shared_queries as usize, 2 + (followed + 1) + 2 * followed);
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// A domain list of 1,000,000 lines, nearly all junk of several kinds, with ten valid
/// domains and one repeat mixed in: `scan` must finish, report every invalid line with
/// its file and line number, and scan exactly the ten domains. Wall time and (where
/// `/usr/bin/time` exists) peak memory are printed.
#[tokio::test]
async fn a_million_junk_lines_are_reported_and_skipped() {
    use std::io::{BufRead as _, BufReader, Write as _};

    const LINES: u64 = 1_000_000;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("junk.txt");
    let mut valid = Vec::new();
    let mut invalid = 0u64;
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&list).unwrap());
        for n in 1..=LINES {
            let line: Vec<u8> = if n % 100_000 == 50_000 {
                let domain = format!("ok{}.hostile.test", n / 100_000);
                valid.push(domain.clone());
                domain.into_bytes()
            } else if n == LINES - 1 {
                // A repeat of the first valid domain: counted, not scanned again.
                b"OK0.hostile.test.".to_vec()
            } else if n % 250_000 == 1 {
                invalid += 1;
                vec![b'x'; 5_000]
            } else {
                match n % 7 {
                    0 => Vec::new(),
                    4 => format!("  # comment {n}").into_bytes(),
                    kind => {
                        invalid += 1;
                        match kind {
                            1 => format!("bad..name{n}.test").into_bytes(),
                            2 => format!("junk!{n}.test").into_bytes(),
                            3 => [b"\xff\xfe".as_slice(), n.to_string().as_bytes()].concat(),
                            5 => format!("user{n}@").into_bytes(),
                            _ => format!("\x1b[31m{n}.test").into_bytes(),
                        }
                    }
                }
            };
            out.write_all(&line).unwrap();
            out.write_all(b"\n").unwrap();
        }
        out.flush().unwrap();
    }
    let mut zone = Zone::new();
    for domain in &valid {
        zone.txt_text(domain, SPF);
    }
    let fixture = DnsFixture::start(zone).await;
    let out_dir = dir.path().join("scan");
    let stderr_path = dir.path().join("stderr.txt");
    let time_v = std::path::Path::new("/usr/bin/time").exists();
    let mut command = if time_v {
        let mut c = std::process::Command::new("/usr/bin/time");
        c.arg("-v").arg(crate::support::cmd::bin());
        crate::support::cmd::set_transport(&mut c);
        c
    } else {
        crate::support::cmd::command()
    };
    command
        .args(["scan", &list.display().to_string(), "--out"])
        .arg(&out_dir)
        .args([
            "--resolver",
            &fixture.resolver_arg(),
            "--quiet",
            "--no-starttls",
        ])
        .args(["--timeout", "1", "--attempts", "1"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap());
    let start = Instant::now();
    let mut child = command.spawn().expect("run mailposture");
    // Bounded wait: a hang fails the test instead of stalling the run.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            let _ = child.wait();
            fixture.stop().await;
            panic!("scan of {LINES} junk lines still running after 300 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let took = start.elapsed();
    fixture.stop().await;

    // One message per invalid line, `FILE:LINE: reason (text: "…")`; check a few.
    let prefix = format!("{}:", list.display());
    let mut reported = 0u64;
    let mut seen = std::collections::BTreeMap::new();
    let mut peak_kb = None;
    for line in BufReader::new(std::fs::File::open(&stderr_path).unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix(&prefix) {
            reported += 1;
            let number: u64 = rest.split(':').next().unwrap().parse().unwrap();
            if [1, 2, 3, 5, 6, 8, 250_001].contains(&number) {
                seen.insert(number, line.clone());
            }
        } else if let Some(kb) = line
            .trim()
            .strip_prefix("Maximum resident set size (kbytes): ")
        {
            peak_kb = kb.parse::<u64>().ok();
        }
    }
    eprintln!(
        "hostile: {LINES} junk lines: {status} in {took:?}, {reported} reported, peak RSS {}",
        peak_kb.map_or_else(
            || "not measured".to_owned(),
            |kb| format!("{} MB", kb / 1024)
        )
    );
    assert!(status.success(), "{status}");
    assert_eq!(reported, invalid);
    let reason = |n: u64| {
        let line = &seen[&n];
        line[prefix.len()..].to_owned()
    };
    assert_eq!(
        reason(1),
        format!(
            "1: line too long (over 4096 bytes) (text: \"{}\")",
            "x".repeat(80)
        )
    );
    assert_eq!(reason(250_001)[..30], *"250001: line too long (over 40");
    assert_eq!(reason(8), "8: empty label (text: \"bad..name8.test\")");
    assert_eq!(
        reason(2),
        "2: character '!' not allowed in a domain name (text: \"junk!2.test\")"
    );
    assert_eq!(
        reason(3),
        "3: not valid UTF-8 (text: \"\u{fffd}\u{fffd}3\")"
    );
    assert_eq!(
        reason(5),
        "5: e-mail address without a domain (text: \"user5@\")"
    );
    // The escape character is shown escaped, never sent to the terminal.
    assert_eq!(
        reason(6),
        "6: character '\\u{1b}' not allowed in a domain name (text: \"\\u{1b}[31m6.test\")"
    );

    let jsonl = std::fs::read_to_string(out_dir.join("results.jsonl")).unwrap();
    let mut scanned: Vec<String> = jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["domain"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    scanned.sort();
    valid.sort();
    assert_eq!(scanned, valid);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("scan.json")).unwrap()).unwrap();
    assert_eq!(summary["input"]["invalid_lines"], invalid);
    assert_eq!(summary["input"]["duplicates"], 1);
    assert_eq!(summary["domains"], 10);
}

/// Regression (scan integrity §6): at a domain's per-part deadline, its questions still
/// waiting for an in-flight place were sent anyway, each freeing its place for the next
/// one of an ended domain. With one place and one domain at a time, against a server
/// that never answers (and a per-query timeout far past the deadline), each domain may
/// put exactly one question on the wire: the one holding the place when the deadline
/// fires. Every question asked ended without an answer, so each is a temporary failure.
#[tokio::test]
async fn questions_of_an_ended_domain_are_not_sent() {
    use mailposture::scan::{ScanOptions, Scanner};

    const DOMAINS: u64 = 12;
    let server = RawDns::start(Behaviour::Silent, strings(SPF)).await;
    let mut settings = server.settings(Duration::from_secs(30), 1);
    settings.max_in_flight = 1;
    let dns = mailposture::dns::Dns::from_settings(&settings).expect("resolver");
    let options = ScanOptions {
        concurrency: std::num::NonZeroUsize::MIN,
        domain_timeout: Duration::from_millis(200),
        ..ScanOptions::default()
    };
    let scanner = Scanner::new(dns.clone(), options);
    let mut temperrors = 0;
    // One domain at a time, as `--concurrency 1` runs them.
    for i in 0..DOMAINS {
        let report = scanner.scan(&format!("d{i}.silent.test")).await;
        temperrors += u64::from(report.temperror());
    }
    let udp = server.counts.udp();
    let figures = dns.figures();
    server.stop().await;
    eprintln!("hostile: {DOMAINS} domains at their deadline: {udp} queries, {figures:?}");
    assert_eq!(temperrors, DOMAINS);
    assert!(
        udp <= DOMAINS,
        "{udp} queries for {DOMAINS} domains with one in-flight place"
    );
    // SPF, DMARC, MX, MTA-STS, TLS-RPT and BIMI each asked their first question; none was
    // answered.
    assert_eq!(figures.lookups, 6 * DOMAINS, "{figures:?}");
    assert_eq!(figures.temp_failures, figures.lookups, "{figures:?}");
}

/// `scan.json`'s `dns.temp_failures` counts every question that ended without an answer,
/// those cut by the per-domain deadline included: a scan whose every question went
/// unanswered says so.
#[tokio::test]
async fn scan_json_counts_questions_cut_by_the_deadline_as_failures() {
    let server = RawDns::start(Behaviour::Silent, strings(SPF)).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    let domains: Vec<String> = (0..6).map(|i| format!("d{i}.silent.test")).collect();
    std::fs::write(&list, domains.join("\n") + "\n").unwrap();
    let out = dir.path().join("scan");
    let args = [
        "scan",
        &list.display().to_string(),
        "--out",
        &out.display().to_string(),
        "--resolver",
        &server.addr.to_string(),
        "--timeout",
        "30",
        "--attempts",
        "1",
        "--domain-timeout",
        "0.2",
        "--dns-in-flight",
        "2",
        "--quiet",
        "--no-starttls",
    ]
    .map(str::to_owned)
    .to_vec();
    let output = crate::support::cmd::run(dir.path(), args).await;
    let udp = server.counts.udp();
    server.stop().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let scan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("scan.json")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("scan.json ({e}); stderr: {stderr}"));
    let dns = &scan["dns"];
    eprintln!("hostile: every question cut by the deadline: {udp} queries, {dns}");
    let lookups = dns["lookups"].as_u64().unwrap();
    // The first question of each of the six parts, and (bulk transport) the scan's one
    // question of whether the resolver validates DNSSEC.
    let check = u64::from(crate::TRANSPORT == mailposture::dns::Transport::Bulk);
    assert_eq!(lookups, 6 * domains.len() as u64 + check, "{dns}");
    assert_eq!(dns["temp_failures"].as_u64(), Some(lookups), "{dns}");
    assert!(
        dns["failure_causes"][0]["cause"]
            .as_str()
            .is_some_and(|c| c.contains("deadline")),
        "{dns}"
    );
}
