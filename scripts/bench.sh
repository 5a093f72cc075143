#!/usr/bin/env bash
# Scan throughput, CPU, memory and DNS questions per domain, for mailposture and for
# checkdmarc side by side, against the synthetic world of scripts/world.sh.
#
#   scripts/bench.sh [--large] [--sizes "10000 100000"] [--subset 2000] [--no-starttls-row]
#                    [--silent-share 0.02 [--dead-size N] | --no-dead-rows] [--no-sts-rows]
#                    [--signed]
#
# For each size and an added round trip of 0 and 20 ms (the world's delay relay), with
# unbound's caches emptied before every run:
#   - mailposture on the whole list with each DNS transport, one after the other
#     (mailposture-bulk, mailposture-standard: concurrency CONC_0, default 256, at 0 ms;
#     CONC_20, default 2000, at 20 ms), STARTTLS off, both with the default
#     --dns-in-flight (768; IN_FLIGHT_20 sets it for the 20 ms bulk runs: far above it,
#     this world's unbound drops queries, `requestlist.exceeded`, and each drop costs a
#     question its timeout); one more bulk row runs CONC_20_HIGH (default 5000) domains at
#     once;
#   - checkdmarc on the first --subset domains (it is sequential: 16 processes over 16
#     shards, the batch timed as a whole), and mailposture with each transport on the
#     same subset (mailposture-bulk-subset, mailposture-standard-subset);
#   - on the first size at 0 ms, the two transports' results.jsonl compared with
#     scripts/compare-results.py (per-run fields left out); the verdict goes under the
#     tables and a difference does not stop the bench;
#   - on the first size at 0 ms, one mailposture-bulk row with STARTTLS on, against a
#     postfix MX (scripts/postfix-mx.sh) on the address of the world's Google-like MX
#     hosts;
#   - on the first size (or --dead-size N, one of the sizes), dead-delegation rows: the
#     same world again, with --silent-share
#     of its domains (default 0.02; world.sh up --silent-share) delegated to name servers
#     that never answer, scanned by mailposture-bulk with the clean bulk rows' settings at
#     0 and 20 ms, and at 20 ms with CONC_20_HIGH too. Each such row (and the clean one it stands beside) counts the healthy
#     domains with a temperror, the healthy domains whose facts differ from the clean
#     run's, and the dead domains with every part temperror (bench-rows.py --expected,
#     --baseline). --no-dead-rows leaves them out;
#   - on the first size, MTA-STS rows: the world's MTA-STS (5% of the domains) and TLS-RPT
#     (3%) records, read by every run, and the policies served by one nginx
#     (scripts/nginx-sts.sh on MX_NET.5:STS_PORT, default 8443, one certificate for all
#     the policy hosts from a test CA): mailposture-bulk with the clean bulk rows'
#     settings at 0 and 20 ms, STARTTLS off, once with --no-mta-sts (the TXT records read,
#     the policy fetch off) and once fetching the policies (--allow-nonpublic, --ca-file
#     the test CA, --mta-sts-port). Every other row leaves both parts out (--skip
#     mta-sts,tls-rpt: the checks off), so that it measures what it measured before they
#     existed, and the clean bulk row of the same settings is the MTA-STS rows' "off".
#     --no-sts-rows leaves them out;
#   - with --signed, on the first size, DNSSEC rows: the same world signed (world.sh up
#     --signed: every zone signed, unbound validating, TLSA records on 3% of the domains'
#     MX hosts), scanned by mailposture-bulk with the clean bulk rows' settings at 0 and
#     20 ms, STARTTLS off, once with the DANE check off (--skip dane: what validation
#     alone costs) and once on (the TLSA questions too). Every other row leaves the DANE
#     check out (--skip dane), so that it measures what it measured before the check
#     existed, and the clean bulk row of the same settings is the DNSSEC rows' baseline.
# Each row also records the CPU that unbound and the relay used during the run (from
# /proc/PID/stat), as % of one core over the run's wall time, and unbound's overload
# counters over the run (requestlist.exceeded: questions it dropped; .overwritten:
# questions it gave up for newer ones); each row printed also gives the questions the
# scanner sent per domain and its TCP fallbacks (scan.json's dns.queries_sent and
# dns.tcp_fallbacks, bulk transport), which the DNSSEC table shows too.
# --large adds 1,000,000 domains. Writes reports/bench/<UTC date>.md and prints it.
# Run as root from the repository; installs nsd, unbound, GNU time, python3-venv,
# postfix and nginx with apt-get when missing, and checkdmarc (unless --subset 0) into a
# venv under target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

