#!/usr/bin/env bash
# `mailposture report` at scale: time, peak memory and the page it writes, for a real scan
# of a synthetic world and for bigger scans made from it.
#
#   scripts/bench-report.sh [DIR]      DIR: where the world lives [default: /tmp/rpw]
#
# Scans the DOMAINS-domain world of scripts/world.sh (default 100000; DKIM_SHARE of the
# domains, default 0.3, publish keys; no added round trip) with the release binary,
# STARTTLS off and `--dkim common`, the other parts as bench.sh's rows (`--skip
# mta-sts,tls-rpt,dane,bimi`), then stops the world. It then writes, without DNS, scans
# COPIES times (each of COPIES, default "3 10"; empty for none) as big: every record of
# the real scan COPIES times, its domain renamed `d<i>-<domain>`, and scan.json with
# `domains` counted again, so that the scan verifies (`mailposture history`: each domain
# once, as many records as scan.json says). For the real scan and each copy, runs
# `mailposture report SCAN --out FILE` once to warm the page cache, then RUNS times
# (default 5) under GNU time, and prints records, seconds (median, min-max), records/s at
# the median, peak RSS (median, min-max, MiB), the page's size (MB) and the rows its
# table shows (from the command's line on standard error). The table is bounded, so peak
# RSS should not grow with the records. Prints figures; asserts nothing. Needs root
# (world.sh) and about 2.9 KB of disk in $TMPDIR per record written (3.8 GB with the
# defaults), removed at the end, as is the world (KEEP=1 keeps the scans). Installs GNU
# time with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
world=${1:-/tmp/rpw}
domains=${DOMAINS:-100000}
copies=${COPIES-3 10}
runs=${RUNS:-5}
work=$(mktemp -d)
R=$root/target/release/mailposture

cleanup() {
  "$root/scripts/world.sh" down "$world" >/dev/null 2>&1 || true
  if [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "keeping $work" >&2; fi
}
trap cleanup EXIT

command -v /usr/bin/time >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y time >/dev/null
cargo build --release --quiet --bin mailposture

scripts/world.sh up "$world" --domains "$domains" --dkim-share "${DKIM_SHARE:-0.3}" --delay-ms 0 \
  >"$work/world.log" 2>&1 || { tail -5 "$work/world.log" >&2; echo world failed >&2; exit 1; }
# shellcheck source=/dev/null
. "$world/world.env"
start=$(date +%s.%N)
"$R" scan --quiet --resolver "$WORLD_RESOLVER:53" --no-starttls --dkim common \
  --skip mta-sts,tls-rpt,dane,bimi --out "$work/scan-1" "$world/list.txt" \
  >/dev/null 2>"$work/scan.err" || { tail -5 "$work/scan.err" >&2; exit 1; }
end=$(date +%s.%N)
scripts/world.sh down "$world" >/dev/null 2>&1
n=$(wc -l <"$work/scan-1/results.jsonl")
echo "scan: $n records in $(echo "$end - $start" | bc) s," \
  "$(($(stat -c %s "$work/scan-1/results.jsonl") / 1048576)) MiB of results.jsonl"

# The copies: no other file of a scan directory is read by `report`.
for k in $copies; do
  python3 - "$work/scan-1" "$work/scan-$k" "$k" <<'PY'
import json, os, sys
src, dst, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(dst)
count = 0
with open(os.path.join(dst, "results.jsonl"), "w") as out:
    for i in range(k):
        with open(os.path.join(src, "results.jsonl")) as records:
            for line in records:
                r = json.loads(line)
                r["domain"] = f"d{i}-{r['domain']}"
                out.write(json.dumps(r, separators=(",", ":")) + "\n")
                count += 1
scan = json.load(open(os.path.join(src, "scan.json")))
scan["domains"] = count
json.dump(scan, open(os.path.join(dst, "scan.json"), "w"), indent=2)
PY
  "$R" history --json "$work/scan-$k" | python3 -c 'import json, sys
sys.exit([e["status"] for e in json.load(sys.stdin)] != ["complete"])' ||
    { echo "the copy $work/scan-$k does not verify as a complete scan" >&2; exit 1; }
done

printf '%9s %9s %11s %10s %11s %11s %8s %6s\n' records seconds min-max records/s \
  "RSS MiB" min-max "page MB" rows
for k in 1 $copies; do
  scan=$work/scan-$k
  records=$(wc -l <"$scan/results.jsonl")
  "$R" report "$scan" --out "$work/report.html" >/dev/null 2>&1
  : >"$work/times"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$R" report "$scan" --out "$work/report.html" \
      >/dev/null 2>"$work/report.err" || { cat "$work/report.err" >&2; exit 1; }
    cat "$work/time" >>"$work/times"
  done
  python3 - "$records" "$work/times" "$(stat -c %s "$work/report.html")" "$work/report.err" <<'PY'
import re, statistics, sys
records, times, page, err = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
runs = [tuple(map(float, l.split())) for l in open(times) if l.strip()]
secs = sorted(s for s, _ in runs)
mb = sorted(kb / 1024 for _, kb in runs)
line = open(err).read()
m = re.search(r"the table holds the (\d+) most serious|\((\d+) domains,", line)
shown = next(g for g in m.groups() if g) if m else "?"
med = statistics.median(secs)
print(f"{records:9} {med:9.2f} {f'{secs[0]:.2f}-{secs[-1]:.2f}':>11} {records / med:10.0f} "
      f"{statistics.median(mb):11.1f} {f'{mb[0]:.1f}-{mb[-1]:.1f}':>11} {page / 1e6:8.2f} {shown:>6}")
PY
  # What the page says of all the domains, the table's and the others.
  grep -o '<dt>Domains</dt><dd>[^<]*' "$work/report.html" | sed 's/<[^>]*>/ /g; s/^ */  page: /' \
    >>"$work/domains"
done
cat "$work/domains"
