import Foundation
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
}

@Suite(.timeLimit(.minutes(2)))
struct SQLiteTraceStoreConformanceTests {
    @Test(arguments: TraceStoreConformance.allCases)
    func conformance(_ conformanceCase: TraceStoreConformanceCase) async throws {
        try await conformanceCase.run(TempStores.factory)
    }
}

@Suite(.timeLimit(.minutes(2)))
struct SQLiteTraceStoreTests {
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

    @Test func retentionDeletesOldTracesAndTheirIndexEntries() async throws {
        let store = try SQLiteTraceStore(path: TempStores.path(), logger: TempStores.logger)
        let today = Fixtures.today
        let old = Fixtures.newTrace(today: today - 10 * Fixtures.day)
        let recent = Fixtures.newTrace(today: today)
        try await store.accept(old + recent)
        let deleted = try await store.deleteTraces(before: (today - 5 * Fixtures.day) * 1000)
        #expect(deleted == old.count)
        #expect(try await store.trace(id: old[0].traceID).isEmpty)
        #expect(try await store.trace(id: recent[0].traceID).count == recent.count)
        let wide = try TraceQuery(serviceName: "backend", annotationQuery: AnnotationQuery(["error": ""]),
                                  endTs: today + Fixtures.day, lookback: 30 * Fixtures.day, limit: 10)
        #expect(try await store.traces(matching: wide).map { $0[0].traceID } == [recent[0].traceID])
    }
}
