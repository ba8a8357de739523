/// The parts of Go's strconv that Prometheus' functions expose in their results and errors.
enum GoStrconv {
    /// `strconv.ParseFloat(s, 64)` without the error detail; see `parseFloatOrError`.
    static func parseFloat(_ s: String) -> Double? {
        try? parseFloatOrError(s)
    }

    /// `strconv.ParseFloat(s, 64)`, with Go's error wording.
    static func parseFloatOrError(_ s: String) throws(FunctionError) -> Double {
        let syntax = FunctionError("strconv.ParseFloat: parsing \(GoQuote.quote(s)): invalid syntax")
        var body = Substring(s)
        var sign = 1.0
        if let first = body.first, first == "+" || first == "-" {
            sign = first == "-" ? -1 : 1
            body = body.dropFirst()
        }
        switch body.lowercased() {
        case "inf", "infinity": return sign * .infinity
        case "nan": return .nan
        default: break
        }
        // Swift accepts forms Go does not (and the reverse), so check the grammar first.
        guard isGoFloatSyntax(body) else { throw syntax }
        guard let value = Double(String(body)) else { throw syntax }
        if value.isInfinite {
            throw FunctionError("strconv.ParseFloat: parsing \(GoQuote.quote(s)): value out of range")
        }
        return sign * value
    }

    private static func isGoFloatSyntax(_ s: Substring) -> Bool {
        let bytes = Array(s.utf8)
        var i = 0
        func digits(_ hex: Bool) -> Int {
            let begin = i
            while i < bytes.count {
                let b = bytes[i]
                let isDigit = (b >= 0x30 && b <= 0x39) || (hex && ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66))
                guard isDigit else { break }
                i += 1
            }
            return i - begin
        }
        let hex = bytes.count > 2 && bytes[0] == 0x30 && (bytes[1] | 0x20) == 0x78
        if hex { i = 2 }
        var mantissa = digits(hex)
        if i < bytes.count && bytes[i] == 0x2E {
            i += 1
            mantissa += digits(hex)
        }
        guard mantissa > 0 else { return false }
        if i < bytes.count && (bytes[i] | 0x20) == (hex ? 0x70 : 0x65) {
            i += 1
            if i < bytes.count && (bytes[i] == 0x2B || bytes[i] == 0x2D) { i += 1 }
            guard digits(false) > 0 else { return false }
        } else if hex {
            return false // Go requires a 'p' exponent on hex floats.
        }
        return i == bytes.count
    }
}
