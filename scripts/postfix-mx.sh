#!/usr/bin/env bash
# A real MTA with STARTTLS on a loopback address, for the end-to-end STARTTLS test.
#
#   scripts/postfix-mx.sh up DIR ADDR PORT NAME [CA_DIR] [--no-starttls]
#                                                 start postfix on ADDR:PORT as NAME, with
#                                                 a certificate for NAME signed by a CA made
#                                                 here (DIR/ca.pem), or by the CA in CA_DIR
#                                                 (ca.pem, ca-key.pem; made there when
#                                                 absent, as scripts/nginx-sts.sh does);
#                                                 --no-starttls: an MX that does not offer
#                                                 STARTTLS; prints nothing else
#   scripts/postfix-mx.sh down DIR                stop it and remove DIR
#
# Everything lives in DIR (configuration, queue, keys, log); the system's own postfix
# configuration is not touched. Needs postfix and openssl (apt-get install postfix
# openssl) and root, as postfix does.
set -euo pipefail

usage() { sed -n '2,17p' "$0" >&2; exit 2; }

up() {
  local dir=$1 addr=$2 port=$3 name=$4 ca_dir=${5:-} tls=may
  if [ "${*: -1}" = --no-starttls ]; then
    tls=none
    [ "$ca_dir" != --no-starttls ] || ca_dir=
  fi
  command -v postfix >/dev/null || { echo "needs postfix: apt-get install postfix" >&2; exit 1; }
  mkdir -p "$dir/conf" "$dir/queue" "$dir/data"
  dir=$(cd "$dir" && pwd)

  # A CA and a certificate for NAME, valid for a year: what the test trusts and checks.
  # With CA_DIR, the CA is one other servers of the test share.
  if [ -z "$ca_dir" ]; then
    ca_dir=$dir
  else
    mkdir -p "$ca_dir"
    ca_dir=$(cd "$ca_dir" && pwd)
  fi
  if [ ! -f "$ca_dir/ca.pem" ] || [ ! -f "$ca_dir/ca-key.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=mailposture test CA" \
      -keyout "$ca_dir/ca-key.pem" -out "$ca_dir/ca.pem" 2>/dev/null
  fi
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" \
    -keyout "$dir/key.pem" -out "$dir/req.pem" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$name" >"$dir/ext.cnf"
  openssl x509 -req -in "$dir/req.pem" -CA "$ca_dir/ca.pem" -CAkey "$ca_dir/ca-key.pem" \
    -CAcreateserial -days 365 -extfile "$dir/ext.cnf" -out "$dir/cert.pem" 2>/dev/null
  cat "$dir/cert.pem" "$ca_dir/ca.pem" >"$dir/chain.pem"

  cat >"$dir/conf/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
myhostname = $name
mydestination =
relay_domains =
# Postfix checks inet_interfaces against the interfaces' configured addresses, and lo
# has only 127.0.0.1 configured; the listener below names its own address instead.
inet_interfaces = loopback-only
inet_protocols = ipv4
smtpd_banner = \$myhostname ESMTP
smtpd_tls_chain_files = $dir/key.pem, $dir/chain.pem
smtpd_tls_security_level = $tls
smtpd_relay_restrictions = reject
CONF
  # The stock services, none chrooted (the queue directory holds no chroot set-up),
  # with the SMTP listener moved to PORT.
  awk -v listen="$addr:$port" '
    /^smtp[ \t]+inet/ { print listen "  inet  n       -       n       -       -       smtpd"; next }
    /^[a-z]/ && NF >= 8 { $5 = "n" }
    { print }' /etc/postfix/master.cf >"$dir/conf/master.cf"
  # Postfix's daemons run as the postfix user: they must reach and own their files.
  chmod 755 "$dir" "$dir/conf"
  chown postfix "$dir/data"
  chmod 644 "$dir/key.pem"
  postfix -c "$dir/conf" check >/dev/null 2>&1 || true
  postfix -c "$dir/conf" start >/dev/null 2>&1 || { tail -5 "$dir/maillog" >&2; exit 1; }

  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "postfix did not start listening on $addr:$port; see $dir/maillog" >&2
  exit 1
}

down() {
  local dir=$1
  [ -d "$dir/conf" ] && postfix -c "$dir/conf" stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  up)
    [ $# -ge 5 ] && [ $# -le 7 ] || usage
    [ $# -lt 7 ] || [ "$7" = --no-starttls ] || usage
    up "${@:2}"
    ;;
  down) [ $# -eq 2 ] || usage; down "$2" ;;
  *) usage ;;
esac
