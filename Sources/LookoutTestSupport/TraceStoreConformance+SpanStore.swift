import Testing
import LookoutModel
import LookoutStorage

// Every case makes its own empty store and its own random trace IDs, so expectations are exact:
// a result holding more than the case wrote is a failure, not noise from another case.

extension TraceStoreConformance {
    /// Zipkin's span-store, trace-lookup, name, autocomplete and non-strict-ID storage cases.
    public static var spanStoreCases: [TraceStoreConformanceCase] {
        [
            // MARK: Trace search

            .init("allShouldWorkWhenEmpty") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                try await expectEmptySearches(store, today: Fixtures.today)
            },

            .init("allShouldWorkWhenNoIndexableDataYet") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                // Instrumentation that sends empty spans by mistake must not break searches.
                try await accept([Span(traceID: Fixtures.randomTraceID(), id: 1)], into: store)
                try await expectEmptySearches(store, today: today)
                try await expectSearch(store, request(today: today), [])
            },

            .init("getTraces_groupsTracesTogether") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let a1 = backendSpan(id: 1, timestamp: (today + 1) * 1000)
                let a2 = a1.rebuilt { $0.id = 2; $0.timestamp = (today + 2) * 1000 }
                let b1 = a1.rebuilt { $0.traceID = Fixtures.randomTraceID() }
                let b2 = a2.rebuilt { $0.traceID = b1.traceID }
                // Interleaved, so grouping cannot rely on arrival order.
                try await accept([a1, b1, a2, b2], into: store)

