"""lookout-agent end to end: a real agent process shipping to a real collector on 127.0.0.1,
through collector outages and an agent killed with SIGKILL, with nothing lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import REPO_ROOT, lookout_binary

pytestmark = pytest.mark.timeout(120)

AGENT_BIN = Path(os.environ.get("LOOKOUT_AGENT_BIN", str(REPO_ROOT / ".build" / "debug" / "lookout-agent"))).resolve()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    def __init__(self, args: list[str], log: Path):
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

    def stop(self, sig=signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)
        return self.proc.returncode


def start_collector(tmp: Path, port: int) -> Process:
    collector = Process([str(lookout_binary()), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(tmp / "collector")],
                        tmp / "collector.log")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return collector
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError((tmp / "collector.log").read_text())


def start_agent(tmp: Path, port: int, *extra: str) -> Process:
    (tmp / "agent.yaml").write_text(f"""
collector: http://127.0.0.1:{port}
interval: 1s
send_timeout: 1s
data_dir: {tmp / 'agent'}
instance: test-host
labels:
  team: infra
""")
    return Process([str(AGENT_BIN), "--config", str(tmp / "agent.yaml"), *extra], tmp / "agent.log")


def query(port: int, expr: str) -> list[dict]:
    r = requests.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": expr}, timeout=10)
    return r.json()["data"]["result"]


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def wait_drained(port: int, since: float):
    """Until the agent reports an empty spool in a sample taken after `since` (Unix seconds)."""
    expr = f'lookout_agent_spool_batches{{instance="test-host"}} == 0 and timestamp(lookout_agent_spool_batches) > {since + 1}'
    wait_for(lambda: query(port, expr), timeout=40, what="spool drained")


def clock_timestamps(port: int) -> list[int]:
    """Every `node_time_seconds` sample the collector holds: one per agent collection."""
    r = requests.get(f"http://127.0.0.1:{port}/api/v1/export", params={"match[]": 'node_time_seconds{instance="test-host"}'},
                     timeout=10)
    lines = [json.loads(line) for line in r.text.splitlines() if line.strip()]
    assert len(lines) == 1, r.text[:500]
    return lines[0]["timestamps"]


def test_host_appears_with_node_exporter_metrics(tmp_path):
    port = free_port()
    collector = start_collector(tmp_path, port)
    agent = start_agent(tmp_path, port)
    try:
        cpu = wait_for(lambda: query(port, 'node_cpu_seconds_total{instance="test-host",team="infra",job="node"}'),
                       what="cpu series")
        assert {r["metric"]["mode"] for r in cpu} >= {"user", "system", "idle", "iowait"}
        assert len({r["metric"]["cpu"] for r in cpu}) == os.cpu_count()
        mem_total_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal:"))
        [mem] = query(port, 'node_memory_MemTotal_bytes{instance="test-host"}')
        assert float(mem["value"][1]) == mem_total_kb * 1024
        assert query(port, 'node_filesystem_size_bytes{instance="test-host",mountpoint="/"}')
        assert query(port, 'node_uname_info{instance="test-host"}')
        assert query(port, 'node_load1{instance="test-host"}')
        wait_for(lambda: query(port, 'rate(node_cpu_seconds_total{instance="test-host",mode!="idle"}[5s])'), what="rates")
        sent = wait_for(lambda: query(port, 'lookout_agent_batches_sent_total{instance="test-host"} > 0'), what="self metrics")
        assert float(sent[0]["value"][1]) >= 1
    finally:
        assert agent.stop() == 0, (tmp_path / "agent.log").read_text()
        assert collector.stop() == 0


def test_collector_outage_loses_nothing(tmp_path):
    port = free_port()
    collector = start_collector(tmp_path, port)
    agent = start_agent(tmp_path, port)
    try:
        wait_for(lambda: len(clock_timestamps(port)) >= 3 if query(port, "node_time_seconds") else False, what="first samples")
        assert collector.stop() == 0
        time.sleep(6)  # the agent keeps collecting into its spool
        spool_bytes = sum(f.stat().st_size for f in (tmp_path / "agent" / "spool").glob("*.seg"))
        assert spool_bytes > 0
        restarted = time.time()
        collector = start_collector(tmp_path, port)
        wait_drained(port, restarted)
        stamps = clock_timestamps(port)
        assert len(stamps) == len(set(stamps)), "a batch was stored twice"
        # Batches go oldest first, and each carries the count of collections before it: the
        # newest one stored says how many there must be.
        r = requests.get(f"http://127.0.0.1:{port}/api/v1/query", timeout=10,
                         params={"query": 'lookout_agent_collections_total{instance="test-host"}', "time": stamps[-1] / 1000})
        [counted] = r.json()["data"]["result"]
        assert len(stamps) == int(counted["value"][1]) + 1, "a collection went missing during the outage"
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        assert max(gaps) < 2900, f"a collection went missing during the outage: gaps {gaps}"
        assert len(stamps) >= 10
        failures = query(port, 'lookout_agent_send_failures_total{instance="test-host"}')
        assert float(failures[0]["value"][1]) > 0
    finally:
        assert agent.stop() == 0, (tmp_path / "agent.log").read_text()
        assert collector.stop() == 0


def test_agent_killed_while_spooling_loses_and_doubles_nothing(tmp_path):
    port = free_port()
    collector = start_collector(tmp_path, port)
    agent = start_agent(tmp_path, port)
    try:
        wait_for(lambda: query(port, 'node_time_seconds{instance="test-host"}'), what="first samples")
        assert collector.stop() == 0
        time.sleep(4)
        killed_at = time.time()
        agent.stop(signal.SIGKILL)
        agent = start_agent(tmp_path, port)
        time.sleep(2)
        restarted = time.time()
        collector = start_collector(tmp_path, port)
        wait_drained(port, restarted)
        stamps = clock_timestamps(port)
        assert len(stamps) == len(set(stamps))
        before_kill = [t for t in stamps if t < killed_at * 1000]
        gaps = [b - a for a, b in zip(before_kill, before_kill[1:])]
        assert max(gaps) < 2900, f"spooled collections were lost: {gaps}"
        assert before_kill[-1] > (killed_at - 2.9) * 1000, "the last collections before the kill are missing"
    finally:
        assert agent.stop() == 0, (tmp_path / "agent.log").read_text()
        assert collector.stop() == 0


@pytest.mark.parametrize("args,message", [
    ([], "--collector (or collector: in the config) is required"),
    (["--collector", "ftp://x"], '--collector: "ftp://x" is not an http:// or https:// URL'),
    (["--collector", "http://x", "--interval", "soon"], '--interval: "soon" is not a duration'),
    (["--collector", "http://x", "--label", "no-equals"], '--label: "no-equals" is not name=value'),
])
def test_bad_command_lines_exit_with_one_line(args, message):
    result = subprocess.run([str(AGENT_BIN), *args], capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_bad_config_names_the_key(tmp_path):
    (tmp_path / "agent.yaml").write_text("collector: http://127.0.0.1:1\nintervall: 5s\n")
    result = subprocess.run([str(AGENT_BIN), "--config", str(tmp_path / "agent.yaml")], capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    assert "agent.yaml:2: unknown key 'intervall'" in result.stderr


def test_the_shipped_config_runs(tmp_path):
    # collectors/agent.yaml as shipped, pointed at a test collector: the first collection
    # arrives at once, labelled with the host name.
    port = free_port()
    collector = start_collector(tmp_path, port)
    agent = Process([str(AGENT_BIN), "--config", str(REPO_ROOT / "collectors" / "agent.yaml"),
                     "--collector", f"http://127.0.0.1:{port}", "--data-dir", str(tmp_path / "agent")], tmp_path / "agent.log")
    try:
        found = wait_for(lambda: query(port, "node_boot_time_seconds"), what="the first collection")
        assert found[0]["metric"]["instance"] == socket.gethostname()
    finally:
        assert agent.stop() == 0, (tmp_path / "agent.log").read_text()
        assert collector.stop() == 0


def test_scraped_app_metrics_arrive_with_up(tmp_path):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    exposition = (b"# TYPE app_requests_total counter\n"
                  b'app_requests_total{path="/cart",job="inner"} 5\n'
                  b"# TYPE app_latency_seconds histogram\n"
                  b'app_latency_seconds_bucket{le="0.1"} 3\napp_latency_seconds_bucket{le="+Inf"} 4\n'
                  b"app_latency_seconds_sum 0.9\napp_latency_seconds_count 4\n")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(exposition)))
            self.end_headers()
            self.wfile.write(exposition)

        def log_message(self, *args):
            pass

    app = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    app_port = app.server_address[1]
    port = free_port()
    collector = start_collector(tmp_path, port)
    agent = start_agent(tmp_path, port, "--scrape", f"http://127.0.0.1:{app_port}/metrics")
    try:
        target = f'job="app",instance="127.0.0.1:{app_port}"'
        found = wait_for(lambda: query(port, f"app_requests_total{{{target}}}"), what="scraped series")
        assert found[0]["metric"] == {"__name__": "app_requests_total", "path": "/cart", "exported_job": "inner",
                                      "job": "app", "instance": f"127.0.0.1:{app_port}", "team": "infra"}
        assert found[0]["value"][1] == "5"
        assert query(port, f'histogram_quantile(0.5, app_latency_seconds_bucket{{{target}}})')
        assert wait_for(lambda: query(port, f"up{{{target}}} == 1"), what="up")
        assert query(port, f"scrape_samples_scraped{{{target}}}")[0]["value"][1] == "5"
        app.shutdown()
        app.server_close()
        assert wait_for(lambda: query(port, f"up{{{target}}} == 0"), what="up turning 0")
    finally:
        assert agent.stop() == 0, (tmp_path / "agent.log").read_text()
        assert collector.stop() == 0
