#!/usr/bin/env python3
"""A synthetic mail internet of N sender domains, as NSD zone files.

    world-gen.py [DEAD OPTIONS] [--signed] [--dkim-share S] N DIR AUTH_ADDR MX_NET
    world-gen.py [DEAD OPTIONS] [--signed] [--dkim-share S] --list FILE DIR AUTH_ADDR MX_NET

    DEAD OPTIONS: [--silent-share S] [--servfail-share S] [--refused-share S]
                  [--dead-net NET]

N domains get generated names (d<i>-<hex>.<tld>); with --list, the domains are instead the
names of a domain list (domain-lists/ format: one a line, `#` comments, blank lines; taken
lower-case, without a trailing dot, once each), so that the list itself can be scanned
against this world. Either way every domain gets the mix below.

Writes into DIR:
  zones/<zone>.zone  the root zone and com., net., org., jp. (and any other top-level
                     domain a --list names), delegated from it, all served by one
                     authoritative server whose name servers resolve to AUTH_ADDR (the
                     address resolvers must use: the delay relay)
  zones.conf         the NSD `zone:` clauses for them
  list.txt           the domains to scan, one a line (about 1% do not exist)
  expected.jsonl     per domain what a correct scanner finds: SPF status, first error,
                     lookup count, DMARC policy, kind of MX; a dead domain's record (see
                     below) also has "dead": "silent", "servfail" or "refused"
  dead-servers.txt   with dead domains: one line per kind, "KIND ADDR...", the addresses
                     scripts/dead-ns.py must serve in that mode

  sts-names.txt      the MTA-STS policy hosts (mta-sts.<domain>) of the domains that
                     publish a policy, one a line (dead domains left out)
  policies/<host>    each such host's policy file (RFC 8461 §3.2), to be served at
                     https://<host>/.well-known/mta-sts.txt (scripts/nginx-sts.sh)

Every MX host and address-looking target is in MX_NET (a /24 on loopback, e.g. 127.0.4):
.1 Google-like, .2 Microsoft-like, .3 the ISP, .4 the ESP, .5 the MTA-STS policy web
server, .10-.250 self-hosted. The mix is drawn from a seeded generator: the same N always
gives the same world.

The mix (shares of the list):
  SPF   12% none; 35% Google-like tree (4 lookups); 15% Microsoft-like (2); 10% ISP (3);
        8% ESP (5); 6% Google + ESP (9); 5% own a/mx/ip4 (2); 1.5% redirect to Google (4);
        and 1.5% each of the permerrors: dangling include:spf.po.2iij.net, more than 10
        lookups (14), two records, syntax, three void lookups
  DMARC 40%: p=none 28%, quarantine 6%, reject 5%, invalid 1%; a quarter of them send
        aggregate reports to a third party that authorises them
  MX    35% Google-like, 15% Microsoft-like (a per-domain host under a wildcard), 10% ISP,
        5% ESP, 20% self-hosted, 10% none, 2% null MX, 3% dangling (host does not exist)

MTA-STS and TLS-RPT (RFC 8461, RFC 8460), drawn from a generator of their own after the
mix above, so that the rest of the world is the same as without them:
  MTA-STS  5% of the list (exactly, rounded), among the domains whose MX is a provider's
        or self-hosted: _mta-sts TXT and mta-sts.<domain> A on MX_NET.5, whose policy lists
        the domain's MX hosts (mode enforce 80%, testing 15%), or an old host name that
        matches none of them (enforce, 5%: senders that enforce would refuse the mail)
  TLS-RPT  3% of the list: _smtp._tls TXT, two thirds of them on MTA-STS domains (mailto
        to the domain itself, a quarter https to the ESP)
expected.jsonl says for each domain "mta_sts": null or {"mode", "mx_match"} and
"tls_rpt": true or false.

Dead delegations (lame ones, as real lists hold many): --silent-share, --servfail-share
and --refused-share (fractions, default 0) pick that share of the domains (rounded to a
whole number), drawn from a generator of their own, so the other domains, their names and their records are the same
as without the options. A dead domain's records are not served; its parent zone instead
delegates it to ns1.<domain> and ns2.<domain>, with glue addresses in DEAD_NET (default
127.0.5) where scripts/dead-ns.py never answers (silent: .1-.100), answers SERVFAIL
(.101-.125) or REFUSED (.126-.150); the domains of a kind share its addresses in turn.
Every part of a dead domain is expected temperror ("exists" null: nothing says).

DANE (RFC 7672), with --signed only (the zones are then signed by scripts/world.sh; this
script writes them unsigned either way): 3% of the list (exactly, rounded), among the
healthy domains with a self-hosted MX, drawn from a generator of their own after
everything above, publish a TLSA record for their MX host, _25._tcp.mx.<domain> TLSA
3 1 1 <32 random octets in hex> (DANE-EE, public key, SHA-256), which no server's key
matches. expected.jsonl then says "tlsa": true or false for every domain (dead ones
false). Without --signed the world is the same as before the option existed, byte for
byte.

DKIM, with --dkim-share S (a fraction, default 0): that share of the healthy domains
(rounded), drawn from a generator of their own after everything above, publish DKIM key
records: every one `selector1._domainkey.<domain>` (Microsoft 365's name), and every
second one `google._domainkey.<domain>` too, each an RSA-2048 public key (one key for
all: what is measured is the questions, not the keys). expected.jsonl then says "dkim":
the selectors published. With 0 the world is the same as before the option existed.
"""

