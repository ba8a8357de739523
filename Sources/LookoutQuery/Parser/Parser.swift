import LookoutModel

/// A hand-written recursive-descent PromQL parser with Prometheus' operator precedence and its
/// parse-time type checks. Every error names the byte offset it refers to.
public struct Parser {
    private var tokens: [Token]
    private var index = 0
    /// Bounds recursion so hostile input cannot exhaust the stack.
    private var depth = 0
    private static let maxDepth = 200

    public static func parse(_ query: String) throws(ParseError) -> Expr {
        guard query.utf8.count <= 1 << 16 else { throw ParseError("query is longer than 65536 bytes", position: 0) }
        var parser = Parser(tokens: try Lexer.tokenize(query))
        let expr = try parser.parseExpression(minimumPrecedence: 0)
        guard parser.current.kind == .end else { throw parser.unexpected("") }
        return expr
    }

    private init(tokens: [Token]) {
        self.tokens = tokens
    }

    private var current: Token { tokens[index] }
    private func peek(_ offset: Int = 1) -> Token { tokens[min(index + offset, tokens.count - 1)] }
    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func unexpected(_ context: String) -> ParseError {
        let what: String
        switch current.kind {
        case .end: what = "end of input"
        case .identifier(let name), .metricIdentifier(let name): what = "identifier \"\(name)\""
        case .number: what = "number \"\(current.text)\""
        case .duration: what = "duration \"\(current.text)\""
        case .string: what = "string \(current.text)"
        default: what = "\"\(current.text)\""
        }
        return ParseError("unexpected \(what)\(context.isEmpty ? "" : " " + context)", position: current.position)
    }

    private mutating func expect(_ kind: Token.Kind, _ context: String) throws(ParseError) {
        guard current.kind == kind else { throw unexpected(context) }
        _ = advance()
    }

    // MARK: - Binary expressions

    private func binaryOperator(_ token: Token) -> Operator? {
        switch token.kind {
        case .op(let op) where op != .regexMatch && op != .regexNoMatch: return op
        case .identifier(let name):
            switch name.lowercased() {
            case "and": return .and
            case "or": return .or
            case "unless": return .unless
            case "atan2": return .atan2
            default: return nil
            }
        default: return nil
        }
    }

    private mutating func parseExpression(minimumPrecedence: Int) throws(ParseError) -> Expr {
        depth += 1
        defer { depth -= 1 }
        guard depth < Parser.maxDepth else { throw ParseError("expression nests too deeply", position: current.position) }
        var lhs = try parseUnary()
        while let op = binaryOperator(current), op.precedence >= minimumPrecedence {
            let position = current.position
            _ = advance()
            var returnBool = false
            if case .identifier(let word) = current.kind, word.lowercased() == "bool" {
                guard op.isComparison else { throw ParseError("bool modifier can only be used on comparison operators", position: current.position) }
                returnBool = true
                _ = advance()
            }
            let matching = try parseVectorMatching(op)
            let rhs = try parseExpression(minimumPrecedence: op.isRightAssociative ? op.precedence : op.precedence + 1)
            lhs = try makeBinary(op, lhs, rhs, returnBool: returnBool, matching: matching, position: position)
        }
        return lhs
    }

    private mutating func parseVectorMatching(_ op: Operator) throws(ParseError) -> VectorMatching? {
        var matching: VectorMatching?
        if case .identifier(let word) = current.kind, ["on", "ignoring"].contains(word.lowercased()), peek().kind == .leftParen {
            _ = advance()
            matching = VectorMatching(cardinality: op.isSetOperator ? .manyToMany : .oneToOne,
                                      labels: try parseLabelList(), on: word.lowercased() == "on", include: [])
            if case .identifier(let group) = current.kind, ["group_left", "group_right"].contains(group.lowercased()) {
                guard !op.isSetOperator else {
                    throw ParseError("no grouping allowed for \"\(op.rawValue)\" operation", position: current.position)
                }
                _ = advance()
                matching!.cardinality = group.lowercased() == "group_left" ? .manyToOne : .oneToMany
                if current.kind == .leftParen { matching!.include = try parseLabelList() }
            }
        } else if case .identifier(let group) = current.kind, ["group_left", "group_right"].contains(group.lowercased()) {
            throw ParseError("\(group.lowercased()) needs on(...) or ignoring(...) before it", position: current.position)
        }
        return matching
    }

