#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import LookoutStorage
import ServiceLifecycle

/// Deletes traces older than the retention period, on an interval, until shutdown.
public struct TraceRetentionService<C: Clock>: Service where C.Duration == Duration {
    let store: any TraceStore
    let retention: Duration
    let interval: Duration
    let clock: C
    let logger: Logger

    public init(store: any TraceStore, retention: Duration, interval: Duration = .seconds(300), clock: C, logger: Logger) {
        self.store = store
        self.retention = retention
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let nowMicros = Int64(Date().timeIntervalSince1970 * 1_000_000)
            let (seconds, attoseconds) = retention.components
            let cutoff = nowMicros - seconds * 1_000_000 - attoseconds / 1_000_000_000_000
            do {
                let deleted = try await store.deleteTraces(before: cutoff)
                if deleted > 0 {
                    logger.info("deleted expired spans", metadata: ["lookout.retention.spans": "\(deleted)"])
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error("trace retention failed", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await self.clock.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }
}
