"""Alert rules end to end: a real `lookout serve` evaluating a rules file, a webhook receiver
on 127.0.0.1 that records what it gets, a stock Alertmanager (Debian prometheus-alertmanager),
reloads on POST /-/reload and SIGHUP, and the `lookout rules check|test` commands over
promtool's own fixtures with promtool's exit codes."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from conftest import LookoutServer, lookout_binary

pytestmark = pytest.mark.timeout(120)

PROMTOOL_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "promtool-testdata"

RULES = """
groups:
  - name: probes
    rules:
      - alert: ProbeDown
        expr: probe_up == 0
        for: 2s
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.instance }} is down"
          value: "{{ $value }} in {{ $externalLabels.cluster }}"
      - record: probe:up:count
        expr: count(probe_up)
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """An HTTP server recording every JSON body POSTed to it; answers `status` (200 by default)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.bodies: list[dict] = []
        self.status = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.bodies.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                            "json": json.loads(body)})
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def wait_for(self, predicate, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for body in self.bodies:
                    if predicate(body["json"]):
                        return body
            time.sleep(0.1)
        with self.lock:
            raise AssertionError(f"no matching notification within {timeout}s; got {self.bodies!r}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def start_lookout(tmp_path: Path, config: str, *args: str) -> LookoutServer:
    (tmp_path / "lookout.yaml").write_text(config)
    return LookoutServer(lookout_binary(), tmp_path, ["--config", str(tmp_path / "lookout.yaml"), *args]).start()


def config(rules_path: Path, webhooks: str = "[]", alertmanagers: str = "[]", resend: str = "1m") -> str:
    return f"""
rule_files: ["{rules_path}"]
rules:
  evaluation_interval: 1s
  resend_delay: {resend}
alerting:
  external_url: http://lookout.example:9411
  external_labels: {{cluster: test}}
  webhooks: {webhooks}
  alertmanagers: {alertmanagers}