    private func makeBinary(_ op: Operator, _ lhs: Expr, _ rhs: Expr, returnBool: Bool, matching: VectorMatching?,
                            position: Int) throws(ParseError) -> Expr {
        for side in [lhs, rhs] where side.type != .scalar && side.type != .vector {
            throw ParseError("binary expression must contain only scalar and instant vector types", position: position)
        }
        let bothScalar = lhs.type == .scalar && rhs.type == .scalar
        if op.isSetOperator && (lhs.type == .scalar || rhs.type == .scalar) {
            throw ParseError("set operator \"\(op.rawValue)\" not allowed in binary scalar expression", position: position)
        }
        if op.isComparison && bothScalar && !returnBool {
            throw ParseError("comparisons between scalars must use BOOL modifier", position: position)
        }
        if matching != nil && (lhs.type != .vector || rhs.type != .vector) {
            throw ParseError("vector matching only allowed between instant vectors", position: position)
        }
        var resolved = matching
        if lhs.type == .vector && rhs.type == .vector && resolved == nil {
            resolved = VectorMatching(cardinality: op.isSetOperator ? .manyToMany : .oneToOne, labels: [], on: false, include: [])
        }
        if let matching = resolved, matching.on, !matching.include.isEmpty {
            for label in matching.include where matching.labels.contains(label) {
                throw ParseError("label \"\(label)\" must not occur in ON and GROUP clause at once", position: position)
            }
        }
        return .binary(op, lhs, rhs, returnBool: returnBool, matching: resolved)
    }

    // MARK: - Unary and primary expressions

    private mutating func parseUnary() throws(ParseError) -> Expr {
        if case .op(let op) = current.kind, op == .add || op == .sub {
            let position = current.position
            _ = advance()
            // Unary minus binds looser than ^: -2^2 is -(2^2).
            let operand = try parseExpression(minimumPrecedence: Operator.pow.precedence)
            guard operand.type == .scalar || operand.type == .vector else {
                throw ParseError("unary expression only allowed on expressions of type scalar or instant vector", position: position)
            }
            if case .number(let value) = operand { return .number(op == .sub ? -value : value) }
            return op == .sub ? .unary(.sub, operand) : operand
        }
        return try parsePostfix(try parsePrimary())
    }

    private mutating func parsePrimary() throws(ParseError) -> Expr {
        let token = current
        switch token.kind {
        case .number(let value):
            _ = advance()
            return .number(value)
        case .duration(let milliseconds):
            // A duration where a number goes means its seconds: predict_linear(x[1h], 30m).
            _ = advance()
            return .number(Double(milliseconds) / 1000)
        case .string(let value):
            _ = advance()
            return .string(value)
        case .leftParen:
            _ = advance()
            let inner = try parseExpression(minimumPrecedence: 0)
            try expect(.rightParen, "in parenthesized expression, expected \")\"")
            return .paren(inner)
        case .leftBrace:
            return .vector(try parseSelector(name: nil, position: token.position))
        case .metricIdentifier(let name):
            _ = advance()
            return .vector(try parseSelector(name: name, position: token.position))
        case .identifier(let name):
            if let aggregate = AggregateOperator(rawValue: name.lowercased()),
               peek().kind == .leftParen || isGroupingKeyword(peek()) {
                return try parseAggregate(aggregate)
            }
            if peek().kind == .leftParen {
                guard let function = Function.all[name] else {
                    throw ParseError("unknown function with name \"\(name)\"", position: token.position)
                }
                return try parseCall(function)
            }
            if ["by", "without", "bool", "on", "ignoring", "group_left", "group_right", "offset"].contains(name.lowercased()) {
                throw unexpected("")
            }
            _ = advance()
            return .vector(try parseSelector(name: name, position: token.position))
        default:
            throw unexpected("")
        }
    }

