#!/usr/bin/env python3
"""Figures for scripts/bench.sh: one JSON row per measured run, then the Markdown table.

    bench-rows.py row ROWS TOOL DOMAINS RTT_MS CONC STARTTLS WALL_S COUNTS TIME_FILE...
        append a row: wall time of the batch, CPU and peak RSS from GNU time -v files
        (one per process; CPU is summed, RSS is the largest and the sum), DNS questions
        from `world.sh counts` before/after (COUNTS is "before_json|after_json")
    bench-rows.py table ROWS CONDITIONS   print the Markdown report
"""

import json
import re
import sys


def gnu_time(path):
    text = open(path).read()
    get = lambda key: float(re.search(re.escape(key) + r":\s*([\d.]+)", text).group(1))
    return get("User time (seconds)") + get("System time (seconds)"), \
        get("Maximum resident set size (kbytes)") / 1024


def row(args):
    rows, tool, domains, rtt, conc, starttls, wall, counts, *times = args
    before, after = (json.loads(c) for c in counts.split("|"))
    cpu, rss_max, rss_sum = 0.0, 0.0, 0.0
    for t in times:
        c, r = gnu_time(t)
        cpu, rss_max, rss_sum = cpu + c, max(rss_max, r), rss_sum + r
    n = int(domains)
    rec = {"tool": tool, "domains": n, "rtt_ms": int(rtt), "concurrency": conc,
           "starttls": starttls == "on", "processes": len(times),
           "wall_s": float(wall), "domains_per_s": n / float(wall),
           "cpu_us_per_domain": cpu / n * 1e6, "rss_mb": rss_max, "rss_sum_mb": rss_sum,
           "resolver_q_per_domain":
               (after["resolver_queries"] - before["resolver_queries"]) / n,
           "upstream_q_per_domain":
               (after["upstream_queries"] - before["upstream_queries"]) / n}
    with open(rows, "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(f"  {tool:<11} {n:>9,} domains {rtt:>3} ms: {rec['domains_per_s']:,.0f}/s, "
          f"{rec['cpu_us_per_domain']:,.0f} µs CPU, {rss_max:.1f} MB, "
          f"{rec['resolver_q_per_domain']:.2f} q/domain", file=sys.stderr)


def table(args):
    rows_file, conditions = args
    rows = [json.loads(l) for l in open(rows_file)]
    out = [conditions, ""]
    out += ["### mailposture, whole lists", "",
            "| domains | added RTT | STARTTLS | concurrency | domains/s | CPU µs/domain "
            "| peak RSS MB | DNS q/domain to unbound | to NSD |",
            "|---:|---:|:--|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r["tool"] == "mailposture":
            out.append(f"| {r['domains']:,} | {r['rtt_ms']} ms | {'on' if r['starttls'] else 'off'} "
                       f"| {r['concurrency']} | {r['domains_per_s']:,.0f} "
                       f"| {r['cpu_us_per_domain']:,.0f} | {r['rss_mb']:.1f} "
                       f"| {r['resolver_q_per_domain']:.2f} | {r['upstream_q_per_domain']:.2f} |")
    out += ["", "### Side by side with checkdmarc, same world, same list, same run", "",
            "| domains | added RTT | mailposture domains/s | checkdmarc domains/s (16 processes) "
            "| ratio | mailposture CPU µs/domain | checkdmarc | ratio "
            "| mailposture peak RSS MB | checkdmarc peak RSS MB (largest; all 16) "
            "| mailposture DNS q/domain | checkdmarc | ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    cds = [r for r in rows if r["tool"] == "checkdmarc"]
    for c in cds:
        m = next((r for r in rows if r["tool"] == "mailposture-subset"
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
            f"| {m['resolver_q_per_domain'] / c['resolver_q_per_domain']:.2f} |")
    print("\n".join(out))


if __name__ == "__main__":
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "row":
        row(rest)
    elif cmd == "table":
        table(rest)
    else:
        sys.exit(__doc__)
