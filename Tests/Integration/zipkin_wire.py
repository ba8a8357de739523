"""Test-side model of the Zipkin wire formats, independent of the client libraries.

* a minimal proto3 codec for zipkin.proto's ListOfSpans (decode what a client sent,
  encode hand-made bodies for bad-input tests);
* Zipkin's ID and span normalisation (zipkin2.Span.Builder, reference/zipkin.md §2.2),
  which turns what a client sent into what the query API must return;
* the subset of zipkin2.v1.V1SpanConverter that the py_zipkin v1 payloads need;
* a small HTTP helper for the query API.

Nothing here imports opentelemetry or py_zipkin: their generated zipkin_pb2 modules
register the same protobuf symbols and cannot be imported into one process, and the
oracle should not share code with the clients under test anyway.
"""

from __future__ import annotations

import ipaddress
import json
import struct
import time
from typing import Any, Callable
from urllib.parse import quote, urlencode

import requests

# ----------------------------------------------------------------------------- proto3 codec

KIND_NAMES = {1: "CLIENT", 2: "SERVER", 3: "PRODUCER", 4: "CONSUMER"}
KIND_NUMBERS = {v: k for k, v in KIND_NAMES.items()}


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(buf: bytes):
    """Yield (field_number, wire_type, value) for every field of one message."""
    pos = 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire == 1:
            value = struct.unpack_from("<Q", buf, pos)[0]
            pos += 8
        elif wire == 2:
            length, pos = _read_varint(buf, pos)
            if pos + length > len(buf):
                raise ValueError("truncated length-delimited field")
            value = buf[pos:pos + length]
            pos += length
        elif wire == 5:
            value = struct.unpack_from("<I", buf, pos)[0]
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, wire, value


def _decode_endpoint(buf: bytes) -> dict:
    ep: dict[str, Any] = {}
    for number, _wire, value in _fields(buf):
        if number == 1:
            ep["serviceName"] = value.decode("utf-8")
        elif number == 2:
            ep["ipv4"] = str(ipaddress.IPv4Address(value))
        elif number == 3:
            ep["ipv6"] = str(ipaddress.IPv6Address(value))
        elif number == 4:
            ep["port"] = value
    return ep


def _decode_span(buf: bytes) -> dict:
    span: dict[str, Any] = {}
    annotations = []
    tags = {}
    for number, _wire, value in _fields(buf):
        if number == 1:
            span["traceId"] = value.hex()
        elif number == 2:
            span["parentId"] = value.hex()
        elif number == 3:
            span["id"] = value.hex()
        elif number == 4:
            if value in KIND_NAMES:
                span["kind"] = KIND_NAMES[value]
        elif number == 5:
            span["name"] = value.decode("utf-8")
        elif number == 6:
            span["timestamp"] = value
        elif number == 7:
            span["duration"] = value
        elif number == 8:
            span["localEndpoint"] = _decode_endpoint(value)
        elif number == 9:
            span["remoteEndpoint"] = _decode_endpoint(value)
        elif number == 10:
            a = {}
            for n, _w, v in _fields(value):
                if n == 1:
                    a["timestamp"] = v
                elif n == 2:
                    a["value"] = v.decode("utf-8")
            annotations.append(a)
        elif number == 11:
            k = v_ = ""
            for n, _w, v in _fields(value):
                if n == 1:
                    k = v.decode("utf-8")
                elif n == 2:
                    v_ = v.decode("utf-8")
            tags[k] = v_
        elif number == 12:
            span["debug"] = bool(value)
        elif number == 13:
            span["shared"] = bool(value)
    if annotations:
        span["annotations"] = annotations
    if tags:
        span["tags"] = tags
    return span