    private func isGroupingKeyword(_ token: Token) -> Bool {
        if case .identifier(let word) = token.kind { return ["by", "without"].contains(word.lowercased()) }
        return false
    }

    /// Range, subquery, `offset` and `@` after a primary expression, in any order.
    private mutating func parsePostfix(_ primary: Expr) throws(ParseError) -> Expr {
        var expr = primary
        while true {
            switch current.kind {
            case .leftBracket:
                expr = try parseRangeOrSubquery(expr)
            case .identifier(let word) where word.lowercased() == "offset":
                let position = current.position
                _ = advance()
                var sign: Int64 = 1
                if case .op(let op) = current.kind, op == .sub || op == .add {
                    sign = op == .sub ? -1 : 1
                    _ = advance()
                }
                guard let duration = try durationValue() else { throw unexpected("in offset, expected duration") }
                expr = try setOffset(expr, sign * duration, position: position)
            case .at:
                let position = current.position
                _ = advance()
                expr = try setAt(expr, try parseAtValue(), position: position)
            default:
                return expr
            }
        }
    }

    private mutating func parseAtValue() throws(ParseError) -> AtModifier {
        var sign = 1.0
        if case .op(let op) = current.kind, op == .sub || op == .add {
            sign = op == .sub ? -1 : 1
            _ = advance()
        }
        switch current.kind {
        case .number, .duration:
            let seconds: Double
            if case .number(let value) = current.kind { seconds = value } else if case .duration(let ms) = current.kind { seconds = Double(ms) / 1000 } else { seconds = 0 }
            _ = advance()
            let value = sign * seconds
            guard value.isFinite, abs(value) < 9.2e15 else {
                throw ParseError("timestamp out of bounds for @ modifier: \(value)", position: tokens[index - 1].position)
            }
            return .timestamp(Int64((value * 1000).rounded()))
        case .identifier(let word) where (word == "start" || word == "end") && peek().kind == .leftParen && peek(2).kind == .rightParen:
            _ = advance(); _ = advance(); _ = advance()
            return word == "start" ? .start : .end
        default:
            throw unexpected("in @, expected timestamp")
        }
    }

    private func setOffset(_ expr: Expr, _ offset: Int64, position: Int) throws(ParseError) -> Expr {
        switch expr {
        case .vector(var selector):
            guard selector.offset == 0 else { throw ParseError("offset may not be set multiple times", position: position) }
            selector.offset = offset
            return .vector(selector)
        case .matrix(var selector, let range):
            guard selector.offset == 0 else { throw ParseError("offset may not be set multiple times", position: position) }
            selector.offset = offset
            return .matrix(selector, range: range)
        case .subquery(let inner, let range, let step, let old, let at):
            guard old == 0 else { throw ParseError("offset may not be set multiple times", position: position) }
            return .subquery(inner, range: range, step: step, offset: offset, at: at)
        default:
            throw ParseError("offset modifier must be preceded by an instant vector selector or range vector selector or a subquery", position: position)
        }
    }

    private func setAt(_ expr: Expr, _ at: AtModifier, position: Int) throws(ParseError) -> Expr {
        switch expr {
        case .vector(var selector):
            guard selector.at == nil else { throw ParseError("@ <timestamp> may not be set multiple times", position: position) }
            selector.at = at
            return .vector(selector)
        case .matrix(var selector, let range):
            guard selector.at == nil else { throw ParseError("@ <timestamp> may not be set multiple times", position: position) }
            selector.at = at
            return .matrix(selector, range: range)
        case .subquery(let inner, let range, let step, let offset, let old):
            guard old == nil else { throw ParseError("@ <timestamp> may not be set multiple times", position: position) }
            return .subquery(inner, range: range, step: step, offset: offset, at: at)
        default:
            throw ParseError("@ modifier must be preceded by an instant vector selector or range vector selector or a subquery", position: position)
        }
    }

