#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LookoutModel

/// The fixtures of Zipkin's storage suites (`TestObjects`), in Lookout's model.
public enum Fixtures {
    public static let day: Int64 = 86_400_000
    /// Midnight UTC today, epoch milliseconds.
    public static var today: Int64 {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return now - now % day
    }

    public static let frontend = Endpoint(serviceName: "frontend", ipv4: "127.0.0.1")
    public static let backend = Endpoint(serviceName: "backend", ipv4: "192.168.99.101", port: 9000)
    public static let db = Endpoint(serviceName: "db", ipv6: "2001:db8::c001", port: 3036)
    public static let kafka = Endpoint(serviceName: "kafka")

    /// A random 128-bit trace ID, as Zipkin's suites use.
    public static func randomTraceID() -> TraceID {
        TraceID(high: UInt64.random(in: 1...UInt64.max), low: UInt64.random(in: 1...UInt64.max))
    }

    /// Zipkin's `newTrace()`: frontend SERVER → frontend CLIENT → shared backend SERVER →
    /// backend CLIENT to db (with an error tag). Expected links: frontend→backend 1, backend→db 1 (1 error).
    public static func newTrace(traceID: TraceID = randomTraceID(), serviceSuffix: String = "", today: Int64 = Fixtures.today) -> [Span] {
        let frontend = Endpoint(serviceName: "frontend" + serviceSuffix, ipv4: "127.0.0.1")
        let backend = Endpoint(serviceName: "backend" + serviceSuffix, ipv4: "192.168.99.101", port: 9000)
        let db = Endpoint(serviceName: "db" + serviceSuffix, ipv6: "2001:db8::c001", port: 3036)
        let t = today * 1000
        return [
            Span(traceID: traceID, id: 1, kind: .server, name: "get", timestamp: t, duration: 350_000,
                 localEndpoint: frontend),
            Span(traceID: traceID, parentID: 1, id: 2, kind: .client, name: "get", timestamp: t + 50_000,
                 duration: 200_000, localEndpoint: frontend, remoteEndpoint: backend,
                 annotations: [Annotation(timestamp: t + 100_000, value: "foo")],
                 tags: ["http.path": "/api", "clnt/finagle.version": "6.45.0"]),
            Span(traceID: traceID, parentID: 1, id: 2, kind: .server, name: "get", timestamp: t + 100_000,
                 duration: 150_000, localEndpoint: backend, remoteEndpoint: frontend, shared: true),
            Span(traceID: traceID, parentID: 2, id: 3, kind: .client, name: "query", timestamp: t + 150_000,
                 duration: 50_000, localEndpoint: backend, remoteEndpoint: db,
                 annotations: [Annotation(timestamp: t + 190_000, value: "⻩")],
                 tags: ["error": "💩"]),
        ]
    }

    /// Zipkin's `newClientSpan()`.
    public static func newClientSpan(traceID: TraceID = randomTraceID(), serviceSuffix: String = "", today: Int64 = Fixtures.today) -> Span {
        Span(traceID: traceID, id: 2, kind: .client, name: "get /foo", timestamp: today * 1000 + 100,
             duration: 200_000,
             localEndpoint: Endpoint(serviceName: "frontend_x" + serviceSuffix, ipv4: "127.0.0.1"),
             remoteEndpoint: Endpoint(serviceName: "backend_x" + serviceSuffix, ipv4: "192.168.99.101", port: 9000),
             tags: ["http.method": "GET", "http.path": "/foo"])
    }

    /// Sorts spans the way Zipkin's suites compare them.
    public static func sorted(_ spans: [Span]) -> [Span] {
        spans.sorted { a, b in
            if a.traceID != b.traceID { return a.traceID < b.traceID }
            if a.id != b.id { return a.id < b.id }
            if a.shared != b.shared { return !a.shared }
            if a.name != b.name { return (a.name ?? "") < (b.name ?? "") }
            if a.timestamp != b.timestamp { return (a.timestamp ?? 0) < (b.timestamp ?? 0) }
            return (a.duration ?? 0) < (b.duration ?? 0)
        }
    }

    /// Traces as sets of sorted spans, for order-independent comparison.
    public static func normalized(_ traces: [[Span]]) -> Set<[Span]> {
        Set(traces.map(sorted))
    }
}
