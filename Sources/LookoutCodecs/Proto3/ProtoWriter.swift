/// Appends protocol-buffer wire format to a caller-owned `[UInt8]`.
enum ProtoWriter {
    @inline(__always)
    static func key(_ field: UInt32, _ wireType: ProtoWireType, into buffer: inout [UInt8]) {
        varint(UInt64(field) << 3 | UInt64(wireType.rawValue), into: &buffer)
    }

    @inline(__always)
    static func varint(_ value: UInt64, into buffer: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        buffer.append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always)
    static func varintSize(_ value: UInt64) -> Int {
        // 1 + floor(log2(value) / 7), with 0 taking one byte.
        (64 - (value | 1).leadingZeroBitCount + 6) / 7
    }

    @inline(__always)
    static func fixed64(_ value: UInt64, into buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    /// Eight bytes, most significant first, as Zipkin writes IDs.
    @inline(__always)
    static func bigEndian64(_ value: UInt64, into buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }

    @inline(__always)
    static func string(_ field: UInt32, _ value: String, into buffer: inout [UInt8]) {
        key(field, .lengthDelimited, into: &buffer)
        varint(UInt64(value.utf8.count), into: &buffer)
        buffer.append(contentsOf: value.utf8)
    }

    /// Writes a length-delimited field whose content `body` appends. `reserving` bytes are set
    /// aside for the length prefix (a guess of its size); when the guess is wrong the content
    /// moves once.
    @inline(__always)
    static func lengthDelimited(
        _ field: UInt32, reserving reserved: Int, into buffer: inout [UInt8], _ body: (inout [UInt8]) -> Void
    ) {
        key(field, .lengthDelimited, into: &buffer)
        let lengthAt = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: reserved))
        body(&buffer)
        let length = UInt64(buffer.count - lengthAt - reserved)
        let size = varintSize(length)
        if size != reserved {
            buffer.replaceSubrange(lengthAt..<(lengthAt + reserved), with: repeatElement(0, count: size))
        }
        var value = length
        var index = lengthAt
        while value >= 0x80 {
            buffer[index] = UInt8(truncatingIfNeeded: value) | 0x80
            value >>= 7
            index += 1
        }
        buffer[index] = UInt8(truncatingIfNeeded: value)
    }
}
