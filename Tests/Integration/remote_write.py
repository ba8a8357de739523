"""Prometheus remote write 1.0 requests built by hand (protobuf WriteRequest, snappy block),
as a Prometheus server sends them, plus helpers to read samples back through /api/v1/export."""

from __future__ import annotations

import json
import struct

import cramjam
import requests

import zipkin_wire

HEADERS = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
    "User-Agent": "lookout-integration-tests/1.0",
}


def _varint(n: int) -> bytes:
    # int64 on the wire: a negative value is its two's complement, ten bytes long.
    return zipkin_wire._varint(n + (1 << 64) if n < 0 else n)


def _field(number: int, payload: bytes) -> bytes:
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def encode(series: list[tuple[dict[str, str], list[tuple[int, float]]]]) -> bytes:
    """A WriteRequest protobuf: [(labels, [(timestamp_ms, value)])], labels sorted by name."""
    out = bytearray()
    for labels, samples in series:
        body = bytearray()
        for name in sorted(labels):
            body += _field(1, _field(1, name.encode()) + _field(2, str(labels[name]).encode()))
        for ts, value in samples:
            body += _field(2, b"\x09" + struct.pack("<d", value) + b"\x10" + _varint(ts))
        out += _field(1, bytes(body))
    return bytes(out)


def compress(raw: bytes) -> bytes:
    return bytes(cramjam.snappy.compress_raw(raw))


def post(url: str, series, headers: dict[str, str] | None = None, timeout: float = 10) -> requests.Response:
    return requests.post(f"{url}/api/v1/write", data=compress(encode(series)),
                         headers={**HEADERS, **(headers or {})}, timeout=timeout)


def export(url: str, selector: str) -> dict[tuple, list[tuple[int, float]]]:
    """Every stored sample of the series matching `selector`, keyed by sorted label items."""
    r = requests.get(f"{url}/api/v1/export", params={"match[]": selector}, timeout=30)
    r.raise_for_status()
    result = {}
    for line in r.text.splitlines():
        entry = json.loads(line)
        key = tuple(sorted(entry["metric"].items()))
        result[key] = list(zip(entry["timestamps"], entry["values"]))
    return result
