import Foundation

/// Go's strconv float formatting (`AppendFloat`), which fmt's verbs build on. Shortest digits
/// come from Swift's round-trip `description` (both print the shortest string that reads back
/// to the same double); fixed precision uses C's correctly rounded printf.
enum GoFloat {
    /// Decimal digits without leading or trailing zeros, and the decimal point position:
    /// value = 0.DIGITS × 10^dp. Zero has no digits.
    struct Digits {
        var digits: [UInt8]
        var dp: Int
        var count: Int { digits.count }
    }

    /// `strconv.FormatFloat(v, verb, prec, 64)` for verbs e E f g G b x X; prec -1 is shortest.
    static func format(_ v: Double, verb: Character, precision: Int) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        let negative = v.sign == .minus
        let body: String
        switch verb {
        case "b": body = binaryExponent(abs(v))
        case "x", "X": body = hex(abs(v), precision: precision, upper: verb == "X")
        default: body = decimal(abs(v), verb: verb, precision: precision)
        }
        return negative ? "-" + body : body
    }

    private static func decimal(_ v: Double, verb: Character, precision: Int) -> String {
        let upper = verb == "E" || verb == "G"
        let fmt: Character = verb == "E" ? "e" : verb == "G" ? "g" : verb == "F" ? "f" : verb
        if precision < 0 {
            let d = shortest(v)
            switch fmt {
            case "e": return fmtE(d, precision: d.count - 1, upper: upper)
            case "f": return fmtF(d, precision: max(d.count - d.dp, 0))
            default: return formatG(d, precision: d.count, shortest: true, upper: upper)
            }
        }
        switch fmt {
        case "e": return fmtE(rounded(v, significant: precision + 1), precision: precision, upper: upper)
        case "f": return String(format: "%.\(precision)f", v)
        default:
            let p = max(precision, 1)
            return formatG(rounded(v, significant: p), precision: p, shortest: false, upper: upper)
        }
    }

    /// Go's `formatDigits` for %g: %e when the exponent is < -4 or >= the precision.
    private static func formatG(_ d: Digits, precision: Int, shortest: Bool, upper: Bool) -> String {
        var eprec = precision
        if eprec > d.count && d.count >= d.dp { eprec = d.count }
        if shortest { eprec = 6 }
        let exp = d.dp - 1
        if exp < -4 || exp >= eprec {
            return fmtE(d, precision: min(precision, d.count) - 1, upper: upper)
        }
        let p = precision > d.dp ? d.count : precision
        return fmtF(d, precision: max(p - d.dp, 0))
    }

    static func fmtE(_ d: Digits, precision: Int, upper: Bool) -> String {
        var out = [UInt8]()
        out.append(d.count > 0 ? d.digits[0] : UInt8(ascii: "0"))
        if precision > 0 {
            out.append(UInt8(ascii: "."))
            for i in 1...precision { out.append(i < d.count ? d.digits[i] : UInt8(ascii: "0")) }
        }
        out.append(UInt8(ascii: upper ? "E" : "e"))
        let exp = d.count == 0 ? 0 : d.dp - 1
        out.append(UInt8(ascii: exp < 0 ? "-" : "+"))
        let e = String(abs(exp))
        if e.count < 2 { out.append(UInt8(ascii: "0")) }
        out.append(contentsOf: e.utf8)
        return String(decoding: out, as: UTF8.self)
    }

    static func fmtF(_ d: Digits, precision: Int) -> String {
        var out = [UInt8]()
        if d.dp > 0 {
            for i in 0..<d.dp { out.append(i < d.count ? d.digits[i] : UInt8(ascii: "0")) }
        } else {
            out.append(UInt8(ascii: "0"))
        }
        if precision > 0 {
            out.append(UInt8(ascii: "."))
            for i in 1...precision {
                let j = d.dp + i - 1
                out.append(j >= 0 && j < d.count ? d.digits[j] : UInt8(ascii: "0"))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The shortest digits that read back to `v` (v >= 0, finite).
    static func shortest(_ v: Double) -> Digits {
        parse(v.description)
    }

    /// `v` rounded to `significant` digits, correctly, via C's %e.
    static func rounded(_ v: Double, significant: Int) -> Digits {
        parse(String(format: "%.\(max(significant - 1, 0))e", v))
    }

    /// Reads "123.45", "1e-05" or "1.5e+16" into digits and a decimal point position.
    private static func parse(_ text: String) -> Digits {
        let parts = text.lowercased().split(separator: "e", maxSplits: 1)
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        var digits: [UInt8] = []
        var pointAt: Int?
        for b in parts[0].utf8 {
            if b == UInt8(ascii: ".") { pointAt = digits.count } else if b >= 0x30 && b <= 0x39 { digits.append(b) }
        }
        var dp = (pointAt ?? digits.count) + exponent
        while let first = digits.first, first == UInt8(ascii: "0") {
            digits.removeFirst()
            dp -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        if digits.isEmpty { dp = 0 }
        return Digits(digits: digits, dp: dp)
    }

    /// Go's %b: decimal mantissa and binary exponent, "4503599627370496p-52".
    private static func binaryExponent(_ v: Double) -> String {
        var exp = Int(v.bitPattern >> 52 & 0x7FF)
        var mant = v.bitPattern & ((1 << 52) - 1)
        if exp == 0 { exp += 1 } else { mant |= 1 << 52 }
        exp -= 1023 + 52
        return "\(mant)p\(exp >= 0 ? "+" : "-")\(abs(exp))"
    }

    /// Go's %x on floats: "0x1.8p+00" (two-digit exponent, unlike C's %a).
    private static func hex(_ v: Double, precision: Int, upper: Bool) -> String {
        var s = precision < 0 ? String(format: "%a", v) : String(format: "%.\(precision)a", v)
        if let p = s.firstIndex(of: "p") {
            let mantissa = s[..<p]
            var exp = s[s.index(after: p)...]
            let sign = exp.first == "-" ? "-" : "+"
            if exp.first == "-" || exp.first == "+" { exp = exp.dropFirst() }
            s = mantissa + "p" + sign + (exp.count < 2 ? "0" : "") + exp
        }
        return upper ? s.uppercased() : s
    }

    /// `%v` of a float64: shortest %g.
    static func v(_ value: Double) -> String {
        format(value, verb: "g", precision: -1)
    }
}
