#!/usr/bin/env bash
# Signs one zone of a test world with ldns (apt-get install ldnsutils).
#
#   scripts/dnssec-sign.sh ORIGIN ZONEFILE OUT [--expired]
#        makes a key-signing and a zone-signing key (ECDSA P-256 with SHA-256, algorithm
#        13) in OUT.keys/, writes the signed zone to OUT and prints the DS record of the
#        key-signing key (digest type 2, SHA-256) for the parent zone. --expired signs
#        with signatures whose validity ended before today: a validating resolver finds
#        the zone bogus.
set -euo pipefail

usage() { sed -n '2,10p' "$0" >&2; exit 2; }
[ $# -ge 3 ] || usage
origin=$1 zone=$2 out=$3 expired=${4:-}
command -v ldns-signzone >/dev/null || { echo "needs ldns-signzone: apt-get install ldnsutils" >&2; exit 1; }

keys=$out.keys
rm -rf "$keys"
mkdir -p "$keys"
zone=$(cd "$(dirname "$zone")" && pwd)/$(basename "$zone")
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
cd "$keys"
ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$origin")
zsk=$(ldns-keygen -a ECDSAP256SHA256 "$origin")
window=()
if [ "$expired" = --expired ]; then
  # Valid for a day, ten days ago.
  window=(-i "$(date -u -d '11 days ago' +%Y%m%d%H%M%S)" -e "$(date -u -d '10 days ago' +%Y%m%d%H%M%S)")
elif [ -n "$expired" ]; then
  usage
fi
ldns-signzone "${window[@]}" -o "$origin" -f "$out" "$zone" "$zsk" "$ksk"
ldns-key2ds -n -2 "$ksk.key"
