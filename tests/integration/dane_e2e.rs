//! DANE and DNSSEC end to end in a signed world on loopback (`scripts/dnssec-world.sh`):
//! NSD serving a signed root and one zone per case, unbound validating with the world's
//! own root key, and postfix as the MX hosts, whose certificate the TLSA records were
//! computed from. They need nsd, unbound, ldnsutils, postfix and root, so they are
//! ignored by a plain `cargo test`; `.ci/run` installs them and runs them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::cmd::run;

/// The world's addresses are fixed, so its tests take turns.
static WORLD_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The cases of the world, one domain each (see the script's header).
const DOMAINS: [&str; 11] = [
    "secure.test",
    "single.test",
    "nomatch.test",
    "usage1.test",
    "truncated.test",
    "insecure.test",
    "bogus.test",
    "nostarttls.test",
    "temperror.test",
    "plain.test",
    "bogustlsa.test",
];

/// The running world, stopped however the test ends.
struct World {
    dir: PathBuf,
    env: HashMap<String, String>,
}

impl World {
    fn up(dir: &Path) -> Self {
        let status = Command::new(script())
            .arg("up")
            .arg(dir)
            .status()
            .expect("run scripts/dnssec-world.sh");
        // Made before the check: `up` cleans up after itself when it fails, and `down`
        // of a directory that is gone does nothing.
        let mut world = Self {
            dir: dir.to_path_buf(),
            env: HashMap::new(),
        };
        assert!(status.success(), "the DNSSEC world did not start");
        let text = std::fs::read_to_string(dir.join("world.env")).unwrap();
        world.env = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        world
    }

    fn var(&self, name: &str) -> &str {
        self.env
            .get(name)
            .unwrap_or_else(|| panic!("{name} not in world.env"))
    }

    /// `3 1 1 <hash>` of postfix's own key (DANE-EE).
    fn ee_record(&self) -> String {
        format!("3 1 1 {}", self.var("WORLD_EE_SPKI_SHA256"))
    }

    /// `2 1 1 <hash>` of the world's CA key (DANE-TA).
    fn ta_record(&self) -> String {
        format!("2 1 1 {}", self.var("WORLD_CA_SPKI_SHA256"))
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("down").arg(&self.dir).status();
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/dnssec-world.sh")
}

/// Scans every case domain through `resolver` with STARTTLS probing of the world's
/// postfix instances; each domain's record.
async fn scan(world: &World, work: &Path, resolver: &str) -> HashMap<String, Value> {
    let list = work.join("domains.txt");
    std::fs::write(&list, DOMAINS.join("\n") + "\n").unwrap();
    let out = work.join("out");
    let output = run(
        work,
        [
            "scan",
            &list.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--resolver",
            resolver,
            "--quiet",
            // The MX hosts listen on loopback.
            "--allow-nonpublic",
            "--smtp-port",
            world.var("WORLD_SMTP_PORT"),
            "--ca-file",
            world.var("WORLD_CA"),
            "--helo",
            "scanner.mailposture.test",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let records: HashMap<String, Value> = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .map(|record| (record["domain"].as_str().unwrap().to_owned(), record))
        .collect();
    assert_eq!(records.len(), DOMAINS.len(), "{text}");
    records
}

/// The kinds of a list of findings (`errors` or `warnings`).
fn kinds(findings: &Value) -> Vec<&str> {
    findings
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {findings}"))
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect()
}

/// The records' text, sorted (a resolver may rotate an RRset's order).
fn tlsa_records(dane: &Value) -> Vec<&str> {
    let mut records: Vec<&str> = dane["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["record"].as_str().unwrap())
        .collect();
    records.sort_unstable();
    records
}

/// The one MX host's `dane` part of `domain`'s record, after checking what every case
/// shares: one host, named `mx.<domain>`, and its TLSA name.
fn host_dane<'a>(records: &'a HashMap<String, Value>, domain: &str) -> &'a Value {
    let record = &records[domain];
    let hosts = record["mx"]["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1, "{domain}: {:#}", record["mx"]);
    let host = &hosts[0];
    assert_eq!(host["name"], format!("mx.{domain}"));
    let dane = &host["dane"];
    // RFC 7672 §2.2.3: the TLSA base domain is the MX host name, the port 25.
    assert_eq!(
        dane["tlsa_name"],
        format!("_25._tcp.mx.{domain}"),
        "{dane:#}"
    );
    dane
}

/// The domain's own DNSSEC state and that of its SPF, DMARC and MX answers.
fn assert_dnssec(records: &HashMap<String, Value>, domain: &str, state: &str, validation: &str) {
    let dnssec = &records[domain]["dnssec"];
    assert_eq!(dnssec["status"], state, "{domain}: {dnssec:#}");
    assert_eq!(dnssec["validation"], validation, "{domain}: {dnssec:#}");
    for part in ["spf", "dmarc", "mx"] {
        assert_eq!(dnssec["parts"][part], state, "{domain} {part}: {dnssec:#}");
    }
}

#[tokio::test]
#[ignore = "needs nsd, unbound, ldnsutils, postfix and root; .ci/run installs them and runs it"]
async fn dane_cases_through_a_validating_resolver() {
    let _turn = WORLD_TURN.lock().await;
    let work = tempfile::tempdir().unwrap();
    let world = World::up(&work.path().join("world"));
    let records = scan(&world, work.path(), world.var("WORLD_RESOLVER")).await;
    let (ee, ta) = (world.ee_record(), world.ta_record());

    for domain in DOMAINS {
        let state = match domain {
            "insecure.test" => "insecure",
            "bogus.test" => "bogus",
            _ => "secure",
        };
        assert_dnssec(&records, domain, state, "validating");
    }

    // Both records usable, the chain postfix presents matches: no finding at all.
    let dane = host_dane(&records, "secure.test");
    assert_eq!(dane["status"], "ok", "{dane:#}");
    assert_eq!(dane["dnssec"], "secure", "{dane:#}");
    let mut published = [ee.as_str(), ta.as_str()];
    published.sort_unstable();
    assert_eq!(tlsa_records(dane), published, "{dane:#}");
    for record in dane["records"].as_array().unwrap() {
        assert_eq!(record["usable"], true, "{dane:#}");
        assert_eq!(record["problem"], Value::Null, "{dane:#}");
    }
    // Either record matches the chain; which one is recorded is the scanner's choice.
    let matched = dane["matched"].as_str().unwrap_or_default();
    assert!(matched == ee || matched == ta, "{dane:#}");
    assert_eq!(kinds(&dane["errors"]), [] as [&str; 0], "{dane:#}");
    assert_eq!(kinds(&dane["warnings"]), [] as [&str; 0], "{dane:#}");
    assert_eq!(records["secure.test"]["mx"]["dane"], "all");
    // The STARTTLS probe the match was made on.
    let probe = &records["secure.test"]["mx"]["hosts"][0]["starttls"];
    assert_eq!(probe["status"], "ok", "{probe:#}");

    // RFC 7671 §8.1: a lone record leaves nothing to roll over to.
    let dane = host_dane(&records, "single.test");
    assert_eq!(dane["status"], "ok", "{dane:#}");
    assert_eq!(dane["matched"], ee.as_str(), "{dane:#}");
    assert_eq!(kinds(&dane["errors"]), [] as [&str; 0], "{dane:#}");
    assert_eq!(kinds(&dane["warnings"]), ["single_record"], "{dane:#}");
    assert_eq!(records["single.test"]["mx"]["dane"], "all");

    let dane = host_dane(&records, "nomatch.test");
    assert_eq!(dane["status"], "fail", "{dane:#}");
    assert_eq!(
        tlsa_records(dane),
        [format!("3 1 1 {}", world.var("WORLD_WRONG_SHA256"))],
        "{dane:#}"
    );
    assert_eq!(dane["records"][0]["usable"], true, "{dane:#}");
    assert_eq!(dane["matched"], Value::Null, "{dane:#}");
    assert_eq!(kinds(&dane["errors"]), ["no_match"], "{dane:#}");
    assert_eq!(records["nomatch.test"]["mx"]["dane"], "none");

    // RFC 7672 §3.1.3: PKIX usages are not for SMTP.
    let dane = host_dane(&records, "usage1.test");
    assert_eq!(dane["status"], "unusable", "{dane:#}");
    assert_eq!(dane["dnssec"], "secure", "{dane:#}");
    assert_eq!(dane["records"][0]["usable"], false, "{dane:#}");
    assert_ne!(dane["records"][0]["problem"], Value::Null, "{dane:#}");
    assert_eq!(dane["matched"], Value::Null, "{dane:#}");
    assert_eq!(kinds(&dane["errors"]), ["unusable_usage"], "{dane:#}");
    assert_eq!(records["usage1.test"]["mx"]["dane"], "none");

    // A SHA-256 of 31 octets matches nothing and is not usable.
    let dane = host_dane(&records, "truncated.test");
    assert_eq!(dane["status"], "unusable", "{dane:#}");
    assert_eq!(tlsa_records(dane), [&ee[..ee.len() - 2]], "{dane:#}");
    assert_eq!(dane["records"][0]["usable"], false, "{dane:#}");
    assert_eq!(dane["matched"], Value::Null, "{dane:#}");
    assert_eq!(kinds(&dane["errors"]), ["bad_length"], "{dane:#}");

    // RFC 7672 §2.2: records that are not DNSSEC-secure are not used. The MX RRset is
    // insecure too, which may be reported beside it.
    let dane = host_dane(&records, "insecure.test");
    assert_eq!(dane["status"], "unusable", "{dane:#}");
    assert_eq!(dane["dnssec"], "insecure", "{dane:#}");
    assert_eq!(tlsa_records(dane), [ee.as_str()], "{dane:#}");
    assert_eq!(dane["matched"], Value::Null, "{dane:#}");
    let errors = kinds(&dane["errors"]);
    assert!(errors.contains(&"insecure_tlsa"), "{dane:#}");
    assert!(
        errors
            .iter()
            .all(|k| ["insecure_tlsa", "insecure_mx"].contains(k)),
        "{dane:#}"
    );
    assert_eq!(records["insecure.test"]["mx"]["dane"], "none");

    // A usable record, and a host that offers no STARTTLS to match it against.
    let dane = host_dane(&records, "nostarttls.test");
    assert_eq!(dane["status"], "fail", "{dane:#}");
    assert_eq!(dane["matched"], Value::Null, "{dane:#}");
    assert_eq!(kinds(&dane["errors"]), ["no_starttls"], "{dane:#}");
    assert_eq!(records["nostarttls.test"]["mx"]["dane"], "none");

    // Nothing answers for the zone of the TLSA name: its state and the records are
    // unknown, not absent.
    let dane = host_dane(&records, "temperror.test");
    assert_eq!(dane["status"], "unknown", "{dane:#}");
    assert_eq!(dane["dnssec"], "unknown", "{dane:#}");
    assert_eq!(tlsa_records(dane), [] as [&str; 0], "{dane:#}");
    assert_eq!(kinds(&dane["errors"]), ["temperror"], "{dane:#}");
    // Whether the host publishes is not known: neither failing nor passing.
    assert_eq!(records["temperror.test"]["mx"]["dane"], "unknown");

    // Signed, no TLSA: DANE not published, and nothing wrong with that.
    let dane = host_dane(&records, "plain.test");
    assert_eq!(dane["status"], "none", "{dane:#}");
    assert_eq!(dane["dnssec"], "secure", "{dane:#}");
    assert_eq!(tlsa_records(dane), [] as [&str; 0], "{dane:#}");
    assert_eq!(dane["matched"], Value::Null, "{dane:#}");
    assert_eq!(kinds(&dane["errors"]), [] as [&str; 0], "{dane:#}");
    assert_eq!(kinds(&dane["warnings"]), [] as [&str; 0], "{dane:#}");
    assert_eq!(records["plain.test"]["mx"]["dane"], "n/a");

    // The domain is secure, the TLSA zone below its MX host bogus: the records are
    // not believed, whatever they say.
    let dane = host_dane(&records, "bogustlsa.test");
    assert_eq!(dane["status"], "fail", "{dane:#}");
    assert_eq!(dane["dnssec"], "bogus", "{dane:#}");
    assert_eq!(dane["matched"], Value::Null, "{dane:#}");
    assert_eq!(kinds(&dane["errors"]), ["bogus"], "{dane:#}");
    assert_eq!(records["bogustlsa.test"]["mx"]["dane"], "none");

    // bogus.test's MX answer itself failed validation: no host to check.
    let mx = &records["bogus.test"]["mx"];
    assert!(
        mx["hosts"]
            .as_array()
            .is_none_or(|hosts| hosts.iter().all(|h| h["dane"]["status"] != "ok")),
        "{mx:#}"
    );
    // Which hosts, and whether any publishes, is not known: not `n/a`.
    assert_eq!(mx["dane"], "unknown", "{mx:#}");
}

#[tokio::test]
#[ignore = "needs nsd, unbound, ldnsutils, postfix and root; .ci/run installs them and runs it"]
async fn a_resolver_that_does_not_validate_knows_no_dnssec_state() {
    let _turn = WORLD_TURN.lock().await;
    let work = tempfile::tempdir().unwrap();
    let world = World::up(&work.path().join("world"));
    // The same world through an unbound that only iterates: it sets no AD bit, so
    // no answer can be told secure from insecure, nor bogus from good.
    let records = scan(&world, work.path(), world.var("WORLD_PLAIN_RESOLVER")).await;

    for domain in DOMAINS {
        let dnssec = &records[domain]["dnssec"];
        assert_eq!(
            dnssec["validation"], "not_validating",
            "{domain}: {dnssec:#}"
        );
        assert_eq!(dnssec["status"], "unknown", "{domain}: {dnssec:#}");
        for (part, state) in dnssec["parts"].as_object().unwrap() {
            assert!(
                state.is_null() || state == "unknown",
                "{domain} {part}: {dnssec:#}"
            );
        }
        for host in records[domain]["mx"]["hosts"].as_array().unwrap() {
            let dane = &host["dane"];
            assert_eq!(dane["dnssec"], "unknown", "{domain}: {dane:#}");
            // Records published (or not) cannot be used without validation.
            assert_ne!(dane["status"], "ok", "{domain}: {dane:#}");
        }
    }
    // Published records, state unknown: the host's DANE is unknown, not unusable.
    let dane = host_dane(&records, "secure.test");
    assert_eq!(dane["status"], "unknown", "{dane:#}");
    assert_eq!(tlsa_records(dane).len(), 2, "{dane:#}");
    assert_eq!(records["secure.test"]["mx"]["dane"], "unknown");
    // An unsigned zone is not insecure when nobody checked.
    let dane = host_dane(&records, "insecure.test");
    assert_eq!(dane["status"], "unknown", "{dane:#}");
    // Without validation the expired signatures go unnoticed: bogus.test has its host.
    let dane = host_dane(&records, "bogus.test");
    assert_eq!(dane["status"], "unknown", "{dane:#}");
}
