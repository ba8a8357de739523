import Foundation
import Logging
import LookoutModel
import LookoutQuery
import LookoutStorageSQLite
import LookoutTSDB
import Testing

/// Query bounds over real storage: too many samples, too many points, and a timeout all stop
/// the query with Prometheus' error, and the store stays usable.
@Suite(.timeLimit(.minutes(2))) struct EngineBoundsTests {
    static func withEngine(_ options: QueryOptions, _ body: (Engine) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lookout-bounds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "lookout.test")
        logger.logLevel = .critical
        var tsdbOptions = TSDBOptions()
        tsdbOptions.retentionMillis = Int64.max / 4
        let tsdb = try TSDB(store: try SQLiteChunkStore(path: directory + "/metrics.sqlite"), walDirectory: directory + "/wal",
                            options: tsdbOptions, logger: logger, clock: { 0 })
        var batch = MetricBatch()
        for host in 0..<20 {
            batch.append(Labels(["__name__": "load", "host": "\(host)"]), (0..<1000).map { MetricSample(Int64($0) * 15_000, Double($0)) })
        }
        _ = try await tsdb.append(batch, idempotencyKey: nil)
        try await body(Engine(store: tsdb, options: options))
        tsdb.close()
    }

    @Test func tooManySamplesStopsTheQuery() async throws {
        var options = QueryOptions()
        options.maxSamples = 5_000
        try await Self.withEngine(options) { engine in
            await #expect { _ = try await engine.instant("sum_over_time(load[4h])", at: 14_000_000) } throws: { error in
                (error as? PromQLError)?.kind == .execution && (error as? PromQLError)?.message.contains("too many samples") == true
            }
            // A small query still runs.
            guard case .vector(let result) = try await engine.instant("load{host=\"1\"}", at: 15_000) else {
                Issue.record("not a vector"); return
            }
            #expect(result.map(\.value) == [1])
        }
    }

    @Test func tooManyPointsAndBadStepsAreBadData() async throws {
        try await Self.withEngine(QueryOptions()) { engine in
            await #expect { _ = try await engine.range("load", start: 0, end: 20_000_000, step: 1000) } throws: { error in
                (error as? PromQLError)?.kind == .badData && (error as? PromQLError)?.message.contains("11000 points") == true
            }
            await #expect { _ = try await engine.range("load", start: 0, end: 1000, step: 0) } throws: { error in
                (error as? PromQLError)?.kind == .badData
            }
        }
    }

    @Test func aTimeoutCancelsTheQuery() async throws {
        var options = QueryOptions()
        options.timeout = .milliseconds(1)
        try await Self.withEngine(options) { engine in
            await #expect { _ = try await engine.range("sum(rate(load[1h])) by (host)", start: 0, end: 14_000_000, step: 2000) } throws: { error in
                (error as? PromQLError)?.kind == .timeout
            }
        }
    }
}
