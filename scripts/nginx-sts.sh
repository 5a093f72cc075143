#!/usr/bin/env bash
# A real web server on a loopback address serving MTA-STS policies (RFC 8461 §3.3), for
# the MTA-STS end-to-end test and the benchmark world.
#
#   scripts/nginx-sts.sh up DIR ADDR PORT NAME POLICY CA_DIR
#                          start nginx on ADDR:PORT serving POLICY at
#                          https://NAME/.well-known/mta-sts.txt (text/plain), with a
#                          certificate for NAME signed by the CA in CA_DIR (ca.pem,
#                          ca-key.pem; made there when absent: the PEM a scan is given
#                          as --ca-file); prints nothing else.
#                          NAME may be @FILE: the names of FILE, one a line, 500 to a
#                          certificate; POLICY may then be a directory holding one
#                          policy file per name (POLICY/NAME). A name without a policy
#                          gets 404.
#   scripts/nginx-sts.sh down DIR
#                          stop it and remove DIR
#
# Everything lives in DIR (configuration, policies, keys, pid, logs); the system's own
# nginx configuration is not read. Needs nginx and openssl (apt-get install nginx
# openssl) and root (it runs as root, so that its workers read DIR whatever its mode).
set -euo pipefail

usage() { sed -n '2,19p' "$0" >&2; exit 2; }

# ca CA_DIR: a test CA in CA_DIR, made when absent (shared with scripts/postfix-mx.sh).
ca() {
  local ca_dir=$1
  mkdir -p "$ca_dir"
  [ -f "$ca_dir/ca.pem" ] && [ -f "$ca_dir/ca-key.pem" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=mailposture test CA" \
    -keyout "$ca_dir/ca-key.pem" -out "$ca_dir/ca.pem" 2>/dev/null
}

up() {
  local dir=$1 addr=$2 port=$3 name=$4 policy=$5 ca_dir=$6 names=() n
  command -v nginx >/dev/null || { echo "needs nginx: apt-get install nginx" >&2; exit 1; }
  if [[ $name == @* ]]; then
    mapfile -t names < <(grep -v '^[[:space:]]*$' "${name#@}")
  else
    names=("$name")
  fi
  [ ${#names[@]} -gt 0 ] || { echo "no names to serve" >&2; exit 1; }
  mkdir -p "$dir/policies" "$dir/tmp"
  dir=$(cd "$dir" && pwd)
  ca "$ca_dir"
  ca_dir=$(cd "$ca_dir" && pwd)

  # The policies by host name: nginx picks the file by the request's Host.
  if [ -d "$policy" ]; then
    (cd "$policy" && printf '%s\n' "${names[@]}" | while read -r n; do
      [ ! -f "$n" ] || printf '%s\0' "$n"; done | xargs -0 -r cp -t "$dir/policies/")
  else
    cp "$policy" "$dir/policy.txt"
    (cd "$dir/policies" && printf '%s\0' "${names[@]}" | xargs -0 ln -s ../policy.txt)
  fi

  # A wildcard cannot cover mta-sts.<domain> for many domains: certificates whose
  # subjectAltName lists the names, 500 to one (a certificate of thousands of names
  # outgrows what TLS clients take in one handshake message), each in a server block
  # that nginx picks by the client's SNI.
  local chunk=500 i k servers=""
  for ((i = 0, k = 0; i < ${#names[@]}; i += chunk, k++)); do
    local part=("${names[@]:i:chunk}")
    openssl req -newkey rsa:2048 -nodes -subj "/CN=${part[0]}" \
      -keyout "$dir/key-$k.pem" -out "$dir/req-$k.pem" 2>/dev/null
    {
      printf 'subjectAltName='
      printf 'DNS:%s,' "${part[@]}" | sed 's/,$//'
      printf '\nextendedKeyUsage=serverAuth\n'
    } >"$dir/ext-$k.cnf"
    openssl x509 -req -in "$dir/req-$k.pem" -CA "$ca_dir/ca.pem" -CAkey "$ca_dir/ca-key.pem" \
      -CAcreateserial -days 365 -extfile "$dir/ext-$k.cnf" -out "$dir/cert-$k.pem" 2>/dev/null
    cat "$dir/cert-$k.pem" "$ca_dir/ca.pem" >"$dir/chain-$k.pem"
    local default=""
    [ "$k" != 0 ] || default=" default_server"
    servers+="
  server {
    listen $addr:$port ssl$default;
    server_name ${part[*]};
    ssl_certificate $dir/chain-$k.pem;
    ssl_certificate_key $dir/key-$k.pem;
    include $dir/site.conf;
  }"
  done

  cat >"$dir/site.conf" <<CONF
ssl_protocols TLSv1.2 TLSv1.3;
# RFC 8461 §3.3: the policy is text/plain at this one path; nothing else is served.
location = /.well-known/mta-sts.txt {
  types { }
  default_type text/plain;
  alias $dir/policies/\$host;
}
location / { return 404; }
CONF
  cat >"$dir/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  # Room for hundreds of long names per server block.
  server_names_hash_max_size 65536;
  server_names_hash_bucket_size 128;
$servers
}
CONF
  nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" ||
    { tail -5 "$dir/error.log" >&2; exit 1; }

  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "nginx did not start listening on $addr:$port; see $dir/error.log" >&2
  exit 1
}

down() {
  local dir=$1 pid
  if [ -f "$dir/nginx.pid" ]; then
    pid=$(cat "$dir/nginx.pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  up) [ $# -eq 7 ] || usage; up "$2" "$3" "$4" "$5" "$6" "$7" ;;
  down) [ $# -eq 2 ] || usage; down "$2" ;;
  *) usage ;;
esac
