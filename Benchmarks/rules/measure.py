"""Measures rule evaluation on running servers for Benchmarks/run-rules-bench.

Over one window, for each server NAME=URL=PID: process CPU seconds (utime + stime from
/proc/PID/stat), its rule-group metrics from /metrics polled every few seconds (the last
evaluation duration of every group; evaluation, failure and missed-iteration counters), and
at the end its alerts (/api/v1/alerts) and rules' health (/api/v1/rules). Writes one JSON
file per server, NAME.json, into the output directory.

    python measure.py --window 60 --out DIR prometheus=http://127.0.0.1:19090=PID lookout=...=PID

Metric names: PREFIX_rule_group_last_duration_seconds, PREFIX_rule_evaluations_total,
PREFIX_rule_evaluation_failures_total, PREFIX_rule_group_iterations_total and
PREFIX_rule_group_iterations_missed_total, each labelled rule_group="FILE;GROUP", where
PREFIX is "prometheus" or "lookout" (the server's name).
"""

import argparse
import json
import os
import re
import time
import urllib.request
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)')
GROUP_LABEL = re.compile(r'rule_group="((?:[^"\\]|\\.)*)"')
FAMILIES = ["rule_group_last_duration_seconds", "rule_evaluations_total", "rule_evaluation_failures_total",
            "rule_group_iterations_total", "rule_group_iterations_missed_total"]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def machine_busy_seconds():
    """CPU seconds the whole machine spent outside idle and iowait (first line of /proc/stat)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLK_TCK


def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def rule_metrics(base, prefix):
    """{family: {rule_group: value}} for the rule families of one /metrics page."""
    out = {f: {} for f in FAMILIES}
    for line in get(base + "/metrics").splitlines():
        m = SAMPLE.match(line)
        if not m or not m.group(1).startswith(prefix + "_"):
            continue
        family = m.group(1)[len(prefix) + 1:]
        if family in out:
            g = GROUP_LABEL.search(m.group(2) or "")
            out[family][g.group(1) if g else ""] = float(m.group(3))
    return out


def alerts(base):
    body = json.loads(get(base + "/api/v1/alerts"))
    counts = {}
    for a in body["data"]["alerts"]:
        counts[a["state"]] = counts.get(a["state"], 0) + 1
    by_name = {}
    for a in body["data"]["alerts"]:
        if a["state"] == "firing":
            name = a["labels"].get("alertname", "")
            by_name[name] = by_name.get(name, 0) + 1
    return counts, dict(sorted(by_name.items()))


def rule_health(base):
    """Rules per health value and the first few errors, from /api/v1/rules."""
    try:
        body = json.loads(get(base + "/api/v1/rules"))
    except (OSError, ValueError) as e:
        return {"rules": None, "groups": None, "health": {}, "errors": [f"/api/v1/rules: {e}"]}
    health, errors, rules = {}, [], 0
    for g in body["data"]["groups"]:
        for r in g["rules"]:
            rules += 1
            h = r.get("health", "")
            health[h] = health.get(h, 0) + 1
            if r.get("lastError") and len(errors) < 5:
                errors.append(f"{g['name']}/{r.get('name')}: {r['lastError']}")
    return {"rules": rules, "groups": len(body["data"]["groups"]), "health": health, "errors": errors}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--window", type=float, default=60, help="seconds to measure")
    ap.add_argument("--poll", type=float, default=5, help="seconds between /metrics polls")
    ap.add_argument("--out", required=True)
    ap.add_argument("servers", nargs="+", help="NAME=URL=PID")
    a = ap.parse_args()
    servers = []
    for spec in a.servers:
        name, rest = spec.split("=", 1)
        url, pid = rest.rsplit("=", 1)
        servers.append({"name": name, "url": url, "pid": int(pid), "polls": []})

    for s in servers:
        s["metrics_start"] = rule_metrics(s["url"], s["name"])
        s["cpu_start"] = cpu_seconds(s["pid"])
    busy_start = machine_busy_seconds()
    t0, started = time.monotonic(), time.time()
    while True:
        for s in servers:
            m = rule_metrics(s["url"], s["name"])
            s["polls"].append({"t": round(time.monotonic() - t0, 3),
                               "last_duration_s": m["rule_group_last_duration_seconds"]})
        left = a.window - (time.monotonic() - t0)
        if left <= 0:
            break
        time.sleep(min(a.poll, left))
    wall = time.monotonic() - t0
    busy = machine_busy_seconds() - busy_start
    for s in servers:
        s["cpu_end"] = cpu_seconds(s["pid"])
        s["metrics_end"] = rule_metrics(s["url"], s["name"])

    Path(a.out).mkdir(parents=True, exist_ok=True)
    for s in servers:
        start, end = s["metrics_start"], s["metrics_end"]
        delta = {f: sum(end[f].values()) - sum(start[f].values())
                 for f in FAMILIES if f != "rule_group_last_duration_seconds"}
        sums = [sum(p["last_duration_s"].values()) for p in s["polls"]]
        maxima = [max(p["last_duration_s"].values(), default=0.0) for p in s["polls"]]
        state, firing_by_name = alerts(s["url"])
        result = {
            "server": s["name"], "url": s["url"], "pid": s["pid"], "window_s": wall,
            "window_start_unix": started, "window_end_unix": started + wall,
            "cpu_s": s["cpu_end"] - s["cpu_start"],
            "cores": (s["cpu_end"] - s["cpu_start"]) / wall,
            "rss_mib_end": rss_mib(s["pid"]),
            # Everything else on the machine (the other server, the feed, builds): high = contended.
            "machine_busy_cores": busy / wall,
            "groups": len(end["rule_group_last_duration_seconds"]),
            # Time to evaluate every group once: the sum of the groups' last durations, per poll.
            "sum_last_duration_s": sums,
            "max_group_last_duration_s": maxima,
            "window_deltas": delta,
            "failures_total": sum(end["rule_evaluation_failures_total"].values()),
            "iterations_missed_total": sum(end["rule_group_iterations_missed_total"].values()),
            "alerts": state,
            "firing_by_alertname": firing_by_name,
            "rules": rule_health(s["url"]),
            "polls": s["polls"],
        }
        with open(Path(a.out) / f"{s['name']}.json", "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
