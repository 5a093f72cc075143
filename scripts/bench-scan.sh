#!/usr/bin/env bash
# Scan throughput and memory against an authoritative NSD on loopback.
#
#   scripts/bench-scan.sh [DOMAINS...]      (default: 10000 50000)
#
# Generates a zone of N synthetic domains under `bench.` (SPF including shared provider
# trees, some dangling includes, DMARC on 40%, MX on shared hosts), serves it with NSD on
# 127.0.2.1:5399, scans it with the release binary (STARTTLS off: the world's MX hosts
# are not on loopback), and prints domains/s, CPU per domain and peak RSS. Prints
# figures; asserts nothing. Needs nsd (apt-get install nsd) and GNU time (apt-get
# install time); installs neither itself.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-10000 50000}")
read -r -a sizes <<<"${sizes[*]}"
addr=127.0.2.1
port=5399
work=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "keeping $work" >&2
nsd_pid=
cleanup() {
  if [ -n "$nsd_pid" ]; then kill "$nsd_pid" 2>/dev/null || true; wait "$nsd_pid" 2>/dev/null || true; fi
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

command -v nsd >/dev/null || { echo "needs nsd: apt-get install nsd" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
cargo build --release --quiet

max=0
for n in "${sizes[@]}"; do [ "$n" -gt "$max" ] && max=$n; done

python3 - "$max" "$work" <<'PY'
import sys
n, work = int(sys.argv[1]), sys.argv[2]
z = ["$ORIGIN bench.", "$TTL 3600",
     "@ IN SOA ns.bench. hostmaster.bench. 1 3600 600 86400 300",
     "@ IN NS ns.bench.", "ns IN A 127.0.2.1",
     'google IN TXT "v=spf1 include:_n1.google.bench include:_n2.google.bench include:_n3.google.bench ~all"',
     'outlook IN TXT "v=spf1 ip4:40.92.0.0/15 include:_n1.outlook.bench -all"',
     'esp IN TXT "v=spf1 a:s1.esp.bench a:s2.esp.bench mx ~all"', "s1.esp IN A 192.0.2.1",
     "s2.esp IN A 192.0.2.2", "esp IN MX 10 mx1.shared.", "mx1.shared IN A 192.0.2.25",
     "mx2.shared IN A 192.0.2.26"]
for i in (1, 2, 3):
    z.append(f'_n{i}.google IN TXT "v=spf1 ip4:172.{16+i}.0.0/16 ~all"')
z.append('_n1.outlook IN TXT "v=spf1 ip6:2a01:111:f400::/48 -all"')
lst = []
for i in range(n):
    d = f"d{i}"
    lst.append(f"{d}.bench")
    k = i % 20
    if k == 0:
        spf = "v=spf1 include:spf.po.2iij.bench -all"         # dangling
    elif k == 1:
        spf = "v=spf1 include:google.bench include:outlook.bench include:esp.bench a mx -all"
    elif k < 12:
        spf = "v=spf1 include:google.bench ~all"
    elif k < 16:
        spf = "v=spf1 include:outlook.bench -all"
    elif k < 19:
        spf = "v=spf1 ip4:198.51.100.0/24 include:esp.bench -all"
    else:
        spf = None
    if spf:
        z.append(f'{d} IN TXT "{spf}"')
    if i % 5 < 2:
        z.append(f'_dmarc.{d} IN TXT "v=DMARC1; p={("none", "quarantine", "reject")[i % 3]}"')
    z.append(f"{d} IN MX 10 mx1.shared.bench.")
    z.append(f"{d} IN MX 20 mx2.shared.bench.")
    z.append(f"{d} IN A 192.0.2.80")
open(f"{work}/bench.zone", "w").write("\n".join(z) + "\n")
open(f"{work}/all.txt", "w").write("\n".join(lst) + "\n")
PY

cat >"$work/nsd.conf" <<CONF
server:
  ip-address: $addr@$port
  zonesdir: "$work"
  database: ""
  pidfile: "$work/nsd.pid"
  xfrdfile: "$work/xfrd.state"
  zonelistfile: "$work/zone.list"
  username: ""
  logfile: "$work/nsd.log"
  server-count: 1
  hide-version: yes
  # Response rate limiting (on by default) would drop or truncate the
  # many similar answers a scan from one address gets.
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: bench.
  zonefile: bench.zone
CONF
nsd -d -c "$work/nsd.conf" &
nsd_pid=$!
for _ in $(seq 50); do
  dig_ok=$(python3 -c "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(0.2);s.sendto(bytes.fromhex('1234010000010000000000000562656e63680000060001'),('$addr',$port));print(len(s.recv(512))>0)" 2>/dev/null || echo False)
  [ "$dig_ok" = True ] && break
  sleep 0.2
done

printf '%-9s %-12s %-10s %-13s %-12s %s\n' domains concurrency "domains/s" "CPU µs/domain" "peak RSS MB" "DNS lookups/domain"
for n in "${sizes[@]}"; do
  head -n "$n" "$work/all.txt" >"$work/list-$n.txt"
  for conc in ${CONCURRENCY:-256 1000 10000}; do
    out="$work/scan-$n-$conc"
    /usr/bin/time -v -o "$work/time" target/release/mailposture scan "$work/list-$n.txt" \
      --resolver "$addr:$port" --concurrency "$conc" --quiet --no-starttls --out "$out" ${SCAN_FLAGS:-} 2>/dev/null
    python3 - "$n" "$conc" "$work/time" "$out/scan.json" <<'PY'
import json, re, sys
n, conc, tfile, sfile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
t = open(tfile).read()
f = lambda k: float(re.search(re.escape(k) + r":\s*([\d.:]+)", t).group(1))
cpu = f("User time (seconds)") + f("System time (seconds)")
rss = f("Maximum resident set size (kbytes)") / 1024
s = json.load(open(sfile))
print(f"{n:<9} {conc:<12} {s['domains_per_second']:<10.0f} {cpu / n * 1e6:<13.0f} {rss:<12.1f} {s['dns_lookups'] / n:.2f}")
PY
  done
done
