/// Go's strconv quoting and rune descriptions, for `%q`, `%U` and error messages.
enum GoQuote {
    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and ASCII space.
    static func isPrint(_ r: Unicode.Scalar) -> Bool {
        if r == " " { return true }
        switch r.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate, .unassigned,
             .spaceSeparator, .lineSeparator, .paragraphSeparator:
            return false
        default:
            return true
        }
    }

    /// `strconv.Quote`, or `strconv.QuoteToASCII` when `asciiOnly`.
    static func quote(_ s: String, asciiOnly: Bool = false, quote q: Character = "\"") -> String {
        var out = String(q)
        for r in s.unicodeScalars {
            out += escape(r, quote: q, asciiOnly: asciiOnly)
        }
        out.append(q)
        return out
    }

    /// `strconv.QuoteRune`, used by `%q` on integers.
    static func quoteRune(_ r: Unicode.Scalar, asciiOnly: Bool = false) -> String {
        "'" + escape(r, quote: "'", asciiOnly: asciiOnly) + "'"
    }

    private static func escape(_ r: Unicode.Scalar, quote q: Character, asciiOnly: Bool) -> String {
        if Character(r) == q || r == "\\" { return "\\" + String(r) }
        if asciiOnly ? (r.value < 0x80 && isPrint(r)) : isPrint(r) { return String(r) }
        switch r {
        case "\u{07}": return "\\a"
        case "\u{08}": return "\\b"
        case "\u{0C}": return "\\f"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\u{0B}": return "\\v"
        default:
            if r.value < 0x20 || r.value == 0x7F { return "\\x" + hex(r.value, width: 2) }
            if r.value < 0x10000 { return "\\u" + hex(r.value, width: 4) }
            return "\\U" + hex(r.value, width: 8)
        }
    }

    static func hex(_ v: UInt32, width: Int, upper: Bool = false) -> String {
        let digits = String(v, radix: 16, uppercase: upper)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Go's `%#U`: "U+0041 'A'", without the character when it isn't printable.
    static func unicodeDescription(_ r: Unicode.Scalar) -> String {
        let code = "U+" + hex(r.value, width: 4, upper: true)
        return isPrint(r) ? "\(code) '\(r)'" : code
    }

    /// `strconv.CanBackquote`, which decides whether `%#q` may use a raw string.
    static func canBackquote(_ s: String) -> Bool {
        for r in s.unicodeScalars {
            if r == "`" || r == "\u{FEFF}" { return false }
            if r.value < 0x20 && r != "\t" { return false }
            if r.value == 0x7F { return false }
        }
        return true
    }
}
