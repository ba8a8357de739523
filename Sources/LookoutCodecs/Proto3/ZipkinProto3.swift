import LookoutModel

/// Zipkin's proto3 encoding: a `zipkin.proto3.ListOfSpans` message (field 1, repeated `Span`), the
/// body of `POST /api/v2/spans` with `Content-Type: application/x-protobuf` and of the gRPC
/// `SpanService/Report` call.
///
/// Decoding builds every span through `Span.init`, so the model's normalisation applies (a 16-byte
/// trace ID whose high half is zero becomes a 64-bit ID, names are lower-cased, and so on).
/// Unknown fields are skipped by wire type; groups are rejected. Errors name the span by its
/// zero-based position in the list and the field: `"span 3: traceId must be 8 or 16 bytes"`.
///
/// Beyond plain proto3, the decoder is as strict as Zipkin's JSON rules: a known field sent with
/// another wire type, an ID or address of the wrong length, an all-zero trace or span ID, an
/// annotation without a timestamp or value, a port outside 0...65535 and invalid UTF-8 are errors.
/// An unknown `kind` number is ignored (proto3 enums are open), as is an empty `bytes` field.
public enum ZipkinProto3 {
    public static func decodeSpans(_ bytes: [UInt8]) throws(CodecError) -> [Span] {
        try bytes.withUnsafeBufferPointer { (buffer) throws(CodecError) in try decodeSpans(buffer) }
    }

    public static func decodeSpans(_ bytes: UnsafeRawBufferPointer) throws(CodecError) -> [Span] {
        try decodeSpans(bytes.assumingMemoryBound(to: UInt8.self))
    }

    public static func decodeSpans(_ bytes: UnsafeBufferPointer<UInt8>) throws(CodecError) -> [Span] {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return [] }
        var reader = ProtoReader(base: base, position: 0, end: bytes.count)
        var spans: [Span] = []
        var endpoints = EndpointCache()
        while !reader.isAtEnd {
            let index = spans.count
            let (field, wireType) = try ProtoReader.within("ListOfSpans") { () throws(CodecError) in
                try reader.readKey()
            }
            guard field == 1 else {
                try ProtoReader.within("ListOfSpans") { () throws(CodecError) in try reader.skipField(field, wireType) }
                continue
            }
            do throws(CodecError) {
                guard wireType == .lengthDelimited else {
                    throw CodecError("wire type \(wireType.label), expected \(ProtoWireType.lengthDelimited.label)")
                }
                var message = try reader.readMessage()
                spans.append(try decodeSpan(&message, endpoints: &endpoints))
            } catch {
                throw CodecError("span \(index): \(error.message)")
            }
        }
        return spans
    }

    /// Appends `spans` as a `ListOfSpans` message to `buffer`, writing only set fields, in field
    /// order, tags sorted by key, so the output is canonical and `decodeSpans` gives `spans` back
    /// (for spans as `Span.init` normalises them, with canonical IP text).
    public static func encode(_ spans: [Span], into buffer: inout [UInt8]) {
        for span in spans {
            ProtoWriter.lengthDelimited(1, reserving: 2, into: &buffer) { buffer in
                writeSpan(span, into: &buffer)
            }
        }
    }

    /// `spans` as a `ListOfSpans` message.
    public static func encode(_ spans: [Span]) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(spans, into: &buffer)
        return buffer
    }
}

// MARK: - Decoding messages