import argparse
import json
import os
import random
import sys

ap = argparse.ArgumentParser(usage=__doc__.split("\n\n")[1])
group = ap.add_mutually_exclusive_group(required=True)
group.add_argument("n", nargs="?", type=int)
group.add_argument("--list", metavar="FILE")
ap.add_argument("out")
ap.add_argument("auth")
ap.add_argument("mxnet")
ap.add_argument("--silent-share", type=float, default=0.0)
ap.add_argument("--servfail-share", type=float, default=0.0)
ap.add_argument("--refused-share", type=float, default=0.0)
ap.add_argument("--dead-net", default="127.0.5")
ap.add_argument("--signed", action="store_true")
ap.add_argument("--dkim-share", type=float, default=0.0)
args = ap.parse_args()
out, auth, mxnet = args.out, args.auth, args.mxnet
DEAD_SHARES = (("silent", args.silent_share), ("servfail", args.servfail_share),
               ("refused", args.refused_share))
if any(s < 0 for _, s in DEAD_SHARES) or sum(s for _, s in DEAD_SHARES) > 1:
    sys.exit("dead shares are fractions of the list, 1 at most in all")
# The addresses each kind of dead name server listens on (the last octet).
DEAD_POOLS = {"silent": range(1, 101), "servfail": range(101, 126), "refused": range(126, 151)}


def read_list(path):
    """The distinct names of a domain list, in order: comments and blank lines dropped."""
    names, seen = [], set()
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            name = line.split("#", 1)[0].strip().lower().rstrip(".")
            if not name or name in seen:
                continue
            if "." not in name or not name.isascii():
                sys.exit(f"{path}: {name!r}: this world takes ASCII names of two labels or more")
            seen.add(name)
            names.append(name)
    return names


listed = read_list(args.list) if args.list else None
n = len(listed) if listed is not None else args.n
rng = random.Random(20240601 + n)
TLDS = ("com", "net", "org", "jp")
extra = sorted({d.rsplit(".", 1)[1] for d in listed or ()} - set(TLDS))
zones = {z: [] for z in ("",) + TLDS + tuple(extra)}


def zone_of(name):
    """The served zone a fully qualified name (no trailing dot) belongs to."""
    return name.rsplit(".", 1)[-1] if "." in name else name


def rr(name, rtype, data):
    zones[zone_of(name)].append(f"{name}. 300 IN {rtype} {data}")


