"""Run the shop scenario through the OpenTelemetry Python SDK and a Zipkin exporter.

Usage: otel_shop.py --url http://127.0.0.1:PORT --encoding json|proto

One TracerProvider (and so one service.name and one exporter) per service, as in three
separate processes; trace context crosses "the network" as W3C traceparent headers.
Exports with BatchSpanProcessor and force_flush, so bodies carry several spans.
Prints JSON to stdout: every POST the exporters made (path, content type, status,
response text, body as base64) and the two trace ids.

Runs in its own process because opentelemetry-exporter-zipkin-proto-http and py_zipkin
register the same protobuf symbols and cannot share one interpreter.
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

from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402
from opentelemetry.trace import SpanKind, Status, StatusCode, format_trace_id  # noqa: E402
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator  # noqa: E402

POSTS = []


class RecordingSession(requests.Session):
    """The exporter's own requests.Session, recording each body it posts."""

    def post(self, url, data=None, **kwargs):
        resp = super().post(url, data=data, **kwargs)
        body = data.encode() if isinstance(data, str) else data
        POSTS.append({
            "path": requests.utils.urlparse(url).path,
            "content_type": self.headers.get("Content-Type"),
            "status": resp.status_code,
            "response": resp.text[:500],
            "body_b64": base64.b64encode(body).decode(),
        })
        return resp


def make_provider(service, url, encoding):
    if encoding == "json":
        from opentelemetry.exporter.zipkin.json import ZipkinExporter
    else:
        from opentelemetry.exporter.zipkin.proto.http import ZipkinExporter
    host, port = S.HOSTS[service]
    ip = {"local_node_ipv6": host} if ":" in host else {"local_node_ipv4": host}
    exporter = ZipkinExporter(endpoint=f"{url}/api/v2/spans", local_node_port=port,
                              session=RecordingSession(), **ip)
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=60000))
    return provider


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--encoding", choices=["json", "proto"], required=True)
    args = ap.parse_args()

    providers = {svc: make_provider(svc, args.url, args.encoding)
                 for svc in (S.FRONTEND, S.CHECKOUT, S.PAYMENTS)}
    tracers = {svc: p.get_tracer(S.INSTRUMENTATION_NAME, S.INSTRUMENTATION_VERSION)
               for svc, p in providers.items()}
    propagator = TraceContextTextMapPropagator()

    def payments(headers, fail):
        t = tracers[S.PAYMENTS]
        ctx = propagator.extract(headers)
        codes = S.status_codes(fail)
        with t.start_as_current_span(S.PAY_SERVER, context=ctx, kind=SpanKind.SERVER,
                                     attributes={"http.method": "POST", "http.route": "/charges"}) as server:
            with t.start_as_current_span(S.PAY_LOCAL, attributes={"card.network": "visa"}) as local:
                local.add_event(S.FRAUD_EVENT, {"score": 7})
                if fail:
                    time.sleep(S.FAIL_DELAY_S)
                    local.add_event(S.DECLINED_EVENT)
            server.set_attribute("http.status_code", codes["payments"])
            if fail:
                server.set_status(Status(StatusCode.ERROR, S.ERROR_MESSAGE))
        return codes["payments"]

    def checkout(headers, fail):
        t = tracers[S.CHECKOUT]
        ctx = propagator.extract(headers)
        codes = S.status_codes(fail)
        with t.start_as_current_span(S.CO_SERVER, context=ctx, kind=SpanKind.SERVER,
                                     attributes={"http.method": "POST", "http.route": "/orders"}) as server:
            with t.start_as_current_span(S.CO_CLIENT, kind=SpanKind.CLIENT,
                                         attributes={"http.method": "POST"}) as client:
                out = {}
                propagator.inject(out)
                client.set_attribute("http.status_code", payments(out, fail))
            server.set_attribute("http.status_code", codes["checkout_server"])
        return codes["checkout_server"]

    def frontend(fail):
        t = tracers[S.FRONTEND]
        codes = S.status_codes(fail)
        with t.start_as_current_span(S.FE_SERVER, kind=SpanKind.SERVER,
                                     attributes={"http.method": "GET", "http.route": "/cart/checkout"}) as root:
            time.sleep(0.002)
            with t.start_as_current_span(S.FE_CLIENT, kind=SpanKind.CLIENT,
                                         attributes={"http.method": "POST"}) as client:
                out = {}
                propagator.inject(out)
                client.set_attribute("http.status_code", checkout(out, fail))
            root.set_attribute("http.status_code", codes["frontend"])
            return format_trace_id(root.get_span_context().trace_id)

    traces = {"ok": frontend(False)}
    time.sleep(0.005)  # the "fail" trace starts strictly later: it is the newest
    traces["fail"] = frontend(True)
    for p in providers.values():
        assert p.force_flush(30000), "force_flush timed out"
        p.shutdown()
    json.dump({"posts": POSTS, "traces": traces}, sys.stdout)


if __name__ == "__main__":
    main()
