import LookoutModel

/// Decodes a Zipkin v2 JSON list of spans (`[{"traceId":…}]`). Unknown fields and `null` values
/// are ignored as Zipkin ignores them; a `null` tag value is an error. Errors name the span (by
/// index in the list) and the field.
public enum ZipkinJSONV2Decoder {
    public static func decodeSpans(_ bytes: [UInt8]) throws(CodecError) -> [Span] {
        do {
            return try bytes.withUnsafeBufferPointer { buffer in try decodeSpans(buffer) }
        } catch let error as CodecError {
            throw error
        } catch {
            throw CodecError("\(error)")
        }
    }

    public static func decodeSpans(_ buffer: UnsafeBufferPointer<UInt8>) throws(CodecError) -> [Span] {
        var reader = JSONReader(buffer)
        var spans: [Span] = []
        guard reader.peek() == UInt8(ascii: "[") else {
            throw CodecError("Expected a JSON_V2 encoded list")
        }
        try reader.readArray { (reader: inout JSONReader) throws(CodecError) in
            let index = spans.count
            do throws(CodecError) {
                spans.append(try decodeSpan(&reader))
            } catch {
                throw CodecError("span \(index): \(error.message)")
            }
        }
        try reader.expectEnd()
        return spans
    }

    static func decodeSpan(_ reader: inout JSONReader) throws(CodecError) -> Span {
        var traceID: TraceID?
        var id: UInt64?
        var parentID: UInt64?
        var kind: Span.Kind?
        var name: String?
        var timestamp: Int64?
        var duration: Int64?
        var localEndpoint: Endpoint?
        var remoteEndpoint: Endpoint?
        var annotations: [Annotation] = []
        var tags: [String: String] = [:]
        var debug = false
        var shared = false

        try reader.readObject { (reader: inout JSONReader, key) throws(CodecError) in
            if try reader.consumeNull() { return }
            switch key.count {
            case 2 where equals(key, "id"):
                id = try field("id") { () throws(CodecError) in
                    try parseSpanID(try reader.readRawString(), field: "id")
                }
            case 4 where equals(key, "kind"):
                let text = try field("kind") { () throws(CodecError) in try reader.readString() }
                guard let value = Span.Kind(rawValue: text) else {
                    throw CodecError("kind: unknown value \"\(text)\", expected CLIENT, SERVER, PRODUCER or CONSUMER")
                }
                kind = value
            case 4 where equals(key, "name"):
                name = try field("name") { () throws(CodecError) in try reader.readString() }
            case 4 where equals(key, "tags"):
                try field("tags") { () throws(CodecError) in
                    try reader.readObject { (reader: inout JSONReader, rawKey) throws(CodecError) in
                        guard let tagKey = JSONReader.string(validatingUTF8: rawKey) else { throw CodecError("invalid UTF-8 in a key") }
                        if try reader.consumeNull() { throw CodecError("No value at tag \(tagKey)") }
                        tags[tagKey] = try readScalarAsString(&reader)
                    }
                }
            case 5 where equals(key, "debug"):
                debug = try field("debug") { () throws(CodecError) in try reader.readBool() }
            case 6 where equals(key, "shared"):
                shared = try field("shared") { () throws(CodecError) in try reader.readBool() }
            case 7 where equals(key, "traceId"):
                traceID = try field("traceId") { () throws(CodecError) in
                    let raw = try reader.readRawString()
                    do throws(IDError) { return try TraceID(hexUTF8: raw) } catch { throw CodecError(error.message) }
                }
            case 8 where equals(key, "parentId"):
                parentID = try field("parentId") { () throws(CodecError) in
                    try parseSpanID(try reader.readRawString(), field: "parentId")
                }
            case 8 where equals(key, "duration"):
                duration = try field("duration") { () throws(CodecError) in try reader.readInt64() }
            case 9 where equals(key, "timestamp"):
                timestamp = try field("timestamp") { () throws(CodecError) in try reader.readInt64() }
            case 11 where equals(key, "annotations"):
                try field("annotations") { () throws(CodecError) in
                    try reader.readArray { (reader: inout JSONReader) throws(CodecError) in
                        annotations.append(try decodeAnnotation(&reader))
                    }
                }
            case 13 where equals(key, "localEndpoint"):
                localEndpoint = try field("localEndpoint") { () throws(CodecError) in try decodeEndpoint(&reader) }
            case 14 where equals(key, "remoteEndpoint"):
                remoteEndpoint = try field("remoteEndpoint") { () throws(CodecError) in try decodeEndpoint(&reader) }
            default:
                try reader.skipValue()
            }
        }
        guard let traceID else { throw CodecError("traceId is required") }
        guard let id else { throw CodecError("id is required") }
        if id == 0 { throw CodecError("id is all zeros") }
        return Span(traceID: traceID, parentID: parentID, id: id, kind: kind, name: name,
                    timestamp: timestamp, duration: duration, localEndpoint: localEndpoint,
                    remoteEndpoint: remoteEndpoint, annotations: annotations, tags: tags,
                    debug: debug, shared: shared)
    }

