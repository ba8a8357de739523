import Testing
import LookoutModel
import LookoutStorage

// Zipkin's ITDependencies. The contract under test: `dependencies(endTs:lookback:)` runs
// `DependencyLinker` over every trace (grouped by the low 64 trace-ID bits) that has a span
// timestamp in [endTs - lookback, endTs], both in milliseconds. Each case has its own empty store,
// so expected links are exact.

extension TraceStoreConformance {
    /// Zipkin's dependency-link storage cases.
    public static var dependencyCases: [TraceStoreConformanceCase] {
        typealias IT = ITDependencies
        return [
            .init("getDependencies") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let trace = Fixtures.newTrace(today: Fixtures.today)
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day, IT.newTraceLinks)
            },

            // Same as getDependencies in Zipkin: the window ends at the trace's end.
            .init("looksBackIndefinitely") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let trace = Fixtures.newTrace(today: Fixtures.today)
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day, IT.newTraceLinks)
            },

            // Linking ignores the high trace-ID bits, so a server that dropped them is not a second trace.
            .init("getDependencies_linksMixedTraceId") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let traceID = Fixtures.randomTraceID()
                let trace = [
                    IT.span(traceID, id: 1, .server, at: today, for: 350, local: Fixtures.frontend),
                    IT.span(TraceID(low: traceID.low), parent: 1, id: 2, .server, at: today + 100, for: 250,
                            local: Fixtures.backend, shared: true),
                    IT.span(traceID, parent: 1, id: 2, .client, name: nil, at: today + 50, for: 300, local: Fixtures.frontend),
                ]
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day, [IT.link("frontend", "backend")])
            },

            // Accepting a trace twice must not double its calls.
            .init("replayOverwrites") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let trace = Fixtures.newTrace(today: Fixtures.today)
                try await store.accept(trace)
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day, IT.newTraceLinks)
            },

            .init("empty") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                try await IT.expectLinks(store, endTs: Fixtures.today, lookback: Fixtures.day, [])
            },

            // Every hop instrumented, no remote endpoints; client and server ports differ on one host.
            .init("getDependenciesAllInstrumented") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let traceID = Fixtures.randomTraceID()
                let one = Endpoint(serviceName: "frontend", ipv4: "127.0.0.1")
                let onePort3001 = Endpoint(serviceName: "frontend", ipv4: "127.0.0.1", port: 3001)
                let two = Endpoint(serviceName: "backend", ipv4: "127.0.0.2")
                let twoPort3002 = Endpoint(serviceName: "backend", ipv4: "127.0.0.2", port: 3002)
                let three = Endpoint(serviceName: "db", ipv4: "127.0.0.3")
                let trace = [
                    IT.span(traceID, id: 10, .server, at: today, for: 350, local: one),
                    IT.span(traceID, parent: 10, id: 20, .client, at: today + 50, for: 250, local: onePort3001),
                    IT.span(traceID, parent: 10, id: 20, .server, at: today + 100, for: 150, local: two, shared: true),
                    IT.span(traceID, parent: 20, id: 30, .client, name: "query", at: today + 150, for: 50, local: twoPort3002),
                    IT.span(traceID, parent: 20, id: 30, .server, name: "query", at: today + 160, for: 20, local: three, shared: true),
                ]
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day,
                                         [IT.link("frontend", "backend"), IT.link("backend", "db")])
            },

            .init("dependencies_loopback") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let trace = Fixtures.newTrace(today: Fixtures.today)
                var loopback = trace[1]
                loopback.remoteEndpoint = trace[0].localEndpoint
                try await store.accept([trace[0], loopback])
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day, [IT.link("frontend", "frontend")])
            },

            // No root span (its trace ID is not any span's ID): the rest still links.
            .init("dependencies_headlessTrace") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let trace = Array(Fixtures.newTrace(today: Fixtures.today).dropFirst())
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day, IT.newTraceLinks)
            },

            // A trace that started in the window counts even though it ends after endTs.
            .init("endTsInsideTheTrace") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let trace = Fixtures.newTrace(today: Fixtures.today)
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.startTs(trace) + 100, lookback: 200, IT.newTraceLinks)
            },

            .init("endTimeBeforeData") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let trace = Fixtures.newTrace(today: Fixtures.today)
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.startTs(trace) - 1000, lookback: 1000, [])
            },

            .init("lookbackAfterData") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                try await store.accept(Fixtures.newTrace(today: today))
                try await IT.expectLinks(store, endTs: today + 2 * Fixtures.day, lookback: Fixtures.day, [])
            },

            // An uninstrumented caller (kafka, named by the root's remote endpoint) and an
            // uninstrumented leaf (db, named by the last client) are still linked.
            .init("notInstrumentedClientAndServer") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let traceID = Fixtures.randomTraceID()
                let trace = [
                    IT.span(traceID, id: 20, .server, at: today, for: 350, local: Fixtures.frontend, remote: Fixtures.kafka),
                    IT.span(traceID, parent: 20, id: 21, .client, at: today + 50, for: 250, local: Fixtures.frontend),
                    IT.span(traceID, parent: 20, id: 21, .server, at: today + 250, for: 50, local: Fixtures.backend, shared: true),
                    IT.span(traceID, parent: 21, id: 22, .client, at: today + 150, for: 50, local: Fixtures.backend, remote: Fixtures.db),
                ]
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day, [
                    IT.link("kafka", "frontend"), IT.link("frontend", "backend"), IT.link("backend", "db"),
                ])
            },

            // Zipkin's IllegalArgumentException is Lookout's QueryError, with the same message.
            .init("endTsAndLookbackMustBePositive") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                await #expect(throws: QueryError("endTs <= 0")) {
                    try await store.dependencies(endTs: 0, lookback: Fixtures.day)
                }
                await #expect(throws: QueryError("endTs <= 0")) {
                    try await store.dependencies(endTs: -1, lookback: Fixtures.day)
                }
                await #expect(throws: QueryError("lookback <= 0")) {
                    try await store.dependencies(endTs: Fixtures.today, lookback: 0)
                }
            },

            // The root is a client: its shared server child links to it.
            .init("instrumentedClientAndServer") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let traceID = Fixtures.randomTraceID()
                let trace = [
                    IT.span(traceID, id: 10, .client, at: today + 50, for: 250, local: Fixtures.frontend),
                    IT.span(traceID, id: 10, .server, at: today + 100, for: 150, local: Fixtures.backend, shared: true),
                    IT.span(traceID, parent: 10, id: 11, .client, at: today + 150, for: 50, local: Fixtures.backend, remote: Fixtures.db),
                ]
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day,
                                         [IT.link("frontend", "backend"), IT.link("backend", "db")])
            },

            // Messaging links go through the broker; producer and consumer are not linked directly.
            .init("instrumentedProducerAndConsumer") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let traceID = Fixtures.randomTraceID()
                let trace = [
                    IT.span(traceID, id: 10, .producer, name: "send", at: today + 50, micros: 1,
                            local: Fixtures.frontend, remote: Fixtures.kafka),
                    IT.span(traceID, parent: 10, id: 11, .consumer, name: "receive", at: today + 100, micros: 1,
                            local: Fixtures.backend, remote: Fixtures.kafka),
                ]
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day,
                                         [IT.link("frontend", "kafka"), IT.link("kafka", "backend")])
            },

            // The client's parent (21) was never reported; the change of service still makes a link.
            .init("missingIntermediateSpan") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let traceID = Fixtures.randomTraceID()
                let trace = [
                    IT.span(traceID, id: 20, .server, at: today, for: 350, local: Fixtures.frontend),
                    IT.span(traceID, parent: 21, id: 22, .client, at: today + 150, for: 50, local: Fixtures.backend),
                ]
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day, [IT.link("frontend", "backend")])
            },

            // Yesterday's copy (another trace ID) is only counted by windows that reach it.
            .init("canSearchForIntervalsBesidesToday") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let trace = Fixtures.newTrace(today: Fixtures.today)
                try await store.accept(IT.subtractDay(trace))
                try await store.accept(trace)
                let endTs = IT.endTs(trace)
                // The smallest lookback that still covers today's trace.
                let lookback = (trace[0].duration ?? 0) / 1000
                try await IT.expectLinks(store, endTs: endTs, lookback: lookback, IT.newTraceLinks)
                try await IT.expectLinks(store, endTs: endTs - Fixtures.day, lookback: Fixtures.day, IT.newTraceLinks)
                try await IT.expectLinks(store, endTs: endTs, lookback: 2 * Fixtures.day, [
                    IT.link("frontend", "backend", calls: 2), IT.link("backend", "db", calls: 2, errors: 2),
                ])
            },

            // Spans without a kind but with both endpoints count as clients.
            .init("spanKindIsNotRequiredWhenEndpointsArePresent") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                try await store.accept(IT.chain(today: today, rootLocal: Fixtures.kafka))
                try await IT.expectLinks(store, endTs: today + 1000, lookback: 1000, [
                    IT.link("kafka", "frontend"), IT.link("frontend", "backend"), IT.link("backend", "db"),
                ])
            },

            // A root known only by IP makes no link with an empty service name.
            .init("unnamedEndpointsAreSkipped") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                try await store.accept(IT.chain(today: today, rootLocal: Endpoint(ipv4: "172.17.0.4")))
                try await IT.expectLinks(store, endTs: today + 1000, lookback: 1000,
                                         [IT.link("frontend", "backend"), IT.link("backend", "db")])
            },

            // Local spans between the server and client halves on both hosts.
            .init("intermediateSpans") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let traceID = Fixtures.randomTraceID()
                try await store.accept([
                    IT.span(traceID, id: 20, .server, at: today, for: 350, local: Fixtures.frontend),
                    IT.span(traceID, parent: 20, id: 21, nil, name: "call", at: today + 25, for: 325, local: Fixtures.frontend),
                    IT.span(traceID, parent: 21, id: 22, .client, at: today + 50, for: 250, local: Fixtures.frontend),
                    IT.span(traceID, parent: 21, id: 22, .server, at: today + 100, for: 150, local: Fixtures.backend, shared: true),
                    IT.span(traceID, parent: 22, id: 23, nil, name: "depth4", at: today + 110, for: 130, local: Fixtures.backend),
                    IT.span(traceID, parent: 23, id: 24, nil, name: "depth5", at: today + 125, for: 105, local: Fixtures.backend),
                    IT.span(traceID, parent: 24, id: 25, .client, at: today + 150, for: 50, local: Fixtures.backend, remote: Fixtures.db),
                ])
                try await IT.expectLinks(store, endTs: today + 1000, lookback: 1000,
                                         [IT.link("frontend", "backend"), IT.link("backend", "db")])
            },

            // Zipkin writes this case as v1 spans carrying both "ca" and "sa". Converted to v2 they are
            // a SERVER frontend span with no remote endpoint (its "ca"/"sa" repeat its own address) and
            // a CLIENT frontend span whose remote endpoint is "sa" (backend; "ca" is unused without
            // "sr"); those v2 spans are written here.
            .init("duplicateAddress") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let traceID = Fixtures.randomTraceID()
                try await store.accept([
                    IT.span(traceID, id: 20, .server, at: today, for: 350, local: Fixtures.frontend),
                    IT.span(traceID, parent: 21, id: 22, .client, at: today + 50, for: 250,
                            local: Fixtures.frontend, remote: Fixtures.backend),
                ])
                try await IT.expectLinks(store, endTs: today + 1000, lookback: 1000, [IT.link("frontend", "backend")])
            },

            // Neither side has a duration: a one-way message between client and server.
            .init("oneway") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let trace = IT.oneway(today: Fixtures.today, serverAnnotations: [])
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day, [IT.link("frontend", "backend")])
            },

            // Only an "error" tag marks a failed call, not an annotation.
            .init("annotationNamedErrorIsntError") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let trace = IT.oneway(today: today, serverAnnotations: [Annotation(timestamp: (today + 72) * 1000, value: "error")])
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day, [IT.link("frontend", "backend")])
            },

            // An async consumer started by an uninstrumented source, named by its remote endpoint.
            .init("oneway_noClient") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let traceID = Fixtures.randomTraceID()
                let trace = [
                    IT.span(traceID, id: 10, .server, name: "receive", at: today, local: Fixtures.backend, remote: Fixtures.kafka),
                    IT.span(traceID, parent: 10, id: 11, nil, name: "process", at: today + 25, for: 325, local: Fixtures.backend),
                ]
                try await store.accept(trace)
                try await IT.expectLinks(store, endTs: IT.endTs(trace), lookback: Fixtures.day, [IT.link("kafka", "backend")])
            },
        ]
    }
}

