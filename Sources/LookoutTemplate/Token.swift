/// One lexical item of a template, as Go's text/template lexer produces them.
struct Token: Sendable {
    enum Kind: Sendable, Equatable {
        case error, bool, char, charConstant, complex, assign, declare, eof
        case field, identifier, leftDelim, leftParen, number, pipe, rawString
        case rightDelim, rightParen, space, string, text, variable
        // Keywords (Go prints these as <word> in errors).
        case block, breakKeyword, continueKeyword, dot, define, elseKeyword, end
        case ifKeyword, nilKeyword, range, template, with

        var isKeyword: Bool {
            switch self {
            case .block, .breakKeyword, .continueKeyword, .dot, .define, .elseKeyword, .end,
                 .ifKeyword, .nilKeyword, .range, .template, .with: true
            default: false
            }
        }
    }

    var kind: Kind
    var pos: Int      // byte offset in the template text
    var value: String
    var line: Int

    static let keywords: [String: Kind] = [
        ".": .dot, "block": .block, "break": .breakKeyword, "continue": .continueKeyword,
        "define": .define, "else": .elseKeyword, "end": .end, "if": .ifKeyword,
        "nil": .nilKeyword, "range": .range, "template": .template, "with": .with,
    ]
}

extension Token: CustomStringConvertible {
    /// How Go's parser names a token in "unexpected ..." errors.
    var description: String {
        switch kind {
        case .eof: return "EOF"
        case .error: return value
        case _ where kind.isKeyword: return "<\(value)>"
        default:
            if value.unicodeScalars.count > 10 {
                return GoQuote.quote(String(String.UnicodeScalarView(value.unicodeScalars.prefix(10)))) + "..."
            }
            return GoQuote.quote(value)
        }
    }
}
