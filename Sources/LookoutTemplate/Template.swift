/// A parsed template: Go's text/template language with Prometheus' functions.
public struct Template: Sendable {
    let name: String
    let text: String
    let trees: [String: [Node]]
    let functions: TemplateFunctions
    var limits = ExecutionLimits.default

    /// Parses `text`. Errors read like Go's: `template: NAME:LINE: message`. Function names
    /// are checked here, so an unknown function fails at parse time as it does in Go.
    public init(name: String, text: String, functions: TemplateFunctions = .prometheus()) throws(TemplateError) {
        self.name = name
        self.text = text
        self.functions = functions
        trees = try Parser.parse(name: name, text: text, hasFunction: { functions.contains($0) })
    }

    /// Executes with `.` (and `$`) set to `data`. Errors read like Go's:
    /// `template: NAME:LINE:COL: executing "NAME" at <node>: message`.
    public func render(data: TemplateValue) async throws(TemplateError) -> String {
        try await Executor(template: self, limits: limits).run(data: data)
    }
}
