/// Appends bits most significant first, as the Gorilla paper and Prometheus lay them out.
/// Bits wait in a 64-bit accumulator and move to `bytes` a byte at a time.
struct BitWriter: Sendable {
    private(set) var bytes: [UInt8] = []
    private var pending: UInt64 = 0
    private var pendingBits = 0

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    var bitCount: Int { bytes.count * 8 + pendingBits }

    /// Writes the low `count` bits of `value` (count ≤ 64).
    @inline(__always)
    mutating func write(_ value: UInt64, _ count: Int) {
        if count > 56 {
            write(value >> 32, count - 32)
            write(value & 0xffff_ffff, 32)
            return
        }
        let masked = count == 64 ? value : value & ((1 << UInt64(count)) &- 1)
        pending = pending << UInt64(count) | masked
        pendingBits += count
        while pendingBits >= 8 {
            pendingBits -= 8
            bytes.append(UInt8(truncatingIfNeeded: pending >> UInt64(pendingBits)))
        }
        pending &= (1 << UInt64(pendingBits)) &- 1
    }

    @inline(__always)
    mutating func writeBit(_ bit: Bool) {
        write(bit ? 1 : 0, 1)
    }

    /// A varint in whole bytes (7 bits each, low first), as Prometheus writes them into chunks.
    mutating func writeUVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            write(value & 0x7f | 0x80, 8)
            value >>= 7
        }
        write(value, 8)
    }

    /// The bytes so far with the last partial byte padded with zero bits.
    func finished() -> [UInt8] {
        guard pendingBits > 0 else { return bytes }
        var result = bytes
        result.append(UInt8(truncatingIfNeeded: pending << UInt64(8 - pendingBits)))
        return result
    }
}

/// Reads bits most significant first; reading past the end is an error, never a crash.
struct BitReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var position = 0  // in bits
    private let totalBits: Int

    init(_ bytes: UnsafeRawBufferPointer, startingAtByte start: Int = 0) {
        self.bytes = bytes
        self.position = start * 8
        self.totalBits = bytes.count * 8
    }

    @inline(__always)
    mutating func read(_ count: Int) -> UInt64? {
        guard count <= totalBits - position else { return nil }
        var result: UInt64 = 0
        var remaining = count
        while remaining > 0 {
            let byte = UInt64(bytes[position >> 3])
            let offset = position & 7
            let available = 8 - offset
            let take = min(available, remaining)
            let bits = (byte >> UInt64(available - take)) & ((1 << UInt64(take)) - 1)
            result = take == 64 ? bits : (result << UInt64(take) | bits)
            remaining -= take
            position += take
        }
        return result
    }

    @inline(__always)
    mutating func readBit() -> Bool? {
        guard position < totalBits else { return nil }
        let bit = (bytes[position >> 3] >> UInt8(7 - (position & 7))) & 1
        position += 1
        return bit == 1
    }

    /// Counts leading one bits up to `limit` and consumes them plus the terminating zero (if any).
    @inline(__always)
    mutating func readPrefix(limit: Int) -> Int? {
        var ones = 0
        while ones < limit {
            guard let bit = readBit() else { return nil }
            if !bit { return ones }
            ones += 1
        }
        return ones
    }

    mutating func readUVarint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64 {
            guard let byte = read(8) else { return nil }
            result |= (byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        return nil
    }
}
