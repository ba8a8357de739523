/// A denser encoding for closed chunks whose values are decimals with few digits: counters in
/// whole units or hundredths, gauges read off a sensor, 0/1 states. Such values have almost all
/// of their 52 mantissa bits set and change in a different place every time, so XOR compression
/// saves little; scaled to integers, their changes are small numbers.
///
/// Layout: `count u16 BE | exponent u8 | mode u8 | samples`, timestamps as in `XORChunk`, and
/// each value `m = v × 10^exponent` as its first value (zigzag varint), then as differences
/// (mode 0) or differences of differences (mode 1), each in a bucket of 1, 2+6, 3+13, 4+20 or
/// 4+64 bits. A chunk is written this way only when every value survives the trip exactly.
public enum DecimalChunk {
    public static let encodingByte: UInt8 = 2
    static let maxExponent = 9

    /// The samples encoded densely, or nil when some value has no exact short decimal form
    /// (NaN, infinities, -0, more than nine decimals, or too large).
    public static func encode(_ samples: [MetricSampleBits]) -> [UInt8]? {
        guard !samples.isEmpty, samples.count <= Int(UInt16.max) else { return nil }
        guard let (exponent, scaled) = scale(samples) else { return nil }
        let byDifference = cost(scaled, mode: 0)
        let bySecondDifference = cost(scaled, mode: 1)
        let mode: UInt8 = bySecondDifference < byDifference ? 1 : 0
        var writer = BitWriter(capacity: 16 + samples.count * 2)
        writer.write(UInt64(samples.count), 16)
        writer.write(UInt64(exponent), 8)
        writer.write(UInt64(mode), 8)
        var timestamps = TimestampEncoder()
        var previous: Int64 = 0
        var previousDelta: Int64 = 0
        for (index, sample) in samples.enumerated() {
            timestamps.append(sample.timestamp, into: &writer)
            let value = scaled[index]
            if index == 0 {
                writeVarint(value, into: &writer)
            } else {
                let delta = value &- previous
                writeBucket(mode == 0 || index == 1 ? delta : delta &- previousDelta, into: &writer)
                previousDelta = delta
            }
            previous = value
        }
        return writer.finished()
    }

