#!/usr/bin/env bash
# A synthetic mail internet on loopback: NSD (authoritative) behind a DNS delay relay,
# behind unbound (recursive), serving N generated sender domains or the names of a list.
#
#   scripts/world.sh up DIR [--domains N | --list FILE] [--delay-ms MS] [--signed]
#                              [--dkim-share S]   (S of the domains publish DKIM keys;
#                              see world-gen.py)
#                              [--silent-share S] [--servfail-share S] [--refused-share S]
#                              generate the world into DIR (scripts/world-gen.py: zones,
#                              DIR/list.txt, DIR/expected.jsonl, and the MTA-STS policy
#                              hosts and files, DIR/sts-names.txt and DIR/policies/, for
#                              scripts/nginx-sts.sh to serve) and start the servers;
#                              DIR/world.env names the addresses. --list serves the
#                              names of a domain list instead of N generated ones. The
#                              shares (fractions, default 0) delegate that part of the
#                              domains to name servers that never answer, answer
#                              SERVFAIL or answer REFUSED (scripts/dead-ns.py, one
#                              process per kind); expected.jsonl marks them "dead".
#                              --signed signs every zone with DNSSEC (scripts/dnssec-
#                              sign.sh: keys of its own for each zone), puts each top-
#                              level domain's DS in the root zone and makes unbound
#                              validate from the root's DS (DIR/root.ds); world-gen.py
#                              then adds TLSA records on 3% of the domains' MX hosts
#                              (dead domains' delegations stay unsigned, without DS)
#   scripts/world.sh delay DIR MS   restart the relay with another added round trip
#   scripts/world.sh flush DIR      empty unbound's caches and statistics (a cold run)
#   scripts/world.sh counts DIR     print {"resolver_queries": Q, "upstream_queries": U,
#                              "requestlist_exceeded": E, "requestlist_overwritten": O}:
#                              questions unbound got since the last flush, questions
#                              that reached NSD through the relay since it started, and
#                              unbound's own overload counters since the last flush
#                              (questions it dropped, and questions it let go for newer
#                              ones, because its list of questions in hand was full)
#   scripts/world.sh down DIR       stop what `up` started (by the pids it wrote) and
#                              remove DIR
#
# Addresses (WORLD_NET, default 127.0.3): NSD on .1:53, the relay on .2:53, unbound on
# .3:53 (port 53, as peers such as checkdmarc cannot be given a port). Every other name
# server in the zones resolves to the relay, so all of unbound's questions to NSD go
# through it; dead domains' name servers resolve into DEAD_NET (default 127.0.5:
# .1-.150), which unbound reaches directly. MX hosts resolve into MX_NET (default
# 127.0.4; see world-gen.py), the MTA-STS policy hosts to MX_NET.5, where no server
# listens unless one is started (scripts/bench.sh starts nginx there). Needs root (port
# 53); installs nsd and unbound (and ldnsutils with --signed) with apt-get when missing.
# RELAY names the relay binary [default: target/release/dns-delay-relay, built from
# bench/ when missing]. DIR and FILE are taken from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=scripts/world-lib.sh
. "$root/scripts/world-lib.sh"

usage() { sed -n '2,44p' "$0" >&2; exit 2; }

net=${WORLD_NET:-127.0.3}
mxnet=${MX_NET:-127.0.4}
deadnet=${DEAD_NET:-127.0.5}
auth=$net.1
relay_addr=$net.2
resolver=$net.3

need() {
  local missing=()
  command -v nsd >/dev/null || missing+=(nsd)
  command -v unbound >/dev/null || missing+=(unbound)
  [ -z "${1:-}" ] || command -v ldns-signzone >/dev/null || missing+=(ldnsutils)
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null
    # Debian's packages start their own services where they can; ours run apart.
  fi
}

