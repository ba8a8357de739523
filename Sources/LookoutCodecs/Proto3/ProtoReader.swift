/// Protocol-buffer wire types. Groups (3, 4) are legal on the wire only in proto2 and 6, 7 are
/// never legal, so readers reject those and only these four reach a decoder.
enum ProtoWireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5

    var label: String {
        switch self {
        case .varint: "varint (0)"
        case .fixed64: "fixed64 (1)"
        case .lengthDelimited: "length-delimited (2)"
        case .fixed32: "fixed32 (5)"
        }
    }
}

/// A forward-only reader of protocol-buffer wire format over borrowed bytes. A nested message is
/// read by a child reader whose `end` is the message's end, so no length can reach past its parent.
///
/// Error messages are short and name no field; callers prefix the field or message path.
struct ProtoReader {
    let base: UnsafePointer<UInt8>
    private(set) var position: Int
    let end: Int

    init(base: UnsafePointer<UInt8>, position: Int, end: Int) {
        self.base = base
        self.position = position
        self.end = end
    }

    var isAtEnd: Bool {
        @inline(__always) get { position >= end }
    }

    var remaining: Int {
        @inline(__always) get { end - position }
    }

    /// The bytes from the current position to the end, without consuming them.
    var unreadBytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + position, count: end - position)
    }

    /// Reads a field key and returns its number and wire type; groups and the undefined wire
    /// types 6 and 7 are errors, as is field number 0.
    @inline(__always)
    mutating func readKey() throws(CodecError) -> (field: UInt32, wireType: ProtoWireType) {
        let key: UInt64
        if position < end, base[position] < 0x80 {
            key = UInt64(base[position])
            position += 1
        } else {
            do throws(CodecError) {
                key = try readVarintSlow()
            } catch {
                throw CodecError("field key: \(error.message)")
            }
        }
        guard key <= UInt64(UInt32.max) else { throw CodecError("field key \(key) is out of range") }
        let field = UInt32(truncatingIfNeeded: key >> 3)
        let rawType = UInt8(truncatingIfNeeded: key & 7)
        guard field != 0 else { throw CodecError("field number 0 is invalid") }
        guard let wireType = ProtoWireType(rawValue: rawType) else {
            if rawType == 3 || rawType == 4 {
                throw CodecError("field \(field): groups (wire type \(rawType)) are not supported")
            }
            throw CodecError("field \(field): invalid wire type \(rawType)")
        }
        return (field, wireType)
    }

    @inline(__always)
    mutating func readVarint() throws(CodecError) -> UInt64 {
        if position < end, base[position] < 0x80 {
            defer { position += 1 }
            return UInt64(base[position])
        }
        return try readVarintSlow()
    }

    mutating func readVarintSlow() throws(CodecError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = position
        while index < end {
            let byte = base[index]
            index += 1
            // The tenth byte holds only the top bit; anything more (or an eleventh byte) overflows.
            if shift == 63 && byte > 1 { throw CodecError("varint is longer than 64 bits") }
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 {
                position = index
                return result
            }
            shift += 7
        }
        throw CodecError("truncated varint")
    }

    @inline(__always)
    mutating func readFixed64() throws(CodecError) -> UInt64 {
        guard remaining >= 8 else { throw CodecError("truncated fixed64: \(remaining) of 8 bytes") }
        let value = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)
        position += 8
        return UInt64(littleEndian: value)
    }

    @inline(__always)
    mutating func readFixed32() throws(CodecError) -> UInt32 {
        guard remaining >= 4 else { throw CodecError("truncated fixed32: \(remaining) of 4 bytes") }
        let value = UnsafeRawPointer(base + position).loadUnaligned(as: UInt32.self)
        position += 4
        return UInt32(littleEndian: value)
    }

    /// Reads a length prefix that must fit in what is left of this reader.
    @inline(__always)
    private mutating func readLength() throws(CodecError) -> Int {
        let length = try readVarint()
        guard length <= UInt64(remaining) else {
            throw CodecError("length \(length) exceeds the \(remaining) remaining bytes")
        }
        return Int(truncatingIfNeeded: length)
    }

    /// Reads a length prefix and returns the bytes it covers; they stay valid as long as the input.
    @inline(__always)
    mutating func readBytes() throws(CodecError) -> UnsafeBufferPointer<UInt8> {
        let count = try readLength()
        defer { position += count }
        return UnsafeBufferPointer(start: base + position, count: count)
    }

    /// Reads a length-delimited nested message and returns a reader bounded to it.
    @inline(__always)
    mutating func readMessage() throws(CodecError) -> ProtoReader {
        let count = try readLength()
        defer { position += count }
        return ProtoReader(base: base, position: position, end: position + count)
    }

    /// Reads a length-delimited UTF-8 string; invalid UTF-8 is an error, not repaired.
    @inline(__always)
    mutating func readString() throws(CodecError) -> String {
        let bytes = try readBytes()
        guard let string = ProtoReader.string(validating: bytes) else { throw CodecError("invalid UTF-8") }
        return string
    }

    /// `bytes` as a `String`, or `nil` when they are not valid UTF-8.
    ///
    /// `String(validating:as:)` goes through unspecialised generic code that costs more than the
    /// rest of a span's decoding, so: ASCII is checked a word at a time and decoded directly;
    /// anything else is decoded with repair and accepted only if nothing was repaired.
    @inline(__always)
    static func string(validating bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        var string = String(decoding: bytes, as: UTF8.self)
        let unchanged = string.withUTF8 { decoded in
            decoded.count == bytes.count && decoded.elementsEqual(bytes)
        }
        return unchanged ? string : nil
    }

    @inline(__always)
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let start = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(start)
        var index = 0
        var bits: UInt64 = 0
        while index + 8 <= bytes.count {
            bits |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            bits |= UInt64(start[index])
            index += 1
        }
        return bits & 0x8080_8080_8080_8080 == 0
    }

    /// Skips a value of an unknown field.
    mutating func skip(_ wireType: ProtoWireType) throws(CodecError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .lengthDelimited: _ = try readBytes()
        case .fixed32: _ = try readFixed32()
        }
    }
}

