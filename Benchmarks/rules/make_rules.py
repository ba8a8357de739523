"""Writes the rules file for Benchmarks/run-rules-bench: 1,000 alerting rules (50 groups x 20,
every group `interval: 15s`) over the series ../shared/bench/remote_write_load.py generates
(node_exporter-like hosts plus an api-server histogram; 100 series per host).

Deterministic: no randomness, the same arguments always give the same file. Each group has a
scope (the whole fleet, one team or one region, added to every selector) and a tier 1-5 that
picks a threshold from lenient to strict, so the same alert fires on few hosts in one group
and on many in another. Groups take 20 of the 28 rule kinds, rotating, so every kind occurs.

    python make_rules.py OUT.yml [--groups 50] [--rules-per-group 20] [--interval 15s] [--for 1m]
"""

import argparse
import json
import sys

# Label values the load generator uses (remote_write_load.py: TEAMS, REGIONS).
TEAMS = ["platform", "payments", "search", "ml-infra", "checkout"]
REGIONS = ["eu-west-1", "us-east-1", "ap-southeast-2", "us-west-2"]
SCOPES = [None] + [("team", t) for t in TEAMS] + [("region", r) for r in REGIONS]
SEVERITY = ["critical", "critical", "warning", "warning", "info"]


class Kind:
    """One alert: an expression builder (selector function, threshold) and five thresholds."""

    def __init__(self, name, expr, thresholds, summary, description):
        self.name, self.expr, self.thresholds = name, expr, thresholds
        self.summary, self.description = summary, description


# Matchers used inside f-string expressions (no backslashes allowed there before Python 3.12).
IDLE, NOT_IDLE, IOWAIT = 'mode="idle"', 'mode!="idle"', 'mode="iowait"'
LOCAL_FS, NOT_LO = 'fstype=~"ext4|xfs"', 'device!="lo"'
API, NODE_JOB = 'job="api-server"', 'job="node"'

