import Testing
import LookoutModel

/// Behaviour of Zipkin's `DependencyLinker` (its `DependencyLinkerTest` cases), plus Lookout's
/// grouping by the low 64 trace-ID bits and deep traces.
struct DependencyLinkerTests {
    static func span(
        _ traceID: TraceID = TraceID(low: 0xa), parent: UInt64?, id: UInt64, _ kind: Span.Kind?,
        local: String?, remote: String?, error: Bool = false, shared: Bool = false
    ) -> Span {
        Span(traceID: traceID, parentID: parent, id: id, kind: kind,
             localEndpoint: local.map { Endpoint(serviceName: $0) },
             remoteEndpoint: remote.map { Endpoint(serviceName: $0) },
             tags: error ? ["error": ""] : [:], shared: shared)
    }

    static func link(_ parent: String, _ child: String, _ calls: Int64 = 1, errors: Int64 = 0) -> DependencyLink {
        DependencyLink(parent: parent, child: child, callCount: calls, errorCount: errors)
    }

    static func links(_ traces: [Span]...) -> [DependencyLink] {
        var linker = DependencyLinker()
        for trace in traces { linker.putTrace(trace) }
        return linker.links
    }

    /// web → app → db, listed leaf first as reporters tend to send them.
    static let trace = [
        span(parent: 0xb, id: 0xc, .client, local: "app", remote: "db", error: true),
        span(parent: 0xa, id: 0xb, .server, local: "app", remote: "web", shared: true),
        span(parent: 0xa, id: 0xb, .client, local: "web", remote: "app"),
        span(parent: nil, id: 0xa, .server, local: "web", remote: nil),
    ]
    static let traceLinks = [link("app", "db", errors: 1), link("web", "app")]

    @Test func noTracesNoLinks() {
        #expect(DependencyLinker().links.isEmpty)
        #expect(Self.links([]).isEmpty)
    }

    @Test func linksSpans() {
        #expect(Self.links(Self.trace) == Self.traceLinks)
    }

    // The trace ID need not equal the root span ID.
    @Test func traceIdIsOpaque() {
        let renamed = Self.trace.map { span in
            var span = span
            span.traceID = TraceID(low: 0x123)
            return span
        }
        #expect(Self.links(renamed) == Self.traceLinks)
    }

    @Test func serverMissingParentId() {
        let trace: [Span] = [
            Self.span(parent: nil, id: 0xa, .server, local: "arn", remote: nil),
            Self.span(parent: 0xa, id: 0xb, .client, local: "arn", remote: "link"),
            Self.span(parent: nil, id: 0xb, .server, local: "link", remote: "arn", shared: true),
        ].reversed()
        #expect(Self.links(trace) == [Self.link("arn", "link")])
    }

    // A parent ID stored late, or a client half never sent, still resolves.
    @Test func lateParentIdInSharedSpan() {
        var late = Self.trace
        late[2].parentID = nil
        #expect(Self.links(late) == Self.traceLinks)
        late.remove(at: 1)
        #expect(Self.links(late) == Self.traceLinks)
    }

    @Test(arguments: [
        ("kafka", nil, [DependencyLinkerTests.link("producer", "kafka")]),
        (nil, "kafka", [DependencyLinkerTests.link("kafka", "consumer")]),
        ("kafka", "kafka", [DependencyLinkerTests.link("kafka", "consumer"), DependencyLinkerTests.link("producer", "kafka")]),
        ("kafka1", "kafka2", [DependencyLinkerTests.link("kafka2", "consumer"), DependencyLinkerTests.link("producer", "kafka1")]),
        (nil, nil, []),
    ] as [(String?, String?, [DependencyLink])])
    func messagingLinksOnlyThroughTheBroker(producerBroker: String?, consumerBroker: String?, expected: [DependencyLink]) {
        let trace = [
            Self.span(parent: nil, id: 0xa, .producer, local: "producer", remote: producerBroker),
            Self.span(parent: 0xa, id: 0xb, .consumer, local: "consumer", remote: consumerBroker),
        ]
        #expect(Self.links(trace) == expected)
    }

    // A server under a producer is really an RPC, whether it has its own ID or shares one.
    @Test func producerLinksToServer() {
        let producer = Self.span(parent: nil, id: 0xa, .producer, local: "producer", remote: nil)
        let child = Self.span(parent: 0xa, id: 0xb, .server, local: "server", remote: nil)
        let sharing = Self.span(parent: nil, id: 0xa, .server, local: "server", remote: nil, shared: true)
        #expect(Self.links([producer, child]) == [Self.link("producer", "server")])
        #expect(Self.links([producer, sharing]) == [Self.link("producer", "server")])
    }

    // A CLIENT used where PRODUCER was meant: the consumer side is authoritative and knows no broker.
    @Test func clientDoesntLinkToConsumer() {
        let trace = [
            Self.span(parent: nil, id: 0xa, .client, local: "client", remote: nil),
            Self.span(parent: 0xa, id: 0xb, .consumer, local: "consumer", remote: nil),
        ]
        #expect(Self.links(trace).isEmpty)
    }