extension ZipkinProto3 {
    static func decodeSpan(_ reader: inout ProtoReader, endpoints: inout EndpointCache) throws(CodecError) -> Span {
        var traceID: TraceID?
        var parentID: UInt64?
        var id: UInt64?
        var kind: Span.Kind?
        var name: String?
        var timestamp: Int64?
        var duration: Int64?
        var localEndpoint: Endpoint??
        var remoteEndpoint: Endpoint??
        var annotations: [Annotation] = []
        var tags: [String: String] = [:]
        var tagCount = 0
        var debug = false
        var shared = false

        while !reader.isAtEnd {
            let (field, wireType) = try reader.readKey()
            switch field {
            case 1:
                let bytes = try reader.bytes("traceId", wireType)
                switch bytes.count {
                case 0: traceID = nil
                case 8: traceID = TraceID(low: bigEndian64(bytes, at: 0))
                case 16: traceID = TraceID(high: bigEndian64(bytes, at: 0), low: bigEndian64(bytes, at: 8))
                default: throw CodecError("traceId must be 8 or 16 bytes")
                }
                if traceID?.high == 0 && traceID?.low == 0 { throw CodecError("traceId is all zeros") }
            case 2:
                let bytes = try reader.bytes("parentId", wireType)
                switch bytes.count {
                case 0: parentID = nil
                case 8: parentID = bigEndian64(bytes, at: 0)
                default: throw CodecError("parentId must be 8 bytes")
                }
            case 3:
                let bytes = try reader.bytes("id", wireType)
                switch bytes.count {
                case 0: id = nil
                case 8: id = bigEndian64(bytes, at: 0)
                default: throw CodecError("id must be 8 bytes")
                }
                if id == 0 { throw CodecError("id is all zeros") }
            case 4:
                let value = try reader.varint("kind", wireType)
                kind = kindForNumber(value)
            case 5:
                name = try reader.string("name", wireType)
            case 6:
                timestamp = Int64(bitPattern: try reader.fixed64("timestamp", wireType))
            case 7:
                duration = Int64(bitPattern: try reader.varint("duration", wireType))
            case 8:
                var message = try reader.message("localEndpoint", wireType)
                localEndpoint = try ProtoReader.within("localEndpoint") { () throws(CodecError) in
                    try decodeEndpoint(&message, mergingInto: localEndpoint, cache: &endpoints)
                }
            case 9:
                var message = try reader.message("remoteEndpoint", wireType)
                remoteEndpoint = try ProtoReader.within("remoteEndpoint") { () throws(CodecError) in
                    try decodeEndpoint(&message, mergingInto: remoteEndpoint, cache: &endpoints)
                }
            case 10:
                var message = try reader.message("annotations", wireType)
                let annotation = try ProtoReader.within("annotations[\(annotations.count)]") { () throws(CodecError) in
                    try decodeAnnotation(&message)
                }
                annotations.append(annotation)
            case 11:
                if tagCount == 0 { tags.reserveCapacity(countTags(after: reader)) }
                var message = try reader.message("tags", wireType)
                let (key, value) = try ProtoReader.within("tags[\(tagCount)]") { () throws(CodecError) in
                    try decodeTag(&message)
                }
                tags[key] = value
                tagCount += 1
            case 12:
                debug = try reader.varint("debug", wireType) != 0
            case 13:
                shared = try reader.varint("shared", wireType) != 0
            default:
                try reader.skipField(field, wireType)
            }
        }
        guard let traceID else { throw CodecError("traceId is required") }
        guard let id else { throw CodecError("id is required") }
        return Span(
            traceID: traceID, parentID: parentID, id: id, kind: kind, name: name,
            timestamp: timestamp, duration: duration,
            localEndpoint: localEndpoint ?? nil, remoteEndpoint: remoteEndpoint ?? nil,
            annotations: annotations, tags: tags, debug: debug, shared: shared
        )
    }

    /// Decodes an `Endpoint` message; `nil` when it has no fields. `earlier` is the result of an
    /// earlier occurrence of the same field in this span (`.some(nil)` for an empty one), which
    /// this one merges into, as protobuf merges a repeated singular message.
    static func decodeEndpoint(
        _ reader: inout ProtoReader, mergingInto earlier: Endpoint??, cache: inout EndpointCache
    ) throws(CodecError) -> Endpoint? {
        if let earlier {
            var fields = EndpointFields(earlier)
            try decodeEndpoint(&reader, into: &fields)
            return fields.endpoint
        }
        let bytes = reader.unreadBytes
        if let endpoint = cache.endpoint(for: bytes) { return endpoint }
        var fields = EndpointFields()
        try decodeEndpoint(&reader, into: &fields)
        let endpoint = fields.endpoint
        cache.insert(endpoint, for: bytes)
        return endpoint
    }

    /// The fields of an `Endpoint` message as decoded so far.
    struct EndpointFields {
        var serviceName: String?
        var ipv4: String?
        var ipv6: String?
        var port: Int32?

        init() {}

        init(_ endpoint: Endpoint?) {
            serviceName = endpoint?.serviceName
            ipv4 = endpoint?.ipv4
            ipv6 = endpoint?.ipv6
            port = endpoint?.port
        }

        var endpoint: Endpoint? {
            let endpoint = Endpoint(serviceName: serviceName, ipv4: ipv4, ipv6: ipv6, port: port)
            return endpoint.isEmpty ? nil : endpoint
        }
    }

    /// The endpoints decoded last in this batch, by their message bytes. A batch from one
    /// reporter repeats a few endpoints in every span; reusing them skips UTF-8 checks, address
    /// formatting and lower-casing (and shares the strings).
    struct EndpointCache {
        private var entries: [(bytes: UnsafeBufferPointer<UInt8>, endpoint: Endpoint?)] = []
        private var next = 0
        private static let capacity = 4

