#!/usr/bin/env bash
# A signed DNSSEC world on loopback for the DANE end-to-end tests: NSD serving a signed
# root, a signed test. and one zone per case; a validating unbound that trusts the
# world's own root key; a non-validating unbound beside it; postfix as the MX hosts.
#
#   scripts/dnssec-world.sh up DIR    build the world into DIR and start its servers;
#                                     DIR/world.env names the addresses, the CA and the
#                                     TLSA data computed from postfix's certificate;
#                                     prints nothing else
#   scripts/dnssec-world.sh down DIR  stop what `up` started (by its pid files) and
#                                     remove DIR
#
# Addresses (127.0.6): NSD .1:53; the validating unbound .3:53; the non-validating
# unbound .4:53; postfix with STARTTLS .25:2525 as mx.secure.test, postfix without
# STARTTLS .26:2525; .99 is a name server address where nothing listens. The cases, one
# domain each (MX mx.CASE.test, TLSA at _25._tcp.mx.CASE.test, SPF and DMARC TXT):
#   secure      3 1 1 and 2 1 1, both matching     single     3 1 1 matching, alone
#   nomatch     3 1 1 of another key               usage1     1 1 1 (PKIX-EE)
#   truncated   3 1 1 of 31 octets                 insecure   unsigned (no DS in test.)
#   bogus       signatures expired                 nostarttls 3 1 1, MX without STARTTLS
#   temperror   TLSA zone served by .99            plain      signed, no TLSA
#   bogustlsa   a secure domain whose TLSA zone (_tcp.mx.bogustlsa.test) has expired
#               signatures
# Needs root (port 53), nsd, unbound, ldnsutils (scripts/dnssec-sign.sh), postfix and
# openssl. DIR is taken from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=scripts/world-lib.sh
. "$root/scripts/world-lib.sh"

usage() { sed -n '2,25p' "$0" >&2; exit 2; }

net=127.0.6
auth=$net.1
resolver=$net.3
plain_resolver=$net.4
mx=$net.25
mx_plain=$net.26
dead=$net.99
smtp_port=2525

down() {
  local dir=$1
  [ -d "$dir" ] || return 0
  stop_pid "$dir/unbound.pid"
  stop_pid "$dir/unbound-plain.pid"
  stop_pid "$dir/nsd.pid"
  "$root/scripts/postfix-mx.sh" down "$dir/postfix" >/dev/null 2>&1 || true
  "$root/scripts/postfix-mx.sh" down "$dir/postfix-plain" >/dev/null 2>&1 || true
  rm -rf "$dir"
}

# SHA-256 (lower-case hex) of the DER SubjectPublicKeyInfo of a PEM certificate.
spki_sha256() {
  openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER |
    openssl dgst -sha256 -r | cut -d' ' -f1
}

# The start of a zone: SOA and NS (ns.test., NSD's address).
head_of() {
  printf '%s 300 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n' "$1"
  printf '%s 300 IN NS ns.test.\n' "$1"
}

# A case domain's zone: MX, SPF, DMARC, the MX host's address, and TLSA lines (stdin).
case_zone() {
  local name=$1 addr=$2
  head_of "$name."
  printf '%s. 300 IN MX 10 mx.%s.\n' "$name" "$name"
  printf '%s. 300 IN TXT "v=spf1 ip4:%s -all"\n' "$name" "$addr"
  printf '_dmarc.%s. 300 IN TXT "v=DMARC1; p=reject"\n' "$name"
  printf 'mx.%s. 300 IN A %s\n' "$name" "$addr"
  sed "s/^/_25._tcp.mx.$name. 300 IN TLSA /"
}

# Signs DIR/zones/NAME.zone into NAME.signed and prints its DS (scripts/dnssec-sign.sh).
sign() {
  local dir=$1 origin=$2 file=$3
  shift 3
  "$root/scripts/dnssec-sign.sh" "$origin" "$dir/zones/$file.zone" "$dir/zones/$file.signed" \
    "$@" 2>>"$dir/sign.log"
}