    // A lone root span that knows its peer links in the direction of its kind; loopback too.
    @Test func rootSpansDirectedByKind() {
        #expect(Self.links([Self.span(parent: nil, id: 0xa, .server, local: "server", remote: "client")])
            == [Self.link("client", "server")])
        #expect(Self.links([Self.span(parent: nil, id: 0xa, .client, local: "client", remote: "server")])
            == [Self.link("client", "server")])
        #expect(Self.links([Self.span(parent: nil, id: 0xa, .server, local: "service", remote: "service")])
            == [Self.link("service", "service")])
        #expect(Self.links([Self.span(parent: nil, id: 0xb, .client, local: "service", remote: "service")])
            == [Self.link("service", "service")])
    }

    @Test func callsAccumulate() {
        let twoCalls = [
            Self.span(parent: nil, id: 0xa, .server, local: "client", remote: nil),
            Self.span(parent: 0xa, id: 0xb, .client, local: nil, remote: "server"),
            Self.span(parent: 0xa, id: 0xc, .client, local: nil, remote: "server"),
        ]
        #expect(Self.links(twoCalls) == [Self.link("client", "server", 2)])
        let oneCall = Array(twoCalls.prefix(2))
        #expect(Self.links(oneCall, oneCall) == [Self.link("client", "server", 2)])
    }

    // Spans that each know one side: the kind tells the direction, counted once.
    @Test func singleHostSpans() {
        let client = Self.span(parent: nil, id: 0xa, .client, local: "client", remote: nil)
        let server = Self.span(parent: 0xa, id: 0xb, .server, local: "server", remote: nil)
        #expect(Self.links([client, server]) == [Self.link("client", "server")])

        var failedClient = client
        failedClient.tags["error"] = ""
        var failedServer = server
        failedServer.tags["error"] = ""
        #expect(Self.links([failedClient, failedServer]) == [Self.link("client", "server", errors: 1)])
        // The client's error alone counts: the server is its direct child.
        #expect(Self.links([failedClient, server]) == [Self.link("client", "server", errors: 1)])

        var sameID = failedServer
        sameID.parentID = nil
        sameID.id = 0xa
        sameID.shared = true
        #expect(Self.links([failedClient, sameID]) == [Self.link("client", "server", errors: 1)])

        // The client's name for the server is ignored when the server reports itself.
        var naming = client
        naming.remoteEndpoint = Endpoint(serviceName: "server")
        #expect(Self.links([naming, server]) == [Self.link("client", "server")])
        var second = server
        second.id = 0xc
        #expect(Self.links([naming, server, second]) == [Self.link("client", "server", 2)])
    }

    @Test func singleHostSpansWithSeveralChildren() {
        let trace = [
            Self.span(parent: nil, id: 0xa, .client, local: "client", remote: nil),
            Self.span(parent: 0xa, id: 0xb, .server, local: "server", remote: "client", error: true),
            Self.span(parent: 0xa, id: 0xc, .server, local: "server", remote: "client"),
        ]
        #expect(Self.links(trace) == [Self.link("client", "server", 2, errors: 1)])
    }

    // Local spans between a server and its clients: link from the nearest server.
    @Test func intermediateLocalSpans() {
        let root = Self.span(parent: nil, id: 0xa, .server, local: "client", remote: nil)
        let local = Self.span(parent: 0xa, id: 0xb, nil, local: nil, remote: nil)
        // No remote side, so the error is not attributable to the link.
        #expect(Self.links([root, local,
                            Self.span(parent: 0xb, id: 0xc, .client, local: "server", remote: nil, error: true),
                            Self.span(parent: 0xb, id: 0xd, .client, local: "server", remote: nil, error: true)])
            == [Self.link("client", "server", 2)])

        let foo = Self.span(parent: nil, id: 0xa, .server, local: "foo", remote: nil)
        #expect(Self.links([foo, local,
                            Self.span(parent: 0xb, id: 0xc, .client, local: "bar", remote: "baz", error: true),
                            Self.span(parent: 0xb, id: 0xd, .client, local: "bar", remote: "baz")])
            == [Self.link("bar", "baz", 2, errors: 1), Self.link("foo", "bar", 2)])
    }

    @Test func annotationNamedErrorIsNotAnError() {
        var span = Self.span(parent: 0xb, id: 0xc, .client, local: "foo", remote: "bar")
        span.annotations = [Annotation(timestamp: 1, value: "error")]
        #expect(Self.links([span]) == [Self.link("foo", "bar")])
    }

    @Test func noKindWithBothServicesIsAClient() {
        let trace = [
            Self.span(parent: nil, id: 0xa, nil, local: "some-client", remote: "web"),
            Self.span(parent: 0xa, id: 0xb, nil, local: "web", remote: "app", error: true),
            Self.span(parent: 0xb, id: 0xc, nil, local: "app", remote: "db"),
        ]
        #expect(Self.links(trace)
            == [Self.link("app", "db"), Self.link("some-client", "web"), Self.link("web", "app", errors: 1)])
    }

    @Test(arguments: [Span.Kind.server, .client], [(nil, nil), ("a", nil), (nil, "b")] as [(String?, String?)])
    func cannotLinkWithoutBothServiceNames(kind: Span.Kind, services: (String?, String?)) {
        #expect(Self.links([Self.span(parent: nil, id: 0xa, kind, local: services.0, remote: services.1)]).isEmpty)
    }

    @Test func missingRootSpan() {
        let unrelated = [
            Self.span(parent: 0xa, id: 0xb, .server, local: "service1", remote: nil),
            Self.span(parent: 0xa, id: 0xc, .server, local: "service2", remote: nil),
        ]
        #expect(Self.links(unrelated).isEmpty)
        let related = [
            Self.span(parent: 0xa, id: 0xb, .server, local: "service1", remote: nil),
            Self.span(parent: 0xb, id: 0xc, .server, local: "service2", remote: nil),
        ]
        #expect(Self.links(related) == [Self.link("service1", "service2")])
    }

    // A missing span (the RPC web → app) is inferred from a client on another service.
    @Test func missingSpan() {
        let trace = [
            Self.span(parent: nil, id: 0xa, .server, local: "web", remote: nil),
            Self.span(parent: 0xa, id: 0xb, .client, local: "app", remote: nil),
        ]
        #expect(Self.links(trace) == [Self.link("web", "app")])
    }

    @Test func mergeSumsByParentAndChild() {
        #expect(DependencyLinker.merge([
            Self.link("foo", "bar", 2, errors: 1), Self.link("foo", "foo"), Self.link("foo", "bar", 2, errors: 2),
        ]) == [Self.link("foo", "bar", 4, errors: 3), Self.link("foo", "foo")])
        #expect(DependencyLinker.merge([
            Self.link("client", "server", 2), Self.link("client", "server", 2), Self.link("client", "client"),
        ]) == [Self.link("client", "client"), Self.link("client", "server", 4)])
        #expect(DependencyLinker.merge([]).isEmpty)
    }

    // One trace reported partly with a 64-bit ID is linked once; distinct traces stay distinct.
    @Test func groupsByLowTraceIDBits() {
        let long = TraceID(high: 0x1, low: 0x2)
        let mixed = [
            Self.span(long, parent: nil, id: 1, .server, local: "frontend", remote: nil),
            Self.span(TraceID(low: 0x2), parent: 1, id: 2, .server, local: "backend", remote: nil, shared: true),
            Self.span(long, parent: 1, id: 2, .client, local: "frontend", remote: nil),
        ]
        #expect(Self.links(mixed) == [Self.link("frontend", "backend")])
        let other = mixed.map { span in
            var span = span
            span.traceID = TraceID(high: 0x1, low: 0x3)
            return span
        }
        #expect(Self.links(mixed + other) == [Self.link("frontend", "backend", 2)])
    }

    // The tree the linker walks: a shared server under its client, a local span under the server
    // on its host, headless spans under a synthetic root, siblings by timestamp.
    @Test func spanTreeShape() {
        func timed(_ span: Span, _ timestamp: Int64) -> Span {
            var span = span
            span.timestamp = timestamp
            return span
        }
        let tree = SpanTree([
            timed(Self.span(parent: 0xf, id: 0xc, .server, local: "late", remote: nil), 30),
            timed(Self.span(parent: 0xf, id: 0xb, .client, local: "web", remote: nil), 10),
            Self.span(parent: 0xf, id: 0xb, .server, local: "app", remote: nil, shared: true),
            Self.span(parent: 0xb, id: 0xd, nil, local: "app", remote: nil),
        ])
        #expect(tree.root.span == nil)
        let ids = tree.breadthFirst().map { tree[$0].span?.id }
        #expect(ids == [0xb, 0xc, 0xb, 0xd])
        let order = tree.breadthFirst()
        #expect(tree[order[2]].span?.shared == true && tree[order[2]].parent == order[0])
        #expect(tree[order[3]].parent == order[2])
    }

    // 10,000 nested spans: no recursion, and ancestor lookups stay linear.
    @Test func deepTrace() {
        var trace = [Self.span(parent: nil, id: 1, .server, local: "a", remote: "z")]
        for id in UInt64(2)..<10_000 {
            trace.append(Self.span(parent: id - 1, id: id, nil, local: "a", remote: nil))
        }
        trace.append(Self.span(parent: 9_999, id: 10_000, .client, local: "a", remote: "b"))
        let tree = SpanTree(trace.reversed())
        #expect(tree.breadthFirst().count == 10_000)
        #expect(tree.root.span?.id == 1)
        #expect(Self.links(trace) == [Self.link("a", "b"), Self.link("z", "a")])
    }
}
