/// One callable function: its Go-style signature (for arity and argument checks) and its body.
struct TemplateFunction: Sendable {
    typealias Body = @Sendable ([TemplateValue]) async throws -> TemplateValue

    enum Kind: Sendable {
        case plain(Body)
        /// `and`/`or`: evaluated lazily by the executor, which short-circuits.
        case and, or
        /// `tmpl`: runs a named template, so it needs the executor.
        case tmpl
        /// A body whose result contains its arguments (`args`); counted against nesting limits.
        case nesting(Body)
    }

    var params: [ParamType]
    /// The type of the variadic tail, or nil for a fixed number of parameters.
    var variadic: ParamType?
    var kind: Kind

    init(_ params: [ParamType], variadic: ParamType? = nil, _ kind: Kind) {
        self.params = params
        self.variadic = variadic
        self.kind = kind
    }

    /// A synchronous body that cannot fail.
    static func pure(_ params: [ParamType], variadic: ParamType? = nil, _ body: @escaping @Sendable ([TemplateValue]) -> TemplateValue) -> TemplateFunction {
        TemplateFunction(params, variadic: variadic, .plain { body($0) })
    }

    /// A synchronous body that may fail with a message.
    static func failable(_ params: [ParamType], variadic: ParamType? = nil, _ body: @escaping @Sendable ([TemplateValue]) throws -> TemplateValue) -> TemplateFunction {
        TemplateFunction(params, variadic: variadic, .plain { try body($0) })
    }

    func paramType(at index: Int) -> ParamType {
        index < params.count ? params[index] : (variadic ?? .any)
    }
}
