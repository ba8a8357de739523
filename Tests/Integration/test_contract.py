"""Schemathesis against Zipkin's zipkin2-api.yaml and a live `lookout serve`.

The spec is <repo>/../shared/spec/zipkin/zipkin2-api.yaml (shared/ sits next to the repo).
Zipkin's own server deliberately differs from that yaml in a few places
(reference/zipkin.md §1.3 and §1.5). zipkin_server_spec() patches the yaml to say what
Zipkin's server really does, one named patch per difference, and schemathesis.toml switches
off the few checks no Swagger 2.0 schema can express, with the reason for each. Everything
else runs with every built-in check and must show zero failures.

Bounded: a fixed number of examples per operation, one worker, and a hard subprocess
timeout, so the run ends well under 3 minutes. Set LOOKOUT_CONTRACT_SEED to vary the seed.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml


from zipkin_wire import ZipkinAPI, wait_until

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SPEC = REPO_ROOT.parent / "shared" / "spec" / "zipkin" / "zipkin2-api.yaml"
CONFIG = HERE / "schemathesis.toml"
SEED = int(os.environ.get("LOOKOUT_CONTRACT_SEED", "20240117"))
MAX_EXAMPLES = 100
RUN_TIMEOUT_S = 160

BAD_REQUEST = {"description": "Bad Request Error"}
STRING_LIST = {"type": "array", "items": {"type": "string"}}


def zipkin_server_spec(spec: dict) -> dict:
    """The yaml, patched where Zipkin's server deliberately differs from it."""
    spec = copy.deepcopy(spec)
    paths = spec["paths"]

    # 1. GET /spans: the yaml says the 200 body is ListOfSpans; Zipkin returns the span
    #    *names* of the service, a sorted string array (reference/zipkin.md §1.1, §1.5).
    paths["/spans"]["get"]["responses"]["200"]["schema"] = STRING_LIST

    # 2. POST /spans: the yaml lists only 202. Zipkin answers 400 for undecodable bodies,
    #    wrong-format bodies and bad gzip (§1.2, §1.5); Lookout also answers 413 for a body
    #    over its 16 MiB limit (raw or gunzipped) and 415 for an unsupported Content-Type.
    post = paths["/spans"]["post"]["responses"]
    post["400"] = {"description": "Malformed or undecodable spans, or bad gzip"}
    post["413"] = {"description": "Body larger than the collector's limit"}
    post["415"] = {"description": "Unsupported Content-Type"}

    # 3. GET /remoteServices: served by Zipkin (openzipkin/zipkin#2484) and used by Zipkin
    #    Lens, but absent from the yaml (§1.1, §1.5). Described like GET /spans.
    paths["/remoteServices"] = {"get": {
        "description": "Remote service names recorded by spans of a service.",
        "parameters": [{"name": "serviceName", "in": "query", "required": True, "type": "string"}],
        "responses": {"200": {"description": "OK", "schema": STRING_LIST}, "400": BAD_REQUEST},
    }}

    # 4. GET /traces: Zipkin validates its parameters and answers 400 (§1.3): minDuration,
    #    endTs, lookback and limit must be > 0. It also serves remoteServiceName (§1.5).
    traces = paths["/traces"]["get"]
    traces["responses"]["400"] = BAD_REQUEST
    for p in traces["parameters"]:
        if p["name"] in ("minDuration", "maxDuration", "endTs", "lookback", "limit"):
            p["minimum"] = 1
    traces["parameters"].append({"name": "remoteServiceName", "in": "query", "required": False,
                                 "type": "string"})

    # 5. GET /trace/{traceId}: Zipkin answers 400 for an id that is not lower-hex, longer
    #    than 32 or all zeros (§1.3). The yaml's pattern is unanchored and admits all-zero
    #    ids; say exactly which ids are valid: 16-32 lower-hex digits, not all zeros (the
    #    leading digit is kept non-zero so no regex lookaround is needed).
    trace = paths["/trace/{traceId}"]["get"]
    trace["responses"]["400"] = {"description": "Malformed trace id"}
    [tid] = [p for p in trace["parameters"] if p["name"] == "traceId"]
    tid["pattern"] = "^[1-9a-f][a-f0-9]{15,31}$"

    # 6. GET /dependencies: endTs and lookback must be > 0, else 400 (§1.3). The yaml's
    #    "lookback defaults to endTs" is not what Zipkin does (default: QUERY_LOOKBACK, one
    #    day); no check can see a default, test_lookback_defaults_to_one_day covers it.
    deps = paths["/dependencies"]["get"]
    deps["responses"]["400"] = BAD_REQUEST
    for p in deps["parameters"]:
        p["minimum"] = 1
    return spec


def test_spec_patches_apply_to_the_shared_yaml():
    raw = yaml.safe_load(SPEC.read_text())
    patched = zipkin_server_spec(raw)
    assert raw["paths"]["/spans"]["get"]["responses"]["200"]["schema"] == {"$ref": "#/definitions/ListOfSpans"}
    assert "/remoteServices" not in raw["paths"] and "/remoteServices" in patched["paths"]


