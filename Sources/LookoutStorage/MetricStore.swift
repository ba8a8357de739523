import LookoutModel

/// What the query engine, the HTTP API and alert rules read metrics through. Times are
/// milliseconds, ranges closed at both ends. A selector is a list of matchers that all must
/// hold; several selectors (`match[]`) mean their union.
public protocol MetricStore: Sendable {
    /// Series matching `matchers` with their samples in `[from, through]`, in label order.
    /// Series with no sample in the range are left out. Throws `StorageError.tooLarge` before
    /// decoding when the data would hold more than `maxSamples` samples.
    func select(_ matchers: [LabelMatcher], from: Int64, through: Int64, maxSamples: Int) async throws -> [SeriesSamples]

    /// Series matching any of `selectors` that have data overlapping the range.
    func series(_ selectors: [[LabelMatcher]], from: Int64, through: Int64) async throws -> [Labels]

    /// Label names, sorted, of the series matching any of `selectors` (all series when empty).
    func labelNames(_ selectors: [[LabelMatcher]], from: Int64, through: Int64) async throws -> [String]

    /// Values of label `name`, sorted, of the series matching any of `selectors`.
    func labelValues(_ name: String, _ selectors: [[LabelMatcher]], from: Int64, through: Int64) async throws -> [String]

    /// What senders said about metric names, optionally one name.
    func metadata(metric: String?) async throws -> [MetricMetadata]

    /// Exemplars in the range of the series matching any of `selectors`.
    func exemplars(_ selectors: [[LabelMatcher]], from: Int64, through: Int64) async throws -> [SeriesExemplars]
}

extension MetricStore {
    public func select(_ matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [SeriesSamples] {
        try await select(matchers, from: from, through: through, maxSamples: Int.max)
    }
}

public struct SeriesExemplars: Sendable, Equatable {
    public var labels: Labels
    public var exemplars: [Exemplar]

    public init(labels: Labels, exemplars: [Exemplar]) {
        self.labels = labels
        self.exemplars = exemplars
    }
}

/// Counts a metric engine keeps for /metrics.
public struct MetricStoreStatistics: Sendable {
    public var headSeries: Int
    public var headChunks: Int
    public var pendingChunks: Int
    public var walBytes: Int64
    public var storeBytes: Int64

    public init(headSeries: Int, headChunks: Int, pendingChunks: Int, walBytes: Int64, storeBytes: Int64) {
        self.headSeries = headSeries
        self.headChunks = headChunks
        self.pendingChunks = pendingChunks
        self.walBytes = walBytes
        self.storeBytes = storeBytes
    }
}

/// Where ingest puts samples.
public protocol MetricAppender: Sendable {
    /// Stores what the batch holds and reports what was refused and why. Returns once every
    /// accepted sample is durable. A batch carrying an idempotency key already applied is not
    /// applied again (its report says so).
    func append(_ batch: MetricBatch, idempotencyKey: String?) async throws -> AppendReport
}

/// The outcome of one append: accepted samples and, per reason, the refused ones.
public struct AppendReport: Sendable, Equatable {
    public enum Reason: String, Sendable, CaseIterable, Hashable {
        case outOfOrder = "out_of_order"
        case duplicateTimestamp = "duplicate_timestamp"
        case tooOld = "too_old"
        case invalidLabels = "invalid_labels"
        case tooManyLabels = "too_many_labels"
        case labelTooLong = "label_too_long"
        case seriesLimit = "series_limit"
        case seriesPerMetricLimit = "series_per_metric_limit"
        case unsupported = "unsupported"
    }

    public var accepted = 0
    public var duplicatesIgnored = 0
    public var newSeries = 0
    public var exemplarsAccepted = 0
    /// True when the idempotency key was seen before and nothing was applied.
    public var alreadyApplied = false
    /// Refused samples per reason.
    public var rejected: [Reason: Int] = [:]
    /// Series with at least one refused sample, per reason.
    public var rejectedSeries: [Reason: Int] = [:]
    /// The first few refusals in words, naming the series: safe to show the sender.
    public var messages: [String] = []

    public init() {}

    public var rejectedTotal: Int { rejected.values.reduce(0, +) }

    public mutating func reject(_ reason: Reason, count: Int = 1, _ message: @autoclosure () -> String) {
        rejected[reason, default: 0] += count
        rejectedSeries[reason, default: 0] += 1
        if messages.count < 10 { messages.append(message()) }
    }
}
