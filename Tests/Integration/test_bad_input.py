"""Malformed, oversized and mislabelled POSTs: the collector rejects them with the right
status, stays up, keeps accepting valid spans, and stores nothing from a rejected body.

Expected statuses follow Zipkin's collector (reference/zipkin.md §1.2): decode errors and
bad gzip -> 400; empty body or [] -> 202. Lookout adds a 16 MiB body limit (raw or after
gunzip -> 413) and answers an unsupported Content-Type with 415.

All cases share one server (module fixture); each case uses its own trace id and service
name, so "nothing stored" is checked per case.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
import uuid
import zlib
from urllib.parse import urlsplit

import pytest

from zipkin_wire import (ZipkinAPI, encode_list_of_spans, encode_span, normalize_span, pb_field,
                         sort_spans, wait_until)

MiB = 1024 * 1024
LIMIT = 16 * MiB
V2, V1 = "/api/v2/spans", "/api/v1/spans"
JSON, PROTO = "application/json", "application/x-protobuf"


@pytest.fixture(scope="module")
def api(module_lookout_server):
    return ZipkinAPI(module_lookout_server.url)


def new_trace_id() -> str:
    return uuid.uuid4().hex  # 128-bit, never all zeros in practice


def span(case: str, trace_id: str, **overrides) -> dict:
    s = {"traceId": trace_id, "id": trace_id[-16:], "kind": "SERVER", "name": f"get /{case}",
         "timestamp": int(time.time() * 1_000_000), "duration": 1000,
         "localEndpoint": {"serviceName": f"bad-{case}"}, "tags": {"case": case}}
    s.update(overrides)
    return {k: v for k, v in s.items() if v is not None}


def raw_request(url: str, path: str, headers: dict, body_chunks, chunked: bool = False,
                timeout: float = 10) -> tuple[int | None, str]:
    """POST over a plain socket. Returns (status or None, note). Tolerates the server
    answering (e.g. 413) and closing before the whole body is sent."""
    u = urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
    note = ""
    try:
        head = f"POST {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nConnection: close\r\n"
        for k, v in headers.items():
            head += f"{k}: {v}\r\n"
        if chunked:
            head += "Transfer-Encoding: chunked\r\n"
        sock.sendall((head + "\r\n").encode())
        try:
            for chunk in body_chunks:
                if chunked:
                    sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                else:
                    sock.sendall(chunk)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError) as e:
            note = f"server closed while the body was being sent ({e.__class__.__name__})"
        except TimeoutError:
            note = f"server stopped reading the body and sent nothing for {timeout}s"
        data = b""
        try:
            while b"\r\n" not in data:
                part = sock.recv(65536)
                if not part:
                    break
                data += part
        except (ConnectionResetError, TimeoutError) as e:
            note += f"; reading the response failed ({e.__class__.__name__})"
        if not data.startswith(b"HTTP/1."):
            return None, (note + f"; no HTTP response (got {data[:80]!r})").strip("; ")
        return int(data.split(b" ", 2)[1]), note
    finally:
        sock.close()


def chunks_of(data: bytes, size: int = 256 * 1024):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def assert_still_serving_and_clean(api: ZipkinAPI, server, case: str, bad_trace_ids: list[str]):
    """/health answers, a valid POST is stored, and nothing of the rejected body is."""
    assert server.alive(), f"lookout serve died after case {case!r}:\n{server.log_tail()}"
    assert api.health() == 200, f"/health after case {case!r}"
    tid = new_trace_id()
    good = span(f"after-{case}", tid)
    r = api.post_spans(json.dumps([good]))
    assert r.status_code == 202, f"valid POST after case {case!r} -> {r.status_code}: {r.text[:300]!r}"
    wait_until(lambda: api.get(f"/api/v2/trace/{tid}").status_code == 200,
               message=f"the valid span posted after case {case!r}")
    got = api.get_json(f"/api/v2/trace/{tid}")
    assert sort_spans(got) == [normalize_span(good)]
    # Ingest of the valid span is done; anything from the rejected request would be too.
    services = api.get_json("/api/v2/services")
    assert f"bad-{case}" not in services, f"a rejected request of case {case!r} was stored: {services}"
    for bad in bad_trace_ids:
        r = api.get(f"/api/v2/trace/{bad}")
        assert r.status_code in (400, 404), (
            f"a rejected request of case {case!r} was stored: GET /trace/{bad} -> "
            f"{r.status_code} {r.text[:500]!r}")


# ----------------------------------------------------------------------------- decode errors

def json_cases():
    """(case, body, path) -> 400. The trace id each body would have stored is returned too."""
    out = []

    def add(case, make, path=V2):
        tid = new_trace_id()
        out.append(pytest.param(case, make(case, tid), path, [tid], id=case))

    add("truncated-json", lambda c, t: json.dumps([span(c, t)])[:-7])
    add("not-a-list", lambda c, t: json.dumps(span(c, t)))
    add("not-json", lambda c, t: "this is not json at all")
    add("timestamp-string", lambda c, t: json.dumps([span(c, t, timestamp="abc")]))
    add("duration-string", lambda c, t: json.dumps([span(c, t, duration="abc")]))
    add("annotations-not-list", lambda c, t: json.dumps([span(c, t, annotations="x")]))
    add("local-endpoint-not-object", lambda c, t: json.dumps([span(c, t, localEndpoint="x")]))
    add("trace-id-not-hex", lambda c, t: json.dumps([span(c, t, traceId="zz" + t[2:])]))
    add("trace-id-upper-case", lambda c, t: json.dumps([span(c, t, traceId=t.upper())]))
    add("trace-id-too-long", lambda c, t: json.dumps([span(c, t, traceId=t + "a")]))
    add("trace-id-all-zeros", lambda c, t: json.dumps([span(c, t, traceId="0" * 32)]))
    add("trace-id-missing", lambda c, t: json.dumps([{k: v for k, v in span(c, t).items() if k != "traceId"}]))
    add("span-id-missing", lambda c, t: json.dumps([{k: v for k, v in span(c, t).items() if k != "id"}]))
    add("span-id-all-zeros", lambda c, t: json.dumps([span(c, t, id="0" * 16)]))
    add("span-id-too-long", lambda c, t: json.dumps([span(c, t, id="1" * 17)]))
    add("parent-id-not-hex", lambda c, t: json.dumps([span(c, t, parentId="x" * 16)]))
    add("tag-value-null", lambda c, t: json.dumps([span(c, t, tags={"a": None})]))
    add("annotation-without-timestamp", lambda c, t: json.dumps([span(c, t, annotations=[{"value": "x"}])]))
    add("annotation-without-value", lambda c, t: json.dumps([span(c, t, annotations=[{"timestamp": 1}])]))
    # all or nothing: one bad span rejects the whole body, the good span is not stored either
    add("one-bad-span-in-list", lambda c, t: json.dumps([span(c, t), span(c, new_trace_id(), id="x")]))
    # Zipkin's cross-format guard: v1 binaryAnnotations on the v2 route and v2 fields on v1
    add("v1-body-to-v2", lambda c, t: json.dumps([{
        "traceId": t, "id": t[-16:], "name": c,
        "binaryAnnotations": [{"key": "k", "value": "v", "endpoint": {"serviceName": f"bad-{c}"}}]}]))
    add("v2-body-to-v1", lambda c, t: json.dumps([span(c, t)]), V1)
    add("v1-truncated", lambda c, t: json.dumps([{
        "traceId": t, "id": t[-16:], "name": c,
        "annotations": [{"timestamp": 1, "value": "sr", "endpoint": {"serviceName": f"bad-{c}"}}]}])[:-5], V1)
    return out


@pytest.mark.parametrize("case,body,path,trace_ids", json_cases())
def test_malformed_json_is_400(api, module_lookout_server, case, body, path, trace_ids):
    r = api.post_spans(body, JSON, path=path)
    assert r.status_code == 400, f"{case}: POST {path} -> {r.status_code}: {r.text[:300]!r}"
    assert_still_serving_and_clean(api, module_lookout_server, case, trace_ids)


def proto_cases():
    out = []

    def add(case, make):
        tid = new_trace_id()
        out.append(pytest.param(case, make(case, tid), [tid], id=case))

    add("truncated-proto", lambda c, t: encode_list_of_spans([span(c, t)])[:-9])
    add("proto-garbage", lambda c, t: b"\x01\x02\x03\x04")
    # ListOfSpans field 1 with the varint wire type instead of a message
    add("proto-wrong-wire-type", lambda c, t: pb_field(1, 0, 5))
    # span length prefix pointing past the end of the body
    add("proto-length-overflow", lambda c, t: b"\x0a\xff\xff\x03" + encode_span(span(c, t)))
    # ids longer than their fields allow (Zipkin answers the 17-byte trace id with a 500
    # from an AssertionError; a 400 is the only sensible answer)
    add("proto-trace-id-17-bytes", lambda c, t: encode_list_of_spans([span(c, t, traceId="ab" * 17)]))
    add("proto-span-id-9-bytes", lambda c, t: encode_list_of_spans([span(c, t, id="cd" * 9)]))
    add("proto-span-id-missing", lambda c, t: pb_field(1, 2, pb_field(1, 2, bytes.fromhex(t))
                                                         + pb_field(5, 2, c.encode())))
    add("proto-span-id-all-zeros", lambda c, t: encode_list_of_spans([span(c, t, id="0" * 16)]))
    add("json-body-as-proto", lambda c, t: json.dumps([span(c, t)]).encode())
    return out


@pytest.mark.parametrize("case,body,trace_ids", proto_cases())
def test_malformed_proto_is_400(api, module_lookout_server, case, body, trace_ids):
    r = api.post_spans(body, PROTO)
    assert r.status_code == 400, f"{case}: POST {V2} (proto3) -> {r.status_code}: {r.text[:300]!r}"
    assert_still_serving_and_clean(api, module_lookout_server, case, trace_ids)


def test_proto_helper_encodes_a_valid_span(api, module_lookout_server):
    """Control for the proto cases: the same hand-made encoding, intact, is accepted."""
    tid = new_trace_id()
    s = span("proto-control", tid)
    r = api.post_spans(encode_list_of_spans([s]), PROTO)
    assert r.status_code == 202, r.text
    wait_until(lambda: api.get(f"/api/v2/trace/{tid}").status_code == 200, message="proto control")
    assert sort_spans(api.get_json(f"/api/v2/trace/{tid}")) == [normalize_span(s)]


# ----------------------------------------------------------------------------- gzip

def test_valid_gzip_is_accepted(api, module_lookout_server):
    tid = new_trace_id()
    s = span("gzip-ok", tid)
    for body, ctype in [(json.dumps([s]).encode(), JSON)]:
        r = api.post_spans(gzip.compress(body), ctype, headers={"Content-Encoding": "gzip"})
        assert r.status_code == 202, f"gzip JSON -> {r.status_code}: {r.text[:300]!r}"
    tid2 = new_trace_id()
    s2 = span("gzip-ok-proto", tid2)
    r = api.post_spans(gzip.compress(encode_list_of_spans([s2])), PROTO, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 202, f"gzip proto3 -> {r.status_code}: {r.text[:300]!r}"
    for t, sp in [(tid, s), (tid2, s2)]:
        wait_until(lambda t=t: api.get(f"/api/v2/trace/{t}").status_code == 200, message=f"gzip trace {t}")
        assert sort_spans(api.get_json(f"/api/v2/trace/{t}")) == [normalize_span(sp)]


@pytest.mark.parametrize("case,make", [
    ("gzip-header-plain-body", lambda c, t: json.dumps([span(c, t)]).encode()),
    ("gzip-truncated", lambda c, t: gzip.compress(json.dumps([span(c, t)]).encode())[:-12]),
    ("gzip-corrupt-crc", lambda c, t: (lambda g: g[:-8] + bytes(8))(gzip.compress(json.dumps([span(c, t)]).encode()))),
    ("gzip-garbage", lambda c, t: b"\x1f\x8b\x08\x00garbage-garbage-garbage"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_invalid_gzip_is_400(api, module_lookout_server, case, make):
    tid = new_trace_id()
    r = api.post_spans(make(case, tid), JSON, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 400, f"{case}: -> {r.status_code}: {r.text[:300]!r}"
    assert_still_serving_and_clean(api, module_lookout_server, case, [tid])


# ----------------------------------------------------------------------------- size limits

def huge_valid_body(case: str, tid: str, size: int) -> bytes:
    """A syntactically valid JSON v2 list of exactly `size` bytes (one span, huge tag)."""
    base = json.dumps([span(case, tid, tags={"filler": ""})]).encode()
    return base.replace(b'"filler": ""', b'"filler": "' + b"x" * (size - len(base)) + b'"')


def test_body_over_16_mib_is_413(api, module_lookout_server):
    case, tid = "huge-body", new_trace_id()
    body = huge_valid_body(case, tid, LIMIT + 1)
    assert len(body) == LIMIT + 1 and json.loads(body)
    status, note = raw_request(api.base_url, V2, {"Content-Type": JSON, "Content-Length": str(len(body))},
                               chunks_of(body))
    assert status == 413, f"{LIMIT + 1}-byte body -> {status} {note}"
    assert_still_serving_and_clean(api, module_lookout_server, case, [tid])


def test_chunked_body_over_16_mib_is_413(api, module_lookout_server):
    case, tid = "huge-chunked", new_trace_id()
    body = huge_valid_body(case, tid, LIMIT + 64 * 1024)
    status, note = raw_request(api.base_url, V2, {"Content-Type": JSON}, chunks_of(body), chunked=True)
    assert status == 413, f"chunked {len(body)}-byte body -> {status} {note}"
    assert_still_serving_and_clean(api, module_lookout_server, case, [tid])


def test_body_just_under_limit_is_not_413(api, module_lookout_server):
    """Boundary control: a 4 MiB valid body is accepted and stored intact."""
    case, tid = "big-ok", new_trace_id()
    body = huge_valid_body(case, tid, 4 * MiB)
    r = api.post_spans(body, JSON)
    assert r.status_code == 202, f"4 MiB body -> {r.status_code}: {r.text[:300]!r}"
    wait_until(lambda: api.get(f"/api/v2/trace/{tid}").status_code == 200, timeout=30, message="4 MiB span")
    [got] = api.get_json(f"/api/v2/trace/{tid}")
    assert len(got["tags"]["filler"]) == len(json.loads(body)[0]["tags"]["filler"])


@pytest.mark.parametrize("inflated", [LIMIT + 1, 64 * MiB, 256 * MiB])
def test_gzip_bomb_is_413(api, module_lookout_server, inflated):
    case, tid = f"gzip-bomb-{inflated}", new_trace_id()
    # valid JSON once inflated: "[" + whitespace + one span + "]"
    tail = json.dumps(span(case, tid)).encode() + b"]"
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [comp.compress(b"[")]
    block = b" " * MiB
    remaining = inflated - 1 - len(tail)
    while remaining > 0:
        n = min(remaining, MiB)
        parts.append(comp.compress(block[:n]))
        remaining -= n
    parts += [comp.compress(tail), comp.flush()]
    bomb = b"".join(parts)
    assert len(bomb) < MiB + 2 * (inflated // 1000)  # small on the wire
    r = api.post_spans(bomb, JSON, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 413, (f"gzip body of {len(bomb)} bytes inflating to {inflated} -> "
                                  f"{r.status_code}: {r.text[:300]!r}")
    assert_still_serving_and_clean(api, module_lookout_server, case, [tid])


# ----------------------------------------------------------------------------- content type

@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_unsupported_content_type_is_415(api, module_lookout_server, content_type):
    case, tid = "ctype-" + content_type.split("/")[1].replace(".", "-"), new_trace_id()
    r = api.post_spans(json.dumps([span(case, tid)]), content_type)
    assert r.status_code == 415, f"Content-Type {content_type} -> {r.status_code}: {r.text[:300]!r}"
    assert_still_serving_and_clean(api, module_lookout_server, case, [tid])


@pytest.mark.parametrize("content_type", [None, "application/json; charset=utf-8", "APPLICATION/JSON"])
def test_json_content_type_variants_are_accepted(api, module_lookout_server, content_type):
    """No Content-Type means JSON (Zipkin); media-type parameters and case do not matter."""
    tid = new_trace_id()
    s = span("ctype-ok", tid)
    r = api.post_spans(json.dumps([s]), content_type)
    assert r.status_code == 202, f"Content-Type {content_type!r} -> {r.status_code}: {r.text[:300]!r}"
    wait_until(lambda: api.get(f"/api/v2/trace/{tid}").status_code == 200, message="ctype-ok")
    assert sort_spans(api.get_json(f"/api/v2/trace/{tid}")) == [normalize_span(s)]


# ----------------------------------------------------------------------------- empty bodies

@pytest.mark.parametrize("path,content_type,body,gzipped", [
    (V2, JSON, b"", False), (V2, JSON, b"[]", False), (V2, PROTO, b"", False),
    (V1, JSON, b"", False), (V1, JSON, b"[]", False),
    (V2, JSON, b"", True), (V2, JSON, b"[]", True), (V2, PROTO, b"", True), (V1, JSON, b"[]", True),
])
def test_empty_body_is_202(api, module_lookout_server, path, content_type, body, gzipped):
    services_before = api.get_json("/api/v2/services")
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    r = api.post_spans(gzip.compress(body) if gzipped else body, content_type, path=path, headers=headers)
    assert r.status_code == 202, (f"POST {path} {content_type} body={body!r} gzip={gzipped} -> "
                                  f"{r.status_code}: {r.text[:300]!r}")
    assert api.health() == 200
    assert api.get_json("/api/v2/services") == services_before
