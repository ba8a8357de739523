/// A query that does not parse or type-check. `position` is a byte offset into the query.
public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var position: Int

    public init(_ message: String, position: Int) {
        self.message = message
        self.position = position
    }

    /// Prometheus' form: `1:5: parse error: unexpected ...` (line:column, 1-based).
    public func describe(in query: String) -> String {
        var line = 1
        var column = 1
        for (offset, byte) in query.utf8.enumerated() {
            if offset >= position { break }
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return "\(line):\(column): parse error: \(message)"
    }

    public var description: String { "parse error at char \(position + 1): \(message)" }
}
