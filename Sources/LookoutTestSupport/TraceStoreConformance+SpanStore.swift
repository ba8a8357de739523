import Testing
import LookoutModel
import LookoutStorage

// Every case makes its own empty store and its own random trace IDs, so expectations are exact:
// a result holding more than the case wrote is a failure, not noise from another case.

extension TraceStoreConformance {
    /// Zipkin's storage cases 1–38 (see the files per group); case 39 (search disabled) does not
    /// apply: Lookout has no search toggle.
    public static var spanStoreCases: [TraceStoreConformanceCase] {
        searchCases + lookupCases + nameCases
    }

    // MARK: - Helpers

    /// A search with the storage suites' defaults: a window from yesterday to tomorrow (midnight
    /// UTC), 100 traces.
    static func request(
        today: Int64,
        serviceName: String? = nil,
        remoteServiceName: String? = nil,
        spanName: String? = nil,
        annotationQuery: String = "",
        minDuration: Int64? = nil,
        maxDuration: Int64? = nil,
        endTs: Int64? = nil,
        lookback: Int64? = nil,
        limit: Int = 100
    ) throws -> TraceQuery {
        try TraceQuery(
            serviceName: serviceName,
            remoteServiceName: remoteServiceName,
            spanName: spanName,
            annotationQuery: AnnotationQuery(parsing: annotationQuery),
            minDuration: minDuration,
            maxDuration: maxDuration,
            endTs: endTs ?? today + Fixtures.day,
            lookback: lookback ?? 2 * Fixtures.day,
            limit: limit
        )
    }

    /// Writes in batches of at most 100, as collectors do.
    static func accept(_ spans: [Span], into store: any TraceStore) async throws {
        var start = spans.startIndex
        while start < spans.endIndex {
            let end = min(start + 100, spans.endIndex)
            try await store.accept(Array(spans[start..<end]))
            start = end
        }
    }

    /// Expects exactly `expected` (span order inside a trace ignored), newest reference timestamp first.
    static func expectSearch(
        _ store: any TraceStore, _ query: TraceQuery, _ expected: [[Span]],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let actual = try await store.traces(matching: query)
        expectSameTraces(actual, expected, sourceLocation: sourceLocation)
        let timestamps = actual.map { TraceQuery.referenceTimestamp(of: $0) ?? .min }
        #expect(timestamps == timestamps.sorted(by: >), "traces are not newest first", sourceLocation: sourceLocation)
    }

    /// Expects exactly `expected` from a lookup by IDs, in any order.
    static func expectTraces(
        _ store: any TraceStore, ids: [TraceID], _ expected: [[Span]],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let actual = try await store.traces(ids: ids)
        expectSameTraces(actual, expected, sourceLocation: sourceLocation)
    }

    /// Expects exactly `expected` from a single-trace lookup, in any order.
    static func expectTrace(
        _ store: any TraceStore, _ id: TraceID, _ expected: [Span],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let actual = try await store.trace(id: id)
        #expect(Fixtures.sorted(actual) == Fixtures.sorted(expected), sourceLocation: sourceLocation)
    }

    static func expectSameTraces(_ actual: [[Span]], _ expected: [[Span]], sourceLocation: SourceLocation) {
        // The count as well, since the normalised form is a set and would hide a trace returned twice.
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        #expect(Fixtures.normalized(actual) == Fixtures.normalized(expected), sourceLocation: sourceLocation)
    }

    /// Searches whose every filter names something never stored.
    static func expectEmptySearches(_ store: any TraceStore, today: Int64) async throws {
        // Each query adds a filter to the one before; the last swaps the annotation term for a tag.
        try await expectSearch(store, request(today: today, serviceName: "service"), [])
        try await expectSearch(store, request(today: today, serviceName: "service", remoteServiceName: "remotey"), [])
        try await expectSearch(store, request(today: today, serviceName: "service", remoteServiceName: "remotey",
                                              spanName: "methodcall"), [])
        try await expectSearch(store, request(today: today, serviceName: "service", remoteServiceName: "remotey",
                                              spanName: "methodcall", annotationQuery: "custom"), [])
        try await expectSearch(store, request(today: today, serviceName: "service", remoteServiceName: "remotey",
                                              spanName: "methodcall", annotationQuery: "BAH=BEH"), [])
    }

    static func expectServiceNameSearches(_ store: any TraceStore, _ client: Span, today: Int64) async throws {
        let local = client.localServiceName ?? "", remote = client.remoteServiceName ?? ""
        try await expectSearch(store, request(today: today, serviceName: local + "1"), [])
        try await expectSearch(store, request(today: today, serviceName: local), [[client]])
        try await expectSearch(store, request(today: today, serviceName: local, remoteServiceName: remote + "1"), [])
        try await expectSearch(store, request(today: today, serviceName: local, remoteServiceName: remote), [[client]])
    }

    static func expectSpanNameSearches(_ store: any TraceStore, _ client: Span, today: Int64) async throws {
        let local = client.localServiceName ?? "", name = client.name ?? ""
        try await expectSearch(store, request(today: today, spanName: name + "1"), [])
        try await expectSearch(store, request(today: today, serviceName: local, spanName: name + "1"), [])
        try await expectSearch(store, request(today: today, spanName: name), [[client]])
        try await expectSearch(store, request(today: today, serviceName: local, spanName: name), [[client]])
    }

