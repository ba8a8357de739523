import Hummingbird

/// Query-string parameters decoded as HTML forms encode them (`+` is a space, then percent
/// escapes), as Zipkin's server decodes them and as Python's requests and Java's URLEncoder send.
struct QueryParameters: Sendable {
    private var values: [String: String] = [:]

    init(query: String?) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = QueryParameters.decode(parts[0])
            // The first occurrence wins, as in Zipkin.
            if values[name] == nil {
                values[name] = parts.count > 1 ? QueryParameters.decode(parts[1]) : ""
            }
        }
    }

    func get(_ name: String) -> String? { values[name] }

    func requireString(_ name: String) throws -> String {
        guard let value = values[name] else { throw PlainTextError(.badRequest, "\(name) is required") }
        return value
    }

    /// Absent is nil; present but not an integer (including empty) is a 400.
    func int64(_ name: String) throws -> Int64? {
        guard let text = values[name] else { return nil }
        guard let value = Int64(text) else {
            throw PlainTextError(.badRequest, "\(name) must be an integer, not \"\(text)\"")
        }
        return value
    }

    static func decode(_ text: Substring) -> String {
        percentDecoded(text.replacingPlus())
    }
}

extension Substring {
    fileprivate func replacingPlus() -> String {
        guard contains("+") else { return String(self) }
        return String(map { $0 == "+" ? " " : $0 })
    }
}