def decode_list_of_spans(buf: bytes) -> list[dict]:
    """Decode a zipkin.proto3.ListOfSpans into JSON-v2-shaped dicts (not yet normalised)."""
    return [_decode_span(v) for n, w, v in _fields(buf) if n == 1 and w == 2]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_field(number: int, wire: int, payload: bytes | int) -> bytes:
    key = _varint((number << 3) | wire)
    if wire == 0:
        return key + _varint(payload)  # type: ignore[arg-type]
    if wire == 1:
        return key + struct.pack("<Q", payload)
    if wire == 2:
        return key + _varint(len(payload)) + payload  # type: ignore[arg-type]
    raise ValueError(wire)


def _encode_endpoint(ep: dict) -> bytes:
    out = b""
    if "serviceName" in ep:
        out += pb_field(1, 2, ep["serviceName"].encode())
    if "ipv4" in ep:
        out += pb_field(2, 2, ipaddress.IPv4Address(ep["ipv4"]).packed)
    if "ipv6" in ep:
        out += pb_field(3, 2, ipaddress.IPv6Address(ep["ipv6"]).packed)
    if "port" in ep:
        out += pb_field(4, 0, ep["port"])
    return out


def encode_span(span: dict) -> bytes:
    out = pb_field(1, 2, bytes.fromhex(span["traceId"]))
    if "parentId" in span:
        out += pb_field(2, 2, bytes.fromhex(span["parentId"]))
    out += pb_field(3, 2, bytes.fromhex(span["id"]))
    if span.get("kind"):
        out += pb_field(4, 0, KIND_NUMBERS[span["kind"]])
    if "name" in span:
        out += pb_field(5, 2, span["name"].encode())
    if "timestamp" in span:
        out += pb_field(6, 1, span["timestamp"])
    if "duration" in span:
        out += pb_field(7, 0, span["duration"])
    if "localEndpoint" in span:
        out += pb_field(8, 2, _encode_endpoint(span["localEndpoint"]))
    if "remoteEndpoint" in span:
        out += pb_field(9, 2, _encode_endpoint(span["remoteEndpoint"]))
    for a in span.get("annotations", []):
        out += pb_field(10, 2, pb_field(1, 1, a["timestamp"]) + pb_field(2, 2, a["value"].encode()))
    for k, v in span.get("tags", {}).items():
        out += pb_field(11, 2, pb_field(1, 2, k.encode()) + pb_field(2, 2, v.encode()))
    if span.get("debug"):
        out += pb_field(12, 0, 1)
    if span.get("shared"):
        out += pb_field(13, 0, 1)
    return out


def encode_list_of_spans(spans: list[dict]) -> bytes:
    return b"".join(pb_field(1, 2, encode_span(s)) for s in spans)


# ----------------------------------------------------------------------------- normalisation

_HEX = set("0123456789abcdef")


def normalize_trace_id(tid: str) -> str:
    """Span.normalizeTraceId: lower-hex only, pad to 16/32, drop 64 zero high bits."""
    if not tid or any(c not in _HEX for c in tid):
        raise ValueError(f"{tid} should be lower-hex encoded with no prefix")
    if len(tid) > 32:
        raise ValueError("traceId.length > 32")
    tid = tid.rjust(16 if len(tid) <= 16 else 32, "0")
    if len(tid) == 32 and tid[:16] == "0" * 16:
        tid = tid[16:]
    if set(tid) == {"0"}:
        raise ValueError("traceId is all zeros")
    return tid


def normalize_span_id(sid: str) -> str:
    if not sid or len(sid) > 16 or any(c not in _HEX for c in sid):
        raise ValueError(f"bad span id {sid!r}")
    sid = sid.rjust(16, "0")
    if set(sid) == {"0"}:
        raise ValueError("span id is all zeros")
    return sid


def normalize_endpoint(ep: dict | None) -> dict | None:
    if not ep:
        return None
    out: dict[str, Any] = {}
    if ep.get("serviceName"):
        out["serviceName"] = ep["serviceName"].lower()
    if ep.get("ipv4"):
        out["ipv4"] = str(ipaddress.IPv4Address(ep["ipv4"]))
    if ep.get("ipv6"):
        v6 = ipaddress.IPv6Address(ep["ipv6"])
        if v6.ipv4_mapped is not None:
            out.setdefault("ipv4", str(v6.ipv4_mapped))
        else:
            out["ipv6"] = str(v6)
    if ep.get("port"):
        out["port"] = ep["port"]
    return out or None