# {{ $value | ... }} uses Prometheus' template functions; the threshold goes in as {T}.
KINDS = [
    Kind("HostCpuIdleLow",
         lambda s, t: f'avg by (instance) (rate({s("node_cpu_seconds_total", IDLE)}[5m])) < {t}',
         [0.2, 0.25, 0.29, 0.31, 0.35],
         "Low CPU idle on {{ $labels.instance }}",
         "Average idle over all cores is {{ $value | humanizePercentage }} (threshold {T})."),
    Kind("HostCpuCoreIdleLow",
         lambda s, t: f'rate({s("node_cpu_seconds_total", IDLE)}[5m]) < {t}',
         [0.15, 0.2, 0.24, 0.29, 0.33],
         "CPU {{ $labels.cpu }} on {{ $labels.instance }} is busy",
         "Idle fraction {{ $value | humanize }} is under {T}."),
    Kind("HostCpuBusyCores",
         lambda s, t: f'sum by (instance) (rate({s("node_cpu_seconds_total", NOT_IDLE)}[5m])) > {t}',
         [3.2, 3.0, 2.75, 2.65, 2.5],
         "{{ $labels.instance }} keeps many cores busy",
         "{{ $value | humanize }} cores busy (threshold {T})."),
    Kind("HostCpuIowaitHigh",
         lambda s, t: f'avg by (instance) (rate({s("node_cpu_seconds_total", IOWAIT)}[5m])) > {t}',
         [0.031, 0.029, 0.027, 0.0265, 0.0255],
         "I/O wait on {{ $labels.instance }}",
         "CPUs wait for I/O {{ $value | humanizePercentage }} of the time."),
    Kind("ClusterCpuHigh",
         lambda s, t: f'avg by (cluster) (1 - rate({s("node_cpu_seconds_total", IDLE)}[5m])) > {t}',
         [0.6, 0.55, 0.52, 0.5, 0.48],
         "Cluster {{ $labels.cluster }} CPU is high",
         "Average CPU use {{ $value | humanizePercentage }} over the cluster (threshold {T})."),
    Kind("HostMemoryAvailableLow",
         lambda s, t: f'{s("node_memory_MemAvailable_bytes")} / {s("node_memory_MemTotal_bytes")} < {t}',
         [0.05, 0.1, 0.2, 0.3, 0.34],
         "Low available memory on {{ $labels.instance }}",
         "Only {{ $value | humanizePercentage }} of memory available."),
    Kind("HostMemoryUsedHigh",
         lambda s, t: f'100 * (1 - {s("node_memory_MemAvailable_bytes")} / {s("node_memory_MemTotal_bytes")}) > {t}',
         [95, 90, 80, 70, 66],
         "Memory use high on {{ $labels.instance }}",
         "{{ $value | humanize }}% of memory in use (threshold {T}%)."),
    Kind("HostMemoryActiveHigh",
         lambda s, t: f'{s("node_memory_Active_bytes")} / {s("node_memory_MemTotal_bytes")} > {t}',
         [0.65, 0.6, 0.55, 0.5, 0.46],
         "Active memory high on {{ $labels.instance }}",
         "Active memory is {{ $value | humanizePercentage }} of the total."),
    Kind("HostSwapUsed",
         lambda s, t: f'1 - {s("node_memory_SwapFree_bytes")} / {s("node_memory_SwapTotal_bytes")} > {t}',
         [0.08, 0.05, 0.04, 0.03, 0.025],
         "{{ $labels.instance }} is swapping",
         "{{ $value | humanizePercentage }} of swap used."),
    Kind("HostDirtyMemoryHigh",
         lambda s, t: f'{s("node_memory_Dirty_bytes")} > {t:g}',
         [9e6, 8e6, 7e6, 6e6, 5e6],
         "Dirty pages pile up on {{ $labels.instance }}",
         "{{ $value | humanize1024 }}B dirty memory."),
    Kind("HostFilesystemWillFill",
         lambda s, t: f'predict_linear({s("node_filesystem_avail_bytes", LOCAL_FS)}[1h], {t}*3600) < 0',
         [4, 8, 24, 48, 72],
         "{{ $labels.mountpoint }} on {{ $labels.instance }} will fill within {T} h",
         "Predicted free space: {{ $value | humanize1024 }}B."),
    Kind("HostFilesystemPredictedLow",
         lambda s, t: (f'predict_linear({s("node_filesystem_avail_bytes")}[1h], 24*3600)'
                       f' / {s("node_filesystem_size_bytes")} < {t}'),
         [0.1, 0.15, 0.2, 0.23, 0.26],
         "{{ $labels.mountpoint }} on {{ $labels.instance }} runs low tomorrow",
         "{{ $value | humanizePercentage }} predicted free in 24 h."),
    Kind("HostFilesystemAlmostFull",
         lambda s, t: f'{s("node_filesystem_avail_bytes")} / {s("node_filesystem_size_bytes")} * 100 < {t}',
         [10, 15, 20, 23, 26],
         "{{ $labels.mountpoint }} on {{ $labels.instance }} is almost full",
         "{{ $value | humanize }}% free (threshold {T}%)."),
    Kind("HostDiskBusy",
         lambda s, t: f'rate({s("node_disk_io_time_seconds_total")}[5m]) > {t}',
         [0.35, 0.32, 0.29, 0.27, 0.24],
         "Disk {{ $labels.device }} on {{ $labels.instance }} is busy",
         "Busy {{ $value | humanizePercentage }} of the time."),
    Kind("HostDiskWriteLatencyHigh",
         lambda s, t: (f'rate({s("node_disk_write_time_seconds_total")}[5m])'
                       f' / rate({s("node_disk_writes_completed_total")}[5m]) > {t}'),
         [0.003, 0.0025, 0.0023, 0.002, 0.0019],
         "Slow writes on {{ $labels.device }} of {{ $labels.instance }}",
         "Mean write time {{ $value | humanizeDuration }}."),
    Kind("HostDiskReadThroughputHigh",
         lambda s, t: f'sum by (instance) (rate({s("node_disk_read_bytes_total")}[5m])) > {t:g}',
         [2e6, 1.5e6, 1.3e6, 1.2e6, 1e6],
         "Heavy disk reads on {{ $labels.instance }}",
         "Reading {{ $value | humanize1024 }}B/s."),
    Kind("HostNetworkReceiveHigh",
         lambda s, t: f'sum by (instance) (rate({s("node_network_receive_bytes_total", NOT_LO)}[5m])) > {t:g}',
         [5e7, 2e7, 1.3e7, 5e6, 3e6],
         "Heavy inbound traffic on {{ $labels.instance }}",
         "Receiving {{ $value | humanize }}B/s."),
    Kind("HostNetworkReceiveDrops",
         lambda s, t: f'increase({s("node_network_receive_drop_total")}[5m]) > {t}',
         [10, 8, 6, 5, 4],
         "{{ $labels.instance }} drops packets on {{ $labels.device }}",
         "{{ $value | humanize }} packets dropped in 5 minutes."),
    Kind("HostLoadPerCoreHigh",
         lambda s, t: (f'{s("node_load5")} / on (instance) group_left'
                       f' count by (instance) ({s("node_cpu_seconds_total", IDLE)}) > {t}'),
         [2.2, 2.0, 1.9, 1.75, 1.6],
         "Load on {{ $labels.instance }} is high",
         "5-minute load per core is {{ $value | humanize }}."),
    Kind("HostContextSwitchesHigh",
         lambda s, t: f'rate({s("node_context_switches_total")}[5m]) > {t}',
         [2800, 2650, 2600, 2500, 2400],
         "Many context switches on {{ $labels.instance }}",
         "{{ $value | humanize }} switches per second."),
    Kind("HostProcsBlocked",
         lambda s, t: f'avg_over_time({s("node_procs_blocked")}[5m]) > {t}',
         [0.4, 0.35, 0.3, 0.25, 0.2],
         "Blocked processes on {{ $labels.instance }}",
         "{{ $value | humanize }} processes blocked on average."),
    Kind("HostFileDescriptorsHigh",
         lambda s, t: f'{s("node_filefd_allocated")} > {t}',
         [25000, 20000, 19500, 19000, 18000],
         "{{ $labels.instance }} has many open files",
         "{{ $value | humanize }} file descriptors allocated."),
    Kind("HostClockSkew",
         lambda s, t: f'abs({s("node_time_seconds")} - timestamp({s("node_time_seconds")})) > {t}',
         [0.2, 0.19, 0.17, 0.15, 0.12],
         "Clock skew on {{ $labels.instance }}",
         "The clock is {{ $value | humanizeDuration }} off."),
    Kind("HostRecentlyRebooted",
         lambda s, t: f'time() - {s("node_boot_time_seconds")} < {t} * 86400',
         [0.5, 1, 2, 3, 7],
         "{{ $labels.instance }} rebooted recently",
         "Up for {{ $value | humanizeDuration }}."),
    Kind("ApiLatencyP99High",
         lambda s, t: (f'histogram_quantile(0.99, sum by (instance, le)'
                       f' (rate({s("http_request_duration_seconds_bucket", API)}[5m]))) > {t}'),
         [5, 2.5, 2.0, 1.5, 1.1],
         "Slow API on {{ $labels.instance }}",
         "p99 latency {{ $value | humanizeDuration }} (threshold {T} s)."),
    Kind("ApiMeanLatencyHigh",
         lambda s, t: (f'rate({s("http_request_duration_seconds_sum")}[5m])'
                       f' / rate({s("http_request_duration_seconds_count")}[5m]) > {t}'),
         [0.3, 0.25, 0.22, 0.18, 0.16],
         "API mean latency high on {{ $labels.instance }}",
         "Mean latency {{ $value | humanizeDuration }} for {{ $labels.handler }}."),
    Kind("ApiRequestRateHigh",
         lambda s, t: f'sum by (instance) (rate({s("http_request_duration_seconds_count")}[5m])) > {t}',
         [250, 175, 140, 100, 70],
         "Heavy API traffic on {{ $labels.instance }}",
         "{{ $value | humanize }} requests per second."),
    Kind("ClusterNodesMissing",
         lambda s, t: f'count by (cluster) ({s("up", NODE_JOB)} == 1) < {t}',
         [1, 1, 2, 2, 3],
         "Few node exporters up in {{ $labels.cluster }}",
         "Only {{ $value }} nodes report (threshold {T})."),
]