    /// Searches that match the 128-bit side (frontend's annotation) and the side that may have
    /// been downgraded to 64 bits (backend's error tag); both must return the whole trace.
    static func expectNonStrictSearches(_ store: any TraceStore, _ trace: [Span], today: Int64) async throws {
        try await expectSearch(store, request(today: today), [trace])
        try await expectSearch(store, request(today: today, serviceName: "frontend", annotationQuery: "foo"), [trace])
        try await expectSearch(store, request(today: today, serviceName: "backend", annotationQuery: "error"), [trace])
    }

    /// A SERVER span of `backend` called by `frontend`: the generic span most cases start from.
    static func backendSpan(_ traceID: TraceID = Fixtures.randomTraceID(), id: UInt64 = 1, timestamp: Int64) -> Span {
        Span(traceID: traceID, id: id, kind: .server, name: "get /foo", timestamp: timestamp, duration: 1000,
             localEndpoint: Fixtures.backend, remoteEndpoint: Fixtures.frontend, tags: ["http.method": "GET"])
    }

    /// The frontend → backend CLIENT span of `Fixtures.newTrace`.
    static func clientSpan(today: Int64) -> Span {
        Fixtures.newTrace(today: today)[1]
    }

    /// A debug CLIENT span and a shared SERVER span with the same IDs: the flags must not be
    /// swapped or merged on the way back.
    static func debugClientAndSharedServer(today: Int64) -> (client: Span, server: Span) {
        let client = Fixtures.newClientSpan(today: today).rebuilt { $0.debug = true }
        let server = client.rebuilt { $0.kind = .server; $0.debug = false; $0.shared = true }
        return (client, server)
    }

    /// `Fixtures.newTrace` as reported when the backend downgraded the ID to 64 bits: the first two
    /// spans keep the 128-bit ID, the backend's two carry only its low bits. Reported backend first.
    static func mixedTrace(today: Int64) -> [Span] {
        let trace = Fixtures.newTrace(today: today)
        let downgraded = TraceID(low: trace[0].traceID.low)
        let mixed = trace.enumerated().map { index, span in
            index < 2 ? span : span.rebuilt { $0.traceID = downgraded }
        }
        return Array(mixed.reversed())
    }

    /// Three traces just before TODAY for duration searches:
    /// 1. targz (frontend → db, 200 ms), its children tar (backend → backend, 150 ms) and gz (db → frontend, 50 ms);
    /// 2. the same shape with the services rotated: targz on db, gz on frontend → backend;
    /// 3. a lone zip (backend → backend, 50 ms).
    static func durationTraces(today: Int64) -> (trace1: [Span], trace2: [Span], trace3: [Span]) {
        let frontend = Fixtures.frontend, backend = Fixtures.backend, db = Fixtures.db
        let offset = (today - 3) * 1000
        func span(_ traceID: TraceID, id: UInt64, parent: UInt64? = nil, name: String, at micros: Int64,
                  duration: Int64, local: Endpoint, remote: Endpoint, lc: String = "archiver") -> Span {
            Span(traceID: traceID, parentID: parent, id: id, name: name, timestamp: offset + micros, duration: duration,
                 localEndpoint: local, remoteEndpoint: remote, tags: ["lc": lc])
        }
        let id1 = Fixtures.randomTraceID(), id2 = Fixtures.randomTraceID(), id3 = Fixtures.randomTraceID()
        let trace1 = [
            span(id1, id: 1, name: "targz", at: 100, duration: 200_000, local: frontend, remote: db),
            span(id1, id: 2, parent: 1, name: "tar", at: 200, duration: 150_000, local: backend, remote: backend),
            span(id1, id: 3, parent: 1, name: "gz", at: 250, duration: 50_000, local: db, remote: frontend),
        ]
        let trace2 = [
            span(id2, id: 1, name: "targz", at: 110, duration: 200_000, local: db, remote: frontend, lc: "archiver-v2"),
            span(id2, id: 2, parent: 1, name: "tar", at: 210, duration: 150_000, local: backend, remote: backend),
            span(id2, id: 3, parent: 1, name: "gz", at: 260, duration: 50_000, local: frontend, remote: backend),
        ]
        let zip = span(id3, id: 3, name: "zip", at: 130, duration: 50_000, local: backend, remote: backend)
            .rebuilt { $0.annotations = [Annotation(timestamp: offset + 130, value: "zip")] }
        return (trace1, trace2, [zip])
    }
}

extension Span {
    /// A changed copy, normalised again by `init` as a freshly built span would be.
    func rebuilt(_ change: (inout Span) -> Void) -> Span {
        var copy = self
        change(&copy)
        return Span(
            traceID: copy.traceID, parentID: copy.parentID, id: copy.id, kind: copy.kind, name: copy.name,
            timestamp: copy.timestamp, duration: copy.duration, localEndpoint: copy.localEndpoint,
            remoteEndpoint: copy.remoteEndpoint, annotations: copy.annotations, tags: copy.tags,
            debug: copy.debug, shared: copy.shared
        )
    }
}
