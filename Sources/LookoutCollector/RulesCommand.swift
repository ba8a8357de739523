import ArgumentParser
import Foundation
import Logging
import LookoutAlerting
import LookoutStorageSQLite
import LookoutTSDB

/// `lookout rules check|test`: promtool's rule commands, with its exit codes.
struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check rules files and run rule unit tests (promtool's formats and exit codes).",
        subcommands: [Check.self, Test.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate rules files. Exit 0 when valid, 1 when not, 3 for lint findings with --lint-fatal.")

        @Argument(help: "Rules files.")
        var files: [String]

        @Flag(name: .customLong("lint-fatal"), help: "Exit 3 when the duplicate-rules lint finds something.")
        var lintFatal = false

        @Flag(name: .customLong("ignore-unknown-fields"), help: "Ignore fields Prometheus does not know.")
        var ignoreUnknownFields = false

        func run() async throws {
            var failed = false
            var lintFound = false
            for path in files {
                print("Checking \(path)")
                do {
                    let file = try RuleFiles.read(path, parser: RuleFileParser(ignoreUnknownFields: ignoreUnknownFields))
                    let duplicates = RuleLint.duplicates(file)
                    if !duplicates.isEmpty {
                        lintFound = true
                        print("\(duplicates.count) duplicate rule(s) found.")
                        for duplicate in duplicates {
                            print("Metric: \(duplicate.name)\nLabel(s):")
                            for (name, value) in duplicate.labels.sorted(by: { $0.key < $1.key }) { print("\t\(name): \(value)") }
                        }
                        print("Might cause inconsistency while recording expressions.")
                    }
                    print("  SUCCESS: \(file.groups.reduce(0) { $0 + $1.rules.count }) rules found")
                } catch {
                    failed = true
                    print("  FAILED:")
                    FileHandle.standardError.write(Data("\(error)\n".utf8))
                }
                print("")
            }
            if failed { throw ExitCode(1) }
            if lintFound && lintFatal { throw ExitCode(3) }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run rule unit tests in promtool's format. Exit 0 when all pass, 1 otherwise.")

        @Argument(help: "Test files.")
        var files: [String]

        @Option(name: .long, help: "Only run test groups whose name matches this regular expression (repeatable).")
        var run: [String] = []

        @Flag(name: .customLong("ignore-unknown-fields"), help: "Ignore fields Prometheus does not know in rules files.")
        var ignoreUnknownFields = false

        func run() async throws {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .critical
                return handler
            }
            var runner = RuleTestRunner(makeStorage: Self.temporaryStorage)
            runner.run = run
            runner.ignoreUnknownFields = ignoreUnknownFields
            var passed = true
            for file in files {
                let ok = await runner.test(file: file) { print($0) }
                passed = passed && ok
                print("")
            }
            if !passed { throw ExitCode(1) }
        }

        /// A real engine over a throw-away directory: rule tests run on the same storage as the collector.
        @Sendable static func temporaryStorage() throws -> RuleTestStorage {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lookout-rules-test-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var options = TSDBOptions()
            options.retentionMillis = Int64.max / 4
            options.outOfOrderWindowMillis = Int64.max / 4
            let tsdb = try TSDB(store: try SQLiteChunkStore(path: directory + "/metrics.sqlite"), walDirectory: directory + "/wal",
                                options: options, logger: Logger(label: "lookout.rules.test"), clock: { 0 })
            return RuleTestStorage(store: tsdb, appender: tsdb) {
                tsdb.close()
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }
}
