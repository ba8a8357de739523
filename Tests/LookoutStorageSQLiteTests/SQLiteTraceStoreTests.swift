import Foundation
import GRDB
import Logging
import LookoutModel
import LookoutStorage
@testable import LookoutStorageSQLite
import LookoutTestSupport
import Testing

/// Temp-file databases, one per store, removed when the test process ends.
enum TempStores {
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lookout-sqlite-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static func path() -> String {
        directory.appendingPathComponent("\(UUID().uuidString).sqlite").path
    }

    static let logger: Logger = {
        var logger = Logger(label: "lookout.test")
        logger.logLevel = .warning
        return logger
    }()

    static let factory: TraceStoreFactory = { options in
        try SQLiteTraceStore(path: path(), options: options, logger: logger)
    }

    /// Flushes the in-memory index to a segment at every write, so searches read segments and
    /// compaction runs, instead of only the memtable.
    static let flushingPolicy = SQLiteTraceStore.IndexPolicy(flushPairs: 1, flushAge: .zero)

    static let flushingFactory: TraceStoreFactory = { options in
        try SQLiteTraceStore(path: path(), options: options, maxQueuedSpans: 200_000, indexPolicy: flushingPolicy, logger: logger)
    }
}

@Suite(.timeLimit(.minutes(2)))
struct SQLiteTraceStoreConformanceTests {
    @Test(arguments: TraceStoreConformance.allCases)
    func conformance(_ conformanceCase: TraceStoreConformanceCase) async throws {
        try await conformanceCase.run(TempStores.factory)
    }
}

@Suite(.timeLimit(.minutes(2)))
struct ShardedSQLiteTraceStoreConformanceTests {
    /// Three shards, so traces of one case land on different shards and results are merged.
    @Test(arguments: TraceStoreConformance.allCases)
    func conformanceSharded(_ conformanceCase: TraceStoreConformanceCase) async throws {
        try await conformanceCase.run { options in
            var shards: [any TraceStore] = []
            for _ in 0..<3 { shards.append(try await TempStores.factory(options)) }
            return ShardedTraceStore(shards: shards)
        }
    }
}

@Suite(.timeLimit(.minutes(2)))
struct SQLiteTraceStoreSegmentConformanceTests {
    @Test(arguments: TraceStoreConformance.allCases)
    func conformanceWithSegments(_ conformanceCase: TraceStoreConformanceCase) async throws {
        try await conformanceCase.run(TempStores.flushingFactory)
    }
}

@Suite(.timeLimit(.minutes(2)))
struct SQLiteTraceStoreTests {
    func errorSearch(today: Int64) throws -> TraceQuery {
        try TraceQuery(serviceName: "backend", annotationQuery: AnnotationQuery(["error": ""]),
                       endTs: today + Fixtures.day, lookback: 2 * Fixtures.day, limit: 1000)
    }

    @Test func searchIndexIsRebuiltAfterARestart() async throws {
        let path = TempStores.path()
        let traces = (0..<5).map { _ in Fixtures.newTrace() }
        do {
            // Flush only the first writes, so the restart must rebuild the rest from spans.
            let store = try SQLiteTraceStore(path: path, options: TraceStoreOptions(), maxQueuedSpans: 1000,
                                             indexPolicy: .init(flushPairs: 1, flushAge: .zero), logger: TempStores.logger)
            for trace in traces.prefix(3) { try await store.accept(trace) }
            try await store.close()
        }
        do {
            let store = try SQLiteTraceStore(path: path, options: TraceStoreOptions(), maxQueuedSpans: 1000,
                                             indexPolicy: .init(flushPairs: .max, flushAge: .seconds(3600)), logger: TempStores.logger)
            for trace in traces.suffix(2) { try await store.accept(trace) }
            try await store.close()
        }
        let reopened = try SQLiteTraceStore(path: path, logger: TempStores.logger)
        let found = try await reopened.traces(matching: try errorSearch(today: Fixtures.today))
        #expect(Set(found.map { $0[0].traceID }) == Set(traces.map { $0[0].traceID }))
    }

