import Testing
import LookoutModel

/// Zipkin's `TraceTest` cases, in Lookout's model.
struct TraceTests {
    /// A span of trace `traceID`: the local endpoint carries `service` and/or `ip` when given.
    static func span(
        _ traceID: TraceID = TraceID(low: 0xa), parent: UInt64?, id: UInt64, _ kind: Span.Kind?,
        service: String?, ip: String? = nil, shared: Bool = false,
        timestamp: Int64? = nil, duration: Int64? = nil, annotations: [Annotation] = [], tags: [String: String] = [:]
    ) -> Span {
        let local = service == nil && ip == nil ? nil : Endpoint(serviceName: service, ipv4: ip)
        return Span(traceID: traceID, parentID: parent, id: id, kind: kind, timestamp: timestamp, duration: duration,
                    localEndpoint: local, annotations: annotations, tags: tags, shared: shared)
    }

    /// Same spans regardless of order (merge output order is an implementation detail).
    static func expectSameSpans(_ actual: [Span], _ expected: [Span], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        #expect(Set(actual) == Set(expected), sourceLocation: sourceLocation)
    }

    let flush = Annotation(timestamp: 3, value: "brave.flush")

    // Some servers are not propagated their parent ID; the client half knows it.
    @Test func backfillsMissingParentIdOnSharedSpan() {
        let trace = [
            Self.span(parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend"),
            Self.span(parent: nil, id: 0xb, .server, service: "backend", shared: true),
        ]
        Self.expectSameSpans(Trace.merge(trace), [
            Self.span(parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", shared: true),
        ])
    }

    @Test func backfillsMissingSharedFlag() {
        let trace = [
            Self.span(parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend", ip: "1.2.3.4"),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "5.6.7.8"),
        ]
        Self.expectSameSpans(Trace.merge(trace), [
            Self.span(parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend", ip: "1.2.3.4"),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "5.6.7.8", shared: true),
        ])
    }

    // Some hops truncate an incoming trace ID to 64 bits.
    @Test func choosesBestTraceId() {
        let long = TraceID(high: 0x7180_c278_b62e_8f6a, low: 0x216a_2aea_45d0_8fc9)
        let trace = [
            Self.span(long, parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(long, parent: 0xa, id: 0xb, .client, service: "frontend"),
            Self.span(TraceID(low: long.low), parent: 0xa, id: 0xb, .server, service: "backend", shared: true),
        ]
        #expect(Trace.merge(trace).map(\.traceID) == [long, long, long])
    }

    // Fragments without endpoints (only tags, or only a late duration) still merge.
    @Test func mergesWhenMissingEndpoints() {
        let serverTags = ["service": "frontend", "span.kind": "SERVER"]
        let clientTags = ["service": "frontend", "span.kind": "CLIENT"]
        let trace = [
            Self.span(parent: nil, id: 0xa, nil, service: nil, tags: serverTags),
            Self.span(parent: 0xa, id: 0xb, nil, service: nil, timestamp: 1, tags: clientTags),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", shared: true),
            Self.span(parent: 0xa, id: 0xb, nil, service: nil, duration: 10),
        ]
        Self.expectSameSpans(Trace.merge(trace), [
            Self.span(parent: nil, id: 0xa, nil, service: nil, tags: serverTags),
            Self.span(parent: 0xa, id: 0xb, nil, service: nil, timestamp: 1, duration: 10, tags: clientTags),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", shared: true),
        ])
    }

    // A proxy that retries transparently can make two servers share one span ID.
    @Test func doesntMergeSharedSpansOnDifferentIPs() {
        let trace = [
            Self.span(parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend", timestamp: 1, annotations: [flush]),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "1.2.3.4", shared: true),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "1.2.3.5", shared: true),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend", duration: 10),
        ]
        Self.expectSameSpans(Trace.merge(trace), [
            Self.span(parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend", timestamp: 1, duration: 10, annotations: [flush]),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "1.2.3.4", shared: true),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "1.2.3.5", shared: true),
        ])
    }

    // Late data without an endpoint joins the first fragment that has an endpoint.
    @Test func putsRandomDataOnFirstSpanWithEndpoint() {
        let trace = [
            Self.span(parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: nil),
            Self.span(parent: 0xa, id: 0xb, nil, service: "frontend", timestamp: 1, annotations: [flush]),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "1.2.3.4", shared: true),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "1.2.3.5", shared: true),
            Self.span(parent: 0xa, id: 0xb, nil, service: nil, duration: 10),
        ]
        Self.expectSameSpans(Trace.merge(trace), [
            Self.span(parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend", timestamp: 1, duration: 10, annotations: [flush]),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "1.2.3.4", shared: true),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "1.2.3.5", shared: true),
        ])
    }

    // Parts of one local endpoint sent separately are not split into separate spans.
    @Test func mergesIncompleteEndpoints() {
        let trace = [
            Self.span(parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: nil, ip: "1.2.3.4"),
            Self.span(parent: 0xa, id: 0xb, .server, service: nil, ip: "1.2.3.5", shared: true),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", shared: true),
        ]
        Self.expectSameSpans(Trace.merge(trace), [
            Self.span(parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend", ip: "1.2.3.4"),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "1.2.3.5", shared: true),
        ])
    }

    @Test func deletesSelfReferencingParentId() {
        let trace = [
            Self.span(parent: 0xa, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend"),
        ]
        Self.expectSameSpans(Trace.merge(trace), [
            Self.span(parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend"),
        ])
    }

    @Test func worksWhenMissingParentSpan() {
        let trace = [
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "1.2.3.4"),
            Self.span(parent: 0xa, id: 0xc, .server, service: "backend"),
        ]
        #expect(Trace.merge(trace) == trace)
    }

    // Instrumentation that forgets the shared flag: the client must sort first for the backfill.
    @Test func cleanupComparator_ordersClientFirst() {
        let trace = [
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "1.2.3.5"),
            Self.span(parent: 0xa, id: 0xb, .client, service: "frontend"),
        ]
        let merged = Trace.merge(trace)
        #expect(merged.map(\.kind) == [.client, .server])
        #expect(merged.map(\.shared) == [false, true])
    }

    // Not in Zipkin's list: the result must not depend on the order fragments were stored in.
    @Test func mergeIgnoresInputOrder() {
        let trace = [
            Self.span(parent: nil, id: 0xa, .server, service: "frontend"),
            Self.span(parent: 0xa, id: 0xb, .client, service: nil),
            Self.span(parent: 0xa, id: 0xb, nil, service: "frontend", timestamp: 1, annotations: [flush]),
            Self.span(parent: 0xa, id: 0xb, .server, service: "backend", ip: "1.2.3.4", shared: true),
            Self.span(parent: nil, id: 0xb, .server, service: "backend", ip: "1.2.3.5", shared: true),
            Self.span(parent: 0xb, id: 0xc, .client, service: "backend", tags: ["error": ""]),
        ]
        let expected = Trace.merge(trace)
        for rotation in 1..<trace.count {
            let rotated = Array(trace[rotation...] + trace[..<rotation])
            #expect(Trace.merge(rotated) == expected)
            #expect(Trace.merge(rotated.reversed()) == expected)
        }
    }
}
