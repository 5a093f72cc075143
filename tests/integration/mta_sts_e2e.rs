//! MTA-STS end to end against real servers on loopback: Debian's nginx serving the
//! policy over HTTPS (`scripts/nginx-sts.sh`) and postfix as the MX
//! (`scripts/postfix-mx.sh`), both with certificates from one test CA that the scan is
//! given as `--ca-file`. They need nginx, postfix and root, so they are ignored by a
//! plain `cargo test`; `.ci/run` installs both and runs them.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::DnsFixture;
use crate::support::cmd::run;

const DOMAIN: &str = "example.test";
const MX: &str = "mx.example.test";
const SMTP_PORT: &str = "2525";
/// Not 443, so that the scan's `--mta-sts-port` is what finds the server.
const HTTPS_PORT: &str = "8443";

/// Runs `up` of a server script and its `down` however the test ends.
struct Server {
    script: &'static str,
    dir: PathBuf,
}

impl Server {
    fn up(script: &'static str, dir: &Path, args: &[&str]) -> Self {
        // Made before it starts, so that a half-started server is stopped too.
        let server = Self {
            script,
            dir: dir.to_path_buf(),
        };
        let status = Command::new(script_path(script))
            .arg("up")
            .arg(dir)
            .args(args)
            .status()
            .unwrap_or_else(|e| panic!("run {script}: {e}"));
        assert!(status.success(), "{script} did not start");
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new(script_path(self.script))
            .arg("down")
            .arg(&self.dir)
            .status();
    }
}

fn script_path(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(script)
}

/// `check example.test --json` against postfix on `mx_addr` and nginx on `web_addr`
/// serving a policy of mode enforce whose one `mx` line is `pattern`; the record.
async fn check_with_policy(
    mx_addr: Ipv4Addr,
    web_addr: Ipv4Addr,
    pattern: &str,
) -> serde_json::Value {
    let work = tempfile::tempdir().unwrap();
    let ca = work.path().join("ca");
    let policy = work.path().join("policy.txt");
    // RFC 8461 §3.2: CRLF-ended lines.
    std::fs::write(
        &policy,
        format!("version: STSv1\r\nmode: enforce\r\nmx: {pattern}\r\nmax_age: 604800\r\n"),
    )
    .unwrap();
    let ca_arg = ca.display().to_string();
    let postfix = Server::up(
        "postfix-mx.sh",
        &work.path().join("postfix"),
        &[&mx_addr.to_string(), SMTP_PORT, MX, &ca_arg],
    );
    let web_name = format!("mta-sts.{DOMAIN}");
    let nginx = Server::up(
        "nginx-sts.sh",
        &work.path().join("nginx"),
        &[
            &web_addr.to_string(),
            HTTPS_PORT,
            &web_name,
            &policy.display().to_string(),
            &ca_arg,
        ],
    );
    let dns = DnsFixture::from_text(&format!(
        "{DOMAIN}. IN MX 10 {MX}.\n\
         {MX}. IN A {mx_addr}\n\
         _mta-sts.{DOMAIN}. IN TXT \"v=STSv1; id=20261203T000000;\"\n\
         _smtp._tls.{DOMAIN}. IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@{DOMAIN}\"\n\
         {web_name}. IN A {web_addr}\n"
    ))
    .await;
    let output = run(
        work.path(),
        [
            "check",
            DOMAIN,
            "--json",
            "--resolver",
            &dns.resolver_arg(),
            // Both servers listen on loopback.
            "--allow-nonpublic",
            "--smtp-port",
            SMTP_PORT,
            "--mta-sts-port",
            HTTPS_PORT,
            "--ca-file",
            &ca.join("ca.pem").display().to_string(),
            "--helo",
            "scanner.mailposture.test",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    dns.stop().await;
    drop(nginx);
    drop(postfix);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
#[ignore = "needs nginx, postfix and root; .ci/run installs them and runs it"]
async fn policy_holds_for_its_mx_with_valid_tls() {
    let record = check_with_policy(
        Ipv4Addr::new(127, 0, 26, 1),
        Ipv4Addr::new(127, 0, 26, 2),
        MX,
    )
    .await;
    // The test CA, given as --ca-file, makes postfix's certificate valid too.
    let probe = &record["mx"]["hosts"][0]["starttls"];
    assert_eq!(probe["status"], "ok", "{probe:#}");
    assert_eq!(probe["cert"]["valid"], true, "{probe:#}");

    let sts = &record["mta_sts"];
    assert_eq!(sts["status"], "ok", "{sts:#}");
    assert_eq!(sts["id"], "20261203T000000");
    let fetch = &sts["fetch"];
    assert_eq!(fetch["status"], "ok", "{fetch:#}");
    assert_eq!(
        fetch["url"],
        format!("https://mta-sts.{DOMAIN}/.well-known/mta-sts.txt")
    );
    assert_eq!(fetch["address"], "127.0.26.2");
    assert_eq!(fetch["http_status"], 200);
    assert_eq!(fetch["content_type"], "text/plain");
    assert_eq!(fetch["cert"]["valid"], true, "{fetch:#}");
    assert_eq!(fetch["cert"]["hostname_match"], true);
    assert_eq!(sts["policy"]["mode"], "enforce");
    assert_eq!(sts["policy"]["max_age"], 604800);
    assert_eq!(sts["policy"]["mx"], serde_json::json!([MX]));
    assert_eq!(sts["holds"], "holds", "{sts:#}");
    let host = &sts["hosts"][0];
    assert_eq!(host["name"], MX);
    assert_eq!(host["pattern"], MX);
    assert_eq!(host["tls"], "valid", "{host:#}");
    assert_eq!(sts["errors"], serde_json::json!([]), "{sts:#}");

    let rpt = &record["tls_rpt"];
    assert_eq!(rpt["status"], "ok", "{rpt:#}");
    assert_eq!(rpt["rua"][0]["scheme"], "mailto");
    assert_eq!(rpt["rua"][0]["target"], format!("tlsrpt@{DOMAIN}"));
}

#[tokio::test]
#[ignore = "needs nginx, postfix and root; .ci/run installs them and runs it"]
async fn policy_not_matching_its_mx_would_fail() {
    let record = check_with_policy(
        Ipv4Addr::new(127, 0, 26, 3),
        Ipv4Addr::new(127, 0, 26, 4),
        "mx.elsewhere.test",
    )
    .await;
    let sts = &record["mta_sts"];
    // The policy itself was fetched and is valid; it is the MX that it does not cover.
    assert_eq!(sts["fetch"]["status"], "ok", "{sts:#}");
    assert_eq!(sts["policy"]["mode"], "enforce");
    assert_eq!(sts["holds"], "would_fail", "{sts:#}");
    let host = &sts["hosts"][0];
    assert_eq!(host["name"], MX);
    assert_eq!(host["pattern"], serde_json::Value::Null, "{host:#}");
    let kinds: Vec<&str> = sts["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["would_fail"], "{sts:#}");
}