                try await expectSearch(store, request(today: today), [[a1, a2], [b1, b2]])
            },

            .init("getTraces_considersBitsAbove64bit") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                // High bits of at least 2, so the "1"-prefixed ID below is always a third trace.
                let full = TraceID(high: .random(in: 2...UInt64.max), low: .random(in: 1...UInt64.max))
                let span64 = Span(traceID: TraceID(low: full.low), id: 1, timestamp: today * 1000,
                                  localEndpoint: Fixtures.frontend, tags: ["foo": "1"])
                let span128 = span64.rebuilt { $0.traceID = full; $0.tags["foo"] = "2" }
                // The 64-bit hex ID prefixed by "1", which pads to a 128-bit ID with high bits 1.
                let spanPadded = span64.rebuilt { $0.traceID = TraceID(high: 1, low: full.low); $0.tags["foo"] = "3" }
                try await accept([span64, span128, spanPadded], into: store)

                for span in [span64, span128, spanPadded] {
                    let foo = span.tags["foo"] ?? ""
                    try await expectSearch(store, request(today: today, serviceName: "frontend", annotationQuery: "foo=\(foo)"), [[span]])
                }
                try await expectSearch(store, request(today: today), [[span64], [span128], [spanPadded]])
            },

            .init("getTraces_filteringMatchesMostRecentTraces") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let gap: Int64 = 100
                func span(_ name: String, id: UInt64, service: Int, timestamp: Int64) -> Span {
                    Span(traceID: Fixtures.randomTraceID(), id: id, name: name, timestamp: timestamp, duration: 1,
                         localEndpoint: Endpoint(serviceName: "service\(service)", ipv4: "127.0.0.1"))
                }
                let early = (1...10).map { i in span("early", id: UInt64(i), service: i, timestamp: (today - Int64(i)) * 1000) }
                let late = (1...10).map { i in span("late", id: UInt64(i + 10), service: i, timestamp: (today + gap - Int64(i)) * 1000) }
                try await accept(early, into: store)
                try await accept(late, into: store)

                try await expectSearch(store, request(today: today), (early + late).map { [$0] })
                // The limit keeps the traces nearest endTs.
                try await expectSearch(store, request(today: today, limit: 10), late.map { [$0] })
                try await expectSearch(store, request(today: today, endTs: today + gap, lookback: gap), late.map { [$0] })
                try await expectSearch(store, request(today: today, endTs: today), early.map { [$0] })
            },

            .init("getTraces_serviceNames") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let client = Fixtures.newClientSpan(today: today)
                try await accept([client], into: store)
                try await expectServiceNameSearches(store, client, today: today)
            },

            .init("getTraces_serviceNames_mixedTraceIdLength") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let client = Fixtures.newClientSpan(today: today)
                // Same trace ID truncated to 64 bits, other services: a different trace when strict.
                let truncated = backendSpan(TraceID(low: client.traceID.low), timestamp: today * 1000 + 100)
                    .rebuilt {
                        $0.localEndpoint = Endpoint(serviceName: "foo_x")
                        $0.remoteEndpoint = Endpoint(serviceName: "bar_x")
                    }
                try await accept([truncated], into: store)
                try await accept([client], into: store)
                try await expectServiceNameSearches(store, client, today: today)
            },

            .init("getTraces_spanName") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let client = Fixtures.newClientSpan(today: today)
                try await accept([client], into: store)
                try await expectSpanNameSearches(store, client, today: today)
            },

            .init("getTraces_spanName_mixedTraceIdLength") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let client = Fixtures.newClientSpan(today: today)
                // Same trace ID truncated to 64 bits, other span name: a different trace when strict.
                let truncated = client.rebuilt { $0.traceID = TraceID(low: client.traceID.low); $0.name = "bar" }
                try await accept([truncated], into: store)
                try await accept([client], into: store)
                try await expectSpanNameSearches(store, client, today: today)
            },

            .init("getTraces_tags") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let client = Fixtures.newClientSpan(today: today)
                try await accept([client], into: store)

                try await expectSearch(store, request(today: today, annotationQuery: "foo=bar"), [])
                try await expectSearch(store, request(today: today, annotationQuery: "http.method=GET and http.path=/foo"), [[client]])
            },

            .init("getTraces_minDuration") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let client = Fixtures.newClientSpan(today: today)
                let duration = try #require(client.duration)
                try await accept([client], into: store)

                try await expectSearch(store, request(today: today, minDuration: duration + 1), [])
                try await expectSearch(store, request(today: today, minDuration: duration), [[client]])
            },

            .init("getTraces_lateDuration") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let client = Fixtures.newClientSpan(today: today)
                let duration = try #require(client.duration)
                // The duration arrives later, in a fragment carrying only timing and the local endpoint.
                let missingDuration = client.rebuilt { $0.duration = nil }
                let lateDuration = Span(traceID: client.traceID, id: client.id, timestamp: client.timestamp,
                                        duration: duration, localEndpoint: client.localEndpoint)
                try await accept([missingDuration], into: store)
                try await accept([lateDuration], into: store)

                try await expectSearch(store, request(today: today, minDuration: duration + 1), [])
                // Raw fragments: both come back, unmerged.
                try await expectSearch(store, request(today: today, minDuration: duration), [[missingDuration, lateDuration]])
            },

            .init("getTraces_maxDuration") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let client = Fixtures.newClientSpan(today: today)
                let duration = try #require(client.duration)
                try await accept([client], into: store)

                try await expectSearch(store, request(today: today, minDuration: duration - 2, maxDuration: duration - 1), [])
                try await expectSearch(store, request(today: today, minDuration: duration, maxDuration: duration), [[client]])
            },

            .init("readback_minimalErrorSpan") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                // The skeletal span dependency linking relies on; an empty tag value must survive.
                let errorSpan = Span(traceID: Fixtures.randomTraceID(), id: 1, kind: .client, timestamp: today * 1000,
                                     localEndpoint: Endpoint(serviceName: "isao01"), tags: ["error": ""])
                try await accept([errorSpan], into: store)

                try await expectSearch(store, request(today: today, serviceName: "isao01"), [[errorSpan]])
                try await expectSearch(store, request(today: today, serviceName: "isao01", annotationQuery: "error"), [[errorSpan]])
                try await expectSearch(store, request(today: today, serviceName: "isao01", annotationQuery: "error=1"), [])
                try await expectTrace(store, errorSpan.traceID, [errorSpan])
            },

            .init("readsBackLargeValues") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let span = backendSpan(timestamp: today * 1000 + 100).rebuilt {
                    $0.name = "big"
                    $0.tags["a"] = String(repeating: "a", count: 1024)
                }
                try await accept([span], into: store)

                try await expectSearch(store, request(today: today), [[span]])
                try await expectTrace(store, span.traceID, [span])
            },

            .init("spanWithProblematicData") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                // JSON in a name and a tag key extending another with a dot have broken stores before;
                // two fragments so both shapes are stored under one span ID.
                let json = #"{"foo":"bar"}"#
                let part1 = backendSpan(timestamp: today * 1000 + 100).rebuilt { $0.tags["http.path"] = "/api" }
                let part2 = part1.rebuilt {
                    $0.name = json
                    $0.tags = ["http.path.morepath": "/api/api"]
                }
                try await accept([part1], into: store)
                try await accept([part2], into: store)

                try await expectSearch(store, request(today: today, serviceName: "backend", spanName: json), [[part1, part2]])
                try await expectTrace(store, part1.traceID, [part1, part2])
            },

            .init("getTraces_duration") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let (trace1, trace2, trace3) = durationTraces(today: today)
                try await accept(trace1, into: store)
                try await accept(trace2, into: store)
                try await accept(trace3, into: store)
                // The data sits just before TODAY, so a window ending there must look back.
                func query(_ service: String, remote: String? = nil, spanName: String? = nil,
                           min: Int64, max: Int64? = nil) throws -> TraceQuery {
                    try request(today: today, serviceName: service, remoteServiceName: remote, spanName: spanName,
                                minDuration: min, maxDuration: max, endTs: today, lookback: Fixtures.day)
                }

                // minDuration is inclusive and applies to spans of the service, not only the root.
                try await expectSearch(store, query("frontend", min: 200_000), [trace1])
                try await expectSearch(store, query("db", min: 200_000), [trace2])
                try await expectSearch(store, query("backend", min: 50_000, max: 150_000), [trace1, trace2, trace3])
                // remoteServiceName and spanName narrow the spans the duration must come from.
                try await expectSearch(store, query("frontend", remote: "backend", min: 50_000, max: 50_000), [trace2])
                try await expectSearch(store, query("backend", remote: "backend", spanName: "zip", min: 50_000, max: 50_000), [trace3])
                // maxDuration excludes the service's longer spans.
                try await expectSearch(store, query("backend", remote: "backend", min: 50_000, max: 50_000), [trace3])
            },

            .init("getTraces_absentWhenNoTimestamp") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let span = backendSpan(timestamp: today * 1000 + 100)
                let untimed = span.rebuilt { $0.timestamp = nil; $0.duration = nil }
                // Indexed names but no timestamp of any kind: a trace without a time cannot be found.
                try await accept([untimed], into: store)

                try await expectSearch(store, request(today: today), [])
                try await expectSearch(store, request(today: today, serviceName: "backend"), [])
                try await expectSearch(store, request(today: today, serviceName: "backend", spanName: "frontend"), [])
                try await expectSearch(store, request(today: today, serviceName: "backend", spanName: "get /foo"), [])

                try await accept([span], into: store)

                try await expectSearch(store, request(today: today, serviceName: "backend"), [[untimed, span]])
                try await expectSearch(store, request(today: today, serviceName: "backend", remoteServiceName: "frontend"), [[untimed, span]])
                try await expectSearch(store, request(today: today, serviceName: "backend", spanName: "get /foo"), [[untimed, span]])
            },

            .init("getTraces_differentiatesDebugFromShared") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let (client, server) = debugClientAndSharedServer(today: today)
                try await accept([client, server], into: store)

                // Whole-span equality, so both flags must round-trip on the right fragment.
                try await expectSearch(store, request(today: today), [[client, server]])
            },

            .init("getTraces_annotation") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let client = Fixtures.newClientSpan(today: today).rebuilt {
                    $0.annotations.append(Annotation(timestamp: today * 1000 + 150, value: "foo"))
                }
                try await accept([client], into: store)

                try await expectSearch(store, request(today: today, serviceName: "frontend_x", annotationQuery: "foo"), [[client]])
                try await expectSearch(store, request(today: today, serviceName: "frontend_x", annotationQuery: "http.method=GET"), [[client]])
            },

            .init("getTraces_multipleAnnotationsBecomeAndFilter") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                func span(_ n: Int64, annotations: [String], tags: [String: String] = [:]) -> Span {
                    let timestamp = (today + n) * 1000
                    return Span(traceID: Fixtures.randomTraceID(), id: UInt64(n), name: "call\(n)", timestamp: timestamp,
                                localEndpoint: Fixtures.frontend,
                                annotations: annotations.map { Annotation(timestamp: timestamp, value: $0) }, tags: tags)
                }
                let foo = span(1, annotations: ["foo"])
                let barAndFoo = span(2, annotations: ["bar", "foo"])
                let fooAndBazAndQux = span(3, annotations: ["foo"], tags: ["baz": "qux"])
                let barAndFooAndBazAndQux = span(4, annotations: ["bar", "foo"], tags: ["baz": "qux"])
                try await accept([foo, barAndFoo, fooAndBazAndQux, barAndFooAndBazAndQux], into: store)

                try await expectSearch(store, request(today: today, serviceName: "frontend", annotationQuery: "foo"),
                                       [[foo], [barAndFoo], [fooAndBazAndQux], [barAndFooAndBazAndQux]])
                try await expectSearch(store, request(today: today, serviceName: "frontend", annotationQuery: "foo and bar"),
                                       [[barAndFoo], [barAndFooAndBazAndQux]])
                try await expectSearch(store, request(today: today, serviceName: "frontend", annotationQuery: "foo and bar and baz=qux"),
                                       [[barAndFooAndBazAndQux]])
                // A bare key also matches a tag key, whatever its value.
                try await expectSearch(store, request(today: today, serviceName: "frontend", annotationQuery: "baz"),
                                       [[fooAndBazAndQux], [barAndFooAndBazAndQux]])
            },

            .init("getTraces_differentiateOnServiceName") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let frontend = Fixtures.frontend, backend = Fixtures.backend
                let t1 = Fixtures.randomTraceID(), t2 = Fixtures.randomTraceID()
                let trace1Client = Span(traceID: t1, id: 1, kind: .client, name: "1", timestamp: (today + 1) * 1000,
                                        duration: 3000, localEndpoint: frontend,
                                        annotations: [Annotation(timestamp: (today + 1) * 1000 + 500, value: "web")],
                                        tags: ["local": "web", "web-b": "web"])
                let trace1Server = Span(traceID: t1, id: 1, kind: .server, name: "1", timestamp: (today + 2) * 1000,
                                        duration: 1000, localEndpoint: backend, shared: true)
                let trace2Client = Span(traceID: t2, id: 2, kind: .client, name: "2", timestamp: (today + 11) * 1000,
                                        duration: 3000, localEndpoint: backend,
                                        annotations: [Annotation(timestamp: (today + 11) * 1000 + 500, value: "app")],
                                        tags: ["local": "app", "app-b": "app"])
                let trace2Server = Span(traceID: t2, id: 2, kind: .server, name: "2", timestamp: (today + 12) * 1000,
                                        duration: 1000, localEndpoint: frontend, shared: true)
                try await accept([trace1Client, trace1Server, trace2Client, trace2Server], into: store)
                let trace1 = [trace1Client, trace1Server], trace2 = [trace2Client, trace2Server]

                try await expectTrace(store, t1, trace1)
                try await expectTrace(store, t2, trace2)
                try await expectSearch(store, request(today: today), [trace1, trace2])

                // A term only counts when the queried service recorded it: annotation value,
                // tag key, then tag key and value.
                for (web, app) in [("web", "app"), ("web-b", "app-b"), ("local=web", "local=app")] {
                    try await expectSearch(store, request(today: today, serviceName: "frontend", annotationQuery: web), [trace1])
                    try await expectSearch(store, request(today: today, serviceName: "backend", annotationQuery: web), [])
                    try await expectSearch(store, request(today: today, serviceName: "backend", annotationQuery: app), [trace2])
                    try await expectSearch(store, request(today: today, serviceName: "frontend", annotationQuery: app), [])
                }
            },

            .init("getTraces_limit") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let span1 = backendSpan(timestamp: today * 1000 + 100)
                let span2 = backendSpan(timestamp: (today + 2) * 1000)
                try await accept([span1, span2], into: store)

                // The limit keeps the trace nearest endTs.
                try await expectSearch(store, request(today: today, serviceName: "backend", limit: 1), [[span2]])
            },

            .init("getTraces_endTsAndLookback") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let span1 = backendSpan(timestamp: (today + 1) * 1000)
                let span2 = backendSpan(timestamp: (today + 2) * 1000)
                try await accept([span1, span2], into: store)

                // Both ends of the window are inclusive.
                try await expectSearch(store, request(today: today, endTs: today), [])
                try await expectSearch(store, request(today: today, endTs: today + 1), [[span1]])
                try await expectSearch(store, request(today: today, endTs: today + 2), [[span1], [span2]])
                try await expectSearch(store, request(today: today, endTs: today + 3), [[span1], [span2]])
                try await expectSearch(store, request(today: today, endTs: today + 1, lookback: 1), [[span1]])
                try await expectSearch(store, request(today: today, endTs: today + 2, lookback: 1), [[span1], [span2]])
                try await expectSearch(store, request(today: today, endTs: today + 3, lookback: 1), [[span2]])
            },

            .init("names_goLowercase") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let client = Fixtures.newClientSpan(today: today)
                try await accept([client], into: store)

                try await expectSearch(store, request(today: today, serviceName: "FRONTEND_X", remoteServiceName: "BACKEND_X"), [[client]])
                try await expectSearch(store, request(today: today, serviceName: "frontend_x", spanName: "GET /FOO"), [[client]])
            },

            .init("getTraces_endTsInsideTheTrace") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let trace = Fixtures.newTrace(today: today)
                let rootTimestamp = try #require(trace[0].timestamp), rootDuration = try #require(trace[0].duration)
                try await accept(trace, into: store)

                // A window ending at the root's end and no earlier than its start: children that
                // end after endTs still come back with the trace.
                let endTs = rootTimestamp / 1000 + rootDuration / 1000
                try await expectSearch(store, request(today: today, endTs: endTs, lookback: rootDuration / 1000), [trace])
            },

            // MARK: Volume

            .init("traceWithManySpans") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let root = backendSpan(id: 1000, timestamp: today * 1000 + 100)
                let children = (1...100).map { i in
                    root.rebuilt {
                        $0.parentID = root.id
                        $0.id = UInt64(i)
                        $0.timestamp = (today + Int64(i)) * 1000
                        $0.duration = 10
                    }
                }
                let trace = [root] + children
                try await accept(trace, into: store)

                // limit counts traces, not spans.
                try await expectSearch(store, request(today: today), [trace])
                try await expectTrace(store, root.traceID, trace)
            },

            .init("getTraces_manyTraces") { makeStore in
                let store = try await makeStore(TraceStoreOptions())
                let today = Fixtures.today
                let first = backendSpan(timestamp: today * 1000 + 100)
                let others = (1..<1000).map { i in
                    backendSpan(timestamp: (today + Int64(i)) * 1000).rebuilt { $0.duration = 10 }
                }
                let traces = ([first] + others).map { [$0] }
                try await accept(traces.flatMap { $0 }, into: store)

                try await expectSearch(store, request(today: today, limit: 1000), traces)
                try await expectSearch(store, request(today: today, serviceName: "backend", limit: 1000), traces)
                try await expectSearch(store, request(today: today, serviceName: "backend", remoteServiceName: "frontend",
                                                      limit: 1000), traces)
                try await expectSearch(store, request(today: today, serviceName: "backend", remoteServiceName: "frontend",
                                                      spanName: "get /foo", limit: 1000), traces)
                try await expectSearch(store, request(today: today, serviceName: "backend", remoteServiceName: "frontend",
                                                      spanName: "get /foo", annotationQuery: "http.method=GET", limit: 1000), traces)
            },

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

    private static func expectSameTraces(_ actual: [[Span]], _ expected: [[Span]], sourceLocation: SourceLocation) {
        // The count as well, since the normalised form is a set and would hide a trace returned twice.
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        #expect(Fixtures.normalized(actual) == Fixtures.normalized(expected), sourceLocation: sourceLocation)
    }

    /// Searches whose every filter names something never stored.
    private static func expectEmptySearches(_ store: any TraceStore, today: Int64) async throws {
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

    private static func expectServiceNameSearches(_ store: any TraceStore, _ client: Span, today: Int64) async throws {
        let local = client.localServiceName ?? "", remote = client.remoteServiceName ?? ""
        try await expectSearch(store, request(today: today, serviceName: local + "1"), [])
        try await expectSearch(store, request(today: today, serviceName: local), [[client]])
        try await expectSearch(store, request(today: today, serviceName: local, remoteServiceName: remote + "1"), [])
        try await expectSearch(store, request(today: today, serviceName: local, remoteServiceName: remote), [[client]])
    }

    private static func expectSpanNameSearches(_ store: any TraceStore, _ client: Span, today: Int64) async throws {
        let local = client.localServiceName ?? "", name = client.name ?? ""
        try await expectSearch(store, request(today: today, spanName: name + "1"), [])
        try await expectSearch(store, request(today: today, serviceName: local, spanName: name + "1"), [])
        try await expectSearch(store, request(today: today, spanName: name), [[client]])
        try await expectSearch(store, request(today: today, serviceName: local, spanName: name), [[client]])
    }

    /// Searches that match the 128-bit side (frontend's annotation) and the side that may have
    /// been downgraded to 64 bits (backend's error tag); both must return the whole trace.
    private static func expectNonStrictSearches(_ store: any TraceStore, _ trace: [Span], today: Int64) async throws {
        try await expectSearch(store, request(today: today), [trace])
        try await expectSearch(store, request(today: today, serviceName: "frontend", annotationQuery: "foo"), [trace])
        try await expectSearch(store, request(today: today, serviceName: "backend", annotationQuery: "error"), [trace])
    }

    /// A SERVER span of `backend` called by `frontend`: the generic span most cases start from.
    private static func backendSpan(_ traceID: TraceID = Fixtures.randomTraceID(), id: UInt64 = 1, timestamp: Int64) -> Span {
        Span(traceID: traceID, id: id, kind: .server, name: "get /foo", timestamp: timestamp, duration: 1000,
             localEndpoint: Fixtures.backend, remoteEndpoint: Fixtures.frontend, tags: ["http.method": "GET"])
    }

    /// The frontend → backend CLIENT span of `Fixtures.newTrace`.
    private static func clientSpan(today: Int64) -> Span {
        Fixtures.newTrace(today: today)[1]
    }

    /// A debug CLIENT span and a shared SERVER span with the same IDs: the flags must not be
    /// swapped or merged on the way back.
    private static func debugClientAndSharedServer(today: Int64) -> (client: Span, server: Span) {
        let client = Fixtures.newClientSpan(today: today).rebuilt { $0.debug = true }
        let server = client.rebuilt { $0.kind = .server; $0.debug = false; $0.shared = true }
        return (client, server)
    }

    /// `Fixtures.newTrace` as reported when the backend downgraded the ID to 64 bits: the first two
    /// spans keep the 128-bit ID, the backend's two carry only its low bits. Reported backend first.
    private static func mixedTrace(today: Int64) -> [Span] {
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
    private static func durationTraces(today: Int64) -> (trace1: [Span], trace2: [Span], trace3: [Span]) {
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
    fileprivate func rebuilt(_ change: (inout Span) -> Void) -> Span {
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
