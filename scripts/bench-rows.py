#!/usr/bin/env python3
"""Figures for scripts/bench.sh: one JSON row per measured run, then the Markdown table.

    bench-rows.py row ROWS TOOL DOMAINS RTT_MS CONC STARTTLS WALL_S COUNTS SERVERS SCAN_DIR
                      TIME_FILE...
        append a row: wall time of the batch, CPU and peak RSS from GNU time -v files
        (one per process; CPU is summed, RSS is the largest and the sum), DNS questions
        from `world.sh counts` before/after (COUNTS is "before_json|after_json"), CPU
        seconds of the world's resolver and relay before/after (SERVERS is
        "before_json|after_json", each {"resolver": {"pid", "cpu_s"} or null, "relay":
        ...}), and the `dns` object of SCAN_DIR/scan.json (SCAN_DIR `-` for checkdmarc)
    bench-rows.py table ROWS CONDITIONS [NOTES_FILE]
        print the Markdown report; NOTES_FILE's lines follow the tables
"""

import json
import re
import sys


def gnu_time(path):
    text = open(path).read()
    get = lambda key: float(re.search(re.escape(key) + r":\s*([\d.]+)", text).group(1))
    return get("User time (seconds)") + get("System time (seconds)"), \
        get("Maximum resident set size (kbytes)") / 1024


def server_cpu_pct(before, after, name, wall):
    """CPU of one of the world's servers over the run, in % of one core (null when its
    pid was not known or changed)."""
    b, a = before.get(name), after.get(name)
    if not b or not a or b["pid"] != a["pid"]:
        return None
    return (a["cpu_s"] - b["cpu_s"]) / wall * 100


def row(args):
    rows, tool, domains, rtt, conc, starttls, wall, counts, servers, scan_dir, *times = args
    before, after = (json.loads(c) for c in counts.split("|"))
    servers_before, servers_after = (json.loads(c) for c in servers.split("|"))
    dns, in_flight = None, None
    if scan_dir != "-":
        summary = json.load(open(f"{scan_dir}/scan.json"))
        dns, in_flight = summary.get("dns"), summary.get("options", {}).get("dns_in_flight")
    cpu, rss_max, rss_sum = 0.0, 0.0, 0.0
    for t in times:
        c, r = gnu_time(t)
        cpu, rss_max, rss_sum = cpu + c, max(rss_max, r), rss_sum + r
    n = int(domains)
    wall = float(wall)
    rec = {"tool": tool, "transport": dns["transport"] if dns else None,
           "domains": n, "rtt_ms": int(rtt), "concurrency": int(conc),
           "dns_in_flight": in_flight,
           "starttls": starttls == "on", "processes": len(times),
           "wall_s": wall, "domains_per_s": n / wall,
           "cpu_us_per_domain": cpu / n * 1e6, "rss_mb": rss_max, "rss_sum_mb": rss_sum,
           "resolver_q_per_domain":
               (after["resolver_queries"] - before["resolver_queries"]) / n,
           "upstream_q_per_domain":
               (after["upstream_queries"] - before["upstream_queries"]) / n,
           "resolver_cpu_pct": server_cpu_pct(servers_before, servers_after, "resolver", wall),
           "relay_cpu_pct": server_cpu_pct(servers_before, servers_after, "relay", wall),
           "dns": dns}
    with open(rows, "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(f"  {tool:<28} {n:>9,} domains {rtt:>3} ms {conc:>5}: "
          f"{rec['domains_per_s']:,.0f}/s, {rec['cpu_us_per_domain']:,.0f} µs CPU, "
          f"{rss_max:.1f} MB, {rec['resolver_q_per_domain']:.2f} q/domain, resolver "
          f"{pct(rec['resolver_cpu_pct'])}", file=sys.stderr)


def pct(value):
    return "–" if value is None else f"{value:.0f}%"


def temp_failures(r):
    return "–" if not r.get("dns") else f"{r['dns']['temp_failures']:,}"


def same_run(a, b):
    return all(a[k] == b[k] for k in ("domains", "rtt_ms", "concurrency", "starttls"))


