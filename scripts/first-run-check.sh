#!/usr/bin/env bash
# The README's first command on what stands for a fresh machine: read from README.md,
# checked to be `cargo run --release -- scan domain-lists/jp-financial-banks.txt`, and run
# as written from the repository root, twice, each inside a network namespace that has only
# loopback (so no packet can leave the machine) and a mount namespace whose
# /etc/resolv.conf is replaced:
#   served       the resolver is the world of scripts/world.sh serving the list's names
#                (world.sh up --list): exit 0, one record per listed domain, none of
#                them temperror;
#   unreachable  the resolver is 10.255.255.53, which only loopback cannot reach (each
#                send fails at once with "Network is unreachable"): exit 1, stderr
#                starts with "all N domains temperror", the resolver's address and
#                the cause, and the scan directory
#                still holds one record per listed domain, each of them temperror.
# "One record per listed domain" is counted here, not by the scanner: the list's lines
# without `#` comments and blank lines, lower-cased, without a trailing dot, once each.
#
#   scripts/first-run-check.sh
#
# Run as root (namespaces, port 53); installs nsd, unbound and iproute2 with apt-get when
# missing. Builds the release binaries first, outside the namespaces; the scan directories
# the runs write under reports/scans/ are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

expected='cargo run --release -- scan domain-lists/jp-financial-banks.txt'
unreachable=10.255.255.53

# inside MODE: the body of one run, in its namespaces (see the end of this file).
inside() {
  local mode=$1 resolv target status
  ip link set lo up
  resolv=$work/resolv.conf
  case "$mode" in
    served) echo "nameserver ${WORLD_NET:-127.0.3}.3" >"$resolv" ;;
    unreachable) echo "nameserver $unreachable" >"$resolv" ;;
  esac
  # A symlink (systemd-resolved, resolvconf) is replaced where it points.
  target=$(readlink -f /etc/resolv.conf)
  [ -f "$target" ] || { echo "/etc/resolv.conf leads to no file ($target)" >&2; return 1; }
  mount --bind "$resolv" "$target"
  if [ "$mode" = served ]; then
    # The world's servers live in this namespace and must not outlive it.
    trap '"$root/scripts/world.sh" down "$work/world"' EXIT
    "$root/scripts/world.sh" up "$work/world" --list "$list" --delay-ms 0 >/dev/null
  fi
  set +e
  bash -c "$command" >"$work/$mode.out" 2>"$work/$mode.err"
  status=$?
  set -e
  echo "$status" >"$work/$mode.status"
}

if [ "${1:-}" = --inside ]; then
  command=$2 list=$3 work=$5
  inside "$4"
  exit
fi

# The first line of the README's first ```sh block, which must be the expected command
# (a trailing comment apart): README and this check cannot drift apart.
line=$(awk '/^```sh[[:space:]]*$/ { block = 1; next } block { print; exit }' README.md)
command=$(printf '%s' "$line" | sed 's/[[:space:]]*#.*$//')
if [ "$command" != "$expected" ]; then
  echo "README's first command is '$command', expected '$expected'" >&2
  exit 1
fi
list=$(printf '%s' "$command" | awk '{ print $NF }')
scans=reports/scans/$(basename "$list" .txt)

[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces, port 53)" >&2; exit 1; }
missing=()
command -v nsd >/dev/null || missing+=(nsd)
command -v unbound >/dev/null || missing+=(unbound)
command -v ip >/dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
  install || { apt-get update -q >/dev/null && install; }
fi

# Everything is built out here; inside, `cargo run` finds the binary up to date.
cargo build --release --locked --quiet -p mailposture -p mailposture-bench

