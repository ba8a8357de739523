import Testing
import LookoutModel
import LookoutStorage

extension TraceStoreConformance {
    /// Trace search (Zipkin ITSpanStore), and the heavy cases (ITSpanStoreHeavy).
    static var searchCases: [TraceStoreConformanceCase] {
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

        ]
    }
}
