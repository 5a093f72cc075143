#!/usr/bin/env bash
# `trend` over a large synthetic history: time and peak memory.
#
#   scripts/bench-trend.sh [SCANS] [DOMAINS]      (default: 6 200000)
#
# Writes SCANS monthly scan directories of DOMAINS records each (records shaped like a
# scan's, with an SPF tree of three nodes and DMARC adoption rising from scan to scan),
# then runs the release binary's `trend` three ways and prints records/s and peak RSS.
# The records are streamed, so RSS should not grow with DOMAINS except under
# --same-domains, which keeps one set of names. Prints figures; asserts nothing. Needs
# GNU time (apt-get install time); installs nothing itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scans=${1:-6}
domains=${2:-200000}
work=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "keeping $work" >&2
cleanup() { [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
cargo build --release --quiet

python3 - "$scans" "$domains" "$work/scans/bench" <<'PY'
import json, os, random, sys
scans, n, root = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
suffixes = ["co.jp", "ne.jp", "or.jp", "go.jp", "ac.jp", "jp", "com"]
rng = random.Random(7)
def node(domain, via, record, children):
    return {"domain": domain, "via": via, "term": None, "record": record, "all": "-all",
            "lookups": len(children), "void_lookups": 0, "cumulative_lookups": len(children),
            "errors": [], "warnings": [], "ip4_addresses": 256, "children": children}
for s in range(scans):
    month = f"2023-{s % 12 + 1:02d}"
    started = f"{month}-01T00:00:00Z"
    d = os.path.join(root, started.replace(":", "-"))
    os.makedirs(d)
    share = 0.2 + 0.6 * s / max(1, scans - 1)
    with open(os.path.join(d, "results.jsonl"), "w") as out:
        for i in range(n):
            name = f"d{i}.example{i % 97}.{suffixes[i % len(suffixes)]}"
            dangling = i % 50 == 0
            spf_status = "permerror" if dangling else ("none" if i % 10 == 0 else "ok")
            dmarc = rng.random() < share
            policy = rng.choice(["none", "quarantine", "reject"]) if dmarc else None
            rec = {
                "schema": 1, "domain": name, "scanned_at": started, "elapsed_ms": 12,
                "spf": {
                    "status": spf_status,
                    "record": None if spf_status == "none" else "v=spf1 include:_spf.provider.test ip4:192.0.2.0/24 -all",
                    "errors": [{"kind": "dangling_include", "detail": "spf.po.2iij.net: NXDOMAIN", "target": "spf.po.2iij.net"}] if dangling else [],
                    "warnings": [], "lookups": 2, "void_lookups": 0, "all": "-all",
                    "dangling_includes": ["spf.po.2iij.net"] if dangling else [],
                    "ip4_addresses": 512,
                    "tree": node(name, "root", "v=spf1 include:_spf.provider.test ip4:192.0.2.0/24 -all",
                                 [node("_spf.provider.test", "include", "v=spf1 include:_n1.provider.test -all",
                                       [node("_n1.provider.test", "include", "v=spf1 ip4:198.51.100.0/24 -all", [])])]),
                },
                "dmarc": {
                    "status": "ok" if dmarc else "none",
                    "record": f"v=DMARC1; p={policy}; rua=mailto:d@{name}" if dmarc else None,
                    "records": [], "source": "domain" if dmarc else None,
                    "policy_domain": name if dmarc else None, "organizational_domain": name,
                    "discovery_differs": False, "discovery": None, "policy": policy,
                    "p": policy, "sp": policy, "np": policy, "pct": 100 if dmarc else None,
                    "t": False if dmarc else None, "testing": False, "adkim": "r", "aspf": "r",
                    "fo": ["0"], "psd": "u",
                    "rua": [{"uri": f"mailto:d@{name}", "scheme": "mailto", "valid": True,
                             "address": f"d@{name}", "domain": name, "size_limit": None,
                             "external": False, "authorized": None}] if dmarc else [],
                    "ruf": [], "errors": [], "warnings": [],
                },
                "mx": {"status": "ok", "hosts": [{"name": f"mx.{name}", "preference": 10,
                        "addresses": ["192.0.2.25"], "errors": [], "starttls": None}],
                       "implicit_mx": None, "errors": [], "warnings": [], "starttls": None},
            }
            out.write(json.dumps(rec, separators=(",", ":")) + "\n")
    with open(os.path.join(d, "scan.json"), "w") as f:
        json.dump({"tool": "mailposture", "version": "bench", "schema": 1, "started_at": started,
                   "lists": ["bench.txt"], "domains": n}, f)
PY

bytes=$(du -cb "$work"/scans/bench/*/results.jsonl | tail -1 | cut -f1)
records=$((scans * domains))
echo "history: $scans scans x $domains domains, $((bytes / 1048576)) MiB of results.jsonl"
run() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" target/release/mailposture trend "$work/scans" \
    --out "$work/trend.csv" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r secs kb <"$work/time"
  awk -v l="$label" -v s="$secs" -v k="$kb" -v r="$records" \
    'BEGIN { printf "%-32s %7.1f s  %9.0f records/s  peak RSS %6.1f MB\n", l, s, r / s, k / 1024 }'
}
run "trend (per scan, by list)"
run "trend --group suffix" --group suffix
run "trend --same-domains" --same-domains
