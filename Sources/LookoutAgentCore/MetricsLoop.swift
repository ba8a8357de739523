import Foundation
import Logging
import LookoutCodecs
import LookoutModel
import ServiceLifecycle
import Synchronization

/// Collects host metrics every interval, labels them (`instance` and the configured labels),
/// and spools them as one remote-write batch, with the agent's own metrics alongside.
public final class MetricsLoop: Service, Sendable {
    public struct Options: Sendable {
        public var interval: Duration = .seconds(15)
        public var instance: String
        public var labels: [String: String] = [:]
        public var version = "dev"

        public init(instance: String) {
            self.instance = instance
        }
    }

    struct Counters {
        var collections = 0
        var samples = 0
        var spoolErrors = 0
    }

    private let options: Options
    private let host: HostCollector
    private let spool: Spool
    private let shipper: Shipper?
    private let logger: Logger
    private let counters = Mutex(Counters())

    public init(options: Options, host: HostCollector, spool: Spool, shipper: Shipper?, logger: Logger) {
        self.options = options
        self.host = host
        self.spool = spool
        self.shipper = shipper
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                self.collectOnce()
                do { try await Task.sleep(for: self.options.interval) } catch { return }
            }
        }
    }

    /// One collection: read, label, encode, spool.
    public func collectOnce(now: Date = Date()) {
        let time = Int64((now.timeIntervalSince1970 * 1000).rounded())
        var metrics = host.collect(now: now)
        metrics += selfMetrics()
        var series: [SeriesSamples] = []
        series.reserveCapacity(metrics.count)
        for metric in metrics {
            var labels = metric.labels
            for (name, value) in options.labels where labels[name] == nil { labels = labels.setting(name, value) }
            if labels["instance"] == nil { labels = labels.setting("instance", options.instance) }
            if labels["job"] == nil { labels = labels.setting("job", "node") }
            series.append(SeriesSamples(labels: labels, samples: [MetricSample(time, metric.value)]))
        }
        let batch = Snappy.encode(RemoteWriteEncoder.encode(series))
        do {
            try spool.append(.metrics, batch)
            counters.withLock {
                $0.collections += 1
                $0.samples += series.count
            }
        } catch {
            counters.withLock { $0.spoolErrors += 1 }
            logger.error("spooling a batch failed", metadata: ["error": "\(error)"])
        }
    }

    /// The agent's own state, shipped like any other series.
    private func selfMetrics() -> [HostMetric] {
        let counts = counters.withLock { $0 }
        let spooled = spool.statistics
        var metrics = [
            HostMetric("lookout_agent_info", ["version": options.version], 1),
            HostMetric("lookout_agent_collections_total", [:], Double(counts.collections)),
            HostMetric("lookout_agent_samples_collected_total", [:], Double(counts.samples)),
            HostMetric("lookout_agent_spool_bytes", [:], Double(spooled.bytes)),
            HostMetric("lookout_agent_spool_batches", [:], Double(spooled.records)),
            HostMetric("lookout_agent_spool_dropped_batches_total", [:], Double(spooled.droppedRecords)),
            HostMetric("lookout_agent_spool_dropped_bytes_total", [:], Double(spooled.droppedBytes)),
            HostMetric("lookout_agent_spool_errors_total", [:], Double(counts.spoolErrors)),
        ]
        for (collector, failures) in host.failures {
            metrics.append(HostMetric("lookout_agent_collector_failures_total", ["collector": collector], Double(failures)))
        }
        if let shipper {
            let shipped = shipper.current
            metrics += [
                HostMetric("lookout_agent_batches_sent_total", [:], Double(shipped.sent)),
                HostMetric("lookout_agent_batches_refused_total", [:], Double(shipped.refused)),
                HostMetric("lookout_agent_send_failures_total", [:], Double(shipped.failures)),
                HostMetric("lookout_agent_send_latency_seconds", [:], shipped.lastLatency),
                HostMetric("lookout_agent_circuit_open", [:], shipped.circuitOpen ? 1 : 0),
            ]
        }
        return metrics
    }
}
