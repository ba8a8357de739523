/// Converts between the 4- and 16-byte addresses of Zipkin's proto3 `Endpoint` and the text form
/// the span model holds: dotted decimal, and RFC 5952 canonical IPv6 (lower-case hex, no leading
/// zeros, the longest run of two or more zero groups as `::`, IPv4-mapped as `::ffff:a.b.c.d`).
enum IPAddressText {
    /// `bytes` must hold 4 bytes.
    static func ipv4(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: 15) { out in
            var count = 0
            writeIPv4(bytes[0], bytes[1], bytes[2], bytes[3], into: out, at: &count)
            return count
        }
    }

    /// `bytes` must hold 16 bytes.
    static func ipv6(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: 39) { out in
            var count = 0
            @inline(__always) func group(_ index: Int) -> UInt16 {
                UInt16(bytes[2 &* index]) << 8 | UInt16(bytes[2 &* index &+ 1])
            }
            // RFC 5952 section 5: an IPv4-mapped address keeps its dotted tail.
            if (0..<5).allSatisfy({ group($0) == 0 }) && group(5) == 0xffff {
                for byte in "::ffff:".utf8 { out[count] = byte; count += 1 }
                writeIPv4(bytes[12], bytes[13], bytes[14], bytes[15], into: out, at: &count)
                return count
            }
            // The longest run of at least two zero groups; the first one on a tie.
            var bestStart = -1, bestLength = 1
            var runStart = -1
            for index in 0...8 {
                if index < 8 && group(index) == 0 {
                    if runStart < 0 { runStart = index }
                } else if runStart >= 0 {
                    if index - runStart > bestLength { bestStart = runStart; bestLength = index - runStart }
                    runStart = -1
                }
            }
            var index = 0
            while index < 8 {
                if index == bestStart {
                    out[count] = UInt8(ascii: ":"); count += 1
                    if index == 0 { out[count] = UInt8(ascii: ":"); count += 1 }
                    index += bestLength
                    continue
                }
                writeHex(group(index), into: out, at: &count)
                if index < 7 { out[count] = UInt8(ascii: ":"); count += 1 }
                index += 1
            }
            return count
        }
    }

    private static func writeIPv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8,
                                  into out: UnsafeMutableBufferPointer<UInt8>, at count: inout Int) {
        writeDecimal(a, into: out, at: &count)
        out[count] = UInt8(ascii: "."); count += 1
        writeDecimal(b, into: out, at: &count)
        out[count] = UInt8(ascii: "."); count += 1
        writeDecimal(c, into: out, at: &count)
        out[count] = UInt8(ascii: "."); count += 1
        writeDecimal(d, into: out, at: &count)
    }

    @inline(__always)
    private static func writeDecimal(_ value: UInt8, into out: UnsafeMutableBufferPointer<UInt8>, at count: inout Int) {
        if value >= 100 { out[count] = 48 + value / 100; count += 1 }
        if value >= 10 { out[count] = 48 + value / 10 % 10; count += 1 }
        out[count] = 48 + value % 10
        count += 1
    }

    @inline(__always)
    private static func writeHex(_ value: UInt16, into out: UnsafeMutableBufferPointer<UInt8>, at count: inout Int) {
        var shift = 12
        while shift > 0 && (value >> UInt16(shift)) == 0 { shift -= 4 }
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt16(shift)) & 0xf
            out[count] = nibble < 10 ? 48 + nibble : 87 + nibble
            count += 1
            shift -= 4
        }
    }
}

extension IPAddressText {
    /// Parses dotted-decimal IPv4 (`1.2.3.4`; up to three digits per octet) into its 4 bytes,
    /// big-endian in a `UInt32`; `nil` when the text is not an IPv4 address.
    static func parseIPv4(_ text: String) -> UInt32? {
        var text = text
        return text.withUTF8 { parseIPv4($0) }
    }

    static func parseIPv4(_ text: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var octets = 0
        var index = 0
        while index < text.count {
            var value: UInt32 = 0
            var digits = 0
            while index < text.count, text[index] >= 48, text[index] <= 57, digits < 3 {
                value = value * 10 + UInt32(text[index] - 48)
                digits += 1
                index += 1
            }
            guard digits > 0, value <= 255 else { return nil }
            result = result << 8 | value
            octets += 1
            if index == text.count { break }
            guard octets < 4, text[index] == UInt8(ascii: ".") else { return nil }
            index += 1
            guard index < text.count else { return nil }
        }
        return octets == 4 ? result : nil
    }

    /// Parses IPv6 text (any RFC 4291 form: `::` compression, upper- or lower-case hex, a dotted
    /// IPv4 tail) into its 16 bytes as two big-endian halves; `nil` when the text is not IPv6
    /// (zone IDs such as `%eth0` are not accepted: the proto field has no room for them).
    static func parseIPv6(_ text: String) -> (high: UInt64, low: UInt64)? {
        var text = text
        return text.withUTF8 { parseIPv6($0) }
    }

    static func parseIPv6(_ text: UnsafeBufferPointer<UInt8>) -> (high: UInt64, low: UInt64)? {
        let n = text.count
        guard n >= 2 else { return nil }
        var storage: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &storage) { raw -> (high: UInt64, low: UInt64)? in
            let groups = raw.bindMemory(to: UInt16.self)
            var count = 0
            var compressedAt: Int?
            var index = 0
            if text[0] == UInt8(ascii: ":") {
                guard text[1] == UInt8(ascii: ":") else { return nil }
                compressedAt = 0
                index = 2
            }
            while index < n {
                var end = index
                var hasDot = false
                while end < n, text[end] != UInt8(ascii: ":") {
                    if text[end] == UInt8(ascii: ".") { hasDot = true }
                    end += 1
                }
                if hasDot {
                    // A dotted IPv4 tail fills the last two groups and must end the text.
                    guard end == n, count <= 6,
                          let v4 = parseIPv4(UnsafeBufferPointer(rebasing: text[index..<end])) else { return nil }
                    groups[count] = UInt16(truncatingIfNeeded: v4 >> 16)
                    groups[count + 1] = UInt16(truncatingIfNeeded: v4)
                    count += 2
                    index = n
                    break
                }
                guard end > index, end - index <= 4, count < 8 else { return nil }
                var value: UInt16 = 0
                for position in index..<end {
                    guard let nibble = hexNibble(text[position]) else { return nil }
                    value = value << 4 | UInt16(nibble)
                }
                groups[count] = value
                count += 1
                if end == n { index = n; break }
                // text[end] is ":"; "::" marks the compressed run.
                if end + 1 < n, text[end + 1] == UInt8(ascii: ":") {
                    guard compressedAt == nil else { return nil }
                    compressedAt = count
                    index = end + 2
                } else {
                    index = end + 1
                    guard index < n else { return nil }
                }
            }
            if let compressedAt {
                guard count <= 7 else { return nil }
                let tail = count - compressedAt
                let shift = 8 - count
                var k = tail - 1
                while k >= 0 {
                    groups[compressedAt + shift + k] = groups[compressedAt + k]
                    k -= 1
                }
                for k in compressedAt..<(compressedAt + shift) { groups[k] = 0 }
            } else {
                guard count == 8 else { return nil }
            }
            var high: UInt64 = 0
            var low: UInt64 = 0
            for k in 0..<4 { high = high << 16 | UInt64(groups[k]) }
            for k in 4..<8 { low = low << 16 | UInt64(groups[k]) }
            return (high, low)
        }
    }

    @inline(__always)
    private static func hexNibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte &- 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte &- 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte &- 55
        default: nil
        }
    }
}
