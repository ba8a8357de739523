"""Metric ingest end to end: remote write and the text formats through a real `lookout serve`,
bad input answered with the right status and a message, and the read endpoints' envelopes."""

from __future__ import annotations

import gzip
import time

import pytest
import requests

import remote_write

pytestmark = pytest.mark.timeout(120)

NOW_MS = int(time.time() * 1000) // 1000 * 1000


def test_remote_write_round_trip(lookout_url):
    series = [
        ({"__name__": "node_load1", "instance": "a:9100", "job": "node"},
         [(NOW_MS - 30_000, 0.5), (NOW_MS - 15_000, 0.75), (NOW_MS, 1.25)]),
        ({"__name__": "up", "instance": "a:9100", "job": "node"}, [(NOW_MS, 1.0)]),
    ]
    r = remote_write.post(lookout_url, series)
    assert r.status_code == 204, r.text
    stored = remote_write.export(lookout_url, '{job="node"}')
    assert stored[tuple(sorted(series[0][0].items()))] == series[0][1]
    assert stored[tuple(sorted(series[1][0].items()))] == series[1][1]
    # The Prometheus API's envelopes.
    r = requests.get(f"{lookout_url}/api/v1/series", params={"match[]": "up"}, timeout=10)
    assert r.json() == {"status": "success", "data": [series[1][0]]}
    r = requests.get(f"{lookout_url}/api/v1/label/job/values", timeout=10)
    assert r.json() == {"status": "success", "data": ["node"]}
    r = requests.post(f"{lookout_url}/api/v1/labels", data={"match[]": "node_load1"}, timeout=10)
    assert r.json()["data"] == ["__name__", "instance", "job"]
    # Sending the same batch again changes nothing (exact duplicates are ignored).
    assert remote_write.post(lookout_url, series).status_code == 204
    assert remote_write.export(lookout_url, '{job="node"}') == stored


def test_text_and_openmetrics_import(lookout_url):
    text = (
        "# HELP jobs_done_total Jobs finished.\n"
        "# TYPE jobs_done_total counter\n"
        f'jobs_done_total{{queue="mail"}} 17 {NOW_MS - 1000}\n'
        f'jobs_done_total{{queue="mail"}} 18 {NOW_MS}\n'
    )
    r = requests.post(f"{lookout_url}/api/v1/import/prometheus", data=gzip.compress(text.encode()),
                      headers={"Content-Type": "text/plain; version=0.0.4", "Content-Encoding": "gzip"}, timeout=10)
    assert r.status_code == 204, r.text
    om = (
        "# TYPE rpc_seconds histogram\n"
        f'rpc_seconds_bucket{{le="0.1"}} 3 {NOW_MS / 1000} # {{trace_id="4bf92f3577b34da6"}} 0.07\n'
        "# EOF\n"
    )
    r = requests.post(f"{lookout_url}/api/v1/import/prometheus", data=om,
                      headers={"Content-Type": "application/openmetrics-text; version=1.0.0"}, timeout=10)
    assert r.status_code == 204, r.text
    assert list(remote_write.export(lookout_url, "jobs_done_total").values()) == [[(NOW_MS - 1000, 17.0), (NOW_MS, 18.0)]]
    assert list(remote_write.export(lookout_url, "rpc_seconds_bucket").values()) == [[(NOW_MS, 3.0)]]
    meta = requests.get(f"{lookout_url}/api/v1/metadata", timeout=10).json()["data"]
    assert meta["jobs_done_total"] == [{"type": "counter", "help": "Jobs finished.", "unit": ""}]


