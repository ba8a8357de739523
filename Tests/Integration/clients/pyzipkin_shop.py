"""Run the shop scenario through py_zipkin with a transport that POSTs to Lookout.

Usage: pyzipkin_shop.py --url http://127.0.0.1:PORT --encoding V1_JSON|V2_JSON|V2_PROTO3
                        [--trace-id-128]

Each service has its own py_zipkin Tracer and is a local root span with the transport,
as in separate processes; B3 headers carry the context (py_zipkin's classic model:
the server side reuses the client's span id, reported with shared=true).
V1_JSON goes to /api/v1/spans, V2_JSON and V2_PROTO3 to /api/v2/spans.
Prints JSON to stdout: every POST (path, content type, status, response text, body as
base64) and the two trace ids.
"""

import argparse
import base64
import json
import os
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import shop_scenario as S  # noqa: E402

from py_zipkin import Encoding, Kind  # noqa: E402
from py_zipkin.request_helpers import create_http_headers  # noqa: E402
from py_zipkin.storage import Tracer  # noqa: E402
from py_zipkin.transport import BaseTransportHandler  # noqa: E402
from py_zipkin.util import ZipkinAttrs  # noqa: E402

POSTS = []

ROUTES = {
    Encoding.V1_JSON: ("/api/v1/spans", "application/json"),
    Encoding.V2_JSON: ("/api/v2/spans", "application/json"),
    Encoding.V2_PROTO3: ("/api/v2/spans", "application/x-protobuf"),
}


class LookoutTransport(BaseTransportHandler):
    def __init__(self, url, encoding):
        super().__init__()
        self.path, self.content_type = ROUTES[encoding]
        self.url = url + self.path
        self.session = requests.Session()

    def get_max_payload_bytes(self):
        return None

    def send(self, payload):
        body = payload.encode() if isinstance(payload, str) else payload
        resp = self.session.post(self.url, data=body, headers={"Content-Type": self.content_type},
                                 timeout=10)
        POSTS.append({
            "path": self.path,
            "content_type": self.content_type,
            "status": resp.status_code,
            "response": resp.text[:500],
            "body_b64": base64.b64encode(body).decode(),
        })


def attrs_from(headers):
    return ZipkinAttrs(trace_id=headers["X-B3-TraceId"], span_id=headers["X-B3-SpanId"],
                       parent_span_id=headers["X-B3-ParentSpanId"], flags=headers["X-B3-Flags"],
                       is_sampled=headers["X-B3-Sampled"] == "1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--encoding", choices=[e.name for e in ROUTES], required=True)
    ap.add_argument("--trace-id-128", action="store_true")
    args = ap.parse_args()
    enc = Encoding[args.encoding]
    transport = LookoutTransport(args.url, enc)
    tracers = {svc: Tracer() for svc in (S.FRONTEND, S.CHECKOUT, S.PAYMENTS)}

    def root_kwargs(service):
        host, port = S.HOSTS[service]
        return dict(service_name=service, transport_handler=transport, encoding=enc,
                    kind=Kind.SERVER, host=host, port=port)

    def remote(span, service):
        host, port = S.HOSTS[service]
        span.add_sa_binary_annotation(port=port, service_name=service, host=host)

    def payments(headers, fail):
        t = tracers[S.PAYMENTS]
        codes = S.status_codes(fail)
        with t.zipkin_span(span_name=S.PAY_SERVER, zipkin_attrs=attrs_from(headers),
                           binary_annotations={"http.method": "POST", "http.route": "/charges"},
                           **root_kwargs(S.PAYMENTS)) as server:
            with t.zipkin_span(service_name=S.PAYMENTS, span_name=S.PAY_LOCAL,
                               binary_annotations={"card.network": "visa"}) as local:
                local.add_annotation(S.FRAUD_EVENT)
                if fail:
                    time.sleep(S.FAIL_DELAY_S)
                    local.add_annotation(S.DECLINED_EVENT)
            with t.zipkin_span(service_name=S.PAYMENTS, span_name=S.PAY_DB_CLIENT, kind=Kind.CLIENT,
                               binary_annotations={"db.system": "postgresql"}) as db:
                remote(db, S.LEDGER_DB)
                time.sleep(0.001)
            tags = {"http.status_code": str(codes["payments"])}
            if fail:
                tags["error"] = S.ERROR_MESSAGE
            server.update_binary_annotations(tags)
        return codes["payments"]

    def checkout(headers, fail):
        t = tracers[S.CHECKOUT]
        codes = S.status_codes(fail)
        with t.zipkin_span(span_name=S.CO_SERVER, zipkin_attrs=attrs_from(headers),
                           binary_annotations={"http.method": "POST", "http.route": "/orders"},
                           **root_kwargs(S.CHECKOUT)) as server:
            with t.zipkin_span(service_name=S.CHECKOUT, span_name=S.CO_CLIENT, kind=Kind.CLIENT,
                               binary_annotations={"http.method": "POST"}) as client:
                remote(client, S.PAYMENTS)
                status = payments(create_http_headers(tracer=t), fail)
                client.update_binary_annotations({"http.status_code": str(status)})
            server.update_binary_annotations({"http.status_code": str(codes["checkout_server"])})
        return codes["checkout_server"]

    def frontend(fail):
        t = tracers[S.FRONTEND]
        codes = S.status_codes(fail)
        with t.zipkin_span(span_name=S.FE_SERVER, sample_rate=100.0,
                           use_128bit_trace_id=args.trace_id_128,
                           binary_annotations={"http.method": "GET", "http.route": "/cart/checkout"},
                           **root_kwargs(S.FRONTEND)) as root:
            time.sleep(0.002)
            with t.zipkin_span(service_name=S.FRONTEND, span_name=S.FE_CLIENT, kind=Kind.CLIENT,
                               binary_annotations={"http.method": "POST"}) as client:
                remote(client, S.CHECKOUT)
                status = checkout(create_http_headers(tracer=t), fail)
                client.update_binary_annotations({"http.status_code": str(status)})
            root.update_binary_annotations({"http.status_code": str(codes["frontend"])})
            return root.zipkin_attrs.trace_id

    traces = {"ok": frontend(False)}
    time.sleep(0.005)  # the "fail" trace starts strictly later: it is the newest
    traces["fail"] = frontend(True)
    json.dump({"posts": POSTS, "traces": traces}, sys.stdout)


if __name__ == "__main__":
    main()
