/// One sample: milliseconds since the epoch and a float, compared by bit pattern so that NaNs,
/// including Prometheus' stale marker, are equal to themselves.
public struct MetricSample: Sendable, Hashable {
    public var timestamp: Int64
    public var value: Double

    public init(_ timestamp: Int64, _ value: Double) {
        self.timestamp = timestamp
        self.value = value
    }

    public static func == (lhs: MetricSample, rhs: MetricSample) -> Bool {
        lhs.timestamp == rhs.timestamp && lhs.value.bitPattern == rhs.value.bitPattern
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(timestamp)
        hasher.combine(value.bitPattern)
    }
}

/// Prometheus' stale marker: a NaN with this exact bit pattern ends a series.
public enum StaleMarker {
    public static let bitPattern: UInt64 = 0x7ff0_0000_0000_0002
    public static let value = Double(bitPattern: bitPattern)

    public static func isStale(_ value: Double) -> Bool { value.bitPattern == bitPattern }
}

/// A series and its samples in time order, as queries read them.
public struct SeriesSamples: Sendable, Equatable {
    public var labels: Labels
    public var samples: [MetricSample]

    public init(labels: Labels, samples: [MetricSample]) {
        self.labels = labels
        self.samples = samples
    }
}

public enum MetricType: String, Sendable, Hashable, CaseIterable {
    case counter, gauge, histogram, gaugehistogram, summary, info, stateset, unknown
}

/// What a sender said about a metric name.
public struct MetricMetadata: Sendable, Hashable {
    public var metricName: String
    public var type: MetricType
    public var help: String
    public var unit: String

    public init(metricName: String, type: MetricType, help: String = "", unit: String = "") {
        self.metricName = metricName
        self.type = type
        self.help = help
        self.unit = unit
    }
}

/// A sample's link to a trace: the exemplar's labels (usually `trace_id`), value and time.
public struct Exemplar: Sendable, Hashable {
    public var labels: Labels
    public var value: Double
    public var timestamp: Int64?

    public init(labels: Labels, value: Double, timestamp: Int64?) {
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }
}
