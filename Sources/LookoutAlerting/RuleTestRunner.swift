import Foundation
import Logging
import LookoutModel
import LookoutQuery
import LookoutStorage

/// Storage for one test group: empty, writable, thrown away afterwards.
public struct RuleTestStorage: Sendable {
    public var store: any MetricStore
    public var appender: any MetricAppender
    public var close: @Sendable () -> Void

    public init(store: any MetricStore, appender: any MetricAppender, close: @escaping @Sendable () -> Void) {
        self.store = store
        self.appender = appender
        self.close = close
    }
}

/// `lookout rules test`: runs promtool-format rule unit tests. Each test group loads its input
/// series into fresh storage, evaluates the rules every `evaluation_interval` from the start up to
/// the last time a test asks about, and compares firing alerts and query results.
public struct RuleTestRunner: Sendable {
    public var makeStorage: @Sendable () throws -> RuleTestStorage
    /// Regular expressions; only test groups whose name matches one run (all when empty).
    public var run: [String] = []
    public var ignoreUnknownFields = false
    public var logger = Logger(label: "lookout.rules.test")

    public init(makeStorage: @escaping @Sendable () throws -> RuleTestStorage) {
        self.makeStorage = makeStorage
    }

    /// Runs one test file and writes the report through `output`; true when every test passed.
    public func test(file path: String, output: (String) -> Void) async -> Bool {
        output("Unit Testing:  \(path)")
        let file: RuleTestFile
        do {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                output("  FAILED:\n    cannot read \(path)")
                return false
            }
            file = try RuleTestFile.parse(text, path: path)
        } catch {
            output("  FAILED:\n    \(error)")
            return false
        }
        let directory = (path as NSString).deletingLastPathComponent
        var ruleFiles: [(String, RuleFile)] = []
        do {
            let patterns = file.ruleFiles.map { $0.hasPrefix("/") || directory.isEmpty ? $0 : directory + "/" + $0 }
            ruleFiles = try RuleFiles.load(patterns: patterns, parser: RuleFileParser(ignoreUnknownFields: ignoreUnknownFields))
        } catch {
            output("  FAILED:\n    \(error)")
            return false
        }
        let filters: [Regex<AnyRegexOutput>]
        do {
            filters = try run.map { try Regex($0) }
        } catch {
            output("  FAILED:\n    --run: \(error)")
            return false
        }
        var passed = true
        for test in file.tests {
            if !filters.isEmpty && !filters.contains(where: { test.name.firstMatch(of: $0) != nil }) { continue }
            let errors: [String]
            do {
                errors = try await runGroup(test, file: file, ruleFiles: ruleFiles)
            } catch {
                errors = ["\(error)"]
            }
            if !errors.isEmpty {
                passed = false
                output("  FAILED:")
                if !test.name.isEmpty { output("    test: \(test.name)") }
                for error in errors { output("    " + error.replacingOccurrences(of: "\n", with: "\n    ")) }
            }
        }
        if passed { output("  SUCCESS") }
        return passed
    }

    private func runGroup(_ test: RuleTestFile.TestGroup, file: RuleTestFile, ruleFiles: [(String, RuleFile)]) async throws -> [String] {
        if let unsupported = test.unsupported { return [unsupported] }
        let storage = try makeStorage()
        defer { storage.close() }
        let interval = test.interval ?? file.evaluationInterval

        var batch = MetricBatch()
        for series in test.series {
            var samples: [MetricSample] = []
            for (index, value) in series.values.enumerated() {
                if let value { samples.append(MetricSample(test.start + Int64(index) * interval, value)) }
            }
            if !samples.isEmpty { batch.append(series.labels, samples) }
        }
        if !batch.series.isEmpty {
            let report = try await storage.appender.append(batch, idempotencyKey: nil)
            if report.rejected.values.reduce(0, +) > 0 { return ["input series refused: \(report.messages.joined(separator: "; "))"] }
        }

        var groups: [RuleGroup] = []
        for (path, ruleFile) in ruleFiles {
            for definition in ruleFile.groups {
                groups.append(RuleGroup(file: path, definition: definition, defaultInterval: file.evaluationInterval, defaultQueryOffset: 0))
            }
        }
        if !file.groupEvalOrder.isEmpty {
            let order = Dictionary(file.groupEvalOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            groups = groups.enumerated().sorted { (order[$0.element.name] ?? Int.max, $0.offset) < (order[$1.element.name] ?? Int.max, $1.offset) }.map(\.element)
        }

        var options = QueryOptions()
        options.timeout = .seconds(60)
        let engine = Engine(store: storage.store, options: options)
        let context = RuleContext(engine: engine, externalLabels: test.externalLabels, externalURL: test.externalURL)
        let lastTime = (test.alertTests.map(\.evalTime) + test.exprTests.map(\.evalTime)).max() ?? 0

        var errors: [String] = []
        var gotAlerts: [Int: [Alert]] = [:]
        let alertTests = test.alertTests.enumerated().sorted { $0.element.evalTime < $1.element.evalTime }
        var nextAlertTest = 0
        var time = test.start
        while time <= test.start + lastTime {
            for group in groups where (time - test.start) % group.interval == 0 {
                _ = await group.evaluate(at: time, context: context, appender: storage.appender, resendDelay: 60_000,
                                         logger: logger, clock: { 0 })
                for rule in group.rules where rule.status.health == .err {
                    errors.append("    group \(group.name), rule \(rule.name), time \(PrometheusDuration.format(milliseconds: time - test.start)): \(rule.status.lastError ?? "")")
                }
            }
            if !errors.isEmpty { return errors }
            // Alert tests between this evaluation and the next see this evaluation's state.
            while nextAlertTest < alertTests.count, alertTests[nextAlertTest].element.evalTime < time - test.start + file.evaluationInterval {
                let (index, alertTest) = alertTests[nextAlertTest]
                gotAlerts[index] = groups.flatMap(\.alertingRules).filter { $0.name == alertTest.alertname }
                    .flatMap(\.alerts).filter { $0.state == .firing }
                nextAlertTest += 1
            }
            time += file.evaluationInterval
        }

        for (index, alertTest) in test.alertTests.enumerated() {
            let got = (gotAlerts[index] ?? []).map { alert in
                (labels: alert.labels, annotations: alert.annotations)
            }.sorted { $0.labels < $1.labels }
            let expected = alertTest.expected.map { expected in
                (labels: applying(["alertname": alertTest.alertname], to: Labels(expected.labels)), annotations: Labels(expected.annotations))
            }.sorted { $0.labels < $1.labels }
            let matches = got.count == expected.count && zip(got, expected).allSatisfy { $0.labels == $1.labels && $0.annotations == $1.annotations }
            if !matches {
                func show(_ alerts: [(labels: Labels, annotations: Labels)]) -> String {
                    "[" + alerts.enumerated().map { "\n            \($0.offset)) labels: \($0.element.labels), annotations: \($0.element.annotations)" }.joined() + "\n        ]"
                }
                errors.append("alertname: \(alertTest.alertname), time: \(PrometheusDuration.format(milliseconds: alertTest.evalTime)),\n"
                    + "    exp: \(show(expected)),\n    got: \(show(got))")
            }
        }

        for exprTest in test.exprTests {
            let location = "expr: \"\(exprTest.expr)\", time: \(PrometheusDuration.format(milliseconds: exprTest.evalTime))"
            let result: QueryResult
            do {
                result = try await engine.instant(exprTest.expr, at: test.start + exprTest.evalTime)
            } catch {
                errors.append("\(location), err: \(RuleGroup.message(error))")
                continue
            }
            let got: [(labels: Labels, value: Double)]
            do {
                got = try result.ruleVector().sorted { $0.labels < $1.labels }
            } catch {
                errors.append("\(location), err: \(error)")
                continue
            }
            let expected = exprTest.expected.sorted { $0.labels < $1.labels }
            let matches = got.count == expected.count && zip(got, expected).allSatisfy {
                $0.labels == $1.labels && Self.equal($0.value, $1.value, fuzzy: file.fuzzyCompare)
            }
            if !matches {
                func show(_ samples: [(Labels, Double)]) -> String {
                    samples.isEmpty ? "\n        (none)" : samples.map { "\n        \($0.0) \(PromQLNumber.format($0.1))" }.joined()
                }
                errors.append("\(location),\n    exp:\(show(expected.map { ($0.labels, $0.value) }))\n    got:\(show(got.map { ($0.labels, $0.value) }))")
            }
        }
        return errors
    }

    /// Exact, or with `fuzzy_compare` within the last bits of the mantissa.
    static func equal(_ a: Double, _ b: Double, fuzzy: Bool) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        guard fuzzy, a.isFinite, b.isFinite else { return false }
        return abs(a - b) / min(abs(a) + abs(b), Double.greatestFiniteMagnitude) < 1e-16
    }
}
