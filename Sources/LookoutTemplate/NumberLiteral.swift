/// A numeric constant as Go's parser reads it: the same text may be usable as an integer,
/// a float, or both (`1` is both, `1.5` only a float, `'a'` the integer 97).
struct NumberLiteral: Sendable {
    var text: String
    var isInt = false
    var isUint = false
    var isFloat = false
    var int: Int64 = 0
    var float: Double = 0

    /// Go's `parse.NewNumber`; the error text is what the parser reports.
    static func parse(_ text: String, kind: Token.Kind) throws(FunctionError) -> NumberLiteral {
        var n = NumberLiteral(text: text)
        if kind == .complex { throw FunctionError("complex constants are not supported: \(text)") }
        if kind == .charConstant {
            let r = try GoUnquote.char(text)
            n.isInt = true; n.isUint = true; n.isFloat = true
            n.int = Int64(r.value); n.float = Double(r.value)
            return n
        }
        if text.hasSuffix("i") { throw FunctionError("complex constants are not supported: \(text)") }
        let u = parseInteger(text, allowSign: false)
        if let i = parseInteger(text, allowSign: true) {
            n.isInt = true
            n.int = i
            n.isUint = i >= 0 || u != nil
        } else if u != nil {
            throw FunctionError("integer overflow: \(GoQuote.quote(text))")
        }
        if n.isInt {
            n.isFloat = true
            n.float = Double(n.int)
        } else if let f = parseFloat(text) {
            // A float that looks like an integer is an integer too large to fit: reject it.
            if !text.contains(where: { ".eEpP".contains($0) }) {
                throw FunctionError("integer overflow: \(GoQuote.quote(text))")
            }
            n.isFloat = true
            n.float = f
            if f.isFinite, f == f.rounded(), abs(f) < 9.2e18 {
                n.isInt = true
                n.int = Int64(f)
            }
        }
        if !n.isInt && !n.isFloat {
            throw FunctionError("illegal number syntax: \(GoQuote.quote(text))")
        }
        return n
    }

    /// Go's `strconv.ParseInt(text, 0, 64)`: prefixes 0x, 0o, 0b, a leading 0 for octal,
    /// and underscores only between digits of a prefixed or plain number.
    static func parseInteger(_ text: String, allowSign: Bool) -> Int64? {
        var s = Substring(text)
        var negative = false
        if let first = s.first, first == "+" || first == "-" {
            guard allowSign else { return nil }
            negative = first == "-"
            s = s.dropFirst()
        }
        var radix = 10
        let lower = s.lowercased()
        if lower.hasPrefix("0x") { radix = 16; s = s.dropFirst(2) }
        else if lower.hasPrefix("0o") { radix = 8; s = s.dropFirst(2) }
        else if lower.hasPrefix("0b") { radix = 2; s = s.dropFirst(2) }
        else if s.count > 1 && s.first == "0" { radix = 8; s = s.dropFirst() }
        guard !s.isEmpty, !s.hasPrefix("_") || radix != 10, !s.hasSuffix("_"), !s.contains("__") else { return nil }
        let digits = s.filter { $0 != "_" }
        guard !digits.isEmpty, let magnitude = UInt64(digits, radix: radix) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// Go's `strconv.ParseFloat` for literals: decimal and hex floats, underscores allowed.
    static func parseFloat(_ text: String) -> Double? {
        GoStrconv.parseFloat(text.filter { $0 != "_" })
    }
}
