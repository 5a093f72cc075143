//! Polite scans: `--qps` caps the questions a second over the whole scan;
//! `--retry-temperror N` scans again, at the end, the domains whose lookups failed.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use mailposture::dns::{Dns, Outcome};

use crate::support::history::{records, scan_zone, write_list};
use crate::support::{DnsFixture, Zone};

#[tokio::test]
async fn qps_spaces_the_questions_out() {
    let mut zone = Zone::new();
    for i in 0..30 {
        zone.txt_text(&format!("q{i}.example.jp"), "v=spf1 -all");
    }
    let dns = DnsFixture::start(zone).await;
    let mut settings = dns.settings();
    settings.max_qps = NonZeroU32::new(10);
    let client = Dns::from_settings(&settings).unwrap();
    let start = Instant::now();
    let names: Vec<String> = (0..30).map(|i| format!("q{i}.example.jp")).collect();
    let answers = futures::future::join_all(names.iter().map(|n| client.txt(n))).await;
    let elapsed = start.elapsed();
    let asked = dns.queries();
    dns.stop().await;
    assert!(
        answers.iter().all(|a| matches!(a, Outcome::Answer(_))),
        "{answers:?}"
    );
    assert_eq!(asked, 30);
    // A burst of 10, then 20 more at 10 a second: two seconds at the least, however
    // fast the server.
    assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
}

#[tokio::test]
async fn retry_temperror_scans_the_failed_domains_again_at_the_end() {
    let mut zone = Zone::parse(
        "ok1.example.jp. IN TXT \"v=spf1 -all\"\nok2.example.jp. IN TXT \"v=spf1 -all\"\n",
    );
    // Never answered: a temperror on every pass.
    zone.silent("slow.example.jp");
    // Its SPF question goes unanswered once: a temperror, then ok on the second pass.
    zone.txt_text("late.example.jp", "v=spf1 -all");
    zone.flaky("late.example.jp", RecordType::TXT, 1);
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    write_list(
        &list,
        &[
            "ok1.example.jp",
            "slow.example.jp",
            "late.example.jp",
            "ok2.example.jp",
        ],
    );
    let out = dir.path().join("scan");
    let retry = [
        "--timeout",
        "0.3",
        "--attempts",
        "1",
        "--retry-temperror",
        "2",
    ];
    let stderr = scan_zone(zone, &list, &out, "2023-06-01T00:00:00Z", &retry).await;
    assert!(stderr.contains("pass 2 of 3: 2 domains"), "{stderr}");
    assert!(stderr.contains("pass 3 of 3: 1 domains"), "{stderr}");
    let attempts: BTreeMap<String, (u64, String)> = records(&out)
        .into_iter()
        .map(|(domain, r)| {
            let attempts = r["attempts"].as_u64().unwrap();
            (
                domain,
                (attempts, r["spf"]["status"].as_str().unwrap().to_owned()),
            )
        })
        .collect();
    assert_eq!(attempts["ok1.example.jp"], (1, "ok".to_owned()));
    assert_eq!(attempts["ok2.example.jp"], (1, "ok".to_owned()));
    // Written once, after the last pass, still a temperror.
    assert_eq!(attempts["slow.example.jp"], (3, "temperror".to_owned()));
    // Recovered on the second pass, and written then.
    assert_eq!(attempts["late.example.jp"], (2, "ok".to_owned()));
    assert_eq!(attempts.len(), 4);
}
