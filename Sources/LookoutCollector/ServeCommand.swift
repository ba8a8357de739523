import ArgumentParser
import Foundation
import Hummingbird
import Logging
import LookoutAlerting
import LookoutModel
import LookoutQuery
import LookoutServer
import LookoutStorage
import LookoutStorageSQLite
import LookoutTSDB
import ServiceLifecycle

/// `lookout serve`: the collector. Flags override the config file, which overrides the embedded defaults.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the collector: Zipkin-compatible traces and Prometheus-compatible metrics.")

    @Option(name: .long, help: "YAML configuration file (default: the embedded configuration).")
    var config: String?

    @Option(name: .long, help: "HOST:PORT to listen on (default 127.0.0.1:9411).")
    var listen: String?

    @Option(name: .customLong("data-dir"), help: "Directory for the database files (default ./data).")
    var dataDir: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(name: .customLong("rules"), help: "Glob of Prometheus rules files (repeatable; adds to rule_files).")
    var rules: [String] = []

    @Option(name: .customLong("alert-webhook"), help: "URL receiving Alertmanager's webhook payload (repeatable).")
    var alertWebhooks: [String] = []

    @Option(name: .customLong("alertmanager"), help: "Alertmanager base URL, e.g. http://127.0.0.1:9093 (repeatable).")
    var alertmanagers: [String] = []

    @Option(name: .customLong("evaluation-interval"), help: "Evaluation interval of rule groups without one (default 1m).")
    var evaluationInterval: String?

    // Off the main actor: everything the server awaits would otherwise queue on the main thread.
    @concurrent func run() async throws {
        let configuration: ServerConfiguration
        do {
            configuration = try resolveConfiguration()
        } catch {
            FileHandle.standardError.write(Data("lookout: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "lookout")

        let shards: [SQLiteTraceStore]
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
            shards = try (0..<configuration.writerShards).map { index in
                try SQLiteTraceStore(
                    path: configuration.dataDirectory + "/traces-\(index).sqlite",
                    options: TraceStoreOptions(strictTraceID: configuration.strictTraceID,
                                               autocompleteKeys: configuration.autocompleteKeys),
                    maxQueuedSpans: max(1, configuration.maxQueuedSpans / configuration.writerShards),
                    logger: Logger(label: "lookout.traces"))
            }
        } catch {
            FileHandle.standardError.write(Data("lookout: cannot open the data directory \(configuration.dataDirectory): \(error)\n".utf8))
            throw ExitCode(1)
        }
        let metrics = ServerMetrics()
        let tsdb: TSDB
        do {
            let chunkStore = try SQLiteChunkStore(path: configuration.dataDirectory + "/metrics.sqlite")
            tsdb = try TSDB(store: chunkStore, walDirectory: configuration.dataDirectory + "/metrics-wal",
                            options: configuration.tsdbOptions,
                            instrumentation: TSDBInstrumentation(
                                walSync: { metrics.metricIngest.observeWALSync(seconds: $0) },
                                flush: { metrics.metricIngest.observeFlush(seconds: $0) }),
                            logger: Logger(label: "lookout.metrics"))
        } catch {
            FileHandle.standardError.write(Data("lookout: cannot open the metrics store in \(configuration.dataDirectory): \(error)\n".utf8))
            throw ExitCode(1)
        }
        let backend = MetricsBackend(store: tsdb, appender: tsdb, statistics: tsdb.statistics)
        let store = ShardedTraceStore(shards: shards)
        let retention = TraceRetentionService(store: store, retention: configuration.traceRetention,
                                              clock: ContinuousClock(), logger: Logger(label: "lookout.retention"))
        do {
            // A bad rules file stops the start, before anything that would need shutting down.
            _ = try RuleFiles.load(patterns: configuration.ruleFiles, parser: RuleFileParser())
        } catch {
            tsdb.close()
            FileHandle.standardError.write(Data("lookout: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let notifier = AlertNotifier(options: configuration.notifierOptions, logger: Logger(label: "lookout.notifier"))
        let rules = RuleManager(options: configuration.ruleManagerOptions, engine: Engine(store: tsdb), store: tsdb, appender: tsdb,
                                logger: Logger(label: "lookout.rules")) { alerts in notifier.send(alerts) }
        rules.reload()
        let reloadOnHangup = SignalReloader(manager: rules, logger: logger)
        let spanMetrics = configuration.spanMetrics
            ? SpanMetrics(appender: tsdb, interval: configuration.spanMetricsInterval, logger: Logger(label: "lookout.span_metrics"))
            : nil
        let services: [any Service] = shards + [retention, tsdb, notifier, rules, reloadOnHangup] + (spanMetrics.map { [$0] } ?? [])
        let app = buildApplication(configuration: configuration, traceStore: store, metricsBackend: backend,
                                   ruleManager: rules, notifier: notifier, spanMetrics: spanMetrics, metrics: metrics,
                                   services: services, logger: logger)
        logger.info("starting", metadata: ["lookout.listen": "\(configuration.listenAddress)",
                                            "lookout.data_dir": "\(configuration.dataDirectory)"])
        try await app.runService()
    }

    func resolveConfiguration() throws(ConfigurationError) -> ServerConfiguration {
        var configuration: ServerConfiguration
        if let config {
            guard let data = FileManager.default.contents(atPath: config), let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError("cannot read config file \(config)")
            }
            configuration = try ServerConfiguration.parse(yaml: text, source: config)
        } else {
            configuration = try ServerConfiguration.parse(yaml: ServerConfiguration.embeddedYAML, source: "embedded config")
        }
        if let listen {
            do { try configuration.setListen(listen) } catch { throw ConfigurationError("--listen: \(error.message)") }
        }
        if let dataDir { configuration.dataDirectory = dataDir }
        configuration.ruleFiles += rules
        for url in alertWebhooks {
            guard ServerConfiguration.isHTTPURL(url) else { throw ConfigurationError("--alert-webhook: \"\(url)\" is not an http:// or https:// URL") }
            configuration.webhooks.append(ServerConfiguration.Webhook(url: url))
        }
        for url in alertmanagers {
            guard ServerConfiguration.isHTTPURL(url) else { throw ConfigurationError("--alertmanager: \"\(url)\" is not an http:// or https:// URL") }
            configuration.alertmanagers.append(url)
        }
        if let evaluationInterval {
            guard let duration = PrometheusDuration.parse(evaluationInterval), duration > .zero else {
                throw ConfigurationError("--evaluation-interval: \"\(evaluationInterval)\" is not a duration such as 15s or 1m")
            }
            configuration.evaluationInterval = duration
        }
        if let logLevel {
            guard Logger.Level(rawValue: logLevel) != nil else {
                throw ConfigurationError("--log-level: \"\(logLevel)\" is not one of trace, debug, info, notice, warning, error, critical")
            }
            configuration.logLevel = logLevel
        }
        return configuration
    }
}
