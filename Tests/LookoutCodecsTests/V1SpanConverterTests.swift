import LookoutCodecs
import LookoutModel
import Testing

struct V1SpanConverterTests {
    static let frontend = Endpoint(serviceName: "frontend", ipv4: "127.0.0.1")
    static let backend = Endpoint(serviceName: "backend", ipv4: "192.168.99.101", port: 9000)
    static let kafka = Endpoint(serviceName: "kafka")
    static let trace = TraceID(high: 0x463a_c35c_9f64_13ad, low: 0x4832_4858_1a16_6e35)
    static let t: Int64 = 1_472_470_996_199_000

    /// A v1 span with the IDs and name every case shares.
    func v1(timestamp: Int64? = nil, duration: Int64? = nil, _ annotations: [V1Annotation] = [],
            _ binaryAnnotations: [V1BinaryAnnotation] = []) -> V1Span {
        V1Span(traceID: Self.trace, parentID: 1, id: 2, name: "get", timestamp: timestamp, duration: duration,
               annotations: annotations, binaryAnnotations: binaryAnnotations)
    }

    func span(_ kind: Span.Kind?, local: Endpoint? = nil, remote: Endpoint? = nil, timestamp: Int64? = nil,
              duration: Int64? = nil, annotations: [Annotation] = [], tags: [String: String] = [:], shared: Bool = false) -> Span {
        Span(traceID: Self.trace, parentID: 1, id: 2, kind: kind, name: "get", timestamp: timestamp, duration: duration,
             localEndpoint: local, remoteEndpoint: remote, annotations: annotations, tags: tags, shared: shared)
    }

    func a(_ offset: Int64, _ value: String, _ endpoint: Endpoint?) -> V1Annotation {
        V1Annotation(timestamp: Self.t + offset, value: value, endpoint: endpoint)
    }

    // MARK: Client

