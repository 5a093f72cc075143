//! The one integration test binary (one link step instead of one per file).

#[path = "../support/mod.rs"]
mod support;

/// The DNS transport these tests run over; `tests/standard_transport.rs` runs the
/// DNS-facing ones again over the other.
const TRANSPORT: mailposture::dns::Transport = mailposture::dns::Transport::Bulk;

/// Documented behaviour no other test held: DNS edge cases, signals, refusals, CSV, `--qps`.
mod audit;
/// The audit report of a real scan: every part and verdict, remedies, escaping, and the
/// page's controls in a headless browser (that test ignored unless run by `.ci/run`).
mod audit_page;
/// The bulk DNS transport's own behaviour: cache, single-flight, dropped datagrams, 0x20.
mod bulk;
/// The built binary end to end: scan a list, check a domain, read the output files.
mod cli;
/// Every crash point of a scan directory resumed: SIGKILL at different moments, the
/// states left between the last steps, a full disk at each step (root only).
mod crashpoints;
/// DANE through a whole scan: TLSA records, a validating stand-in, a real handshake.
mod dane;
/// DANE and DNSSEC states against a signed world of NSD, unbound and postfix on loopback
/// (ignored unless run by `.ci/run`).
mod dane_e2e;
/// Domains whose name servers do not answer: a shared fate, stepping aside, pacing.
mod dead_zones;
/// The DevTools-protocol driver of headless Chromium on pages with a strict CSP (ignored
/// unless run by `.ci/run`).
mod devtools;
/// `diff` of two scans of a changing world, and the per-domain comparison rules.
mod diff;
/// DKIM keys and BIMI through a whole scan: the _domainkey prune, selectors, CNAMEs.
mod dkim;
/// DMARC discovery (both methods), validation and report destinations over real DNS.
mod dmarc;
/// The DNSSEC state of a domain's answers through a validating resolver's stand-in.
mod dnssec;
/// Hostile peers: lying, truncating and looping DNS, huge SPF trees, a million junk lines.
mod hostile;
/// MTA-STS and TLS-RPT in a domain's scan: records, fetches, would the policy hold.
mod mta_sts;
/// MTA-STS against Debian's nginx and postfix on loopback (ignored unless run by
/// `.ci/run`).
mod mta_sts_e2e;
/// The MTA-STS policy fetch against an in-process HTTPS server, one test per ending.
mod mta_sts_fetch;
/// MX hosts, null MX, implicit MX and the shared host cache, over real DNS.
mod mx;
/// How a run ends and what it tells a person: exit codes, notices, `--fail-on`,
/// escaped text, help, completions and colour.
mod outcome;
/// `--qps` and `--retry-temperror`.
mod politeness;
/// STARTTLS against Debian's postfix on loopback (ignored unless run by `.ci/run`).
mod postfix;
/// The trend report: its page and charts, and the page in a headless browser (ignored).
mod report;
/// Interrupted scans (kill -9, SIGINT) resumed to the end.
mod resume;
/// `--resume` over the lists the scan started with: changed lists refused, directories too.
mod resume_identity;
/// The RFC 7208 conformance suite, scenario by scenario, over real DNS.
mod rfc7208_suite;
/// The scan directory: its lock, outputs whole or absent, no output through a link.
mod scandir;
/// `scan --shard` and `merge`.
mod shard;
/// The STARTTLS probe against an in-process SMTP server, hostile ones included.
mod smtp;
/// SPF expansion and verdicts over real DNS, one case per error kind.
mod spf;
/// The recursive-resolver stand-in with a bounded request list, on its own.
mod standin;
/// STARTTLS in a scan: probes shared across domains, host selection, roll-up.
mod starttls;
/// `trend` over a scan history built from changing zones.
mod trend;
/// Reads that verify: damaged scans named in `history`, skipped by `trend`, refused by
/// `diff` and `merge`; `--resume` comparing the flags given again.
mod verified_reads;
