"""Real Zipkin reporters send a three-service trace; every query endpoint reads it back.

Clients (each in its own subprocess, see clients/):
  * OpenTelemetry SDK + opentelemetry-exporter-zipkin-json        -> POST /api/v2/spans JSON v2
  * OpenTelemetry SDK + opentelemetry-exporter-zipkin-proto-http  -> POST /api/v2/spans proto3
  * py_zipkin Encoding.V1_JSON   -> POST /api/v1/spans  (v1 JSON)
  * py_zipkin Encoding.V2_JSON   -> POST /api/v2/spans  (JSON v2, 128-bit trace ids)
  * py_zipkin Encoding.V2_PROTO3 -> POST /api/v2/spans  (proto3)

The expected spans are what the client actually put on the wire (recorded by the driver),
decoded by this suite's own codec and normalised per Zipkin (zipkin_wire.py): names and
service names lower-cased, ids as sent, parent links, timestamps and durations exact.
Query semantics follow Zipkin's server (reference/zipkin.md §1.3, §1.4, §2.9).
"""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

import shop_scenario as S
from zipkin_wire import (ZipkinAPI, canonical_returned_span, dumps, normalize_span, sort_spans,
                         spans_in_body, wait_until)

HERE = Path(__file__).resolve().parent
DAY_MS = 86_400_000


# ----------------------------------------------------------------------------- running clients

def run_client(script: str, *args: str, url: str) -> dict:
    cmd = [sys.executable, str(HERE / "clients" / script), "--url", url, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=45)
    assert proc.returncode == 0, (
        f"client {' '.join(cmd)} exited {proc.returncode}\nstderr:\n{proc.stderr[-4000:]}")
    report = json.loads(proc.stdout)
    assert report["posts"], f"client {script} posted nothing"
    rejected = [p for p in report["posts"] if p["status"] != 202]
    assert not rejected, "the server rejected real client payloads:\n" + "\n".join(
        f"POST {p['path']} ({p['content_type']}) -> {p['status']}: {p['response']!r}" for p in rejected)
    return report


class Sent:
    """What one client run sent: the two trace ids and the normalised spans of each."""

    def __init__(self, report: dict, shape: list[tuple]):
        self.ok_id = report["traces"]["ok"]
        self.fail_id = report["traces"]["fail"]
        spans = [normalize_span(s) for p in report["posts"]
                 for s in spans_in_body(p["path"], p["content_type"], base64.b64decode(p["body_b64"]))]
        self.by_trace = {tid: sort_spans([s for s in spans if s["traceId"] == tid])
                         for tid in (self.ok_id, self.fail_id)}
        assert sum(len(v) for v in self.by_trace.values()) == len(spans), "client sent stray spans"
        # Guard the oracle: the driver really produced the scenario's shape.
        for tid, trace in self.by_trace.items():
            got = sorted((s["localEndpoint"]["serviceName"], s.get("kind", ""), s["name"]) for s in trace)
            assert got == shape, f"client trace {tid} does not have the scenario's shape:\n{got}"

    def spans(self, which: str) -> list[dict]:
        return self.by_trace[self.ok_id if which == "ok" else self.fail_id]

    def find(self, which: str, service: str, kind: str, name: str) -> dict:
        [span] = [s for s in self.spans(which) if s["localEndpoint"]["serviceName"] == service
                  and s.get("kind", "") == kind and s["name"] == name.lower()]
        return span

    def max_timestamp_ms(self) -> int:
        return max(s["timestamp"] + s.get("duration", 0)
                   for t in self.by_trace.values() for s in t) // 1000 + 1


# ----------------------------------------------------------------------------- assertions

class SoftAsserts:
    """`with soft(): assert ...` records a failed check and carries on."""

    def __init__(self):
        self.failures: list[str] = []

    @contextlib.contextmanager
    def __call__(self):
        try:
            yield
        except AssertionError as e:
            frame = traceback.extract_tb(e.__traceback__)
            line = next((f.lineno for f in reversed(frame) if f.name == "verify_readback"), "?")
            self.failures.append(f"[test_reporters.py:{line}] {e}".rstrip())

    def raise_if_failed(self):
        if self.failures:
            raise AssertionError(f"{len(self.failures)} read-back check(s) failed:\n\n"
                                 + "\n\n".join(self.failures))


