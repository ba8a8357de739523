import LookoutModel

/// A series evaluated over every step of a query: one optional value per step.
struct StepSeries {
    var labels: Labels
    var values: [Double?]
    /// The metric name goes at the end of evaluation (Prometheus' delayed name removal), so
    /// label_replace and label_join can still read and keep it.
    var dropName = false

    init(labels: Labels, values: [Double?], dropName: Bool = false) {
        self.labels = labels
        self.values = values
        self.dropName = dropName
    }

    /// Adds `series` to `result`, merging it with an earlier series of the same labels when
    /// their steps do not overlap; overlapping ones are Prometheus' duplicate-labelset error.
    static func merge(_ series: StepSeries, into result: inout [StepSeries], index: inout [Labels: Int]) throws {
        guard let existing = index[series.labels] else {
            index[series.labels] = result.count
            result.append(series)
            return
        }
        for (step, value) in series.values.enumerated() where value != nil {
            guard result[existing].values[step] == nil else {
                throw PromQLError(.execution, "vector cannot contain metrics with the same labelset")
            }
            result[existing].values[step] = value
        }
    }

    /// The labels a result shows.
    var visibleLabels: Labels { dropName ? labels.removing(Labels.metricName) : labels }
}

/// A range vector: raw samples of each series, read once for the whole query.
struct RangeSeries {
    var labels: Labels
    var samples: [MetricSample]
}

/// What a node evaluates to over the query's steps.
enum StepValue {
    case scalar([Double])
    case string(String)
    case vector([StepSeries])
    /// Per series, per step, the samples inside that step's window (for functions over ranges).
    case matrix(MatrixWindows)
}

/// A range vector over steps: its series' samples and, per step, the window (start, end] in ms.
struct MatrixWindows {
    var series: [RangeSeries]
    /// Window end for each step; the window is (end - range, end].
    var windowEnds: [Int64]
    var range: Int64

    /// Indices into `samples` of the samples inside step `step`'s window.
    func window(_ series: RangeSeries, step: Int) -> ArraySlice<MetricSample> {
        let end = windowEnds[step]
        let start = end - range
        let samples = series.samples
        let lower = samples.partitioningIndex { $0.timestamp > start }
        let upper = samples.partitioningIndex { $0.timestamp > end }
        return samples[lower..<max(lower, upper)]
    }
}

/// The result of a query, in the shapes of the Prometheus HTTP API.
public enum QueryResult: Sendable, Equatable {
    case scalar(time: Int64, value: Double)
    case string(time: Int64, value: String)
    case vector([(labels: Labels, time: Int64, value: Double)])
    case matrix([SeriesSamples])

    public static func == (lhs: QueryResult, rhs: QueryResult) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let t1, let v1), .scalar(let t2, let v2)): t1 == t2 && (v1 == v2 || (v1.isNaN && v2.isNaN))
        case (.string(let t1, let v1), .string(let t2, let v2)): t1 == t2 && v1 == v2
        case (.vector(let a), .vector(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.labels == $1.labels && $0.time == $1.time && $0.value.bitPattern == $1.value.bitPattern }
        case (.matrix(let a), .matrix(let b)): a == b
        default: false
        }
    }
}

/// A query that failed at evaluation, with Prometheus' error type.
public struct PromQLError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case badData = "bad_data"
        case execution
        case timeout
        case canceled
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
