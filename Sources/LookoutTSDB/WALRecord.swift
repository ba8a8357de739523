import LookoutModel

/// What one append writes to the log: one payload of records, each `type u8 | length uvarint |
/// body`. Unknown record types are skipped on replay, so newer writers stay readable.
enum WALRecordType: UInt8 {
    /// ref uvarint, canonical labels (length-prefixed), per series.
    case series = 1
    /// Samples appended in order: count, base timestamp, then ref, timestamp delta, value bits.
    case samples = 2
    /// Late samples (within the out-of-order window), same layout.
    case lateSamples = 3
    /// ref, timestamp presence + value, value bits, canonical labels.
    case exemplars = 4
    /// metric name, type, help, unit.
    case metadata = 5
    /// The idempotency key of the batch and when it was applied.
    case idempotencyKey = 6
}

struct WALWriter {
    private(set) var bytes: [UInt8] = []

    mutating func record(_ type: WALRecordType, _ body: [UInt8]) {
        guard !body.isEmpty else { return }
        bytes.append(type.rawValue)
        WALBytes.putUVarint(UInt64(body.count), into: &bytes)
        bytes.append(contentsOf: body)
    }
}

/// Encodes samples compactly: 8 bytes of value plus a few bytes of ref and timestamp delta.
struct SampleRecordEncoder {
    private(set) var body: [UInt8] = []
    private(set) var count = 0
    private let base: Int64

    init(base: Int64, capacity: Int) {
        self.base = base
        body.reserveCapacity(capacity * 12 + 16)
        WALBytes.putVarint(base, into: &body)
    }

    @inline(__always)
    mutating func add(ref: UInt64, timestamp: Int64, valueBits: UInt64) {
        WALBytes.putUVarint(ref, into: &body)
        WALBytes.putVarint(timestamp &- base, into: &body)
        withUnsafeBytes(of: valueBits.littleEndian) { body.append(contentsOf: $0) }
        count += 1
    }

    var encoded: [UInt8] { count == 0 ? [] : body }
}

enum WALBytes {
    @inline(__always)
    static func putUVarint(_ value: UInt64, into bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    @inline(__always)
    static func putVarint(_ value: Int64, into bytes: inout [UInt8]) {
        putUVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)), into: &bytes)
    }

    static func putBytes(_ value: some Collection<UInt8>, into bytes: inout [UInt8]) {
        putUVarint(UInt64(value.count), into: &bytes)
        bytes.append(contentsOf: value)
    }

    static func putString(_ value: String, into bytes: inout [UInt8]) {
        putBytes(Array(value.utf8), into: &bytes)
    }
}

/// Reads what `WALWriter` wrote; any inconsistency is a thrown error (the log is corrupt).
struct WALReader {
    struct Corrupt: Error {}

    let bytes: [UInt8]
    var position: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = end ?? bytes.count
    }

    var atEnd: Bool { position >= end }

    mutating func uvarint() throws(Corrupt) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < end, shift < 64 {
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw Corrupt()
    }

    mutating func varint() throws(Corrupt) -> Int64 {
        let raw = try uvarint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func uint64() throws(Corrupt) -> UInt64 {
        guard end - position >= 8 else { throw Corrupt() }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += 8
        return value
    }

    mutating func byteRange() throws(Corrupt) -> Range<Int> {
        let count = try uvarint()
        guard count <= UInt64(end - position) else { throw Corrupt() }
        defer { position += Int(count) }
        return position..<(position + Int(count))
    }

    mutating func string() throws(Corrupt) -> String {
        String(decoding: bytes[try byteRange()], as: UTF8.self)
    }

    mutating func labels() throws(Corrupt) -> Labels {
        guard let labels = Labels(canonicalBytes: bytes[try byteRange()]) else { throw Corrupt() }
        return labels
    }
}