def selector_factory(scope):
    """A function building `metric{matchers, scope matcher}` for one group's scope."""
    extra = [] if scope is None else [f'{scope[0]}="{scope[1]}"']

    def s(metric, *matchers):
        all_matchers = list(matchers) + extra
        return f'{metric}{{{",".join(all_matchers)}}}' if all_matchers else metric
    return s


def q(text):
    """A YAML double-quoted scalar (JSON's escapes are valid YAML)."""
    return json.dumps(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--groups", type=int, default=50)
    ap.add_argument("--rules-per-group", type=int, default=20)
    ap.add_argument("--interval", default="15s")
    ap.add_argument("--for", dest="for_", default="1m")
    a = ap.parse_args()
    if a.rules_per_group > len(KINDS):
        sys.exit(f"at most {len(KINDS)} rules per group")
    lines = ["# Generated by Benchmarks/rules/make_rules.py; do not edit.", "groups:"]
    rules = 0
    for g in range(a.groups):
        scope = SCOPES[g % len(SCOPES)]
        tier = (g // len(SCOPES)) % 5
        scope_name = "fleet" if scope is None else scope[1]
        s = selector_factory(scope)
        lines += [f"  - name: {q(f'node-{scope_name}-tier{tier + 1}-{g:02d}')}",
                  f"    interval: {a.interval}",
                  "    rules:"]
        for j in range(a.rules_per_group):
            kind = KINDS[(g * 3 + j) % len(KINDS)]
            t = kind.thresholds[tier]
            lines += [f"      - alert: {kind.name}",
                      f"        expr: {q(kind.expr(s, t))}",
                      f"        for: {a.for_}",
                      "        labels:",
                      f"          severity: {SEVERITY[tier]}",
                      f"          tier: {q(str(tier + 1))}",
                      f"          scope: {q(scope_name)}",
                      "        annotations:",
                      f"          summary: {q(kind.summary.replace('{T}', f'{t:g}'))}",
                      f"          description: {q(kind.description.replace('{T}', f'{t:g}'))}",
                      f"          runbook_url: {q('https://runbooks.example.com/' + kind.name)}"]
            rules += 1
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {rules} alerting rules in {a.groups} groups to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