    @Test func compactionKeepsEveryTraceFindable() async throws {
        let store = try SQLiteTraceStore(path: TempStores.path(), options: TraceStoreOptions(), maxQueuedSpans: 1000,
                                         indexPolicy: TempStores.flushingPolicy, logger: TempStores.logger)
        let traces = (0..<40).map { _ in Fixtures.newTrace() }
        for trace in traces { try await store.accept(trace) }
        // Let background merges finish, then check the segments were merged.
        await store.waitForCompaction()
        let segments = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT level, count(*) FROM term_segments WHERE visible = 1 GROUP BY level ORDER BY level")
                .map { "L\($0[0] as Int):\($0[1] as Int)" }
        }
        #expect(segments.contains { !$0.hasPrefix("L0") }, "merged segments exist: \(segments)")
        #expect(try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM term_segments WHERE level = 0") } ?? 99 < TermSegments.fanIn)
        let found = try await store.traces(matching: try errorSearch(today: Fixtures.today))
        #expect(Set(found.map { $0[0].traceID }) == Set(traces.map { $0[0].traceID }))
        let one = try TraceQuery(annotationQuery: AnnotationQuery(["clnt/finagle.version": "6.45.0"]),
                                 endTs: Fixtures.today + Fixtures.day, lookback: 2 * Fixtures.day, limit: 1000)
        #expect(try await store.traces(matching: one).count == traces.count)
    }

    @Test func acknowledgedSpansSurviveReopening() async throws {
        let path = TempStores.path()
        let trace = Fixtures.newTrace()
        do {
            let store = try SQLiteTraceStore(path: path, logger: TempStores.logger)
            try await store.accept(trace)
            try await store.close()
        }
        let reopened = try SQLiteTraceStore(path: path, logger: TempStores.logger)
        #expect(Fixtures.sorted(try await reopened.trace(id: trace[0].traceID)) == Fixtures.sorted(trace))
        #expect(try await reopened.serviceNames() == ["backend", "frontend"])
    }

    @Test func concurrentBatchesAreAllStored() async throws {
        let store = try SQLiteTraceStore(path: TempStores.path(), logger: TempStores.logger)
        let traces = (0..<50).map { _ in Fixtures.newTrace() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for trace in traces { group.addTask { try await store.accept(trace) } }
            try await group.waitForAll()
        }
        for trace in traces {
            #expect(try await store.trace(id: trace[0].traceID).count == 4)
        }
    }

    @Test func refusesWritesQueuedBeyondTheLimit() async throws {
        let committer = GroupCommitter(maxQueuedSpans: 5)
        let span = Fixtures.newClientSpan()
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
        let blockingWrite: @Sendable ([PreparedBatch]) async throws -> Void = { _ in
            startedContinuation.yield()
            for await _ in release { break }
        }
        async let first: Void = committer.submit(PreparedBatch(Array(repeating: span, count: 4), autocompleteKeys: []), write: blockingWrite)
        for await _ in started { break }
        // Four spans are being written; two more would exceed five.
        await #expect(throws: StorageError.self) {
            try await committer.submit(PreparedBatch([span, span], autocompleteKeys: []), write: blockingWrite)
        }
        releaseContinuation.yield()
        releaseContinuation.finish()
        try await first
        try await committer.submit(PreparedBatch([span, span], autocompleteKeys: []), write: { _ in })
    }

    @Test func compactionMakesProgressAtTheSizeCap() async throws {
        let store = try SQLiteTraceStore(path: TempStores.path(), logger: TempStores.logger)
        // Eight level-0 segments whose first alone is at the cap: it moves up unchanged, then the
        // rest, which fit, are merged.
        let sizes: [Int64] = [TermSegments.maxMergedPairs] + Array(repeating: 10, count: TermSegments.fanIn)
        try await store.pool.write { db in
            for size in sizes {
                let id = try TermSegments.newSegment(db, level: 0, minTs: 1, maxTs: 2, lastSpan: 0, writtenAt: 0)
                try db.execute(sql: "UPDATE term_segments SET visible = 1, pairs = ? WHERE id = ?", arguments: [size, id])
            }
        }
        let first = try await store.pool.read { db in try TermSegments.nextStep(db) }
        guard case .promote = first else { Issue.record("expected a promotion, got \(String(describing: first))"); return }
        try await TermSegments.run(first!, pool: store.pool)
        let second = try await store.pool.read { db in try TermSegments.nextStep(db) }
        guard case .merge(let level, let segments) = second else { Issue.record("expected a merge"); return }
        #expect(level == 0 && segments.count == TermSegments.fanIn)
    }

    @Test func retentionDeletesOldTracesAndTheirIndexEntries() async throws {
        let store = try SQLiteTraceStore(path: TempStores.path(), options: TraceStoreOptions(), maxQueuedSpans: 1000,
                                         indexPolicy: TempStores.flushingPolicy, logger: TempStores.logger)
        let today = Fixtures.today
        let old = Fixtures.newTrace(today: today - 10 * Fixtures.day)
        let recent = Fixtures.newTrace(today: today)
        try await store.accept(old)
        try await store.accept(recent)
        let deleted = try await store.deleteTraces(before: (today - 5 * Fixtures.day) * 1000)
        #expect(deleted == old.count)
        #expect(try await store.trace(id: old[0].traceID).isEmpty)
        #expect(try await store.trace(id: recent[0].traceID).count == recent.count)
        let wide = try TraceQuery(serviceName: "backend", annotationQuery: AnnotationQuery(["error": ""]),
                                  endTs: today + Fixtures.day, lookback: 30 * Fixtures.day, limit: 10)
        #expect(try await store.traces(matching: wide).map { $0[0].traceID } == [recent[0].traceID])
        // The segment indexing only the old trace is gone with it.
        await store.waitForCompaction()
        let segments = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT min_ts, max_ts FROM term_segments WHERE visible = 1").map { ($0[0] as Int64?, $0[1] as Int64?) }
        }
        #expect(!segments.isEmpty)
        #expect(segments.allSatisfy { ($0.1 ?? Int64.max) >= (today - 5 * Fixtures.day) * 1000 - TermSegments.windowSlackMicros })
    }
}
