import Foundation
import LookoutServer
import Testing

struct ServerConfigurationTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func embeddedConfigurationIsTheDefault() throws {
        #expect(try ServerConfiguration.parse(yaml: ServerConfiguration.embeddedYAML) == ServerConfiguration())
    }

    @Test func annotatedExampleMatchesTheEmbeddedConfiguration() throws {
        let text = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("collectors/lookout.yaml"), encoding: .utf8)
        #expect(try ServerConfiguration.parse(yaml: text) == ServerConfiguration())
    }

    @Test func readsEveryKey() throws {
        let configuration = try ServerConfiguration.parse(yaml: """
            server: {listen: "[::1]:9999", max_request_bytes: 4096, dashboards: /srv/views}
            storage: {data_dir: /var/lib/lookout}
            traces: {retention: 1d12h, strict_trace_id: false, autocomplete_keys: [env], default_lookback: 2h, max_queued_spans: 10, writer_shards: 4}
            auth: {ingest_tokens: [a], query_tokens: [b, c]}
            log: {level: debug}
            """)
        var expected = ServerConfiguration()
        expected.listenHost = "::1"
        expected.listenPort = 9999
        expected.maxRequestBytes = 4096
        expected.dashboardsPath = "/srv/views"
        expected.dataDirectory = "/var/lib/lookout"
        expected.traceRetention = .seconds(129_600)
        expected.strictTraceID = false
        expected.autocompleteKeys = ["env"]
        expected.defaultLookback = .seconds(7200)
        expected.maxQueuedSpans = 10
        expected.writerShards = 4
        expected.ingestTokens = ["a"]
        expected.queryTokens = ["b", "c"]
        expected.logLevel = "debug"
        #expect(configuration == expected)
    }

    @Test(arguments: [
        ("server:\n  listn: 1\n", "lookout.yaml:2: unknown key 'server.listn'"),
        ("tracing: {}\n", "lookout.yaml:1: unknown key 'tracing'"),
        ("traces:\n  retention: soon\n", #"lookout.yaml:2: traces.retention: "soon" is not a duration such as 30s, 15m, 12h, 7d"#),
        ("traces:\n\n  strict_trace_id: yes\n", #"lookout.yaml:3: traces.strict_trace_id must be true or false, not "yes""#),
        ("server:\n  listen: nowhere\n", #"lookout.yaml:2: server.listen: listen address "nowhere" is not HOST:PORT"#),
        ("server:\n  max_request_bytes: 10\n", "lookout.yaml:2: server.max_request_bytes must be at least 1024"),
        ("auth:\n  ingest_tokens: secret\n", "lookout.yaml:2: auth.ingest_tokens must be a list of strings"),
        ("log: {level: loud}\n", #"lookout.yaml:1: log.level: "loud" is not one of trace, debug, info, notice, warning, error, critical"#),
    ])
    func badValuesNameTheKeyAndLine(yaml: String, message: String) {
        #expect(throws: ConfigurationError(message)) { try ServerConfiguration.parse(yaml: yaml, source: "lookout.yaml") }
    }

    @Test func invalidYAMLIsAnError() {
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(yaml: "server: [unclosed", source: "x") }
    }
}
