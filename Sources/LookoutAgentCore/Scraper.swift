import AsyncHTTPClient
import Foundation
import Logging
import LookoutCodecs
import LookoutModel
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// A local app's Prometheus endpoint the agent scrapes.
public struct ScrapeTarget: Sendable, Equatable {
    public var url: String
    public var interval: Duration
    public var job: String
    public var labels: [String: String]

    public init(url: String, interval: Duration = .seconds(15), job: String = "app", labels: [String: String] = [:]) {
        self.url = url
        self.interval = interval
        self.job = job
        self.labels = labels
    }

    /// `host:port` of the URL, Prometheus' `instance`.
    public var instance: String {
        guard let components = URLComponents(string: url), let host = components.host else { return url }
        let port = components.port ?? (components.scheme == "https" ? 443 : 80)
        return "\(host):\(port)"
    }
}

/// Scrapes each target on its interval as Prometheus does (text format 0.0.4 or OpenMetrics),
/// adds `job`, `instance` and the configured labels (a scraped label of the same name becomes
/// `exported_<name>`), writes `up`, `scrape_duration_seconds` and `scrape_samples_scraped`, and
/// spools every scrape as one batch for the shipper.
public final class Scraper: Service, Sendable {
    public let targets: [ScrapeTarget]
    private let labels: [String: String]
    private let spool: Spool
    private let client: HTTPClient
    private let logger: Logger
    static let maxBodyBytes = 16 << 20

    /// - Parameter labels: the agent's labels, added to every series.
    public init(targets: [ScrapeTarget], labels: [String: String], spool: Spool, logger: Logger) {
        self.targets = targets
        self.labels = labels
        self.spool = spool
        self.logger = logger
        self.client = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for target in self.targets {
                    group.addTask {
                        while !Task.isCancelled {
                            await self.scrapeOnce(target)
                            do { try await Task.sleep(for: target.interval) } catch { return }
                        }
                    }
                }
            }
        }
        try? await client.shutdown()
    }

    /// One scrape of `target`, spooled.
    public func scrapeOnce(_ target: ScrapeTarget, now: Date = Date()) async {
        let time = Int64((now.timeIntervalSince1970 * 1000).rounded())
        let started = ContinuousClock.now
        var scraped: PrometheusTextParser.Result?
        do {
            scraped = try await fetch(target)
        } catch {
            logger.warning("scrape failed", metadata: ["lookout.target": "\(target.url)", "error": "\(error)"])
        }
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var targetLabels = labels
        for (name, value) in target.labels { targetLabels[name] = value }
        targetLabels["job"] = target.job
        targetLabels["instance"] = target.instance
        var series: [SeriesSamples] = []
        for sample in scraped?.samples ?? [] {
            var pairs: [String: String] = [:]
            for label in sample.labels.pairs { pairs[label.name] = label.value }
            for (name, value) in targetLabels {
                if let clash = pairs[name], name != Labels.metricName { pairs["exported_" + name] = clash }
                pairs[name] = value
            }
            series.append(SeriesSamples(labels: Labels(pairs), samples: [MetricSample(sample.timestamp ?? time, sample.value)]))
        }
        func add(_ name: String, _ value: Double) {
            var pairs = targetLabels
            pairs[Labels.metricName] = name
            series.append(SeriesSamples(labels: Labels(pairs), samples: [MetricSample(time, value)]))
        }
        add("up", scraped == nil ? 0 : 1)
        add("scrape_duration_seconds", seconds)
        add("scrape_samples_scraped", Double(scraped?.samples.count ?? 0))
        do {
            try spool.append(.metrics, Snappy.encode(RemoteWriteEncoder.encode(series, metadata: scraped?.metadata ?? [])))
        } catch {
            logger.error("spooling a scrape failed", metadata: ["lookout.target": "\(target.url)", "error": "\(error)"])
        }
    }

    private func fetch(_ target: ScrapeTarget) async throws -> PrometheusTextParser.Result {
        var request = HTTPClientRequest(url: target.url)
        request.headers.add(name: "Accept", value: "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4")
        request.headers.add(name: "User-Agent", value: "lookout-agent")
        let (seconds, _) = target.interval.components
        let response = try await client.execute(request, timeout: .seconds(max(1, min(10, seconds))))
        guard response.status.code == 200 else { throw ScrapeError("HTTP \(response.status.code)") }
        let body = try await response.body.collect(upTo: Self.maxBodyBytes)
        let contentType = response.headers.first(name: "Content-Type") ?? ""
        let format: PrometheusTextParser.Format = contentType.hasPrefix("application/openmetrics-text") ? .openMetrics : .text004
        do {
            return try PrometheusTextParser(format: format).parse(Array(buffer: body))
        } catch {
            throw ScrapeError("cannot parse the exposition: \(error)")
        }
    }
}

struct ScrapeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