work=$(mktemp -d)
mkdir -p "$scans"
ls "$scans" | sort >"$work/before"
cleanup() {
  local dir
  # Only the scan directories these runs made: reports/scans/ is ignored by git and may
  # hold a user's scans.
  ls "$scans" 2>/dev/null | sort | comm -13 "$work/before" - | while read -r dir; do
    rm -rf "${scans:?}/$dir"
  done
  rmdir "$scans" reports/scans 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The listed domains, counted apart from the scanner.
sed 's/#.*//' "$list" | tr -d '\r' | awk 'NF == 1 { print tolower($1) }' | sed 's/\.$//' |
  sort -u >"$work/listed"
listed=$(wc -l <"$work/listed")

failed=0
bad=0
fail() { echo "first run ($1): $2" >&2; bad=1; failed=1; }

# check MODE: the run's exit status, stderr and scan directory.
check() {
  local mode=$1 status dir results records first
  bad=0
  status=$(cat "$work/$mode.status")
  # The directory that is new since the previous run.
  dir=$(ls "$scans" | sort | comm -13 "$work/seen" - | tail -n 1)
  ls "$scans" | sort >"$work/seen"
  echo "first run ($mode): exit $status, scan directory ${dir:-none}" >&2
  case "$mode" in
    served) [ "$status" = 0 ] || fail "$mode" "exit status $status, expected 0" ;;
    unreachable)
      [ "$status" = 1 ] || fail "$mode" "exit status $status, expected 1"
      # Said first, in words: every domain, the resolver and the cause. (cargo's own
      # status lines, "Finished …" and "Running …", come before the scanner's.)
      first=$(grep -Ev '^ +(Finished|Running|Compiling|Blocking) ' "$work/$mode.err" | head -n 1)
      printf '%s\n' "$first" | grep -q "^error: all $listed domains temperror, nothing was measured" ||
        fail "$mode" "stderr does not start by saying that all $listed domains ended in temperror"
      printf '%s\n' "$first" | grep -qF "resolver $unreachable:53" ||
        fail "$mode" "stderr's first line does not name the resolver $unreachable"
      printf '%s\n' "$first" | grep -q "Network is unreachable" ||
        fail "$mode" "stderr's first line does not give the cause"
      ;;
  esac
  results=$scans/$dir/results.jsonl
  if [ -z "$dir" ] || [ ! -f "$results" ]; then
    fail "$mode" "no results.jsonl in a new directory under $scans"
  else
    records=$(wc -l <"$results")
    [ "$records" = "$listed" ] || fail "$mode" "$records records for $listed listed domains"
    python3 - "$results" "$work/listed" "$mode" <<'PY' || fail "$mode" "records do not match the list"
import json, sys
results, listed, mode = sys.argv[1:]
names = [line.strip() for line in open(listed)]
records = [json.loads(line) for line in open(results)]
domains = sorted(r["domain"] for r in records)
ok = True
if domains != sorted(names):
    print(f"  domains differ: missing {sorted(set(names) - set(domains))[:5]}, "
          f"unlisted {sorted(set(domains) - set(names))[:5]}", file=sys.stderr)
    ok = False
temp = [r["domain"] for r in records
        if "temperror" in (r["spf"]["status"], r["dmarc"]["status"], r["mx"]["status"])]
if mode == "served" and temp:
    print(f"  {len(temp)} temperror records, e.g. {temp[:5]}", file=sys.stderr)
    ok = False
if mode == "unreachable" and len(temp) != len(records):
    print(f"  {len(records) - len(temp)} records without temperror", file=sys.stderr)
    ok = False
sys.exit(0 if ok else 1)
PY
  fi
  if [ "$bad" = 1 ]; then
    echo "--- stdout" >&2; tail -n 30 "$work/$mode.out" >&2
    echo "--- stderr" >&2; tail -n 30 "$work/$mode.err" >&2
  fi
}

cp "$work/before" "$work/seen"
for mode in served unreachable; do
  # Scan directories are named to the second: two runs within one would collide.
  sleep 1
  start=$(date +%s)
  if unshare --net --mount --propagation private -- \
    "$root/scripts/first-run-check.sh" --inside "$command" "$list" "$mode" "$work"; then
    check "$mode"
  else
    fail "$mode" "the run could not be set up (namespaces, resolv.conf or the world)"
  fi
  echo "first run ($mode): $(( $(date +%s) - start )) s" >&2
done
[ "$failed" = 0 ] && echo "first run: the README's command, verbatim: served and unreachable as expected" >&2
exit "$failed"
