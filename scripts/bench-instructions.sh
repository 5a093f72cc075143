#!/usr/bin/env bash
# User-space instructions the scanner executes per domain, counted by valgrind
# (cachegrind without cache simulation), for each DNS transport: a figure that, unlike CPU
# time, does not move with the machine's other load, so small changes can be compared.
#
#   scripts/bench-instructions.sh [--domains N] [--rev REV]
#
# Starts the world of scripts/world.sh with N domains (default 2000), scans it once to
# warm unbound, then counts the instructions of a scan of all N domains and of a scan of
# one domain (start-up: argument parsing, the Public Suffix List, sockets), and prints
# (all - one) / (N - 1) per transport, with start-up apart. STARTTLS is off. The kernel's
# work (system calls, the loopback network) is not counted; scripts/bench.sh measures CPU
# time. --rev builds and measures that revision (in a temporary git worktree) instead
# of the working tree. The scanner is the profiling build (Cargo.toml's [profile.profiling]:
# release code with line tables, for cg_annotate; target/profiling/mailposture), or the
# release build of a --rev that has no such profile. Run as root; installs valgrind, nsd
# and unbound when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

domains=2000
rev=
while [ $# -gt 0 ]; do
  case "$1" in
    --domains) domains=$2; shift 2 ;;
    --rev) rev=$2; shift 2 ;;
    *) sed -n '2,18p' "$0" >&2; exit 2 ;;
  esac
done
[ "$domains" -ge 2 ] || { echo "--domains must be at least 2" >&2; exit 2; }

command -v valgrind >/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind >/dev/null
tree=
if [ -n "$rev" ]; then
  # Outside the repository: inside it, cargo would take the revision for a member of
  # this workspace.
  tree=$(mktemp -d)/rev
  git worktree add --detach "$tree" "$rev" >/dev/null
  profile=release
  if grep -q '^\[profile\.profiling\]' "$tree/Cargo.toml"; then profile=profiling; fi
  (cd "$tree" && CARGO_TARGET_DIR=$root/target/bench-rev-target \
    cargo build --profile "$profile" --quiet --bin mailposture)
  bin=$root/target/bench-rev-target/$profile/mailposture
else
  cargo build --profile profiling --quiet --bin mailposture
  bin=$root/target/profiling/mailposture
fi
# The world's relay.
cargo build --release --quiet -p mailposture-bench --bin dns-delay-relay

work=$(mktemp -d)
world=$work/world
cleanup() {
  "$root/scripts/world.sh" down "$world" || true
  [ -z "$tree" ] || git -C "$root" worktree remove --force "$tree" || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$root/scripts/world.sh" up "$world" --domains "$domains" --delay-ms 0 </dev/null >/dev/null
# shellcheck disable=SC1091
. "$world/world.env"
head -n 1 "$world/list.txt" >"$work/one.txt"

# instructions TRANSPORT LIST: the scan's user-space instructions, all threads.
instructions() {
  rm -rf "$work/out"
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$work/cg.out" \
    "$bin" scan "$2" --resolver "$WORLD_RESOLVER:53" --transport "$1" \
    --no-starttls --quiet --out "$work/out" >/dev/null 2>"$work/valgrind.err" ||
    { tail -5 "$work/valgrind.err" >&2; exit 1; }
  grep -E '^(summary|events):' "$work/cg.out" | awk '/^summary:/ { print $2 }'
}

label=$(git rev-parse --short "${rev:-HEAD}")
[ -n "$rev" ] || [ -z "$(git status --porcelain --untracked-files=no)" ] || label="$label+changes"
echo "user-space instructions per domain, $domains domains, unbound warm, $label"
for transport in bulk standard; do
  rm -rf "$work/out"
  "$bin" scan "$world/list.txt" --resolver "$WORLD_RESOLVER:53" --transport "$transport" \
    --no-starttls --quiet --out "$work/out" >/dev/null 2>&1
  all=$(instructions "$transport" "$world/list.txt")
  one=$(instructions "$transport" "$work/one.txt")
  awk -v t="$transport" -v all="$all" -v one="$one" -v n="$domains" 'BEGIN {
    printf "%-9s %7.1fk per domain   start-up %6.1fM\n", t, (all - one) / (n - 1) / 1000, one / 1e6
  }'
done
