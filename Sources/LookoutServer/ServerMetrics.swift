import Prometheus

/// Lookout's own metrics, served at `/metrics` in the Prometheus text format. The registry is
/// passed in, never global, so tests read exactly what one server counted.
public struct ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let spansReceived: [SpanFormat: Counter]
    let spansRejected: [SpanFormat: Counter]
    let spansDropped: Counter
    let bytesReceived: [SpanFormat: Counter]
    let requestsRejected: Counter
    public let metricIngest: MetricIngestMetrics

    public enum SpanFormat: String, Sendable, CaseIterable {
        case jsonV2 = "json_v2"
        case proto3
        case jsonV1 = "json_v1"
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var received: [SpanFormat: Counter] = [:]
        var rejected: [SpanFormat: Counter] = [:]
        var bytes: [SpanFormat: Counter] = [:]
        for format in SpanFormat.allCases {
            let labels = [("format", format.rawValue)]
            received[format] = registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "lookout_spans_received", unitName: "total", helpText: "Spans accepted and stored"), labels: labels)
            rejected[format] = registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "lookout_span_requests_malformed", unitName: "total", helpText: "Requests whose spans were rejected as malformed"), labels: labels)
            bytes[format] = registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "lookout_span_bytes_received", unitName: "total", helpText: "Span payload bytes received, after decompression"), labels: labels)
        }
        self.spansReceived = received
        self.spansRejected = rejected
        self.bytesReceived = bytes
        self.spansDropped = registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "lookout_spans_dropped", unitName: "total", helpText: "Decoded spans not stored because storage failed or was overloaded"))
        self.requestsRejected = registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "lookout_span_requests_rejected", unitName: "total", helpText: "Span requests answered with a 4xx"))
        self.metricIngest = MetricIngestMetrics(registry: registry)
    }

    func requestDuration(route: String, method: String, status: Int) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(metricName: "lookout_http_request_duration", unitName: "seconds", helpText: "HTTP request latency by route"),
            labels: [("route", route), ("method", method), ("status", String(status))],
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                      .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)])
    }
}
