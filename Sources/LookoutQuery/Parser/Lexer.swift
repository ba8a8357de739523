/// Splits a PromQL expression into tokens. Errors carry the byte offset they refer to.
struct Lexer {
    private let bytes: [UInt8]
    private var index = 0
    private var braceDepth = 0
    private var bracketDepth = 0

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    static func tokenize(_ text: String) throws(ParseError) -> [Token] {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private func text(_ start: Int) -> String { String(decoding: bytes[start..<index], as: UTF8.self) }

    mutating func next() throws(ParseError) -> Token {
        skipSpaceAndComments()
        let start = index
        guard let byte = peek() else { return Token(kind: .end, position: index, text: "") }
        func single(_ kind: Token.Kind) -> Token {
            index += 1
            return Token(kind: kind, position: start, text: String(UnicodeScalar(byte)))
        }
        switch byte {
        case UInt8(ascii: "("): return single(.leftParen)
        case UInt8(ascii: ")"): return single(.rightParen)
        case UInt8(ascii: "{"):
            braceDepth += 1
            return single(.leftBrace)
        case UInt8(ascii: "}"):
            braceDepth = max(0, braceDepth - 1)
            return single(.rightBrace)
        case UInt8(ascii: "["):
            bracketDepth += 1
            return single(.leftBracket)
        case UInt8(ascii: "]"):
            bracketDepth = max(0, bracketDepth - 1)
            return single(.rightBracket)
        case UInt8(ascii: ","): return single(.comma)
        case UInt8(ascii: ":") where bracketDepth > 0: return single(.colon)
        case UInt8(ascii: "@"): return single(.at)
        case UInt8(ascii: "+"): return single(.op(.add))
        case UInt8(ascii: "-"): return single(.op(.sub))
        case UInt8(ascii: "*"): return single(.op(.mul))
        case UInt8(ascii: "/"): return single(.op(.div))
        case UInt8(ascii: "%"): return single(.op(.mod))
        case UInt8(ascii: "^"): return single(.op(.pow))
        case UInt8(ascii: "="):
            if peek(1) == UInt8(ascii: "=") { index += 2; return Token(kind: .op(.eql), position: start, text: "==") }
            if peek(1) == UInt8(ascii: "~") { index += 2; return Token(kind: .op(.regexMatch), position: start, text: "=~") }
            return single(.assign)
        case UInt8(ascii: "!"):
            if peek(1) == UInt8(ascii: "=") { index += 2; return Token(kind: .op(.neq), position: start, text: "!=") }
            if peek(1) == UInt8(ascii: "~") { index += 2; return Token(kind: .op(.regexNoMatch), position: start, text: "!~") }
            throw ParseError("unexpected character after '!': \(peek(1).map { "'\(Character(UnicodeScalar($0)))'" } ?? "end of input")", position: start)
        case UInt8(ascii: ">"):
            if peek(1) == UInt8(ascii: "=") { index += 2; return Token(kind: .op(.gte), position: start, text: ">=") }
            return single(.op(.gtr))
        case UInt8(ascii: "<"):
            if peek(1) == UInt8(ascii: "=") { index += 2; return Token(kind: .op(.lte), position: start, text: "<=") }
            return single(.op(.lss))
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
            return try lexString(quote: byte)
        default:
            break
        }
        if isDigit(byte) || (byte == UInt8(ascii: ".") && peek(1).map(isDigit) == true) {
            return try lexNumberOrDuration()
        }
        if isNameStart(byte) || byte == UInt8(ascii: ":") {
            while let next = peek(), isNameStart(next) || isDigit(next) || next == UInt8(ascii: ":") { index += 1 }
            let name = text(start)
            // Inf and NaN are numbers wherever a name could not be a metric.
            switch name.lowercased() {
            case "inf", "infinity": return Token(kind: .number(.infinity), position: start, text: name)
            case "nan": return Token(kind: .number(.nan), position: start, text: name)
            default: break
            }
            return Token(kind: name.contains(":") ? .metricIdentifier(name) : .identifier(name), position: start, text: name)
        }
        throw ParseError("unexpected character: '\(Character(UnicodeScalar(byte)))'", position: start)
    }

    private mutating func skipSpaceAndComments() {
        while let byte = peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                index += 1
            } else if byte == UInt8(ascii: "#") {
                while let next = peek(), next != UInt8(ascii: "\n") { index += 1 }
            } else {
                return
            }
        }
    }

    private mutating func lexString(quote: UInt8) throws(ParseError) -> Token {
        let start = index
        index += 1
        var result: [UInt8] = []
        while let byte = peek() {
            index += 1
            if byte == quote {
                guard let string = String(validating: result, as: UTF8.self) else { throw ParseError("invalid UTF-8 in string", position: start) }
                return Token(kind: .string(string), position: start, text: text(start))
            }
            if quote != UInt8(ascii: "`") && byte == UInt8(ascii: "\\") {
                guard let escaped = peek() else { break }
                index += 1
                switch escaped {
                case UInt8(ascii: "n"): result.append(10)
                case UInt8(ascii: "t"): result.append(9)
                case UInt8(ascii: "r"): result.append(13)
                case UInt8(ascii: "a"): result.append(7)
                case UInt8(ascii: "b"): result.append(8)
                case UInt8(ascii: "f"): result.append(12)
                case UInt8(ascii: "v"): result.append(11)
                case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): result.append(escaped)
                case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let digits = escaped == UInt8(ascii: "x") ? 2 : (escaped == UInt8(ascii: "u") ? 4 : 8)
                    var value: UInt32 = 0
                    for _ in 0..<digits {
                        guard let digit = peek(), let number = hexValue(digit) else {
                            throw ParseError("invalid escape sequence in string", position: index)
                        }
                        value = value << 4 | UInt32(number)
                        index += 1
                    }
                    if escaped == UInt8(ascii: "x") {
                        result.append(UInt8(value))
                    } else {
                        guard let scalar = Unicode.Scalar(value) else { throw ParseError("invalid Unicode code point in string", position: index) }
                        result.append(contentsOf: Array(String(Character(scalar)).utf8))
                    }
                case UInt8(ascii: "0")...UInt8(ascii: "7"):
                    var value = UInt32(escaped - UInt8(ascii: "0"))
                    for _ in 0..<2 {
                        guard let digit = peek(), digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else {
                            throw ParseError("invalid escape sequence in string", position: index)
                        }
                        value = value << 3 | UInt32(digit - UInt8(ascii: "0"))
                        index += 1
                    }
                    guard value < 256 else { throw ParseError("octal escape value > 255", position: index) }
                    result.append(UInt8(value))
                default:
                    throw ParseError("unknown escape sequence '\\\(Character(UnicodeScalar(escaped)))'", position: index - 2)
                }
                continue
            }
            if byte == UInt8(ascii: "\n") && quote != UInt8(ascii: "`") { break }
            result.append(byte)
        }
        throw ParseError("unterminated quoted string", position: start)
    }

    private mutating func lexNumberOrDuration() throws(ParseError) -> Token {
        let start = index
        // A duration: digits followed by a unit, repeated (1h30m); only when a unit follows.
        if let duration = try scanDuration() {
            return Token(kind: .duration(duration), position: start, text: text(start))
        }
        index = start
        if peek() == UInt8(ascii: "0"), peek(1) == UInt8(ascii: "x") || peek(1) == UInt8(ascii: "X") {
            index += 2
            while let byte = peek(), hexValue(byte) != nil { index += 1 }
            guard let value = UInt64(text(start).dropFirst(2), radix: 16) else { throw ParseError("bad number \"\(text(start))\"", position: start) }
            return Token(kind: .number(Double(value)), position: start, text: text(start))
        }
        while let byte = peek(), isDigit(byte) || byte == UInt8(ascii: "_") { index += 1 }
        if peek() == UInt8(ascii: ".") {
            index += 1
            while let byte = peek(), isDigit(byte) { index += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            let mark = index
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            if let byte = peek(), isDigit(byte) {
                while let byte = peek(), isDigit(byte) { index += 1 }
            } else {
                index = mark
            }
        }
        if let byte = peek(), isNameStart(byte) {
            throw ParseError("bad number or duration syntax: \"\(text(start))\(Character(UnicodeScalar(byte)))\"", position: start)
        }
        let literal = text(start).replacingUnderscores()
        guard let value = Double(literal) else { throw ParseError("bad number \"\(text(start))\"", position: start) }
        return Token(kind: .number(value), position: start, text: text(start))
    }

    /// Reads `1h30m`-style durations; nil (position unchanged by the caller) when it is not one.
    private mutating func scanDuration() throws(ParseError) -> Int64? {
        var total: Int64 = 0
        var sawUnit = false
        var lastUnitSize = Int64.max
        while let byte = peek(), isDigit(byte) {
            let digitsStart = index
            while let next = peek(), isDigit(next) { index += 1 }
            let digits = text(digitsStart)
            let unitStart = index
            while let next = peek(), next >= UInt8(ascii: "a"), next <= UInt8(ascii: "z") { index += 1 }
            let unit = text(unitStart)
            let size: Int64
            switch unit {
            case "ms": size = 1
            case "s": size = 1000
            case "m": size = 60_000
            case "h": size = 3_600_000
            case "d": size = 86_400_000
            case "w": size = 604_800_000
            case "y": size = 31_536_000_000
            default:
                if sawUnit { throw ParseError("bad duration syntax: \"\(text(digitsStart))\"", position: digitsStart) }
                return nil
            }
            guard size < lastUnitSize else { throw ParseError("bad duration: units must go from larger to smaller", position: unitStart) }
            lastUnitSize = size
            guard let count = Int64(digits) else { throw ParseError("duration out of range", position: digitsStart) }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, total <= Int64.max - product else { throw ParseError("duration out of range", position: digitsStart) }
            total += product
            sawUnit = true
        }
        if sawUnit, let byte = peek(), isNameStart(byte) || byte == UInt8(ascii: ".") {
            throw ParseError("bad duration syntax", position: index)
        }
        return sawUnit ? total : nil
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_")
    }
    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    func replacingUnderscores() -> String {
        contains("_") ? String(filter { $0 != "_" }) : self
    }
}
