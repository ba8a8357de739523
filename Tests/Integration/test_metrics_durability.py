"""Durability of metric ingest: a `lookout serve` killed with SIGKILL in the middle of
ingest comes back with every acknowledged sample, each exactly once; a graceful restart with
data in memory, in the write-ahead log and in SQLite loses nothing either."""

from __future__ import annotations

import signal
import threading
import time

import pytest
import requests

import remote_write
from conftest import LookoutServer, lookout_binary

pytestmark = pytest.mark.timeout(180)

STEP_MS = 1000


def _writer(url: str, writer: int, start_ms: int, acked: list, stop: threading.Event):
    """Sends batches of 50 series x 5 samples until stopped or refused; records acked batches."""
    step = 0
    session = requests.Session()
    while not stop.is_set():
        series = []
        for host in range(50):
            labels = {"__name__": "crash_test", "writer": str(writer), "host": str(host)}
            samples = [(start_ms + (step * 5 + i) * STEP_MS, float(step * 5 + i + host)) for i in range(5)]
            series.append((labels, samples))
        try:
            r = session.post(f"{url}/api/v1/write", data=remote_write.compress(remote_write.encode(series)),
                             headers=remote_write.HEADERS, timeout=5)
        except requests.RequestException:
            return
        if r.status_code != 204:
            return
        acked.append(series)
        step += 1


def test_sigkill_mid_ingest_keeps_every_acknowledged_sample(tmp_path):
    server = LookoutServer(lookout_binary(), tmp_path).start()
    start_ms = int(time.time() * 1000) - 3_600_000
    acked: list = []
    stop = threading.Event()
    writers = [threading.Thread(target=_writer, args=(server.url, w, start_ms, acked, stop)) for w in range(3)]
    for thread in writers:
        thread.start()
    # Let enough through that chunks are closed and flushed, then kill without warning.
    deadline = time.monotonic() + 60
    while len(acked) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=10)
    stop.set()
    for thread in writers:
        thread.join(timeout=10)
    assert len(acked) >= 150, "the server acknowledged too few batches before the kill"

    restarted = LookoutServer(lookout_binary(), tmp_path).start()
    try:
        stored = remote_write.export(restarted.url, "crash_test")
        expected: dict[tuple, set] = {}
        for batch in acked:
            for labels, samples in batch:
                expected.setdefault(tuple(sorted(labels.items())), set()).update(samples)
        missing = 0
        for key, samples in expected.items():
            have = stored.get(key, [])
            # Nothing twice: timestamps strictly increase.
            assert all(a[0] < b[0] for a, b in zip(have, have[1:])), f"duplicate samples in {key}"
            missing += len(samples - set(have))
        assert missing == 0, f"{missing} acknowledged samples are missing after the restart"
    finally:
        assert restarted.stop() == 0


def test_graceful_restart_with_data_everywhere(tmp_path):
    server = LookoutServer(lookout_binary(), tmp_path).start()
    start_ms = int(time.time() * 1000) - 3_600_000
    sent = {}
    # 300 samples per series: two closed chunks flushed to SQLite, the rest in the open chunk.
    for step in range(60):
        series = []
        for host in range(20):
            labels = {"__name__": "restart_test", "host": str(host)}
            samples = [(start_ms + (step * 5 + i) * STEP_MS, float(i * host)) for i in range(5)]
            series.append((labels, samples))
            sent.setdefault(tuple(sorted(labels.items())), []).extend(samples)
        assert remote_write.post(server.url, series).status_code == 204
    # A late sample (within the 10 minute window) sits in the late buffer.
    late_key = tuple(sorted({"__name__": "restart_test", "host": "0"}.items()))
    late = (start_ms + 299 * STEP_MS - 500, 42.0)
    assert remote_write.post(server.url, [(dict(late_key), [late])]).status_code == 204
    sent[late_key].append(late)
    assert server.stop() == 0
    restarted = LookoutServer(lookout_binary(), tmp_path).start()
    try:
        stored = remote_write.export(restarted.url, "restart_test")
        assert {key: sorted(samples) for key, samples in sent.items()} == stored
    finally:
        assert restarted.stop() == 0
