import Foundation
import Testing

/// Prometheus' own PromQL test files, run against Lookout's engine over real storage.
@Suite(.timeLimit(.minutes(5))) struct ConformanceTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/conformance/promql-testdata").standardized

    @Test(arguments: ["literals", "selectors", "staleness", "operators", "aggregators", "functions", "subquery",
                      "at_modifier", "range_queries", "name_label_dropping", "collision", "trig_functions", "histograms"])
    func stableFile(_ name: String) async throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name + ".test"), encoding: .utf8)
        let outcome = try await PromQLTestRunner().run(text, file: name + ".test")
        print("promql conformance \(name).test: \(outcome.passed)/\(outcome.total) passed, \(outcome.skipped) out of scope")
        for failure in outcome.failed.prefix(Int(ProcessInfo.processInfo.environment["PROMQL_FAILURES"] ?? "15") ?? 15) { print("  FAIL \(failure)") }
        #expect(outcome.total > 0)
        #expect(outcome.failed.isEmpty, "\(outcome.failed.count) of \(outcome.total) cases failed in \(name).test")
    }
}

/// `PROMQL_FILE=path swift test --filter adHocFile` runs one script and prints every failure.
@Suite struct AdHocConformance {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PROMQL_FILE"] != nil))
    func adHocFile() async throws {
        let path = ProcessInfo.processInfo.environment["PROMQL_FILE"]!
        let outcome = try await PromQLTestRunner().run(try String(contentsOfFile: path, encoding: .utf8), file: path)
        print("promql \(path): \(outcome.passed)/\(outcome.total) passed")
        for failure in outcome.failed { print("  FAIL \(failure)") }
    }
}
