import LookoutModel

extension Expr: CustomStringConvertible {
    /// The expression in Prometheus' canonical formatting (what `/api/v1/format_query` returns).
    public var description: String {
        switch self {
        case .number(let value): return Self.formatNumber(value)
        case .string(let value): return "\"" + LabelText.escape(value) + "\""
        case .vector(let selector): return selector.description
        case .matrix(let selector, let range):
            var plain = selector
            plain.offset = 0
            plain.at = nil
            return plain.description + "[" + Self.formatDuration(range) + "]" + Self.modifiers(offset: selector.offset, at: selector.at)
        case .subquery(let inner, let range, let step, let offset, let at):
            return inner.description + "[" + Self.formatDuration(range) + ":" + (step.map(Self.formatDuration) ?? "") + "]"
                + Self.modifiers(offset: offset, at: at)
        case .paren(let inner): return "(" + inner.description + ")"
        case .unary(let op, let inner): return op.rawValue + inner.description
        case .binary(let op, let lhs, let rhs, let returnBool, let matching):
            var text = lhs.description + " " + op.rawValue
            if returnBool { text += " bool" }
            if let matching, matching.on || !matching.labels.isEmpty {
                text += (matching.on ? " on" : " ignoring") + " (" + matching.labels.joined(separator: ", ") + ")"
                switch matching.cardinality {
                case .manyToOne: text += " group_left (" + matching.include.joined(separator: ", ") + ")"
                case .oneToMany: text += " group_right (" + matching.include.joined(separator: ", ") + ")"
                default: break
                }
            }
            return text + " " + rhs.description
        case .aggregate(let op, let inner, let parameter, let grouping, let without):
            var text = op.rawValue
            if without || !grouping.isEmpty {
                text += (without ? " without" : " by") + " (" + grouping.joined(separator: ", ") + ") "
            }
            return text + "(" + (parameter.map { $0.description + ", " } ?? "") + inner.description + ")"
        case .call(let function, let arguments):
            return function.name + "(" + arguments.map(\.description).joined(separator: ", ") + ")"
        }
    }

    /// Every vector selector in the expression, ranges included.
    public var selectors: [VectorSelector] {
        switch self {
        case .number, .string: return []
        case .vector(let selector), .matrix(let selector, _): return [selector]
        case .subquery(let inner, _, _, _, _), .paren(let inner), .unary(_, let inner): return inner.selectors
        case .binary(_, let lhs, let rhs, _, _): return lhs.selectors + rhs.selectors
        case .aggregate(_, let inner, let parameter, _, _): return (parameter?.selectors ?? []) + inner.selectors
        case .call(_, let arguments): return arguments.flatMap(\.selectors)
        }
    }

    static func formatNumber(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func formatDuration(_ milliseconds: Int64) -> String {
        PrometheusDuration.format(milliseconds: milliseconds)
    }

    static func modifiers(offset: Int64, at: AtModifier?) -> String {
        var text = ""
        switch at {
        case .timestamp(let time)?: text += " @ " + formatNumber(Double(time) / 1000)
        case .start?: text += " @ start()"
        case .end?: text += " @ end()"
        case nil: break
        }
        if offset != 0 { text += " offset " + formatDuration(offset) }
        return text
    }
}

extension VectorSelector: CustomStringConvertible {
    public var description: String {
        let shown = matchers.filter { !($0.name == Labels.metricName && $0.kind == .equal && $0.value == name) }
        var text = name ?? ""
        if !shown.isEmpty || name == nil {
            text += "{" + shown.map(\.description).joined(separator: ", ") + "}"
        }
        return text + Expr.modifiers(offset: offset, at: at)
    }
}
