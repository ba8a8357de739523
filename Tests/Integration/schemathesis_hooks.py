"""Schemathesis hooks for test_contract.py (loaded through SCHEMATHESIS_HOOKS).

The yaml lets POST /api/v2/spans consume application/x-protobuf, which schemathesis
cannot serialize on its own. This serializer turns each generated ListOfSpans into
zipkin.proto3 bytes so the proto3 decoder is fuzzed too. It is deliberately lenient:
generated values that proto3 cannot carry (non-hex ids, out-of-range numbers, wrong
types in negative mode) are still encoded, as raw bytes or wrapped integers, so the
server sees every kind of malformed field instead of the hook failing.
"""

from __future__ import annotations

import json
import struct

import schemathesis

from zipkin_wire import KIND_NUMBERS, pb_field

U64 = (1 << 64) - 1


def _bytes(value) -> bytes:
    if isinstance(value, str):
        try:
            return bytes.fromhex(value)
        except ValueError:
            return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


def _text(value) -> bytes:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else json.dumps(value).encode()


def _int(value) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value & U64
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return int(value) & U64
    return len(_text(value))


def _endpoint(ep) -> bytes:
    if not isinstance(ep, dict):
        return _text(ep)
    out = b""
    if "serviceName" in ep:
        out += pb_field(1, 2, _text(ep["serviceName"]))
    if "ipv4" in ep:
        out += pb_field(2, 2, _ip(ep["ipv4"]))
    if "ipv6" in ep:
        out += pb_field(3, 2, _ip(ep["ipv6"]))
    if "port" in ep:
        out += pb_field(4, 0, _int(ep["port"]))
    return out


def _ip(value) -> bytes:
    import ipaddress
    try:
        return ipaddress.ip_address(value).packed
    except ValueError:
        return _text(value)


def _span(span) -> bytes:
    if not isinstance(span, dict):
        return _text(span)
    out = b""
    for key, number in (("traceId", 1), ("parentId", 2), ("id", 3)):
        if key in span:
            out += pb_field(number, 2, _bytes(span[key]))
    if "kind" in span:
        kind = span["kind"]
        out += pb_field(4, 0, KIND_NUMBERS[kind] if isinstance(kind, str) and kind in KIND_NUMBERS
                        else _int(kind))
    if "name" in span:
        out += pb_field(5, 2, _text(span["name"]))
    if "timestamp" in span:
        out += pb_field(6, 1, _int(span["timestamp"]))
    if "duration" in span:
        out += pb_field(7, 0, _int(span["duration"]))
    if "localEndpoint" in span:
        out += pb_field(8, 2, _endpoint(span["localEndpoint"]))
    if "remoteEndpoint" in span:
        out += pb_field(9, 2, _endpoint(span["remoteEndpoint"]))
    annotations = span.get("annotations")
    for a in annotations if isinstance(annotations, list) else []:
        if isinstance(a, dict):
            body = b""
            if "timestamp" in a:
                body += pb_field(1, 1, _int(a["timestamp"]))
            if "value" in a:
                body += pb_field(2, 2, _text(a["value"]))
        else:
            body = _text(a)
        out += pb_field(10, 2, body)
    tags = span.get("tags")
    for k, v in tags.items() if isinstance(tags, dict) else []:
        out += pb_field(11, 2, pb_field(1, 2, _text(k)) + pb_field(2, 2, _text(v)))
    for key, number in (("debug", 12), ("shared", 13)):
        if key in span:
            out += pb_field(number, 0, _int(span[key]))
    return out


@schemathesis.serializer("application/x-protobuf")
def zipkin_proto3(ctx, value):
    if not isinstance(value, list):
        return struct.pack("<Q", _int(value))  # not a ListOfSpans at all
    return b"".join(pb_field(1, 2, _span(s)) for s in value)
