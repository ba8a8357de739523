import Logging
import ServiceLifecycle

/// As a service the store lives until graceful shutdown, then finishes queued writes and
/// checkpoints. The HTTP server is stopped first (it is added last), so no write arrives after.
extension SQLiteTraceStore: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        try await close()
        logger.info("trace store closed")
    }
}
