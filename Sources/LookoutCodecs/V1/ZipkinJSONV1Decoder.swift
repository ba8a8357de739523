import LookoutModel

/// Decodes a Zipkin v1 JSON list of spans and converts each to v2 with `V1SpanConverter`.
/// Errors name the span by its index in the list, and the field.
public enum ZipkinJSONV1Decoder {
    public static func decodeSpans(_ buffer: UnsafeBufferPointer<UInt8>) throws(CodecError) -> [Span] {
        var reader = JSONReader(buffer)
        guard reader.peek() == UInt8(ascii: "[") else { throw CodecError("Expected a JSON_V1 encoded list") }
        var spans: [Span] = []
        var index = 0
        try reader.readArray { (reader: inout JSONReader) throws(CodecError) in
            do throws(CodecError) {
                spans.append(contentsOf: V1SpanConverter.convert(try decodeSpan(&reader)))
            } catch {
                throw CodecError("span \(index): \(error.message)")
            }
            index += 1
        }
        try reader.expectEnd()
        return spans
    }

    public static func decodeSpans(_ bytes: [UInt8]) throws(CodecError) -> [Span] {
        do {
            return try bytes.withUnsafeBufferPointer { buffer throws(CodecError) in try decodeSpans(buffer) }
        }
    }

    static func decodeSpan(_ reader: inout JSONReader) throws(CodecError) -> V1Span {
        var traceID: TraceID?
        var traceIDHigh: UInt64?
        var id: UInt64?
        var parentID: UInt64?
        var name: String?
        var timestamp: Int64?
        var duration: Int64?
        var annotations: [V1Annotation] = []
        var binaryAnnotations: [V1BinaryAnnotation] = []
        var debug = false
        try reader.readObject { (reader: inout JSONReader, key) throws(CodecError) in
            if try reader.consumeNull() { return }
            if equals(key, "traceId") {
                let raw = try reader.readRawString()
                do throws(IDError) { traceID = try TraceID(hexUTF8: raw) } catch { throw CodecError("traceId: \(error.message)") }
            } else if equals(key, "traceIdHigh") {
                traceIDHigh = try ZipkinJSONV2Decoder.parseSpanID(try reader.readRawString(), field: "traceIdHigh")
            } else if equals(key, "id") {
                id = try ZipkinJSONV2Decoder.parseSpanID(try reader.readRawString(), field: "id")
            } else if equals(key, "parentId") {
                parentID = try ZipkinJSONV2Decoder.parseSpanID(try reader.readRawString(), field: "parentId")
            } else if equals(key, "name") {
                name = try reader.readString()
            } else if equals(key, "timestamp") {
                timestamp = try ZipkinJSONV2Decoder.field("timestamp") { () throws(CodecError) in try reader.readInt64() }
            } else if equals(key, "duration") {
                duration = try ZipkinJSONV2Decoder.field("duration") { () throws(CodecError) in try reader.readInt64() }
            } else if equals(key, "debug") {
                debug = try reader.readBool()
            } else if equals(key, "annotations") {
                try ZipkinJSONV2Decoder.field("annotations") { () throws(CodecError) in
                    try reader.readArray { (reader: inout JSONReader) throws(CodecError) in
                        annotations.append(try decodeAnnotation(&reader))
                    }
                }
            } else if equals(key, "binaryAnnotations") {
                try ZipkinJSONV2Decoder.field("binaryAnnotations") { () throws(CodecError) in
                    try reader.readArray { (reader: inout JSONReader) throws(CodecError) in
                        if let annotation = try decodeBinaryAnnotation(&reader) { binaryAnnotations.append(annotation) }
                    }
                }
            } else {
                try reader.skipValue()
            }
        }
        guard var traceID else { throw CodecError("traceId is required") }
        guard let id else { throw CodecError("id is required") }
        if id == 0 { throw CodecError("id is all zeros") }
        if let traceIDHigh, traceIDHigh != 0 { traceID.high = traceIDHigh }
        return V1Span(traceID: traceID, parentID: parentID, id: id, name: name, timestamp: timestamp, duration: duration,
                      annotations: annotations, binaryAnnotations: binaryAnnotations, debug: debug)
    }

    static func decodeAnnotation(_ reader: inout JSONReader) throws(CodecError) -> V1Annotation {
        var endpoint: Endpoint?
        let annotation = try ZipkinJSONV2Decoder.decodeAnnotation(&reader, endpoint: &endpoint)
        return V1Annotation(timestamp: annotation.timestamp, value: annotation.value, endpoint: endpoint)
    }

    /// Only string values become tags, and boolean address annotations (`ca`, `sa`, `ma`) become
    /// endpoints; other typed values (numbers, bytes) are dropped as Zipkin drops them.
    static func decodeBinaryAnnotation(_ reader: inout JSONReader) throws(CodecError) -> V1BinaryAnnotation? {
        var key: String?
        var value: String?
        var isBool = false
        var endpoint: Endpoint?
        try reader.readObject { (reader: inout JSONReader, field) throws(CodecError) in
            if try reader.consumeNull() { return }
            if equals(field, "key") {
                key = try reader.readString()
            } else if equals(field, "value") {
                switch reader.peek() {
                case UInt8(ascii: "\""): value = try reader.readString()
                case UInt8(ascii: "t"), UInt8(ascii: "f"):
                    isBool = true
                    value = try reader.readBool() ? "true" : "false"
                default: try reader.skipValue()
                }
            } else if equals(field, "endpoint") {
                endpoint = try ZipkinJSONV2Decoder.decodeEndpoint(&reader)
            } else {
                try reader.skipValue()
            }
        }
        guard let key else { throw CodecError("Incomplete binary annotation: key is required") }
        let isAddress = key == "ca" || key == "sa" || key == "ma"
        guard let value, isAddress || !isBool else { return nil }
        return V1BinaryAnnotation(key: key, value: value, endpoint: endpoint)
    }
}
