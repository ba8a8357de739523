"""Summarises Benchmarks/run-metrics-bench results as a markdown table (medians, ratios)."""

import json
import statistics
import sys
from pathlib import Path

out, runs = Path(sys.argv[1]), int(sys.argv[2])
SAMPLES = 7_200_000


def load(name, round_):
    return json.loads((out / f"{name}-{round_}" / "load.json").read_text())


def number(path):
    return int((out / path).read_text().strip())


rows = {}
for name in ("prometheus", "lookout"):
    loads = [load(name, r) for r in range(1, runs + 1)]
    rows[name] = {
        "rate": statistics.median(x["samples_per_s"] for x in loads),
        "cpu_us": statistics.median(x["server"]["cpu_s"] / SAMPLES * 1e6 for x in loads),
        "rss": statistics.median(x["server"]["vmhwm_kb"] / 1024 for x in loads),
        "p99": statistics.median(x["latency_ms"]["p99"] for x in loads),
        "ok": all(x["samples_ok"] == SAMPLES for x in loads),
    }
wal = statistics.median(number(f"prometheus-{r}/wal_bytes") for r in range(1, runs + 1)) / SAMPLES
disk = statistics.median(number(f"lookout-{r}/disk_bytes") for r in range(1, runs + 1)) / SAMPLES
restart = statistics.median(number(f"lookout-{r}/restart_ms") for r in range(1, runs + 1))
block = number("prometheus-block/block_bytes") / SAMPLES
chunks = number("prometheus-block/chunk_bytes") / SAMPLES
crash_restart = number("lookout-crash/restart_ms")
crash_wal = number("lookout-crash/wal_bytes")
replayed = number("lookout-crash/replayed")

p, l = rows["prometheus"], rows["lookout"]
print(f"| figure (median of {runs}, side by side) | Prometheus | Lookout | Lookout / Prometheus |")
print("| --- | --- | --- | --- |")
print(f"| ingest, samples/s | {p['rate']:,.0f} | {l['rate']:,.0f} | {l['rate'] / p['rate']:.2f}x |")
print(f"| server CPU per sample | {p['cpu_us']:.2f} µs | {l['cpu_us']:.2f} µs | {l['cpu_us'] / p['cpu_us']:.2f}x |")
print(f"| peak RSS | {p['rss']:.0f} MiB | {l['rss']:.0f} MiB | {l['rss'] / p['rss']:.2f}x |")
print(f"| request latency p99 | {p['p99']:.1f} ms | {l['p99']:.1f} ms | {l['p99'] / p['p99']:.2f}x |")
print(f"| bytes/sample on disk | block {block:.2f} (chunks {chunks:.2f}), WAL {wal:.2f} | {disk:.2f} (everything, chunks flushed) | {disk / block:.2f}x of the block |")
print(f"| restart after SIGTERM | | {restart / 1000:.2f} s | |")
print(f"| restart after SIGKILL at the end of ingest | | {crash_restart / 1000:.2f} s ({replayed:,} samples replayed from a {crash_wal / 1e6:.1f} MB log) | |")
print(f"| all samples accepted | {p['ok']} | {l['ok']} | |")
