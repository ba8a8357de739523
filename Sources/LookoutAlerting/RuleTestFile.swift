import Foundation
import LookoutModel
import LookoutQuery
import Yams

/// A rule unit-test file in promtool's format (`rule_files`, `evaluation_interval`, `tests` with
/// `input_series`, `alert_rule_test` and `promql_expr_test`). Times are ms.
struct RuleTestFile {
    struct Series {
        var labels: Labels
        var values: [Double?]
    }

    struct ExpectedAlert {
        var labels: [String: String]
        var annotations: [String: String]
    }

    struct AlertTest {
        var evalTime: Int64
        var alertname: String
        var expected: [ExpectedAlert]
    }

    struct ExpectedSample {
        var labels: Labels
        var value: Double
    }

    struct ExprTest {
        var expr: String
        var evalTime: Int64
        var expected: [ExpectedSample]
    }

    struct TestGroup {
        var name = ""
        var interval: Int64?
        var start: Int64 = 0
        var externalLabels: [String: String] = [:]
        var externalURL = ""
        var series: [Series] = []
        var alertTests: [AlertTest] = []
        var exprTests: [ExprTest] = []
        /// Set when the group needs something Lookout does not have (native histograms); the group fails with it.
        var unsupported: String?
    }

    var ruleFiles: [String] = []
    var evaluationInterval: Int64 = 60_000
    var fuzzyCompare = false
    var groupEvalOrder: [String] = []
    var tests: [TestGroup] = []

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ yaml: String, path: String) throws -> RuleTestFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw Failure(description: RuleFileParser.yamlError(error, path: path).description)
        }
        var file = RuleTestFile()
        guard let root else { return file }
        let reader = TestReader(path: path)
        for (key, value) in try reader.fields(root, ["rule_files", "evaluation_interval", "fuzzy_compare", "group_eval_order", "tests"]) {
            switch key {
            case "rule_files": file.ruleFiles = try reader.strings(value)
            case "evaluation_interval": file.evaluationInterval = try reader.duration(value)
            case "fuzzy_compare": file.fuzzyCompare = try reader.bool(value)
            case "group_eval_order": file.groupEvalOrder = try reader.strings(value)
            default:
                guard case .sequence(let tests) = value else { throw reader.fail(value, "tests must be a list") }
                for test in tests { file.tests.append(try reader.testGroup(test)) }
            }
        }
        return file
    }
}

private struct UnsupportedFeature: Error, CustomStringConvertible {
    var description: String
}

private struct TestReader {
    let path: String

    func fail(_ node: Node, _ message: String) -> RuleTestFile.Failure {
        RuleTestFile.Failure(description: "\(path):\(node.mark?.line ?? 0):\(node.mark?.column ?? 0): \(message)")
    }

    func fields(_ node: Node, _ known: Set<String>) throws -> [(String, Node)] {
        if case .scalar(let scalar) = node, scalar.string.isEmpty { return [] }
        guard case .mapping(let mapping) = node else { throw fail(node, "expected a mapping") }
        var result: [(String, Node)] = []
        for (key, value) in mapping {
            let name = try string(key)
            guard known.contains(name) else { throw fail(key, "field \(name) not found") }
            result.append((name, value))
        }
        return result
    }

    func string(_ node: Node) throws -> String {
        guard case .scalar(let scalar) = node else { throw fail(node, "expected a string") }
        return scalar.string
    }

    func strings(_ node: Node) throws -> [String] {
        guard case .sequence(let items) = node else { throw fail(node, "expected a list") }
        return try items.map { try string($0) }
    }

    func bool(_ node: Node) throws -> Bool {
        switch try string(node) {
        case "true": return true
        case "false": return false
        default: throw fail(node, "expected true or false")
        }
    }

    func duration(_ node: Node) throws -> Int64 {
        let text = try string(node)
        guard let millis = PrometheusDuration.milliseconds(text) else { throw fail(node, "not a valid duration string: \"\(text)\"") }
        return millis
    }

    func stringMap(_ node: Node) throws -> [String: String] {
        if case .scalar(let scalar) = node, scalar.string.isEmpty { return [:] }
        guard case .mapping(let mapping) = node else { throw fail(node, "expected a mapping") }
        var result: [String: String] = [:]
        for (key, value) in mapping { result[try string(key)] = try string(value) }
        return result
    }

