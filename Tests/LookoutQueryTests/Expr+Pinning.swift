import LookoutQuery

extension Expr {
    /// The expression with `@ time` on every selector and subquery that has no `@` yet.
    func pinning(at time: Int64) -> Expr {
        switch self {
        case .number, .string: return self
        case .vector(var selector):
            if selector.at == nil { selector.at = .timestamp(time) }
            return .vector(selector)
        case .matrix(var selector, let range):
            if selector.at == nil { selector.at = .timestamp(time) }
            return .matrix(selector, range: range)
        case .subquery(let inner, let range, let step, let offset, let at):
            // The subquery is pinned; selectors inside it are evaluated relative to its steps.
            return .subquery(inner, range: range, step: step, offset: offset, at: at ?? .timestamp(time))
        case .paren(let inner): return .paren(inner.pinning(at: time))
        case .unary(let op, let inner): return .unary(op, inner.pinning(at: time))
        case .binary(let op, let lhs, let rhs, let returnBool, let matching):
            return .binary(op, lhs.pinning(at: time), rhs.pinning(at: time), returnBool: returnBool, matching: matching)
        case .aggregate(let op, let inner, let parameter, let grouping, let without):
            return .aggregate(op, inner.pinning(at: time), parameter: parameter?.pinning(at: time), grouping: grouping, without: without)
        case .call(let function, let arguments):
            return .call(function, arguments.map { $0.pinning(at: time) })
        }
    }
}