extension ProtoReader {
    /// Prefixes the errors of `body` with a field or message path: `"localEndpoint: ipv4 must be 4 bytes"`.
    @inline(__always)
    static func within<T>(_ path: @autoclosure () -> String, _ body: () throws(CodecError) -> T) throws(CodecError) -> T {
        do throws(CodecError) {
            return try body()
        } catch {
            throw CodecError("\(path()): \(error.message)")
        }
    }

    /// The error for a known field sent with another wire type.
    static func wrongWireType(_ field: StaticString, _ actual: ProtoWireType, expected: ProtoWireType) -> CodecError {
        CodecError("\(field): wire type \(actual.label), expected \(expected.label)")
    }
}

// Reads of a known field: the wire type must be the field's, and errors name the field.
extension ProtoReader {
    @inline(__always)
    mutating func varint(_ field: StaticString, _ wireType: ProtoWireType) throws(CodecError) -> UInt64 {
        guard wireType == .varint else { throw ProtoReader.wrongWireType(field, wireType, expected: .varint) }
        do throws(CodecError) { return try readVarint() } catch { throw CodecError("\(field): \(error.message)") }
    }

    @inline(__always)
    mutating func fixed64(_ field: StaticString, _ wireType: ProtoWireType) throws(CodecError) -> UInt64 {
        guard wireType == .fixed64 else { throw ProtoReader.wrongWireType(field, wireType, expected: .fixed64) }
        do throws(CodecError) { return try readFixed64() } catch { throw CodecError("\(field): \(error.message)") }
    }

    @inline(__always)
    mutating func bytes(_ field: StaticString, _ wireType: ProtoWireType) throws(CodecError) -> UnsafeBufferPointer<UInt8> {
        guard wireType == .lengthDelimited else { throw ProtoReader.wrongWireType(field, wireType, expected: .lengthDelimited) }
        do throws(CodecError) { return try readBytes() } catch { throw CodecError("\(field): \(error.message)") }
    }

    @inline(__always)
    mutating func string(_ field: StaticString, _ wireType: ProtoWireType) throws(CodecError) -> String {
        guard wireType == .lengthDelimited else { throw ProtoReader.wrongWireType(field, wireType, expected: .lengthDelimited) }
        do throws(CodecError) { return try readString() } catch { throw CodecError("\(field): \(error.message)") }
    }

    @inline(__always)
    mutating func message(_ field: StaticString, _ wireType: ProtoWireType) throws(CodecError) -> ProtoReader {
        guard wireType == .lengthDelimited else { throw ProtoReader.wrongWireType(field, wireType, expected: .lengthDelimited) }
        do throws(CodecError) { return try readMessage() } catch { throw CodecError("\(field): \(error.message)") }
    }

    /// Skips the value of a field this decoder does not know, as proto3 requires.
    @inline(__always)
    mutating func skipField(_ field: UInt32, _ wireType: ProtoWireType) throws(CodecError) {
        do throws(CodecError) { try skip(wireType) } catch { throw CodecError("field \(field): \(error.message)") }
    }
}
