/// Rune decoding over raw bytes, with Go's rule that a bad byte is U+FFFD of width 1.
enum UTF8Decoding {
    static func decode(_ bytes: [UInt8], at offset: Int) -> (scalar: Unicode.Scalar, width: Int) {
        let b0 = bytes[offset]
        if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
        let (count, initial): (Int, UInt32) = switch b0 {
        case 0xC2...0xDF: (2, UInt32(b0 & 0x1F))
        case 0xE0...0xEF: (3, UInt32(b0 & 0x0F))
        case 0xF0...0xF4: (4, UInt32(b0 & 0x07))
        default: (0, 0)
        }
        guard count > 0, offset + count <= bytes.count else { return ("\u{FFFD}", 1) }
        var value = initial
        for i in 1..<count {
            let b = bytes[offset + i]
            guard b & 0xC0 == 0x80 else { return ("\u{FFFD}", 1) }
            value = value << 6 | UInt32(b & 0x3F)
        }
        let minimum: UInt32 = count == 2 ? 0x80 : count == 3 ? 0x800 : 0x10000
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return ("\u{FFFD}", 1) }
        return (scalar, count)
    }
}