sizes="10000 100000"
subset=2000
starttls_row=1
silent_share=0.02
dead_size=
sts_rows=1
signed_rows=
while [ $# -gt 0 ]; do
  case "$1" in
    --large) sizes="$sizes 1000000"; shift ;;
    --sizes) sizes=$2; shift 2 ;;
    --subset) subset=$2; shift 2 ;;
    --no-starttls-row) starttls_row=; shift ;;
    --silent-share) silent_share=$2; shift 2 ;;
    --no-dead-rows) silent_share=; shift ;;
    --dead-size) dead_size=$2; shift 2 ;;
    --no-sts-rows) sts_rows=; shift ;;
    --signed) signed_rows=1; shift ;;
    *) sed -n '2,61p' "$0" >&2; exit 2 ;;
  esac
done
dead_size=${dead_size:-${sizes%% *}}
case " $sizes " in *" $dead_size "*) ;; *) echo "--dead-size must be one of the sizes" >&2; exit 2 ;; esac
conc0=${CONC_0:-256}
conc20=${CONC_20:-2000}
conc20_high=${CONC_20_HIGH:-5000}
in_flight20=${IN_FLIGHT_20:-768}
smtp_port=2525
sts_port=${STS_PORT:-8443}

missing=()
command -v nsd >/dev/null || missing+=(nsd)
command -v unbound >/dev/null || missing+=(unbound)
[ -x /usr/bin/time ] || missing+=(time)
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
[ -z "$starttls_row" ] || command -v postfix >/dev/null || missing+=(postfix openssl)
[ -z "$sts_rows" ] || command -v nginx >/dev/null || missing+=(nginx openssl)
[ -z "$signed_rows" ] || command -v ldns-signzone >/dev/null || missing+=(ldnsutils)
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null
fi
cargo build --release --quiet -p mailposture -p mailposture-bench --bin mailposture --bin dns-delay-relay
venv=$root/target/bench/venv
checkdmarc_version="not run"
if [ "$subset" -gt 0 ]; then
  if [ ! -x "$venv/bin/checkdmarc" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet checkdmarc
  fi
  checkdmarc_version=$("$venv/bin/checkdmarc" --version 2>&1 | tail -1)
fi

work=$(mktemp -d)
# Postfix's daemons run as the postfix user and must reach their directory below.
chmod 755 "$work"
world=$work/world
mx_dir=$work/postfix
sts_dir=$work/nginx
cleanup() {
  "$root/scripts/postfix-mx.sh" down "$mx_dir" 2>/dev/null || true
  "$root/scripts/nginx-sts.sh" down "$sts_dir" 2>/dev/null || true
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
hz=$(getconf CLK_TCK)

# {"pid": P, "cpu_s": S}: user+sys CPU seconds so far of the process (all its threads)
# whose pid is in file $1, or null.
cpu_of() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || pid=
  if [ -z "$pid" ] || [ ! -r "/proc/$pid/stat" ]; then echo null; return; fi
  # After "pid (comm) ", utime and stime are the 12th and 13th fields.
  sed 's/^.*) //' "/proc/$pid/stat" |
    awk -v pid="$pid" -v hz="$hz" '{ printf "{\"pid\": %s, \"cpu_s\": %.2f}\n", pid, ($12 + $13) / hz }'
}
servers_cpu() {
  printf '{"resolver": %s, "relay": %s}\n' \
    "$(cpu_of "$world/unbound.pid")" "$(cpu_of "$world/relay.pid")"
}

# Options for bench-rows.py row (--world, --expected, --baseline) and a tag for the scan
# directory, set around the runs of a world with dead delegations.
row_flags=()
scan_tag=
# The record parts a run leaves out: MTA-STS and TLS-RPT, but in the MTA-STS rows, the
# DANE check, but in the DNSSEC rows, and BIMI (a scan looks at DKIM only with --dkim).
default_parts=(--skip mta-sts,tls-rpt,dane,bimi)
part_flags=("${default_parts[@]}")

# mailposture TOOL TRANSPORT LIST N RTT CONC STARTTLS [scan flags...]
# Scans into $work/scan-TOOL-N-RTT-CONC-STARTTLS[-TAG], which stays until the size is done.
mailposture() {
  local tool=$1 transport=$2 list=$3 n=$4 rtt=$5 conc=$6 starttls=$7 out before servers start end
  shift 7
  out=$work/scan-$tool-$n-$rtt-$conc-$starttls${scan_tag:+-$scan_tag}
  rm -rf "$out"
  "$root/scripts/world.sh" flush "$world"
  before=$(counts)
  servers=$(servers_cpu)
  start=$(now)
  /usr/bin/time -v -o "$work/time" "$root/target/release/mailposture" scan "$list" \
    --resolver "$WORLD_RESOLVER:53" --transport "$transport" --concurrency "$conc" \
    --quiet --out "$out" "${part_flags[@]}" "$@" \
    >/dev/null 2>"$work/scan.err" || { tail -5 "$work/scan.err" >&2; exit 1; }
  end=$(now)
  servers="$servers|$(servers_cpu)"
  python3 "$root/scripts/bench-rows.py" row "${row_flags[@]}" "$rows" "$tool" "$n" "$rtt" \
    "$conc" "$starttls" "$(echo "$end - $start" | bc)" "$before|$(counts)" "$servers" "$out" \
    "$work/time"
}

# Both transports on the same list, bulk first; TOOL_SUFFIX is "" or "-subset".
# both TOOL_SUFFIX LIST N RTT CONC [scan flags for both...]
both() {
  local suffix=$1 list=$2 n=$3 rtt=$4 conc=$5 bulk_flags=()
  shift 5
  [ "$rtt" = 0 ] || bulk_flags=(--dns-in-flight "$in_flight20")
  mailposture "mailposture-bulk$suffix" bulk "$list" "$n" "$rtt" "$conc" off "$@" "${bulk_flags[@]}"
  mailposture "mailposture-standard$suffix" standard "$list" "$n" "$rtt" "$conc" off "$@"
}

# checkdmarc LIST N RTT: 16 processes over 16 shards, timed as one batch.
checkdmarc() {
  local list=$1 n=$2 rtt=$3 shards before servers start end
  shards=$work/shards-$n-$rtt
  rm -rf "$shards"; mkdir -p "$shards"
  split -n r/16 -d "$list" "$shards/s"
  "$root/scripts/world.sh" flush "$world"
  before=$(counts)
  servers=$(servers_cpu)
  start=$(now)
  find "$shards" -name 's*' -type f -printf '%f\n' | sort | xargs -P 16 -I{} \
    /usr/bin/time -v -o "$shards/{}.time" "$venv/bin/checkdmarc" "$shards/{}" \
      -n "$WORLD_RESOLVER" -o "$shards/{}.json" 2>>"$work/checkdmarc.err" >/dev/null || true
  end=$(now)
  servers="$servers|$(servers_cpu)"
  python3 "$root/scripts/bench-rows.py" row "$rows" checkdmarc "$n" "$rtt" 16 off \
    "$(echo "$end - $start" | bc)" "$before|$(counts)" "$servers" - "$shards"/*.time
}

notes=$work/notes.md
: >"$notes"

first=1
for n in $sizes; do
  echo "world of $n domains" >&2
  "$root/scripts/world.sh" down "$world"
  "$root/scripts/world.sh" up "$world" --domains "$n" --delay-ms 0
  # shellcheck disable=SC1091
  . "$world/world.env"
  head -n "$subset" "$world/list.txt" >"$work/subset.txt"
  # The clean runs beside which the dead-delegation rows stand count the same figures.
  row_flags=()
  [ "$n" != "$dead_size" ] || [ -z "$silent_share" ] || row_flags=(--expected "$world/expected.jsonl")
  for rtt in 0 20; do
    "$root/scripts/world.sh" delay "$world" "$rtt"
    conc=$conc0; [ "$rtt" = 0 ] || conc=$conc20
    both "" "$world/list.txt" "$n" "$rtt" "$conc" --no-starttls
    if [ -n "$first" ] && [ "$rtt" = 0 ]; then
      # The same facts from both transports? A difference is recorded, not fatal.
      verdict=$(python3 "$root/scripts/compare-results.py" \
        "$work/scan-mailposture-bulk-$n-0-$conc-off/results.jsonl" \
        "$work/scan-mailposture-standard-$n-0-$conc-off/results.jsonl" 2>&1) || true
      echo "$verdict" >&2
      {
        echo "Bulk against standard transport, $n domains at 0 ms, results.jsonl without"
        echo "scanned_at, elapsed_ms and attempts (scripts/compare-results.py):"
        echo
        echo '```text'
        echo "$verdict"
        echo '```'
      } >>"$notes"
    fi
    if [ "$rtt" != 0 ]; then
      mailposture mailposture-bulk bulk "$world/list.txt" "$n" "$rtt" "$conc20_high" off \
        --no-starttls --dns-in-flight "$in_flight20"
    fi
    if [ "$subset" -gt 0 ] && [ -n "$first" ]; then
      both -subset "$work/subset.txt" "$subset" "$rtt" "$conc" --no-starttls
      checkdmarc "$work/subset.txt" "$subset" "$rtt"
    fi
  done
  if [ -n "$first" ] && [ -n "$starttls_row" ]; then
    "$root/scripts/world.sh" delay "$world" 0
    "$root/scripts/postfix-mx.sh" up "$mx_dir" "$WORLD_MX_NET.1" "$smtp_port" aspmx.l.google.com
    # The world's MX hosts are on loopback, which the scanner skips unless allowed.
    mailposture mailposture-bulk bulk "$world/list.txt" "$n" 0 "$conc0" on --smtp-port "$smtp_port" \
      --allow-nonpublic
    "$root/scripts/postfix-mx.sh" down "$mx_dir"
  fi
  if [ -n "$first" ] && [ -n "$sts_rows" ]; then
    "$root/scripts/nginx-sts.sh" up "$sts_dir" "$WORLD_MX_NET.5" "$sts_port" \
      "@$world/sts-names.txt" "$world/policies" "$work/ca"
    for rtt in 0 20; do
      "$root/scripts/world.sh" delay "$world" "$rtt"
      conc=$conc0 bulk_flags=()
      [ "$rtt" = 0 ] || { conc=$conc20; bulk_flags=(--dns-in-flight "$in_flight20"); }
      part_flags=(--skip dane,bimi)
      row_flags=(--mta-sts off) scan_tag=sts-off
      mailposture mailposture-bulk-sts bulk "$world/list.txt" "$n" "$rtt" "$conc" off \
        --no-starttls --no-mta-sts "${bulk_flags[@]}"
      # The policy host is on loopback, which the scanner skips unless allowed.
      row_flags=(--mta-sts on) scan_tag=sts-on
      mailposture mailposture-bulk-sts bulk "$world/list.txt" "$n" "$rtt" "$conc" off \
        --no-starttls --allow-nonpublic --mta-sts-port "$sts_port" \
        --ca-file "$work/ca/ca.pem" "${bulk_flags[@]}"
    done
    row_flags=() scan_tag= part_flags=("${default_parts[@]}")
    "$root/scripts/nginx-sts.sh" down "$sts_dir"
  fi
  if [ "$n" = "$dead_size" ] && [ -n "$silent_share" ]; then
    # The same domains, a share of them now delegated to name servers that never answer.
    dead_pct=$(python3 -c 'import sys; print(f"{float(sys.argv[1]):.1%}".replace(".0%", "%"))' \
      "$silent_share")
    dead_world="$dead_pct silent"
    echo "world of $n domains, $dead_world" >&2
    "$root/scripts/world.sh" down "$world"
    "$root/scripts/world.sh" up "$world" --domains "$n" --delay-ms 0 --silent-share "$silent_share"
    scan_tag=dead
    for rtt in 0 20; do
      "$root/scripts/world.sh" delay "$world" "$rtt"
      conc=$conc0 bulk_flags=()
      [ "$rtt" = 0 ] || { conc=$conc20; bulk_flags=(--dns-in-flight "$in_flight20"); }
      row_flags=(--world "$dead_world" --expected "$world/expected.jsonl"
        --baseline "$work/scan-mailposture-bulk-$n-$rtt-$conc-off/results.jsonl")
      mailposture mailposture-bulk bulk "$world/list.txt" "$n" "$rtt" "$conc" off --no-starttls \
        "${bulk_flags[@]}"
      if [ "$rtt" != 0 ]; then
        # Many more domains at once: more dead ones waiting together.
        row_flags=(--world "$dead_world" --expected "$world/expected.jsonl"
          --baseline "$work/scan-mailposture-bulk-$n-$rtt-$conc20_high-off/results.jsonl")
        mailposture mailposture-bulk bulk "$world/list.txt" "$n" "$rtt" "$conc20_high" off \
          --no-starttls "${bulk_flags[@]}"
      fi
    done
    scan_tag= row_flags=()
  fi
  if [ -n "$first" ] && [ -n "$signed_rows" ]; then
    echo "world of $n domains, signed" >&2
    "$root/scripts/world.sh" down "$world"
    start=$(now)
    "$root/scripts/world.sh" up "$world" --domains "$n" --delay-ms 0 --signed
    signed_up_s=$(echo "$(now) - $start" | bc) signed_n=$n
    for rtt in 0 20; do
      "$root/scripts/world.sh" delay "$world" "$rtt"
      conc=$conc0 bulk_flags=()
      [ "$rtt" = 0 ] || { conc=$conc20; bulk_flags=(--dns-in-flight "$in_flight20"); }
      # The world's MX hosts are on loopback, which the scanner leaves out unless
      # allowed: both rows allow them, so that they differ in the DANE check only.
      part_flags=("${default_parts[@]}")
      row_flags=(--world signed --dane off) scan_tag=dnssec-dane-off
      mailposture mailposture-bulk-dnssec bulk "$world/list.txt" "$n" "$rtt" "$conc" off \
        --no-starttls --allow-nonpublic "${bulk_flags[@]}"
      part_flags=(--skip mta-sts,tls-rpt,bimi)
      row_flags=(--world signed --dane on) scan_tag=dnssec-dane-on
      mailposture mailposture-bulk-dnssec bulk "$world/list.txt" "$n" "$rtt" "$conc" off \
        --no-starttls --allow-nonpublic "${bulk_flags[@]}"
    done
    row_flags=() scan_tag= part_flags=("${default_parts[@]}")
  fi
  # The scan directories of a size are no longer needed (a million domains' are large).
  rm -rf "$work"/scan-mailposture-*
  first=
done

checkdmarc_runs="checkdmarc ran on the first $subset domains of the list (16 processes, \
one shard each, timed as a batch), and mailposture again on the same subset for the \
side-by-side rows."
[ "$subset" -gt 0 ] || checkdmarc_runs=
dead_rows=
[ -z "$silent_share" ] || dead_rows="The dead-delegation rows scan the same world again \
with ${dead_pct:-a share} of its domains delegated to name servers that never answer \
(healthy: the other domains; their facts compared with the clean run of the same settings)."
sts_note=
[ -z "$sts_rows" ] || sts_note="The MTA-STS rows fetch the policies from one nginx on \
loopback (--allow-nonpublic, --ca-file the test CA, --mta-sts-port $sts_port) or not \
(--no-mta-sts), STARTTLS off; their ÷ and − columns compare them with the whole-list bulk \
row of the same settings, which left both parts out (--skip mta-sts,tls-rpt, as every \
other row: the checks off)."
signed_note=
[ -z "$signed_rows" ] || signed_note="The DNSSEC rows scan the same world signed \
(\`world.sh up --signed\`, ${signed_up_s:-?} s to sign and start for ${signed_n:-?} \
domains): every zone signed with ECDSA P-256 and NSEC, unbound validating from the \
world's root DS, TLSA records (3 1 1, matching no server) on 3% of the domains' MX \
hosts; STARTTLS off, --allow-nonpublic, the DANE check skipped (--skip dane) or on. \
Their ÷ and − columns compare them with the unsigned world's whole-list bulk row of the \
same settings, which left the DANE check out (--skip dane, as every other row)."
date=$(date -u +%F)
mkdir -p reports/bench
conditions="Measured $(date -u '+%F %H:%M UTC') by \`scripts/bench.sh\` on $(nproc) cores \
($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), shared with the world's \
servers (NSD, the relay, unbound with 2 threads) and with other work on the machine: \
figures vary from run to run. mailposture $(git describe --always --dirty) (release \
build), checkdmarc $checkdmarc_version; unbound's caches emptied before every run. \
mailposture ran with each DNS transport (--transport bulk, standard) one after the other \
on the same list; at 20 ms the bulk runs had --dns-in-flight $in_flight20, the standard \
ones the default bound (768). ${checkdmarc_runs:+$checkdmarc_runs }${dead_rows:+$dead_rows }${sts_note:+$sts_note }${signed_note:+$signed_note }CPU is user+sys of the scanner's processes only; resolver and \
relay CPU % are the CPU time unbound (2 threads) and the relay used during the run over \
its wall time (100% is one core). DNS q/domain are the questions unbound received (to \
unbound) and those that reached NSD through the relay (to NSD); DNS temp failures are \
scan.json's dns.temp_failures."
python3 "$root/scripts/bench-rows.py" table "$rows" "$conditions" "$notes" |
  tee "reports/bench/$date.md"
cp "$rows" "reports/bench/$date.jsonl"
