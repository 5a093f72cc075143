#!/usr/bin/env bash
# Scan throughput, CPU, memory and DNS questions per domain, for mailposture and for
# checkdmarc side by side, against the synthetic world of scripts/world.sh.
#
#   scripts/bench.sh [--large] [--sizes "10000 100000"] [--subset 2000] [--no-starttls-row]
#
# For each size and an added round trip of 0 and 20 ms (the world's delay relay), with
# unbound's caches emptied before every run:
#   - mailposture on the whole list (concurrency CONC_0, default 256, at 0 ms; CONC_20,
#     default 2000, at 20 ms), STARTTLS off;
#   - checkdmarc on the first --subset domains (it is sequential: 16 processes over 16
#     shards, the batch timed as a whole), and mailposture on the same subset;
#   - on the first size at 0 ms, one mailposture row with STARTTLS on, against a postfix
#     MX (scripts/postfix-mx.sh) on the address of the world's Google-like MX hosts.
# --large adds 1,000,000 domains. Writes reports/bench/<UTC date>.md and prints it.
# Run as root from the repository; installs nsd, unbound, GNU time, python3-venv and
# postfix with apt-get when missing, and checkdmarc into a venv under target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

sizes="10000 100000"
subset=2000
starttls_row=1
while [ $# -gt 0 ]; do
  case "$1" in
    --large) sizes="$sizes 1000000"; shift ;;
    --sizes) sizes=$2; shift 2 ;;
    --subset) subset=$2; shift 2 ;;
    --no-starttls-row) starttls_row=; shift ;;
    *) sed -n '2,19p' "$0" >&2; exit 2 ;;
  esac
done
conc0=${CONC_0:-256}
conc20=${CONC_20:-2000}
smtp_port=2525

missing=()
command -v nsd >/dev/null || missing+=(nsd)
command -v unbound >/dev/null || missing+=(unbound)
[ -x /usr/bin/time ] || missing+=(time)
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
[ -z "$starttls_row" ] || command -v postfix >/dev/null || missing+=(postfix openssl)
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null
fi
cargo build --release --quiet --bin mailposture --bin dns-delay-relay
venv=$root/target/bench/venv
if [ ! -x "$venv/bin/checkdmarc" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet checkdmarc
fi
checkdmarc_version=$("$venv/bin/checkdmarc" --version 2>&1 | tail -1)

work=$(mktemp -d)
# Postfix's daemons run as the postfix user and must reach their directory below.
chmod 755 "$work"
world=$work/world
mx_dir=$work/postfix
cleanup() {
  "$root/scripts/postfix-mx.sh" down "$mx_dir" 2>/dev/null || true
  "$root/scripts/world.sh" down "$world" || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Tens of thousands of sockets at once.
ulimit -n 65536 2>/dev/null || true

rows=$work/rows.jsonl
: >"$rows"
counts() { "$root/scripts/world.sh" counts "$world"; }
now() { date +%s.%N; }

# mailposture TOOL LIST N RTT CONC STARTTLS [scan flags...]
mailposture() {
  local tool=$1 list=$2 n=$3 rtt=$4 conc=$5 starttls=$6 before start end
  shift 6
  "$root/scripts/world.sh" flush "$world"
  before=$(counts)
  start=$(now)
  /usr/bin/time -v -o "$work/time" "$root/target/release/mailposture" scan "$list" \
    --resolver "$WORLD_RESOLVER:53" --concurrency "$conc" --quiet --out "$work/scan-$tool-$n-$rtt-$starttls" "$@" \
    >/dev/null 2>"$work/scan.err" || { tail -5 "$work/scan.err" >&2; exit 1; }
  end=$(now)
  python3 "$root/scripts/bench-rows.py" row "$rows" "$tool" "$n" "$rtt" "$conc" "$starttls" \
    "$(echo "$end - $start" | bc)" "$before|$(counts)" "$work/time"
}

# checkdmarc LIST N RTT: 16 processes over 16 shards, timed as one batch.
checkdmarc() {
  local list=$1 n=$2 rtt=$3 shards=$work/shards-$n-$rtt before start end
  rm -rf "$shards"; mkdir -p "$shards"
  split -n r/16 -d "$list" "$shards/s"
  "$root/scripts/world.sh" flush "$world"
  before=$(counts)
  start=$(now)
  find "$shards" -name 's*' -type f -printf '%f\n' | sort | xargs -P 16 -I{} \
    /usr/bin/time -v -o "$shards/{}.time" "$venv/bin/checkdmarc" "$shards/{}" \
      -n "$WORLD_RESOLVER" -o "$shards/{}.json" 2>>"$work/checkdmarc.err" >/dev/null || true
  end=$(now)
  python3 "$root/scripts/bench-rows.py" row "$rows" checkdmarc "$n" "$rtt" 16 off \
    "$(echo "$end - $start" | bc)" "$before|$(counts)" "$shards"/*.time
}

first=1
for n in $sizes; do
  echo "world of $n domains" >&2
  "$root/scripts/world.sh" down "$world"
  "$root/scripts/world.sh" up "$world" --domains "$n" --delay-ms 0
  # shellcheck disable=SC1091
  . "$world/world.env"
  head -n "$subset" "$world/list.txt" >"$work/subset.txt"
  for rtt in 0 20; do
    "$root/scripts/world.sh" delay "$world" "$rtt"
    conc=$conc0; [ "$rtt" = 0 ] || conc=$conc20
    mailposture mailposture "$world/list.txt" "$n" "$rtt" "$conc" off --no-starttls
    if [ "$subset" -gt 0 ] && [ -n "$first" ]; then
      mailposture mailposture-subset "$work/subset.txt" "$subset" "$rtt" "$conc" off --no-starttls
      checkdmarc "$work/subset.txt" "$subset" "$rtt"
    fi
  done
  if [ -n "$first" ] && [ -n "$starttls_row" ]; then
    "$root/scripts/world.sh" delay "$world" 0
    "$root/scripts/postfix-mx.sh" up "$mx_dir" "$WORLD_MX_NET.1" "$smtp_port" aspmx.l.google.com
    mailposture mailposture "$world/list.txt" "$n" 0 "$conc0" on --smtp-port "$smtp_port"
    "$root/scripts/postfix-mx.sh" down "$mx_dir"
  fi
  first=
done

date=$(date -u +%F)
mkdir -p reports/bench
conditions="Measured $(date -u '+%F %H:%M UTC') by \`scripts/bench.sh\` on $(nproc) cores \
($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), shared with the world's \
servers (NSD, the relay, unbound with 2 threads) and with other work on the machine: \
figures vary from run to run. mailposture $(git describe --always --dirty) (release \
build), checkdmarc $checkdmarc_version; unbound's caches emptied before every run. \
checkdmarc ran on the first $subset domains of the list (16 processes, one shard each, \
timed as a batch), and mailposture again on the same subset for the side-by-side rows. \
CPU is user+sys of the scanner's processes only; DNS q/domain are the questions unbound \
received (to unbound) and those that reached NSD through the relay (to NSD)."
python3 "$root/scripts/bench-rows.py" table "$rows" "$conditions" | tee "reports/bench/$date.md"
cp "$rows" "reports/bench/$date.jsonl"
