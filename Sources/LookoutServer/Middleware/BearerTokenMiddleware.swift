import Hummingbird

/// Requires `Authorization: Bearer <token>` with one of the configured tokens. With no tokens
/// configured every request passes, which suits a collector listening on 127.0.0.1.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: Set<String>

    @concurrent func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        if tokens.isEmpty || request.method == .options { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw PlainTextError(.unauthorized, "missing bearer token", headers: [.wwwAuthenticate: "Bearer"])
        }
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), tokens.contains(String(header.dropFirst(prefix.count))) else {
            throw PlainTextError(.unauthorized, "invalid bearer token", headers: [.wwwAuthenticate: "Bearer"])
        }
        return try await next(request, context)
    }
}
