import LookoutModel

extension ZipkinProto3 {
    /// Writes one `Span` message's fields in field order, only those that are set.
    static func writeSpan(_ span: Span, into buffer: inout [UInt8]) {
        ProtoWriter.key(1, .lengthDelimited, into: &buffer)
        if span.traceID.high != 0 {
            buffer.append(16)
            ProtoWriter.bigEndian64(span.traceID.high, into: &buffer)
        } else {
            buffer.append(8)
        }
        ProtoWriter.bigEndian64(span.traceID.low, into: &buffer)
        if let parentID = span.parentID {
            ProtoWriter.key(2, .lengthDelimited, into: &buffer)
            buffer.append(8)
            ProtoWriter.bigEndian64(parentID, into: &buffer)
        }
        ProtoWriter.key(3, .lengthDelimited, into: &buffer)
        buffer.append(8)
        ProtoWriter.bigEndian64(span.id, into: &buffer)
        if let kind = span.kind {
            ProtoWriter.key(4, .varint, into: &buffer)
            ProtoWriter.varint(kindNumber(kind), into: &buffer)
        }
        if let name = span.name, !name.isEmpty {
            ProtoWriter.string(5, name, into: &buffer)
        }
        if let timestamp = span.timestamp {
            ProtoWriter.key(6, .fixed64, into: &buffer)
            ProtoWriter.fixed64(UInt64(bitPattern: timestamp), into: &buffer)
        }
        if let duration = span.duration {
            ProtoWriter.key(7, .varint, into: &buffer)
            ProtoWriter.varint(UInt64(bitPattern: duration), into: &buffer)
        }
        if let endpoint = span.localEndpoint {
            writeEndpoint(8, endpoint, into: &buffer)
        }
        if let endpoint = span.remoteEndpoint {
            writeEndpoint(9, endpoint, into: &buffer)
        }
        for annotation in span.annotations {
            ProtoWriter.lengthDelimited(10, reserving: 1, into: &buffer) { buffer in
                if annotation.timestamp != 0 {
                    ProtoWriter.key(1, .fixed64, into: &buffer)
                    ProtoWriter.fixed64(UInt64(bitPattern: annotation.timestamp), into: &buffer)
                }
                // The value is required, so it is written even when empty.
                ProtoWriter.string(2, annotation.value, into: &buffer)
            }
        }
        if span.tags.count == 1, let tag = span.tags.first {
            writeTag(tag.key, tag.value, into: &buffer)
        } else if !span.tags.isEmpty {
            // Sorted by key, as Zipkin keeps tags, so equal spans encode to equal bytes.
            for tag in span.tags.sorted(by: { $0.key < $1.key }) {
                writeTag(tag.key, tag.value, into: &buffer)
            }
        }
        if span.debug {
            ProtoWriter.key(12, .varint, into: &buffer)
            buffer.append(1)
        }
        if span.shared {
            ProtoWriter.key(13, .varint, into: &buffer)
            buffer.append(1)
        }
    }

    /// An `Endpoint` message. Addresses whose text does not parse (the model does not validate
    /// them) are left out: proto3 carries only their bytes.
    static func writeEndpoint(_ field: UInt32, _ endpoint: Endpoint, into buffer: inout [UInt8]) {
        ProtoWriter.lengthDelimited(field, reserving: 1, into: &buffer) { buffer in
            if let serviceName = endpoint.serviceName, !serviceName.isEmpty {
                ProtoWriter.string(1, serviceName, into: &buffer)
            }
            if let text = endpoint.ipv4, let address = IPAddressText.parseIPv4(text) {
                ProtoWriter.key(2, .lengthDelimited, into: &buffer)
                buffer.append(4)
                withUnsafeBytes(of: address.bigEndian) { buffer.append(contentsOf: $0) }
            }
            if let text = endpoint.ipv6, let address = IPAddressText.parseIPv6(text) {
                ProtoWriter.key(3, .lengthDelimited, into: &buffer)
                buffer.append(16)
                ProtoWriter.bigEndian64(address.high, into: &buffer)
                ProtoWriter.bigEndian64(address.low, into: &buffer)
            }
            if let port = endpoint.port, port != 0 {
                ProtoWriter.key(4, .varint, into: &buffer)
                // int32: a negative value is sign-extended to 64 bits.
                ProtoWriter.varint(UInt64(bitPattern: Int64(port)), into: &buffer)
            }
        }
    }

    /// A `map<string, string>` entry; both key and value are written, even when empty.
    static func writeTag(_ key: String, _ value: String, into buffer: inout [UInt8]) {
        ProtoWriter.lengthDelimited(11, reserving: 1, into: &buffer) { buffer in
            ProtoWriter.string(1, key, into: &buffer)
            ProtoWriter.string(2, value, into: &buffer)
        }
    }

    @inline(__always)
    static func kindNumber(_ kind: Span.Kind) -> UInt64 {
        switch kind {
        case .client: 1
        case .server: 2
        case .producer: 3
        case .consumer: 4
        }
    }
}
