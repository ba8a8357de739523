/// Gorilla-style compressed samples, byte for byte Prometheus' XOR chunk encoding:
/// `count uint16 BE | t0 varint | v0 64 bits | t1-t0 uvarint | v1 xor | (dod, xor)…`, where
/// timestamps are milliseconds, delta-of-deltas use the buckets 0 / 10+14 / 110+17 / 1110+20 /
/// 1111+64 bits and values are XORed with their predecessor, reusing the previous window of
/// meaningful bits when the new one fits inside it.
public enum XORChunk {
    public static let encodingByte: UInt8 = 1
    /// Prometheus cuts head chunks at 120 samples: the best size for compression and decoding.
    public static let targetSamples = 120

    /// All samples of an encoded chunk.
    public static func decode(_ bytes: [UInt8]) throws(CodecError) -> [MetricSampleBits] {
        var result: Result<[MetricSampleBits], CodecError> = .success([])
        bytes.withUnsafeBytes { raw in
            do throws(CodecError) {
                var iterator = try XORChunkIterator(raw)
                var samples: [MetricSampleBits] = []
                samples.reserveCapacity(iterator.count)
                while let sample = try iterator.next() { samples.append(sample) }
                result = .success(samples)
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// Encodes samples in the order given.
    public static func encode(_ samples: some Sequence<MetricSampleBits>) -> [UInt8] {
        var appender = XORChunkAppender()
        for sample in samples { appender.append(sample.timestamp, sample.valueBits) }
        return appender.encoded()
    }
}

/// A sample as the codecs see it: the value as its bit pattern, so NaN payloads survive.
public struct MetricSampleBits: Sendable, Hashable {
    public var timestamp: Int64
    public var valueBits: UInt64

    @inline(__always)
    public init(timestamp: Int64, valueBits: UInt64) {
        self.timestamp = timestamp
        self.valueBits = valueBits
    }

    public var value: Double { Double(bitPattern: valueBits) }
}

/// Appends samples to an open chunk. Timestamps must not decrease (callers keep other samples
/// elsewhere); at most 65,535 samples fit the count field.
public struct XORChunkAppender: Sendable {
    private var writer = BitWriter(capacity: 64)
    public private(set) var count = 0
    public private(set) var firstTimestamp: Int64 = 0
    public private(set) var lastTimestamp: Int64 = 0
    public private(set) var lastValueBits: UInt64 = 0
    private var timestamps = TimestampEncoder()
    private var leading: UInt8 = 0xff
    private var trailing: UInt8 = 0

    public init() {
        writer.write(0, 16)  // the count, patched when the chunk is read out
    }

    /// Bytes used so far, for accounting.
    public var byteCount: Int { (writer.bitCount + 7) / 8 }

    @inline(__always)
    public mutating func append(_ timestamp: Int64, _ valueBits: UInt64) {
        timestamps.append(timestamp, into: &writer)
        if count == 0 {
            writer.write(valueBits, 64)
            firstTimestamp = timestamp
        } else {
            writeXOR(valueBits)
        }
        lastTimestamp = timestamp
        lastValueBits = valueBits
        count += 1
    }

    /// The chunk as stored: header with the sample count, then the bits, zero-padded.
    public func encoded() -> [UInt8] {
        var bytes = writer.finished()
        bytes[0] = UInt8(truncatingIfNeeded: count >> 8)
        bytes[1] = UInt8(truncatingIfNeeded: count)
        return bytes
    }

    @inline(__always)
    private mutating func writeXOR(_ valueBits: UInt64) {
        let delta = valueBits ^ lastValueBits
        if delta == 0 {
            writer.write(0, 1)
            return
        }
        var newLeading = UInt8(delta.leadingZeroBitCount)
        let newTrailing = UInt8(delta.trailingZeroBitCount)
        if newLeading >= 32 { newLeading = 31 }  // five bits hold it
        if leading != 0xff && newLeading >= leading && newTrailing >= trailing {
            writer.write(0b10, 2)
            writer.write(delta >> UInt64(trailing), 64 - Int(leading) - Int(trailing))
            return
        }
        leading = newLeading
        trailing = newTrailing
        writer.write(0b11, 2)
        writer.write(UInt64(newLeading), 5)
        let significant = 64 - Int(newLeading) - Int(newTrailing)
        writer.write(UInt64(significant & 63), 6)  // 64 is written as 0
        writer.write(delta >> UInt64(newTrailing), significant)
    }
}

/// Reads the samples of an encoded XOR chunk in order.
public struct XORChunkIterator {
    private var reader: BitReader
    public let count: Int
    private var index = 0
    private var timestamps = TimestampDecoder()
    private var timestamp: Int64 = 0
    private var valueBits: UInt64 = 0
    private var leading = 0
    private var trailing = 0

    public init(_ bytes: UnsafeRawBufferPointer) throws(CodecError) {
        guard bytes.count >= 2 else { throw CodecError("chunk: \(bytes.count) bytes is shorter than its header") }
        count = Int(bytes[0]) << 8 | Int(bytes[1])
        reader = BitReader(bytes, startingAtByte: 2)
    }

    public mutating func next() throws(CodecError) -> MetricSampleBits? {
        guard index < count else { return nil }
        defer { index += 1 }
        guard let time = timestamps.next(&reader) else { throw truncated }
        timestamp = time
        if index == 0 {
            guard let bits = reader.read(64) else { throw truncated }
            valueBits = bits
        } else {
            try readXOR()
        }
        return MetricSampleBits(timestamp: timestamp, valueBits: valueBits)
    }

    private var truncated: CodecError { CodecError("chunk: truncated at sample \(index) of \(count)") }

    private mutating func readXOR() throws(CodecError) {
        guard let changed = reader.readBit() else { throw truncated }
        guard changed else { return }
        guard let newWindow = reader.readBit() else { throw truncated }
        if newWindow {
            guard let lead = reader.read(5), let significant = reader.read(6) else { throw truncated }
            leading = Int(lead)
            let width = significant == 0 ? 64 : Int(significant)
            guard leading + width <= 64 else { throw CodecError("chunk: bad value window at sample \(index)") }
            trailing = 64 - leading - width
        }
        let width = 64 - leading - trailing
        guard let bits = reader.read(width) else { throw truncated }
        valueBits ^= width == 64 ? bits : bits << UInt64(trailing)
    }
}
