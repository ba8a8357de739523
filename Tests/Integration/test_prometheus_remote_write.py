"""A stock Prometheus (Debian's package) scrapes itself and remote-writes to Lookout, unchanged:
its own series arrive with their labels and samples."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import requests

import remote_write

pytestmark = pytest.mark.timeout(120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def prometheus(tmp_path, lookout_url):
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("the prometheus binary is missing: scripts/ensure-packages test installs Debian's prometheus")
    port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:{port}"]
  - job_name: lookout
    static_configs:
      - targets: ["{lookout_url.removeprefix('http://')}"]
remote_write:
  - url: {lookout_url}/api/v1/write
    queue_config:
      batch_send_deadline: 1s
    metadata_config:
      send_interval: 2s
""")
    log = open(tmp_path / "prometheus.log", "wb")
    proc = subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_stock_prometheus_delivers_its_series(lookout_url, prometheus):
    deadline = time.monotonic() + 60
    found = {}
    while time.monotonic() < deadline:
        found = remote_write.export(lookout_url, '{__name__=~"up|prometheus_build_info"}')
        jobs = {dict(key).get("job") for key in found if dict(key)["__name__"] == "up"}
        if {"prometheus", "lookout"} <= jobs and any(len(v) >= 3 for v in found.values()):
            break
        time.sleep(1)
    names = {dict(key)["__name__"] for key in found}
    assert {"up", "prometheus_build_info"} <= names, f"series received: {sorted(found)}"
    up = {dict(key)["job"]: samples for key, samples in found.items() if dict(key)["__name__"] == "up"}
    assert up["prometheus"][-1][1] == 1.0 and up["lookout"][-1][1] == 1.0
    # Scraped every second: timestamps advance about a second apart.
    times = [t for t, _ in up["prometheus"]]
    assert all(500 <= b - a <= 5000 for a, b in zip(times, times[1:]))
    # Lookout's own counters show the remote-write traffic, and Prometheus sent metadata.
    metrics = requests.get(f"{lookout_url}/metrics", timeout=10).text
    assert 'lookout_samples_ingested_total{format="remote_write"}' in metrics
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        meta = requests.get(f"{lookout_url}/api/v1/metadata", params={"metric": "prometheus_build_info"}, timeout=10).json()
        if meta["data"]:
            break
        time.sleep(1)
    assert meta["data"]["prometheus_build_info"][0]["type"] == "gauge"