def normalize_span(span: dict) -> dict:
    """What Zipkin stores and returns for a span a client sent (JSON v2 shape in and out)."""
    out: dict[str, Any] = {"traceId": normalize_trace_id(span["traceId"])}
    sid = normalize_span_id(span["id"])
    parent = span.get("parentId")
    if parent and set(parent) != {"0"}:
        parent = normalize_span_id(parent)
        if parent != sid:  # "undoing circular dependency"
            out["parentId"] = parent
    out["id"] = sid
    if span.get("kind"):
        out["kind"] = span["kind"]
    if span.get("name"):
        out["name"] = span["name"].lower()
    if span.get("timestamp") and span["timestamp"] > 0:
        out["timestamp"] = span["timestamp"]
    if span.get("duration") and span["duration"] > 0:
        out["duration"] = span["duration"]
    for key in ("localEndpoint", "remoteEndpoint"):
        ep = normalize_endpoint(span.get(key))
        if ep:
            out[key] = ep
    annotations = sorted({(a["timestamp"], a["value"]) for a in span.get("annotations") or []})
    if annotations:
        out["annotations"] = [{"timestamp": t, "value": v} for t, v in annotations]
    if span.get("tags"):
        out["tags"] = dict(span["tags"])
    if span.get("debug") is True:
        out["debug"] = True
    if span.get("shared") is True and out.get("kind") != "CLIENT":
        out["shared"] = True
    return out


def canonical_returned_span(span: dict) -> dict:
    """Drop only fields that carry no information (null, false flags, empty lists/maps).

    Used to compare what the server returned with normalize_span() output without
    failing every test on cosmetic differences; the exact wire form is asserted
    separately (test_reporters.test_query_json_is_zipkin_wire_form).
    """
    out = {}
    for k, v in span.items():
        if v is None or v is False or v == [] or v == {}:
            continue
        if k in ("localEndpoint", "remoteEndpoint") and isinstance(v, dict):
            v = {ek: ev for ek, ev in v.items() if ev not in (None, "", 0)}
            if not v:
                continue
        out[k] = v
    return out


def span_sort_key(span: dict) -> tuple:
    return (span.get("traceId", ""), span.get("id", ""), bool(span.get("shared")),
            span.get("kind") or "", (span.get("localEndpoint") or {}).get("serviceName", ""))


def sort_spans(spans: list[dict]) -> list[dict]:
    return sorted(spans, key=span_sort_key)


# ----------------------------------------------------------------------------- v1 -> v2