    @Test func clientOnly() {
        let source = v1(timestamp: Self.t, duration: 207_000,
                        [a(0, "cs", Self.frontend), a(4_000, "ws", Self.frontend), a(206_000, "wr", Self.frontend),
                         a(207_000, "cr", Self.frontend)],
                        [V1BinaryAnnotation(key: "http.path", value: "/api", endpoint: Self.frontend),
                         V1BinaryAnnotation(key: "clnt/finagle.version", value: "6.45.0", endpoint: Self.frontend),
                         .address("sa", Self.backend)])
        #expect(V1SpanConverter.convert(source) == [
            span(.client, local: Self.frontend, remote: Self.backend, timestamp: Self.t, duration: 207_000,
                 annotations: [Annotation(timestamp: Self.t + 4_000, value: "ws"), Annotation(timestamp: Self.t + 206_000, value: "wr")],
                 tags: ["http.path": "/api", "clnt/finagle.version": "6.45.0"]),
        ])
    }

    @Test func clientTimingFromAnnotationsWhenTheSpanHasNone() {
        let source = v1([a(0, "cs", Self.frontend), a(150, "cr", Self.frontend)])
        #expect(V1SpanConverter.convert(source) == [span(.client, local: Self.frontend, timestamp: Self.t, duration: 150)])
    }

    @Test func unfinishedClientKeepsItsStart() {
        let source = v1([a(0, "cs", Self.frontend), a(10, "ws", Self.frontend)])
        #expect(V1SpanConverter.convert(source) == [
            span(.client, local: Self.frontend, timestamp: Self.t, annotations: [Annotation(timestamp: Self.t + 10, value: "ws")]),
        ])
    }

    @Test func lateClientEndKeepsTheEndAsAnAnnotation() {
        let source = v1([a(150, "cr", Self.frontend)], [.address("sa", Self.backend)])
        #expect(V1SpanConverter.convert(source) == [
            span(.client, local: Self.frontend, remote: Self.backend, annotations: [Annotation(timestamp: Self.t + 150, value: "cr")]),
        ])
    }

    @Test func missingStartIsInferredFromTheSpansTiming() {
        // The span's timestamp + duration is exactly cr, so cs was at the span's timestamp.
        let source = v1(timestamp: Self.t, duration: 150, [a(150, "cr", Self.frontend)])
        #expect(V1SpanConverter.convert(source) == [span(.client, local: Self.frontend, timestamp: Self.t, duration: 150)])
    }

    // MARK: Server

    @Test func serverOnly() {
        let source = v1(timestamp: Self.t, duration: 100,
                        [a(0, "sr", Self.backend), a(100, "ss", Self.backend)],
                        [.address("ca", Self.frontend), V1BinaryAnnotation(key: "http.status_code", value: "200", endpoint: Self.backend)])
        #expect(V1SpanConverter.convert(source) == [
            span(.server, local: Self.backend, remote: Self.frontend, timestamp: Self.t, duration: 100,
                 tags: ["http.status_code": "200"]),
        ])
    }

    @Test func serverWithoutTimestampIsShared() {
        // v1 reporters left out the timestamp on spans they did not start.
        let source = v1([a(10, "sr", Self.backend), a(90, "ss", Self.backend)], [.address("ca", Self.frontend)])
        #expect(V1SpanConverter.convert(source) == [
            span(.server, local: Self.backend, remote: Self.frontend, timestamp: Self.t + 10, duration: 80, shared: true),
        ])
    }

    @Test func unfinishedServerWithoutTimestampIsShared() {
        let source = v1([a(10, "sr", Self.backend)])
        #expect(V1SpanConverter.convert(source) == [span(.server, local: Self.backend, timestamp: Self.t + 10, shared: true)])
    }

    // MARK: Client and server in one v1 span

    @Test func clientAndServerSplitIntoAClientAndASharedServer() {
        let source = v1(timestamp: Self.t, duration: 207_000,
                        [a(0, "cs", Self.frontend), a(4_000, "sr", Self.backend), a(4_500, "custom", Self.backend),
                         a(200_000, "ss", Self.backend), a(207_000, "cr", Self.frontend)],
                        [V1BinaryAnnotation(key: "clnt/finagle.version", value: "6.45.0", endpoint: Self.frontend),
                         V1BinaryAnnotation(key: "srv/finagle.version", value: "6.44.0", endpoint: Self.backend),
                         V1BinaryAnnotation(key: "error", value: "timeout"),
                         .address("ca", Self.frontend), .address("sa", Self.backend)])
        #expect(V1SpanConverter.convert(source) == [
            span(.client, local: Self.frontend, remote: Self.backend, timestamp: Self.t, duration: 207_000,
                 tags: ["clnt/finagle.version": "6.45.0", "error": "timeout"]),
            span(.server, local: Self.backend, remote: Self.frontend, timestamp: Self.t + 4_000, duration: 196_000,
                 annotations: [Annotation(timestamp: Self.t + 4_500, value: "custom")],
                 tags: ["srv/finagle.version": "6.44.0"], shared: true),
        ])
    }

    @Test func onewayClientAndServer() {
        let source = v1([a(0, "cs", Self.frontend), a(10, "sr", Self.backend)])
        #expect(V1SpanConverter.convert(source) == [
            span(.client, local: Self.frontend, timestamp: Self.t),
            span(.server, local: Self.backend, timestamp: Self.t + 10, shared: true),
        ])
    }

    @Test func loopbackStillSplits() {
        let source = v1([a(0, "cs", Self.frontend), a(10, "sr", Self.frontend), a(90, "ss", Self.frontend), a(100, "cr", Self.frontend)])
        #expect(V1SpanConverter.convert(source) == [
            span(.client, local: Self.frontend, timestamp: Self.t, duration: 100),
            span(.server, local: Self.frontend, timestamp: Self.t + 10, duration: 80, shared: true),
        ])
    }

    // MARK: Local spans

    @Test func localSpanFromAnEmptyLocalComponent() {
        let source = v1(timestamp: Self.t, duration: 50, [], [V1BinaryAnnotation(key: "lc", value: "", endpoint: Self.frontend)])
        #expect(V1SpanConverter.convert(source) == [span(nil, local: Self.frontend, timestamp: Self.t, duration: 50)])
    }

    @Test func namedLocalComponentIsAlsoATag() {
        let source = v1(timestamp: Self.t, duration: 50, [], [V1BinaryAnnotation(key: "lc", value: "scheduler", endpoint: Self.frontend)])
        #expect(V1SpanConverter.convert(source) == [
            span(nil, local: Self.frontend, timestamp: Self.t, duration: 50, tags: ["lc": "scheduler"]),
        ])
    }

    @Test func spanWithoutEndpointsKeepsItsTiming() {
        let source = v1(timestamp: Self.t, duration: 50, [a(5, "cache miss", nil)])
        #expect(V1SpanConverter.convert(source) == [
            span(nil, timestamp: Self.t, duration: 50, annotations: [Annotation(timestamp: Self.t + 5, value: "cache miss")]),
        ])
    }

    // MARK: Messaging

    @Test func producer() {
        let source = v1([a(0, "ms", Self.frontend)], [.address("ma", Self.kafka)])
        #expect(V1SpanConverter.convert(source) == [span(.producer, local: Self.frontend, remote: Self.kafka, timestamp: Self.t)])
    }

    @Test func producerDurationEndsAtWireSend() {
        let source = v1([a(0, "ms", Self.frontend), a(20, "ws", Self.frontend)], [.address("ma", Self.kafka)])
        #expect(V1SpanConverter.convert(source) == [
            span(.producer, local: Self.frontend, remote: Self.kafka, timestamp: Self.t, duration: 20),
        ])
    }

    @Test func consumer() {
        let source = v1([a(0, "mr", Self.backend)], [.address("ma", Self.kafka)])
        #expect(V1SpanConverter.convert(source) == [span(.consumer, local: Self.backend, remote: Self.kafka, timestamp: Self.t)])
    }

    @Test func consumerDurationStartsAtWireReceive() {
        let source = v1([a(0, "wr", Self.backend), a(30, "mr", Self.backend)], [.address("ma", Self.kafka)])
        #expect(V1SpanConverter.convert(source) == [
            span(.consumer, local: Self.backend, remote: Self.kafka, timestamp: Self.t, duration: 30),
        ])
    }

    @Test func producerAndConsumerInOneSpanSplit() {
        let source = v1([a(0, "ms", Self.frontend), a(10, "ws", Self.frontend), a(50, "wr", Self.backend), a(60, "mr", Self.backend)],
                        [.address("ma", Self.kafka)])
        #expect(V1SpanConverter.convert(source) == [
            span(.producer, local: Self.frontend, remote: Self.kafka, timestamp: Self.t, duration: 10),
            span(.consumer, local: Self.backend, remote: Self.kafka, timestamp: Self.t + 50, duration: 10, shared: true),
        ])
    }

    // MARK: Address annotations

    @Test func serverAddressAloneMakesAClient() {
        let source = v1([], [.address("sa", Self.backend)])
        #expect(V1SpanConverter.convert(source) == [span(.client, remote: Self.backend)])
    }

    @Test func clientAddressAloneMakesAServer() {
        let source = v1([], [.address("ca", Self.frontend)])
        #expect(V1SpanConverter.convert(source) == [span(.server, remote: Self.frontend)])
    }

    @Test func bothAddressesWithoutCoreAnnotationsLinkClientToServer() {
        let source = v1(timestamp: Self.t, duration: 10, [], [.address("ca", Self.frontend), .address("sa", Self.backend)])
        #expect(V1SpanConverter.convert(source) == [
            span(nil, local: Self.frontend, remote: Self.backend, timestamp: Self.t, duration: 10),
        ])
    }

    @Test func addressNamingTheSpansOwnServiceIsIgnored() {
        // Some tracers log both ca and sa on each side; an address of itself is no remote endpoint.
        let server = v1(timestamp: Self.t, duration: 10, [a(0, "sr", Self.frontend), a(10, "ss", Self.frontend)],
                        [.address("ca", Self.frontend), .address("sa", Self.frontend)])
        #expect(V1SpanConverter.convert(server) == [span(.server, local: Self.frontend, timestamp: Self.t, duration: 10)])
        let client = v1(timestamp: Self.t, duration: 10, [a(0, "cs", Self.frontend), a(10, "cr", Self.frontend)],
                        [.address("ca", Self.frontend), .address("sa", Self.backend)])
        #expect(V1SpanConverter.convert(client) == [
            span(.client, local: Self.frontend, remote: Self.backend, timestamp: Self.t, duration: 10),
        ])
    }

    @Test func addressAnnotationsAreKnownByKeyWhateverTheirValue() {
        let source = v1([a(0, "cs", Self.frontend)], [V1BinaryAnnotation(key: "sa", value: "1", endpoint: Self.backend)])
        #expect(V1SpanConverter.convert(source) == [span(.client, local: Self.frontend, remote: Self.backend, timestamp: Self.t)])
    }

    // MARK: Annotations and tags

    @Test func coreAnnotationWithoutEndpointIsAnOrdinaryAnnotation() {
        let source = v1([a(0, "cs", nil), a(5, "cr", nil)])
        #expect(V1SpanConverter.convert(source) == [
            span(nil, annotations: [Annotation(timestamp: Self.t, value: "cs"), Annotation(timestamp: Self.t + 5, value: "cr")]),
        ])
    }

    @Test func dataWithoutEndpointGoesOnTheFirstSpan() {
        let source = v1([a(0, "cs", Self.frontend), a(1, "sr", Self.backend), a(2, "retry", nil)],
                        [V1BinaryAnnotation(key: "error", value: "")])
        let spans = V1SpanConverter.convert(source)
        #expect(spans.count == 2)
        #expect(spans[0].localEndpoint == Self.frontend)
        #expect(spans[0].annotations == [Annotation(timestamp: Self.t + 2, value: "retry")])
        #expect(spans[0].tags == ["error": ""])
        #expect(spans[1].annotations.isEmpty && spans[1].tags.isEmpty)
    }

    @Test func eachHostsDataGoesOnItsSpan() {
        let source = v1([a(0, "cs", Self.frontend), a(1, "sr", Self.backend), a(2, "cache hit", Self.backend)],
                        [V1BinaryAnnotation(key: "db.rows", value: "3", endpoint: Self.backend)])
        let spans = V1SpanConverter.convert(source)
        #expect(spans.map(\.localEndpoint) == [Self.frontend, Self.backend])
        #expect(spans[1].annotations == [Annotation(timestamp: Self.t + 2, value: "cache hit")])
        #expect(spans[1].tags == ["db.rows": "3"])
    }

    @Test func spanFieldsCarryOverAndNormalise() {
        let source = V1Span(traceID: Self.trace, parentID: 9, id: 9, name: "GET /Users", timestamp: 0, duration: -1,
                            annotations: [a(0, "cs", Self.frontend), a(1, "sr", Self.backend)], debug: true)
        let spans = V1SpanConverter.convert(source)
        #expect(spans.count == 2)
        for span in spans {
            #expect(span.traceID == Self.trace)
            #expect(span.parentID == nil)   // equal to the span ID, so dropped
            #expect(span.id == 9)
            #expect(span.name == "get /users")
            #expect(span.debug)
        }
    }

    @Test func traceIDHighIsTheUpperHalf() {
        var source = V1Span(traceID: TraceID(low: 5), id: 1)
        #expect(source.traceIDHigh == nil)
        source.traceIDHigh = 7
        #expect(source.traceID == TraceID(high: 7, low: 5))
    }

    @Test func emptySpanIsOneSpan() {
        #expect(V1SpanConverter.convert(V1Span(traceID: TraceID(low: 1), id: 2)) == [Span(traceID: TraceID(low: 1), id: 2)])
    }

    @Test func convertsABatchInOrder() {
        let spans = V1SpanConverter.convert([
            v1([a(0, "cs", Self.frontend), a(1, "sr", Self.backend)]),
            V1Span(traceID: TraceID(low: 1), id: 3),
        ])
        #expect(spans.map(\.kind) == [.client, .server, nil])
        #expect(spans.map(\.id) == [2, 2, 3])
    }
}