    /// A duration, or a number of seconds where a duration goes (`[300]`, `offset 50`).
    private mutating func durationValue() throws(ParseError) -> Int64? {
        switch current.kind {
        case .duration(let milliseconds):
            _ = advance()
            return milliseconds
        case .number(let seconds):
            guard seconds.isFinite, abs(seconds) < 9.2e15 else { throw ParseError("duration out of range", position: current.position) }
            _ = advance()
            return Int64((seconds * 1000).rounded())
        default:
            return nil
        }
    }

    private mutating func parseRangeOrSubquery(_ expr: Expr) throws(ParseError) -> Expr {
        let position = current.position
        _ = advance()
        guard let range = try durationValue() else { throw unexpected("in range, expected duration") }
        if current.kind == .rightBracket {
            _ = advance()
            guard case .vector(let selector) = expr else {
                throw ParseError("ranges only allowed for vector selectors", position: position)
            }
            guard selector.offset == 0 && selector.at == nil else {
                throw ParseError("ranges only allowed for vector selectors", position: position)
            }
            guard range > 0 else { throw ParseError("range duration must be greater than 0", position: position) }
            return .matrix(selector, range: range)
        }
        try expect(.colon, "in subquery, expected \":\" or \"]\"")
        let step = try durationValue()
        try expect(.rightBracket, "in subquery, expected \"]\"")
        guard expr.type == .vector else {
            throw ParseError("subquery is only allowed on instant vector, got \(expr.type.rawValue)", position: position)
        }
        guard range > 0 else { throw ParseError("range duration must be greater than 0", position: position) }
        if let step, step <= 0 { throw ParseError("step duration must be greater than 0", position: position) }
        return .subquery(expr, range: range, step: step, offset: 0, at: nil)
    }

    // MARK: - Selectors

    private mutating func parseSelector(name: String?, position: Int) throws(ParseError) -> VectorSelector {
        var matchers: [LabelMatcher] = []
        var metricName = name
        if let name { matchers.append(try matcher(Labels.metricName, .equal, name, position: position)) }
        if current.kind == .leftBrace {
            _ = advance()
            while current.kind != .rightBrace {
                let labelToken = current
                let label: String
                switch labelToken.kind {
                case .identifier(let value): label = value
                case .string(let value):
                    _ = advance()
                    if current.kind == .comma || current.kind == .rightBrace {
                        guard metricName == nil else { throw ParseError("metric name must not be set twice: \"\(metricName!)\" or \"\(value)\"", position: labelToken.position) }
                        metricName = value
                        matchers.append(try matcher(Labels.metricName, .equal, value, position: labelToken.position))
                        if current.kind == .comma { _ = advance() }
                        continue
                    }
                    label = value
                    index -= 1
                default:
                    throw unexpected("in label matching, expected label")
                }
                _ = advance()
                let kind: LabelMatcher.Kind
                switch current.kind {
                case .assign: kind = .equal
                case .op(.neq): kind = .notEqual
                case .op(.regexMatch): kind = .regexMatch
                case .op(.regexNoMatch): kind = .regexNoMatch
                default: throw unexpected("in label matching, expected label matching operator")
                }
                _ = advance()
                guard case .string(let value) = current.kind else { throw unexpected("in label matching, expected string") }
                _ = advance()
                if label == Labels.metricName, kind == .equal, name != nil {
                    throw ParseError("metric name must not be set twice: \"\(name!)\" or \"\(value)\"", position: labelToken.position)
                }
                matchers.append(try matcher(label, kind, value, position: labelToken.position))
                if current.kind == .comma {
                    _ = advance()
                } else if current.kind != .rightBrace {
                    throw unexpected("in label matching, expected \",\" or \"}\"")
                }
            }
            _ = advance()
        }
        guard matchers.contains(where: { !$0.matchesEmpty }) else {
            throw ParseError("vector selector must contain at least one non-empty matcher", position: position)
        }
        return VectorSelector(name: metricName, matchers: matchers)
    }