def table(args):
    rows_file, conditions, *rest = args
    notes = rest[0] if rest else None
    rows = [json.loads(l) for l in open(rows_file)]
    out = [conditions, ""]
    out += ["### mailposture, whole lists", "",
            "| domains | added RTT | STARTTLS | transport | concurrency | domains/s "
            "| CPU µs/domain | peak RSS MB | DNS q/domain to unbound | to NSD "
            "| resolver CPU % | relay CPU % | DNS temp failures |",
            "|---:|---:|:--|:--|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r["tool"] in ("mailposture-bulk", "mailposture-standard"):
            out.append(f"| {r['domains']:,} | {r['rtt_ms']} ms | {'on' if r['starttls'] else 'off'} "
                       f"| {r['transport']} | {r['concurrency']} | {r['domains_per_s']:,.0f} "
                       f"| {r['cpu_us_per_domain']:,.0f} | {r['rss_mb']:.1f} "
                       f"| {r['resolver_q_per_domain']:.2f} | {r['upstream_q_per_domain']:.2f} "
                       f"| {pct(r['resolver_cpu_pct'])} | {pct(r['relay_cpu_pct'])} "
                       f"| {temp_failures(r)} |")
    out += ["", "### bulk against standard transport, same world, same list, same run", "",
            "| list | domains | added RTT | STARTTLS | concurrency | bulk domains/s "
            "| standard domains/s | bulk ÷ standard domains/s | bulk CPU µs/domain "
            "| standard | standard ÷ bulk CPU µs/domain |",
            "|:--|---:|---:|:--|---:|---:|---:|---:|---:|---:|---:|"]
    for list_name, suffix in (("whole", ""), ("subset", "-subset")):
        for b in rows:
            if b["tool"] != "mailposture-bulk" + suffix:
                continue
            st = next((r for r in rows if r["tool"] == "mailposture-standard" + suffix
                      and same_run(r, b)), None)
            if not st:
                continue
            out.append(f"| {list_name} | {b['domains']:,} | {b['rtt_ms']} ms "
                       f"| {'on' if b['starttls'] else 'off'} | {b['concurrency']} "
                       f"| {b['domains_per_s']:,.0f} | {st['domains_per_s']:,.0f} "
                       f"| {b['domains_per_s'] / st['domains_per_s']:.2f}× "
                       f"| {b['cpu_us_per_domain']:,.0f} | {st['cpu_us_per_domain']:,.0f} "
                       f"| {st['cpu_us_per_domain'] / b['cpu_us_per_domain']:.2f}× |")
    out += ["", "### Side by side with checkdmarc, same world, same list, same run", "",
            "| domains | added RTT | mailposture (bulk) domains/s "
            "| checkdmarc domains/s (16 processes) | ratio | mailposture CPU µs/domain "
            "| checkdmarc | ratio | mailposture peak RSS MB "
            "| checkdmarc peak RSS MB (largest; all 16) | mailposture DNS q/domain "
            "| checkdmarc | ratio | resolver CPU % with mailposture | with checkdmarc |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    cds = [r for r in rows if r["tool"] == "checkdmarc"]
    for c in cds:
        m = next((r for r in rows if r["tool"] == "mailposture-bulk-subset"
                  and r["domains"] == c["domains"] and r["rtt_ms"] == c["rtt_ms"]), None)
        if not m:
            continue
        out.append(
            f"| {c['domains']:,} | {c['rtt_ms']} ms | {m['domains_per_s']:,.0f} "
            f"| {c['domains_per_s']:,.1f} | {m['domains_per_s'] / c['domains_per_s']:,.0f}× "
            f"| {m['cpu_us_per_domain']:,.0f} | {c['cpu_us_per_domain']:,.0f} "
            f"| {c['cpu_us_per_domain'] / m['cpu_us_per_domain']:,.1f}× less "
            f"| {m['rss_mb']:.1f} | {c['rss_mb']:.1f}; {c['rss_sum_mb']:.0f} "
            f"| {m['resolver_q_per_domain']:.2f} | {c['resolver_q_per_domain']:.2f} "
            f"| {m['resolver_q_per_domain'] / c['resolver_q_per_domain']:.2f} "
            f"| {pct(m['resolver_cpu_pct'])} | {pct(c['resolver_cpu_pct'])} |")
    if notes:
        out += [""] + open(notes).read().rstrip("\n").split("\n")
    print("\n".join(out))


if __name__ == "__main__":
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "row":
        row(rest)
    elif cmd == "table":
        table(rest)
    else:
        sys.exit(__doc__)
