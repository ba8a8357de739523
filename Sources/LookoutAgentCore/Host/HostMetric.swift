import LookoutModel

/// One value a host collector read: a node_exporter series and its current value.
public struct HostMetric: Sendable, Equatable {
    public var labels: Labels
    public var value: Double

    public init(_ name: String, _ labels: [String: String] = [:], _ value: Double) {
        var all = labels
        all[Labels.metricName] = name
        self.labels = Labels(all)
        self.value = value
    }

    public var name: String { labels.metricName ?? "" }
}

/// A /proc or /sys file that does not read as expected.
public struct HostParseError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Substring {
    /// Whitespace-separated fields, as the kernel writes them.
    var fields: [Substring] { split(whereSeparator: { $0 == " " || $0 == "\t" }) }
}