def txt(name, text):
    # One character-string holds at most 255 bytes: split longer texts.
    parts = " ".join('"' + text[i:i + 255] + '"' for i in range(0, len(text), 255))
    rr(name, "TXT", parts)


# Shared provider trees.
google = "_spf.google.com"
txt(google, "v=spf1 include:_netblocks.google.com include:_netblocks2.google.com "
            "include:_netblocks3.google.com ~all")
txt("_netblocks.google.com", "v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 "
                             "ip4:66.102.0.0/20 ip4:66.249.80.0/20 ip4:72.14.192.0/18 ~all")
txt("_netblocks2.google.com", "v=spf1 ip6:2001:4860:4000::/36 ip6:2404:6800:4000::/36 ~all")
txt("_netblocks3.google.com", "v=spf1 ip4:172.217.0.0/19 ip4:172.217.32.0/20 ~all")
for i, host in enumerate(("aspmx.l.google.com", "alt1.aspmx.l.google.com",
                          "alt2.aspmx.l.google.com")):
    rr(host, "A", f"{mxnet}.1")
microsoft = "spf.protection.outlook.com"
txt(microsoft, "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/14 "
               "include:spfd.protection.outlook.com -all")
txt("spfd.protection.outlook.com", "v=spf1 ip4:51.4.72.0/24 ip4:51.5.72.0/24 -all")
rr("*.mail.protection.outlook.com", "A", f"{mxnet}.2")
isp = "spf.isp.ne.jp"
txt(isp, "v=spf1 include:spf1.isp.ne.jp include:spf2.isp.ne.jp ~all")
txt("spf1.isp.ne.jp", "v=spf1 ip4:203.0.113.0/25 ~all")
txt("spf2.isp.ne.jp", "v=spf1 ip4:203.0.113.128/25 ~all")
rr("mx01.isp.ne.jp", "A", f"{mxnet}.3")
rr("mx02.isp.ne.jp", "A", f"{mxnet}.3")
esp = "spf.esp.net"
txt(esp, "v=spf1 a:s1.esp.net a:s2.esp.net mx include:_ips.esp.net ~all")
txt("_ips.esp.net", "v=spf1 ip4:198.51.100.0/24 ~all")
rr("s1.esp.net", "A", "198.51.100.1")
rr("s2.esp.net", "A", "198.51.100.2")
rr(esp, "MX", "10 mx.esp.net.")
rr("mx.esp.net", "A", f"{mxnet}.4")
# A third-party DMARC report receiver that accepts reports for any domain.
rr("*._report._dmarc.reports.esp.net", "TXT", '"v=DMARC1"')

PERMERRORS = ("dangling_include", "too_many_lookups", "multiple_records", "syntax",
              "too_many_void_lookups")


def pick(weights):
    r = rng.random() * 100
    for key, w in weights:
        r -= w
        if r < 0:
            return key
    return weights[-1][0]


SPF_MIX = [("none", 12), ("google", 35), ("microsoft", 15), ("isp", 10), ("esp", 8),
           ("google_esp", 6), ("own", 5), ("redirect", 1.5)] + [(k, 1.5) for k in PERMERRORS]
DMARC_MIX = [(None, 60), ("none", 28), ("quarantine", 6), ("reject", 5), ("invalid", 1)]
MX_MIX = [("google", 35), ("microsoft", 15), ("isp", 10), ("esp", 5), ("self", 20),
          ("none", 10), ("null", 2), ("dangling", 3)]
TLD_MIX = [("com", 50), ("net", 10), ("org", 10), ("co.jp", 20), ("jp", 10)]

# A listed name that is one of the providers' names would give it two SPF records.
providers = {line.split(". ", 1)[0] for z in zones.values() for line in z}
for d in listed or ():
    if d in providers:
        sys.exit(f"{args.list}: {d} is a name of this world's providers")

