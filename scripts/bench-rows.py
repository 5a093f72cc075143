#!/usr/bin/env python3
"""Figures for scripts/bench.sh: one JSON row per measured run, then the Markdown table.

    bench-rows.py row [--world WORLD] [--expected EXPECTED [--baseline RESULTS]]
                      [--mta-sts on|off] [--dane on|off]
                      ROWS TOOL DOMAINS RTT_MS CONC STARTTLS WALL_S COUNTS SERVERS SCAN_DIR
                      TIME_FILE...
        append a row: wall time of the batch, CPU and peak RSS from GNU time -v files
        (one per process; CPU is summed, RSS is the largest and the sum), DNS questions
        and unbound's requestlist.exceeded and .overwritten from `world.sh counts`
        before/after (COUNTS is "before_json|after_json"), CPU
        seconds of the world's resolver and relay before/after (SERVERS is
        "before_json|after_json", each {"resolver": {"pid", "cpu_s"} or null, "relay":
        ...}), and the `dns` object of SCAN_DIR/scan.json (SCAN_DIR `-` for checkdmarc).
        WORLD names the world's kind in the tables ("clean" unless given, e.g. "2%
        silent"). With EXPECTED (the world's expected.jsonl), also counts from
        SCAN_DIR/results.jsonl the healthy domains (not marked "dead") with any part
        temperror, and the dead ones with every part temperror; with RESULTS (the
        results.jsonl of a run on the same world without dead domains), the healthy
        domains whose facts (as scripts/compare-results.py takes them) differ from it.
        --mta-sts marks a row of the MTA-STS table (policy fetch on or off) and counts
        from SCAN_DIR/results.jsonl the domains with an MTA-STS record, those whose
        policy was fetched, and the domains by `holds`. --dane marks a row of the DNSSEC
        table (a signed world; the DANE check on or off) and counts from
        SCAN_DIR/results.jsonl the domains by `dnssec.status`, the MX hosts whose TLSA
        records were found, and the domains by `mx.dane`
    bench-rows.py table ROWS CONDITIONS [NOTES_FILE]
        print the Markdown report; NOTES_FILE's lines follow the tables
"""

import importlib.util
import json
import os
import re
import sys

_spec = importlib.util.spec_from_file_location(
    "compare_results", os.path.join(os.path.dirname(__file__), "compare-results.py"))
compare_results = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_results)

PARTS = ("spf", "dmarc", "mx")


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


def temperror_parts(rec):
    return sum(1 for part in PARTS if (rec.get(part) or {}).get("status") == "temperror")


def dead_figures(scan_dir, expected, baseline):
    """Counts over the healthy and the dead domains of a world with dead delegations."""
    dead = {}
    with open(expected) as f:
        for line in f:
            e = json.loads(line)
            dead[e["domain"]] = e.get("dead")
    healthy_temperror = dead_all_temperror = 0
    for domain, rec in compare_results.records(f"{scan_dir}/results.jsonl"):
        parts = temperror_parts(rec)
        if dead.get(domain):
            dead_all_temperror += parts == len(PARTS)
        elif parts:
            healthy_temperror += 1
    figures = {"dead_domains": sum(1 for k in dead.values() if k),
               "healthy_temperror": healthy_temperror,
               "dead_all_temperror": dead_all_temperror}
    if baseline:
        base = {d: compare_results.canonical(v)
                for d, v in compare_results.records(baseline) if not dead.get(d)}
        figures["healthy_differ"] = sum(
            1 for d, v in compare_results.records(f"{scan_dir}/results.jsonl")
            if not dead.get(d) and base.get(d) != compare_results.canonical(v))
    return figures


