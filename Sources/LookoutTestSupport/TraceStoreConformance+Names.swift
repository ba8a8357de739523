import Testing
import LookoutModel
import LookoutStorage

extension TraceStoreConformance {
    /// Service, remote service and span names (ITServiceAndSpanNames) and autocomplete (ITAutocompleteTags).
    static var nameCases: [TraceStoreConformanceCase] {
        [
            // MARK: Service, remote service and span names

            .init("getLocalServiceNames_includesLocalServiceName") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                #expect(try await store.serviceNames() == [])

                try await accept([clientSpan(today: Fixtures.today)], into: store)

                #expect(try await store.serviceNames() == ["frontend"])
            },

            .init("getLocalServiceNames_noServiceName") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                try await accept([Span(traceID: Fixtures.randomTraceID(), id: 0xa)], into: store)

                #expect(try await store.serviceNames() == [])
            },

            .init("getRemoteServiceNames") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                #expect(try await store.remoteServiceNames(service: "frontend") == [])

                try await accept([clientSpan(today: Fixtures.today)], into: store)

                #expect(try await store.remoteServiceNames(service: "frontend1") == [])
                #expect(try await store.remoteServiceNames(service: "frontend") == ["backend"])
            },

            .init("getRemoteServiceNames_allReturned") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let client = clientSpan(today: Fixtures.today)
                // More than 50, so a default page size in the store would show.
                let names = (0...50).map { $0 < 10 ? "yak0\($0)" : "yak\($0)" }
                let spans = names.enumerated().map { index, name in
                    client.rebuilt { $0.id = UInt64(index + 1); $0.remoteEndpoint = Endpoint(serviceName: name) }
                }
                try await accept(spans, into: store)

                #expect(try await store.remoteServiceNames(service: "frontend") == names)
            },

            .init("getRemoteServiceNames_dedupes") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let client = clientSpan(today: Fixtures.today)
                let spans = (1...51).map { i in client.rebuilt { $0.id = UInt64(i) } }
                try await accept(spans, into: store)

                #expect(try await store.remoteServiceNames(service: "frontend") == ["backend"])
            },

            .init("getRemoteServiceNames_noRemoteServiceName") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                try await accept([Span(traceID: Fixtures.randomTraceID(), id: 0xa, localEndpoint: Fixtures.frontend)], into: store)

                #expect(try await store.remoteServiceNames(service: "frontend") == [])
            },

            .init("getRemoteServiceNames_serviceNameGoesLowercase") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                try await accept([clientSpan(today: Fixtures.today)], into: store)

                #expect(try await store.remoteServiceNames(service: "FrOnTeNd") == ["backend"])
            },

            .init("getSpanNames_doesNotMapNameToRemoteServiceName") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                try await accept([clientSpan(today: Fixtures.today)], into: store)

                // The client's span name belongs to frontend, not to the service it called.
                #expect(try await store.spanNames(service: "backend") == [])
            },

            .init("getSpanNames") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                #expect(try await store.spanNames(service: "frontend") == [])

                try await accept([clientSpan(today: Fixtures.today)], into: store)

                #expect(try await store.spanNames(service: "frontend1") == [])
                #expect(try await store.spanNames(service: "frontend") == ["get"])
            },

            .init("getSpanNames_allReturned") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let client = clientSpan(today: Fixtures.today)
                // More than 50, so a default page size in the store would show.
                let names = (0...50).map { $0 < 10 ? "yak0\($0)" : "yak\($0)" }
                let spans = names.enumerated().map { index, name in
                    client.rebuilt { $0.id = UInt64(index + 1); $0.name = name }
                }
                try await accept(spans, into: store)

                #expect(try await store.spanNames(service: "frontend") == names)
            },

            .init("getSpanNames_dedupes") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let client = clientSpan(today: Fixtures.today)
                let spans = (1...51).map { i in client.rebuilt { $0.id = UInt64(i) } }
                try await accept(spans, into: store)

                #expect(try await store.spanNames(service: "frontend") == ["get"])
            },

            .init("getSpanNames_noSpanName") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                try await accept([Span(traceID: Fixtures.randomTraceID(), id: 0xa, localEndpoint: Fixtures.frontend)], into: store)

                #expect(try await store.spanNames(service: "frontend") == [])
            },

            .init("getSpanNames_serviceNameGoesLowercase") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                try await accept([clientSpan(today: Fixtures.today)], into: store)

                #expect(try await store.spanNames(service: "FrOnTeNd") == ["get"])
            },

            // MARK: Autocomplete
            // The configured keys come from `TraceStoreOptions`, not from the store, so only
            // values are checked here.

            .init("Should_not_store_when_key_not_in_autocompleteTags") { makeStore in
                let store = try await makeStore(TraceStoreOptions(autocompleteKeys: ["http.host"]))
                let span = backendSpan(timestamp: Fixtures.today * 1000 + 100)
                try await accept([span], into: store)

                // The span has an `http.method` tag, which is not a configured key.
                #expect(try await store.autocompleteValues(key: "http.method") == [])
                #expect(try await store.autocompleteValues(key: "http.host") == [])
            },

            .init("getTagsAndValues") { makeStore in
                let store = try await makeStore(TraceStoreOptions(autocompleteKeys: ["http.host"]))
                let today = Fixtures.today
                let spans = (0..<2).map { _ in
                    backendSpan(timestamp: today * 1000 + 100).rebuilt { $0.tags["http.host"] = "host1" }
                }
                try await accept(spans, into: store)

                #expect(try await store.autocompleteValues(key: "http.host") == ["host1"])
                #expect(try await store.autocompleteValues(key: "http.method") == [])
            },

        ]
    }
}
