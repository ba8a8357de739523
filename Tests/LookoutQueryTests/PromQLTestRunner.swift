import Foundation
import Logging
import LookoutModel
import LookoutQuery
import LookoutStorageSQLite
import LookoutTSDB

/// Runs Prometheus' `.test` scripts (load / clear / eval instant / eval range, with expected
/// results in series notation) against a real engine over real storage: each `load` goes
/// through the TSDB into a temp-file SQLite store.
final class PromQLTestRunner {
    struct Outcome {
        var passed = 0
        var failed: [String] = []
        /// Cases left out of scope: experimental functions or native histograms.
        var skipped = 0
        var total: Int { passed + failed.count }
    }

    /// Functions and features Prometheus marks experimental (promql/parser/functions.go), and
    /// the native-histogram functions.
    static let outOfScope = ["limitk", "limit_ratio", "mad_over_time", "ts_of_", "sort_by_label", "double_exponential_smoothing",
                             "histogram_count", "histogram_sum", "histogram_avg", "histogram_stddev", "histogram_stdvar",
                             "histogram_fraction", "histogram_quantiles", "info(", "start_timestamp", "anchored", "smoothed",
                             "fill(", "fill_left", "fill_right", "step()", "range()", "start()", "end()", "min_of", "max_of"]

    /// Names of series loaded with native-histogram samples in the current storage.
    private var nativeSeries = Set<String>()

    private var directory: String = ""
    private var tsdb: TSDB?
    private var engine: Engine?
    private var outcome = Outcome()
    private static let logger: Logger = {
        var logger = Logger(label: "lookout.test")
        logger.logLevel = .critical
        return logger
    }()

    deinit { reset() }

    private func reset() {
        nativeSeries.removeAll()
        tsdb?.close()
        tsdb = nil
        if !directory.isEmpty { try? FileManager.default.removeItem(atPath: directory) }
        directory = ""
    }

    private func storage() throws -> (TSDB, Engine) {
        if let tsdb, let engine { return (tsdb, engine) }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lookout-promql-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var options = TSDBOptions()
        options.retentionMillis = Int64.max / 4
        options.outOfOrderWindowMillis = Int64.max / 4
        let store = try SQLiteChunkStore(path: directory + "/metrics.sqlite")
        let tsdb = try TSDB(store: store, walDirectory: directory + "/wal", options: options, logger: Self.logger, clock: { 0 })
        var queryOptions = QueryOptions()
        queryOptions.maxSamples = 10_000_000
        let engine = Engine(store: tsdb, options: queryOptions)
        self.tsdb = tsdb
        self.engine = engine
        return (tsdb, engine)
    }