@pytest.mark.timeout(RUN_TIMEOUT_S + 30)
def test_schemathesis_against_zipkin2_api_yaml(lookout_server, tmp_path):
    # Seed one trace so the read endpoints return real spans, names and links for the
    # response-schema checks (the fuzzed POSTs add more as the run goes).
    api = ZipkinAPI(lookout_server.url)
    now = int(time.time() * 1_000_000)
    seed = [
        {"traceId": "5af7183fb1d4cf5f", "id": "6b221d5bc9e6496c", "kind": "CLIENT", "name": "get /api",
         "timestamp": now, "duration": 1431, "localEndpoint": {"serviceName": "frontend"},
         "remoteEndpoint": {"serviceName": "backend"}, "annotations": [{"timestamp": now + 5, "value": "ws"}]},
        {"traceId": "5af7183fb1d4cf5f", "parentId": "6b221d5bc9e6496c", "id": "352bff9a74ca9ad2",
         "kind": "SERVER", "name": "get /api", "timestamp": now + 10, "duration": 1000,
         "localEndpoint": {"serviceName": "backend", "ipv4": "192.168.99.1", "port": 3306},
         "remoteEndpoint": {"ipv4": "172.19.0.2", "port": 58648},
         "tags": {"http.method": "GET", "http.path": "/api", "error": "boom"}},
    ]
    assert api.post_spans(json.dumps(seed)).status_code == 202
    wait_until(lambda: api.get("/api/v2/trace/5af7183fb1d4cf5f").status_code == 200, message="seed trace")
    spec_path = tmp_path / "zipkin2-api.patched.json"
    spec_path.write_text(json.dumps(zipkin_server_spec(yaml.safe_load(SPEC.read_text()))))
    junit = tmp_path / "junit.xml"
    cmd = [
        str(Path(sys.executable).parent / "schemathesis"), "--no-color", "--config-file", str(CONFIG),
        "run", str(spec_path),
        "--url", f"{lookout_server.url}/api/v2",
        # No --checks: every built-in check is on by default, and a --checks on the command
        # line would override the per-operation exclusions of schemathesis.toml.
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--workers", "1",
        "--request-timeout", "10",
        "--suppress-health-check", "all",
        "--report", "junit", "--report-junit-path", str(junit),
    ]
    # schemathesis_hooks.py adds the application/x-protobuf serializer for POST /spans
    env = dict(os.environ, SCHEMATHESIS_HOOKS="schemathesis_hooks",
               PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=tmp_path,
                              env=env)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"schemathesis did not finish within {RUN_TIMEOUT_S}s\n{out[-15000:]}")
    elapsed = time.monotonic() - started
    output = proc.stdout + proc.stderr
    failing = []
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failing.append(case.get("name"))
    assert proc.returncode == 0, (
        f"schemathesis exit code {proc.returncode} after {elapsed:.0f}s; failing operations: {failing}\n"
        f"command: {' '.join(cmd)}\n--- output (tail) ---\n{output[-20000:]}")
    assert lookout_server.alive()


def test_lookback_defaults_to_one_day(lookout_url):
    """The yaml says lookback "defaults to endTs"; Zipkin's default is QUERY_LOOKBACK,
    86400000 ms (reference/zipkin.md §1.3, §1.5). A trace two days old is outside the
    default window of both /traces and /dependencies, and inside an explicit 3-day one."""
    api = ZipkinAPI(lookout_url)
    now_us = int(time.time() * 1_000_000)
    old_us = now_us - 2 * 86_400_000_000

    def pair(tid, ts, parent, child):
        return [
            {"traceId": tid, "id": "1" * 16, "kind": "CLIENT", "name": "call", "timestamp": ts,
             "duration": 100, "localEndpoint": {"serviceName": parent},
             "remoteEndpoint": {"serviceName": child}},
        ]

    body = pair("a" * 16, old_us, "old-parent", "old-child") + pair("b" * 16, now_us, "new-parent", "new-child")
    r = api.post_spans(json.dumps(body))
    assert r.status_code == 202, r.text
    wait_until(lambda: api.get(f"/api/v2/trace/{'a' * 16}").status_code == 200
               and api.get(f"/api/v2/trace/{'b' * 16}").status_code == 200, message="both traces")
    end_ts = now_us // 1000 + 1000
    ids = lambda traces: sorted(t[0]["traceId"] for t in traces)  # noqa: E731
    assert ids(api.get_json("/api/v2/traces", endTs=end_ts)) == ["b" * 16]
    assert ids(api.get_json("/api/v2/traces")) == ["b" * 16]
    assert ids(api.get_json("/api/v2/traces", endTs=end_ts, lookback=3 * 86_400_000)) == ["a" * 16, "b" * 16]
    deps = lambda **p: sorted((d["parent"], d["child"]) for d in api.get_json("/api/v2/dependencies", **p))  # noqa: E731
    assert deps(endTs=end_ts) == [("new-parent", "new-child")]
    assert deps(endTs=end_ts, lookback=3 * 86_400_000) == [("new-parent", "new-child"), ("old-parent", "old-child")]