listing, expected = [], []
for i in range(n):
    d = listed[i] if listed is not None else f"d{i}-{rng.randrange(36**4):04x}.{pick(TLD_MIX)}"
    listing.append(d)
    if rng.random() < 0.01:
        expected.append({"domain": d, "exists": False, "spf": "none", "spf_error": None,
                         "spf_lookups": 0, "dmarc": None, "mx": "none"})
        continue
    rr(d, "A", f"{mxnet}.{10 + i % 240}")
    kind = pick(SPF_MIX)
    status, error, lookups = "ok", None, None
    if kind == "none":
        status, lookups = "none", 0
    elif kind == "google":
        txt(d, f"v=spf1 include:{google} ~all"); lookups = 4
    elif kind == "microsoft":
        txt(d, f"v=spf1 include:{microsoft} -all"); lookups = 2
    elif kind == "isp":
        txt(d, f"v=spf1 include:{isp} ~all"); lookups = 3
    elif kind == "esp":
        txt(d, f"v=spf1 ip4:192.0.2.{i % 250}/32 include:{esp} -all"); lookups = 5
    elif kind == "google_esp":
        txt(d, f"v=spf1 include:{google} include:{esp} ~all"); lookups = 9
    elif kind == "own":
        txt(d, "v=spf1 a mx ip4:192.0.2.0/28 -all"); lookups = 2
    elif kind == "redirect":
        txt(d, f"v=spf1 redirect={google}"); lookups = 4
    else:
        status, error = "permerror", kind
        if kind == "dangling_include":
            txt(d, "v=spf1 include:spf.po.2iij.net ~all")
        elif kind == "too_many_lookups":
            txt(d, f"v=spf1 include:{google} include:{microsoft} include:{isp} "
                   f"include:{esp} -all")
        elif kind == "multiple_records":
            txt(d, f"v=spf1 include:{google} ~all")
            txt(d, "v=spf1 mx -all")
        elif kind == "syntax":
            txt(d, "v=spf1 ip4:192.0.2.300 includ:_spf.google.com -all")
        else:
            txt(d, f"v=spf1 a:nx1.{d} a:nx2.{d} a:nx3.{d} -all")
    policy = pick(DMARC_MIX)
    if policy == "invalid":
        txt(f"_dmarc.{d}", "v=DMARC1; p=nonee; rua=mailto:dmarc@" + d)
    elif policy:
        rua = "dmarc@reports.esp.net" if rng.random() < 0.25 else f"dmarc@{d}"
        txt(f"_dmarc.{d}", f"v=DMARC1; p={policy}; rua=mailto:{rua}")
    mx = pick(MX_MIX)
    if mx == "google":
        rr(d, "MX", "1 aspmx.l.google.com.")
        rr(d, "MX", "5 alt1.aspmx.l.google.com.")
        rr(d, "MX", "5 alt2.aspmx.l.google.com.")
    elif mx == "microsoft":
        rr(d, "MX", f"0 {d.replace('.', '-')}.mail.protection.outlook.com.")
    elif mx == "isp":
        rr(d, "MX", "10 mx01.isp.ne.jp.")
        rr(d, "MX", "20 mx02.isp.ne.jp.")
    elif mx == "esp":
        rr(d, "MX", "10 mx.esp.net.")
    elif mx == "self":
        rr(d, "MX", f"10 mx.{d}.")
        rr(f"mx.{d}", "A", f"{mxnet}.{10 + i % 240}")
    elif mx == "null":
        rr(d, "MX", "0 .")
    elif mx == "dangling":
        rr(d, "MX", f"10 mail.{d}.")
    expected.append({"domain": d, "exists": True, "spf": status, "spf_error": error,
                     "spf_lookups": lookups, "dmarc": policy, "mx": mx})

# MTA-STS and TLS-RPT: their own generator, so that the rest of the world stays as it is.
STS_SHARE, TLSRPT_SHARE = 0.05, 0.03
STS_WEB = f"{mxnet}.5"
STS_MX = {"google": ["aspmx.l.google.com", "*.aspmx.l.google.com"],
          "microsoft": ["*.mail.protection.outlook.com"], "isp": ["*.isp.ne.jp"],
          "esp": ["mx.esp.net"], "self": ["mx.{d}"]}