def v1_to_v2(v1: dict) -> list[dict]:
    """zipkin2.v1.V1SpanConverter for single-host v1 spans (what py_zipkin emits).

    Handles cs/cr, sr/ss, local spans, "sa"/"ca" address annotations, string binary
    annotations (-> tags) and other annotations. Asserts the single-host assumption
    rather than silently mis-converting anything fancier.
    """
    endpoints = [a["endpoint"] for a in v1.get("annotations", []) if a.get("endpoint")]
    endpoints += [b["endpoint"] for b in v1.get("binaryAnnotations", [])
                  if b.get("endpoint") and b["key"] not in ("sa", "ca", "ma")]
    names = {e.get("serviceName") for e in endpoints}
    assert len(names) <= 1, f"multi-host v1 span is out of scope for this converter: {v1}"
    local = endpoints[0] if endpoints else None

    span: dict[str, Any] = {"traceId": v1["traceId"], "id": v1["id"]}
    if v1.get("parentId"):
        span["parentId"] = v1["parentId"]
    if v1.get("name"):
        span["name"] = v1["name"]
    if local:
        span["localEndpoint"] = local
    core = {}
    annotations = []
    for a in v1.get("annotations", []):
        if a["value"] in ("cs", "cr", "sr", "ss") and a.get("endpoint"):
            core[a["value"]] = a["timestamp"]
        else:
            annotations.append({"timestamp": a["timestamp"], "value": a["value"]})
    ts, dur = v1.get("timestamp") or 0, v1.get("duration") or 0

    def begin_end(begin: str, end: str) -> None:
        if ts and dur:
            span["timestamp"], span["duration"] = ts, dur
        else:
            span["timestamp"] = core[begin]
            if end in core:
                span["duration"] = core[end] - core[begin]

    if "cs" in core or "cr" in core:
        span["kind"] = "CLIENT"
        assert "cs" in core and "cr" in core, v1
        begin_end("cs", "cr")
    elif "sr" in core or "ss" in core:
        span["kind"] = "SERVER"
        assert "sr" in core and "ss" in core, v1
        begin_end("sr", "ss")
        if ts == 0 or dur == 0:  # v1 had no shared flag: absent timestamp implied it
            span["shared"] = True
    elif ts:
        span["timestamp"] = ts
        if dur:
            span["duration"] = dur
    if annotations:
        span["annotations"] = annotations
    tags = {}
    for b in v1.get("binaryAnnotations", []):
        if b["key"] in ("sa", "ca") and not isinstance(b["value"], str):
            if (b["key"] == "sa" and span.get("kind") == "CLIENT") or \
               (b["key"] == "ca" and span.get("kind") == "SERVER"):
                span["remoteEndpoint"] = b["endpoint"]
            continue
        tags[b["key"]] = b["value"]
    if tags:
        span["tags"] = tags
    return [span]


# ----------------------------------------------------------------------------- HTTP helper

class ZipkinAPI:
    """Thin wrapper over the Zipkin v2 query API of one server."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def get(self, path: str, **params) -> requests.Response:
        """Query parameters are percent-encoded (a space is %20, as encodeURIComponent does
        in Zipkin's UI); use get_raw_query() to send a query string verbatim."""
        query = "?" + urlencode(params, quote_via=quote) if params else ""
        return self.session.get(f"{self.base_url}{path}{query}", timeout=10)

    def get_raw_query(self, path: str, query: str) -> requests.Response:
        return self.session.get(f"{self.base_url}{path}?{query}", timeout=10)

    def get_json(self, path: str, **params) -> Any:
        r = self.get(path, **params)
        assert r.status_code == 200, f"GET {r.url} -> {r.status_code}: {r.text[:1000]!r}"
        try:
            return r.json()
        except ValueError:
            raise AssertionError(f"GET {r.url} -> 200 but body is not JSON: {r.text[:1000]!r}")

    def post_spans(self, body: bytes | str, content_type: str | None = "application/json",
                   path: str = "/api/v2/spans", headers: dict | None = None) -> requests.Response:
        h = dict(headers or {})
        if content_type is not None:
            h["Content-Type"] = content_type
        if isinstance(body, str):
            body = body.encode()
        return self.session.post(f"{self.base_url}{path}", data=body, headers=h, timeout=30)

    def health(self) -> int:
        return self.session.get(f"{self.base_url}/health", timeout=10).status_code


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.1,
               message: str | Callable[[], str] = "condition") -> Any:
    """Poll until predicate() is truthy (Zipkin answers 202 before storing: ingest is async)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout}s waiting for {text}")
        time.sleep(interval)


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=1, sort_keys=True)


def spans_in_body(path: str, content_type: str, body: bytes) -> list[dict]:
    """The v2 spans (not yet normalised) that a POST body carries, per Zipkin's decoders."""
    if path == "/api/v1/spans":
        return [s2 for s1 in json.loads(body) for s2 in v1_to_v2(s1)]
    if content_type == "application/x-protobuf":
        return decode_list_of_spans(body)
    return json.loads(body)
