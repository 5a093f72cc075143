# Shell functions the test worlds share (scripts/world.sh, scripts/dnssec-world.sh):
# NSD's server configuration, waiting for a DNS server to answer, and stopping a server
# by its pid file.

# Sends one DNS question (NS of the root) over UDP to $1 port 53 and says whether an
# answer came.
answers() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.3)
try:
    s.sendto(bytes.fromhex("123401000001000000000000" "0000020001"), (sys.argv[1], 53))
    sys.exit(0 if len(s.recv(4096)) >= 12 else 1)
except OSError:
    sys.exit(1)
PY
}

# Waits up to 10 s for $1 to answer; when it does not, prints the end of its log $2 (a
# log may be removed with its world when `up` cleans up).
wait_answers() {
  for _ in $(seq 50); do answers "$1" && return 0; sleep 0.2; done
  echo "no DNS answer from $1; the end of $2:" >&2
  tail -5 "$2" >&2
  return 1
}

# Stops the process whose pid file is $1 (TERM, then KILL after 5 s) and removes the file.
stop_pid() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

# Writes NSD's configuration for a world in $1 serving on $2 port 53, without zones (the
# caller appends its `zone:` blocks): everything NSD keeps lives in $1.
nsd_conf() {
  cat >"$1/nsd.conf" <<CONF
server:
  ip-address: $2@53
  database: ""
  pidfile: "$1/nsd.pid.unused"
  xfrdfile: "$1/xfrd.state"
  zonelistfile: "$1/zone.list"
  username: ""
  logfile: "$1/nsd.log"
  server-count: 1
  hide-version: yes
  # Response rate limiting (on by default) would drop or truncate the many similar
  # answers a resolver on one address gets.
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
CONF
}