sts_rng = random.Random(f"sts-{n}")
mailers = [i for i, e in enumerate(expected) if e["exists"] and e["mx"] in STS_MX]
sts = sorted(sts_rng.sample(mailers, min(len(mailers), round(STS_SHARE * n))))
policies = {}
for i in sts:
    d = listing[i]
    mode, match = {0: ("enforce", True), 1: ("testing", True), 2: ("enforce", False)}[
        0 if (r := sts_rng.random()) < 0.80 else 1 if r < 0.95 else 2]
    patterns = [p.format(d=d) for p in STS_MX[expected[i]["mx"]]] if match else [f"mail.{d}"]
    txt(f"_mta-sts.{d}", f"v=STSv1; id=20240601T{i % 240:06d};")
    rr(f"mta-sts.{d}", "A", STS_WEB)
    policies[f"mta-sts.{d}"] = ("version: STSv1\r\n" f"mode: {mode}\r\n"
                                + "".join(f"mx: {p}\r\n" for p in patterns)
                                + "max_age: 604800\r\n")
    expected[i]["mta_sts"] = {"mode": mode, "mx_match": match}
rpt_count = round(TLSRPT_SHARE * n)
with_sts = sts_rng.sample(sts, min(len(sts), rpt_count * 2 // 3))
sts_set = set(sts)
others = [i for i, e in enumerate(expected) if e["exists"] and i not in sts_set]
rpt = with_sts + sts_rng.sample(others, min(len(others), rpt_count - len(with_sts)))
for i in sorted(rpt):
    d = listing[i]
    rua = "https://reports.esp.net/tlsrpt" if sts_rng.random() < 0.25 else f"mailto:tlsrpt@{d}"
    txt(f"_smtp._tls.{d}", f"v=TLSRPTv1; rua={rua}")
    expected[i]["tls_rpt"] = True
for e in expected:
    e.setdefault("mta_sts", None)
    e.setdefault("tls_rpt", False)

# Dead delegations: their own generator, so that the healthy domains stay as they are.
dead = {}
if any(s for _, s in DEAD_SHARES):
    # Exactly round(share × N) domains of each kind, at random places in the list.
    counts = [(kind, round(share * n)) for kind, share in DEAD_SHARES]
    picked = iter(random.Random(f"dead-{n}").sample(range(n), sum(c for _, c in counts)))
    for kind, count in counts:
        for _ in range(count):
            dead[listing[next(picked)]] = kind
if dead:
    def below_dead(owner):
        labels = owner.split(".")
        return any(".".join(labels[j:]) in dead for j in range(len(labels)))
    for z in zones:
        zones[z] = [line for line in zones[z] if not below_dead(line.split(". ", 1)[0])]
    used = {kind: [] for kind in DEAD_POOLS}
    turn = {kind: 0 for kind in DEAD_POOLS}
    for i, d in enumerate(listing):
        kind = dead.get(d)
        if not kind:
            continue
        pool = DEAD_POOLS[kind]
        for ns in ("ns1", "ns2"):
            addr = f"{args.dead_net}.{pool[turn[kind] % len(pool)]}"
            turn[kind] += 1
            if addr not in used[kind]:
                used[kind].append(addr)
            rr(d, "NS", f"{ns}.{d}.")
            rr(f"{ns}.{d}", "A", addr)
        expected[i] = {"domain": d, "dead": kind, "exists": None, "spf": "temperror",
                       "spf_error": None, "spf_lookups": None, "dmarc": "temperror",
                       "mx": "temperror", "mta_sts": "temperror", "tls_rpt": "temperror"}

# DANE on a signed world: its own generator, after the dead ones are known, so that the
# rest of the world stays as it is.
TLSA_SHARE = 0.03
if args.signed:
    dane_rng = random.Random(f"dane-{n}")
    selfhosted = [i for i, e in enumerate(expected) if e.get("mx") == "self"]
    for i in sorted(dane_rng.sample(selfhosted, min(len(selfhosted), round(TLSA_SHARE * n)))):
        rr(f"_25._tcp.mx.{listing[i]}", "TLSA", f"3 1 1 {dane_rng.randbytes(32).hex()}")
        expected[i]["tlsa"] = True
    for e in expected:
        e.setdefault("tlsa", False)

# DKIM keys: their own generator too, after everything above.
DKIM_KEY = ("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtEFAMgl72Vr4SWOjcINsDqqAK9DW"
            "SzDBCWyDPe1Btf5oenTeB649bJnua3UDRQugP1bmF3S9QS+n5jyBqgkOoKTC87JSTJNmINLZ"
            "0SLRWsrhn3ZMYNsSOwmL0mLiV8TO3283yuwzQgeUqq27Zpq7an28Cl+xt7iHpasQfOBlS4G1"
            "sykeWrdWthh/UYZplWB9mKUr+2+Ut29d/IWjTcRO7dEir16rJbyErHkspEeOnSNZwBgtBhN1"
            "HMyJLlAb8SS5YuK/TMcEVtWq3XY9HuXI15lumPFiimfv5iHwUktS51uf6c4XUBKU8utaU0b7"
            "PnKerBkrLisE2IoU9NDlrefPawIDAQAB")
if args.dkim_share > 0:
    dkim_rng = random.Random(f"dkim-{n}")
    healthy = [i for i, e in enumerate(expected) if e.get("exists")]
    chosen = sorted(dkim_rng.sample(healthy, min(len(healthy), round(args.dkim_share * n))))
    for k, i in enumerate(chosen):
        selectors = ["selector1"] + (["google"] if k % 2 == 0 else [])
        for s in selectors:
            txt(f"{s}._domainkey.{listing[i]}", f"v=DKIM1; k=rsa; p={DKIM_KEY}")
        expected[i]["dkim"] = selectors

os.makedirs(f"{out}/zones", exist_ok=True)
# The root delegates each TLD; every server name resolves to the relay.
head = {}
for z in zones:
    origin = f"{z}." if z else "."
    head[z] = [f"{origin} 3600 IN SOA a.root-servers.net. hostmaster.{z + '.' if z else ''}"
               f"invalid. 1 3600 600 86400 300",
               f"{origin} 3600 IN NS a.root-servers.net."]
head[""].append(f"a.root-servers.net. 3600 IN A {auth}")
head["net"].append(f"a.root-servers.net. 3600 IN A {auth}")
for t in zones:
    if t:
        head[""].append(f"{t}. 3600 IN NS a.root-servers.net.")
conf = []
for z, records in zones.items():
    name = z or "root"
    with open(f"{out}/zones/{name}.zone", "w") as f:
        f.write("\n".join(head[z] + records) + "\n")
    conf.append(f'zone:\n  name: "{z + "." if z else "."}"\n  zonefile: "{out}/zones/{name}.zone"\n')
with open(f"{out}/zones.conf", "w") as f:
    f.write("".join(conf))
with open(f"{out}/list.txt", "w") as f:
    f.write("\n".join(listing) + "\n")
with open(f"{out}/expected.jsonl", "w") as f:
    f.writelines(json.dumps(e) + "\n" for e in expected)
os.makedirs(f"{out}/policies", exist_ok=True)
with open(f"{out}/sts-names.txt", "w") as f:
    for host, policy in policies.items():
        if host.split(".", 1)[1] in dead:
            continue
        f.write(host + "\n")
        with open(f"{out}/policies/{host}", "w", newline="") as p:
            p.write(policy)
if dead:
    with open(f"{out}/dead-servers.txt", "w") as f:
        f.writelines(f"{kind} {' '.join(addrs)}\n" for kind, addrs in used.items() if addrs)
