import LookoutModel

/// Writes spans as Zipkin v2 JSON in Zipkin's field order, omitting absent fields, with tags
/// sorted by key. The output is canonical: equal spans encode to equal bytes.
public enum ZipkinJSONV2Encoder {
    public static func encode(_ spans: [Span]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(spans.count * 400)
        encodeList(spans, into: &out)
        return out
    }

    public static func encodeList(_ spans: [Span], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, span) in spans.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            encode(span, into: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// `[[…],[…]]`
    public static func encodeTraces(_ traces: [[Span]]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, trace) in traces.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            encodeList(trace, into: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    public static func encode(_ span: Span, into out: inout [UInt8]) {
        JSONWriter.writeRaw("{\"traceId\":\"", into: &out)
        writeTraceID(span.traceID, into: &out)
        out.append(UInt8(ascii: "\""))
        if let parentID = span.parentID {
            JSONWriter.writeRaw(",\"parentId\":\"", into: &out)
            writeHex(parentID, into: &out)
            out.append(UInt8(ascii: "\""))
        }
        JSONWriter.writeRaw(",\"id\":\"", into: &out)
        writeHex(span.id, into: &out)
        out.append(UInt8(ascii: "\""))
        if let kind = span.kind {
            JSONWriter.writeRaw(",\"kind\":", into: &out)
            JSONWriter.writeString(kind.rawValue, into: &out)
        }
        if let name = span.name {
            JSONWriter.writeRaw(",\"name\":", into: &out)
            JSONWriter.writeString(name, into: &out)
        }
        if let timestamp = span.timestamp {
            JSONWriter.writeRaw(",\"timestamp\":", into: &out)
            JSONWriter.writeInt(timestamp, into: &out)
        }
        if let duration = span.duration {
            JSONWriter.writeRaw(",\"duration\":", into: &out)
            JSONWriter.writeInt(duration, into: &out)
        }
        if let endpoint = span.localEndpoint {
            JSONWriter.writeRaw(",\"localEndpoint\":", into: &out)
            encode(endpoint, into: &out)
        }
        if let endpoint = span.remoteEndpoint {
            JSONWriter.writeRaw(",\"remoteEndpoint\":", into: &out)
            encode(endpoint, into: &out)
        }
        if !span.annotations.isEmpty {
            JSONWriter.writeRaw(",\"annotations\":[", into: &out)
            for (index, annotation) in span.annotations.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeRaw("{\"timestamp\":", into: &out)
                JSONWriter.writeInt(annotation.timestamp, into: &out)
                JSONWriter.writeRaw(",\"value\":", into: &out)
                JSONWriter.writeString(annotation.value, into: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        if !span.tags.isEmpty {
            JSONWriter.writeRaw(",\"tags\":{", into: &out)
            for (index, key) in span.tags.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                JSONWriter.writeString(span.tags[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        if span.debug { JSONWriter.writeRaw(",\"debug\":true", into: &out) }
        if span.shared { JSONWriter.writeRaw(",\"shared\":true", into: &out) }
        out.append(UInt8(ascii: "}"))
    }

    static func encode(_ endpoint: Endpoint, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        func separator(_ out: inout [UInt8]) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
        }
        if let serviceName = endpoint.serviceName {
            separator(&out)
            JSONWriter.writeRaw("\"serviceName\":", into: &out)
            JSONWriter.writeString(serviceName, into: &out)
        }
        if let ipv4 = endpoint.ipv4 {
            separator(&out)
            JSONWriter.writeRaw("\"ipv4\":", into: &out)
            JSONWriter.writeString(ipv4, into: &out)
        }
        if let ipv6 = endpoint.ipv6 {
            separator(&out)
            JSONWriter.writeRaw("\"ipv6\":", into: &out)
            JSONWriter.writeString(ipv6, into: &out)
        }
        if let port = endpoint.port {
            separator(&out)
            JSONWriter.writeRaw("\"port\":", into: &out)
            JSONWriter.writeInt(Int64(port), into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func writeTraceID(_ id: TraceID, into out: inout [UInt8]) {
        if id.is128Bit { writeHex(id.high, into: &out) }
        writeHex(id.low, into: &out)
    }

    static func writeHex(_ value: UInt64, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { buffer in
            HexID.write(value, into: buffer.baseAddress!)
            out.append(contentsOf: buffer)
        }
    }
}

/// `[{"parent":"a","child":"b","callCount":3,"errorCount":1}]`, errorCount omitted when zero.
public enum DependencyLinkJSONEncoder {
    public static func encode(_ links: [DependencyLink]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, link) in links.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeRaw("{\"parent\":", into: &out)
            JSONWriter.writeString(link.parent, into: &out)
            JSONWriter.writeRaw(",\"child\":", into: &out)
            JSONWriter.writeString(link.child, into: &out)
            JSONWriter.writeRaw(",\"callCount\":", into: &out)
            JSONWriter.writeInt(link.callCount, into: &out)
            if link.errorCount > 0 {
                JSONWriter.writeRaw(",\"errorCount\":", into: &out)
                JSONWriter.writeInt(link.errorCount, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}
