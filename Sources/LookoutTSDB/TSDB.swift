#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import LookoutCodecs
import LookoutModel
import LookoutStorage
import ServiceLifecycle
import Synchronization

/// The time-series engine: an in-memory head of open chunks in front of a chunk store, with a
/// write-ahead log that makes every acknowledged sample durable.
///
/// An append resolves series (by the sender's key bytes, without parsing labels in the common
/// case), appends to each series' head under that series' lock, then writes one log entry and
/// waits for its group fsync. Chunks closed at 120 samples queue in memory and a flusher moves
/// them to the store once a second, then drops log segments nothing in memory needs. Restart
/// loads series from the store and replays the log.
public final class TSDB: MetricStore, MetricAppender, Service, Sendable {
    let store: any MetricChunkStore
    let options: TSDBOptions
    let logger: Logger
    let instrumentation: TSDBInstrumentation
    let wal: WriteAheadLog
    let index = Mutex(SeriesIndex())
    /// Closed chunks not yet in the store, oldest first, with the log segment each needs.
    let pending = Mutex<[(chunk: StoredChunk, segment: Int)]>([])
    let side = Mutex(SideState())
    let idempotency = Mutex(IdempotencyState())
    let clock: @Sendable () -> Int64

    /// What else waits for the next flush: metadata, exemplars, idempotency keys.
    struct SideState {
        var metadata: [String: MetricMetadata] = [:]
        var pendingMetadata: [(MetricMetadata, Int)] = []
        var pendingExemplars: [(UInt64, Exemplar, Int)] = []
        var pendingKeys: [(String, Int64, Int)] = []
    }

    struct IdempotencyState {
        var applied: [String: Int64] = [:]
        var inFlight = Set<String>()
    }

    /// Opens the engine over `store`, with its log in `walDirectory`, and replays the log.
    public init(store: any MetricChunkStore, walDirectory: String, options: TSDBOptions = TSDBOptions(),
                instrumentation: TSDBInstrumentation = TSDBInstrumentation(), logger: Logger,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) throws {
        self.store = store
        self.options = options
        self.logger = logger
        self.instrumentation = instrumentation
        self.clock = clock
        self.wal = try WriteAheadLog(directory: walDirectory, segmentBytes: options.walSegmentBytes,
                                     maxQueuedBytes: options.maxQueuedWALBytes, logger: logger,
                                     observeSync: instrumentation.walSync)
        let started = ContinuousClock.now
        let persisted = try store.loadSeries()
        index.withLock { index in
            for entry in persisted {
                index.insert(MemSeries(ref: entry.ref, labels: entry.labels, inOrderMaxTime: entry.inOrderMaxTime,
                                       minTime: entry.minTime, maxTime: entry.maxTime,
                                       storedLateMaxTime: entry.outOfOrderMaxTime ?? .min))
            }
        }
        let metadata = try store.loadMetadata()
        side.withLock { side in
            for entry in metadata { side.metadata[entry.metricName] = entry }
        }
        let keys = try store.loadIdempotencyKeys(since: clock() - options.idempotencyKeyMillis)
        idempotency.withLock { $0.applied = keys }
        let replayed = try replayLog()
        try wal.start()
        logger.info("metrics engine open", metadata: [
            "series": "\(persisted.count)", "replayed_samples": "\(replayed)",
            "seconds": "\(started.duration(to: .now))",
        ])
    }

    /// Flushes closed chunks every `flushInterval` and applies retention; on shutdown writes
    /// everything queued and closes the log.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var lastRetention = ContinuousClock.now - self.options.retentionInterval
            while !Task.isCancelled {
                try await Task.sleep(for: self.options.flushInterval)
                self.flushLogging()
                if lastRetention.duration(to: .now) >= self.options.retentionInterval {
                    lastRetention = .now
                    self.applyRetentionLogging()
                }
            }
        }
        close()
    }

    /// Stops appends, flushes what is closed and closes the log. Data in open chunks stays in
    /// the log and comes back at the next start.
    public func close() {
        wal.close()
        flushLogging()
    }

    /// Closes the log without flushing, as a crash would leave things (for tests of recovery).
    func closeWithoutFlushing() {
        wal.close()
    }

    public func statistics() -> MetricStoreStatistics {
        let all = index.withLock { Array($0.byRef.values) }
        let headChunks = all.reduce(0) { $0 + ($1.data.withLock { $0.chunk == nil ? 0 : 1 }) }
        return MetricStoreStatistics(headSeries: all.count, headChunks: headChunks,
                              pendingChunks: pending.withLock { $0.count },
                              walBytes: wal.diskBytes(), storeBytes: store.diskBytes())
    }

    func flushLogging() {
        do {
            try flush()
        } catch {
            logger.error("flushing chunks to the store failed; they stay in memory and the log", metadata: ["error": "\(error)"])
        }
    }

    func applyRetentionLogging() {
        do {
            try applyRetention()
        } catch {
            logger.error("retention failed", metadata: ["error": "\(error)"])
        }
    }
}
