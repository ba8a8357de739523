"""The Prometheus HTTP API over PromQL: exact JSON shapes, error types and status codes, and
the calls Grafana's Prometheus data source makes to connect and to browse metrics."""

from __future__ import annotations

import subprocess
import time

import pytest
import requests

import remote_write
from conftest import lookout_binary

pytestmark = pytest.mark.timeout(120)

BASE_MS = (int(time.time()) - 600) // 60 * 60 * 1000


@pytest.fixture(scope="module")
def loaded(module_lookout_server):
    url = module_lookout_server.url
    series = []
    for code, rate in (("200", 10), ("500", 1)):
        labels = {"__name__": "http_requests_total", "job": "api", "code": code}
        series.append((labels, [(BASE_MS + i * 15_000, float(i * rate * 15)) for i in range(41)]))
    series.append(({"__name__": "up", "job": "api"}, [(BASE_MS + i * 15_000, 1.0) for i in range(41)]))
    assert remote_write.post(url, series).status_code == 204
    return url


def test_grafana_health_check(loaded):
    # "Save & test": an instant query of 1+1 at time=4, then buildinfo without a features map.
    r = requests.post(f"{loaded}/api/v1/query", data={"query": "1+1", "time": "4"}, timeout=10)
    assert r.json() == {"status": "success", "data": {"resultType": "scalar", "result": [4, "2"]}}
    info = requests.get(f"{loaded}/api/v1/status/buildinfo", timeout=10).json()
    assert info["status"] == "success"
    assert set(info["data"]) == {"version", "revision", "branch", "buildUser", "buildDate", "goVersion"}


def test_instant_vector_shape(loaded):
    at = (BASE_MS + 600_000) / 1000
    r = requests.get(f"{loaded}/api/v1/query", params={"query": "sum by (code) (rate(http_requests_total[5m]))", "time": at}, timeout=10)
    body = r.json()
    assert body["status"] == "success" and body["data"]["resultType"] == "vector"
    result = {entry["metric"]["code"]: entry["value"] for entry in body["data"]["result"]}
    assert set(result) == {"200", "500"}
    assert all(value[0] == at and isinstance(value[1], str) for value in result.values())
    assert float(result["200"][1]) == pytest.approx(10) and float(result["500"][1]) == pytest.approx(1)


def test_range_matrix_shape_and_timestamps(loaded):
    start = (BASE_MS + 300_000) / 1000
    r = requests.get(f"{loaded}/api/v1/query_range",
                     params={"query": "up", "start": start, "end": start + 1.5, "step": "0.5"}, timeout=10)
    body = r.json()
    assert body["data"]["resultType"] == "matrix"
    [series] = body["data"]["result"]
    assert series["metric"] == {"__name__": "up", "job": "api"}
    # Times are numbers of seconds with milliseconds only when non-zero; values are strings.
    assert series["values"] == [[start, "1"], [start + 0.5, "1"], [start + 1, "1"], [start + 1.5, "1"]]
    assert '"values":[[%d,"1"],[%d.500,"1"]' % (start, start) in r.text


@pytest.mark.parametrize("params,status,error_type,message", [
    ({"query": "rate(up)"}, 400, "bad_data", "expected type range vector"),
    ({"query": "up +"}, 400, "bad_data", "1:5: parse error"),
    ({}, 400, "bad_data", 'invalid parameter "query"'),
    ({"query": "up", "time": "tomorrow"}, 400, "bad_data", 'invalid parameter "time"'),
])
def test_query_errors(loaded, params, status, error_type, message):
    r = requests.get(f"{loaded}/api/v1/query", params=params, timeout=10)
    assert r.status_code == status
    body = r.json()
    assert body["status"] == "error" and body["errorType"] == error_type and message in body["error"]


def test_range_query_bounds(loaded):
    r = requests.get(f"{loaded}/api/v1/query_range", params={"query": "up", "start": 0, "end": 100000, "step": 1}, timeout=10)
    assert r.status_code == 400 and "exceeded maximum resolution of 11000 points" in r.json()["error"]
    r = requests.get(f"{loaded}/api/v1/query_range", params={"query": "up", "start": 10, "end": 0, "step": 1}, timeout=10)
    assert r.status_code == 400 and "end timestamp must not be before start time" in r.json()["error"]
    r = requests.get(f"{loaded}/api/v1/query", params={"query": "up[5m]", "time": BASE_MS / 1000 + 600}, timeout=10)
    assert r.json()["data"]["resultType"] == "matrix"
    r = requests.get(f"{loaded}/api/v1/query_range", params={"query": "up[5m]", "start": 0, "end": 1, "step": 1}, timeout=10)
    assert r.status_code == 400 and "range vector" in r.json()["error"]


def test_execution_errors_are_422(loaded):
    r = requests.get(f"{loaded}/api/v1/query", params={
        "query": 'label_replace(up, "job", "x", "job", ".*") or label_replace(http_requests_total, "__name__", "up", "", "")',
        "time": BASE_MS / 1000 + 60}, timeout=10)
    assert r.status_code in (200, 422)
    r = requests.get(f"{loaded}/api/v1/query", params={"query": "http_requests_total / ignoring(code) up",
                                                         "time": BASE_MS / 1000 + 60}, timeout=10)
    assert r.status_code == 422
    assert r.json()["errorType"] == "execution" and "many-to-one matching must be explicit" in r.json()["error"]


def test_grafana_browser_calls(loaded):
    names = requests.get(f"{loaded}/api/v1/label/__name__/values", timeout=10).json()["data"]
    assert names == ["http_requests_total", "up"]
    r = requests.post(f"{loaded}/api/v1/series", data={"match[]": "up", "start": 0, "end": time.time()}, timeout=10)
    assert r.json()["data"] == [{"__name__": "up", "job": "api"}]
    r = requests.get(f"{loaded}/api/v1/format_query", params={"query": "sum(rate(x[5m]))by(job)"}, timeout=10)
    assert r.json() == {"status": "success", "data": "sum by (job) (rate(x[5m]))"}


def test_cli_prints_a_table(loaded):
    at = str(BASE_MS / 1000 + 600)
    out = subprocess.run([str(lookout_binary()), "query", "--server", loaded, "--time", at,
                          'sum by (code) (rate(http_requests_total[5m]))'], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["SERIES", "VALUE", "TIME"]
    row = next(line.split() for line in lines if line.startswith('{code="200"}'))
    assert float(row[1]) == pytest.approx(10)
    bad = subprocess.run([str(lookout_binary()), "query", "--server", loaded, "up +"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and bad.stderr.startswith("lookout query: 1:5: parse error")
