import LookoutCodecs
import LookoutModel
import Testing

/// Builds protobuf wire bytes by hand, independently of the encoder under test.
private enum Wire {
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        return bytes
    }

    static func key(_ field: UInt64, _ wireType: UInt64) -> [UInt8] { varint(field << 3 | wireType) }
    static func uint(_ field: UInt64, _ value: UInt64) -> [UInt8] { key(field, 0) + varint(value) }
    static func bytes(_ field: UInt64, _ content: [UInt8]) -> [UInt8] {
        key(field, 2) + varint(UInt64(content.count)) + content
    }
    static func string(_ field: UInt64, _ text: String) -> [UInt8] { bytes(field, Array(text.utf8)) }
    static func fixed64(_ field: UInt64, _ value: UInt64) -> [UInt8] {
        key(field, 1) + (0..<8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
    static func fixed32(_ field: UInt64, _ value: UInt32) -> [UInt8] {
        key(field, 5) + (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
    static func id(_ value: UInt64) -> [UInt8] { (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }

    /// A `ListOfSpans` entry: field 1 holding a `Span` made of `fields`.
    static func span(_ fields: [UInt8]...) -> [UInt8] { bytes(1, fields.flatMap { $0 }) }
    /// A span with trace ID 1 and span ID 2, plus `fields`.
    static func minimalSpan(_ fields: [UInt8]...) -> [UInt8] {
        bytes(1, bytes(1, id(1)) + bytes(3, id(2)) + fields.flatMap { $0 })
    }
}

private func decodeOne(_ bytes: [UInt8]) throws -> Span {
    let spans = try ZipkinProto3.decodeSpans(bytes)
    try #require(spans.count == 1)
    return spans[0]
}

private func decodeError(_ bytes: [UInt8]) -> String? {
    do {
        _ = try ZipkinProto3.decodeSpans(bytes)
        return nil
    } catch {
        return error.message
    }
}

struct ZipkinProto3Tests {
    static let trace = TraceID(high: 0x0102_0304_0506_0708, low: 0x090a_0b0c_0d0e_0f10)

    // MARK: Fixtures built from literal bytes

    @Test func emptyInputIsNoSpans() throws {
        #expect(try ZipkinProto3.decodeSpans([UInt8]()) == [])
    }

    @Test func minimalSpanFromLiteralBytes() throws {
        let bytes: [UInt8] = [
            0x0A, 0x14,                                      // ListOfSpans.spans (1), 20 bytes
            0x0A, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x01,           // Span.trace_id (1), 8 bytes
            0x1A, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x02,           // Span.id (3), 8 bytes
        ]
        #expect(try ZipkinProto3.decodeSpans(bytes) == [Span(traceID: TraceID(low: 1), id: 2)])
    }

    @Test func fullSpanFromLiteralBytes() throws {
        let bytes: [UInt8] = [
            0x0A, 0x8A, 0x01,                                            // spans (1), 138 bytes (a two-byte varint)
            0x0A, 0x10, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // trace_id (1), 16 bytes
            0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10,
            0x12, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x01,                       // parent_id (2)
            0x1A, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x02,                       // id (3)
            0x20, 0x01,                                                  // kind (4) = CLIENT
            0x2A, 0x03, 0x67, 0x65, 0x74,                                // name (5) = "get"
            0x31, 0x00, 0x40, 0x1E, 0x18, 0x24, 0x0A, 0x06, 0x00,        // timestamp (6), fixed64 1_700_000_000_000_000
            0x38, 0xC0, 0x9A, 0x0C,                                      // duration (7) = 200_000
            0x42, 0x10,                                                  // local_endpoint (8), 16 bytes
            0x0A, 0x08, 0x66, 0x72, 0x6F, 0x6E, 0x74, 0x65, 0x6E, 0x64,  //   service_name (1) = "frontend"
            0x12, 0x04, 0x7F, 0x00, 0x00, 0x01,                          //   ipv4 (2) = 127.0.0.1
            0x4A, 0x1D,                                                  // remote_endpoint (9), 29 bytes
            0x0A, 0x07, 0x62, 0x61, 0x63, 0x6B, 0x65, 0x6E, 0x64,        //   service_name (1) = "backend"
            0x1A, 0x10, 0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0,              //   ipv6 (3) = 2001:db8::c001
            0, 0, 0, 0, 0, 0, 0xC0, 0x01,
            0x20, 0x28,                                                  //   port (4) = 40
            0x52, 0x0E,                                                  // annotations (10), 14 bytes
            0x09, 0xA0, 0xC6, 0x1F, 0x18, 0x24, 0x0A, 0x06, 0x00,        //   timestamp (1), fixed64 1_700_000_000_100_000
            0x12, 0x03, 0x66, 0x6F, 0x6F,                                //   value (2) = "foo"
            0x5A, 0x0B,                                                  // tags (11), 11 bytes
            0x0A, 0x04, 0x70, 0x61, 0x74, 0x68,                          //   key (1) = "path"
            0x12, 0x03, 0x2F, 0x61, 0x70,                                //   value (2) = "/ap"
            0x60, 0x01,                                                  // debug (12) = true
        ]
        let expected = Span(
            traceID: Self.trace, parentID: 1, id: 2, kind: .client, name: "get",
            timestamp: 1_700_000_000_000_000, duration: 200_000,
            localEndpoint: Endpoint(serviceName: "frontend", ipv4: "127.0.0.1"),
            remoteEndpoint: Endpoint(serviceName: "backend", ipv6: "2001:db8::c001", port: 40),
            annotations: [Annotation(timestamp: 1_700_000_000_100_000, value: "foo")],
            tags: ["path": "/ap"], debug: true
        )
        #expect(try ZipkinProto3.decodeSpans(bytes) == [expected])
        // The encoder writes the same canonical bytes.
        #expect(ZipkinProto3.encode([expected]) == bytes)
    }

    // MARK: Fields

    @Test func traceIDOf16BytesIs128Bit() throws {
        let span = try decodeOne(Wire.span(Wire.bytes(1, Wire.id(7) + Wire.id(8)), Wire.bytes(3, Wire.id(2))))
        #expect(span.traceID == TraceID(high: 7, low: 8))
    }

    @Test func traceIDOf16BytesWithZeroHighHalfIs64Bit() throws {
        let span = try decodeOne(Wire.span(Wire.bytes(1, Wire.id(0) + Wire.id(8)), Wire.bytes(3, Wire.id(2))))
        #expect(span.traceID == TraceID(low: 8))
        #expect(!span.traceID.is128Bit)
    }

    @Test func traceIDWithZeroLowHalfIsValid() throws {
        let span = try decodeOne(Wire.span(Wire.bytes(1, Wire.id(7) + Wire.id(0)), Wire.bytes(3, Wire.id(2))))
        #expect(span.traceID == TraceID(high: 7, low: 0))
    }

    @Test func parentID() throws {
        #expect(try decodeOne(Wire.minimalSpan(Wire.bytes(2, Wire.id(0xffff_0000_0000_0001)))).parentID == 0xffff_0000_0000_0001)
        // All zeros, empty and the span's own ID mean "root".
        #expect(try decodeOne(Wire.minimalSpan(Wire.bytes(2, Wire.id(0)))).parentID == nil)
        #expect(try decodeOne(Wire.minimalSpan(Wire.bytes(2, []))).parentID == nil)
        #expect(try decodeOne(Wire.minimalSpan(Wire.bytes(2, Wire.id(2)))).parentID == nil)
    }

    @Test(arguments: [(UInt64(0), nil), (1, .client), (2, .server), (3, .producer), (4, .consumer), (5, nil), (300, nil)] as [(UInt64, Span.Kind?)])
    func kind(number: UInt64, kind: Span.Kind?) throws {
        #expect(try decodeOne(Wire.minimalSpan(Wire.uint(4, number))).kind == kind)
    }

    @Test func nameIsLowerCasedAndEmptyIsAbsent() throws {
        #expect(try decodeOne(Wire.minimalSpan(Wire.string(5, "GET /Users"))).name == "get /users")
        #expect(try decodeOne(Wire.minimalSpan(Wire.string(5, ""))).name == nil)
        #expect(try decodeOne(Wire.minimalSpan(Wire.string(5, "⻩ 💩"))).name == "⻩ 💩")
    }

    @Test func timestampAndDuration() throws {
        let span = try decodeOne(Wire.minimalSpan(Wire.fixed64(6, 1_502_787_600_000_000), Wire.uint(7, 150_000)))
        #expect(span.timestamp == 1_502_787_600_000_000)
        #expect(span.duration == 150_000)
        // Zero is absent; so is a value that is negative as Int64.
        let zero = try decodeOne(Wire.minimalSpan(Wire.fixed64(6, 0), Wire.uint(7, 0)))
        #expect(zero.timestamp == nil && zero.duration == nil)
        let negative = try decodeOne(Wire.minimalSpan(Wire.fixed64(6, UInt64.max), Wire.uint(7, UInt64.max)))
        #expect(negative.timestamp == nil && negative.duration == nil)
    }

    @Test func endpoints() throws {
        let local = Wire.string(1, "FrontEnd") + Wire.bytes(2, [192, 168, 99, 101]) + Wire.uint(4, 9000)
        let remote = Wire.string(1, "db") + Wire.bytes(3, [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 10) + [0xc0, 0x01])
            + Wire.uint(4, 3036)
        let span = try decodeOne(Wire.minimalSpan(Wire.bytes(8, local), Wire.bytes(9, remote)))
        #expect(span.localEndpoint == Endpoint(serviceName: "frontend", ipv4: "192.168.99.101", port: 9000))
        #expect(span.remoteEndpoint == Endpoint(serviceName: "db", ipv6: "2001:db8::c001", port: 3036))
    }

    @Test func endpointWithNoFieldsIsAbsent() throws {
        let span = try decodeOne(Wire.minimalSpan(Wire.bytes(8, []), Wire.bytes(9, Wire.string(1, "") + Wire.uint(4, 0))))
        #expect(span.localEndpoint == nil)
        #expect(span.remoteEndpoint == nil)
    }

    @Test func repeatedEndpointFieldsMerge() throws {
        let span = try decodeOne(Wire.minimalSpan(
            Wire.bytes(8, Wire.string(1, "a") + Wire.uint(4, 80)),
            Wire.bytes(8, Wire.bytes(2, [10, 0, 0, 1]) + Wire.uint(4, 81))
        ))
        #expect(span.localEndpoint == Endpoint(serviceName: "a", ipv4: "10.0.0.1", port: 81))
    }

    @Test(arguments: [
        ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x01], "2001:db8::c001"),
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "::1"),
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "::"),
        ([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "1::"),
        // A single zero group is not compressed.
        ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], "2001:db8:0:1:1:1:1:1"),
        // The longest run is compressed; on a tie, the first.
        ([0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "2001:0:0:1::1"),
        ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], "2001:db8::1:0:0:1"),
        // Leading zeros dropped, lower-case hex.
        ([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x0a, 0x00, 0xff, 0xfe, 0xAB, 0x0C, 0xDE], "fe80::20a:ff:feab:cde"),
        ([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        // IPv4-mapped keeps its dotted tail (RFC 5952 section 5).
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1], "::ffff:192.0.2.1"),
    ] as [([UInt8], String)])
    func ipv6IsRFC5952Text(bytes: [UInt8], text: String) throws {
        let span = try decodeOne(Wire.minimalSpan(Wire.bytes(8, Wire.bytes(3, bytes))))
        #expect(span.localEndpoint?.ipv6 == text)
        // And the encoder parses that text back to the same bytes.
        #expect(try ZipkinProto3.decodeSpans(ZipkinProto3.encode([span])) == [span])
    }

    @Test(arguments: [([0, 0, 0, 0], "0.0.0.0"), ([255, 255, 255, 255], "255.255.255.255"), ([10, 20, 30, 40], "10.20.30.40")] as [([UInt8], String)])
    func ipv4IsDottedText(bytes: [UInt8], text: String) throws {
        let span = try decodeOne(Wire.minimalSpan(Wire.bytes(9, Wire.bytes(2, bytes))))
        #expect(span.remoteEndpoint?.ipv4 == text)
    }

    @Test func annotationsAreSortedAndDeduplicated() throws {
        func annotation(_ timestamp: UInt64, _ value: String) -> [UInt8] {
            Wire.bytes(10, Wire.fixed64(1, timestamp) + Wire.string(2, value))
        }
        let span = try decodeOne(Wire.minimalSpan(annotation(20, "b"), annotation(10, "a"), annotation(20, "b"), annotation(20, "")))
        #expect(span.annotations == [
            Annotation(timestamp: 10, value: "a"), Annotation(timestamp: 20, value: ""), Annotation(timestamp: 20, value: "b"),
        ])
    }

    @Test func annotationFieldsInAnyOrder() throws {
        let span = try decodeOne(Wire.minimalSpan(Wire.bytes(10, Wire.string(2, "wr") + Wire.fixed64(1, 5))))
        #expect(span.annotations == [Annotation(timestamp: 5, value: "wr")])
    }

    @Test func tags() throws {
        let span = try decodeOne(Wire.minimalSpan(
            Wire.bytes(11, Wire.string(1, "http.path") + Wire.string(2, "/api")),
            Wire.bytes(11, Wire.string(2, "v") + Wire.string(1, "reversed")),
            Wire.bytes(11, Wire.string(1, "error")),                       // no value: ""
            Wire.bytes(11, Wire.string(1, "dup") + Wire.string(2, "1")),
            Wire.bytes(11, Wire.string(1, "dup") + Wire.string(2, "2")),   // a later entry wins
            Wire.bytes(11, Wire.string(1, "big") + Wire.string(2, String(repeating: "a", count: 1024)))
        ))
        #expect(span.tags == [
            "http.path": "/api", "reversed": "v", "error": "", "dup": "2", "big": String(repeating: "a", count: 1024),
        ])
    }

    @Test func debugAndShared() throws {
        let span = try decodeOne(Wire.minimalSpan(Wire.uint(4, 2), Wire.uint(12, 1), Wire.uint(13, 1)))
        #expect(span.debug && span.shared)
        // Span.init removes shared from a client span.
        #expect(try decodeOne(Wire.minimalSpan(Wire.uint(4, 1), Wire.uint(13, 1))).shared == false)
        #expect(try decodeOne(Wire.minimalSpan(Wire.uint(12, 0))).debug == false)
    }

    @Test func laterScalarFieldsWin() throws {
        let span = try decodeOne(Wire.minimalSpan(Wire.string(5, "first"), Wire.string(5, "second"), Wire.bytes(3, Wire.id(9))))
        #expect(span.name == "second")
        #expect(span.id == 9)
    }

    @Test func severalSpansKeepTheirOrder() throws {
        let bytes = (1...5).flatMap { Wire.span(Wire.bytes(1, Wire.id(UInt64($0))), Wire.bytes(3, Wire.id(UInt64(10 + $0)))) }
        let spans = try ZipkinProto3.decodeSpans(bytes)
        #expect(spans.map(\.id) == [11, 12, 13, 14, 15])
        #expect(spans.map(\.traceID.low) == [1, 2, 3, 4, 5])
    }

    @Test func rawBufferOverloadsDecodeTheSame() throws {
        let bytes = Wire.minimalSpan(Wire.string(5, "x"))
        let expected = try ZipkinProto3.decodeSpans(bytes)
        #expect(try bytes.withUnsafeBytes { raw in try ZipkinProto3.decodeSpans(raw) } == expected)
        #expect(try bytes.withUnsafeBufferPointer { buffer in try ZipkinProto3.decodeSpans(buffer) } == expected)
        #expect(try ZipkinProto3.decodeSpans(UnsafeRawBufferPointer(start: nil, count: 0)) == [])
    }

    // MARK: Unknown fields

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        let unknown = Wire.uint(20, 300) + Wire.fixed64(21, 7) + Wire.string(22, "later") + Wire.fixed32(23, 9)
            + Wire.bytes(2047, [1, 2, 3]) + Wire.uint(536_870_911, 1)   // the largest field number
        let endpoint = Wire.string(1, "svc") + unknown
        let annotation = Wire.fixed64(1, 5) + unknown + Wire.string(2, "a")
        let tag = unknown + Wire.string(1, "k") + Wire.string(2, "v") + unknown
        let bytes = unknown + Wire.minimalSpan(
            unknown, Wire.bytes(8, endpoint), Wire.bytes(10, annotation), Wire.bytes(11, tag), unknown
        ) + unknown
        let span = try decodeOne(bytes)
        #expect(span == Span(
            traceID: TraceID(low: 1), id: 2, localEndpoint: Endpoint(serviceName: "svc"),
            annotations: [Annotation(timestamp: 5, value: "a")], tags: ["k": "v"]
        ))
    }

    // MARK: Errors

    @Test(arguments: [
        // Lengths and truncation.
        (Wire.key(1, 2), "span 0: truncated varint"),
        (Wire.key(1, 2) + [5, 0x0A], "span 0: length 5 exceeds the 1 remaining bytes"),
        (Wire.span([0x80]), "span 0: field key: truncated varint"),
        (Wire.span(Wire.key(5, 2) + [50, 0x61]), "span 0: name: length 50 exceeds the 1 remaining bytes"),
        (Wire.span(Wire.key(6, 1) + [1, 2, 3]), "span 0: timestamp: truncated fixed64: 3 of 8 bytes"),
        (Wire.span(Wire.key(7, 0) + [0x80, 0x80]), "span 0: duration: truncated varint"),
        (Wire.span(Wire.key(7, 0) + Array(repeating: 0xff, count: 10) + [0x01]), "span 0: duration: varint is longer than 64 bits"),
        (Wire.span(Wire.key(7, 0) + Array(repeating: 0x80, count: 10) + [0x01]), "span 0: duration: varint is longer than 64 bits"),
        (Wire.span(Wire.key(20, 5) + [1, 2]), "span 0: field 20: truncated fixed32: 2 of 4 bytes"),
        (Wire.span(Wire.key(20, 2) + [9]), "span 0: field 20: length 9 exceeds the 0 remaining bytes"),
        // Wire types.
        (Wire.span(Wire.key(20, 3)), "span 0: field 20: groups (wire type 3) are not supported"),
        (Wire.span(Wire.key(20, 4)), "span 0: field 20: groups (wire type 4) are not supported"),
        (Wire.span(Wire.key(20, 6)), "span 0: field 20: invalid wire type 6"),
        (Wire.span(Wire.key(20, 7)), "span 0: field 20: invalid wire type 7"),
        (Wire.key(2, 3), "ListOfSpans: field 2: groups (wire type 3) are not supported"),
        (Wire.key(2, 7), "ListOfSpans: field 2: invalid wire type 7"),
        (Wire.key(2, 0) + [0x80], "ListOfSpans: field 2: truncated varint"),
        (Wire.uint(1, 1), "span 0: wire type varint (0), expected length-delimited (2)"),
        (Wire.span(Wire.key(0, 0) + [0]), "span 0: field number 0 is invalid"),
        (Wire.span(Wire.key(UInt64(UInt32.max), 0)), "span 0: field key 34359738360 is out of range"),
        (Wire.span(Wire.uint(1, 1)), "span 0: traceId: wire type varint (0), expected length-delimited (2)"),
        (Wire.span(Wire.fixed64(4, 1)), "span 0: kind: wire type fixed64 (1), expected varint (0)"),
        (Wire.span(Wire.string(6, "now")), "span 0: timestamp: wire type length-delimited (2), expected fixed64 (1)"),
        (Wire.span(Wire.fixed32(8, 1)), "span 0: localEndpoint: wire type fixed32 (5), expected length-delimited (2)"),
        // IDs.
        (Wire.span(Wire.bytes(1, [1, 2, 3, 4]), Wire.bytes(3, Wire.id(2))), "span 0: traceId must be 8 or 16 bytes"),
        (Wire.span(Wire.bytes(1, Wire.id(1) + [1]), Wire.bytes(3, Wire.id(2))), "span 0: traceId must be 8 or 16 bytes"),
        (Wire.span(Wire.bytes(1, Wire.id(0)), Wire.bytes(3, Wire.id(2))), "span 0: traceId is all zeros"),
        (Wire.span(Wire.bytes(1, Wire.id(0) + Wire.id(0)), Wire.bytes(3, Wire.id(2))), "span 0: traceId is all zeros"),
        (Wire.span(Wire.bytes(3, Wire.id(2))), "span 0: traceId is required"),
        (Wire.span(Wire.bytes(1, []), Wire.bytes(3, Wire.id(2))), "span 0: traceId is required"),
        (Wire.span(Wire.bytes(1, Wire.id(1)), Wire.bytes(3, [2])), "span 0: id must be 8 bytes"),
        (Wire.span(Wire.bytes(1, Wire.id(1)), Wire.bytes(3, Wire.id(1) + Wire.id(2))), "span 0: id must be 8 bytes"),
        (Wire.span(Wire.bytes(1, Wire.id(1)), Wire.bytes(3, Wire.id(0))), "span 0: id is all zeros"),
        (Wire.span(Wire.bytes(1, Wire.id(1))), "span 0: id is required"),
        (Wire.minimalSpan(Wire.bytes(2, [0, 1])), "span 0: parentId must be 8 bytes"),
        // Annotations.
        (Wire.minimalSpan(Wire.bytes(10, Wire.fixed64(1, 5))), "span 0: annotations[0]: value is required"),
        (Wire.minimalSpan(Wire.bytes(10, Wire.string(2, "a"))), "span 0: annotations[0]: timestamp is required"),
        (Wire.minimalSpan(Wire.bytes(10, Wire.fixed64(1, 0) + Wire.string(2, "a"))), "span 0: annotations[0]: timestamp is required"),
        (Wire.minimalSpan(Wire.bytes(10, Wire.fixed64(1, UInt64.max) + Wire.string(2, "a"))),
         "span 0: annotations[0]: timestamp -1 is negative"),
        (Wire.minimalSpan(Wire.bytes(10, Wire.fixed64(1, 5) + Wire.string(2, "a")), Wire.bytes(10, Wire.string(2, "b"))),
         "span 0: annotations[1]: timestamp is required"),
        (Wire.minimalSpan(Wire.bytes(10, Wire.fixed64(1, 5) + Wire.key(2, 2) + [9])),
         "span 0: annotations[0]: value: length 9 exceeds the 0 remaining bytes"),
        // Invalid UTF-8.
        (Wire.minimalSpan(Wire.bytes(5, [0x61, 0xff])), "span 0: name: invalid UTF-8"),
        (Wire.minimalSpan(Wire.bytes(5, [0xe2, 0x82])), "span 0: name: invalid UTF-8"),
        (Wire.minimalSpan(Wire.bytes(5, [0xf0, 0x90, 0x80])), "span 0: name: invalid UTF-8"),
        (Wire.minimalSpan(Wire.bytes(5, [0xed, 0xa0, 0x80])), "span 0: name: invalid UTF-8"),         // a surrogate
        (Wire.minimalSpan(Wire.bytes(5, [0xc0, 0xaf])), "span 0: name: invalid UTF-8"),               // overlong
        (Wire.minimalSpan(Wire.bytes(8, Wire.bytes(1, [0xff]))), "span 0: localEndpoint: serviceName: invalid UTF-8"),
        (Wire.minimalSpan(Wire.bytes(10, Wire.fixed64(1, 5) + Wire.bytes(2, [0x80]))), "span 0: annotations[0]: value: invalid UTF-8"),
        (Wire.minimalSpan(Wire.bytes(11, Wire.bytes(1, [0xfe]))), "span 0: tags[0]: key: invalid UTF-8"),
        (Wire.minimalSpan(Wire.bytes(11, Wire.string(1, "k")), Wire.bytes(11, Wire.string(1, "k") + Wire.bytes(2, [0xc3]))),
         "span 0: tags[1]: value: invalid UTF-8"),
        // Endpoints.
        (Wire.minimalSpan(Wire.bytes(8, Wire.bytes(2, [127, 0, 0]))), "span 0: localEndpoint: ipv4 must be 4 bytes"),
        (Wire.minimalSpan(Wire.bytes(9, Wire.bytes(2, Array(repeating: 1, count: 16)))), "span 0: remoteEndpoint: ipv4 must be 4 bytes"),
        (Wire.minimalSpan(Wire.bytes(9, Wire.bytes(3, [127, 0, 0, 1]))), "span 0: remoteEndpoint: ipv6 must be 16 bytes"),
        (Wire.minimalSpan(Wire.bytes(8, Wire.uint(4, 65_536))), "span 0: localEndpoint: port 65536 out of range"),
        (Wire.minimalSpan(Wire.bytes(8, Wire.uint(4, UInt64(bitPattern: -1)))), "span 0: localEndpoint: port -1 out of range"),
        (Wire.minimalSpan(Wire.bytes(8, Wire.key(9, 7))), "span 0: localEndpoint: field 9: invalid wire type 7"),
    ] as [([UInt8], String)])
    func malformedInputIsAnError(bytes: [UInt8], message: String) {
        #expect(decodeError(bytes) == message)
    }

    @Test func errorsNameTheSpanByIndex() {
        let good = Wire.minimalSpan()
        let bad = Wire.span(Wire.bytes(1, [1, 2, 3, 4]), Wire.bytes(3, Wire.id(2)))
        #expect(decodeError(good + good + good + bad + good) == "span 3: traceId must be 8 or 16 bytes")
    }

    @Test func aNestedLengthCannotReachPastItsMessage() {
        // The endpoint claims 12 bytes; the buffer has them, but they belong to the next span.
        let endpoint = Wire.key(8, 2) + [12] + Wire.string(1, "ab")
        let first = Wire.span(Wire.bytes(1, Wire.id(1)), Wire.bytes(3, Wire.id(2)), endpoint)
        #expect(decodeError(first + Wire.minimalSpan()) == "span 0: localEndpoint: length 12 exceeds the 4 remaining bytes")
    }

    // MARK: Encoding

    static let sampleSpans: [Span] = {
        let frontend = Endpoint(serviceName: "frontend", ipv4: "127.0.0.1")
        let backend = Endpoint(serviceName: "backend", ipv4: "192.168.99.101", port: 9000)
        let db = Endpoint(serviceName: "db", ipv6: "2001:db8::c001", port: 3036)
        let t: Int64 = 1_700_000_000_000_000
        return [
            Span(traceID: trace, id: 1, kind: .server, name: "get", timestamp: t, duration: 350_000, localEndpoint: frontend),
            Span(traceID: trace, parentID: 1, id: 2, kind: .client, name: "get", timestamp: t + 50_000, duration: 200_000,
                 localEndpoint: frontend, remoteEndpoint: backend,
                 annotations: [Annotation(timestamp: t + 100_000, value: "foo")],
                 tags: ["http.path": "/api", "clnt/finagle.version": "6.45.0"]),
            Span(traceID: trace, parentID: 1, id: 2, kind: .server, name: "get", timestamp: t + 100_000, duration: 150_000,
                 localEndpoint: backend, remoteEndpoint: frontend, shared: true),
            Span(traceID: trace, parentID: 2, id: 3, kind: .client, name: "query", timestamp: t + 150_000, duration: 50_000,
                 localEndpoint: backend, remoteEndpoint: db,
                 annotations: [Annotation(timestamp: t + 190_000, value: "⻩")], tags: ["error": "💩"]),
            Span(traceID: TraceID(low: 0xffff_ffff_ffff_ffff), id: UInt64.max, kind: .producer, debug: true),
            Span(traceID: TraceID(low: 5), parentID: 4, id: 6, kind: .consumer, name: String(repeating: "x", count: 300),
                 remoteEndpoint: Endpoint(serviceName: "kafka", ipv6: "::ffff:10.0.0.1", port: 65535),
                 tags: ["a": "", "": "empty key", "long": String(repeating: "ü", count: 5000)], shared: true),
            Span(traceID: TraceID(low: 7), id: 8, localEndpoint: Endpoint(ipv6: "::1"),
                 annotations: (1...200).map { Annotation(timestamp: Int64($0), value: "event \($0)") }),
        ]
    }()

    @Test func roundTrip() throws {
        let bytes = ZipkinProto3.encode(Self.sampleSpans)
        #expect(try ZipkinProto3.decodeSpans(bytes) == Self.sampleSpans)
    }

    @Test func roundTripOfEachSpanAlone() throws {
        for span in Self.sampleSpans {
            #expect(try ZipkinProto3.decodeSpans(ZipkinProto3.encode([span])) == [span])
        }
    }

    @Test func endpointsRepeatedAcrossSpans() throws {
        // More distinct endpoints than the decoder keeps at hand, interleaved, some empty.
        let endpoints: [Endpoint?] = (0..<7).map { index in
            index == 6 ? nil : Endpoint(serviceName: "svc\(index % 3)", ipv4: "10.0.0.\(index)", port: Int32(index))
        }
        let spans = (0..<40).map { index in
            Span(traceID: TraceID(low: 1), id: UInt64(index + 1), localEndpoint: endpoints[index % 7],
                 remoteEndpoint: endpoints[(index * 3) % 7])
        }
        #expect(try ZipkinProto3.decodeSpans(ZipkinProto3.encode(spans)) == spans)
    }

    @Test func everyTruncationIsAnErrorOrWholeSpans() throws {
        let spans = Array(Self.sampleSpans.prefix(5))
        let bytes = ZipkinProto3.encode(spans)
        var boundaries: [Int: Int] = [0: 0]
        for count in 1...spans.count { boundaries[ZipkinProto3.encode(Array(spans.prefix(count))).count] = count }
        for length in 0..<bytes.count {
            let prefix = Array(bytes[..<length])
            if let count = boundaries[length] {
                #expect(try ZipkinProto3.decodeSpans(prefix) == Array(spans.prefix(count)))
            } else {
                #expect(throws: CodecError.self) { try ZipkinProto3.decodeSpans(prefix) }
            }
        }
    }

    @Test func corruptedBytesNeverCrash() {
        let original = ZipkinProto3.encode(Array(Self.sampleSpans.prefix(5)))
        var random: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: random >> 33)
        }
        var errors = 0
        for _ in 0..<3_000 {
            var bytes = original
            for _ in 0...(next() % 4) {
                bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next())
            }
            do {
                _ = try ZipkinProto3.decodeSpans(bytes)
            } catch {
                errors += 1
                #expect(error.message.hasPrefix("span ") || error.message.hasPrefix("ListOfSpans"))
            }
        }
        #expect(errors > 0)
    }

    @Test func encodingAnEmptyListIsEmpty() {
        #expect(ZipkinProto3.encode([]) == [])
    }

    @Test func encodeAppendsToTheBuffer() throws {
        var buffer = Wire.minimalSpan()
        ZipkinProto3.encode([Self.sampleSpans[0]], into: &buffer)
        #expect(try ZipkinProto3.decodeSpans(buffer) == [Span(traceID: TraceID(low: 1), id: 2), Self.sampleSpans[0]])
    }

    @Test func encodingIsCanonical() {
        let span = Span(traceID: TraceID(low: 1), id: 2, kind: .server, timestamp: 0x0102, duration: 300,
                        localEndpoint: Endpoint(serviceName: "s", ipv4: "1.2.3.4", port: -1),
                        tags: ["b": "2", "a": "1"], shared: true)
        let expected: [UInt8] = [
            0x0A, 0x4A,                                            // spans (1), 74 bytes
            0x0A, 0x08, 0, 0, 0, 0, 0, 0, 0, 1,                    // trace_id, 8 bytes for a 64-bit ID
            0x1A, 0x08, 0, 0, 0, 0, 0, 0, 0, 2,                    // id
            0x20, 0x02,                                            // kind SERVER
            0x31, 0x02, 0x01, 0, 0, 0, 0, 0, 0,                    // timestamp, fixed64 little-endian
            0x38, 0xAC, 0x02,                                      // duration 300
            0x42, 0x14,                                            // local_endpoint
            0x0A, 0x01, 0x73,                                      //   service_name "s"
            0x12, 0x04, 1, 2, 3, 4,                                //   ipv4
            0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,  // port -1: int32 sign-extended
            0x5A, 0x06, 0x0A, 0x01, 0x61, 0x12, 0x01, 0x31,        // tags, sorted by key: a=1
            0x5A, 0x06, 0x0A, 0x01, 0x62, 0x12, 0x01, 0x32,        //                      b=2
            0x68, 0x01,                                            // shared
        ]
        #expect(ZipkinProto3.encode([span]) == expected)
    }

    @Test func encoderNormalisesAddressText() throws {
        let span = Span(traceID: TraceID(low: 1), id: 2,
                        localEndpoint: Endpoint(serviceName: "a", ipv6: "2001:0DB8:0000:0000:0000:0000:0000:0001"),
                        remoteEndpoint: Endpoint(serviceName: "b", ipv4: "010.001.000.255"))
        let decoded = try decodeOne(ZipkinProto3.encode([span]))
        #expect(decoded.localEndpoint?.ipv6 == "2001:db8::1")
        #expect(decoded.remoteEndpoint?.ipv4 == "10.1.0.255")
    }

    @Test(arguments: ["not an ip", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4 ", "::1"])
    func unparsableIPv4IsLeftOut(text: String) throws {
        let span = Span(traceID: TraceID(low: 1), id: 2, localEndpoint: Endpoint(serviceName: "a", ipv4: text))
        #expect(try decodeOne(ZipkinProto3.encode([span])).localEndpoint == Endpoint(serviceName: "a"))
    }

    @Test(arguments: ["1.2.3.4", ":::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", "12345::", "g::", ":1::", "1::2:",
                      "fe80::1%eth0", "::ffff:1.2.3", "1.2.3.4::", "1:2:3:4:5:6:7:1.2.3.4"])
    func unparsableIPv6IsLeftOut(text: String) throws {
        let span = Span(traceID: TraceID(low: 1), id: 2, localEndpoint: Endpoint(serviceName: "a", ipv6: text))
        #expect(try decodeOne(ZipkinProto3.encode([span])).localEndpoint == Endpoint(serviceName: "a"))
    }

    @Test(arguments: [
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"), ("1:2:3:4:5:6::", "1:2:3:4:5:6::"), ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("1:0:0:0:0:0:0:8", "1::8"), ("::ffff:192.0.2.1", "::ffff:192.0.2.1"), ("::192.0.2.1", "::c000:201"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"), ("ABCD:EF01::", "abcd:ef01::"),
    ])
    func ipv6TextRoundTripsToCanonicalForm(text: String, canonical: String) throws {
        let span = Span(traceID: TraceID(low: 1), id: 2, localEndpoint: Endpoint(ipv6: text))
        #expect(try decodeOne(ZipkinProto3.encode([span])).localEndpoint?.ipv6 == canonical)
    }
}
