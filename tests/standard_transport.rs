//! The DNS-facing integration tests again, over the standard transport (hickory's
//! resolver): both transports must reach the same verdicts on the same fixtures.

#[path = "support/mod.rs"]
mod support;

const TRANSPORT: mailposture::dns::Transport = mailposture::dns::Transport::Standard;

#[path = "integration/cli.rs"]
mod cli;
#[path = "integration/dead_zones.rs"]
mod dead_zones;
#[path = "integration/dmarc.rs"]
mod dmarc;
#[path = "integration/hostile.rs"]
mod hostile;
#[path = "integration/mx.rs"]
mod mx;
#[path = "integration/politeness.rs"]
mod politeness;
#[path = "integration/resume.rs"]
mod resume;
#[path = "integration/rfc7208_suite.rs"]
mod rfc7208_suite;
#[path = "integration/shard.rs"]
mod shard;
#[path = "integration/spf.rs"]
mod spf;
#[path = "integration/starttls.rs"]
mod starttls;