# Signs the zones world-gen.py wrote into DIR/zones (the top-level domains side by side,
# then the root with their DS records), writes the root's DS to DIR/root.ds for unbound
# and points NSD's zone list at the signed files.
sign() {
  local dir=$1 zone name pids=()
  for zone in "$dir"/zones/*.zone; do
    name=$(basename "$zone" .zone)
    [ "$name" != root ] || continue
    "$root/scripts/dnssec-sign.sh" "$name." "$zone" "$zone.signed" >"$zone.ds" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  cat "$dir"/zones/*.zone.ds >>"$dir/zones/root.zone"
  "$root/scripts/dnssec-sign.sh" . "$dir/zones/root.zone" "$dir/zones/root.zone.signed" \
    >"$dir/root.ds"
  sed -i 's|^\(  zonefile: ".*\.zone\)"$|\1.signed"|' "$dir/zones.conf"
}

start_relay() {
  local dir=$1 ms=$2 bin=${RELAY:-$root/target/release/dns-delay-relay}
  [ -x "$bin" ] || cargo build --release --quiet -p mailposture-bench --bin dns-delay-relay
  "$bin" --listen "$relay_addr:53" --upstream "$auth:53" --delay-ms "$ms" \
    --stats "$dir/relay-stats.json" 2>>"$dir/relay.log" &
  echo $! >"$dir/relay.pid"
}

# Starts scripts/dead-ns.py once per line of DIR/dead-servers.txt ("KIND ADDR...").
start_dead() {
  local dir=$1 kind addrs
  [ -f "$dir/dead-servers.txt" ] || return 0
  while read -r kind addrs; do
    # shellcheck disable=SC2086 # the addresses are words
    python3 "$root/scripts/dead-ns.py" "$kind" $addrs 2>>"$dir/dead-$kind.log" &
    echo $! >"$dir/dead-$kind.pid"
  done <"$dir/dead-servers.txt"
  # A silent server cannot be asked whether it listens: wait for its sockets instead.
  while read -r kind addrs; do
    for _ in $(seq 50); do
      ss -Hlun "src ${addrs##* }:53" | grep -q . && break
      kill -0 "$(cat "$dir/dead-$kind.pid")" 2>/dev/null ||
        { echo "dead-ns.py $kind stopped (see $dir/dead-$kind.log)" >&2; return 1; }
      sleep 0.1
    done
  done <"$dir/dead-servers.txt"
}

up() {
  local dir=$1 domains delay=20 names=(10000) dead=() signed=()
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --domains) names=("$2"); shift 2 ;;
      --list) names=(--list "$2"); shift 2 ;;
      --delay-ms) delay=$2; shift 2 ;;
      --signed) signed=(--signed); shift ;;
      --silent-share|--servfail-share|--refused-share|--dkim-share) dead+=("$1" "$2"); shift 2 ;;
      *) usage ;;
    esac
  done
  need "${signed[@]}"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  rm -f "$dir/dead-servers.txt"
  python3 "$root/scripts/world-gen.py" "${dead[@]}" "${signed[@]}" --dead-net "$deadnet" \
    "${names[@]}" "$dir" "$relay_addr" "$mxnet"
  [ ${#signed[@]} -eq 0 ] || sign "$dir"
  domains=$(wc -l <"$dir/list.txt")
  start_dead "$dir"

  nsd_conf "$dir" "$auth"
  cat "$dir/zones.conf" >>"$dir/nsd.conf"
  nsd -d -c "$dir/nsd.conf" 2>>"$dir/nsd.log" &
  echo $! >"$dir/nsd.pid"
  wait_answers "$auth" "$dir/nsd.log"

  start_relay "$dir" "$delay"
  wait_answers "$relay_addr" "$dir/relay.log"

  cat >"$dir/unbound.conf" <<CONF
server:
  interface: $resolver@53
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  # The authoritative side lives on loopback too.
  do-not-query-localhost: no
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: "$dir/unbound.pid.unused"
  logfile: "$dir/unbound.log"
  use-syslog: no
  verbosity: 0
  num-threads: 2
$(if [ ${#signed[@]} -eq 0 ]; then
    echo '  # Plain recursion, no DNSSEC validation: the world is unsigned.'
    echo '  module-config: "iterator"'
  else
    echo '  # The world is signed: validate, from the root this world made.'
    echo '  module-config: "validator iterator"'
    echo "  trust-anchor-file: \"$dir/root.ds\""
    echo '  # Why an answer was bogus, in unbound.log.'
    echo '  val-log-level: 2'
  fi)
  # One question upstream per name asked (qname minimisation would add one per label).
  qname-minimisation: no
  target-fetch-policy: "0 0 0 0 0"
  extended-statistics: yes
  statistics-cumulative: no
  # Room for a million domains' answers; thousands of questions in flight.
  msg-cache-size: 256m
  rrset-cache-size: 512m
  outgoing-range: 8192
  num-queries-per-thread: 4096
  # The bulk-scan settings of the README ("Which resolver"): the scanner is one client
  # with up to thousands of questions waiting, some for name servers that never answer.
  infra-cache-numhosts: 100000
  jostle-timeout: 200
  wait-limit: 0
  so-rcvbuf: 4m
  so-sndbuf: 4m
  prefetch: no
stub-zone:
  name: "."
  stub-addr: $relay_addr@53
remote-control:
  control-enable: yes
  control-interface: "$dir/unbound.ctl"
  control-use-cert: no
CONF
  # wait-limit (a per-client bound on waiting questions) came with unbound 1.22 and
  # Debian's security updates; an unbound without it runs without the line.
  unbound-checkconf "$dir/unbound.conf" >/dev/null 2>&1 ||
    sed -i '/^  wait-limit:/d' "$dir/unbound.conf"
  unbound -d -c "$dir/unbound.conf" 2>>"$dir/unbound.log" &
  echo $! >"$dir/unbound.pid"
  wait_answers "$resolver" "$dir/unbound.log"

  cat >"$dir/world.env" <<ENV
WORLD_DIR=$dir
WORLD_DOMAINS=$domains
WORLD_AUTH=$auth:53
WORLD_RELAY=$relay_addr:53
WORLD_RESOLVER=$resolver
WORLD_MX_NET=$mxnet
WORLD_DEAD_NET=$deadnet
ENV
  [ ${#signed[@]} -eq 0 ] || echo "WORLD_SIGNED=1" >>"$dir/world.env"
}

uctl() { unbound-control -c "$1/unbound.conf" "${@:2}"; }

case "${1:-}" in
  up) [ $# -ge 2 ] || usage; up "${@:2}" ;;
  delay)
    [ $# -eq 3 ] || usage
    stop_pid "$2/relay.pid"
    start_relay "$2" "$3"
    wait_answers "$relay_addr" "$2/relay.log"
    ;;
  flush)
    [ $# -eq 2 ] || usage
    # reload empties every cache; stats (not stats_noreset) zeroes the counters.
    uctl "$2" reload >/dev/null
    wait_answers "$resolver" "$2/unbound.log"
    uctl "$2" stats >/dev/null
    ;;
  counts)
    [ $# -eq 2 ] || usage
    # The relay writes its counters every second.
    sleep 1.2
    stats=$(uctl "$2" stats_noreset)
    stat() { sed -n "s/^total\.$1=//p" <<<"$stats"; }
    u=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["queries"])' "$2/relay-stats.json")
    printf '{"resolver_queries": %s, "upstream_queries": %s, "requestlist_exceeded": %s, "requestlist_overwritten": %s}\n' \
      "$(stat num.queries)" "$u" "$(stat requestlist.exceeded)" "$(stat requestlist.overwritten)"
    ;;
  down)
    [ $# -eq 2 ] || usage
    [ -d "$2" ] || exit 0
    stop_pid "$2/unbound.pid"
    stop_pid "$2/relay.pid"
    stop_pid "$2/nsd.pid"
    for pid in "$2"/dead-*.pid; do stop_pid "$pid"; done
    rm -rf "$2"
    ;;
  *) usage ;;
esac
