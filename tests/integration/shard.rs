//! `scan --shard I/N` on one list, N times, then `merge`: the union is the unsharded
//! scan, and shards that do not belong together are refused.

use std::path::Path;

use crate::support::cmd::run;
use crate::support::history::{records, scan_with, write_list};

const TIME: &str = "2023-09-01T00:00:00Z";

fn world() -> (String, Vec<String>) {
    let mut zone = String::from("_spf.provider.test. IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n");
    let mut names = Vec::new();
    for i in 0..120 {
        let name = format!("s{i}.example.jp");
        let spf = if i % 9 == 0 {
            "include:spf.po.2iij.net"
        } else {
            "include:_spf.provider.test"
        };
        zone.push_str(&format!("{name}. IN TXT \"v=spf1 {spf} -all\"\n"));
        if i % 2 == 0 {
            zone.push_str(&format!("_dmarc.{name}. IN TXT \"v=DMARC1; p=reject\"\n"));
        }
        names.push(name);
    }
    (zone, names)
}

async fn merge(root: &Path, dirs: &[&Path], out: &Path) -> std::process::Output {
    let mut args = vec!["merge".to_owned()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    args.extend(["--out".to_owned(), out.display().to_string()]);
    run(root, args).await
}

#[tokio::test]
async fn three_shards_merge_into_the_unsharded_scan() {
    let (zone, names) = world();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let list = root.join("fin.txt");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    write_list(&list, &names);
    scan_with(&zone, &list, &root.join("whole"), TIME, &[]).await;
    let shards: Vec<_> = (0..3).map(|i| root.join(format!("shard{i}"))).collect();
    for (i, shard) in shards.iter().enumerate() {
        scan_with(&zone, &list, shard, TIME, &["--shard", &format!("{i}/3")]).await;
    }
    let sizes: Vec<usize> = shards.iter().map(|s| records(s).len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), names.len(), "{sizes:?}");
    assert!(sizes.iter().all(|n| *n > 20), "uneven split {sizes:?}");

    // Missing a shard, or a shard of another split: refused, nothing written.
    let out = root.join("merged");
    let output = merge(root, &[&shards[0], &shards[1]], &out).await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("shards missing: 2/3"));
    let other = root.join("other");
    scan_with(
        &zone,
        &list,
        &other,
        TIME,
        &["--shard", "2/3", "--concurrency", "7"],
    )
    .await;
    let output = merge(root, &[&shards[0], &shards[1], &other], &out).await;
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("different options"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!out.join("results.jsonl").exists());

    let output = merge(root, &[&shards[2], &shards[0], &shards[1]], &out).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(records(&out), records(&root.join("whole")));
    let read = |d: &Path, f: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.join(f)).unwrap()).unwrap()
    };
    assert_eq!(
        read(&out, "summary.json")["figures"],
        read(&root.join("whole"), "summary.json")["figures"]
    );
    let scan = read(&out, "scan.json");
    assert_eq!(scan["domains"], names.len());
    assert_eq!(scan["input"]["domains"], names.len());
    assert_eq!(scan["options"]["shard"], serde_json::Value::Null);
    assert_eq!(scan["merged_from"].as_array().unwrap().len(), 3);
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), names.len() + 1);
}