        /// `.some(nil)` for a cached message without fields; `nil` when not cached.
        func endpoint(for bytes: UnsafeBufferPointer<UInt8>) -> Endpoint?? {
            for entry in entries where ZipkinProto3.equal(entry.bytes, bytes) {
                return .some(entry.endpoint)
            }
            return nil
        }

        mutating func insert(_ endpoint: Endpoint?, for bytes: UnsafeBufferPointer<UInt8>) {
            if entries.count < EndpointCache.capacity {
                entries.append((bytes, endpoint))
            } else {
                entries[next] = (bytes, endpoint)
                next = (next + 1) % EndpointCache.capacity
            }
        }
    }

    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let pa = a.baseAddress, let pb = b.baseAddress, pa != pb else { return true }
        let rawA = UnsafeRawPointer(pa), rawB = UnsafeRawPointer(pb)
        var index = 0
        while index + 8 <= a.count {
            if rawA.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                != rawB.loadUnaligned(fromByteOffset: index, as: UInt64.self) { return false }
            index += 8
        }
        while index < a.count {
            if pa[index] != pb[index] { return false }
            index += 1
        }
        return true
    }

    static func decodeEndpoint(_ reader: inout ProtoReader, into fields: inout EndpointFields) throws(CodecError) {
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readKey()
            switch field {
            case 1:
                fields.serviceName = try reader.string("serviceName", wireType)
            case 2:
                let bytes = try reader.bytes("ipv4", wireType)
                switch bytes.count {
                case 0: fields.ipv4 = nil
                case 4: fields.ipv4 = IPAddressText.ipv4(bytes)
                default: throw CodecError("ipv4 must be 4 bytes")
                }
            case 3:
                let bytes = try reader.bytes("ipv6", wireType)
                switch bytes.count {
                case 0: fields.ipv6 = nil
                case 16: fields.ipv6 = IPAddressText.ipv6(bytes)
                default: throw CodecError("ipv6 must be 16 bytes")
                }
            case 4:
                // int32 on the wire: a negative value is sign-extended to ten bytes.
                let port = Int64(bitPattern: try reader.varint("port", wireType))
                guard (0...65535).contains(port) else { throw CodecError("port \(port) out of range") }
                fields.port = Int32(port)
            default:
                try reader.skipField(field, wireType)
            }
        }
    }

    static func decodeAnnotation(_ reader: inout ProtoReader) throws(CodecError) -> Annotation {
        var timestamp: Int64 = 0
        var value: String?
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readKey()
            switch field {
            case 1: timestamp = Int64(bitPattern: try reader.fixed64("timestamp", wireType))
            case 2: value = try reader.string("value", wireType)
            default: try reader.skipField(field, wireType)
            }
        }
        if timestamp == 0 { throw CodecError("timestamp is required") }
        if timestamp < 0 { throw CodecError("timestamp \(timestamp) is negative") }
        guard let value else { throw CodecError("value is required") }
        return Annotation(timestamp: timestamp, value: value)
    }

    /// How many map entries follow in a row, counting the one `reader` is at (whose key has been
    /// read), so the dictionary is sized once instead of growing and rehashing. Malformed input
    /// just ends the count; decoding then reports it.
    static func countTags(after reader: ProtoReader) -> Int {
        var reader = reader
        var count = 0
        while true {
            guard (try? reader.readBytes()) != nil else { break }
            count += 1
            guard !reader.isAtEnd, let (field, wireType) = try? reader.readKey(),
                  field == 11, wireType == .lengthDelimited else { break }
        }
        return count
    }

    /// A `map<string, string>` entry: key 1, value 2, each defaulting to "" when absent.
    static func decodeTag(_ reader: inout ProtoReader) throws(CodecError) -> (key: String, value: String) {
        var key = ""
        var value = ""
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readKey()
            switch field {
            case 1: key = try reader.string("key", wireType)
            case 2: value = try reader.string("value", wireType)
            default: try reader.skipField(field, wireType)
            }
        }
        return (key, value)
    }

    /// `Span.Kind` by its proto number; 0 (unspecified) and numbers this model does not know are absent.
    @inline(__always)
    static func kindForNumber(_ number: UInt64) -> Span.Kind? {
        switch number {
        case 1: .client
        case 2: .server
        case 3: .producer
        case 4: .consumer
        default: nil
        }
    }

    @inline(__always)
    static func bigEndian64(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt64 {
        UInt64(bigEndian: UnsafeRawPointer(bytes.baseAddress! + offset).loadUnaligned(as: UInt64.self))
    }
}