@pytest.mark.parametrize("headers,body,status,message", [
    ({"Content-Type": "application/json"}, b"x", 415, "application/x-protobuf"),
    ({"Content-Encoding": "gzip"}, b"x", 415, "snappy"),
    ({}, b"\xff\xff\xff\xff\x0f", 400, "snappy"),
    ({}, remote_write.compress(b"\x0a\x05\x0a\x03\x0a\x01"), 400, "timeseries[0]"),
    ({}, remote_write.compress(remote_write.encode([({"__name__": "bad-name"}, [(NOW_MS, 1)])])), 400, "invalid metric name"),
])
def test_remote_write_bad_input(lookout_url, headers, body, status, message):
    r = requests.post(f"{lookout_url}/api/v1/write", data=body, headers={**remote_write.HEADERS, **headers}, timeout=10)
    assert r.status_code == status, r.text
    assert message in r.text


def test_partial_rejection_names_the_series_and_keeps_the_rest(lookout_url):
    good = ({"__name__": "temp", "room": "a"}, [(NOW_MS, 20.0)])
    labels = {"__name__": "temp", "room": "b"}
    assert remote_write.post(lookout_url, [(labels, [(NOW_MS, 1.0)])]).status_code == 204
    late = (labels, [(NOW_MS - 3_600_000, 2.0)])      # older than the 10 minute window
    conflict = (labels, [(NOW_MS, 3.0)])               # same time, other value
    r = remote_write.post(lookout_url, [good, late, conflict])
    assert r.status_code == 400
    assert 'room="b"' in r.text and "1 sample(s) stored, 2 refused" in r.text
    assert list(remote_write.export(lookout_url, 'temp{room="a"}').values()) == [good[1]]
    metrics = requests.get(f"{lookout_url}/metrics", timeout=10).text
    assert 'lookout_samples_rejected_total{reason="out_of_order"} 1' in metrics
    assert 'lookout_samples_rejected_total{reason="duplicate_timestamp"} 1' in metrics


def test_idempotency_key_applies_a_batch_once(lookout_url):
    labels = {"__name__": "retried"}
    key = {"Idempotency-Key": "agent-1-batch-42"}
    assert remote_write.post(lookout_url, [(labels, [(NOW_MS, 1.0)])], headers=key).status_code == 204
    # The retry carries the same key but (say) a re-read value: it is not applied again.
    assert remote_write.post(lookout_url, [(labels, [(NOW_MS, 2.0)])], headers=key).status_code == 204
    assert list(remote_write.export(lookout_url, "retried").values()) == [[(NOW_MS, 1.0)]]


@pytest.mark.parametrize("body,message", [
    ("up{job=\"a\" 1\n", "line 1"),
    ("up 1\nup abc\n", "line 2: invalid value"),
    ("up{a=\"x\",a=\"y\"} 1\n", "more than once"),
])
def test_text_import_errors_name_the_line(lookout_url, body, message):
    r = requests.post(f"{lookout_url}/api/v1/import/prometheus", data=body, headers={"Content-Type": "text/plain"}, timeout=10)
    assert r.status_code == 400
    assert message in r.text


def test_read_api_errors_use_the_prometheus_envelope(lookout_url):
    r = requests.get(f"{lookout_url}/api/v1/series", timeout=10)
    assert r.status_code == 400
    assert r.json() == {"status": "error", "errorType": "bad_data", "error": "no match[] parameter provided"}
    r = requests.get(f"{lookout_url}/api/v1/series", params={"match[]": '{job=~".*"}'}, timeout=10)
    assert r.status_code == 400 and "does not match the empty string" in r.json()["error"]
    r = requests.get(f"{lookout_url}/api/v1/series", params={"match[]": "up", "start": "yesterday"}, timeout=10)
    assert r.status_code == 400 and "start" in r.json()["error"]


def test_oversized_bodies_are_refused(lookout_url):
    huge = b"\x00" * (17 << 20)
    r = requests.post(f"{lookout_url}/api/v1/write", data=huge, headers=remote_write.HEADERS, timeout=30)
    assert r.status_code == 413
    bomb = gzip.compress(b"up 1\n" * (30 << 20), compresslevel=1)
    r = requests.post(f"{lookout_url}/api/v1/import/prometheus", data=bomb,
                      headers={"Content-Type": "text/plain", "Content-Encoding": "gzip"}, timeout=30)
    assert r.status_code == 413
