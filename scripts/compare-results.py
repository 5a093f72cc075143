#!/usr/bin/env python3
"""Whether two scans found the same facts: scripts/bench.sh compares its bulk and
standard transport runs with this.

    compare-results.py A.jsonl B.jsonl

Reads two results.jsonl files, keys the records by domain and drops, at every depth,
the keys that describe the run rather than the domain (scanned_at, elapsed_ms,
attempts). Prints "identical facts: N domains" and exits 0; or prints how many domains
differ and, for up to 10 of them, the paths that differ with both values (a list whose
members differ only in order is marked so), and exits 1. Memory follows the number of
domains, not the size of the records: a first pass keeps a digest of each record's facts,
and only the records that differ are read again for the details.
"""

import hashlib
import json
import re
import sys

PER_RUN = {"scanned_at", "elapsed_ms", "attempts"}
SHOWN = 10


def facts(value):
    if isinstance(value, dict):
        return {k: facts(v) for k, v in value.items() if k not in PER_RUN}
    if isinstance(value, list):
        return [facts(v) for v in value]
    return value


def records(path):
    """(domain, facts) for each record of the file."""
    with open(path) as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                yield rec["domain"], facts(rec)


def digests(path):
    found, duplicates = {}, set()
    for domain, value in records(path):
        if domain in found:
            duplicates.add(domain)
        found[domain] = hashlib.sha256(canonical(value).encode()).digest()
    return found, duplicates


def load(path, wanted):
    return {domain: value for domain, value in records(path) if domain in wanted}


def canonical(value):
    return json.dumps(value, sort_keys=True)


def short(value):
    text = canonical(value)
    return text if len(text) <= 80 else text[:77] + "..."


def differences(a, b, path=""):
    """(path, note) for each place where a and b differ, outermost first."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            sub = f"{path}.{key}" if path else key
            if key not in a or key not in b:
                yield sub, "only in " + ("B" if key not in a else "A")
            else:
                yield from differences(a[key], b[key], sub)
    elif isinstance(a, list) and isinstance(b, list) and a != b:
        if sorted(map(canonical, a)) == sorted(map(canonical, b)):
            yield path, "order only"
        elif len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                yield from differences(x, y, f"{path}[{i}]")
        else:
            yield path, f"{short(a)} vs {short(b)}"
    elif a != b:
        yield path, f"{short(a)} vs {short(b)}"


def main(args):
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    (a, dup_a), (b, dup_b) = digests(args[0]), digests(args[1])
    problems = []
    for name, dups in (("A", dup_a), ("B", dup_b)):
        if dups:
            problems.append(f"{len(dups)} domains twice in {name}, e.g. {min(dups)}")
    for name, mine, other in (("A", a, b), ("B", b, a)):
        only = mine.keys() - other.keys()
        if only:
            problems.append(f"{len(only)} domains only in {name}, e.g. {min(only)}")
    differing = sorted(d for d in a.keys() & b.keys() if a[d] != b[d])
    if not problems and not differing:
        print(f"identical facts: {len(a)} domains")
        return 0
    print(f"facts differ: {len(differing)} of {len(a.keys() & b.keys())} domains in both "
          f"(A {args[0]}, B {args[1]})")
    wanted = set(differing)
    a, b = load(args[0], wanted), load(args[1], wanted)
    for p in problems:
        print(f"  {p}")
    for d in differing[:SHOWN]:
        print(f"  {d}:")
        for path, note in differences(a[d], b[d]):
            print(f"    {path}: {note}")
    if len(differing) > SHOWN:
        print(f"  ... and {len(differing) - SHOWN} more")
    # Which paths differ, over all differing domains: the pattern, not just examples.
    tally = {}
    for d in differing:
        for key in {re.sub(r"\[\d+\]", "[*]", path) for path, _ in differences(a[d], b[d])}:
            tally[key] = tally.get(key, 0) + 1
    if tally:
        print("  paths that differ, by domains: " +
              ", ".join(f"{k} {v}" for k, v in sorted(tally.items(), key=lambda kv: -kv[1])))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