/// Builders and checks for the dependency cases; times are in milliseconds, as Zipkin writes them.
private enum ITDependencies {
    /// The links of `Fixtures.newTrace`.
    static let newTraceLinks = [link("frontend", "backend"), link("backend", "db", errors: 1)]

    static func link(_ parent: String, _ child: String, calls: Int64 = 1, errors: Int64 = 0) -> DependencyLink {
        DependencyLink(parent: parent, child: child, callCount: calls, errorCount: errors)
    }

    /// A span starting at `millis` and lasting `duration` milliseconds (or `micros` microseconds).
    static func span(
        _ traceID: TraceID, parent: UInt64? = nil, id: UInt64, _ kind: Span.Kind?, name: String? = "get",
        at millis: Int64, for duration: Int64? = nil, micros: Int64? = nil, local: Endpoint, remote: Endpoint? = nil,
        shared: Bool = false, annotations: [Annotation] = []
    ) -> Span {
        Span(traceID: traceID, parentID: parent, id: id, kind: kind, name: name, timestamp: millis * 1000,
             duration: micros ?? duration.map { $0 * 1000 }, localEndpoint: local, remoteEndpoint: remote,
             annotations: annotations, shared: shared)
    }

    /// Three kind-less spans, each naming both sides: `rootLocal` → frontend → backend → db.
    static func chain(today: Int64, rootLocal: Endpoint) -> [Span] {
        let traceID = Fixtures.randomTraceID()
        return [
            span(traceID, id: 20, nil, at: today, for: 350, local: rootLocal, remote: Fixtures.frontend),
            span(traceID, parent: 20, id: 21, nil, at: today + 50, for: 250, local: Fixtures.frontend, remote: Fixtures.backend),
            span(traceID, parent: 21, id: 22, nil, at: today + 150, for: 50, local: Fixtures.backend, remote: Fixtures.db),
        ]
    }

