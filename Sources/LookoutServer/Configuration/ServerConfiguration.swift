/// Everything `lookout serve` can be told. Defaults are the embedded configuration
/// (`ServerConfiguration.embeddedYAML`); a config file overrides them and flags override the file.
public struct ServerConfiguration: Sendable, Equatable {
    /// `server.listen`: where the HTTP API listens. 127.0.0.1:9411 so unchanged Zipkin reporters work.
    public var listenHost = "127.0.0.1"
    public var listenPort = 9411
    /// `server.max_request_bytes`: the largest request body accepted, after decompression.
    public var maxRequestBytes = 16 << 20
    /// `server.dashboards`: the folder of HTML views.
    public var dashboardsPath = "dashboards"
    /// `storage.data_dir`: where the database files live.
    public var dataDirectory = "./data"
    /// `traces.retention`: traces older than this are deleted.
    public var traceRetention: Duration = .seconds(7 * 86_400)
    /// `traces.strict_trace_id`: whether 128-bit trace IDs are matched exactly (Zipkin's default).
    public var strictTraceID = true
    /// `traces.autocomplete_keys`: tag keys offered by `/api/v2/autocompleteValues`.
    public var autocompleteKeys: [String] = []
    /// `traces.default_lookback`: the `lookback` of trace and dependency queries that give none.
    public var defaultLookback: Duration = .seconds(86_400)
    /// `traces.max_queued_spans`: spans waiting for the disk beyond this are refused with 503.
    public var maxQueuedSpans = 200_000
    /// `traces.writer_shards`: database files traces are spread over, each with its own writer.
    public var writerShards = 1
    /// `traces.span_metrics`: derive calls, errors and latency per service from spans, as time series.
    public var spanMetrics = true
    /// `traces.span_metrics_interval`: how often those series get a sample.
    public var spanMetricsInterval: Duration = .seconds(15)
    /// `auth.ingest_tokens`: bearer tokens accepted on the span endpoints; empty means open.
    public var ingestTokens: [String] = []
    /// `auth.query_tokens`: bearer tokens accepted on the query API; empty means open.
    public var queryTokens: [String] = []
    /// `log.level`: trace, debug, info, notice, warning, error or critical.
    public var logLevel = "info"

    /// How long metric samples are kept.
    public var metricRetention: Duration = .seconds(15 * 86_400)
    /// How far behind a series' newest sample a late sample is still stored.
    public var outOfOrderWindow: Duration = .seconds(600)
    public var maxSeries = 2_000_000
    public var maxSeriesPerMetric = 200_000
    public var maxLabelsPerSeries = 64
    public var maxLabelNameLength = 1024
    public var maxLabelValueLength = 4096
    public var maxSamplesPerRequest = 500_000

    /// `rule_files`: globs of Prometheus rules files, relative to the working directory.
    public var ruleFiles: [String] = []
    /// `rules.evaluation_interval`: for groups without `interval`.
    public var evaluationInterval: Duration = .seconds(60)
    /// `rules.query_offset`: for groups without `query_offset`.
    public var ruleQueryOffset: Duration = .zero
    /// `rules.resend_delay`: how often firing alerts are re-sent.
    public var resendDelay: Duration = .seconds(60)
    /// `rules.for_grace_period`: alerts with a `for` at least this long get their pending time back after a restart.
    public var forGracePeriod: Duration = .seconds(600)
    /// `rules.for_outage_tolerance`: how long a restart may take for alert state to be restored.
    public var forOutageTolerance: Duration = .seconds(3600)
    /// `alerting.external_url`: where alerts link back to; empty means `http://<listen>`.
    public var externalURL = ""
    /// `alerting.external_labels`: added to every alert sent.
    public var externalLabels: [String: String] = [:]
    /// `alerting.alertmanagers`: Alertmanager base URLs.
    public var alertmanagers: [String] = []
    /// `alerting.webhooks`: receivers of Alertmanager's webhook payload.
    public var webhooks: [Webhook] = []

    public struct Webhook: Sendable, Equatable {
        public var url: String
        public var groupBy: [String] = ["alertname"]
        public var receiver = "webhook"

        public init(url: String, groupBy: [String] = ["alertname"], receiver: String = "webhook") {
            self.url = url
            self.groupBy = groupBy
            self.receiver = receiver
        }
    }

    public init() {}

    public static func isHTTPURL(_ text: String) -> Bool {
        for scheme in ["http://", "https://"] where text.hasPrefix(scheme) && text.count > scheme.count { return true }
        return false
    }

    /// The external URL, or the listen address when none is set.
    public var effectiveExternalURL: String {
        externalURL.isEmpty ? "http://\(listenAddress)" : externalURL
    }

    public var listenAddress: String { "\(listenHost):\(listenPort)" }

    public mutating func setListen(_ value: String) throws(ConfigurationError) {
        guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw ConfigurationError("listen address \"\(value)\" is not HOST:PORT")
        }
        var host = String(value[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { throw ConfigurationError("listen address \"\(value)\" has no host") }
        listenHost = host
        listenPort = port
    }
}

/// A configuration that cannot be used; the message names the key and, from a file, the line.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
