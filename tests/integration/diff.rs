//! `diff OLD NEW`: two scans of a fixture world that changed in between, and the rules of
//! one domain's comparison on hand-made records.

use std::collections::BTreeMap;
use std::path::Path;

use mailposture::stats::diff::{Change, Changes, OldFacts, compare};
use mailposture::stats::facts::Facts;

use crate::support::cmd::run;
use crate::support::history::{scan_at, scan_with, write_list};

/// Records both worlds share; each domain below differs by one thing at most.
const COMMON: &str = r#"
_spf.ok.test.              IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
same.example.jp.           IN TXT "v=spf1 include:_spf.ok.test -all"
_dmarc.same.example.jp.    IN TXT "v=DMARC1; p=reject"
dmarcadd.example.jp.       IN TXT "v=spf1 include:_spf.ok.test -all"
dmarcdel.example.jp.       IN TXT "v=spf1 include:_spf.ok.test -all"
up.example.jp.             IN TXT "v=spf1 include:_spf.ok.test -all"
down.example.jp.           IN TXT "v=spf1 include:_spf.ok.test -all"
pct.example.jp.            IN TXT "v=spf1 include:_spf.ok.test -all"
_dmarc.spfbreak.example.jp. IN TXT "v=DMARC1; p=reject"
spfbreak.example.jp.       IN TXT "v=spf1 include:_spf.ok.test -all"
_dmarc.spffix.example.jp.  IN TXT "v=DMARC1; p=reject"
spffix.example.jp.         IN TXT "v=spf1 include:_spf.ok.test -all"
_dmarc.spfnew.example.jp.  IN TXT "v=DMARC1; p=reject"
_dmarc.spfdel.example.jp.  IN TXT "v=DMARC1; p=reject"
_dmarc.dangle.example.jp.  IN TXT "v=DMARC1; p=reject"
_dmarc.undangle.example.jp. IN TXT "v=DMARC1; p=reject"
"#;

const OLD_WORLD: &str = r#"
_dmarc.dmarcdel.example.jp. IN TXT "v=DMARC1; p=reject"
_dmarc.up.example.jp.      IN TXT "v=DMARC1; p=none"
_dmarc.down.example.jp.    IN TXT "v=DMARC1; p=reject"
_dmarc.pct.example.jp.     IN TXT "v=DMARC1; p=quarantine; pct=50"
; two SPF records: permerror (RFC 7208 §4.5)
spffix.example.jp.         IN TXT "v=spf1 -all"
spfdel.example.jp.         IN TXT "v=spf1 include:_spf.ok.test -all"
dangle.example.jp.         IN TXT "v=spf1 include:_spf.ok.test -all"
undangle.example.jp.       IN TXT "v=spf1 include:retired-a.test -all"
gone.example.jp.           IN TXT "v=spf1 include:_spf.ok.test -all"
"#;

const NEW_WORLD: &str = r#"
_dmarc.dmarcadd.example.jp. IN TXT "v=DMARC1; p=none"
_dmarc.up.example.jp.      IN TXT "v=DMARC1; p=reject"
_dmarc.down.example.jp.    IN TXT "v=DMARC1; p=quarantine"
_dmarc.pct.example.jp.     IN TXT "v=DMARC1; p=quarantine; pct=100"
spfbreak.example.jp.       IN TXT "v=spf1 -all"
spfnew.example.jp.         IN TXT "v=spf1 include:_spf.ok.test -all"
dangle.example.jp.         IN TXT "v=spf1 include:_spf.ok.test include:retired-b.test -all"
undangle.example.jp.       IN TXT "v=spf1 include:_spf.ok.test -all"
fresh.example.jp.          IN TXT "v=spf1 include:_spf.ok.test -all"
"#;

/// In both lists.
const BOTH: &[&str] = &[
    "same.example.jp",
    "dmarcadd.example.jp",
    "dmarcdel.example.jp",
    "up.example.jp",
    "down.example.jp",
    "pct.example.jp",
    "spfbreak.example.jp",
    "spffix.example.jp",
    "spfnew.example.jp",
    "spfdel.example.jp",
    "dangle.example.jp",
    "undangle.example.jp",
];

/// Serves `zone` and scans `domains` into `out` as of `time`.
async fn scan(dir: &Path, zone: &str, domains: &[&str], out: &Path, time: &str) {
    let list = dir.join(format!("{time}.txt").replace(':', "-"));
    write_list(&list, domains);
    scan_at(zone, &list, out, time).await;
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| a.to_string()).collect()
}

