import ArgumentParser
import Foundation
import Logging
import LookoutAgentCore
import LookoutModel
import ServiceLifecycle
import UnixSignals

/// `lookout-agent`: collects host metrics and ships them to the collector without loss.
@main
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookout-agent",
        abstract: "Collect host metrics and ship them to a Lookout collector (or any remote-write receiver), spooling to disk while it is away.")

    @Option(name: .long, help: "The collector's URL, e.g. http://collector:9411 (config: collector).")
    var collector: String?

    @Option(name: .long, help: "Bearer token for the collector (config: token).")
    var token: String?

    @Option(name: .long, help: "Collection interval (config: interval; default 15s).")
    var interval: String?

    @Option(name: .customLong("data-dir"), help: "Where the spool lives (config: data_dir; default ./agent-data).")
    var dataDir: String?

    @Option(name: .customLong("label"), help: "k=v added to every series (repeatable; config: labels).")
    var labels: [String] = []

    @Option(name: .customLong("scrape"), help: "A Prometheus endpoint to scrape every interval (repeatable; config: scrape).")
    var scrape: [String] = []

    @Option(name: .long, help: "YAML configuration file (collectors/agent.yaml shows every key).")
    var config: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @concurrent func run() async throws {
        let configuration: AgentConfiguration
        do {
            configuration = try resolve()
        } catch {
            FileHandle.standardError.write(Data("lookout-agent: \(error)\n".utf8))
            throw ExitCode(2)
        }
        guard let collectorURL = configuration.collector else {
            FileHandle.standardError.write(Data("lookout-agent: --collector (or collector: in the config) is required\n".utf8))
            throw ExitCode(2)
        }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "lookout.agent")
        var hostOptions = HostCollectorOptions()
        hostOptions.procPath = configuration.procPath
        hostOptions.disabled = Set(configuration.disabledCollectors)
        if let exclude = configuration.diskExclude { hostOptions.diskExclude = exclude }
        if let exclude = configuration.networkExclude { hostOptions.networkExclude = exclude }
        let spool: Spool
        let host: HostCollector
        do {
            host = try HostCollector(options: hostOptions, logger: logger)
            spool = try Spool(directory: configuration.dataDirectory + "/spool", maxBytes: configuration.spoolMaxBytes)
        } catch {
            FileHandle.standardError.write(Data("lookout-agent: \(error)\n".utf8))
            throw ExitCode(1)
        }
        var shipperOptions = ShipperOptions(collector: collectorURL)
        shipperOptions.token = configuration.token
        shipperOptions.timeout = configuration.sendTimeout.wholeMilliseconds
        let shipper = Shipper(spool: spool, options: shipperOptions, logger: logger)
        var loopOptions = MetricsLoop.Options(instance: configuration.instance ?? ProcessInfo.processInfo.hostName)
        loopOptions.interval = configuration.interval
        loopOptions.labels = configuration.labels
        let loop = MetricsLoop(options: loopOptions, host: host, spool: spool, shipper: shipper, logger: logger)
        var services: [any Service] = [shipper, loop]
        if !configuration.scrape.isEmpty {
            services.append(Scraper(targets: configuration.scrape, labels: configuration.labels, spool: spool, logger: logger))
        }
        logger.info("starting", metadata: ["lookout.collector": "\(collectorURL)", "lookout.spool": "\(spool.directory)",
                                            "lookout.spooled_batches": "\(spool.statistics.records)"])
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }

    func resolve() throws -> AgentConfiguration {
        var configuration = AgentConfiguration()
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                throw AgentConfiguration.Failure(description: "cannot read config file \(config)")
            }
            configuration = try AgentConfiguration.parse(yaml: String(decoding: data, as: UTF8.self), source: config)
        }
        if let collector {
            guard collector.hasPrefix("http://") || collector.hasPrefix("https://") else {
                throw AgentConfiguration.Failure(description: "--collector: \"\(collector)\" is not an http:// or https:// URL")
            }
            configuration.collector = collector
        }
        if let token { configuration.token = token }
        if let interval {
            guard let duration = PrometheusDuration.parse(interval), duration >= .seconds(1) else {
                throw AgentConfiguration.Failure(description: "--interval: \"\(interval)\" is not a duration of at least 1s such as 15s")
            }
            configuration.interval = duration
        }
        if let dataDir { configuration.dataDirectory = dataDir }
        for url in scrape {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw AgentConfiguration.Failure(description: "--scrape: \"\(url)\" is not an http:// or https:// URL")
            }
            configuration.scrape.append(ScrapeTarget(url: url, interval: configuration.interval))
        }
        for label in labels {
            let parts = label.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, MetricNames.isValidLabelName(String(parts[0])) else {
                throw AgentConfiguration.Failure(description: "--label: \"\(label)\" is not name=value")
            }
            configuration.labels[String(parts[0])] = String(parts[1])
        }
        return configuration
    }
}
