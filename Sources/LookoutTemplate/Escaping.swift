/// Go's HTMLEscapeString, JSEscapeString and url.QueryEscape.
enum Escaping {
    static func html(_ s: String) -> String {
        var out = ""
        for r in s.unicodeScalars {
            switch r {
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(r)
            }
        }
        return out
    }

    static func js(_ s: String) -> String {
        var out = ""
        for r in s.unicodeScalars {
            switch r {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            case "<": out += "\\u003C"
            case ">": out += "\\u003E"
            case "&": out += "\\u0026"
            case "=": out += "\\u003D"
            default:
                if r.value < 0x20 {
                    out += "\\u00" + GoQuote.hex(r.value, width: 2, upper: true)
                } else if r.value >= 0x80 && !GoQuote.isPrint(r) {
                    out += "\\u" + GoQuote.hex(r.value, width: 4, upper: true)
                } else {
                    out.unicodeScalars.append(r)
                }
            }
        }
        return out
    }

    /// `url.QueryEscape`: space becomes "+", everything but unreserved bytes is %XX.
    static func queryEscape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + GoQuote.hex(UInt32(b), width: 2, upper: true)
            }
        }
        return out
    }
}
