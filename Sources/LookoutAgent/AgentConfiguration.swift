import Foundation
import LookoutAgentCore
import LookoutModel
import Yams

/// Everything `lookout-agent` can be told; each flag is the shortcut of a key here.
struct AgentConfiguration: Equatable {
    var collector: String?
    var token: String?
    var interval: Duration = .seconds(15)
    var sendTimeout: Duration = .seconds(10)
    var dataDirectory = "./agent-data"
    var instance: String?
    var labels: [String: String] = [:]
    var spoolMaxBytes: Int64 = 256 << 20
    var procPath = "/proc"
    var disabledCollectors: [String] = []
    var diskExclude: String?
    var networkExclude: String?
    var scrape: [ScrapeTarget] = []

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads a YAML file over the defaults. Unknown keys and bad values name the key and line.
    static func parse(yaml: String, source: String) throws -> AgentConfiguration {
        var configuration = AgentConfiguration()
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch { throw Failure(description: "\(source): invalid YAML: \(error)") }
        guard let root else { return configuration }
        func fail(_ node: Node, _ message: String) -> Failure { Failure(description: "\(source):\(node.mark?.line ?? 0): \(message)") }
        func string(_ node: Node, _ key: String) throws -> String {
            guard case .scalar(let scalar) = node, !scalar.string.isEmpty else { throw fail(node, "\(key) must be a non-empty string") }
            return scalar.string
        }
        guard case .mapping(let mapping) = root else { throw fail(root, "the configuration must be a mapping") }
        for (keyNode, value) in mapping {
            let key = try string(keyNode, "keys")
            switch key {
            case "collector":
                let url = try string(value, key)
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw fail(value, "collector: \"\(url)\" is not an http:// or https:// URL") }
                configuration.collector = url
            case "token": configuration.token = try string(value, key)
            case "interval":
                let text = try string(value, key)
                guard let duration = PrometheusDuration.parse(text), duration >= .seconds(1) else {
                    throw fail(value, "interval: \"\(text)\" is not a duration of at least 1s such as 15s")
                }
                configuration.interval = duration
            case "send_timeout":
                let text = try string(value, key)
                guard let duration = PrometheusDuration.parse(text), duration >= .milliseconds(100) else {
                    throw fail(value, "send_timeout: \"\(text)\" is not a duration such as 10s")
                }
                configuration.sendTimeout = duration
            case "data_dir": configuration.dataDirectory = try string(value, key)
            case "instance": configuration.instance = try string(value, key)
            case "labels":
                guard case .mapping(let labels) = value else { throw fail(value, "labels must be a mapping") }
                for (name, labelValue) in labels {
                    let label = try string(name, "labels")
                    guard MetricNames.isValidLabelName(label) else { throw fail(name, "labels: \"\(label)\" is not a valid label name") }
                    configuration.labels[label] = try string(labelValue, "labels.\(label)")
                }
            case "spool_max_bytes":
                guard let bytes = Int64(try string(value, key)), bytes >= 1 << 20 else { throw fail(value, "spool_max_bytes must be an integer of at least 1048576") }
                configuration.spoolMaxBytes = bytes
            case "proc_path": configuration.procPath = try string(value, key)
            case "disable_collectors":
                guard case .sequence(let items) = value else { throw fail(value, "disable_collectors must be a list") }
                configuration.disabledCollectors = try items.map { try string($0, key) }
            case "scrape":
                guard case .sequence(let items) = value else { throw fail(value, "scrape must be a list") }
                for item in items {
                    guard case .mapping(let fields) = item else { throw fail(item, "scrape[] must be a mapping with url") }
                    var target = ScrapeTarget(url: "")
                    for (fieldNode, fieldValue) in fields {
                        let field = try string(fieldNode, "scrape[]")
                        switch field {
                        case "url":
                            target.url = try string(fieldValue, "scrape[].url")
                            guard target.url.hasPrefix("http://") || target.url.hasPrefix("https://") else {
                                throw fail(fieldValue, "scrape[].url: \"\(target.url)\" is not an http:// or https:// URL")
                            }
                        case "interval":
                            let text = try string(fieldValue, "scrape[].interval")
                            guard let duration = PrometheusDuration.parse(text), duration >= .seconds(1) else {
                                throw fail(fieldValue, "scrape[].interval: \"\(text)\" is not a duration of at least 1s")
                            }
                            target.interval = duration
                        case "job": target.job = try string(fieldValue, "scrape[].job")
                        case "labels":
                            guard case .mapping(let labels) = fieldValue else { throw fail(fieldValue, "scrape[].labels must be a mapping") }
                            for (name, labelValue) in labels { target.labels[try string(name, "scrape[].labels")] = try string(labelValue, "scrape[].labels") }
                        default: throw fail(fieldNode, "unknown key 'scrape[].\(field)'")
                        }
                    }
                    guard !target.url.isEmpty else { throw fail(item, "scrape[] needs a url") }
                    configuration.scrape.append(target)
                }
            case "disk_exclude": configuration.diskExclude = try string(value, key)
            case "network_exclude": configuration.networkExclude = try string(value, key)
            default: throw fail(keyNode, "unknown key '\(key)'")
            }
        }
        return configuration
    }
}