#[tokio::test]
async fn diff_of_two_scans_names_each_change() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let old_list: Vec<&str> = BOTH.iter().copied().chain(["gone.example.jp"]).collect();
    let new_list: Vec<&str> = BOTH.iter().copied().chain(["fresh.example.jp"]).collect();
    scan(
        dir.path(),
        &format!("{COMMON}{OLD_WORLD}"),
        &old_list,
        &a,
        "2023-01-01T00:00:00Z",
    )
    .await;
    scan(
        dir.path(),
        &format!("{COMMON}{NEW_WORLD}"),
        &new_list,
        &b,
        "2023-02-01T00:00:00Z",
    )
    .await;

    let out = dir.path().join("changes.csv");
    let output = run(
        dir.path(),
        args(&["diff", "a", "b", "--out", "changes.csv"]),
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // Both scans finished: no warning.
    assert!(!stderr.contains("scan.json"), "{stderr}");

    let mut csv = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, mailposture::stats::diff::COLUMNS);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (&r[col("domain")], &r[col("changes")]))
        .collect();
    // Sorted by domain; same.example.jp did not change and has no row.
    assert_eq!(
        got,
        [
            ("dangle.example.jp", "spf_broke;new_dangling_include"),
            ("dmarcadd.example.jp", "dmarc_added"),
            ("dmarcdel.example.jp", "dmarc_removed"),
            ("down.example.jp", "policy_weakened"),
            ("fresh.example.jp", "added_to_list"),
            ("gone.example.jp", "removed_from_list"),
            ("pct.example.jp", "policy_strengthened"),
            ("spfbreak.example.jp", "spf_broke"),
            ("spfdel.example.jp", "spf_removed"),
            ("spffix.example.jp", "spf_fixed"),
            ("spfnew.example.jp", "spf_added"),
            ("undangle.example.jp", "spf_fixed;dangling_include_fixed"),
            ("up.example.jp", "policy_strengthened"),
        ]
    );
    let row = |domain: &str| rows.iter().find(|r| &r[0] == domain).unwrap();
    assert_eq!(
        &row("dangle.example.jp")[col("new_dangling_includes")],
        "retired-b.test"
    );
    assert_eq!(
        &row("undangle.example.jp")[col("new_dangling_includes")],
        ""
    );
    let states = |domain: &str, names: &[&str]| -> Vec<String> {
        names
            .iter()
            .map(|n| row(domain)[col(n)].to_owned())
            .collect()
    };
    assert_eq!(
        states(
            "pct.example.jp",
            &["old_policy", "new_policy", "old_testing", "new_testing"]
        ),
        ["quarantine", "quarantine", "true", "false"]
    );
    assert_eq!(
        states(
            "up.example.jp",
            &["old_dmarc", "new_dmarc", "old_policy", "new_policy"]
        ),
        ["ok", "ok", "none", "reject"]
    );
    assert_eq!(
        states("spfbreak.example.jp", &["old_spf", "new_spf"]),
        ["ok", "permerror"]
    );
    // Only in one scan: the other side's cells are empty.
    assert_eq!(
        states(
            "fresh.example.jp",
            &["old_spf", "new_spf", "old_dmarc", "new_dmarc"]
        ),
        ["", "ok", "", "none"]
    );
    assert_eq!(
        states("gone.example.jp", &["old_spf", "new_spf"]),
        ["ok", ""]
    );
    // --no-starttls: nothing to compare.
    assert!(rows.iter().all(|r| r[col("old_starttls")].is_empty()));
    // The fixture's server sets no AD bit: DNSSEC is not known on either side, and so
    // every domain in both scans counts as unknown below. DANE was checked and found
    // no MX host to publish records: `n/a` on both sides, compared, no change.
    assert_eq!(
        states(
            "up.example.jp",
            &["old_dnssec", "new_dnssec", "old_dane", "new_dane"]
        ),
        ["unknown", "unknown", "n/a", "n/a"]
    );
    assert_eq!(
        states(
            "gone.example.jp",
            &["old_dnssec", "new_dnssec", "old_dane", "new_dane"]
        ),
        ["unknown", "", "n/a", ""]
    );
    // DKIM not looked at (a scan's default): null, not compared. BIMI looked for and
    // not published: `none` on both sides, compared, no change.
    assert_eq!(
        states(
            "up.example.jp",
            &["old_dkim", "new_dkim", "old_bimi", "new_bimi"]
        ),
        ["", "", "none", "none"]
    );

    let printed = |name: &str| -> u64 {
        let line = stdout.lines().find(|l| l.starts_with(&format!("{name} ")));
        let line = line.unwrap_or_else(|| panic!("no {name} in {stdout}"));
        line[name.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        [
            "domains in old",
            "domains in new",
            "domains in both",
            "domains changed"
        ]
        .map(printed),
        [13, 13, 12, 13]
    );
    assert_eq!(
        [
            "policy_strengthened",
            "spf_fixed",
            "starttls_lost",
            "unknown spf",
            "unknown dnssec",
            "unknown dane",
            "unknown dkim",
            "unknown bimi"
        ]
        .map(printed),
        [2, 2, 0, 0, 12, 0, 12, 0]
    );

    // The same counts as JSON; an existing file is kept without --force.
    let again = run(
        dir.path(),
        args(&["diff", "a", "b", "--out", "changes.csv", "--json"]),
    )
    .await;
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    std::fs::remove_file(a.join("scan.json")).unwrap();
    let forced = run(
        dir.path(),
        args(&[
            "diff",
            "a",
            "b",
            "--out",
            "changes.csv",
            "--json",
            "--force",
        ]),
    )
    .await;
    let stderr = String::from_utf8_lossy(&forced.stderr);
    assert!(forced.status.success(), "{stderr}");
    // An interrupted scan is diffed, with a warning.
    assert!(stderr.contains("did not finish"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&forced.stdout).unwrap();
    assert_eq!(summary["old"]["domains"], 13);
    assert_eq!(summary["old"]["complete"], false);
    assert_eq!(summary["new"]["domains"], 13);
    assert_eq!(summary["new"]["complete"], true);
    assert_eq!(summary["in_both"], 12);
    assert_eq!(summary["changed"], 13);
    let counts: BTreeMap<String, u64> = serde_json::from_value(summary["changes"].clone()).unwrap();
    let want: BTreeMap<String, u64> = [
        ("dmarc_added", 1),
        ("dmarc_removed", 1),
        ("policy_strengthened", 2),
        ("policy_weakened", 1),
        ("spf_broke", 2),
        ("spf_fixed", 2),
        ("spf_added", 1),
        ("spf_removed", 1),
        ("new_dangling_include", 1),
        ("dangling_include_fixed", 1),
        ("starttls_lost", 0),
        ("starttls_gained", 0),
        ("mta_sts_added", 0),
        ("mta_sts_removed", 0),
        ("mta_sts_mode_changed", 0),
        ("mta_sts_started_holding", 0),
        ("mta_sts_stopped_holding", 0),
        ("dnssec_signed", 0),
        ("dnssec_unsigned", 0),
        ("dnssec_bogus", 0),
        ("dnssec_repaired", 0),
        ("dane_added", 0),
        ("dane_removed", 0),
        ("dane_broke", 0),
        ("dane_fixed", 0),
        ("dkim_added", 0),
        ("dkim_removed", 0),
        ("dkim_weak_key", 0),
        ("bimi_added", 0),
        ("bimi_removed", 0),
        ("bimi_enforced", 0),
        ("added_to_list", 1),
        ("removed_from_list", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(counts, want);
    assert_eq!(
        summary["unknown"],
        serde_json::json!({
            "spf": 0, "dmarc": 0, "mx": 0, "mta_sts": 0, "dnssec": 12, "dane": 0,
            "dkim": 12, "bimi": 0
        })
    );
    // The same rows as before.
    let rewritten = csv::Reader::from_path(&out).unwrap().records().count();
    assert_eq!(rewritten, rows.len());

    // Without --out, the file goes into NEW, named after OLD.
    let default = run(dir.path(), args(&["diff", "a", "b/"])).await;
    assert!(
        default.status.success(),
        "{}",
        String::from_utf8_lossy(&default.stderr)
    );
    assert!(b.join("diff-a.csv").is_file());
}

/// A record with the given parts; `mx` is the MX status, `starttls` the roll-up.
fn facts(
    spf: &str,
    dangling: &[&str],
    dmarc: &str,
    policy: Option<&str>,
    testing: bool,
    mx: &str,
    starttls: Option<&str>,
) -> Facts {
    serde_json::from_value(serde_json::json!({
        "domain": "example.jp",
        "spf": {"status": spf, "errors": [], "dangling_includes": dangling},
        "dmarc": {"status": dmarc, "policy": policy, "testing": testing, "rua": []},
        "mx": {"status": mx, "starttls": starttls},
    }))
    .unwrap()
}

fn kinds(changes: Changes) -> Vec<&'static str> {
    changes.iter().map(Change::as_str).collect()
}

/// A part that is `temperror` on either side is unknown: no change is claimed for it,
/// whatever the other side says, and the other parts are still compared.
#[test]
fn temperror_part_claims_no_change() {
    let healthy = facts("ok", &[], "ok", Some("reject"), false, "ok", Some("all"));
    let cases = [
        // SPF unknown in the new scan, with a dangling include it may or may not have.
        (
            healthy.clone(),
            facts(
                "temperror",
                &["x.test"],
                "ok",
                Some("reject"),
                false,
                "ok",
                Some("all"),
            ),
            (true, false, false),
            vec![],
        ),
        // SPF unknown in the old scan; DMARC still compared.
        (
            facts("temperror", &[], "none", None, false, "ok", Some("all")),
            facts(
                "permerror",
                &["x.test"],
                "ok",
                Some("none"),
                false,
                "ok",
                Some("all"),
            ),
            (true, false, false),
            vec!["dmarc_added"],
        ),
        // DMARC unknown: not "removed".
        (
            healthy.clone(),
            facts("ok", &[], "temperror", None, false, "ok", Some("all")),
            (false, true, false),
            vec![],
        ),
        (
            facts("ok", &[], "temperror", None, false, "ok", Some("all")),
            facts("ok", &[], "none", None, false, "ok", Some("all")),
            (false, true, false),
            vec![],
        ),
        // MX unknown: STARTTLS is not "lost".
        (
            healthy.clone(),
            facts("ok", &[], "ok", Some("reject"), false, "temperror", None),
            (false, false, true),
            vec![],
        ),
        (
            facts(
                "ok",
                &[],
                "ok",
                Some("reject"),
                false,
                "temperror",
                Some("none"),
            ),
            healthy.clone(),
            (false, false, true),
            vec![],
        ),
    ];
    for (old, new, unknown, want) in cases {
        let c = compare(&OldFacts::from(&old), &new);
        assert_eq!(
            (c.spf_unknown, c.dmarc_unknown, c.mx_unknown),
            unknown,
            "{old:?} → {new:?}"
        );
        assert_eq!(kinds(c.changes), want, "{old:?} → {new:?}");
        assert!(c.new_dangling.is_empty());
    }
}

/// The roll-up ranks all > some > none; `n/a` and null are not compared. Testing mode
/// alone moves the policy; a policy appearing with an invalid record is no policy change.
#[test]
fn starttls_ranks_and_policy_testing() {
    let with = |starttls: Option<&str>, policy: Option<&str>, testing: bool| {
        facts("ok", &[], "ok", policy, testing, "ok", starttls)
    };
    let reject = Some("reject");
    let cases = [
        (
            with(Some("all"), reject, false),
            with(Some("some"), reject, false),
            vec!["starttls_lost"],
        ),
        (
            with(Some("some"), reject, false),
            with(Some("none"), reject, false),
            vec!["starttls_lost"],
        ),
        (
            with(Some("none"), reject, false),
            with(Some("all"), reject, false),
            vec!["starttls_gained"],
        ),
        (
            with(Some("all"), reject, false),
            with(Some("n/a"), reject, false),
            vec![],
        ),
        (
            with(None, reject, false),
            with(Some("none"), reject, false),
            vec![],
        ),
        (
            with(None, reject, false),
            with(None, reject, true),
            vec!["policy_weakened"],
        ),
        (
            with(None, reject, true),
            with(None, reject, false),
            vec!["policy_strengthened"],
        ),
        (
            with(None, reject, true),
            with(None, Some("none"), false),
            vec!["policy_weakened"],
        ),
        (with(None, None, false), with(None, reject, false), vec![]),
    ];
    for (old, new, want) in cases {
        let c = compare(&OldFacts::from(&old), &new);
        assert_eq!(kinds(c.changes), want, "{old:?} → {new:?}");
        assert_eq!(
            (c.spf_unknown, c.dmarc_unknown, c.mx_unknown),
            (false, false, false)
        );
    }
}

/// Dangling include targets compare as sets: a target that stays is no change.
#[test]
fn dangling_targets_compare_as_sets() {
    let spf = |status: &str, dangling: &[&str]| {
        facts(status, dangling, "none", None, false, "none", None)
    };
    let c = compare(
        &OldFacts::from(&spf("permerror", &["b.test", "a.test"])),
        &spf("permerror", &["c.test", "a.test", "c.test"]),
    );
    assert_eq!(
        kinds(c.changes),
        ["new_dangling_include", "dangling_include_fixed"]
    );
    assert_eq!(c.new_dangling, ["c.test"]);
    let same = compare(
        &OldFacts::from(&spf("permerror", &["a.test"])),
        &spf("permerror", &["a.test"]),
    );
    assert!(same.changes.is_empty());
}

/// A healthy record with the `mta_sts` part `{status, policy: {mode}, holds}`.
fn with_sts(status: &str, mode: Option<&str>, holds: Option<&str>) -> Facts {
    let mut value = serde_json::json!({
        "domain": "example.jp",
        "spf": {"status": "ok", "errors": [], "dangling_includes": []},
        "dmarc": {"status": "ok", "policy": "reject", "testing": false, "rua": []},
        "mx": {"status": "ok", "starttls": "all"},
    });
    let policy = mode.map(|m| serde_json::json!({"mode": m, "max_age": 604800, "mx": []}));
    value["mta_sts"] = serde_json::json!({"status": status, "policy": policy, "holds": holds});
    serde_json::from_value(value).unwrap()
}

/// Each MTA-STS kind, and no change claimed from or to a `temperror`, a part an older
/// scan did not look for, an `unverified` holding, or a policy not fetched.
#[test]
fn mta_sts_changes_and_what_claims_none() {
    let enforce = |holds| with_sts("ok", Some("enforce"), Some(holds));
    let testing = |holds| with_sts("ok", Some("testing"), Some(holds));
    let none = with_sts("none", None, None);
    let invalid = with_sts("invalid", None, None);
    let unknown = with_sts("temperror", None, None);
    let before = facts("ok", &[], "ok", Some("reject"), false, "ok", Some("all"));
    // (old, new, mta_sts unknown, changes)
    let cases = [
        (none.clone(), enforce("holds"), false, vec!["mta_sts_added"]),
        (none.clone(), invalid.clone(), false, vec!["mta_sts_added"]),
        (
            invalid.clone(),
            none.clone(),
            false,
            vec!["mta_sts_removed"],
        ),
        (
            enforce("holds"),
            none.clone(),
            false,
            vec!["mta_sts_removed"],
        ),
        (
            testing("holds"),
            enforce("holds"),
            false,
            vec!["mta_sts_mode_changed"],
        ),
        (
            enforce("would_fail"),
            testing("holds"),
            false,
            vec!["mta_sts_mode_changed", "mta_sts_started_holding"],
        ),
        (
            enforce("would_fail"),
            enforce("holds"),
            false,
            vec!["mta_sts_started_holding"],
        ),
        (
            testing("holds"),
            testing("would_fail"),
            false,
            vec!["mta_sts_stopped_holding"],
        ),
        (
            with_sts("ok", Some("none"), None),
            enforce("holds"),
            false,
            vec!["mta_sts_mode_changed"],
        ),
        (enforce("holds"), enforce("holds"), false, vec![]),
        // Unverified on either side: neither started nor stopped.
        (enforce("holds"), enforce("unverified"), false, vec![]),
        (enforce("unverified"), enforce("would_fail"), false, vec![]),
        // A policy that could not be fetched has no mode to compare.
        (enforce("holds"), invalid.clone(), false, vec![]),
        (with_sts("ok", None, None), enforce("holds"), false, vec![]),
        // A temperror on either side: not added, not removed.
        (unknown.clone(), enforce("holds"), true, vec![]),
        (enforce("would_fail"), unknown.clone(), true, vec![]),
        (none.clone(), unknown.clone(), true, vec![]),
        // A scan made before the part existed did not look: not "added".
        (before.clone(), enforce("holds"), true, vec![]),
        (none.clone(), before, true, vec![]),
    ];
    for (old, new, sts_unknown, want) in cases {
        let c = compare(&OldFacts::from(&old), &new);
        assert_eq!(c.mta_sts_unknown, sts_unknown, "{old:?} → {new:?}");
        assert_eq!(kinds(c.changes), want, "{old:?} → {new:?}");
        assert_eq!(
            (c.spf_unknown, c.dmarc_unknown, c.mx_unknown),
            (false, false, false)
        );
    }
}

/// A healthy record with the `dnssec` part's `status` and the `mx.dane` roll-up, each
/// null when `None`; `mx` is the MX status.
fn with_signed(dnssec: Option<&str>, mx: &str, dane: Option<&str>) -> Facts {
    let mut value = serde_json::json!({
        "domain": "example.jp",
        "spf": {"status": "ok", "errors": [], "dangling_includes": []},
        "dmarc": {"status": "ok", "policy": "reject", "testing": false, "rua": []},
        "mx": {"status": mx, "starttls": "all", "dane": dane},
    });
    if let Some(status) = dnssec {
        value["dnssec"] = serde_json::json!({
            "status": status,
            "validation": "validating",
            "parts": {"spf": status, "dmarc": status, "mx": status, "mta_sts": null, "tls_rpt": null},
        });
    }
    serde_json::from_value(value).unwrap()
}

/// Each DNSSEC kind, and no change claimed from or to an `unknown` state (a resolver
/// that does not validate) or a part an older scan did not look for.
#[test]
fn dnssec_changes_and_what_claims_none() {
    let state = |s| with_signed(Some(s), "ok", Some("n/a"));
    let before = with_signed(None, "ok", Some("n/a"));
    // (old, new, dnssec unknown, changes)
    let cases = [
        (
            state("insecure"),
            state("secure"),
            false,
            vec!["dnssec_signed"],
        ),
        (
            state("secure"),
            state("insecure"),
            false,
            vec!["dnssec_unsigned"],
        ),
        (state("secure"), state("bogus"), false, vec!["dnssec_bogus"]),
        (
            state("insecure"),
            state("bogus"),
            false,
            vec!["dnssec_bogus"],
        ),
        (
            state("bogus"),
            state("secure"),
            false,
            vec!["dnssec_repaired"],
        ),
        (
            state("bogus"),
            state("insecure"),
            false,
            vec!["dnssec_repaired"],
        ),
        (state("secure"), state("secure"), false, vec![]),
        (state("insecure"), state("insecure"), false, vec![]),
        (state("bogus"), state("bogus"), false, vec![]),
        // Not known on either side: not signed, not unsigned, not bogus.
        (state("unknown"), state("secure"), true, vec![]),
        (state("secure"), state("unknown"), true, vec![]),
        (state("unknown"), state("bogus"), true, vec![]),
        (state("bogus"), state("unknown"), true, vec![]),
        // A scan made before the part existed did not look: not "signed".
        (before.clone(), state("secure"), true, vec![]),
        (state("secure"), before, true, vec![]),
    ];
    for (old, new, dnssec_unknown, want) in cases {
        let c = compare(&OldFacts::from(&old), &new);
        assert_eq!(c.dnssec_unknown, dnssec_unknown, "{old:?} → {new:?}");
        assert_eq!(kinds(c.changes), want, "{old:?} → {new:?}");
        assert!(!c.dane_unknown, "{old:?} → {new:?}");
        assert_eq!(
            (c.spf_unknown, c.dmarc_unknown, c.mx_unknown),
            (false, false, false)
        );
    }
}

/// Each DANE kind, and no change claimed from or to a roll-up that is null (the check
/// not run), under an MX `temperror`, or, for broken and fixed, `unknown`.
#[test]
fn dane_changes_and_what_claims_none() {
    let dane = |d| with_signed(Some("secure"), "ok", Some(d));
    let unchecked = with_signed(Some("secure"), "ok", None);
    // The MX lookup failed: no host, so `n/a`, which says nothing of the TLSA records.
    let mx_failed = with_signed(Some("secure"), "temperror", Some("n/a"));
    // (old, new, dane unknown, changes)
    let cases = [
        (dane("n/a"), dane("all"), false, vec!["dane_added"]),
        (dane("n/a"), dane("some"), false, vec!["dane_added"]),
        (dane("n/a"), dane("none"), false, vec!["dane_added"]),
        (dane("n/a"), dane("unknown"), false, vec!["dane_added"]),
        (dane("all"), dane("n/a"), false, vec!["dane_removed"]),
        (dane("none"), dane("n/a"), false, vec!["dane_removed"]),
        (dane("unknown"), dane("n/a"), false, vec!["dane_removed"]),
        (dane("all"), dane("some"), false, vec!["dane_broke"]),
        (dane("all"), dane("none"), false, vec!["dane_broke"]),
        (dane("some"), dane("all"), false, vec!["dane_fixed"]),
        (dane("none"), dane("all"), false, vec!["dane_fixed"]),
        // Neither broken nor fixed: still failing somewhere.
        (dane("some"), dane("none"), false, vec![]),
        (dane("none"), dane("some"), false, vec![]),
        (dane("all"), dane("all"), false, vec![]),
        (dane("n/a"), dane("n/a"), false, vec![]),
        // Published on both sides, a verdict not known on one: not broken, not fixed.
        (dane("all"), dane("unknown"), true, vec![]),
        (dane("unknown"), dane("all"), true, vec![]),
        (dane("none"), dane("unknown"), true, vec![]),
        // Not checked, or no hosts to check, on either side: not added, not removed.
        (unchecked.clone(), dane("all"), true, vec![]),
        (dane("all"), unchecked, true, vec![]),
        (dane("all"), mx_failed.clone(), true, vec![]),
        (mx_failed, dane("all"), true, vec![]),
    ];
    for (old, new, dane_unknown, want) in cases {
        let c = compare(&OldFacts::from(&old), &new);
        assert_eq!(c.dane_unknown, dane_unknown, "{old:?} → {new:?}");
        assert_eq!(kinds(c.changes), want, "{old:?} → {new:?}");
        assert!(!c.dnssec_unknown, "{old:?} → {new:?}");
    }
}

/// DNSSEC and DANE changes of one domain come together, in the order of the kinds.
#[test]
fn dnssec_and_dane_change_together() {
    let old = with_signed(Some("secure"), "ok", Some("all"));
    let new = with_signed(Some("bogus"), "ok", Some("none"));
    let c = compare(&OldFacts::from(&old), &new);
    assert_eq!(kinds(c.changes), ["dnssec_bogus", "dane_broke"]);
    let c = compare(&OldFacts::from(&new), &old);
    assert_eq!(kinds(c.changes), ["dnssec_repaired", "dane_fixed"]);
}

/// RSA public keys (SubjectPublicKeyInfo, DER, base64) made with `openssl genrsa`: 512
/// bits (`weak_key`, RFC 8301 §3.2) and 1024 (only `short_key`, a warning); each record
/// fits one character-string of the zone text.
const RSA_512: &str = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKZp34bKqHPV6MsAk6kSCckNkZuCiYDt5K4a/i/W3xTIN4motJ2F3OEck+hlKgwJvRdb5fq1ycg2SjmkS4Hn+EUCAwEAAQ==";
const RSA_1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCwKUiER03Of3OsEjCQqHpb2P4YSExlMZu6xQKZTjt90e/bvyiR/ndCkyZXq1LUmcCBrXCmvsdTVxt7nFNMA9O+FCyUPMkPywHDSiaWKSMv/2YT9lss9n+30Ltn4BqQRFa8BDWW6Q9HDOWoA8I5FwknTci3N1a3C6hpATsXW2+0mwIDAQAB";

/// A healthy record with a `dkim` part of `status` whose keys carry the given errors
/// (one key each), and a `bimi` part of `status` with the given warnings; each part
/// null when `None`.
fn with_auth(dkim: Option<(&str, &[&[&str]])>, bimi: Option<(&str, &[&str])>) -> Facts {
    let mut value = serde_json::json!({
        "domain": "example.jp",
        "spf": {"status": "ok", "errors": [], "dangling_includes": []},
        "dmarc": {"status": "ok", "policy": "reject", "testing": false, "rua": []},
        "mx": {"status": "ok", "starttls": "all", "dane": "n/a"},
    });
    let findings = |kinds: &[&str]| -> Vec<serde_json::Value> {
        kinds
            .iter()
            .map(|k| serde_json::json!({"kind": k, "detail": ""}))
            .collect()
    };
    if let Some((status, keys)) = dkim {
        let keys: Vec<_> = keys
            .iter()
            .map(|errors| serde_json::json!({"revoked": false, "errors": findings(errors)}))
            .collect();
        value["dkim"] = serde_json::json!({"status": status, "keys": keys});
    }
    if let Some((status, warnings)) = bimi {
        value["bimi"] = serde_json::json!({"status": status, "warnings": findings(warnings)});
    }
    serde_json::from_value(value).unwrap()
}

/// Each DKIM kind, and no change claimed from or to a part that is `temperror`,
/// `not_checked` (no selector asked) or null (not looked at).
#[test]
fn dkim_changes_and_what_claims_none() {
    let bimi = Some(("none", &[][..]));
    let dkim = |status, keys| with_auth(Some((status, keys)), bimi);
    let strong: &[&[&str]] = &[&[]];
    let weak: &[&[&str]] = &[&[], &["weak_key"]];
    let found = dkim("found", strong);
    let found_weak = dkim("found", weak);
    let none = dkim("none", &[]);
    // (old, new, dkim unknown, changes)
    let cases = [
        (none.clone(), found.clone(), false, vec!["dkim_added"]),
        // Added with a weak key: added, not a key that turned weak.
        (none.clone(), found_weak.clone(), false, vec!["dkim_added"]),
        (found.clone(), none.clone(), false, vec!["dkim_removed"]),
        (
            found_weak.clone(),
            none.clone(),
            false,
            vec!["dkim_removed"],
        ),
        (
            found.clone(),
            found_weak.clone(),
            false,
            vec!["dkim_weak_key"],
        ),
        // A weak key already there, or gone: no kind.
        (found_weak.clone(), found_weak.clone(), false, vec![]),
        (found_weak.clone(), found.clone(), false, vec![]),
        (found.clone(), found.clone(), false, vec![]),
        (none.clone(), none.clone(), false, vec![]),
        // Not known on either side: neither added nor removed.
        (dkim("temperror", &[]), found.clone(), true, vec![]),
        (found.clone(), dkim("temperror", &[]), true, vec![]),
        (dkim("not_checked", &[]), found.clone(), true, vec![]),
        (none.clone(), dkim("not_checked", &[]), true, vec![]),
        (with_auth(None, bimi), found_weak.clone(), true, vec![]),
        (found, with_auth(None, bimi), true, vec![]),
    ];
    for (old, new, dkim_unknown, want) in cases {
        let c = compare(&OldFacts::from(&old), &new);
        assert_eq!(c.dkim_unknown, dkim_unknown, "{old:?} → {new:?}");
        assert_eq!(kinds(c.changes), want, "{old:?} → {new:?}");
        assert!(!c.bimi_unknown, "{old:?} → {new:?}");
    }
}

/// Each BIMI kind, and no change claimed from or to a part that is `temperror` or null
/// (`--skip bimi`, or a scan made before the part).
#[test]
fn bimi_changes_and_what_claims_none() {
    let dkim = Some(("none", &[][..]));
    let bimi = |status, warnings| with_auth(dkim, Some((status, warnings)));
    let unenforced = bimi("ok", &["no_enforcement"][..]);
    let ok = bimi("ok", &[]);
    // (old, new, bimi unknown, changes)
    let cases = [
        (bimi("none", &[]), ok.clone(), false, vec!["bimi_added"]),
        (
            bimi("none", &[]),
            unenforced.clone(),
            false,
            vec!["bimi_added"],
        ),
        (
            bimi("none", &[]),
            bimi("declined", &[]),
            false,
            vec!["bimi_added"],
        ),
        (
            bimi("none", &[]),
            bimi("invalid", &[]),
            false,
            vec!["bimi_added"],
        ),
        (ok.clone(), bimi("none", &[]), false, vec!["bimi_removed"]),
        (
            bimi("declined", &[]),
            bimi("none", &[]),
            false,
            vec!["bimi_removed"],
        ),
        (
            bimi("invalid", &[]),
            bimi("none", &[]),
            false,
            vec!["bimi_removed"],
        ),
        (unenforced.clone(), ok.clone(), false, vec!["bimi_enforced"]),
        // Losing enforcement, or staying without it: no kind.
        (ok.clone(), unenforced.clone(), false, vec![]),
        (unenforced.clone(), unenforced.clone(), false, vec![]),
        // Published on both sides in another state: neither added nor removed.
        (ok.clone(), bimi("invalid", &[]), false, vec![]),
        (bimi("declined", &[]), ok.clone(), false, vec![]),
        (bimi("none", &[]), bimi("none", &[]), false, vec![]),
        // Not known on either side.
        (bimi("temperror", &[]), ok.clone(), true, vec![]),
        (ok.clone(), bimi("temperror", &[]), true, vec![]),
        (with_auth(dkim, None), ok.clone(), true, vec![]),
        (unenforced, with_auth(dkim, None), true, vec![]),
    ];
    for (old, new, bimi_unknown, want) in cases {
        let c = compare(&OldFacts::from(&old), &new);
        assert_eq!(c.bimi_unknown, bimi_unknown, "{old:?} → {new:?}");
        assert_eq!(kinds(c.changes), want, "{old:?} → {new:?}");
        assert!(!c.dkim_unknown, "{old:?} → {new:?}");
    }
}

/// Two real scans with different selector lists: DKIM is compared among the selectors
/// each asked, so a key under a selector only the newer scan asked shows as added;
/// a BIMI record published in between shows as added, one whose DMARC reached
/// enforcement as enforced (beside the policy change itself); `diff.csv` shows both
/// parts' states.
#[tokio::test]
async fn dkim_and_bimi_changes_between_two_scans() {
    let common = format!(
        r#"
keyed.example.jp.          IN TXT "v=spf1 -all"
_dmarc.keyed.example.jp.   IN TXT "v=DMARC1; p=reject"
s2._domainkey.keyed.example.jp. IN TXT "v=DKIM1; k=rsa; p={RSA_1024}"
logo.example.jp.           IN TXT "v=spf1 -all"
_dmarc.logo.example.jp.    IN TXT "v=DMARC1; p=reject"
shown.example.jp.          IN TXT "v=spf1 -all"
s2only.example.jp.         IN TXT "v=spf1 -all"
s2._domainkey.s2only.example.jp. IN TXT "v=DKIM1; k=rsa; p={RSA_1024}"
default._bimi.shown.example.jp. IN TXT "v=BIMI1; l=https://shown.example.jp/logo.svg"
"#
    );
    let old_world = format!(
        r#"{common}
s1._domainkey.keyed.example.jp. IN TXT "v=DKIM1; k=rsa; p={RSA_1024}"
_dmarc.shown.example.jp.   IN TXT "v=DMARC1; p=none"
"#
    );
    let new_world = format!(
        r#"{common}
s1._domainkey.keyed.example.jp. IN TXT "v=DKIM1; k=rsa; p={RSA_512}"
default._bimi.logo.example.jp. IN TXT "v=BIMI1; l=https://logo.example.jp/logo.svg"
_dmarc.shown.example.jp.   IN TXT "v=DMARC1; p=reject"
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let domains = [
        "keyed.example.jp",
        "logo.example.jp",
        "s2only.example.jp",
        "shown.example.jp",
    ];
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let list = dir.path().join("list.txt");
    write_list(&list, &domains);
    // The older scan asked s1 only; the newer one s1 and s2.
    scan_with(
        &old_world,
        &list,
        &a,
        "2023-01-01T00:00:00Z",
        &["--dkim", "s1"],
    )
    .await;
    scan_with(
        &new_world,
        &list,
        &b,
        "2023-02-01T00:00:00Z",
        &["--dkim", "s1,s2"],
    )
    .await;

    let output = run(
        dir.path(),
        args(&["diff", "a", "b", "--out", "d.csv", "--json"]),
    )
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["unknown"]["dkim"], 0);
    assert_eq!(summary["unknown"]["bimi"], 0);

    let mut csv = csv::Reader::from_path(dir.path().join("d.csv")).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let got: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| {
            [
                "domain", "changes", "old_dkim", "new_dkim", "old_bimi", "new_bimi",
            ]
            .map(|n| &r[col(n)])
            .to_vec()
        })
        .collect();
    assert_eq!(
        got,
        [
            // s1's key turned weak; s2's, asked only by the newer scan, is no change.
            vec![
                "keyed.example.jp",
                "dkim_weak_key",
                "found",
                "found",
                "none",
                "none"
            ],
            vec![
                "logo.example.jp",
                "bimi_added",
                "none",
                "none",
                "none",
                "ok"
            ],
            // Under s2, which only the newer scan asked: added, among the selectors asked.
            vec![
                "s2only.example.jp",
                "dkim_added",
                "none",
                "found",
                "none",
                "none"
            ],
            vec![
                "shown.example.jp",
                "policy_strengthened;bimi_enforced",
                "none",
                "none",
                "ok",
                "ok"
            ],
        ]
    );
}
