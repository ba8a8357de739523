import Testing
import LookoutModel
import LookoutStorage

extension TraceStoreConformance {
    /// Lookup by ID (Zipkin ITTraces) and non-strict trace IDs (ITStrictTraceIdFalse).
    static var lookupCases: [TraceStoreConformanceCase] {
        [
            // MARK: Lookup by ID

            .init("getTrace_returnsEmptyOnNotFound") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let client = Fixtures.newClientSpan(today: Fixtures.today)
                try await expectTrace(store, client.traceID, [])

                try await accept([client], into: store)

                try await expectTrace(store, client.traceID, [client])
                // Strict IDs: the low 64 bits alone name a different, unknown trace.
                try await expectTrace(store, TraceID(low: client.traceID.low), [])
            },

            .init("getTrace_differentiatesDebugFromShared") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let (client, server) = debugClientAndSharedServer(today: Fixtures.today)
                try await accept([client, server], into: store)

                try await expectTrace(store, client.traceID, [client, server])
                try await expectTraces(store, ids: [client.traceID], [[client, server]])
            },

            .init("getTraces_onlyReturnsTracesThatMatch") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let span1 = backendSpan(timestamp: today * 1000 + 100)
                let span2 = backendSpan(timestamp: today * 1000 + 100)
                let ids = [span1.traceID, Fixtures.randomTraceID()]
                try await expectTraces(store, ids: ids, [])

                try await accept([span1, span2], into: store)

                try await expectTraces(store, ids: ids, [[span1]])
                try await expectTraces(store, ids: ids.map { TraceID(low: $0.low) }, [])
            },

            .init("getTraces_returnsEmptyOnNotFound") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let span1 = backendSpan(timestamp: today * 1000 + 100)
                let span2 = backendSpan(timestamp: today * 1000 + 100)
                let ids = [span1.traceID, span2.traceID]
                try await expectTraces(store, ids: ids, [])

                try await accept([span1, span2], into: store)

                try await expectTraces(store, ids: ids, [[span1], [span2]])
                try await expectTraces(store, ids: ids.map { TraceID(low: $0.low) }, [])
            },

            .init("getTrace_deduplicates") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let span = backendSpan(timestamp: Fixtures.today * 1000 + 100)
                // A reporter retrying a batch must not double the span.
                try await accept([span], into: store)
                try await accept([span], into: store)

                try await expectTrace(store, span.traceID, [span])
            },

            // MARK: Non-strict trace IDs (grouped and looked up on the low 64 bits)

            .init("getTraces_128BitTraceId") { makeStore in
                let store = try await makeStore(TraceStoreOptions(strictTraceID: false))
                let today = Fixtures.today
                let trace = Array(Fixtures.newTrace(today: today).reversed())
                try await accept(trace, into: store)
                try await expectNonStrictSearches(store, trace, today: today)
            },

            .init("getTraces_128BitTraceId_mixed") { makeStore in
                let store = try await makeStore(TraceStoreOptions(strictTraceID: false))
                let today = Fixtures.today
                let trace = mixedTrace(today: today)
                try await accept(trace, into: store)
                try await expectNonStrictSearches(store, trace, today: today)
            },

            .init("getTrace_retrievesBy64Or128BitTraceId") { makeStore in
                let store = try await makeStore(TraceStoreOptions(strictTraceID: false))
                let trace = Array(Fixtures.newTrace(today: Fixtures.today).reversed())
                try await accept(trace, into: store)

                let id = trace[0].traceID
                try await expectTrace(store, id, trace)
                try await expectTrace(store, TraceID(low: id.low), trace)
            },

            .init("getTrace_retrievesBy64Or128BitTraceId_mixed") { makeStore in
                let store = try await makeStore(TraceStoreOptions(strictTraceID: false))
                let trace = mixedTrace(today: Fixtures.today)
                try await accept(trace, into: store)

                let id = try #require(trace.first { $0.traceID.is128Bit }).traceID
                try await expectTrace(store, id, trace)
                try await expectTrace(store, TraceID(low: id.low), trace)
            },

            .init("getTraces_retrievesBy64Or128BitTraceId") { makeStore in
                let store = try await makeStore(TraceStoreOptions(strictTraceID: false))
                let today = Fixtures.today
                // Three traces, each reported once with its 128-bit ID and once downgraded to 64 bits.
                let pairs = (UInt64(0xa)...0xc).map { id in
                    let full = backendSpan(timestamp: today * 1000 + 100)
                    let downgraded = full.rebuilt {
                        $0.traceID = TraceID(low: full.traceID.low)
                        $0.id = id
                        $0.timestamp = today * 1000 + 1100
                    }
                    return [full, downgraded]
                }
                try await accept(pairs.flatMap { $0 }, into: store)
                let trace1And3 = [pairs[0], pairs[2]]

                // Either form of an ID names the same trace, which comes back once.
                try await expectTraces(store, ids: [pairs[0][0].traceID, pairs[0][1].traceID,
                                                    pairs[2][0].traceID, pairs[2][1].traceID], trace1And3)
                try await expectTraces(store, ids: [pairs[0][1].traceID, pairs[2][1].traceID], trace1And3)
                try await expectTraces(store, ids: [pairs[0][0].traceID, pairs[2][0].traceID], trace1And3)
            },

            // Zipkin's search-disabled case (39) is not ported: Lookout has no search toggle.
        ]
    }
}