def sts_figures(scan_dir):
    """What the scan found of the world's MTA-STS and TLS-RPT records."""
    figures = {"sts_records": 0, "sts_fetched": 0, "tls_rpt_records": 0, "sts_holds": {}}
    for _, rec in compare_results.records(f"{scan_dir}/results.jsonl"):
        sts, rpt = rec.get("mta_sts") or {}, rec.get("tls_rpt") or {}
        figures["sts_records"] += sts.get("record") is not None
        figures["sts_fetched"] += (sts.get("fetch") or {}).get("status") == "ok"
        figures["tls_rpt_records"] += rpt.get("record") is not None
        if sts.get("holds"):
            figures["sts_holds"][sts["holds"]] = figures["sts_holds"].get(sts["holds"], 0) + 1
    return figures


def dane_figures(scan_dir):
    """What the scan found of a signed world: DNSSEC states and TLSA records."""
    figures = {"dnssec_status": {}, "tlsa_hosts": 0, "mx_dane": {}}
    for _, rec in compare_results.records(f"{scan_dir}/results.jsonl"):
        status = (rec.get("dnssec") or {}).get("status")
        if status:
            figures["dnssec_status"][status] = figures["dnssec_status"].get(status, 0) + 1
        mx = rec.get("mx") or {}
        figures["tlsa_hosts"] += sum(1 for h in mx.get("hosts") or ()
                                     if ((h or {}).get("dane") or {}).get("records"))
        if mx.get("dane"):
            figures["mx_dane"][mx["dane"]] = figures["mx_dane"].get(mx["dane"], 0) + 1
    return figures


def row(args):
    world, expected, baseline, mta_sts, dane = "clean", None, None, None, None
    while args and args[0].startswith("--"):
        flag, value, args = args[0], args[1], args[2:]
        if flag == "--world":
            world = value
        elif flag == "--expected":
            expected = value
        elif flag == "--baseline":
            baseline = value
        elif flag == "--mta-sts":
            mta_sts = value
        elif flag == "--dane":
            dane = value
        else:
            sys.exit(f"unknown option {flag}")
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
           "dns": dns, "world": world}
    for key in ("requestlist_exceeded", "requestlist_overwritten"):
        if key in before and key in after:
            rec[key] = after[key] - before[key]
    if expected and scan_dir != "-":
        rec.update(dead_figures(scan_dir, expected, baseline))
    if mta_sts:
        rec["mta_sts"] = mta_sts
        rec.update(sts_figures(scan_dir))
    if dane:
        rec["dane"] = dane
        rec.update(dane_figures(scan_dir))
    with open(rows, "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(f"  {tool:<28} {n:>9,} domains {rtt:>3} ms {conc:>5}: "
          f"{rec['domains_per_s']:,.0f}/s, {rec['cpu_us_per_domain']:,.0f} µs CPU, "
          f"{rss_max:.1f} MB, {rec['resolver_q_per_domain']:.2f} q/domain, resolver "
          f"{pct(rec['resolver_cpu_pct'])}, requestlist exceeded "
          f"{count(rec.get('requestlist_exceeded'))}, overwritten "
          f"{count(rec.get('requestlist_overwritten'))}"
          + (f", scanner sent {sent_per_domain(rec)} q/domain, TCP fallbacks "
             f"{tcp_fallbacks(rec)}" if dns else "")
          + (f", {world}: healthy temperror {rec['healthy_temperror']}, healthy facts differ "
             f"{count(rec.get('healthy_differ'))}" if "healthy_temperror" in rec else "")
          + (f", MTA-STS {mta_sts}: {rec['sts_records']} records, {rec['sts_fetched']} "
             f"fetched, holds {rec['sts_holds']}" if mta_sts else "")
          + (f", DANE check {dane}: DNSSEC {rec['dnssec_status']}, {rec['tlsa_hosts']} hosts "
             f"with TLSA, mx.dane {rec['mx_dane']}" if dane else ""),
          file=sys.stderr)


def dead_all(r):
    if not r["dead_domains"]:
        return "–"
    return f"{r['dead_all_temperror']:,} of {r['dead_domains']:,}"


def count(value):
    return "–" if value is None else f"{value:,}"


def pct(value):
    return "–" if value is None else f"{value:.0f}%"


def sent_per_domain(r):
    """Questions the scanner itself sent (bulk transport's counter), per domain."""
    sent = (r.get("dns") or {}).get("queries_sent")
    return "–" if sent is None else f"{sent / r['domains']:.2f}"


