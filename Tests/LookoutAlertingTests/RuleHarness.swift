import Foundation
import Logging
@testable import LookoutAlerting
import LookoutModel
import LookoutQuery
import LookoutStorage
import LookoutStorageSQLite
import LookoutTSDB

/// A real engine over a temp directory, rule groups parsed from YAML, and a hand-driven clock:
/// each `evaluate(at:)` is one evaluation of every group at that time.
final class RuleHarness {
    let directory: String
    private(set) var tsdb: TSDB
    let engine: Engine
    private(set) var groups: [RuleGroup] = []
    var externalLabels: [String: String] = [:]
    var externalURL = "http://lookout.test"
    static let logger = Logger(label: "lookout.test.rules")
    private var keepDirectory = false

    init(rules yaml: String, directory: String? = nil) throws {
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("lookout-rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        tsdb = try Self.openTSDB(self.directory)
        engine = Engine(store: tsdb)
        try load(yaml)
    }

    static func openTSDB(_ directory: String) throws -> TSDB {
        var options = TSDBOptions()
        options.retentionMillis = Int64.max / 4
        options.outOfOrderWindowMillis = Int64.max / 4
        return try TSDB(store: try SQLiteChunkStore(path: directory + "/metrics.sqlite"), walDirectory: directory + "/wal",
                        options: options, logger: logger, clock: { 0 })
    }

    func load(_ yaml: String) throws {
        let file = try RuleFileParser().parse(yaml: yaml, path: "test.yml")
        groups = file.groups.map { RuleGroup(file: "test.yml", definition: $0, defaultInterval: 60_000, defaultQueryOffset: 0) }
    }

    /// Closes and reopens storage and rules, as a restart does; alert state is gone until restored.
    func restart(rules yaml: String) throws -> RuleHarness {
        tsdb.close()
        keepDirectory = true
        return try RuleHarness(rules: yaml, directory: directory)
    }

    func push(_ series: String, _ points: [(Int64, Double)]) async throws {
        var batch = MetricBatch()
        let (labels, _) = try SeriesNotation.seriesLine(series)
        batch.append(labels, points.map { MetricSample($0.0, $0.1) })
        let report = try await tsdb.append(batch, idempotencyKey: nil)
        precondition(report.rejected.isEmpty, "\(report.messages)")
    }

    @discardableResult
    func evaluate(at time: Int64, resendDelay: Int64 = 60_000) async -> [OutgoingAlert] {
        var sent: [OutgoingAlert] = []
        let context = RuleContext(engine: engine, externalLabels: externalLabels, externalURL: externalURL)
        for group in groups {
            sent += await group.evaluate(at: time, context: context, appender: tsdb, resendDelay: resendDelay,
                                         logger: Self.logger, clock: { 0 })
        }
        return sent
    }

    var alertingRules: [AlertingRule] { groups.flatMap(\.alertingRules) }

    func alerts(_ name: String) -> [Alert] {
        alertingRules.filter { $0.name == name }.flatMap(\.alerts)
    }

    func rule(_ name: String) -> (any Rule)? {
        groups.flatMap(\.rules).first { $0.name == name }
    }

    func query(_ expr: String, at time: Int64) async throws -> [(labels: Labels, value: Double)] {
        try await engine.instant(expr, at: time).ruleVector().sorted { $0.labels < $1.labels }
    }

    deinit {
        tsdb.close()
        if !keepDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }
}

let minute: Int64 = 60_000
