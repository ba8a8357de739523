/// A Zipkin trace ID: 64 or 128 bits. `high == 0` means a 64-bit ID, because Zipkin rewrites a
/// 128-bit ID whose high bits are zero into its 64-bit form.
public struct TraceID: Hashable, Comparable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64 = 0, low: UInt64) {
        self.high = high
        self.low = low
    }

    public var is128Bit: Bool { high != 0 }

    /// Lower-hex, 16 or 32 characters, as Zipkin writes it.
    public var hexString: String {
        is128Bit ? HexID.string(high) + HexID.string(low) : HexID.string(low)
    }

    public static func < (lhs: TraceID, rhs: TraceID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// Parses and normalises a trace ID exactly as Zipkin does: lower-hex only, short IDs
    /// left-padded, a 128-bit ID with zero high bits becomes 64-bit, all-zero IDs rejected.
    public init(hex: some StringProtocol) throws(IDError) {
        try self.init(hexUTF8: Array(hex.utf8))
    }

    public init(hexUTF8 bytes: some Collection<UInt8>) throws(IDError) {
        let count = bytes.count
        if count == 0 { throw IDError(field: "traceId", message: "traceId was empty") }
        if count > 32 { throw IDError(field: "traceId", message: "traceId.length > 32") }
        var high: UInt64 = 0
        var low: UInt64 = 0
        var index = 0
        let lowStart = count - min(count, 16)
        for byte in bytes {
            guard let nibble = HexID.nibble(byte) else {
                throw IDError(field: "traceId", message: "\(String(decoding: bytes, as: UTF8.self)) should be lower-hex encoded with no prefix")
            }
            if index < lowStart {
                high = high << 4 | UInt64(nibble)
            } else {
                low = low << 4 | UInt64(nibble)
            }
            index += 1
        }
        if high == 0 && low == 0 {
            throw IDError(field: "traceId", message: "traceId is all zeros")
        }
        self.init(high: high, low: low)
    }
}

/// Span and parent IDs are 64-bit.
public enum HexID {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func string(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            write(value, into: buffer.baseAddress!)
            return 16
        }
    }

    /// Writes 16 lower-hex characters.
    @inlinable
    public static func write(_ value: UInt64, into pointer: UnsafeMutablePointer<UInt8>) {
        var v = value
        var i = 15
        while i >= 0 {
            let nibble = Int(v & 0xf)
            pointer[i] = nibble < 10 ? UInt8(48 + nibble) : UInt8(87 + nibble)
            v >>= 4
            i -= 1
        }
    }

    @inlinable
    public static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte &- 87
        default: return nil
        }
    }

    /// Parses a span or parent ID: 1–16 lower-hex characters, left-padded.
    public static func parse(_ bytes: some Collection<UInt8>, field: String) throws(IDError) -> UInt64 {
        if bytes.isEmpty { throw IDError(field: field, message: "\(field) was empty") }
        if bytes.count > 16 { throw IDError(field: field, message: "\(field).length > 16") }
        var value: UInt64 = 0
        for byte in bytes {
            guard let nibble = nibble(byte) else {
                throw IDError(field: field, message: "\(String(decoding: bytes, as: UTF8.self)) should be lower-hex encoded with no prefix")
            }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }

    public static func parse(_ string: some StringProtocol, field: String) throws(IDError) -> UInt64 {
        try parse(Array(string.utf8), field: field)
    }
}

/// A malformed ID; `message` follows Zipkin's wording.
public struct IDError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { message }
}
