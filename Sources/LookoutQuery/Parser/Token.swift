/// A PromQL token and where it starts (a byte offset into the query).
struct Token: Equatable {
    enum Kind: Equatable {
        case identifier(String)        // a name without ':' (may be a keyword, function or label)
        case metricIdentifier(String)  // a name containing ':'
        case number(Double)
        case duration(Int64)           // milliseconds
        case string(String)
        case op(Operator)
        case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket
        case comma, colon, at
        case assign                    // '=' inside braces
        case end
    }

    var kind: Kind
    var position: Int
    var text: String
}

/// Binary and matcher operators.
public enum Operator: String, Sendable, Equatable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^"
    case eql = "==", neq = "!=", gtr = ">", lss = "<", gte = ">=", lte = "<="
    case regexMatch = "=~", regexNoMatch = "!~"
    case and, or, unless, atan2

    /// Binding strength: higher binds tighter.
    var precedence: Int {
        switch self {
        case .or: 1
        case .and, .unless: 2
        case .eql, .neq, .gtr, .lss, .gte, .lte: 3
        case .add, .sub: 4
        case .mul, .div, .mod, .atan2: 5
        case .pow: 6
        case .regexMatch, .regexNoMatch: 0
        }
    }

    var isComparison: Bool { [.eql, .neq, .gtr, .lss, .gte, .lte].contains(self) }
    var isSetOperator: Bool { [.and, .or, .unless].contains(self) }
    var isRightAssociative: Bool { self == .pow }
}
