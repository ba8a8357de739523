import Foundation
import Logging
import LookoutModel
import LookoutStorage
import LookoutStorageSQLite
@testable import LookoutTSDB
import Synchronization
import Testing

/// A data directory of its own per test: a real SQLite file and a real log directory, and a
/// clock the test moves.
final class Engine: Sendable {
    let directory: String
    let now: Mutex<Int64>

    init(now: Int64 = 1_800_000_000_000) {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lookout-tsdb-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.now = Mutex(now)
    }

    static let logger: Logger = {
        var logger = Logger(label: "lookout.test")
        logger.logLevel = .critical
        return logger
    }()

    func open(_ options: TSDBOptions = TSDBOptions()) throws -> TSDB {
        try TSDB(store: try SQLiteChunkStore(path: directory + "/metrics.sqlite"), walDirectory: directory + "/wal",
                 options: options, logger: Engine.logger, clock: { [self] in now.withLock { $0 } })
    }

    func advance(by millis: Int64) { now.withLock { $0 += millis } }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

func batch(_ entries: [(Labels, [MetricSample])]) -> MetricBatch {
    var batch = MetricBatch()
    for (labels, samples) in entries { batch.append(labels, samples) }
    return batch
}

let base: Int64 = 1_800_000_000_000 - 3_600_000
func series(_ name: String, _ extra: [String: String] = [:]) -> Labels {
    Labels(extra.merging(["__name__": name]) { a, _ in a })
}
func matchers(_ name: String) -> [LabelMatcher] { [try! LabelMatcher("__name__", .equal, name)] }

@Suite(.timeLimit(.minutes(2))) struct TSDBTests {
    @Test func samplesRoundTripThroughHeadQueueAndStore() async throws {
        let engine = Engine()
        defer { engine.remove() }
        let tsdb = try engine.open()
        let values: [Double] = (0..<500).map { $0 % 7 == 0 ? StaleMarker.value : Double($0) * 1.5 }
        let samples = values.enumerated().map { MetricSample(base + Int64($0.offset) * 15_000, $0.element) }
        let report = try await tsdb.append(batch([(series("cpu", ["host": "a"]), samples)]), idempotencyKey: nil)
        #expect(report.accepted == 500 && report.newSeries == 1 && report.rejectedTotal == 0)
        // Before a flush: four closed chunks queue in memory, one is open.
        #expect(try await tsdb.select(matchers("cpu"), from: .min, through: .max).first?.samples == samples)
        try tsdb.flush()
        #expect(tsdb.statistics().pendingChunks == 0)
        let read = try await tsdb.select(matchers("cpu"), from: base + 15_000, through: base + 30_000)
        #expect(read.first?.samples == Array(samples[1...2]))
        tsdb.close()
    }

    @Test func lateDuplicateAndConflictingSamples() async throws {
        let engine = Engine()
        defer { engine.remove() }
        var options = TSDBOptions()
        options.outOfOrderWindowMillis = 600_000
        let tsdb = try engine.open(options)
        let labels = series("temp")
        _ = try await tsdb.append(batch([(labels, [MetricSample(base, 1), MetricSample(base + 1_000_000, 2)])]), idempotencyKey: nil)
        let report = try await tsdb.append(batch([(labels, [
            MetricSample(base + 1_000_000, 2),     // exact duplicate: ignored
            MetricSample(base + 1_000_000, 3),     // same time, other value: refused
            MetricSample(base + 900_000, 4),       // late, within the window: stored
            MetricSample(base + 100_000, 5),       // late beyond the window: refused
            MetricSample(base + 900_000, 4),       // duplicate of a late one
        ])]), idempotencyKey: nil)
        #expect(report.accepted == 1)
        #expect(report.duplicatesIgnored == 2)
        #expect(report.rejected == [.duplicateTimestamp: 1, .outOfOrder: 1])
        #expect(report.messages.contains { $0.firstRange(of: "temp") != nil && $0.firstRange(of: "600s") != nil })
        let read = try await tsdb.select(matchers("temp"), from: .min, through: .max)
        #expect(read.first?.samples == [MetricSample(base, 1), MetricSample(base + 900_000, 4), MetricSample(base + 1_000_000, 2)])
        tsdb.close()
    }

    @Test func recentChunksServeQueriesAndLateChunksStillCount() async throws {
        let engine = Engine()
        defer { engine.remove() }
        var options = TSDBOptions()
        options.outOfOrderWindowMillis = 3_600_000
        let tsdb = try engine.open(options)
        let labels = series("load")
        let inOrder = (0...360).map { MetricSample(base + Int64($0) * 15_000, Double($0)) }
        _ = try await tsdb.append(batch([(labels, inOrder)]), idempotencyKey: nil)
        try tsdb.flush()
        // Served from the newest stored chunk kept in memory.
        let recent = try await tsdb.select(matchers("load"), from: base + 250 * 15_000, through: .max)
        #expect(recent.first?.samples == Array(inOrder[250...]))
        // 120 late samples inside that chunk's range become a late chunk in the store, which
        // queries reaching back to them must read.
        let late = (240..<360).map { MetricSample(base + Int64($0) * 15_000 + 7_500, -Double($0)) }
        #expect(try await tsdb.append(batch([(labels, late)]), idempotencyKey: nil).accepted == 120)
        try tsdb.flush()
        let expected = (inOrder + late).sorted { $0.timestamp < $1.timestamp }
        for from in [base + 300 * 15_000, base + 200 * 15_000, base + 100 * 15_000, Int64.min] {
            let read = try await tsdb.select(matchers("load"), from: from, through: .max)
            #expect(read.first?.samples == expected.filter { $0.timestamp >= from })
        }
        tsdb.close()
        // After a restart the first answers come from the store, which hands the series its
        // newest chunk back; the answers stay the same.
        let reopened = try engine.open(options)
        func recentStart() -> Int64? {
            reopened.index.withLock { $0.byRef.values.first?.data.withLock { $0.recent?.minTime } }
        }
        #expect(recentStart() == nil)
        for from in [base + 300 * 15_000, base + 200 * 15_000, base + 250 * 15_000, base + 300 * 15_000] {
            let read = try await reopened.select(matchers("load"), from: from, through: .max)
            #expect(read.first?.samples == expected.filter { $0.timestamp >= from })
        }
        #expect(recentStart() == base + 240 * 15_000)
        reopened.close()
    }

    @Test func restartRecoversHeadLogAndStore() async throws {
        let engine = Engine()
        defer { engine.remove() }
        var expected: [Labels: [MetricSample]] = [:]
        do {
            let tsdb = try engine.open()
            for step in 0..<300 {
                var entries: [(Labels, [MetricSample])] = []
                for host in 0..<20 {
                    let labels = series("load", ["host": "h\(host)"])
                    let sample = MetricSample(base + Int64(step) * 10_000, Double(step * host))
                    expected[labels, default: []].append(sample)
                    entries.append((labels, [sample]))
                }
                _ = try await tsdb.append(batch(entries), idempotencyKey: step == 7 ? "batch-7" : nil)
                // Part of the data reaches the store, the rest stays in memory and the log.
                if step == 150 { try tsdb.flush() }
            }
            // A late sample lives in the late buffer.
            let late = MetricSample(base + 299 * 10_000 - 5_000, 42)
            _ = try await tsdb.append(batch([(series("load", ["host": "h0"]), [late])]), idempotencyKey: nil)
            expected[series("load", ["host": "h0"]), default: []].append(late)
            tsdb.closeWithoutFlushing()
        }
        let reopened = try engine.open()
        let read = try await reopened.select(matchers("load"), from: .min, through: .max)
        #expect(read.count == 20)
        for entry in read {
            #expect(entry.samples == expected[entry.labels]!.sorted { $0.timestamp < $1.timestamp })
        }
        // The idempotency key survived the restart.
        let again = try await reopened.append(batch([(series("load", ["host": "h0"]), [MetricSample(base, 999)])]), idempotencyKey: "batch-7")
        #expect(again.alreadyApplied)
        // A second restart after a flush still has everything exactly once.
        try reopened.flush()
        reopened.close()
        let third = try engine.open()
        let final = try await third.select(matchers("load"), from: .min, through: .max)
        let total: Int = final.map(\.samples.count).reduce(0, +)
        #expect(total == 6001)
        third.close()
    }

    @Test func aTornLogTailLosesOnlyTheTornEntry() async throws {
        let engine = Engine()
        defer { engine.remove() }
        do {
            let tsdb = try engine.open()
            _ = try await tsdb.append(batch([(series("a"), [MetricSample(base, 1)])]), idempotencyKey: nil)
            _ = try await tsdb.append(batch([(series("a"), [MetricSample(base + 1000, 2)])]), idempotencyKey: nil)
            tsdb.closeWithoutFlushing()
        }
        let segments = try FileManager.default.contentsOfDirectory(atPath: engine.directory + "/wal").sorted()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: engine.directory + "/wal/" + segments.last!))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([200, 0, 0, 0, 1, 2, 3]))  // a torn entry: length, no body
        try handle.close()
        let reopened = try engine.open()
        #expect(try await reopened.select(matchers("a"), from: .min, through: .max).first?.samples.count == 2)
        reopened.close()
    }

    @Test func limitsRefuseOnlyTheOffendingSeries() async throws {
        let engine = Engine()
        defer { engine.remove() }
        var options = TSDBOptions()
        options.maxSeries = 3
        options.maxSeriesPerMetric = 2
        options.maxLabelsPerSeries = 3
        options.maxLabelValueLength = 10
        let tsdb = try engine.open(options)
        let sample = [MetricSample(base, 1)]
        let report = try await tsdb.append(batch([
            (series("a", ["i": "1"]), sample),
            (series("a", ["i": "2"]), sample),
            (series("a", ["i": "3"]), sample),                                  // third series of metric a
            (series("b", ["x": "1", "y": "2", "z": "3"]), sample),              // four labels
            (series("c", ["v": String(repeating: "x", count: 11)]), sample),    // value too long
            (series("d"), sample),
            (series("e"), sample),                                              // fourth series overall
        ]), idempotencyKey: nil)
        #expect(report.accepted == 3)
        #expect(report.rejected == [.seriesPerMetricLimit: 1, .tooManyLabels: 1, .labelTooLong: 1, .seriesLimit: 1])
        #expect(report.messages.contains { $0.firstRange(of: #"i="3""#) != nil })
        #expect(try await tsdb.series([], from: .min, through: .max).count == 3)
        tsdb.close()
    }

    @Test func retentionDropsOldChunksAndIdleSeries() async throws {
        let engine = Engine()
        defer { engine.remove() }
        var options = TSDBOptions()
        options.retentionMillis = 86_400_000
        let tsdb = try engine.open(options)
        let old = (0..<240).map { MetricSample(base + Int64($0) * 60_000, Double($0)) }
        _ = try await tsdb.append(batch([(series("old"), old), (series("kept"), old)]), idempotencyKey: nil)
        try tsdb.flush()
        engine.advance(by: 86_400_000 + 3 * 3_600_000)
        let fresh = [MetricSample(base + 86_400_000 + 3_600_000, 7)]
        _ = try await tsdb.append(batch([(series("kept"), fresh)]), idempotencyKey: nil)
        try tsdb.applyRetention()
        #expect(try await tsdb.select(matchers("old"), from: .min, through: .max).isEmpty)
        #expect(try await tsdb.series([matchers("old")], from: .min, through: .max).isEmpty)
        #expect(try await tsdb.select(matchers("kept"), from: .min, through: .max).first?.samples == fresh)
        // Samples older than retention are refused outright.
        let refused = try await tsdb.append(batch([(series("kept"), [MetricSample(base, 1)])]), idempotencyKey: nil)
        #expect(refused.rejected == [.tooOld: 1])
        tsdb.close()
    }

    @Test func selectorsUseEveryMatcherKind() async throws {
        let engine = Engine()
        defer { engine.remove() }
        let tsdb = try engine.open()
        var entries: [(Labels, [MetricSample])] = []
        for mode in ["idle", "user", "system"] {
            for cpu in 0..<2 { entries.append((series("node_cpu_seconds_total", ["mode": mode, "cpu": "\(cpu)"]), [MetricSample(base, 1)])) }
        }
        entries.append((series("up", ["job": "node"]), [MetricSample(base, 1)]))
        _ = try await tsdb.append(batch(entries), idempotencyKey: nil)
        let cpu = try LabelMatcher("__name__", .equal, "node_cpu_seconds_total")
        #expect(try await tsdb.series([[cpu, LabelMatcher("mode", .notEqual, "idle")]], from: .min, through: .max).count == 4)
        #expect(try await tsdb.series([[cpu, LabelMatcher("mode", .regexMatch, "us.*|sys.*")]], from: .min, through: .max).count == 4)
        #expect(try await tsdb.series([[cpu, LabelMatcher("mode", .regexNoMatch, "idle|user")]], from: .min, through: .max).count == 2)
        #expect(try await tsdb.series([[LabelMatcher("job", .equal, "node")]], from: .min, through: .max) == [series("up", ["job": "node"])])
        #expect(try await tsdb.series([[cpu, LabelMatcher("job", .equal, "")]], from: .min, through: .max).count == 6)
        #expect(try await tsdb.labelNames([], from: .min, through: .max) == ["__name__", "cpu", "job", "mode"])
        #expect(try await tsdb.labelValues("mode", [[cpu, LabelMatcher("cpu", .equal, "1")]], from: .min, through: .max) == ["idle", "system", "user"])
        // Outside the data's time range nothing matches.
        #expect(try await tsdb.series([[cpu]], from: base + 1, through: .max).isEmpty)
        tsdb.close()
    }

    @Test func concurrentAppendsKeepEverySample() async throws {
        let engine = Engine()
        defer { engine.remove() }
        let tsdb = try engine.open()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for step in 0..<100 {
                        var entries: [(Labels, [MetricSample])] = []
                        for host in 0..<10 {
                            // Writers share series but own distinct timestamps.
                            entries.append((series("m", ["host": "\(host)"]), [MetricSample(base + Int64(step * 8 + writer) * 1000, 1)]))
                        }
                        _ = try await tsdb.append(batch(entries), idempotencyKey: nil)
                    }
                }
            }
            try await group.waitForAll()
        }
        let read = try await tsdb.select(matchers("m"), from: .min, through: .max)
        #expect(read.count == 10)
        #expect(read.allSatisfy { $0.samples.count == 800 })
        tsdb.close()
    }
}
