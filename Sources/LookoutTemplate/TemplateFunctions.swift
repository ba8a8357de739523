/// The functions a template may call besides Go's builtins. Function names are checked at
/// parse time, as Go does, so a set is needed even when only validating templates.
public struct TemplateFunctions: Sendable {
    var table: [String: TemplateFunction]

    /// Only Go's builtin functions.
    public init() {
        table = [:]
    }

    init(table: [String: TemplateFunction]) {
        self.table = table
    }

    /// Adds or replaces a function. It receives the evaluated arguments (the piped value last)
    /// and may take any number of them; a thrown error fails the render with
    /// `error calling NAME: ...`.
    public func adding(_ name: String, _ function: @escaping @Sendable ([TemplateValue]) async throws -> TemplateValue) -> TemplateFunctions {
        var copy = self
        copy.table[name] = TemplateFunction([], variadic: .any, .plain(function))
        return copy
    }

    /// Every callable name, Go's builtins included, sorted.
    public var names: [String] {
        Set(table.keys).union(Builtins.table.keys).sorted()
    }

    /// The set's own functions shadow the builtins, as a Go FuncMap does.
    func lookup(_ name: String) -> (function: TemplateFunction, isBuiltin: Bool)? {
        if let f = table[name] { return (f, false) }
        if let f = Builtins.table[name] { return (f, true) }
        return nil
    }

    func contains(_ name: String) -> Bool {
        table[name] != nil || Builtins.table[name] != nil
    }
}
