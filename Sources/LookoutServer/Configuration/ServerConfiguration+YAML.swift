import LookoutModel
import Yams

extension ServerConfiguration {
    /// The configuration `lookout serve` runs with when given no file. `collectors/lookout.yaml`
    /// is the same configuration with every key explained.
    public static let embeddedYAML = """
        server:
          listen: 127.0.0.1:9411
          max_request_bytes: 16777216
          dashboards: dashboards
        storage:
          data_dir: ./data
        traces:
          retention: 7d
          strict_trace_id: true
          autocomplete_keys: []
          default_lookback: 1d
          max_queued_spans: 200000
          writer_shards: 1
          span_metrics: true
          span_metrics_interval: 15s
        metrics:
          retention: 15d
          out_of_order_window: 10m
          max_series: 2000000
          max_series_per_metric: 200000
          max_labels_per_series: 64
          max_label_name_length: 1024
          max_label_value_length: 4096
          max_samples_per_request: 500000
        rule_files: []
        rules:
          evaluation_interval: 1m
          query_offset: 0s
          resend_delay: 1m
          for_grace_period: 10m
          for_outage_tolerance: 1h
        alerting:
          external_url: ""
          external_labels: {}
          alertmanagers: []
          webhooks: []
        auth:
          ingest_tokens: []
          query_tokens: []
        log:
          level: info
        """

    /// Reads a YAML configuration over the defaults. Unknown keys and bad values are errors
    /// naming the key and its line.
    public static func parse(yaml: String, source: String = "config") throws(ConfigurationError) -> ServerConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError("\(source): invalid YAML: \(error)")
        } catch {
            throw ConfigurationError("\(source): invalid YAML: \(error)")
        }
        var configuration = ServerConfiguration()
        guard let root else { return configuration }
        var reader = ConfigReader(source: source)
        try reader.read(root, into: &configuration)
        return configuration
    }
}

/// Walks the YAML tree, so every error can point at a line.
struct ConfigReader {
    let source: String

    func fail(_ node: Node, _ message: String) -> ConfigurationError {
        ConfigurationError("\(source):\(node.mark?.line ?? 0): \(message)")
    }

    func mapping(_ node: Node, _ path: String) throws(ConfigurationError) -> [(key: String, keyNode: Node, value: Node)] {
        guard case .mapping(let mapping) = node else {
            throw fail(node, path.isEmpty ? "the configuration must be a mapping" : "'\(path)' must be a mapping")
        }
        var result: [(String, Node, Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw fail(key, "keys must be strings") }
            result.append((name, key, value))
        }
        return result
    }

