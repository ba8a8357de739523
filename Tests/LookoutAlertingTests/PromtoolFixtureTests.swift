import Foundation
import LookoutAlerting
import LookoutStorageSQLite
import LookoutTSDB
import Testing

/// promtool's own rule unit-test fixtures, run by our runner, must give promtool's results
/// (../shared/conformance/promtool-testdata/README.md).
@Suite(.timeLimit(.minutes(3)))
struct PromtoolFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/conformance/promtool-testdata").path

    static func runner(run: [String] = [], ignoreUnknownFields: Bool = false) -> RuleTestRunner {
        var runner = RuleTestRunner {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lookout-promtool-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let tsdb = try RuleHarness.openTSDB(directory)
            return RuleTestStorage(store: tsdb, appender: tsdb) {
                tsdb.close()
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        runner.run = run
        runner.ignoreUnknownFields = ignoreUnknownFields
        return runner
    }

    static let cases: [(String, [String], Bool, Bool)] = [
        // file, --run filters, --ignore-unknown-fields, passes
        ("long-period.yml", [], false, true),
        ("no-test-group-interval.yml", [], false, true),
        ("start-time-test.yml", [], false, true),
        ("at-modifier-test.yml", [], false, true),
        ("negative-offset-test.yml", [], false, true),
        ("bad-input-series.yml", [], false, false),
        ("bad-promql.yml", [], false, false),
        ("bad-rules-syntax-test.yml", [], false, false),
        ("bad-rules-error-test.yml", [], false, false),
        ("failing.yml", [], false, false),
        ("rules_run.yml", [], false, false),
        ("rules_run.yml", ["correct"], false, true),
        ("rules_run.yml", ["wrong"], false, false),
        ("rules_run_fuzzy.yml", ["correct"], false, true),
        ("rules_run_fuzzy.yml", ["wrong"], false, false),
        ("rules_run_no_fuzzy.yml", [], false, false),
        ("rules_run_extrafields.yml", [], true, true),
        ("rules_run_extrafields.yml", [], false, false),
    ]

    @Test(arguments: cases)
    func givesPromtoolsResult(file: String, run: [String], ignoreUnknownFields: Bool, passes: Bool) async {
        var report: [String] = []
        let passed = await Self.runner(run: run, ignoreUnknownFields: ignoreUnknownFields)
            .test(file: Self.fixtures + "/" + file) { report.append($0) }
        #expect(passed == passes, "\(report.joined(separator: "\n"))")
    }

    @Test func unittestFailsOnlyWhereItNeedsNativeHistograms() async {
        var report: [String] = []
        let passed = await Self.runner().test(file: Self.fixtures + "/unittest.yml") { report.append($0) }
        let text = report.joined(separator: "\n")
        #expect(!passed)
        #expect(text.components(separatedBy: "FAILED:").count == 2, "\(text)")
        #expect(text.firstRange(of: "native histogram") != nil, "\(text)")
    }

    @Test func failuresSayWhatDiffered() async {
        var report: [String] = []
        _ = await Self.runner().test(file: Self.fixtures + "/failing.yml") { report.append($0) }
        let text = report.joined(separator: "\n")
        #expect(text.firstRange(of: #"expr: "test", time: 0s"#) != nil, "\(text)")
        #expect(text.firstRange(of: "alertname: AlwaysFiring, time: 5m") != nil, "\(text)")
    }
}