def tcp_fallbacks(r):
    return count((r.get("dns") or {}).get("tcp_fallbacks"))


def by_kind(figures):
    return ", ".join(f"{k} {v:,}" for k, v in sorted(figures.items())) or "–"


def temp_failures(r):
    return "–" if not r.get("dns") else f"{r['dns']['temp_failures']:,}"


def same_run(a, b):
    return all(a[k] == b[k] for k in ("domains", "rtt_ms", "concurrency", "starttls"))


def clean(rows):
    """The rows of runs on worlds without dead delegations."""
    return [r for r in rows if r.get("world", "clean") == "clean"]


def table(args):
    rows_file, conditions, *rest = args
    notes = rest[0] if rest else None
    all_rows = [json.loads(l) for l in open(rows_file)]
    rows = clean(all_rows)
    out = [conditions, ""]
    out += ["### mailposture, whole lists", "",
            "| domains | added RTT | STARTTLS | transport | concurrency | domains/s "
            "| CPU µs/domain | peak RSS MB | DNS q/domain to unbound | to NSD "
            "| resolver CPU % | relay CPU % | DNS temp failures "
            "| unbound requestlist exceeded | overwritten |",
            "|---:|---:|:--|:--|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r["tool"] in ("mailposture-bulk", "mailposture-standard"):
            out.append(f"| {r['domains']:,} | {r['rtt_ms']} ms | {'on' if r['starttls'] else 'off'} "
                       f"| {r['transport']} | {r['concurrency']} | {r['domains_per_s']:,.0f} "
                       f"| {r['cpu_us_per_domain']:,.0f} | {r['rss_mb']:.1f} "
                       f"| {r['resolver_q_per_domain']:.2f} | {r['upstream_q_per_domain']:.2f} "
                       f"| {pct(r['resolver_cpu_pct'])} | {pct(r['relay_cpu_pct'])} "
                       f"| {temp_failures(r)} | {count(r.get('requestlist_exceeded'))} "
                       f"| {count(r.get('requestlist_overwritten'))} |")
    sts_rows = [r for r in rows if "mta_sts" in r]
    if sts_rows:
        out += ["", "### MTA-STS and TLS-RPT on 5% and 3% of the domains, policy fetch on and off",
                "",
                "| domains | added RTT | policy fetch | transport | concurrency | domains/s "
                "| ÷ bulk row domains/s | CPU µs/domain | peak RSS MB | DNS q/domain to unbound "
                "| − bulk row | to NSD | resolver CPU % | DNS temp failures "
                "| MTA-STS records | policies fetched | TLS-RPT records |",
                "|---:|---:|:--|:--|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sts_rows:
        # The clean bulk row of the same settings, in the same run (default flags).
        base = next((c for c in rows if c["tool"] == "mailposture-bulk" and same_run(c, r)),
                    None)
        ratio = f"{r['domains_per_s'] / base['domains_per_s']:.2f}×" if base else "–"
        dq = (f"{r['resolver_q_per_domain'] - base['resolver_q_per_domain']:+.2f}"
              if base else "–")
        out.append(f"| {r['domains']:,} | {r['rtt_ms']} ms | {r['mta_sts']} "
                   f"| {r['transport']} | {r['concurrency']} | {r['domains_per_s']:,.0f} "
                   f"| {ratio} | {r['cpu_us_per_domain']:,.0f} | {r['rss_mb']:.1f} "
                   f"| {r['resolver_q_per_domain']:.2f} | {dq} "
                   f"| {r['upstream_q_per_domain']:.2f} | {pct(r['resolver_cpu_pct'])} "
                   f"| {temp_failures(r)} | {r['sts_records']:,} | {r['sts_fetched']:,} "
                   f"| {r['tls_rpt_records']:,} |")
    dane_rows = [r for r in all_rows if "dane" in r]
    if dane_rows:
        out += ["", "### A signed world (DNSSEC; TLSA on 3% of the domains' MX hosts), "
                "DANE check on and off", "",
                "| domains | added RTT | DANE check | transport | concurrency | domains/s "
                "| ÷ bulk row domains/s | CPU µs/domain | peak RSS MB | DNS q/domain to unbound "
                "| − bulk row | to NSD | sent by the scanner | TCP fallbacks "
                "| resolver CPU % | DNS temp failures | domains by DNSSEC state "
                "| hosts with TLSA | domains by mx.dane |",
                "|---:|---:|:--|:--|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
                "|---:|:--|---:|:--|"]
    for r in dane_rows:
        # The bulk row of the same settings on the unsigned world (DANE check skipped).
        base = next((c for c in rows if c["tool"] == "mailposture-bulk" and same_run(c, r)),
                    None)
        ratio = f"{r['domains_per_s'] / base['domains_per_s']:.2f}×" if base else "–"
        dq = (f"{r['resolver_q_per_domain'] - base['resolver_q_per_domain']:+.2f}"
              if base else "–")
        out.append(f"| {r['domains']:,} | {r['rtt_ms']} ms | {r['dane']} "
                   f"| {r['transport']} | {r['concurrency']} | {r['domains_per_s']:,.0f} "
                   f"| {ratio} | {r['cpu_us_per_domain']:,.0f} | {r['rss_mb']:.1f} "
                   f"| {r['resolver_q_per_domain']:.2f} | {dq} "
                   f"| {r['upstream_q_per_domain']:.2f} | {sent_per_domain(r)} "
                   f"| {tcp_fallbacks(r)} | {pct(r['resolver_cpu_pct'])} "
                   f"| {temp_failures(r)} | {by_kind(r['dnssec_status'])} "
                   f"| {r['tlsa_hosts']:,} | {by_kind(r['mx_dane'])} |")
    dead_rows = [r for r in all_rows
                 if r.get("world", "clean") != "clean" and "healthy_temperror" in r]
    if dead_rows:
        out += ["", "### Dead delegations beside clean, same list, same settings", "",
                "| domains | world | added RTT | transport | concurrency | domains/s "
                "| wall s | ÷ clean domains/s | healthy with a temperror "
                "| healthy facts ≠ clean run | dead with all parts temperror "
                "| unbound requestlist exceeded | overwritten | DNS temp failures |",
                "|---:|:--|---:|:--|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in all_rows if dead_rows else ():
        if "healthy_temperror" not in r or r.get("world", "clean") == "clean" and not any(
                d["tool"] == r["tool"] and same_run(d, r) for d in dead_rows):
            continue
        base = next((c for c in rows if c["tool"] == r["tool"] and same_run(c, r)), None)
        ratio = f"{r['domains_per_s'] / base['domains_per_s']:.2f}×" if base else "–"
        out.append(f"| {r['domains']:,} | {r['world']} | {r['rtt_ms']} ms | {r['transport']} "
                   f"| {r['concurrency']} | {r['domains_per_s']:,.0f} | {r['wall_s']:.1f} "
                   f"| {ratio} | {r['healthy_temperror']:,} "
                   f"| {count(r.get('healthy_differ'))} "
                   f"| {dead_all(r)} "
                   f"| {count(r.get('requestlist_exceeded'))} "
                   f"| {count(r.get('requestlist_overwritten'))} | {temp_failures(r)} |")
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
    cds = [r for r in rows if r["tool"] == "checkdmarc"]
    if not cds:
        out += ["", "checkdmarc was not run."]
    else:
        out += ["", "### Side by side with checkdmarc, same world, same list, same run", "",
                "| domains | added RTT | mailposture (bulk) domains/s "
                "| checkdmarc domains/s (16 processes) | ratio | mailposture CPU µs/domain "
                "| checkdmarc | ratio | mailposture peak RSS MB "
                "| checkdmarc peak RSS MB (largest; all 16) | mailposture DNS q/domain "
                "| checkdmarc | ratio | resolver CPU % with mailposture | with checkdmarc |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
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