    static func parseSpanID(_ raw: UnsafeBufferPointer<UInt8>, field: String) throws(CodecError) -> UInt64 {
        do throws(IDError) { return try HexID.parse(raw, field: field) } catch { throw CodecError(error.message) }
    }

    /// Prefixes a field's errors with its name.
    @inline(__always)
    static func field<T>(_ name: StaticString, _ body: () throws(CodecError) -> T) throws(CodecError) -> T {
        do throws(CodecError) {
            return try body()
        } catch {
            if error.message.hasPrefix("\(name)") { throw error }
            throw CodecError("\(name): \(error.message)")
        }
    }

    /// Tag values are strings; numbers and booleans are accepted as their text, as lenient
    /// reporters send them.
    static func readScalarAsString(_ reader: inout JSONReader) throws(CodecError) -> String {
        switch reader.peek() {
        case UInt8(ascii: "\""):
            return try reader.readString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return try reader.readBool() ? "true" : "false"
        case .some(let byte) where byte == UInt8(ascii: "-") || (byte >= 48 && byte <= 57):
            let start = reader.offset
            try reader.skipValue()
            return reader.text(from: start)
        default:
            throw CodecError("expected a string value")
        }
    }

    static func decodeAnnotation(_ reader: inout JSONReader) throws(CodecError) -> Annotation {
        var ignored: Endpoint?
        return try decodeAnnotation(&reader, endpoint: &ignored)
    }

    /// Also reads v1's per-annotation `endpoint`, so the v1 decoder shares this.
    static func decodeAnnotation(_ reader: inout JSONReader, endpoint: inout Endpoint?) throws(CodecError) -> Annotation {
        var timestamp: Int64?
        var value: String?
        var found: Endpoint?
        try reader.readObject { (reader: inout JSONReader, key) throws(CodecError) in
            if try reader.consumeNull() { return }
            if equals(key, "timestamp") {
                timestamp = try reader.readInt64()
            } else if equals(key, "value") {
                value = try reader.readString()
            } else if equals(key, "endpoint") {
                found = try decodeEndpoint(&reader)
            } else {
                try reader.skipValue()
            }
        }
        guard let timestamp, timestamp > 0 else { throw CodecError("Incomplete annotation: timestamp is required") }
        guard let value else { throw CodecError("Incomplete annotation: value is required") }
        endpoint = found
        return Annotation(timestamp: timestamp, value: value)
    }

    static func decodeEndpoint(_ reader: inout JSONReader) throws(CodecError) -> Endpoint? {
        var serviceName: String?
        var ipv4: String?
        var ipv6: String?
        var port: Int32?
        try reader.readObject { (reader: inout JSONReader, key) throws(CodecError) in
            if try reader.consumeNull() { return }
            if equals(key, "serviceName") {
                serviceName = try reader.readString()
            } else if equals(key, "ipv4") {
                ipv4 = try reader.readString()
            } else if equals(key, "ipv6") {
                ipv6 = try reader.readString()
            } else if equals(key, "port") {
                let value = try reader.readInt64()
                guard (0...65535).contains(value) else { throw CodecError("port \(value) out of range") }
                port = Int32(value)
            } else {
                try reader.skipValue()
            }
        }
        let endpoint = Endpoint(serviceName: serviceName, ipv4: ipv4, ipv6: ipv6, port: port)
        return endpoint.isEmpty ? nil : endpoint
    }
}

extension JSONReader {
    /// The input text between `start` and the current position.
    func text(from start: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: base + start, count: position - start), as: UTF8.self)
    }
}

extension ZipkinJSONV2Decoder {
    /// Decodes `[[span…],[span…]]`, the body of `/api/v2/traces`.
    public static func decodeTraces(_ bytes: [UInt8]) throws(CodecError) -> [[Span]] {
        do {
            return try bytes.withUnsafeBufferPointer { buffer throws(CodecError) in
                var reader = JSONReader(buffer)
                var traces: [[Span]] = []
                try reader.readArray { (reader: inout JSONReader) throws(CodecError) in
                    var spans: [Span] = []
                    try reader.readArray { (reader: inout JSONReader) throws(CodecError) in spans.append(try decodeSpan(&reader)) }
                    traces.append(spans)
                }
                try reader.expectEnd()
                return traces
            }
        }
    }
}