up() {
  local dir=$1 ee ca wrong name ds test_ds root_ds zone
  local -a signed=()
  for tool in nsd unbound ldns-signzone postfix openssl; do
    command -v "$tool" >/dev/null ||
      { echo "needs $tool: apt-get install nsd unbound ldnsutils postfix openssl" >&2; exit 1; }
  done
  [ ! -e "$dir" ] || { echo "$dir exists" >&2; exit 1; }
  mkdir -p "$dir/zones"
  dir=$(cd "$dir" && pwd)
  # A failure half-way stops what was started and removes DIR.
  # shellcheck disable=SC2064 # DIR as it is now: the trap runs after `up` returns
  trap "down $(printf '%q' "$dir")" EXIT

  # The MX hosts first: the TLSA records are computed from the certificate postfix got.
  "$root/scripts/postfix-mx.sh" up "$dir/postfix" "$mx" "$smtp_port" mx.secure.test "$dir/ca"
  "$root/scripts/postfix-mx.sh" up "$dir/postfix-plain" "$mx_plain" "$smtp_port" \
    mx.nostarttls.test "$dir/ca" --no-starttls
  ee=$(spki_sha256 "$dir/postfix/cert.pem")
  ca=$(spki_sha256 "$dir/ca/ca.pem")
  wrong=$(printf 'not the key of any server' | openssl dgst -sha256 -r | cut -d' ' -f1)

  # The case zones (zone file name = the domain's first label).
  printf '3 1 1 %s\n2 1 1 %s\n' "$ee" "$ca" | case_zone secure.test "$mx" >"$dir/zones/secure.zone"
  printf '3 1 1 %s\n' "$ee" | case_zone single.test "$mx" >"$dir/zones/single.zone"
  printf '3 1 1 %s\n' "$wrong" | case_zone nomatch.test "$mx" >"$dir/zones/nomatch.zone"
  printf '1 1 1 %s\n' "$ee" | case_zone usage1.test "$mx" >"$dir/zones/usage1.zone"
  # 31 octets: a SHA-256 (matching type 1) one octet short.
  printf '3 1 1 %s\n' "${ee:0:62}" | case_zone truncated.test "$mx" >"$dir/zones/truncated.zone"
  printf '3 1 1 %s\n' "$ee" | case_zone insecure.test "$mx" >"$dir/zones/insecure.zone"
  printf '3 1 1 %s\n' "$ee" | case_zone bogus.test "$mx" >"$dir/zones/bogus.zone"
  printf '3 1 1 %s\n' "$ee" | case_zone nostarttls.test "$mx_plain" >"$dir/zones/nostarttls.zone"
  case_zone plain.test "$mx" </dev/null >"$dir/zones/plain.zone"
  # The TLSA names of these two live in zones cut below the MX host's name.
  { case_zone temperror.test "$mx" </dev/null
    printf '_tcp.mx.temperror.test. 300 IN NS dead.test.\n'
  } >"$dir/zones/temperror.zone"
  { case_zone bogustlsa.test "$mx" </dev/null
    printf '_tcp.mx.bogustlsa.test. 300 IN NS ns.test.\n'
  } >"$dir/zones/bogustlsa.zone"
  { head_of _tcp.mx.bogustlsa.test.
    printf '_25._tcp.mx.bogustlsa.test. 300 IN TLSA 3 1 1 %s\n' "$ee"
  } >"$dir/zones/bogustlsa-tcp.zone"

  # Signed bottom-up: each parent publishes its children's DS. insecure.test is not
  # signed and gets no DS; the temperror.test cut has none either (nothing answers there).
  ds=$(sign "$dir" _tcp.mx.bogustlsa.test. bogustlsa-tcp --expired)
  printf '%s\n' "$ds" >>"$dir/zones/bogustlsa.zone"
  test_ds=
  for name in secure single nomatch usage1 truncated bogus nostarttls temperror plain bogustlsa; do
    if [ "$name" = bogus ]; then
      test_ds+=$(sign "$dir" "$name.test." "$name" --expired)$'\n'
    else
      test_ds+=$(sign "$dir" "$name.test." "$name")$'\n'
    fi
    signed+=("$name.test.:$dir/zones/$name.signed")
  done
  signed+=("_tcp.mx.bogustlsa.test.:$dir/zones/bogustlsa-tcp.signed")
  signed+=("insecure.test.:$dir/zones/insecure.zone")

  { head_of test.
    printf 'ns.test. 300 IN A %s\n' "$auth"
    printf 'dead.test. 300 IN A %s\n' "$dead"
    for name in secure single nomatch usage1 truncated insecure bogus nostarttls temperror plain bogustlsa; do
      printf '%s.test. 300 IN NS ns.test.\n' "$name"
    done
    printf '%s' "$test_ds"
  } >"$dir/zones/test.zone"
  ds=$(sign "$dir" test. test)
  signed+=("test.:$dir/zones/test.signed")

  { head_of .
    printf 'test. 300 IN NS ns.test.\n'
    printf 'ns.test. 300 IN A %s\n' "$auth"
    printf '%s\n' "$ds"
  } >"$dir/zones/root.zone"
  root_ds=$(sign "$dir" . root)
  signed+=(".:$dir/zones/root.signed")
  printf '%s\n' "$root_ds" >"$dir/root.ds"

  nsd_conf "$dir" "$auth"
  for zone in "${signed[@]}"; do
    printf 'zone:\n  name: "%s"\n  zonefile: "%s"\n' "${zone%%:*}" "${zone#*:}" >>"$dir/nsd.conf"
  done
  nsd -d -c "$dir/nsd.conf" 2>>"$dir/nsd.log" &
  echo $! >"$dir/nsd.pid"
  wait_answers "$auth" "$dir/nsd.log"

  # Two resolvers, alike but for validation.
  for kind in validating plain; do
    local addr=$resolver conf=$dir/unbound.conf pid=$dir/unbound.pid log=$dir/unbound.log
    local modules='"validator iterator"' anchor="trust-anchor-file: \"$dir/root.ds\""
    if [ $kind = plain ]; then
      addr=$plain_resolver conf=$dir/unbound-plain.conf pid=$dir/unbound-plain.pid
      log=$dir/unbound-plain.log modules='"iterator"' anchor=
    fi
    cat >"$conf" <<CONF
server:
  interface: $addr@53
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  # The authoritative side lives on loopback too.
  do-not-query-localhost: no
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: "$pid.unused"
  logfile: "$log"
  use-syslog: no
  verbosity: 1
  num-threads: 1
  module-config: $modules
  $anchor
  # Why an answer is bogus, in the log.
  val-log-level: 2
  qname-minimisation: no
  # unbound answers test. itself by default (RFC 6761 §6.2); here it is the world's.
  local-zone: "test." nodefault
  # Nothing listens at the temperror case's name server: give up on it within seconds
  # (by default unbound backs off up to two minutes), so its questions end in SERVFAIL.
  infra-cache-max-rtt: 1000
stub-zone:
  name: "."
  stub-addr: $auth@53
remote-control:
  control-enable: no
CONF
    unbound-checkconf "$conf" >/dev/null
    unbound -d -c "$conf" 2>>"$log" &
    echo $! >"$pid"
    wait_answers "$addr" "$log"
  done

  cat >"$dir/world.env" <<ENV
WORLD_DIR=$dir
WORLD_AUTH=$auth:53
WORLD_RESOLVER=$resolver:53
WORLD_PLAIN_RESOLVER=$plain_resolver:53
WORLD_MX=$mx
WORLD_MX_PLAIN=$mx_plain
WORLD_SMTP_PORT=$smtp_port
WORLD_DEAD_NS=$dead
WORLD_CA=$dir/ca/ca.pem
WORLD_EE_SPKI_SHA256=$ee
WORLD_CA_SPKI_SHA256=$ca
WORLD_WRONG_SHA256=$wrong
ENV
  trap - EXIT
}

case "${1:-}" in
  up) [ $# -eq 2 ] || usage; up "$2" ;;
  down) [ $# -eq 2 ] || usage; down "$2" ;;
  *) usage ;;
esac
