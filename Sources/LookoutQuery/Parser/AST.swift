import LookoutModel

/// The four PromQL value types.
public enum ValueType: String, Sendable, Equatable {
    case scalar
    case vector = "instant vector"
    case matrix = "range vector"
    case string
}

/// `@ <time>`, `@ start()`, `@ end()`.
public enum AtModifier: Sendable, Equatable {
    case timestamp(Int64)
    case start
    case end
}

public struct VectorSelector: Sendable, Equatable {
    public var name: String?
    public var matchers: [LabelMatcher]
    /// Milliseconds; positive looks back.
    public var offset: Int64 = 0
    public var at: AtModifier?
}

public struct VectorMatching: Sendable, Equatable {
    public enum Cardinality: Sendable, Equatable { case oneToOne, manyToOne, oneToMany, manyToMany }
    public var cardinality: Cardinality
    /// The labels of `on(...)` or `ignoring(...)`.
    public var labels: [String]
    /// true for `on`, false for `ignoring` (or no clause).
    public var on: Bool
    /// Labels of `group_left(...)`/`group_right(...)` copied from the "one" side.
    public var include: [String]
}

public enum AggregateOperator: String, Sendable, CaseIterable {
    case sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk, quantile
    case countValues = "count_values"

    /// The type of the parameter it takes first, if any.
    var parameterType: ValueType? {
        switch self {
        case .topk, .bottomk, .quantile: .scalar
        case .countValues: .string
        default: nil
        }
    }
}

/// A parsed PromQL expression.
public indirect enum Expr: Sendable, Equatable {
    case number(Double)
    case string(String)
    case vector(VectorSelector)
    case matrix(VectorSelector, range: Int64)
    case subquery(Expr, range: Int64, step: Int64?, offset: Int64, at: AtModifier?)
    case paren(Expr)
    case unary(Operator, Expr)
    case binary(Operator, Expr, Expr, returnBool: Bool, matching: VectorMatching?)
    case aggregate(AggregateOperator, Expr, parameter: Expr?, grouping: [String], without: Bool)
    case call(Function, [Expr])

    public var type: ValueType {
        switch self {
        case .number: .scalar
        case .string: .string
        case .vector: .vector
        case .matrix, .subquery: .matrix
        case .paren(let inner), .unary(_, let inner): inner.type
        case .binary(_, let lhs, let rhs, _, _): lhs.type == .scalar && rhs.type == .scalar ? .scalar : .vector
        case .aggregate: .vector
        case .call(let function, _): function.returnType
        }
    }

    public static func == (lhs: Expr, rhs: Expr) -> Bool {
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): a.bitPattern == b.bitPattern || a == b
        case (.string(let a), .string(let b)): a == b
        case (.vector(let a), .vector(let b)): a == b
        case (.matrix(let a, let r1), .matrix(let b, let r2)): a == b && r1 == r2
        case (.subquery(let a, let r1, let s1, let o1, let t1), .subquery(let b, let r2, let s2, let o2, let t2)):
            a == b && r1 == r2 && s1 == s2 && o1 == o2 && t1 == t2
        case (.paren(let a), .paren(let b)): a == b
        case (.unary(let o1, let a), .unary(let o2, let b)): o1 == o2 && a == b
        case (.binary(let o1, let l1, let r1, let b1, let m1), .binary(let o2, let l2, let r2, let b2, let m2)):
            o1 == o2 && l1 == l2 && r1 == r2 && b1 == b2 && m1 == m2
        case (.aggregate(let o1, let e1, let p1, let g1, let w1), .aggregate(let o2, let e2, let p2, let g2, let w2)):
            o1 == o2 && e1 == e2 && p1 == p2 && g1 == g2 && w1 == w2
        case (.call(let f1, let a1), .call(let f2, let a2)): f1.name == f2.name && a1 == a2
        default: false
        }
    }
}
