import Hummingbird

/// Query-string parameters decoded as HTML forms encode them (`+` is a space, then percent
/// escapes), as Zipkin's server decodes them and as Python's requests and Java's URLEncoder send.
struct QueryParameters: Sendable {
    private var values: [String: String] = [:]
    private var repeated: [String: [String]] = [:]

    init(query: String?) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = QueryParameters.decode(parts[0])
            repeated[name, default: []].append(parts.count > 1 ? QueryParameters.decode(parts[1]) : "")
            // The first occurrence wins, as in Zipkin.
            if values[name] == nil {
                values[name] = parts.count > 1 ? QueryParameters.decode(parts[1]) : ""
            }
        }
    }

    func get(_ name: String) -> String? { values[name] }

    /// Every value of a repeated parameter (`match[]=a&match[]=b`), in order.
    func all(_ name: String) -> [String] { repeated[name] ?? [] }

    /// Parameters of a GET query string and of a POST form body together, as Prometheus reads them.
    static func from(_ request: Request, maxFormBytes: Int = 1 << 20) async throws -> QueryParameters {
        var parameters = QueryParameters(query: request.uri.query)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if request.method == .post, contentType.hasPrefix("application/x-www-form-urlencoded") {
            let body = try await RequestBody.collect(request, maxBytes: maxFormBytes) {}
            let form = QueryParameters(query: String(buffer: body))
            for (name, values) in form.repeated {
                parameters.repeated[name, default: []].append(contentsOf: values)
                if parameters.values[name] == nil { parameters.values[name] = values.first }
            }
        }
        return parameters
    }

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
