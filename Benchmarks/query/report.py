"""Summarises Benchmarks/run-query-bench results: median and p99 latency per query and kind,
side by side, with Lookout / Prometheus ratios."""

import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
prometheus = json.loads((out / "prometheus.json").read_text())["results"]
lookout = json.loads((out / "lookout.json").read_text())["results"]
print("| query | kind | Prometheus median / p99 ms | Lookout median / p99 ms | median ratio |")
print("| --- | --- | --- | --- | --- |")
for p, l in zip(prometheus, lookout):
    assert p["query"] == l["query"] and p["kind"] == l["kind"]
    if l.get("status") != "success":
        print(f"| `{l['query']}` | {l['kind']} | {p['median_ms']:.1f} / {p['p99_ms']:.1f} | error | |")
        continue
    ratio = l["median_ms"] / p["median_ms"]
    print(f"| `{l['query']}` | {l['kind']} | {p['median_ms']:.1f} / {p['p99_ms']:.1f} | "
          f"{l['median_ms']:.1f} / {l['p99_ms']:.1f} | {ratio:.2f}x |")
