/// Bounds on one render. Templates come from users' rule files, so a render must end with
/// output or an error, never run away with time, memory or stack.
struct ExecutionLimits: Sendable {
    /// Output and any single string value built along the way.
    var maxOutputBytes = 1 << 20
    /// Nested `template`/`tmpl` calls (Go allows 100000; recursion here is a rules bug).
    var maxTemplateDepth = 100
    /// Nodes walked plus commands evaluated; ranges over large data stop here.
    var maxSteps = 1_000_000
    /// Values built from other values (`args`), which could otherwise nest without bound.
    var maxNestingCalls = 1_000
    /// Depth of nested maps and lists the printer will descend into.
    var maxPrintDepth = 100

    static let `default` = ExecutionLimits()
}
