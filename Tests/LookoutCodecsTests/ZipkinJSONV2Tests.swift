import LookoutCodecs
import LookoutModel
import Testing

struct ZipkinJSONV2Tests {
    static let specExample = #"[{"id":"352bff9a74ca9ad2","traceId":"5af7183fb1d4cf5f","parentId":"6b221d5bc9e6496c","name":"get /api","timestamp":1556604172355737,"duration":1431,"kind":"SERVER","localEndpoint":{"serviceName":"backend","ipv4":"192.168.99.1","port":3306},"remoteEndpoint":{"ipv4":"172.19.0.2","port":58648},"tags":{"http.method":"GET","http.path":"/api"}}]"#

    func decode(_ text: String) throws -> [Span] {
        try ZipkinJSONV2Decoder.decodeSpans(Array(text.utf8))
    }

    func decodeError(_ text: String) -> String? {
        do throws(CodecError) {
            _ = try ZipkinJSONV2Decoder.decodeSpans(Array(text.utf8))
            return nil
        } catch {
            return error.message
        }
    }

    @Test func decodesTheSpecExample() throws {
        let spans = try decode(Self.specExample)
        #expect(spans == [Span(
            traceID: TraceID(low: 0x5af7183fb1d4cf5f), parentID: 0x6b221d5bc9e6496c, id: 0x352bff9a74ca9ad2,
            kind: .server, name: "get /api", timestamp: 1_556_604_172_355_737, duration: 1431,
            localEndpoint: Endpoint(serviceName: "backend", ipv4: "192.168.99.1", port: 3306),
            remoteEndpoint: Endpoint(ipv4: "172.19.0.2", port: 58648),
            tags: ["http.method": "GET", "http.path": "/api"])])
    }

    @Test func encodesInZipkinFieldOrder() throws {
        let spans = try decode(Self.specExample)
        let text = String(decoding: ZipkinJSONV2Encoder.encode(spans), as: UTF8.self)
        #expect(text == #"[{"traceId":"5af7183fb1d4cf5f","parentId":"6b221d5bc9e6496c","id":"352bff9a74ca9ad2","kind":"SERVER","name":"get /api","timestamp":1556604172355737,"duration":1431,"localEndpoint":{"serviceName":"backend","ipv4":"192.168.99.1","port":3306},"remoteEndpoint":{"ipv4":"172.19.0.2","port":58648},"tags":{"http.method":"GET","http.path":"/api"}}]"#)
    }

    @Test func roundTripsEveryField() throws {
        let span = Span(traceID: TraceID(high: 0x463ac35c9f6413ad, low: 0x48485a3953bb6124), parentID: 1, id: 2,
                        kind: .consumer, name: "recv \"q\"\n", timestamp: 10, duration: 20,
                        localEndpoint: Endpoint(serviceName: "个人信息服务", ipv6: "2001:db8::c001", port: 1),
                        remoteEndpoint: Endpoint(serviceName: "kafka"),
                        annotations: [Annotation(timestamp: 11, value: "⻩"), Annotation(timestamp: 11, value: "a\u{1}")],
                        tags: ["error": "", "emoji": "💩", "back\\slash": "x"], debug: true, shared: true)
        let bytes = ZipkinJSONV2Encoder.encode([span])
        #expect(try ZipkinJSONV2Decoder.decodeSpans(bytes) == [span])
    }

    @Test func normalisesLikeZipkin() throws {
        let spans = try decode(#"""
            [{"traceId":"00000000000000000000000000000abc","id":"1","parentId":"1","name":"GET /Foo","kind":"CLIENT","shared":true,
              "localEndpoint":{"serviceName":"FrontEnd"},"timestamp":0,"duration":-1,
              "annotations":[{"timestamp":5,"value":"b"},{"timestamp":2,"value":"a"},{"timestamp":5,"value":"b"}]}]
            """#)
        let span = try #require(spans.first)
        #expect(span.traceID == TraceID(low: 0xabc))
        #expect(span.traceID.hexString == "0000000000000abc")
        #expect(span.id == 1)
        #expect(span.parentID == nil)
        #expect(span.name == "get /foo")
        #expect(span.shared == false)
        #expect(span.localServiceName == "frontend")
        #expect(span.timestamp == nil)
        #expect(span.duration == nil)
        #expect(span.annotations == [Annotation(timestamp: 2, value: "a"), Annotation(timestamp: 5, value: "b")])
    }

    @Test func ignoresUnknownFieldsAndNulls() throws {
        let spans = try decode(#"[{"traceId":"a","id":"b","name":null,"extra":{"deep":[1,2,{"x":null}]},"tags":{"k":"v"},"localEndpoint":null}]"#)
        #expect(spans == [Span(traceID: TraceID(low: 0xa), id: 0xb, tags: ["k": "v"])])
    }

    @Test func acceptsNumbersAndBooleansAsTagValues() throws {
        let spans = try decode(#"[{"traceId":"a","id":"b","tags":{"http.status_code":500,"ok":false}}]"#)
        #expect(spans.first?.tags == ["http.status_code": "500", "ok": "false"])
    }

    @Test(arguments: [
        (#"[{"traceId":"A","id":"1"}]"#, "span 0: traceId: A should be lower-hex encoded with no prefix"),
        (#"[{"traceId":"1","id":"1"},{"traceId":"1"}]"#, "span 1: id is required"),
        (#"[{"id":"1"}]"#, "span 0: traceId is required"),
        (#"[{"traceId":"000","id":"1"}]"#, "span 0: traceId is all zeros"),
        (#"[{"traceId":"1","id":"0000"}]"#, "span 0: id is all zeros"),
        (#"[{"traceId":"123456789012345678901234567890123","id":"1"}]"#, "span 0: traceId.length > 32"),
        (#"[{"traceId":"1","id":"12345678901234567"}]"#, "span 0: id.length > 16"),
        (#"[{"traceId":"1","id":"1","timestamp":"abc"}]"#, "span 0: timestamp: malformed JSON at byte 37: expected a number"),
        (#"[{"traceId":"1","id":"1","kind":"SERVERX"}]"#, #"span 0: kind: unknown value "SERVERX", expected CLIENT, SERVER, PRODUCER or CONSUMER"#),
        (#"[{"traceId":"1","id":"1","tags":{"a":null}}]"#, "span 0: tags: No value at tag a"),
        (#"[{"traceId":"1","id":"1","annotations":[{"value":"x"}]}]"#, "span 0: annotations: Incomplete annotation: timestamp is required"),
        (#"[{"traceId":"1","id":"1"}"#, "unexpected end of input, expected ',' or ']'"),
        (#"{"traceId":"1"}"#, "Expected a JSON_V2 encoded list"),
    ])
    func rejectsWithAMessageNamingSpanAndField(input: String, message: String) {
        #expect(decodeError(input) == message)
    }

    @Test func boundsNestingOfIgnoredValues() {
        let deep = String(repeating: "[", count: 10_000)
        let message = decodeError(#"[{"traceId":"1","id":"1","x":"# + deep + "}]")
        #expect(message == "span 0: JSON nested deeper than 64 levels")
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let spans = try decode(#"[{"traceId":"1","id":"1","name":"a\"b\\c\/d\u00e9\ud83d\udca9\n"}]"#)
        #expect(spans.first?.name == "a\"b\\c/dé💩\n")
        #expect(decodeError(#"[{"traceId":"1","id":"1","name":"\ud83d"}]"#) != nil)
    }
}