def returned(spans: list[dict]) -> list[dict]:
    return sort_spans([canonical_returned_span(s) for s in spans])


def assert_same_spans(got: list[dict], want: list[dict], what: str) -> None:
    got_c = returned(got)
    assert got_c == want, (f"{what}: spans differ from what the client sent (normalised)\n"
                           f"--- expected ---\n{dumps(want)}\n--- returned ---\n{dumps(got_c)}")


def trace_ids_of(traces: list[list[dict]]) -> list[str]:
    ids = []
    for trace in traces:
        assert trace, "an empty trace was returned"
        tids = {s["traceId"] for s in trace}
        assert len(tids) == 1, f"one returned trace mixes trace ids {tids}"
        ids.append(tids.pop())
    return ids


def query_traces(api: ZipkinAPI, sent: Sent, **params) -> set[str]:
    """GET /api/v2/traces; checks every returned trace is complete and exact; returns ids."""
    traces = api.get_json("/api/v2/traces", **params)
    ids = trace_ids_of(traces)
    assert len(ids) == len(set(ids)), f"/traces {params} returned a trace twice: {ids}"
    for tid, trace in zip(ids, traces):
        assert tid in sent.by_trace, f"/traces {params} returned unknown trace {tid}"
        assert_same_spans(trace, sent.by_trace[tid], f"/traces {params} trace {tid}")
    return set(ids)


def expect_traces(api: ZipkinAPI, sent: Sent, expected: set[str], **params) -> None:
    got = query_traces(api, sent, **params)
    names = {sent.ok_id: "ok", sent.fail_id: "fail"}
    assert got == expected, (
        f"GET /api/v2/traces?{urlencode(params, quote_via=quote)} returned traces {sorted(names.get(t, t) for t in got)}, "
        f"expected {sorted(names[t] for t in expected)}")


def wait_for_traces(api: ZipkinAPI, sent: Sent) -> None:
    for tid, want in sent.by_trace.items():
        def complete(tid=tid, want=want):
            r = api.get(f"/api/v2/trace/{tid}")
            return r.status_code == 200 and len(r.json()) >= len(want)
        wait_until(complete, timeout=20,
                   message=lambda tid=tid, want=want: (
                       f"GET /api/v2/trace/{tid} to return all {len(want)} spans; last answer: "
                       f"{api.get(f'/api/v2/trace/{tid}').status_code} "
                       f"{api.get(f'/api/v2/trace/{tid}').text[:1500]}"))


def links(api: ZipkinAPI, **params) -> list[tuple]:
    body = api.get_json("/api/v2/dependencies", **params)
    return sorted((link["parent"], link["child"], link["callCount"], link.get("errorCount", 0))
                  for link in body)