    public static func decode(_ bytes: [UInt8]) throws(CodecError) -> [MetricSampleBits] {
        var result: Result<[MetricSampleBits], CodecError> = .success([])
        bytes.withUnsafeBytes { raw in
            do throws(CodecError) {
                guard raw.count >= 4 else { throw CodecError("chunk: \(raw.count) bytes is shorter than its header") }
                let count = Int(raw[0]) << 8 | Int(raw[1])
                let exponent = Int(raw[2])
                let mode = raw[3]
                guard exponent <= maxExponent, mode <= 1 else { throw CodecError("chunk: bad decimal header") }
                let divisor = power(exponent)
                var reader = BitReader(raw, startingAtByte: 4)
                var timestamps = TimestampDecoder()
                var samples: [MetricSampleBits] = []
                samples.reserveCapacity(count)
                var value: Int64 = 0
                var delta: Int64 = 0
                for index in 0..<count {
                    guard let timestamp = timestamps.next(&reader) else { throw CodecError("chunk: truncated at sample \(index)") }
                    if index == 0 {
                        guard let raw = reader.readUVarint() else { throw CodecError("chunk: truncated at sample 0") }
                        value = Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
                    } else {
                        guard let change = readBucket(&reader) else { throw CodecError("chunk: truncated at sample \(index)") }
                        delta = mode == 0 || index == 1 ? change : delta &+ change
                        value &+= delta
                    }
                    samples.append(MetricSampleBits(timestamp: timestamp, valueBits: (Double(value) / divisor).bitPattern))
                }
                result = .success(samples)
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    static func power(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    /// The smallest exponent that turns every value into an integer and back exactly.
    static func scale(_ samples: [MetricSampleBits]) -> (Int, [Int64])? {
        var scaled = [Int64](repeating: 0, count: samples.count)
        exponents: for exponent in 0...maxExponent {
            let factor = power(exponent)
            for (index, sample) in samples.enumerated() {
                let value = Double(bitPattern: sample.valueBits)
                guard value.isFinite, sample.valueBits != (-0.0).bitPattern else { return nil }
                let product = (value * factor).rounded()
                guard abs(product) < 9.0e15 else { return nil }
                guard (product / factor).bitPattern == sample.valueBits else { continue exponents }
                scaled[index] = Int64(product)
            }
            return (exponent, scaled)
        }
        return nil
    }

    static func cost(_ values: [Int64], mode: Int) -> Int {
        var bits = 0
        var previousDelta: Int64 = 0
        for index in values.indices.dropFirst() {
            let delta = values[index] &- values[index - 1]
            bits += bucketBits(mode == 0 || index == 1 ? delta : delta &- previousDelta)
            previousDelta = delta
        }
        return bits
    }

    @inline(__always)
    static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    static func bucketBits(_ value: Int64) -> Int {
        let z = zigzag(value)
        if z == 0 { return 1 }
        if z < 1 << 6 { return 8 }
        if z < 1 << 13 { return 16 }
        if z < 1 << 20 { return 24 }
        return 68
    }

    static func writeBucket(_ value: Int64, into writer: inout BitWriter) {
        let z = zigzag(value)
        if z == 0 {
            writer.write(0, 1)
        } else if z < 1 << 6 {
            writer.write(0b10, 2); writer.write(z, 6)
        } else if z < 1 << 13 {
            writer.write(0b110, 3); writer.write(z, 13)
        } else if z < 1 << 20 {
            writer.write(0b1110, 4); writer.write(z, 20)
        } else {
            writer.write(0b1111, 4); writer.write(z, 64)
        }
    }

    static func readBucket(_ reader: inout BitReader) -> Int64? {
        guard let prefix = reader.readPrefix(limit: 4) else { return nil }
        let widths = [0, 6, 13, 20, 64]
        let width = widths[prefix]
        guard width > 0 else { return 0 }
        guard let z = reader.read(width) else { return nil }
        return Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
    }

    static func writeVarint(_ value: Int64, into writer: inout BitWriter) {
        writer.writeUVarint(zigzag(value))
    }
}

/// Timestamps as the XOR chunk writes them: first as a zigzag varint, then the first delta as
/// a uvarint, then delta-of-deltas in buckets of 1, 2+14, 3+17, 4+20 or 4+64 bits.
struct TimestampEncoder {
    private var count = 0
    private var last: Int64 = 0
    private var lastDelta: Int64 = 0

    mutating func append(_ timestamp: Int64, into writer: inout BitWriter) {
        switch count {
        case 0:
            writer.writeUVarint(DecimalChunk.zigzag(timestamp))
        case 1:
            writer.writeUVarint(UInt64(bitPattern: timestamp &- last))
            lastDelta = timestamp &- last
        default:
            let delta = timestamp &- last
            let dod = delta &- lastDelta
            func fits(_ bits: Int64) -> Bool { dod >= -((1 << (bits - 1)) - 1) && dod <= 1 << (bits - 1) }
            if dod == 0 {
                writer.write(0, 1)
            } else if fits(14) {
                writer.write(0b10, 2); writer.write(UInt64(bitPattern: dod), 14)
            } else if fits(17) {
                writer.write(0b110, 3); writer.write(UInt64(bitPattern: dod), 17)
            } else if fits(20) {
                writer.write(0b1110, 4); writer.write(UInt64(bitPattern: dod), 20)
            } else {
                writer.write(0b1111, 4); writer.write(UInt64(bitPattern: dod), 64)
            }
            lastDelta = delta
        }
        last = timestamp
        count += 1
    }
}

struct TimestampDecoder {
    private var count = 0
    private var last: Int64 = 0
    private var delta: Int64 = 0

    mutating func next(_ reader: inout BitReader) -> Int64? {
        defer { count += 1 }
        switch count {
        case 0:
            guard let z = reader.readUVarint() else { return nil }
            last = Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
        case 1:
            guard let raw = reader.readUVarint() else { return nil }
            delta = Int64(bitPattern: raw)
            last &+= delta
        default:
            guard let prefix = reader.readPrefix(limit: 4) else { return nil }
            let width = [0, 14, 17, 20, 64][prefix]
            if width > 0 {
                guard let raw = reader.read(width) else { return nil }
                let dod = width == 64 ? Int64(bitPattern: raw)
                    : (raw > (1 << UInt64(width - 1)) ? Int64(raw) - (1 << Int64(width)) : Int64(raw))
                delta &+= dod
            }
            last &+= delta
        }
        return last
    }
}

/// Decodes a stored chunk of any encoding Lookout writes.
public enum ChunkCodec {
    public static func decode(encoding: UInt8, _ bytes: [UInt8]) throws(CodecError) -> [MetricSampleBits] {
        switch encoding {
        case XORChunk.encodingByte: return try XORChunk.decode(bytes)
        case DecimalChunk.encodingByte: return try DecimalChunk.decode(bytes)
        default: throw CodecError("chunk: unknown encoding \(encoding)")
        }
    }

    /// The smaller of the XOR form a chunk was built in and its decimal form.
    public static func compact(encoding: UInt8, _ bytes: [UInt8]) -> (UInt8, [UInt8]) {
        guard encoding == XORChunk.encodingByte, let samples = try? XORChunk.decode(bytes),
              let dense = DecimalChunk.encode(samples), dense.count < bytes.count else {
            return (encoding, bytes)
        }
        return (DecimalChunk.encodingByte, dense)
    }
}
