/// A query that cannot be run as asked; `message` is what a client sees (Zipkin's wording).
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
