import LookoutStorage
import Prometheus

/// Lookout's metrics about metric ingest and the time-series engine.
public struct MetricIngestMetrics: Sendable {
    let samplesIngested: [IngestFormat: Counter]
    let samplesRejected: [AppendReport.Reason: Counter]
    let seriesRejected: [AppendReport.Reason: Counter]
    let seriesCreated: Counter
    let requestsRejected: Counter
    let duplicatesIgnored: Counter
    let walSync: DurationHistogram
    let flush: DurationHistogram
    let headSeries: Gauge
    let headChunks: Gauge
    let pendingChunks: Gauge
    let walBytes: Gauge
    let storeBytes: Gauge

    public enum IngestFormat: String, Sendable, CaseIterable {
        case remoteWrite = "remote_write"
        case text
    }

    public init(registry: PrometheusCollectorRegistry) {
        var ingested: [IngestFormat: Counter] = [:]
        for format in IngestFormat.allCases {
            ingested[format] = registry.makeCounter(
                descriptor: MetricNameDescriptor(metricName: "lookout_samples_ingested", unitName: "total", helpText: "Metric samples stored"),
                labels: [("format", format.rawValue)])
        }
        var rejected: [AppendReport.Reason: Counter] = [:]
        for reason in AppendReport.Reason.allCases {
            rejected[reason] = registry.makeCounter(
                descriptor: MetricNameDescriptor(metricName: "lookout_samples_rejected", unitName: "total", helpText: "Metric samples refused, by reason"),
                labels: [("reason", reason.rawValue)])
        }
        var seriesRejected: [AppendReport.Reason: Counter] = [:]
        for reason in AppendReport.Reason.allCases {
            seriesRejected[reason] = registry.makeCounter(
                descriptor: MetricNameDescriptor(metricName: "lookout_series_rejected", unitName: "total", helpText: "Series with refused samples in a request, by reason"),
                labels: [("reason", reason.rawValue)])
        }
        samplesIngested = ingested
        samplesRejected = rejected
        self.seriesRejected = seriesRejected
        seriesCreated = registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "lookout_series_created", unitName: "total", helpText: "Series created"))
        requestsRejected = registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "lookout_metric_requests_rejected", unitName: "total", helpText: "Metric ingest requests answered with a 4xx"))
        duplicatesIgnored = registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "lookout_samples_duplicate", unitName: "total", helpText: "Samples ignored as exact duplicates of stored ones"))
        let buckets: [Duration] = [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                   .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)]
        walSync = registry.makeDurationHistogram(descriptor: MetricNameDescriptor(metricName: "lookout_tsdb_wal_sync", unitName: "seconds", helpText: "Write-ahead log write and fsync latency per group commit"), buckets: buckets)
        flush = registry.makeDurationHistogram(descriptor: MetricNameDescriptor(metricName: "lookout_tsdb_flush", unitName: "seconds", helpText: "Latency of moving closed chunks to the chunk store"), buckets: buckets + [.seconds(5)])
        headSeries = registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "lookout_tsdb_head_series", unitName: "", helpText: "Series held in memory"))
        headChunks = registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "lookout_tsdb_head_chunks", unitName: "", helpText: "Open chunks in memory"))
        pendingChunks = registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "lookout_tsdb_pending_chunks", unitName: "", helpText: "Closed chunks waiting to be flushed"))
        walBytes = registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "lookout_tsdb_wal", unitName: "bytes", helpText: "Bytes of the metrics write-ahead log on disk"))
        storeBytes = registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "lookout_tsdb_store", unitName: "bytes", helpText: "Bytes of the metrics chunk store on disk"))
    }

    public func observeWALSync(seconds: Double) { walSync.record(.nanoseconds(Int64(seconds * 1e9))) }
    public func observeFlush(seconds: Double) { flush.record(.nanoseconds(Int64(seconds * 1e9))) }

    func record(_ report: AppendReport, format: IngestFormat) {
        samplesIngested[format]?.increment(by: Int64(report.accepted))
        if report.newSeries > 0 { seriesCreated.increment(by: Int64(report.newSeries)) }
        if report.duplicatesIgnored > 0 { duplicatesIgnored.increment(by: Int64(report.duplicatesIgnored)) }
        for (reason, count) in report.rejected { samplesRejected[reason]?.increment(by: Int64(count)) }
        for (reason, count) in report.rejectedSeries { seriesRejected[reason]?.increment(by: Int64(count)) }
    }
}

/// The metric side of the collector as the HTTP layer sees it.
public struct MetricsBackend: Sendable {
    public var store: any MetricStore
    public var appender: any MetricAppender
    /// Counts for /metrics.
    public var statistics: @Sendable () -> MetricStoreStatistics

    public init(store: any MetricStore, appender: any MetricAppender,
                statistics: @escaping @Sendable () -> MetricStoreStatistics) {
        self.store = store
        self.appender = appender
        self.statistics = statistics
    }
}
