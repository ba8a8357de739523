#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRDB
import Logging
import LookoutModel
import LookoutStorage
import Synchronization

/// The SQLite trace store: one database file in WAL mode, one writer with group commit, many
/// concurrent readers.
public final class SQLiteTraceStore: TraceStore, Sendable {
    let pool: DatabasePool
    let options: TraceStoreOptions
    let logger: Logger
    let committer: GroupCommitter
    let nameCache = Mutex<[NameKey: Int64]>([:])
    let memtable = TermMemtable()
    let indexPolicy: IndexPolicy
    let compaction = Mutex<Task<Void, Never>?>(nil)

    /// When the in-memory part of the search index becomes a segment.
    struct IndexPolicy: Sendable {
        var flushPairs = 1_000_000
        var flushAge: Duration = .seconds(30)
    }

    /// Opens (creating if needed) and migrates the database at `path`.
    public convenience init(path: String, options: TraceStoreOptions = TraceStoreOptions(),
                maxQueuedSpans: Int = 200_000, logger: Logger) throws {
        try self.init(path: path, options: options, maxQueuedSpans: maxQueuedSpans, indexPolicy: IndexPolicy(), logger: logger)
    }

    init(path: String, options: TraceStoreOptions, maxQueuedSpans: Int, indexPolicy: IndexPolicy, logger: Logger) throws {
        var configuration = Configuration()
        configuration.label = "lookout.traces"
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            // Larger page cache: the term index is written at random places.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // Checkpoint every ~40 MB of WAL instead of 4 MB: index pages dirtied by many
            // commits are copied to the database once, and the writer stalls less often.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
        }
        self.pool = try DatabasePool(path: path, configuration: configuration)
        // Acknowledged means durable: fsync the WAL on every (group) commit.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        var migrator = DatabaseMigrator()
        TraceSchema.register(in: &migrator)
        try migrator.migrate(pool)
        self.options = options
        self.logger = logger
        self.indexPolicy = indexPolicy
        self.committer = GroupCommitter(maxQueuedSpans: maxQueuedSpans)
        try rebuildMemtable()
    }

    public func accept(_ spans: [Span]) async throws {
        if spans.isEmpty { return }
        // Refuse before the work of preparing, so an overloaded store does not spend CPU on
        // batches it will turn away; `submit` makes the binding check.
        try committer.checkRoom(for: spans.count)
        let batch = PreparedBatch(spans, autocompleteKeys: options.autocompleteKeys)
        try await committer.submit(batch) { batches in
            try await self.write(batches)
        }
    }

    /// Flushes outstanding writes and checkpoints the WAL; the store stays usable.
    public func close() async throws {
        await committer.waitUntilIdle()
        let running = compaction.withLock { task -> Task<Void, Never>? in
            defer { task?.cancel() }
            return task
        }
        await running?.value
        // Shutdown may cancel the caller, and GRDB interrupts cancelled statements; these last
        // writes run in a task of their own so they complete. Writing the in-memory index now
        // saves rebuilding it at the next start.
        try await Task {
            try await self.flushMemtable(compactAfterwards: false)
            try await self.pool.writeWithoutTransaction { db in
                _ = try db.checkpoint(.truncate)
            }
        }.value
    }
}

/// Batches concurrent writers into one transaction (one fsync) and bounds what may queue.
final class GroupCommitter: Sendable {
    private struct State {
        var queue: [(batch: PreparedBatch, continuation: CheckedContinuation<Void, any Error>)] = []
        var queuedSpans = 0
        var writing = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    let maxQueuedSpans: Int

    init(maxQueuedSpans: Int) { self.maxQueuedSpans = maxQueuedSpans }

    /// The queue is bounded, but a batch always fits an empty queue, so no batch is refused forever.
    private func admits(_ count: Int, _ state: State) -> Bool {
        state.queuedSpans == 0 || state.queuedSpans + count <= maxQueuedSpans
    }

    private var overloaded: StorageError {
        StorageError(.overloaded, "span writes are queued beyond \(maxQueuedSpans) spans")
    }

    func checkRoom(for count: Int) throws {
        if !state.withLock({ admits(count, $0) }) { throw overloaded }
    }

    func submit(_ batch: PreparedBatch, write: @escaping @Sendable ([PreparedBatch]) async throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            enum Decision { case rejected, queued, lead }
            let decision: Decision = state.withLock { state in
                let count = batch.spans.count
                if !admits(count, state) { return .rejected }
                state.queue.append((batch, continuation))
                state.queuedSpans += count
                if state.writing { return .queued }
                state.writing = true
                return .lead
            }
            switch decision {
            case .rejected:
                continuation.resume(throwing: overloaded)
            case .queued:
                break
            case .lead:
                Task { await self.drain(write) }
            }
        }
    }

    private func drain(_ write: @Sendable ([PreparedBatch]) async throws -> Void) async {
        while true {
            let batch = state.withLock { state in
                let batch = state.queue
                state.queue = []
                return batch
            }
            if batch.isEmpty {
                let waiters: [CheckedContinuation<Void, Never>]? = state.withLock { state in
                    if !state.queue.isEmpty { return nil }
                    state.writing = false
                    defer { state.idleWaiters = [] }
                    return state.idleWaiters
                }
                guard let waiters else { continue }
                waiters.forEach { $0.resume() }
                return
            }
            let result: Result<Void, any Error>
            do {
                try await write(batch.map(\.batch))
                result = .success(())
            } catch {
                result = .failure(error)
            }
            let count = batch.reduce(0) { $0 + $1.batch.spans.count }
            state.withLock { $0.queuedSpans -= count }
            for item in batch { item.continuation.resume(with: result) }
        }
    }

    func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state in
                if !state.writing { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}

struct NameKey: Hashable {
    var kind: Int
    var service: String
    var value: String
}
