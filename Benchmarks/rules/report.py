"""Summarises Benchmarks/run-rules-bench results: rule evaluation time and CPU, Lookout beside
Prometheus, as Markdown tables, and writes the figures to OUT/summary.json.

    python report.py OUT    (reads OUT/prometheus.json, OUT/lookout.json if any, OUT/feed.json)
"""

import json
import statistics
import sys
from pathlib import Path

out = Path(sys.argv[1])
feed = json.loads((out / "feed.json").read_text())
servers = {}
for name in ("prometheus", "lookout"):
    path = out / f"{name}.json"
    if path.exists():
        servers[name] = json.loads(path.read_text())
titles = {"prometheus": "Prometheus", "lookout": "Lookout"}


def summarise(r):
    rounds = r["window_s"] / 15  # evaluation rounds of a 15 s interval in the window
    return {
        "groups": r["groups"],
        "rules": r["rules"]["rules"],
        "machine_busy_cores": r["machine_busy_cores"],
        "all_groups_once_median_s": statistics.median(r["sum_last_duration_s"]),
        "all_groups_once_max_s": max(r["sum_last_duration_s"]),
        "slowest_group_s": max(r["max_group_last_duration_s"]),
        "cpu_s": r["cpu_s"],
        "window_s": r["window_s"],
        "cores": r["cores"],
        "cpu_s_per_round": r["cpu_s"] / rounds,
        "rule_evaluations_per_s": r["window_deltas"]["rule_evaluations_total"] / r["window_s"],
        "firing": r["alerts"].get("firing", 0),
        "pending": r["alerts"].get("pending", 0),
        "failures_total": r["failures_total"],
        "failures_in_window": r["window_deltas"]["rule_evaluation_failures_total"],
        "iterations_missed_total": r["iterations_missed_total"],
        "rules_not_ok": sum(v for k, v in r["rules"]["health"].items() if k != "ok"),
        "rss_mib": r["rss_mib_end"],
        "bulk_load_samples_per_s": feed["bulk"][r["url"] + "/api/v1/write"]["samples_per_s"],
    }


summary = {name: summarise(r) for name, r in servers.items()}
(out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")

rows = [
    ("rules / groups", lambda s: f"{s['rules']} / {s['groups']}", None),
    ("all groups once: sum of last durations, median (max) over the window, s",
     lambda s: f"{s['all_groups_once_median_s']:.3f} ({s['all_groups_once_max_s']:.3f})", "all_groups_once_median_s"),
    ("slowest group's last duration, max, s", lambda s: f"{s['slowest_group_s']:.3f}", "slowest_group_s"),
    ("CPU while evaluating, cores (CPU s / wall s)",
     lambda s: f"{s['cores']:.3f} ({s['cpu_s']:.1f} / {s['window_s']:.0f})", "cores"),
    ("CPU per 15 s round, s", lambda s: f"{s['cpu_s_per_round']:.2f}", "cpu_s_per_round"),
    ("rule evaluations per second (1,000 rules / 15 s = 66.7)", lambda s: f"{s['rule_evaluations_per_s']:.1f}", None),
    ("alerts firing / pending", lambda s: f"{s['firing']} / {s['pending']}", None),
    ("evaluation failures (in window) / missed iterations",
     lambda s: f"{s['failures_total']:.0f} ({s['failures_in_window']:.0f}) / {s['iterations_missed_total']:.0f}", None),
    ("rules whose health is not ok", lambda s: f"{s['rules_not_ok']}", None),
    ("RSS at the end, MiB", lambda s: f"{s['rss_mib']:.0f}", "rss_mib"),
]
names = list(summary)
both = names == ["prometheus", "lookout"]
print("| figure | " + " | ".join(titles[n] for n in names) + (" | Lookout / Prometheus |" if both else " |"))
print("| --- " * (len(names) + 1 + both) + "|")
for label, cell, ratio_key in rows:
    cells = [cell(summary[n]) for n in names]
    if both:
        p, l = summary["prometheus"], summary["lookout"]
        cells.append(f"{l[ratio_key] / p[ratio_key]:.2f}x" if ratio_key and p[ratio_key] else "")
    print(f"| {label} | " + " | ".join(cells) + " |")

print()
age = max(r["window_end_unix"] for r in servers.values()) - feed["last_sent_ms"] / 1000
print(f"Live feed: {feed['live_columns']} samples per series after the bulk load, "
      f"{feed['live_requests_failed']} requests failed; the newest sample was {age:.0f} s old "
      f"when the window closed (should stay under 30 s).")
busy = next(iter(summary.values()))["machine_busy_cores"]
print(f"Machine: {busy:.2f} cores busy during the window, {busy - sum(s['cores'] for s in summary.values()):.2f} "
      f"of them outside the servers (the feed, this script, anything else: high = contended).")
print("Bulk load, samples/s: " + ", ".join(f"{titles[n]} {summary[n]['bulk_load_samples_per_s']:,.0f}" for n in names))
for e in feed["errors"]:
    print(f"  feed error: {e}")
for n in names:
    for e in servers[n]["rules"]["errors"]:
        print(f"  {titles[n]} rule error: {e}")

print()
print("Firing alerts by name:")
print()
print("| alert | " + " | ".join(titles[n] for n in names) + " |")
print("| --- " * (len(names) + 1) + "|")
alert_names = sorted(set().union(*(servers[n]["firing_by_alertname"] for n in names)))
for a in alert_names:
    print(f"| {a} | " + " | ".join(str(servers[n]["firing_by_alertname"].get(a, 0)) for n in names) + " |")