def verify_readback(api: ZipkinAPI, sent: Sent, family: str) -> None:
    """Every query endpoint, checked against what was sent. Checks are independent: all
    run, and the test fails at the end listing every one that did not hold."""
    ok, fail = sent.ok_id, sent.fail_id
    wait_for_traces(api, sent)
    soft = SoftAsserts()

    # --- GET /trace/{id}: raw fragments, exactly as sent (normalised)
    for tid, want in sent.by_trace.items():
        with soft(): assert_same_spans(api.get_json(f"/api/v2/trace/{tid}"), want, f"/trace/{tid}")

    # --- GET /services, /spans, /remoteServices: sorted, lower-cased, exact
    with soft(): assert api.get_json("/api/v2/services") == ["checkout", "frontend", "payments"]
    spans_by_service = {
        "frontend": sorted({S.FE_SERVER.lower(), S.FE_CLIENT.lower()}),
        "checkout": sorted({S.CO_SERVER.lower(), S.CO_CLIENT.lower()}),
        "payments": sorted({S.PAY_SERVER.lower(), S.PAY_LOCAL.lower()}
                           | ({S.PAY_DB_CLIENT.lower()} if family == "py_zipkin" else set())),
    }
    for service, names in spans_by_service.items():
        with soft(): assert api.get_json("/api/v2/spans", serviceName=service) == names, service
        # the service argument is lower-cased by the server
        with soft(): assert api.get_json("/api/v2/spans", serviceName=service.upper()) == names, service.upper()
    with soft(): assert api.get_json("/api/v2/spans", serviceName="no-such-service") == []
    if family == "py_zipkin":  # py_zipkin records remote endpoints ("sa") on CLIENT spans
        remote = {"frontend": ["checkout"], "checkout": ["payments"], "payments": ["ledger-db"]}
    else:  # the OpenTelemetry Zipkin exporters send no remoteEndpoint at all
        remote = {"frontend": [], "checkout": [], "payments": []}
    for service, names in remote.items():
        with soft(): assert api.get_json("/api/v2/remoteServices", serviceName=service) == names, service
        with soft(): assert api.get_json("/api/v2/remoteServices", serviceName=service.upper()) == names
    with soft(): assert api.get_json("/api/v2/remoteServices", serviceName="no-such-service") == []

    # --- GET /traces: no parameter required; newest first up to limit
    with soft(): expect_traces(api, sent, {ok, fail})
    with soft():
        first = api.get_json("/api/v2/traces", limit=1)
        assert trace_ids_of(first) == [fail], "limit=1 must return the trace nearest to endTs"
    with soft(): expect_traces(api, sent, {ok, fail}, serviceName="payments")
    with soft(): expect_traces(api, sent, {ok, fail}, serviceName="PAYMENTS")
    with soft(): expect_traces(api, sent, set(), serviceName="no-such-service")
    if family == "py_zipkin":
        with soft(): expect_traces(api, sent, {ok, fail}, serviceName="payments", remoteServiceName="ledger-db")
        with soft(): expect_traces(api, sent, set(), serviceName="frontend", remoteServiceName="ledger-db")

    # spanName: lower-cased, scoped to serviceName
    with soft(): expect_traces(api, sent, {ok, fail}, spanName=S.PAY_LOCAL)
    with soft(): expect_traces(api, sent, {ok, fail}, serviceName="payments", spanName=S.PAY_LOCAL.lower())
    with soft(): expect_traces(api, sent, set(), serviceName="frontend", spanName=S.PAY_LOCAL.lower())
    with soft(): expect_traces(api, sent, set(), spanName="no such span")

    # annotationQuery: tags key=value, bare tag keys and annotation values, ANDed, scoped
    with soft(): expect_traces(api, sent, {fail}, annotationQuery="http.status_code=500")
    with soft(): expect_traces(api, sent, {fail}, serviceName="payments", annotationQuery="http.status_code=500")
    with soft(): expect_traces(api, sent, {fail}, serviceName="checkout", annotationQuery="http.status_code=500")
    with soft(): expect_traces(api, sent, set(), serviceName="frontend", annotationQuery="http.status_code=500")
    with soft(): expect_traces(api, sent, {ok}, serviceName="payments", annotationQuery="http.status_code=200")
    with soft(): expect_traces(api, sent, {fail}, serviceName="payments", annotationQuery="error")
    with soft(): expect_traces(api, sent, set(), serviceName="frontend", annotationQuery="error")
    with soft(): expect_traces(api, sent, {fail}, serviceName="payments",
                        annotationQuery="http.method=POST and error")
    with soft(): expect_traces(api, sent, set(), annotationQuery="http.method=DELETE")
    with soft(): expect_traces(api, sent, set(), annotationQuery="http.status_code=5")
    local_fail = sent.find("fail", "payments", "", S.PAY_LOCAL)
    fraud, declined = (a["value"] for a in local_fail["annotations"])
    with soft(): expect_traces(api, sent, {ok, fail}, annotationQuery=fraud)
    with soft(): expect_traces(api, sent, {fail}, annotationQuery=declined)
    with soft(): expect_traces(api, sent, set(), serviceName="frontend", annotationQuery=declined)
    with soft(): expect_traces(api, sent, {fail}, annotationQuery=f"{declined} and http.status_code=502")

    # minDuration / maxDuration (µs), inclusive, one span must satisfy both, scoped
    root_ok = sent.find("ok", "frontend", "SERVER", S.FE_SERVER)["duration"]
    root_fail = sent.find("fail", "frontend", "SERVER", S.FE_SERVER)["duration"]
    pay_fail = sent.find("fail", "payments", "SERVER", S.PAY_SERVER)["duration"]
    all_ok = [s["duration"] for s in sent.spans("ok")]
    all_fail = [s["duration"] for s in sent.spans("fail")]
    assert root_fail == max(all_fail) and root_fail > max(all_ok) and pay_fail > max(all_ok), \
        "scenario precondition: the failing trace is the slow one"
    with soft(): expect_traces(api, sent, {fail}, minDuration=root_fail)
    with soft(): expect_traces(api, sent, set(), minDuration=root_fail + 1)
    with soft(): expect_traces(api, sent, {ok, fail}, minDuration=max(all_ok))
    with soft(): expect_traces(api, sent, {fail}, serviceName="payments", minDuration=pay_fail)
    with soft(): expect_traces(api, sent, set(), serviceName="payments", minDuration=root_fail)
    if root_ok not in all_fail:
        with soft(): expect_traces(api, sent, {ok}, minDuration=root_ok, maxDuration=root_ok)
    with soft(): expect_traces(api, sent, {fail}, minDuration=root_fail, maxDuration=root_fail)

    # endTs / lookback (ms): root timestamp must lie in [endTs - lookback, endTs]
    fe_ok_ts = sent.find("ok", "frontend", "SERVER", S.FE_SERVER)["timestamp"]
    fe_fail_ts = sent.find("fail", "frontend", "SERVER", S.FE_SERVER)["timestamp"]
    with soft(): expect_traces(api, sent, set(), endTs=fe_ok_ts // 1000 - 1, lookback=60_000)
    with soft(): expect_traces(api, sent, {ok, fail}, endTs=sent.max_timestamp_ms(), lookback=DAY_MS)
    if fe_ok_ts // 1000 < fe_fail_ts // 1000 - 1:
        with soft(): expect_traces(api, sent, {ok}, endTs=fe_fail_ts // 1000 - 1, lookback=60_000)

    # --- GET /traceMany: any order; unknown ids silently absent
    with soft():
        many = api.get_json("/api/v2/traceMany", traceIds=f"{ok},{fail}")
        assert sorted(trace_ids_of(many)) == sorted([ok, fail])
        for trace in many:
            assert_same_spans(trace, sent.by_trace[trace[0]["traceId"]], "/traceMany")
    with soft():
        unknown = "f" * len(ok)
        only_ok = api.get_json("/api/v2/traceMany", traceIds=f"{ok},{unknown}")
        assert trace_ids_of(only_ok) == [ok]

    # --- GET /dependencies (DependencyLinker, reference/zipkin.md §2.9): two calls per
    # hop, the failing one with an `error` tag on payments' SERVER span.
    expected_links = [("checkout", "payments", 2, 1), ("frontend", "checkout", 2, 0)]
    if family == "py_zipkin":  # CLIENT span to the uninstrumented "ledger-db" remote endpoint
        expected_links.append(("payments", "ledger-db", 2, 0))
    end_ts = sent.max_timestamp_ms() + 1000
    with soft(): assert links(api, endTs=end_ts, lookback=3_600_000) == sorted(expected_links)
    with soft(): assert links(api, endTs=end_ts) == sorted(expected_links), "lookback defaults to one day"
    before = min(s["timestamp"] for t in sent.by_trace.values() for s in t) // 1000 - 1000
    with soft(): assert links(api, endTs=before, lookback=1000) == []
    soft.raise_if_failed()


# ----------------------------------------------------------------------------- the tests

@pytest.mark.parametrize("encoding", ["json", "proto"])
def test_opentelemetry_zipkin_exporter(lookout_url, encoding):
    report = run_client("otel_shop.py", "--encoding", encoding, url=lookout_url)
    posted = {(p["path"], p["content_type"]) for p in report["posts"]}
    assert posted == {("/api/v2/spans",
                       "application/json" if encoding == "json" else "application/x-protobuf")}
    sent = Sent(report, S.OTEL_SHAPE)
    api = ZipkinAPI(lookout_url)
    verify_readback(api, sent, family="otel")
    # OpenTelemetry trace ids are 128-bit. With strict trace ids (Zipkin's default) the
    # low 64 bits alone name no trace.
    assert len(sent.ok_id) == 32
    r = api.get(f"/api/v2/trace/{sent.ok_id[16:]}")
    assert r.status_code == 404, f"GET /trace/<low 64 bits> -> {r.status_code}: {r.text[:300]!r}"


@pytest.mark.parametrize("encoding,extra,path,content_type", [
    ("V1_JSON", [], "/api/v1/spans", "application/json"),
    ("V2_JSON", ["--trace-id-128"], "/api/v2/spans", "application/json"),
    ("V2_PROTO3", [], "/api/v2/spans", "application/x-protobuf"),
])
def test_py_zipkin(lookout_url, encoding, extra, path, content_type):
    report = run_client("pyzipkin_shop.py", "--encoding", encoding, *extra, url=lookout_url)
    assert {(p["path"], p["content_type"]) for p in report["posts"]} == {(path, content_type)}
    # one POST per service per trace: each service is a separate local root
    assert len(report["posts"]) == 6
    sent = Sent(report, S.PYZIPKIN_SHAPE)
    assert len(sent.ok_id) == (32 if extra else 16)
    # py_zipkin's B3 model: the server side reuses the client's span id, flagged shared.
    co_client = sent.find("ok", "frontend", "CLIENT", S.FE_CLIENT)
    co_server = sent.find("ok", "checkout", "SERVER", S.CO_SERVER)
    assert co_server["id"] == co_client["id"] and co_server.get("shared") is True
    verify_readback(ZipkinAPI(lookout_url), sent, family="py_zipkin")


def test_same_trace_through_every_format_is_one_trace(lookout_url):
    """Fragments of one trace posted as v1 JSON, v2 JSON and proto3 are stored as raw
    fragments of the same trace (Zipkin returns raw spans, merging only for links)."""
    api = ZipkinAPI(lookout_url)
    tid, now = "463ac35c9f6413ad48485a3953bb6124", int(time.time() * 1_000_000)
    client = {"traceId": tid, "id": "a000000000000001", "kind": "CLIENT", "name": "GET /Mixed",
              "timestamp": now, "duration": 2000, "localEndpoint": {"serviceName": "Mixed-Client"},
              "remoteEndpoint": {"serviceName": "mixed-server"}, "tags": {"http.method": "GET"}}
    server = {"traceId": tid, "id": "a000000000000001", "kind": "SERVER", "name": "get /mixed",
              "timestamp": now + 100, "duration": 1500, "shared": True,
              "localEndpoint": {"serviceName": "mixed-server", "ipv4": "127.0.0.9"}}
    # The v1 child is recorded on the server's exact endpoint, so the span tree hangs it
    # under the shared SERVER span (SpanNode keys shared spans by id and endpoint); on a
    # different endpoint Zipkin would hang it under the CLIENT and add a second
    # mixed-client -> mixed-server link (DependencyLinker's mislabelled-client rule).
    server_ep = {"serviceName": "mixed-server", "ipv4": "127.0.0.9"}
    v1_child = {"traceId": tid, "id": "a000000000000002", "parentId": "a000000000000001",
                "name": "query", "timestamp": now + 200, "duration": 1000,
                "annotations": [{"timestamp": now + 200, "value": "cs", "endpoint": server_ep},
                                {"timestamp": now + 1200, "value": "cr", "endpoint": server_ep}],
                "binaryAnnotations": [{"key": "sa", "value": True, "endpoint": {"serviceName": "mixed-db"}}]}
    from zipkin_wire import encode_list_of_spans, v1_to_v2
    for body, ctype, path in [(json.dumps([client]), "application/json", "/api/v2/spans"),
                              (encode_list_of_spans([server]), "application/x-protobuf", "/api/v2/spans"),
                              (json.dumps([v1_child]), "application/json", "/api/v1/spans")]:
        r = api.post_spans(body, ctype, path=path)
        assert r.status_code == 202, f"POST {path} {ctype} -> {r.status_code}: {r.text[:300]!r}"
    want = sort_spans([normalize_span(s) for s in [client, server, *v1_to_v2(v1_child)]])
    wait_until(lambda: api.get(f"/api/v2/trace/{tid}").status_code == 200
               and len(api.get(f"/api/v2/trace/{tid}").json()) >= 3, message=f"trace {tid}")
    assert_same_spans(api.get_json(f"/api/v2/trace/{tid}"), want, "mixed-format trace")
    end_ts = now // 1000 + 1000
    assert links(api, endTs=end_ts, lookback=60_000) == [
        ("mixed-client", "mixed-server", 1, 0), ("mixed-server", "mixed-db", 1, 0)]


def test_query_json_is_zipkin_wire_form(lookout_url):
    """The exact JSON Zipkin's V2SpanWriter emits: absent fields omitted (no null, no
    "debug":false, no empty annotations/tags), errorCount omitted when 0, JSON content type."""
    api = ZipkinAPI(lookout_url)
    now = int(time.time() * 1_000_000)
    sent = [
        {"traceId": "5af7183fb1d4cf5f", "id": "6b221d5bc9e6496c", "kind": "CLIENT", "name": "get /api",
         "timestamp": now, "duration": 1431, "localEndpoint": {"serviceName": "frontend", "port": 0},
         "remoteEndpoint": {"serviceName": "backend"}, "debug": False, "shared": False,
         "annotations": [], "tags": {}},
        {"traceId": "5af7183fb1d4cf5f", "parentId": "6b221d5bc9e6496c", "id": "352bff9a74ca9ad2",
         "kind": "SERVER", "name": "get /api", "timestamp": now + 10, "duration": 1000,
         "localEndpoint": {"serviceName": "backend", "ipv4": "192.168.99.1", "port": 3306},
         "remoteEndpoint": {"ipv4": "172.19.0.2", "port": 58648},
         "tags": {"http.method": "GET", "http.path": "/api"}},
    ]
    r = api.post_spans(json.dumps(sent))
    assert r.status_code == 202, r.text
    wait_until(lambda: api.get("/api/v2/trace/5af7183fb1d4cf5f").status_code == 200
               and len(api.get("/api/v2/trace/5af7183fb1d4cf5f").json()) == 2, message="trace")
    r = api.get("/api/v2/trace/5af7183fb1d4cf5f")
    assert r.headers.get("Content-Type", "").split(";")[0].strip() == "application/json"
    got = sort_spans(r.json())
    want = sort_spans([
        {"traceId": "5af7183fb1d4cf5f", "id": "6b221d5bc9e6496c", "kind": "CLIENT", "name": "get /api",
         "timestamp": now, "duration": 1431, "localEndpoint": {"serviceName": "frontend"},
         "remoteEndpoint": {"serviceName": "backend"}},
        sent[1],
    ])
    assert got == want, f"--- expected ---\n{dumps(want)}\n--- returned ---\n{dumps(got)}"
    deps = api.get_json("/api/v2/dependencies", endTs=now // 1000 + 1000, lookback=60_000)
    assert deps == [{"parent": "frontend", "child": "backend", "callCount": 1}]


def test_query_parameters_accept_form_encoding(lookout_url):
    """'+' in a query string is a space (application/x-www-form-urlencoded), as sent by
    Python requests' params=, Java's URLEncoder and HTML forms; Zipkin's server (Armeria)
    decodes it so. The read-back tests above send %20, so this is checked only here."""
    api = ZipkinAPI(lookout_url)
    now = int(time.time() * 1_000_000)
    span = {"traceId": "c0ffee0000000001", "id": "c0ffee0000000001", "kind": "SERVER",
            "name": "Authorize Card", "timestamp": now, "duration": 500,
            "localEndpoint": {"serviceName": "payments"}, "tags": {"note": "two words"}}
    assert api.post_spans(json.dumps([span])).status_code == 202
    wait_until(lambda: api.get("/api/v2/trace/c0ffee0000000001").status_code == 200, message="span")
    for query in ("spanName=authorize+card", "serviceName=payments&spanName=authorize+card",
                  "annotationQuery=note%3Dtwo+words", "annotationQuery=note=two+words+and+note"):
        r = api.get_raw_query("/api/v2/traces", query)
        got = trace_ids_of(r.json()) if r.status_code == 200 else r.text[:300]
        assert got == ["c0ffee0000000001"], f"GET /api/v2/traces?{query} -> {r.status_code}: {got!r}"
