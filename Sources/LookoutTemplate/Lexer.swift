/// Splits template text into tokens the way Go's text/template lexer does, including
/// trim markers (`{{- ` and ` -}}`), comments, and newlines inside actions.
/// Lexing stops at the first error, which becomes an `.error` token the parser reports.
struct Lexer {
    private let input: [UInt8]
    private var pos = 0
    private var start = 0
    private var line = 1
    private var startLine = 1
    private var parenDepth = 0
    private(set) var tokens: [Token] = []

    static func tokenize(_ text: String) -> [Token] {
        var lexer = Lexer(input: Array(text.utf8))
        lexer.run()
        return lexer.tokens
    }

    private init(input: [UInt8]) {
        self.input = input
    }

    private static let leftDelim: [UInt8] = Array("{{".utf8)
    private static let rightDelim: [UInt8] = Array("}}".utf8)

    private mutating func run() {
        var inAction = false
        while true {
            let ok = inAction ? lexInsideAction(&inAction) : lexText(&inAction)
            if !ok { return }
        }
    }

    // MARK: - Primitives

    private func hasPrefix(_ bytes: [UInt8], at offset: Int) -> Bool {
        guard offset + bytes.count <= input.count else { return false }
        for i in 0..<bytes.count where input[offset + i] != bytes[i] { return false }
        return true
    }

    private func byte(at offset: Int) -> UInt8? {
        offset < input.count ? input[offset] : nil
    }

    /// Decodes the rune at `offset`; invalid UTF-8 yields U+FFFD of width 1, as Go does.
    func rune(at offset: Int) -> (scalar: Unicode.Scalar, width: Int)? {
        guard offset < input.count else { return nil }
        return UTF8Decoding.decode(input, at: offset)
    }

    private mutating func emit(_ kind: Token.Kind) {
        let value = String(decoding: input[start..<pos], as: UTF8.self)
        tokens.append(Token(kind: kind, pos: start, value: value, line: startLine))
        // Items that may span lines move the line counter on.
        switch kind {
        case .text, .rawString, .leftDelim, .rightDelim, .space:
            line += input[start..<pos].reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        default:
            break
        }
        start = pos
        startLine = line
    }

    private mutating func ignore() {
        line += input[start..<pos].reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        start = pos
        startLine = line
    }

    private mutating func fail(_ message: String) -> Bool {
        tokens.append(Token(kind: .error, pos: start, value: message, line: startLine))
        return false
    }