    func testGroup(_ node: Node) throws -> RuleTestFile.TestGroup {
        var group = RuleTestFile.TestGroup()
        let known: Set<String> = ["name", "interval", "start_timestamp", "external_labels", "external_url", "input_series",
                                  "alert_rule_test", "promql_expr_test"]
        var seriesNodes: [Node] = []
        for (key, value) in try fields(node, known) {
            switch key {
            case "name": group.name = try string(value)
            case "interval": group.interval = try duration(value)
            case "start_timestamp": group.start = try timestamp(value)
            case "external_labels": group.externalLabels = try stringMap(value)
            case "external_url": group.externalURL = try string(value)
            case "input_series":
                guard case .sequence(let items) = value else { throw fail(value, "input_series must be a list") }
                seriesNodes = Array(items)
            case "alert_rule_test":
                guard case .sequence(let items) = value else { throw fail(value, "alert_rule_test must be a list") }
                for item in items { group.alertTests.append(try alertTest(item)) }
            default:
                guard case .sequence(let items) = value else { throw fail(value, "promql_expr_test must be a list") }
                for item in items { group.exprTests.append(try exprTest(item, unsupported: &group.unsupported)) }
            }
        }
        for item in seriesNodes {
            do {
                group.series.append(try series(item))
            } catch let error as UnsupportedFeature {
                group.unsupported = error.description
            }
        }
        return group
    }

    func timestamp(_ node: Node) throws -> Int64 {
        let text = try string(node)
        if let seconds = Double(text) { return Int64((seconds * 1000).rounded()) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        throw fail(node, "start_timestamp \"\(text)\" is neither a Unix time nor RFC 3339")
    }

    func series(_ node: Node) throws -> RuleTestFile.Series {
        var selector: String?
        var values = ""
        for (key, value) in try fields(node, ["series", "values"]) {
            if key == "series" { selector = try string(value) } else { values = try string(value) }
        }
        guard let selector else { throw fail(node, "input series without 'series'") }
        let labels: Labels
        do {
            labels = try Self.metric(selector)
        } catch {
            throw fail(node, "could not parse series \(selector): \(error)")
        }
        var points: [Double?] = []
        for token in values.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            if token.hasPrefix("{{") {
                throw UnsupportedFeature(description: "series \(selector): native histogram samples are not supported")
            }
            do {
                points += try SeriesNotation.expand(String(token))
            } catch {
                throw fail(node, "series \(selector): could not parse values \"\(token)\"")
            }
        }
        return RuleTestFile.Series(labels: labels, values: points)
    }

    /// `name{a="b"}` through the PromQL parser: only equality matchers make a series.
    static func metric(_ text: String) throws -> Labels {
        let expr: Expr
        do {
            expr = try Parser.parse(text)
        } catch {
            throw RuleTestFile.Failure(description: error.describe(in: text))
        }
        guard case .vector(let selector) = expr else { throw RuleTestFile.Failure(description: "not a series") }
        var pairs: [Label] = []
        for matcher in selector.matchers {
            guard matcher.kind == .equal else { throw RuleTestFile.Failure(description: "only = matchers describe a series") }
            pairs.append(Label(matcher.name, matcher.value))
        }
        guard let labels = Labels(unsorted: pairs) else { throw RuleTestFile.Failure(description: "a label is repeated") }
        return labels
    }

    func alertTest(_ node: Node) throws -> RuleTestFile.AlertTest {
        var test = RuleTestFile.AlertTest(evalTime: 0, alertname: "", expected: [])
        for (key, value) in try fields(node, ["eval_time", "alertname", "exp_alerts"]) {
            switch key {
            case "eval_time": test.evalTime = try duration(value)
            case "alertname": test.alertname = try string(value)
            default:
                if case .scalar = value { continue }
                guard case .sequence(let items) = value else { throw fail(value, "exp_alerts must be a list") }
                for item in items {
                    var expected = RuleTestFile.ExpectedAlert(labels: [:], annotations: [:])
                    for (field, content) in try fields(item, ["exp_labels", "exp_annotations"]) {
                        if field == "exp_labels" { expected.labels = try stringMap(content) } else { expected.annotations = try stringMap(content) }
                    }
                    test.expected.append(expected)
                }
            }
        }
        return test
    }

    func exprTest(_ node: Node, unsupported: inout String?) throws -> RuleTestFile.ExprTest {
        var test = RuleTestFile.ExprTest(expr: "", evalTime: 0, expected: [])
        for (key, value) in try fields(node, ["expr", "eval_time", "exp_samples"]) {
            switch key {
            case "expr": test.expr = try string(value)
            case "eval_time": test.evalTime = try duration(value)
            default:
                if case .scalar = value { continue }
                guard case .sequence(let items) = value else { throw fail(value, "exp_samples must be a list") }
                for item in items {
                    var labels = Labels(sorted: [])
                    var sampleValue: Double?
                    for (field, content) in try fields(item, ["labels", "value", "histogram"]) {
                        switch field {
                        case "labels":
                            let text = try string(content)
                            do { labels = try Self.metric(text) } catch { throw fail(content, "could not parse labels \(text): \(error)") }
                        case "value":
                            let text = try string(content)
                            guard let number = SeriesNotation.number(text) ?? Double(text) else { throw fail(content, "bad value \(text)") }
                            sampleValue = number
                        default:
                            unsupported = "expected native histogram samples are not supported"
                        }
                    }
                    test.expected.append(RuleTestFile.ExpectedSample(labels: labels, value: sampleValue ?? 0))
                }
            }
        }
        return test
    }
}