"""


def push(url: str, text: str):
    r = requests.post(f"{url}/api/v1/import/prometheus", data=text.encode(), headers={"Content-Type": "text/plain"}, timeout=10)
    assert r.status_code == 204, r.text


def fingerprint(labels: dict) -> str:
    h = 0xCBF29CE484222325
    for name in sorted(labels):
        for byte in name.encode() + b"\xff" + labels[name].encode() + b"\xff":
            h ^= byte
            h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_webhook_gets_the_exact_payload_then_the_resolution(tmp_path):
    rules = tmp_path / "probes.yml"
    rules.write_text(RULES)
    receiver = Receiver()
    server = start_lookout(tmp_path, config(rules, webhooks=f'[{{url: "{receiver.url}", group_by: [alertname], receiver: "team-x"}}]'))
    try:
        push(server.url, 'probe_up{instance="db-1",job="probe"} 0\n')
        firing = receiver.wait_for(lambda b: b["status"] == "firing")
        assert firing["path"] == "/hook" and firing["content_type"] == "application/json"
        payload = firing["json"]
        labels = {"alertname": "ProbeDown", "instance": "db-1", "job": "probe", "severity": "page", "cluster": "test"}
        annotations = {"summary": "db-1 is down", "value": "0 in test"}
        assert set(payload) == {"receiver", "status", "alerts", "groupLabels", "commonLabels", "commonAnnotations",
                                "externalURL", "version", "groupKey", "truncatedAlerts"}
        assert payload["receiver"] == "team-x"
        assert payload["version"] == "4"
        assert payload["groupLabels"] == {"alertname": "ProbeDown"}
        assert payload["groupKey"] == '{}:{alertname="ProbeDown"}'
        assert payload["commonLabels"] == labels
        assert payload["commonAnnotations"] == annotations
        assert payload["externalURL"] == "http://lookout.example:9411"
        assert payload["truncatedAlerts"] == 0
        [alert] = payload["alerts"]
        assert alert["status"] == "firing"
        assert alert["labels"] == labels and alert["annotations"] == annotations
        assert RFC3339.match(alert["startsAt"]), alert["startsAt"]
        assert alert["endsAt"] == "0001-01-01T00:00:00Z"
        assert alert["generatorURL"] == "http://lookout.example:9411/graph?g0.expr=probe_up+%3D%3D+0&g0.tab=1"
        assert alert["fingerprint"] == fingerprint(labels)

        # The API shows it as Prometheus does, and ALERTS is queryable.
        alerts = requests.get(f"{server.url}/api/v1/alerts", timeout=10).json()
        assert alerts["status"] == "success"
        [shown] = alerts["data"]["alerts"]
        assert shown["state"] == "firing" and shown["value"] == "0e+00"
        assert shown["labels"] == {k: v for k, v in labels.items() if k != "cluster"}
        query = requests.get(f"{server.url}/api/v1/query", params={"query": 'ALERTS{alertname="ProbeDown"}'}, timeout=10).json()
        assert [r["metric"]["alertstate"] for r in query["data"]["result"]] == ["firing"]
        recorded = requests.get(f"{server.url}/api/v1/query", params={"query": "probe:up:count"}, timeout=10).json()
        assert recorded["data"]["result"][0]["value"][1] == "1"

        groups = requests.get(f"{server.url}/api/v1/rules", timeout=10).json()["data"]["groups"]
        [group] = groups
        assert group["name"] == "probes" and group["file"] == str(rules) and group["interval"] == 1
        alerting, recording = group["rules"]
        assert alerting["type"] == "alerting" and alerting["state"] == "firing" and alerting["duration"] == 2
        assert alerting["health"] == "ok" and alerting["query"] == "probe_up == 0"
        assert alerting["labels"] == {"severity": "page"} and len(alerting["alerts"]) == 1
        assert recording == {**recording, "type": "recording", "name": "probe:up:count", "health": "ok"}

        push(server.url, 'probe_up{instance="db-1",job="probe"} 1\n')
        resolved = receiver.wait_for(lambda b: b["status"] == "resolved")["json"]
        [alert] = resolved["alerts"]
        assert alert["status"] == "resolved" and RFC3339.match(alert["endsAt"])
        assert alert["endsAt"] >= alert["startsAt"]
    finally:
        receiver.close()
        assert server.stop() == 0


def test_receiver_that_was_down_gets_the_alert_when_it_comes_back(tmp_path):
    rules = tmp_path / "probes.yml"
    rules.write_text(RULES)
    port = free_port()
    server = start_lookout(tmp_path, config(rules, webhooks=f'[{{url: "http://127.0.0.1:{port}/hook"}}]'))
    receiver = None
    try:
        push(server.url, 'probe_up{instance="db-2",job="probe"} 0\n')
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            metrics = requests.get(f"{server.url}/metrics", timeout=10).text
            if re.search(r'lookout_notifications_errors_total\{receiver="[^"]+"\} [1-9]', metrics):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("no failed delivery was counted while the receiver was down")
        receiver = Receiver(port)
        body = receiver.wait_for(lambda b: b["status"] == "firing", timeout=40)
        assert body["json"]["alerts"][0]["labels"]["instance"] == "db-2"
    finally:
        if receiver:
            receiver.close()
        assert server.stop() == 0


@pytest.mark.skipif(shutil.which("prometheus-alertmanager") is None, reason="needs Debian's prometheus-alertmanager")
def test_alertmanager_receives_and_shows_the_alert(tmp_path):
    am_port = free_port()
    (tmp_path / "am.yml").write_text("route:\n  receiver: default\nreceivers:\n  - name: default\n")
    alertmanager = subprocess.Popen(
        ["prometheus-alertmanager", f"--config.file={tmp_path / 'am.yml'}", f"--storage.path={tmp_path / 'am'}",
         f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    rules = tmp_path / "probes.yml"
    rules.write_text(RULES)
    server = None
    try:
        am_url = f"http://127.0.0.1:{am_port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{am_url}/-/ready", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        server = start_lookout(tmp_path, config(rules, alertmanagers=f'["{am_url}"]'))
        push(server.url, 'probe_up{instance="db-3",job="probe"} 0\n')
        deadline = time.monotonic() + 30
        shown = []
        while time.monotonic() < deadline and not shown:
            shown = requests.get(f"{am_url}/api/v2/alerts", timeout=5).json()
            time.sleep(0.2)
        [alert] = shown
        assert alert["labels"] == {"alertname": "ProbeDown", "instance": "db-3", "job": "probe", "severity": "page",
                                   "cluster": "test"}
        assert alert["annotations"]["summary"] == "db-3 is down"
        assert alert["status"]["state"] == "active"
        assert alert["generatorURL"].startswith("http://lookout.example:9411/graph?g0.expr=")
    finally:
        if server:
            assert server.stop() == 0
        alertmanager.terminate()
        alertmanager.wait(timeout=10)


def test_reload_with_a_broken_file_keeps_the_running_rules(tmp_path):
    rules = tmp_path / "probes.yml"
    rules.write_text(RULES)
    server = start_lookout(tmp_path, config(rules))

    def rule_names():
        groups = requests.get(f"{server.url}/api/v1/rules", timeout=10).json()["data"]["groups"]
        return [rule["name"] for group in groups for rule in group["rules"]]

    def reload_gauge():
        metrics = requests.get(f"{server.url}/metrics", timeout=10).text
        return re.search(r"^lookout_config_last_reload_successful (\S+)$", metrics, re.M).group(1)

    try:
        assert rule_names() == ["ProbeDown", "probe:up:count"]
        rules.write_text("groups:\n  - name: probes\n    rules:\n      - alert: Broken\n        expr: 'sum('\n")
        r = requests.post(f"{server.url}/-/reload", timeout=10)
        assert r.status_code == 500
        assert "probes.yml:5:" in r.text and "could not parse expression" in r.text, r.text
        assert rule_names() == ["ProbeDown", "probe:up:count"]
        assert reload_gauge() == "0"

        rules.write_text(RULES.replace("ProbeDown", "ProbeFailing"))
        server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and rule_names()[0] != "ProbeFailing":
            time.sleep(0.1)
        assert rule_names() == ["ProbeFailing", "probe:up:count"]
        assert reload_gauge() == "1"
        assert requests.post(f"{server.url}/-/reload", timeout=10).status_code == 200
    finally:
        assert server.stop() == 0


def test_serve_refuses_a_bad_rules_file_at_start(tmp_path):
    rules = tmp_path / "bad.yml"
    rules.write_text("groups:\n  - name: g\n    rules:\n      - record: x\n        expr: 'test +'\n")
    result = subprocess.run([str(lookout_binary()), "serve", "--rules", str(rules), "--listen", f"127.0.0.1:{free_port()}",
                             "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"{rules}:5:" in result.stderr and "could not parse expression" in result.stderr


# promtool's exit codes per fixture (../shared/conformance/promtool-testdata/README.md). The
# @ modifier and negative offsets are always on in Lookout, so those files pass as promtool's do
# with the features enabled.
RULE_TESTS = [
    ("long-period.yml", [], 0),
    ("no-test-group-interval.yml", [], 0),
    ("start-time-test.yml", [], 0),
    ("at-modifier-test.yml", [], 0),
    ("negative-offset-test.yml", [], 0),
    ("bad-input-series.yml", [], 1),
    ("bad-promql.yml", [], 1),
    ("bad-rules-syntax-test.yml", [], 1),
    ("bad-rules-error-test.yml", [], 1),
    ("failing.yml", [], 1),
    ("rules_run.yml", [], 1),
    ("rules_run.yml", ["--run", "correct"], 0),
    ("rules_run.yml", ["--run", "wrong"], 1),
    ("rules_run_fuzzy.yml", ["--run", "correct"], 0),
    ("rules_run_fuzzy.yml", ["--run", "wrong"], 1),
    ("rules_run_no_fuzzy.yml", [], 1),
    ("rules_run_extrafields.yml", ["--ignore-unknown-fields"], 0),
    ("rules_run_extrafields.yml", [], 1),
]


@pytest.mark.parametrize("name,args,expected", RULE_TESTS, ids=[f"{n}{' '.join([''] + a)}" for n, a, _ in RULE_TESTS])
def test_rules_test_exit_codes_match_promtool(name, args, expected):
    result = subprocess.run([str(lookout_binary()), "rules", "test", *args, str(PROMTOOL_FIXTURES / name)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == expected, result.stdout + result.stderr


def test_rules_test_unittest_fails_only_on_native_histograms():
    # unittest.yml passes under promtool (exit 0); its first group uses native histograms,
    # which Lookout does not store, so that group fails and says why; every other group passes.
    result = subprocess.run([str(lookout_binary()), "rules", "test", str(PROMTOOL_FIXTURES / "unittest.yml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    failures = result.stdout.split("FAILED:")[1:]
    assert len(failures) == 1 and "native histogram" in failures[0], result.stdout


@pytest.mark.parametrize("name,expected", [("rules.yml", 0), ("rules-bad.yml", 1), ("rules_duplicates.yml", 0),
                                           ("rules_extrafields.yml", 1), ("bad-rules-syntax.yml", 1)])
def test_rules_check_exit_codes_match_promtool(name, expected):
    result = subprocess.run([str(lookout_binary()), "rules", "check", str(PROMTOOL_FIXTURES / name)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == expected, result.stdout + result.stderr
    if name == "rules_duplicates.yml":
        assert "duplicate rule(s) found" in result.stdout and "job:test:count_over_time1m" in result.stdout
        fatal = subprocess.run([str(lookout_binary()), "rules", "check", "--lint-fatal", str(PROMTOOL_FIXTURES / name)],
                               capture_output=True, text=True, timeout=30)
        assert fatal.returncode == 3
    if name == "rules-bad.yml":
        assert 'undefined variable "$label"' in result.stderr, result.stderr


def test_shipped_example_rules_are_valid():
    examples = sorted((Path(__file__).resolve().parents[2] / "collectors" / "rules").glob("*.yml"))
    assert examples
    result = subprocess.run([str(lookout_binary()), "rules", "check", *map(str, examples)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_restart_keeps_the_pending_time_of_a_long_for(tmp_path):
    # `for: 10m` with a 1 s grace period: after a restart the alert's active-since time comes
    # back from ALERTS_FOR_STATE (shifted by the downtime) instead of starting over.
    rules = tmp_path / "slow.yml"
    rules.write_text(RULES.replace("for: 2s", "for: 10m"))
    text = config(rules).replace("resend_delay: 1m", "resend_delay: 1m\n  for_grace_period: 1s")

    def active_at(server) -> str | None:
        alerts = requests.get(f"{server.url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
        return alerts[0]["activeAt"] if alerts else None

    server = start_lookout(tmp_path, text)
    try:
        now = time.time()
        push(server.url, "".join(f'probe_up{{instance="db-4",job="probe"}} 0 {int((now + i) * 1000)}\n' for i in range(0, 60, 5)))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and active_at(server) is None:
            time.sleep(0.2)
        first = active_at(server)
        assert first is not None
        time.sleep(10)
    finally:
        assert server.stop() == 0
    restarted_at = time.time()
    server = start_lookout(tmp_path, text)
    try:
        deadline = time.monotonic() + 20
        restored = None
        while time.monotonic() < deadline:
            metrics = requests.get(f"{server.url}/metrics", timeout=10).text
            iterations = re.search(r'lookout_rule_group_iterations_total\{[^}]*\} (\d+)', metrics)
            if iterations and int(iterations.group(1)) >= 3:
                restored = active_at(server)
                break
            time.sleep(0.2)
        assert restored is not None

        def seconds(stamp: str) -> float:
            from datetime import datetime
            return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()

        # Restored: about the first active time plus the few seconds of downtime, well before the restart.
        assert seconds(restored) < restarted_at - 3, (first, restored, restarted_at)
        assert seconds(restored) >= seconds(first)
        metrics = requests.get(f"{server.url}/metrics", timeout=10).text
        assert re.search(r"^lookout_rule_evaluation_duration_seconds_count [1-9]", metrics, re.M)
    finally:
        assert server.stop() == 0


def test_traced_service_errors_become_series_and_an_alert(tmp_path):
    # Spans a service sends turn into OpenTelemetry spanmetrics series, and a rule over them fires.
    rules = tmp_path / "traced.yml"
    rules.write_text("""