    func run(_ text: String, file: String) async throws -> Outcome {
        outcome = Outcome()
        let lines = text.replacingOccurrences(of: "\t", with: " ").components(separatedBy: "\n")
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            index += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            var block: [String] = []
            while index < lines.count {
                let next = lines[index].trimmingCharacters(in: .whitespaces)
                // A blank line or the next command ends a block.
                if next.isEmpty || next == "clear" || next.hasPrefix("load") || next.hasPrefix("eval") { break }
                index += 1
                if !next.hasPrefix("#") { block.append(next) }
            }
            let location = "\(file):\(index - block.count)"
            if line == "clear" {
                reset()
            } else if line.hasPrefix("load") {
                try await load(line, block)
            } else if line.hasPrefix("eval") {
                await evaluate(line, block, location: location)
            }
        }
        reset()
        return outcome
    }

    // MARK: - load

    private func load(_ line: String, _ block: [String]) async throws {
        let parts = line.split(separator: " ")
        guard parts.count >= 2, let interval = SeriesNotation.duration(String(parts[1])) else { return }
        var bySeries: [Labels: [Int64: Double]] = [:]
        var seriesOrder: [Labels] = []
        let convertsClassic = line.hasPrefix("load_with_nhcb")
        for entry in block {
            let name = String(entry.prefix { $0 != "{" && $0 != " " })
            if entry.contains("{{") { nativeSeries.insert(name) }
            if convertsClassic {
                for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) { nativeSeries.insert(String(name.dropLast(suffix.count))) }
            }
            guard let (labels, points) = try? SeriesNotation.seriesLine(entry) else { continue }
            if bySeries[labels] == nil { seriesOrder.append(labels) }
            for (offset, value) in points.enumerated() {
                if let value { bySeries[labels, default: [:]][Int64(offset) * interval] = value }
            }
        }
        var batch = MetricBatch()
        for labels in seriesOrder {
            batch.append(labels, (bySeries[labels] ?? [:]).sorted { $0.key < $1.key }.map { MetricSample($0.key, $0.value) })
        }
        _ = try await storage().0.append(batch, idempotencyKey: nil)
    }

    // MARK: - eval

    private func evaluate(_ line: String, _ block: [String], location: String) async {
        let failOnPurpose = line.hasPrefix("eval_fail") || block.contains { $0.hasPrefix("expect fail") || $0.hasPrefix("expected_fail") }
        let ordered = line.hasPrefix("eval_ordered") || block.contains { $0.hasPrefix("expect ordered") }
        let expectations = block.filter { !$0.hasPrefix("expect") && !$0.hasPrefix("expected_") }
        let expectString = block.first { $0.hasPrefix("expect string") }
        let query = line.split(separator: " ", omittingEmptySubsequences: true)
        // Native histograms are out of scope: a case touches them when its expectation holds one,
        // or its expression names (or matches by regex) a series loaded with them.
        let nameRegexes = line.matches(of: /__name__=~"([^"]*)"/).compactMap { try? Regex("^(?:" + String($0.1) + ")$") }
        let usesNative = block.contains { $0.contains("{{") } || nativeSeries.contains { name in
            line.firstMatch(of: try! Regex("\\b" + name + "\\b")) != nil
                || nameRegexes.contains { (try? $0.wholeMatch(in: name)) != nil }
        }
        if usesNative || Self.outOfScope.contains(where: { line.firstRange(of: $0) != nil }) || query.isEmpty {
            outcome.skipped += 1
            return
        }
        do {
            let engine = try storage().1
            if let match = line.firstMatch(of: /^eval(?:_\w+)?\s+instant\s+at\s+(\S+)\s+(.+)$/) {
                guard let time = SeriesNotation.duration(String(match.1)) else { return record(false, location, "bad time") }
                let result: QueryResult
                do {
                    result = try await engine.instant(String(match.2), at: time)
                } catch {
                    return record(failOnPurpose, location, "\(match.2): \(error)")
                }
                if failOnPurpose { return record(false, location, "\(match.2): expected a failure, got \(result)") }
                let directive = block.first { $0.hasPrefix("expect range vector") }
                let passed = try compareInstant(result, expectations, expectString: expectString, ordered: ordered, rangeDirective: directive)
                record(passed, location, "\(match.2): got \(result)")
                // As upstream: the same expression as a range query around the instant must agree at its middle step.
                if passed, directive == nil, expectString == nil, !ordered, case .vector(let instant) = result {
                    await rangeAgrees(String(match.2), at: time, instant: instant, engine: engine, location: location)
                    await atModifierAgrees(String(match.2), at: time, instant: instant, engine: engine, location: location)
                }
            } else if let match = line.firstMatch(of: /^eval(?:_\w+)?\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.+)$/) {
                guard let start = SeriesNotation.duration(String(match.1)), let end = SeriesNotation.duration(String(match.2)),
                      let step = SeriesNotation.duration(String(match.3)) else { return record(false, location, "bad range") }
                let result: QueryResult
                do {
                    result = try await engine.range(String(match.4), start: start, end: end, step: step)
                } catch {
                    return record(failOnPurpose, location, "\(match.4): \(error)")
                }
                if failOnPurpose { return record(false, location, "\(match.4): expected a failure") }
                record(try compareRange(result, expectations, start: start, step: step), location, "\(match.4): got \(result)")
            }
        } catch {
            record(false, location, "\(error)")
        }
    }

    private func rangeAgrees(_ query: String, at time: Int64, instant: [(labels: Labels, time: Int64, value: Double)],
                             engine: Engine, location: String) async {
        do {
            let result = try await engine.range(query, start: time - 60_000, end: time + 60_000, step: 60_000)
            guard case .matrix(let series) = result else { return record(false, location, "\(query) as a range query: not a matrix") }
            let middle = series.compactMap { entry -> (Labels, Double)? in
                entry.samples.first { $0.timestamp == time }.map { (entry.labels, $0.value) }
            }
            let agrees = middle.count == instant.count && instant.allSatisfy { element in
                middle.contains { $0.0 == element.labels && Self.close($0.1, element.value) }
            }
            record(agrees, location, "\(query) as a range query: middle step \(middle) differs from \(instant)")
        } catch {
            record(false, location, "\(query) as a range query: \(error)")
        }
    }

    /// Functions whose result depends on the evaluation time itself, so pinning selectors with
    /// `@` changes it (upstream's AtModifierUnsafeFunctions).
    static let atUnsafe = ["time(", "timestamp(", "predict_linear(", "day_of_month(", "day_of_week(", "day_of_year(",
                           "days_in_month(", "hour(", "minute(", "month(", "year("]

    /// As upstream: every selector pinned with `@ <time>` and the query evaluated at other times
    /// must give the same series and values.
    private func atModifierAgrees(_ query: String, at time: Int64, instant: [(labels: Labels, time: Int64, value: Double)],
                                  engine: Engine, location: String) async {
        guard !Self.atUnsafe.contains(where: { query.contains($0) }), let expr = try? Parser.parse(query) else { return }
        let pinned = expr.pinning(at: time).description
        let times: [Int64] = time == 0 ? [-1_000_000, 0, 1_000_000] : [-10 * time, 0, time / 5, time, 10 * time]
        for evaluation in times {
            do {
                let result = try await engine.instant(pinned, at: evaluation)
                guard case .vector(let elements) = result else { return record(false, location, "\(pinned) at \(evaluation): not a vector") }
                let agrees = elements.count == instant.count && instant.allSatisfy { element in
                    elements.contains { $0.labels == element.labels && Self.close($0.value, element.value) }
                }
                record(agrees, location, "\(pinned) at \(evaluation): \(elements) differs from \(instant)")
            } catch {
                record(false, location, "\(pinned) at \(evaluation): \(error)")
            }
        }
    }

    private func record(_ passed: Bool, _ location: String, _ detail: String) {
        if passed { outcome.passed += 1 } else { outcome.failed.append("\(location): \(detail.prefix(300))") }
    }

    private func compareInstant(_ result: QueryResult, _ expected: [String], expectString: String?, ordered: Bool,
                                rangeDirective: String? = nil) throws -> Bool {
        if let expectString {
            guard case .string(_, let value) = result else { return false }
            let quoted = expectString.dropFirst("expect string".count).trimmingCharacters(in: .whitespaces)
            return value == String(quoted.dropFirst().dropLast())
        }
        switch result {
        case .scalar(_, let value):
            guard expected.count == 1, let number = SeriesNotation.number(expected[0]) else { return false }
            return Self.close(value, number)
        case .vector(let elements):
            guard elements.count == expected.count else { return false }
            var remaining = elements
            for (position, line) in expected.enumerated() {
                let (labels, points) = try SeriesNotation.seriesLine(line)
                guard points.count == 1, let value = points[0] else { return false }
                if ordered {
                    guard elements[position].labels == labels, Self.close(elements[position].value, value) else { return false }
                    continue
                }
                guard let found = remaining.firstIndex(where: { $0.labels == labels && Self.close($0.value, value) }) else { return false }
                remaining.remove(at: found)
            }
            return true
        case .matrix(let series):
            guard let directive = rangeDirective,
                  let match = directive.firstMatch(of: /expect range vector from (\S+) to (\S+) step (\S+)/),
                  let start = SeriesNotation.duration(String(match.1)), let step = SeriesNotation.duration(String(match.3)) else {
                return series.isEmpty && expected.isEmpty
            }
            return try compareRange(.matrix(series), expected, start: start, step: step)
        case .string:
            return false
        }
    }

    private func compareRange(_ result: QueryResult, _ expected: [String], start: Int64, step: Int64) throws -> Bool {
        guard case .matrix(let series) = result, series.count == expected.count else { return false }
        for line in expected {
            let (labels, points) = try SeriesNotation.seriesLine(line)
            guard let found = series.first(where: { $0.labels == labels }) else { return false }
            var wanted: [MetricSample] = []
            for (offset, value) in points.enumerated() { if let value { wanted.append(MetricSample(start + Int64(offset) * step, value)) } }
            guard found.samples.count == wanted.count else { return false }
            for (have, want) in zip(found.samples, wanted) where have.timestamp != want.timestamp || !Self.close(have.value, want.value) {
                return false
            }
        }
        return true
    }

    // MARK: - notation

    static func close(_ a: Double, _ b: Double) -> Bool {
        if StaleMarker.isStale(a) || StaleMarker.isStale(b) { return StaleMarker.isStale(a) && StaleMarker.isStale(b) }
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        let absA = abs(a), absB = abs(b), difference = abs(a - b)
        if a == 0 || b == 0 || absA + absB < Double.leastNormalMagnitude {
            return difference < 1e-6 * Double.leastNormalMagnitude
        }
        return difference / min(absA + absB, Double.greatestFiniteMagnitude) < 1e-6
    }

}
