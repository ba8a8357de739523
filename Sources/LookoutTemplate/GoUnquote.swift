/// Go's `strconv.Unquote` for the string and character literals of templates.
enum GoUnquote {
    static func string(_ quoted: String) throws(FunctionError) -> String {
        let scalars = Array(quoted.unicodeScalars)
        guard scalars.count >= 2, let q = scalars.first, scalars.last == q else { throw FunctionError("invalid syntax") }
        let body = scalars[1..<(scalars.count - 1)]
        if q == "`" {
            // Raw strings drop carriage returns, as Go does.
            return String(String.UnicodeScalarView(body.filter { $0 != "\r" }))
        }
        guard q == "\"" else { throw FunctionError("invalid syntax") }
        var out = String.UnicodeScalarView()
        var i = body.startIndex
        while i < body.endIndex {
            let (r, next) = try unescape(body, at: i, quote: "\"")
            out.append(r)
            i = next
        }
        return String(out)
    }

    static func char(_ quoted: String) throws(FunctionError) -> Unicode.Scalar {
        let scalars = Array(quoted.unicodeScalars)
        guard scalars.count >= 3, scalars.first == "'", scalars.last == "'" else { throw FunctionError("malformed character constant: \(quoted)") }
        let body = scalars[1..<(scalars.count - 1)]
        let (r, next) = try unescape(body, at: body.startIndex, quote: "'")
        guard next == body.endIndex else { throw FunctionError("malformed character constant: \(quoted)") }
        return r
    }

    private static func unescape(_ s: ArraySlice<Unicode.Scalar>, at i: Int, quote: Unicode.Scalar) throws(FunctionError) -> (Unicode.Scalar, Int) {
        let syntax = FunctionError("invalid syntax")
        let c = s[i]
        if c == quote { throw syntax }
        guard c == "\\" else { return (c, i + 1) }
        guard i + 1 < s.endIndex else { throw syntax }
        let e = s[i + 1]
        switch e {
        case "a": return ("\u{07}", i + 2)
        case "b": return ("\u{08}", i + 2)
        case "f": return ("\u{0C}", i + 2)
        case "n": return ("\n", i + 2)
        case "r": return ("\r", i + 2)
        case "t": return ("\t", i + 2)
        case "v": return ("\u{0B}", i + 2)
        case "\\": return ("\\", i + 2)
        case "'", "\"":
            guard e == quote else { throw syntax }
            return (e, i + 2)
        case "x", "u", "U":
            let count = e == "x" ? 2 : e == "u" ? 4 : 8
            guard i + 2 + count <= s.endIndex else { throw syntax }
            let digits = String(String.UnicodeScalarView(s[(i + 2)..<(i + 2 + count)]))
            guard let v = UInt32(digits, radix: 16), let r = Unicode.Scalar(v) else { throw syntax }
            return (r, i + 2 + count)
        case "0"..."7":
            guard i + 4 <= s.endIndex else { throw syntax }
            let digits = String(String.UnicodeScalarView(s[(i + 1)..<(i + 4)]))
            guard let v = UInt32(digits, radix: 8), v <= 255, let r = Unicode.Scalar(v) else { throw syntax }
            return (r, i + 4)
        default:
            throw syntax
        }
    }
}