    private func matcher(_ name: String, _ kind: LabelMatcher.Kind, _ value: String, position: Int) throws(ParseError) -> LabelMatcher {
        do {
            return try LabelMatcher(name, kind, value)
        } catch {
            throw ParseError(error.message, position: position)
        }
    }

    private mutating func parseLabelList() throws(ParseError) -> [String] {
        try expect(.leftParen, "in grouping, expected \"(\"")
        var labels: [String] = []
        while current.kind != .rightParen {
            switch current.kind {
            case .identifier(let name): labels.append(name)
            case .string(let name): labels.append(name)
            default: throw unexpected("in grouping opts, expected label")
            }
            _ = advance()
            if current.kind == .comma {
                _ = advance()
            } else if current.kind != .rightParen {
                throw unexpected("in grouping opts, expected \",\" or \")\"")
            }
        }
        _ = advance()
        return labels
    }

    // MARK: - Aggregations and calls

    private mutating func parseAggregate(_ op: AggregateOperator) throws(ParseError) -> Expr {
        let position = current.position
        _ = advance()
        var grouping: [String] = []
        var without = false
        var sawGrouping = false
        if case .identifier(let word) = current.kind, ["by", "without"].contains(word.lowercased()) {
            _ = advance()
            without = word.lowercased() == "without"
            grouping = try parseLabelList()
            sawGrouping = true
        }
        try expect(.leftParen, "in aggregation, expected \"(\"")
        let arguments = try parseArguments("in aggregation")
        if !sawGrouping, case .identifier(let word) = current.kind, ["by", "without"].contains(word.lowercased()) {
            _ = advance()
            without = word.lowercased() == "without"
            grouping = try parseLabelList()
        }
        let expected = op.parameterType == nil ? 1 : 2
        guard arguments.count == expected else {
            throw ParseError("wrong number of arguments for aggregate expression provided, expected \(expected), got \(arguments.count)", position: position)
        }
        let expr = arguments.last!
        guard expr.type == .vector else {
            throw ParseError("expected type instant vector in aggregation expression, got \(expr.type.rawValue)", position: position)
        }
        var parameter: Expr?
        if let parameterType = op.parameterType {
            parameter = arguments[0]
            guard arguments[0].type == parameterType else {
                throw ParseError("expected type \(parameterType.rawValue) in aggregation parameter, got \(arguments[0].type.rawValue)", position: position)
            }
        }
        return .aggregate(op, expr, parameter: parameter, grouping: grouping, without: without)
    }

    /// Comma-separated expressions up to and including the closing parenthesis.
    private mutating func parseArguments(_ context: String) throws(ParseError) -> [Expr] {
        var arguments: [Expr] = []
        while current.kind != .rightParen {
            arguments.append(try parseExpression(minimumPrecedence: 0))
            if current.kind == .comma {
                _ = advance()
            } else if current.kind != .rightParen {
                throw unexpected("\(context), expected \",\" or \")\"")
            }
        }
        _ = advance()
        return arguments
    }

    private mutating func parseCall(_ function: Function) throws(ParseError) -> Expr {
        let position = current.position
        _ = advance()
        try expect(.leftParen, "in call, expected \"(\"")
        let arguments = try parseArguments("in call to \(function.name)")
        let required = function.argumentTypes.count - function.optional
        if function.variadic {
            guard arguments.count >= required else {
                throw ParseError("expected at least \(required) argument(s) in call to \"\(function.name)\", got \(arguments.count)", position: position)
            }
        } else if arguments.count < required || arguments.count > function.argumentTypes.count {
            let expected = function.optional > 0 ? "at most \(function.argumentTypes.count)" : "\(required)"
            throw ParseError("expected \(expected) argument(s) in call to \"\(function.name)\", got \(arguments.count)", position: position)
        }
        for (offset, argument) in arguments.enumerated() {
            let expected = function.argumentTypes[min(offset, function.argumentTypes.count - 1)]
            guard argument.type == expected else {
                throw ParseError("expected type \(expected.rawValue) in call to function \"\(function.name)\", got \(argument.type.rawValue)", position: position)
            }
        }
        return .call(function, arguments)
    }
}
