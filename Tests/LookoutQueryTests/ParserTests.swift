import Foundation
import LookoutModel
@testable import LookoutQuery
import Testing

@Suite struct ParserTests {
    func parse(_ query: String) throws -> Expr { try Parser.parse(query) }

    func fails(_ query: String, _ message: String, at position: Int? = nil) {
        do {
            _ = try Parser.parse(query)
            Issue.record("\(query) parsed, expected: \(message)")
        } catch {
            #expect(error.message.firstRange(of: message) != nil, "\(query): \(error.message)")
            if let position { #expect(error.position == position, "\(query): \(error.message) at \(error.position)") }
        }
    }

    @Test func precedenceFollowsPrometheus() throws {
        // ^ is right-associative and binds tighter than unary minus; * before +; comparisons before and/or.
        #expect(try parse("-2^2") == .number(-4) || (try parse("-2^2")) == .unary(.sub, .binary(.pow, .number(2), .number(2), returnBool: false, matching: nil)))
        #expect(try parse("2^3^2") == .binary(.pow, .number(2), .binary(.pow, .number(3), .number(2), returnBool: false, matching: nil), returnBool: false, matching: nil))
        let sum = try parse("1 + 2 * 3")
        #expect(sum == .binary(.add, .number(1), .binary(.mul, .number(2), .number(3), returnBool: false, matching: nil), returnBool: false, matching: nil))
        guard case .binary(.or, let lhs, _, _, _) = try parse("a and b or c unless d") else { Issue.record("or is not the root"); return }
        guard case .binary(.and, _, _, _, _) = lhs else { Issue.record("and is not under or"); return }
    }

    @Test func selectorsAndModifiers() throws {
        guard case .matrix(let selector, let range) = try parse(#"http_requests_total{job="api", code=~"5.."}[5m] offset -1h @ 1609746000"#) else {
            Issue.record("not a range selector"); return
        }
        #expect(range == 300_000)
        #expect(selector.offset == -3_600_000)
        #expect(selector.at == .timestamp(1_609_746_000_000))
        #expect(selector.matchers.map(\.description) == [#"__name__="http_requests_total""#, #"job="api""#, #"code=~"5..""#])
        guard case .subquery(_, let subRange, let step, _, let at) = try parse("rate(x[1m])[1h:5m] @ end()") else {
            Issue.record("not a subquery"); return
        }
        #expect(subRange == 3_600_000 && step == 300_000 && at == .end)
        guard case .vector(let quoted) = try parse(#"{"my.metric", "a.b"="c"}"#) else { Issue.record("not a selector"); return }
        #expect(quoted.name == "my.metric")
        #expect(try parse("foo offset 1h30m") == parse("foo offset 90m"))
        // Numbers are seconds where a duration goes, durations are seconds where a number goes.
        #expect(try parse("foo[300] offset 50") == parse("foo[5m] offset 50s"))
        #expect(try parse("predict_linear(x[1h], 30m)") == parse("predict_linear(x[1h], 1800)"))
    }

    @Test func aggregationsAndMatching() throws {
        guard case .aggregate(.topk, _, let parameter, let grouping, let without) = try parse("topk by (job) (5, rate(x[5m]))") else {
            Issue.record("not topk"); return
        }
        #expect(parameter == .number(5) && grouping == ["job"] && !without)
        guard case .aggregate(.sum, _, _, let trailing, true) = try parse("sum(x) without (instance)") else { Issue.record("not sum"); return }
        #expect(trailing == ["instance"])
        guard case .binary(.div, _, _, false, let matching?) = try parse("a / on(job) group_left(team) b") else { Issue.record("not a division"); return }
        #expect(matching == VectorMatching(cardinality: .manyToOne, labels: ["job"], on: true, include: ["team"]))
        guard case .binary(.gtr, _, _, true, _) = try parse("a > bool 3") else { Issue.record("no bool"); return }
    }

    @Test func errorsSayWhatAndWhere() {
        fails("rate(x)", "expected type range vector in call to function \"rate\", got instant vector")
        fails("sum(x[5m])", "expected type instant vector in aggregation expression, got range vector")
        fails("1 > 2", "comparisons between scalars must use BOOL modifier")
        fails("1 and x", "set operator \"and\" not allowed in binary scalar expression")
        fails("x + on(a) 1", "vector matching only allowed between instant vectors")
        fails("{}", "vector selector must contain at least one non-empty matcher")
        fails(#"{job=~".*"}"#, "vector selector must contain at least one non-empty matcher")
        fails("foo{a=\"b\"", "in label matching", at: 9)
        fails("foo[5m] offset 1m [1m]", "ranges only allowed for vector selectors")
        fails("rate(x[5m])[5m]", "ranges only allowed for vector selectors")
        fails("x[5m][5m:1m]", "subquery is only allowed on instant vector")
        fails("nosuchfunction(x)", "unknown function with name \"nosuchfunction\"")
        fails("label_replace(x, \"a\")", "argument(s) in call to \"label_replace\"")
        fails("sum(x) by (a) by (b)", "unexpected identifier \"by\"")
        fails("x + ", "unexpected end of input")
        fails("1 +* 2", "unexpected \"*\"", at: 3)
        fails("foo offset 1m offset 1m", "offset may not be set multiple times")
        fails("1 offset 5m", "offset modifier must be preceded")
        fails(#"x{a="\q"}"#, "unknown escape sequence")
        fails(#"x{a=~"("}"#, "invalid regular expression")
        fails("x[1h30]", "bad duration")
        fails("x[-5m]", "unexpected \"-\" in range")
    }

    @Test func errorPositionsAreLineAndColumn() {
        do {
            _ = try Parser.parse("sum(rate(x[5m]))\n  + * 1")
            Issue.record("parsed")
        } catch {
            #expect(error.describe(in: "sum(rate(x[5m]))\n  + * 1") == "2:5: parse error: unexpected \"*\"")
        }
    }

    /// Every expression the stable conformance files evaluate successfully must parse; the ones
    /// they expect to fail may fail here or later, at evaluation.
    @Test func conformanceExpressionsParse() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/conformance/promql-testdata").standardized
        let stable = ["literals", "selectors", "staleness", "operators", "aggregators", "functions", "subquery", "at_modifier",
                      "range_queries", "name_label_dropping", "collision", "trig_functions", "histograms"]
        // Functions and aggregations Prometheus marks experimental, and native-histogram-only ones.
        let experimental = ["limitk", "limit_ratio", "mad_over_time", "first_over_time", "ts_of_", "sort_by_label",
                            "sort_by_label_desc", "double_exponential_smoothing", "histogram_count", "histogram_sum",
                            "histogram_avg", "histogram_stddev", "histogram_stdvar", "histogram_fraction", "info(",
                            "start_timestamp", "anchored", "smoothed", "fill(", "step()", "range()", "start()",
                            "end()", "min_of", "max_of", "histogram_quantiles"]
        var parsed = 0
        var failures: [String] = []
        for file in stable {
            let text = try String(contentsOf: directory.appendingPathComponent(file + ".test"), encoding: .utf8)
            let lines = text.components(separatedBy: "\n")
            for (number, raw) in lines.enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                guard line.hasPrefix("eval"), !line.hasPrefix("eval_fail") else { continue }
                let expr: String
                if let match = line.firstMatch(of: /^eval(?:_\w+)?\s+instant\s+at\s+\S+\s+(.+)$/) {
                    expr = String(match.1)
                } else if let match = line.firstMatch(of: /^eval(?:_\w+)?\s+range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+\s+(.+)$/) {
                    expr = String(match.1)
                } else {
                    continue
                }
                if experimental.contains(where: { expr.contains($0) }) { continue }
                let following = lines[(number + 1)...].prefix { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                let expectsFailure = following.contains { $0.contains("expect fail") }
                do {
                    _ = try Parser.parse(expr)
                    parsed += 1
                } catch {
                    if !expectsFailure { failures.append("\(file).test:\(number + 1): \(expr) — \(error.message)") }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) expressions did not parse:\n\(failures.prefix(40).joined(separator: "\n"))")
        #expect(parsed > 1000)
    }

    @Test(.timeLimit(.minutes(1))) func randomAndMutatedInputNeverCrashesOrHangs() {
        var state: UInt64 = 1
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            return z ^ (z >> 27)
        }
        let seeds = ["sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / on(job) group_left sum(up)",
                     "histogram_quantile(0.9, sum by (le) (rate(x_bucket[1m] offset 5m @ start())))",
                     "-x^2 > bool 3 or label_replace(y, \"a\", \"$1\", \"b\", \"(.*)\")[1h:1m]"]
        let alphabet = Array("(){}[]\"'`,:@+-*/%^=!~<>0123456789.eEmshdwy abcxyz_\\\n#".utf8)
        for _ in 0..<3000 {
            var bytes = Array(seeds[Int(next() % 3)].utf8)
            for _ in 0..<Int(next() % 5 + 1) {
                let position = Int(next() % UInt64(bytes.count + 1))
                switch next() % 3 {
                case 0: bytes.insert(alphabet[Int(next() % UInt64(alphabet.count))], at: position)
                case 1: if position < bytes.count { bytes.remove(at: position) }
                default: if position < bytes.count { bytes[position] = alphabet[Int(next() % UInt64(alphabet.count))] }
                }
            }
            _ = try? Parser.parse(String(decoding: bytes, as: UTF8.self))
        }
        _ = try? Parser.parse(String(repeating: "(", count: 100_000))
        _ = try? Parser.parse(String(repeating: "-", count: 100_000) + "1")
    }
}
