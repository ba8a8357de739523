extension Snappy {
    /// Compresses `input` as one snappy block: greedy matching through a 16K-entry hash table of
    /// 4-byte sequences, the classic scheme. Used by senders (the agent, tests, benchmarks).
    public static func encode(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(32 + input.count + input.count / 6)
        var length = UInt64(input.count)
        while length >= 0x80 {
            output.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        output.append(UInt8(length))
        guard input.count >= 16 else {
            emitLiteral(input[...], into: &output)
            return output
        }
        input.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress!)
            var table = [Int32](repeating: -1, count: 1 << 14)
            @inline(__always) func word(_ at: Int) -> UInt32 { base.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
            @inline(__always) func hash(_ value: UInt32) -> Int { Int((value &* 0x1e35_a7bd) >> 18) }
            var literalStart = 0
            var position = 0
            let limit = bytes.count - 4
            while position <= limit {
                let current = word(position)
                let slot = hash(current)
                let candidate = Int(table[slot])
                table[slot] = Int32(position)
                guard candidate >= 0, position - candidate <= 0xffff, word(candidate) == current else {
                    position += 1
                    continue
                }
                var matched = 4
                while position + matched < bytes.count, bytes[candidate + matched] == bytes[position + matched] {
                    matched += 1
                }
                if literalStart < position { emitLiteral(input[literalStart..<position], into: &output) }
                emitCopy(offset: position - candidate, length: matched, into: &output)
                position += matched
                literalStart = position
            }
            if literalStart < bytes.count { emitLiteral(input[literalStart...], into: &output) }
        }
        return output
    }

    private static func emitLiteral(_ literal: ArraySlice<UInt8>, into output: inout [UInt8]) {
        guard !literal.isEmpty else { return }
        let n = literal.count - 1
        if n < 60 {
            output.append(UInt8(n << 2))
        } else {
            var extra = 0
            var value = n
            while value > 0 { extra += 1; value >>= 8 }
            output.append(UInt8((59 + extra) << 2))
            for index in 0..<extra { output.append(UInt8(truncatingIfNeeded: n >> (8 * index))) }
        }
        output.append(contentsOf: literal)
    }

    private static func emitCopy(offset: Int, length: Int, into output: inout [UInt8]) {
        var remaining = length
        while remaining > 0 {
            // Copies of 1-64 bytes with a 2-byte offset; keep at least 4 for a final short copy.
            let chunk = remaining > 64 ? (remaining - 64 < 4 ? 60 : 64) : remaining
            output.append(UInt8(((chunk - 1) << 2) | 2))
            output.append(UInt8(truncatingIfNeeded: offset))
            output.append(UInt8(truncatingIfNeeded: offset >> 8))
            remaining -= chunk
        }
    }
}
