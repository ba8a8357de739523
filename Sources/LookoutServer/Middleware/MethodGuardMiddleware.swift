import Hummingbird

/// Answers a method a known path does not support with 405 and the `Allow` header (RFC 9110)
/// instead of 404, and a plain `OPTIONS` with `Allow`. `TRACE` is never allowed (it would echo
/// requests, headers included), as in Zipkin. CORS preflights (with `Origin`) pass through.
struct MethodGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    static func allowedMethods(path: String) -> [HTTPRequest.Method]? {
        switch path {
        case "/api/v2/spans": return [.get, .post, .options]
        case "/api/v1/spans": return [.post, .options]
        case "/api/v2/services", "/api/v2/remoteServices", "/api/v2/traces", "/api/v2/traceMany",
             "/api/v2/dependencies", "/api/v2/autocompleteKeys", "/api/v2/autocompleteValues":
            return [.get, .options]
        case "/health", "/metrics": return [.get]
        default:
            return path.hasPrefix("/api/v2/trace/") ? [.get, .options] : nil
        }
    }

    @concurrent func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let allowed = Self.allowedMethods(path: trimmed) else {
            if request.method == .trace { throw PlainTextError(.methodNotAllowed, "TRACE is not allowed") }
            return try await next(request, context)
        }
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        if request.method == .options && request.headers[.origin] == nil {
            return Response(status: .noContent, headers: [.allow: allow])
        }
        guard allowed.contains(request.method) || (request.method == .options) else {
            throw PlainTextError(.methodNotAllowed, "\(request.method.rawValue) is not allowed on \(trimmed); use \(allow)",
                                 headers: [.allow: allow])
        }
        return try await next(request, context)
    }
}