    mutating func read(_ root: Node, into c: inout ServerConfiguration) throws(ConfigurationError) {
        for (section, keyNode, value) in try mapping(root, "") {
            switch section {
            case "server":
                for (key, keyNode, value) in try mapping(value, section) {
                    switch key {
                    case "listen":
                        let text = try string(value, "server.listen")
                        do { try c.setListen(text) } catch { throw fail(value, "server.listen: \(error.message)") }
                    case "max_request_bytes":
                        c.maxRequestBytes = try int(value, "server.max_request_bytes", min: 1024)
                    case "dashboards":
                        c.dashboardsPath = try string(value, "server.dashboards")
                    default: throw unknown(keyNode, "server.\(key)")
                    }
                }
            case "storage":
                for (key, keyNode, value) in try mapping(value, section) {
                    switch key {
                    case "data_dir": c.dataDirectory = try string(value, "storage.data_dir")
                    default: throw unknown(keyNode, "storage.\(key)")
                    }
                }
            case "traces":
                for (key, keyNode, value) in try mapping(value, section) {
                    switch key {
                    case "retention": c.traceRetention = try duration(value, "traces.retention")
                    case "strict_trace_id": c.strictTraceID = try bool(value, "traces.strict_trace_id")
                    case "autocomplete_keys": c.autocompleteKeys = try strings(value, "traces.autocomplete_keys")
                    case "default_lookback": c.defaultLookback = try duration(value, "traces.default_lookback")
                    case "max_queued_spans": c.maxQueuedSpans = try int(value, "traces.max_queued_spans", min: 1)
                    case "writer_shards":
                        c.writerShards = try int(value, "traces.writer_shards", min: 1)
                        guard c.writerShards <= 64 else { throw fail(value, "traces.writer_shards must be at most 64") }
                    case "span_metrics": c.spanMetrics = try bool(value, "traces.span_metrics")
                    case "span_metrics_interval": c.spanMetricsInterval = try duration(value, "traces.span_metrics_interval")
                    default: throw unknown(keyNode, "traces.\(key)")
                    }
                }
            case "metrics":
                for (key, keyNode, value) in try mapping(value, section) {
                    switch key {
                    case "retention": c.metricRetention = try duration(value, "metrics.retention")
                    case "out_of_order_window": c.outOfOrderWindow = try duration(value, "metrics.out_of_order_window")
                    case "max_series": c.maxSeries = try int(value, "metrics.max_series", min: 1)
                    case "max_series_per_metric": c.maxSeriesPerMetric = try int(value, "metrics.max_series_per_metric", min: 1)
                    case "max_labels_per_series": c.maxLabelsPerSeries = try int(value, "metrics.max_labels_per_series", min: 1)
                    case "max_label_name_length": c.maxLabelNameLength = try int(value, "metrics.max_label_name_length", min: 1)
                    case "max_label_value_length": c.maxLabelValueLength = try int(value, "metrics.max_label_value_length", min: 1)
                    case "max_samples_per_request": c.maxSamplesPerRequest = try int(value, "metrics.max_samples_per_request", min: 1)
                    default: throw unknown(keyNode, "metrics.\(key)")
                    }
                }
            case "rule_files":
                c.ruleFiles = try strings(value, "rule_files")
            case "rules":
                for (key, keyNode, value) in try mapping(value, section) {
                    switch key {
                    case "evaluation_interval": c.evaluationInterval = try duration(value, "rules.evaluation_interval")
                    case "query_offset": c.ruleQueryOffset = try duration(value, "rules.query_offset", allowZero: true)
                    case "resend_delay": c.resendDelay = try duration(value, "rules.resend_delay")
                    case "for_grace_period": c.forGracePeriod = try duration(value, "rules.for_grace_period", allowZero: true)
                    case "for_outage_tolerance": c.forOutageTolerance = try duration(value, "rules.for_outage_tolerance")
                    default: throw unknown(keyNode, "rules.\(key)")
                    }
                }
            case "alerting":
                for (key, keyNode, value) in try mapping(value, section) {
                    switch key {
                    case "external_url":
                        guard case .scalar(let scalar) = value else { throw fail(value, "alerting.external_url must be a string") }
                        c.externalURL = scalar.string.hasSuffix("/") ? String(scalar.string.dropLast()) : scalar.string
                    case "external_labels":
                        c.externalLabels = [:]
                        for (name, _, labelValue) in try mapping(value, "alerting.external_labels") {
                            c.externalLabels[name] = try string(labelValue, "alerting.external_labels.\(name)")
                        }
                    case "alertmanagers": c.alertmanagers = try urls(value, "alerting.alertmanagers")
                    case "webhooks":
                        guard case .sequence(let items) = value else { throw fail(value, "alerting.webhooks must be a list") }
                        c.webhooks = []
                        for item in items {
                            var webhook = ServerConfiguration.Webhook(url: "")
                            for (field, fieldNode, fieldValue) in try mapping(item, "alerting.webhooks[]") {
                                switch field {
                                case "url": webhook.url = try url(fieldValue, "alerting.webhooks[].url")
                                case "group_by": webhook.groupBy = try strings(fieldValue, "alerting.webhooks[].group_by")
                                case "receiver": webhook.receiver = try string(fieldValue, "alerting.webhooks[].receiver")
                                default: throw unknown(fieldNode, "alerting.webhooks[].\(field)")
                                }
                            }
                            guard !webhook.url.isEmpty else { throw fail(item, "alerting.webhooks[] needs a url") }
                            c.webhooks.append(webhook)
                        }
                    default: throw unknown(keyNode, "alerting.\(key)")
                    }
                }
            case "auth":
                for (key, keyNode, value) in try mapping(value, section) {
                    switch key {
                    case "ingest_tokens": c.ingestTokens = try strings(value, "auth.ingest_tokens")
                    case "query_tokens": c.queryTokens = try strings(value, "auth.query_tokens")
                    default: throw unknown(keyNode, "auth.\(key)")
                    }
                }
            case "log":
                for (key, keyNode, value) in try mapping(value, section) {
                    switch key {
                    case "level":
                        let level = try string(value, "log.level")
                        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) else {
                            throw fail(value, "log.level: \"\(level)\" is not one of trace, debug, info, notice, warning, error, critical")
                        }
                        c.logLevel = level
                    default: throw unknown(keyNode, "log.\(key)")
                    }
                }
            default:
                throw unknown(keyNode, section)
            }
        }
    }

    func unknown(_ node: Node, _ key: String) -> ConfigurationError {
        fail(node, "unknown key '\(key)'")
    }

    func string(_ node: Node, _ key: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else { throw fail(node, "\(key) must be a non-empty string") }
        return scalar.string
    }

    func strings(_ node: Node, _ key: String) throws(ConfigurationError) -> [String] {
        guard case .sequence(let sequence) = node else { throw fail(node, "\(key) must be a list of strings") }
        var result: [String] = []
        for item in sequence { result.append(try string(item, key)) }
        return result
    }

    func int(_ node: Node, _ key: String, min: Int) throws(ConfigurationError) -> Int {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else { throw fail(node, "\(key) must be an integer") }
        guard value >= min else { throw fail(node, "\(key) must be at least \(min)") }
        return value
    }

    func bool(_ node: Node, _ key: String) throws(ConfigurationError) -> Bool {
        guard case .scalar(let scalar) = node else { throw fail(node, "\(key) must be true or false") }
        switch scalar.string {
        case "true": return true
        case "false": return false
        default: throw fail(node, "\(key) must be true or false, not \"\(scalar.string)\"")
        }
    }

    func urls(_ node: Node, _ key: String) throws(ConfigurationError) -> [String] {
        guard case .sequence(let sequence) = node else { throw fail(node, "\(key) must be a list of URLs") }
        var result: [String] = []
        for item in sequence { result.append(try url(item, key)) }
        return result
    }

    func url(_ node: Node, _ key: String) throws(ConfigurationError) -> String {
        let text = try string(node, key)
        guard ServerConfiguration.isHTTPURL(text) else {
            throw fail(node, "\(key): \"\(text)\" is not an http:// or https:// URL")
        }
        return text
    }

    func duration(_ node: Node, _ key: String, allowZero: Bool = false) throws(ConfigurationError) -> Duration {
        let text = try string(node, key)
        guard let duration = PrometheusDuration.parse(text), duration > .zero || (allowZero && duration == .zero) else {
            throw fail(node, "\(key): \"\(text)\" is not a duration such as 30s, 15m, 12h, 7d")
        }
        return duration
    }
}
