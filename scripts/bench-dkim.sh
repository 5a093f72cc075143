#!/usr/bin/env bash
# The price of the DKIM check in a scan: the 10,000-domain world of scripts/world.sh,
# DKIM_SHARE (default 0.5) of its domains publishing keys (world.sh --dkim-share),
# scanned with `--dkim off` and `--dkim common`, three runs each, unbound's cache emptied
# before each; prints domains/s and DNS questions asked a domain (scan.json's
# dns.lookups), then how the last run's domains ended. Needs root (world.sh) and a
# release build (cargo build --release).
#
#   scripts/bench-dkim.sh [DIR]      DIR: where the world lives [default: /tmp/dkw]
set -u
cd "$(dirname "$0")/.."
world=${1:-/tmp/dkw}
scan="$world"-scan
scripts/world.sh up "$world" --domains 10000 --dkim-share "${DKIM_SHARE:-0.5}" >"$world".log 2>&1 || { echo world failed; exit 1; }
. "$world"/world.env
R=target/release/mailposture
for mode in off common; do
  for i in 1 2 3; do
    scripts/world.sh flush "$world" >/dev/null 2>&1
    rm -rf "$scan"
    start=$(date +%s.%N)
    $R scan --quiet --resolver "$WORLD_RESOLVER" --skip mta-sts,tls-rpt,dane --dkim $mode --out "$scan" "$world"/list.txt >/dev/null 2>&1
    end=$(date +%s.%N)
    python3 - "$mode" "$start" "$end" "$scan" <<'PY'
import json, sys
mode, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
scan = json.load(open(sys.argv[4] + '/scan.json'))
n = scan['domains']; dns = scan['dns']
print(f"dkim {mode}: {n} domains in {end-start:.2f}s, {n/(end-start):.0f}/s, {dns['lookups']/n:.2f} q/domain, temp failures {dns['temp_failures']}")
PY
  done
done
python3 - "$scan" <<'PY'
import json, collections, sys
c = collections.Counter()
for line in open(sys.argv[1] + '/results.jsonl'):
    r = json.loads(line); d = r.get('dkim') or {}
    c[(d.get('status'), d.get('domainkey'))] += 1
print(dict(c))
PY
scripts/world.sh down "$world" >/dev/null 2>&1
