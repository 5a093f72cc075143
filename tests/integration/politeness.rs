//! Polite scans: `--qps` caps the questions a second over the whole scan;
//! `--retry-temperror N` scans again, at the end, the domains whose lookups failed.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use mailposture::dns::{Dns, Outcome};

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
    assert!(answers.iter().all(|a| matches!(a, Outcome::Answer(_))), "{answers:?}");
    assert_eq!(asked, 30);
    // A burst of 10, then 20 more at 10 a second: two seconds at the least, however
    // fast the server.
    assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
}