groups:
  - name: traced
    rules:
      - alert: ServiceErrors
        expr: sum by (service_name) (increase(traces_span_metrics_calls_total{status_code="STATUS_CODE_ERROR"}[1m])) > 0
        annotations:
          summary: "{{ $labels.service_name }} is failing"
""")
    text = config(rules) + "traces:\n  span_metrics_interval: 1s\n"
    server = start_lookout(tmp_path, text)

    def spans(error: bool, count: int) -> list[dict]:
        now_us = int(time.time() * 1_000_000)
        return [{"traceId": f"{i + (1000 if error else 1):016x}", "id": f"{i + 1:016x}", "name": "get /cart", "kind": "SERVER",
                 "timestamp": now_us, "duration": 150_000, "localEndpoint": {"serviceName": "checkout"},
                 "tags": {"error": "boom"} if error else {}} for i in range(count)]

    try:
        assert requests.post(f"{server.url}/api/v2/spans", json=spans(False, 3), timeout=10).status_code == 202
        time.sleep(1.5)
        assert requests.post(f"{server.url}/api/v2/spans", json=spans(True, 2), timeout=10).status_code == 202
        deadline = time.monotonic() + 20
        fired = []
        while time.monotonic() < deadline and not fired:
            alerts = requests.get(f"{server.url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
            fired = [a for a in alerts if a["labels"]["alertname"] == "ServiceErrors" and a["state"] == "firing"]
            time.sleep(0.2)
        assert fired and fired[0]["labels"]["service_name"] == "checkout"
        assert fired[0]["annotations"]["summary"] == "checkout is failing"

        def query(expr: str) -> dict:
            result = requests.get(f"{server.url}/api/v1/query", params={"query": expr}, timeout=10).json()["data"]["result"]
            return {tuple(sorted(r["metric"].items())): r["value"][1] for r in result}

        calls = query("traces_span_metrics_calls_total")
        assert calls == {
            (("__name__", "traces_span_metrics_calls_total"), ("service_name", "checkout"), ("span_kind", "SPAN_KIND_SERVER"),
             ("status_code", "STATUS_CODE_ERROR")): "2",
            (("__name__", "traces_span_metrics_calls_total"), ("service_name", "checkout"), ("span_kind", "SPAN_KIND_SERVER"),
             ("status_code", "STATUS_CODE_UNSET")): "3",
        }
        buckets = query('traces_span_metrics_duration_seconds_bucket{status_code="STATUS_CODE_UNSET"}')
        by_le = {dict(k)["le"]: v for k, v in buckets.items()}
        assert by_le["0.1"] == "0" and by_le["0.2"] == "3" and by_le["+Inf"] == "3" and len(by_le) == 17
        assert abs(float(query('traces_span_metrics_duration_seconds_sum{status_code="STATUS_CODE_UNSET"}').popitem()[1]) - 0.45) < 1e-9
    finally:
        assert server.stop() == 0
