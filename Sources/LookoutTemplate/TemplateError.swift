/// A parse or execution error, worded like Go's text/template errors.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}

/// An error raised inside a function or builtin, before the executor adds the location.
struct FunctionError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