    /// A frontend CLIENT and the backend SERVER sharing its ID, neither with a duration.
    static func oneway(today: Int64, serverAnnotations: [Annotation]) -> [Span] {
        let traceID = Fixtures.randomTraceID()
        return [
            span(traceID, id: 10, .client, name: nil, at: today + 50, local: Fixtures.frontend),
            span(traceID, id: 10, .server, name: nil, at: today + 100, local: Fixtures.backend, shared: true,
                 annotations: serverAnnotations),
        ]
    }

    /// Zipkin's `TestObjects.startTs`: the earliest span timestamp, in milliseconds.
    static func startTs(_ trace: [Span]) -> Int64 {
        (trace.compactMap(\.timestamp).min() ?? 0) / 1000
    }

    /// Zipkin's `TestObjects.endTs`: the latest span end, in milliseconds.
    static func endTs(_ trace: [Span]) -> Int64 {
        (trace.map { ($0.timestamp ?? 0) + ($0.duration ?? 0) }.max() ?? 0) / 1000
    }

    /// The same trace a day earlier, under a new 64-bit trace ID.
    static func subtractDay(_ trace: [Span]) -> [Span] {
        let traceID = TraceID(low: .random(in: 1...UInt64.max))
        let shift = Fixtures.day * 1000
        return trace.map { span in
            var span = span
            span.traceID = traceID
            span.timestamp = span.timestamp.map { $0 - shift }
            span.annotations = span.annotations.map { Annotation(timestamp: $0.timestamp - shift, value: $0.value) }
            return span
        }
    }

    /// Expects exactly `expected` in any order (a repeated link is a failure).
    static func expectLinks(
        _ store: any TraceStore, endTs: Int64, lookback: Int64, _ expected: [DependencyLink],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let actual = try await store.dependencies(endTs: endTs, lookback: lookback)
        #expect(sorted(actual) == sorted(expected), sourceLocation: sourceLocation)
    }

    private static func sorted(_ links: [DependencyLink]) -> [DependencyLink] {
        links.sorted {
            ($0.parent, $0.child, $0.callCount, $0.errorCount) < ($1.parent, $1.child, $1.callCount, $1.errorCount)
        }
    }
}