    static func isSpace(_ b: UInt8?) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A
    }

    private func hasLeftTrimMarker(at offset: Int) -> Bool {
        byte(at: offset) == UInt8(ascii: "-") && Self.isSpace(byte(at: offset + 1))
    }

    private func hasRightTrimMarker(at offset: Int) -> Bool {
        Self.isSpace(byte(at: offset)) && byte(at: offset + 1) == UInt8(ascii: "-")
    }

    /// Whether `pos` is at "}}" or at " -}}"; the second flag reports the trim marker.
    private func atRightDelim() -> (delim: Bool, trim: Bool) {
        if hasPrefix(Self.rightDelim, at: pos) { return (true, false) }
        if hasRightTrimMarker(at: pos) && hasPrefix(Self.rightDelim, at: pos + 2) { return (true, true) }
        return (false, false)
    }

    // MARK: - States

    private mutating func lexText(_ inAction: inout Bool) -> Bool {
        var x = pos
        while x < input.count && !hasPrefix(Self.leftDelim, at: x) { x += 1 }
        guard x < input.count else {
            pos = input.count
            if pos > start { emit(.text) }
            emit(.eof)
            return false
        }
        pos = x
        var trimmed = pos
        if hasLeftTrimMarker(at: pos + 2) {
            while trimmed > start && Self.isSpace(input[trimmed - 1]) { trimmed -= 1 }
        }
        let delimAt = pos
        pos = trimmed
        if pos > start { emit(.text) }
        pos = delimAt
        ignore()
        return lexLeftDelim(&inAction)
    }

    private mutating func lexLeftDelim(_ inAction: inout Bool) -> Bool {
        pos += 2
        let trim = hasLeftTrimMarker(at: pos)
        let after = trim ? 2 : 0
        if hasPrefix(Array("/*".utf8), at: pos + after) {
            pos += after
            ignore()
            return lexComment()
        }
        emit(.leftDelim)
        pos += after
        ignore()
        parenDepth = 0
        inAction = true
        return true
    }

    private mutating func lexComment() -> Bool {
        pos += 2
        var i = pos
        while i < input.count && !hasPrefix(Array("*/".utf8), at: i) { i += 1 }
        guard i < input.count else { return fail("unclosed comment") }
        pos = i + 2
        let (delim, trim) = atRightDelim()
        guard delim else { return fail("comment ends before closing delimiter") }
        if trim { pos += 2 }
        pos += 2
        if trim { while Self.isSpace(byte(at: pos)) { pos += 1 } }
        ignore()
        return true
    }

    private mutating func lexRightDelim(_ inAction: inout Bool) {
        let trim = hasRightTrimMarker(at: pos)
        if trim {
            pos += 2
            ignore()
        }
        pos += 2
        emit(.rightDelim)
        if trim {
            while Self.isSpace(byte(at: pos)) { pos += 1 }
            ignore()
        }
        inAction = false
    }

    private mutating func lexInsideAction(_ inAction: inout Bool) -> Bool {
        let (delim, _) = atRightDelim()
        if delim {
            if parenDepth == 0 {
                lexRightDelim(&inAction)
                return true
            }
            return fail("unclosed left paren")
        }
        guard let (r, width) = rune(at: pos) else { return fail("unclosed action") }
        let c = r.value
        if Self.isSpace(byte(at: pos)) { return lexSpace(&inAction) }
        pos += width
        switch c {
        case 0x3D: // =
            emit(.assign)
        case 0x3A: // :
            guard byte(at: pos) == UInt8(ascii: "=") else { return fail("expected :=") }
            pos += 1
            emit(.declare)
        case 0x7C: emit(.pipe)
        case 0x22: return lexQuote()
        case 0x60: return lexRawQuote()
        case 0x24: return lexVariable()
        case 0x27: return lexChar()
        case 0x2E where !(byte(at: pos).map { $0 >= 0x30 && $0 <= 0x39 } ?? false):
            return lexFieldOrVariable(.field)
        case 0x2E, 0x2B, 0x2D, 0x30...0x39:
            pos -= width
            return lexNumber()
        case 0x28:
            emit(.leftParen)
            parenDepth += 1
        case 0x29:
            emit(.rightParen)
            parenDepth -= 1
            if parenDepth < 0 { return fail("unexpected right paren U+0029 ')'") }
        case _ where Self.isAlphaNumeric(r):
            pos -= width
            return lexIdentifier()
        case 0x20...0x7E:
            emit(.char)
        default:
            return fail("unrecognized character in action: \(GoQuote.unicodeDescription(r))")
        }
        return true
    }

    private mutating func lexSpace(_ inAction: inout Bool) -> Bool {
        var count = 0
        while Self.isSpace(byte(at: pos)) {
            pos += 1
            count += 1
        }
        // A space may be the start of " -}}"; leave it for the right delimiter.
        if hasRightTrimMarker(at: pos - 1) && hasPrefix(Self.rightDelim, at: pos + 1) {
            pos -= 1
            if count == 1 {
                lexRightDelim(&inAction)
                return true
            }
        }
        emit(.space)
        return true
    }

    static func isAlphaNumeric(_ r: Unicode.Scalar) -> Bool {
        r == "_" || r.properties.isAlphabetic || r.properties.numericType == .decimal
    }

    /// Whether an identifier may end here; "$x+2" is rejected rather than read as "$x" "+2".
    private func atTerminator() -> Bool {
        guard let b = byte(at: pos) else { return true }
        switch b {
        case 0x20, 0x09, 0x0D, 0x0A, 0x2E, 0x2C, 0x7C, 0x3A, 0x29, 0x28: return true
        default: return hasPrefix(Self.rightDelim, at: pos)
        }
    }

    private mutating func lexIdentifier() -> Bool {
        while let (r, w) = rune(at: pos), Self.isAlphaNumeric(r) { pos += w }
        guard atTerminator() else { return failBadCharacter() }
        let word = String(decoding: input[start..<pos], as: UTF8.self)
        if let keyword = Token.keywords[word] {
            emit(keyword)
        } else if word == "true" || word == "false" {
            emit(.bool)
        } else {
            emit(.identifier)
        }
        return true
    }

    private mutating func failBadCharacter() -> Bool {
        let r = rune(at: pos)?.scalar ?? "\u{FFFD}"
        return fail("bad character \(GoQuote.unicodeDescription(r))")
    }

    private mutating func lexVariable() -> Bool {
        if atTerminator() {
            emit(.variable)
            return true
        }
        return lexFieldOrVariable(.variable)
    }

    private mutating func lexFieldOrVariable(_ kind: Token.Kind) -> Bool {
        if atTerminator() {
            emit(kind == .variable ? .variable : .dot)
            return true
        }
        while let (r, w) = rune(at: pos), Self.isAlphaNumeric(r) { pos += w }
        guard atTerminator() else { return failBadCharacter() }
        emit(kind)
        return true
    }

    private mutating func lexChar() -> Bool {
        while true {
            guard let b = byte(at: pos), b != 0x0A else { return fail("unterminated character constant") }
            pos += 1
            if b == UInt8(ascii: "\\") {
                guard let n = byte(at: pos), n != 0x0A else { return fail("unterminated character constant") }
                pos += 1
            } else if b == UInt8(ascii: "'") {
                break
            }
        }
        emit(.charConstant)
        return true
    }

    private mutating func lexQuote() -> Bool {
        while true {
            guard let b = byte(at: pos), b != 0x0A else { return fail("unterminated quoted string") }
            pos += 1
            if b == UInt8(ascii: "\\") {
                guard let n = byte(at: pos), n != 0x0A else { return fail("unterminated quoted string") }
                pos += 1
            } else if b == UInt8(ascii: "\"") {
                break
            }
        }
        emit(.string)
        return true
    }

    private mutating func lexRawQuote() -> Bool {
        while true {
            guard let b = byte(at: pos) else { return fail("unterminated raw quoted string") }
            pos += 1
            if b == UInt8(ascii: "`") { break }
        }
        emit(.rawString)
        return true
    }

    private mutating func lexNumber() -> Bool {
        guard scanNumber() else {
            return fail("bad number syntax: \(GoQuote.quote(String(decoding: input[start..<pos], as: UTF8.self)))")
        }
        if let sign = byte(at: pos), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            // Complex: 1+2i. No spaces, must end in 'i'.
            guard scanNumber(), input[pos - 1] == UInt8(ascii: "i") else {
                return fail("bad number syntax: \(GoQuote.quote(String(decoding: input[start..<pos], as: UTF8.self)))")
            }
            emit(.complex)
        } else {
            emit(.number)
        }
        return true
    }

    private mutating func accept(_ valid: String) -> Bool {
        guard let b = byte(at: pos), valid.utf8.contains(b) else { return false }
        pos += 1
        return true
    }

    private mutating func acceptRun(_ valid: String) {
        while let b = byte(at: pos), valid.utf8.contains(b) { pos += 1 }
    }

    private mutating func scanNumber() -> Bool {
        _ = accept("+-")
        var digits = "0123456789_"
        if accept("0") {
            if accept("xX") {
                digits = "0123456789abcdefABCDEF_"
            } else if accept("oO") {
                digits = "01234567_"
            } else if accept("bB") {
                digits = "01_"
            }
        }
        acceptRun(digits)
        if accept(".") { acceptRun(digits) }
        if digits.count == 11 && accept("eE") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        if digits.count == 23 && accept("pP") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        _ = accept("i")
        if let (r, w) = rune(at: pos), Self.isAlphaNumeric(r) {
            pos += w
            return false
        }
        return true
    }
}
