"""Writes the 100-span batch templates the trace benchmark posts: spans.json (Zipkin v2 JSON)
and spans.proto (proto3 ListOfSpans). Each batch holds 10 traces of 10 spans over 5 services.

Markers are replaced per request by post_spans.lua so every request stores new traces:
  trace ID high 64 bits  JSON "TRACEHIGHXXXXXXX"   proto bytes A1..A8
  trace ID low 64 bits   JSON "TRACELOWXXXXXXX" + trace index, proto bytes B1..B7 + index
                         (both halves vary, as real 128-bit IDs do; links group on the low half)
  span timestamps        JSON 1234567890123456     proto fixed64 of the same number
  tag customer.id        "CUSTOMERXXXXXXXX" in both
"""
import json
import struct
import sys

TS_MARK = 1234567890123456
TRACE_HIGH_JSON = "TRACEHIGHXXXXXXX"
TRACE_HIGH_PROTO = bytes([0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8])
TRACE_LOW_JSON = "TRACELOWXXXXXXX"
TRACE_LOW_PROTO = bytes([0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7])
CUSTOMER = "CUSTOMERXXXXXXXX"

SERVICES = [("frontend", "10.0.0.1"), ("checkout", "10.0.0.2"), ("payments", "10.0.0.3"),
            ("inventory", "10.0.0.4"), ("db", "10.0.0.5")]


def spans():
    out = []
    for t in range(1, 11):  # trace index 1..10 is the last hex digit / byte of the low half
        status = "500" if t == 10 else "200"  # one trace in ten has an error
        for s in range(1, 11):
            local = SERVICES[(s - 1) % 4]
            remote = SERVICES[s % 5]
            span = {
                "trace_low": t, "id": s, "parent": s - 1 if s > 1 else None,
                "kind": "SERVER" if s % 2 else "CLIENT",
                "name": f"get /api/v1/orders/{s}",
                "duration": 1000 * (11 - s) + 17,
                "local": local, "remote": remote,
                "annotations": [(5, "wire.send")],
                "tags": {"http.method": "GET", "http.path": f"/api/v1/orders/{s}",
                         "http.status_code": status if s == 2 else "200",
                         "customer.id": CUSTOMER, "region": "eu-west-1"},
            }
            out.append(span)
    return out


def to_json(span):
    doc = {
        "traceId": TRACE_HIGH_JSON + TRACE_LOW_JSON + f"{span['trace_low']:x}",
        "id": f"{span['id']:016x}",
        "kind": span["kind"], "name": span["name"],
        "timestamp": TS_MARK, "duration": span["duration"],
        "localEndpoint": {"serviceName": span["local"][0], "ipv4": span["local"][1], "port": 8080},
        "remoteEndpoint": {"serviceName": span["remote"][0], "ipv4": span["remote"][1]},
        "annotations": [{"timestamp": TS_MARK + off, "value": v} for off, v in span["annotations"]],
        "tags": span["tags"],
    }
    if span["parent"]:
        doc["parentId"] = f"{span['parent']:016x}"
    return doc


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def endpoint(name, ip):
    return field(1, 2, name.encode()) + field(2, 2, bytes(int(p) for p in ip.split(".")))


KINDS = {"CLIENT": 1, "SERVER": 2}


def to_proto(span):
    body = field(1, 2, TRACE_HIGH_PROTO + TRACE_LOW_PROTO + bytes([span["trace_low"]]))
    if span["parent"]:
        body += field(2, 2, struct.pack(">Q", span["parent"]))
    body += field(3, 2, struct.pack(">Q", span["id"]))
    body += field(4, 0, varint(KINDS[span["kind"]]))
    body += field(5, 2, span["name"].encode())
    body += field(6, 1, struct.pack("<Q", TS_MARK))
    body += field(7, 0, varint(span["duration"]))
    body += field(8, 2, endpoint(*span["local"]))
    body += field(9, 2, endpoint(*span["remote"]))
    for off, value in span["annotations"]:
        body += field(10, 2, field(1, 1, struct.pack("<Q", TS_MARK + off)) + field(2, 2, value.encode()))
    for key, value in span["tags"].items():
        body += field(11, 2, field(1, 2, key.encode()) + field(2, 2, value.encode()))
    return field(1, 2, body)


def main(directory):
    all_spans = spans()
    with open(f"{directory}/spans.json", "w") as f:
        json.dump([to_json(s) for s in all_spans], f, separators=(",", ":"))
    with open(f"{directory}/spans.proto", "wb") as f:
        f.write(b"".join(to_proto(s) for s in all_spans))


if __name__ == "__main__":
    main(sys.argv[1])
