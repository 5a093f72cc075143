//! STARTTLS end to end against a real MTA: Debian's postfix on a loopback address,
//! started and stopped by `scripts/postfix-mx.sh`. It needs postfix and root, so it is
//! ignored by a plain `cargo test`; `.ci/run` installs postfix and runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::DnsFixture;
use crate::support::cmd::run;

const ADDR: &str = "127.0.25.1";
const PORT: &str = "2525";
const NAME: &str = "mx.postfix.test";

/// Stops the postfix instance however the test ends.
struct Postfix {
    dir: PathBuf,
}

impl Postfix {
    fn up(dir: &Path) -> Self {
        let status = Command::new(script())
            .args(["up", &dir.display().to_string(), ADDR, PORT, NAME])
            .status()
            .expect("run scripts/postfix-mx.sh");
        assert!(status.success(), "postfix did not start");
        Self {
            dir: dir.to_path_buf(),
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .args(["down", &self.dir.display().to_string()])
            .status();
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/postfix-mx.sh")
}

#[tokio::test]
#[ignore = "needs postfix and root; .ci/run installs postfix and runs it"]
async fn starttls_against_postfix_records_tls_and_certificate_facts() {
    let work = tempfile::tempdir().unwrap();
    let postfix = Postfix::up(&work.path().join("postfix"));
    let dns = DnsFixture::from_text(&format!(
        "example.test. IN MX 10 {NAME}.\n{NAME}. IN A {ADDR}\n"
    ))
    .await;
    let output = run(
        work.path(),
        vec![
            "check".into(),
            "example.test".into(),
            "--json".into(),
            "--resolver".into(),
            dns.resolver_arg(),
            "--smtp-port".into(),
            PORT.into(),
            "--helo".into(),
            "scanner.mailposture.test".into(),
            // The postfix of the test listens on loopback.
            "--allow-nonpublic".into(),
        ],
    )
    .await;
    dns.stop().await;
    drop(postfix);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let record: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mx = &record["mx"];
    assert_eq!(mx["starttls"], "all", "{mx:#}");
    let probe = &mx["hosts"][0]["starttls"];
    assert_eq!(probe["address"], ADDR);
    assert_eq!(probe["status"], "ok", "{probe:#}");
    assert_eq!(probe["advertised"], true);
    assert!(
        probe["banner"].as_str().unwrap().contains(NAME),
        "{probe:#}"
    );
    let version = probe["tls_version"].as_str().unwrap();
    assert!(version == "TLSv1.3" || version == "TLSv1.2", "{version}");
    assert!(probe["cipher"].as_str().is_some_and(|c| !c.is_empty()));
    // The script's CA is no web PKI root: the certificate is for the right name and in
    // date, but not valid, and says why.
    let cert = &probe["cert"];
    assert_eq!(cert["hostname_match"], true, "{cert:#}");
    assert_eq!(cert["chain_valid"], false);
    assert_eq!(cert["valid"], false);
    assert_eq!(cert["self_signed"], false);
    assert_eq!(cert["expired"], false);
    assert!(
        cert["issuer"]
            .as_str()
            .unwrap()
            .contains("mailposture test CA")
    );
    let days = cert["days_to_expiry"].as_i64().unwrap();
    assert!((360..=365).contains(&days), "{days}");
}
