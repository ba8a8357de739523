import LookoutModel
import LookoutStorage

/// Bounds and settings of query evaluation.
public struct QueryOptions: Sendable {
    /// How far back an instant selector looks for a sample (Prometheus: 5 minutes).
    public var lookbackMillis: Int64 = 300_000
    /// Samples one query may hold in memory at once.
    public var maxSamples = 50_000_000
    /// Points per series a range query may return (Prometheus: 11,000).
    public var maxPointsPerSeries = 11_000
    /// The step of a subquery written without one.
    public var defaultSubqueryStepMillis: Int64 = 60_000
    public var timeout: Duration = .seconds(120)

    public init() {}
}

/// Evaluates PromQL over a `MetricStore`. Range queries are evaluated for all steps at once:
/// each selector reads its series once for the whole range, never once per step.
public struct Engine: Sendable {
    public let store: any MetricStore
    public let options: QueryOptions

    public init(store: any MetricStore, options: QueryOptions = QueryOptions()) {
        self.store = store
        self.options = options
    }

    /// An instant query at `time` (ms).
    public func instant(_ query: String, at time: Int64) async throws -> QueryResult {
        try await instant(parse(query), at: time)
    }

    /// An instant query of an already parsed expression (alert rules parse theirs once).
    public func instant(_ expr: Expr, at time: Int64) async throws -> QueryResult {
        let context = EvalContext(start: time, end: time, step: 1, queryStart: time, queryEnd: time, options: options, store: store)
        let value = try await withTimeout { try await Evaluator(context: context).evaluate(expr) }
        switch value {
        case .scalar(let values): return .scalar(time: time, value: values[0])
        case .string(let text): return .string(time: time, value: text)
        case .vector(let series):
            var result: [(labels: Labels, time: Int64, value: Double)] = []
            var seen = Set<Labels>()
            for entry in series {
                guard let value = entry.values[0] else { continue }
                guard seen.insert(entry.visibleLabels).inserted else {
                    throw PromQLError(.execution, "vector cannot contain metrics with the same labelset")
                }
                result.append((entry.visibleLabels, time, value))
            }
            return .vector(result)
        case .matrix(let windows):
            var result: [SeriesSamples] = []
            for series in windows.series {
                let window = windows.window(series, step: 0)
                if !window.isEmpty { result.append(SeriesSamples(labels: series.labels, samples: Array(window))) }
            }
            return .matrix(result.sorted { $0.labels < $1.labels })
        }
    }

    /// A range query over `[start, end]` every `step` (all ms).
    public func range(_ query: String, start: Int64, end: Int64, step: Int64) async throws -> QueryResult {
        guard step > 0 else { throw PromQLError(.badData, "zero or negative query resolution step widths are not accepted. Try a positive integer") }
        guard end >= start else { throw PromQLError(.badData, "end timestamp must not be before start time") }
        guard (end - start) / step < Int64(options.maxPointsPerSeries) else {
            throw PromQLError(.badData, "exceeded maximum resolution of \(options.maxPointsPerSeries) points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        let expr = try parse(query)
        guard expr.type == .scalar || expr.type == .vector else {
            throw PromQLError(.badData, "invalid expression type \"\(expr.type.rawValue)\" for range query, must be Scalar or instant Vector")
        }
        let context = EvalContext(start: start, end: end, step: step, queryStart: start, queryEnd: end, options: options, store: store)
        let value = try await withTimeout { try await Evaluator(context: context).evaluate(expr) }
        let times = context.times
        switch value {
        case .scalar(let values):
            return .matrix([SeriesSamples(labels: Labels(sorted: []), samples: zip(times, values).map { MetricSample($0, $1) })])
        case .vector(let series):
            var merged: [Labels: [Double?]] = [:]
            for entry in series {
                let labels = entry.visibleLabels
                var values = merged[labels] ?? [Double?](repeating: nil, count: times.count)
                for (index, value) in entry.values.enumerated() where value != nil {
                    guard values[index] == nil else { throw PromQLError(.execution, "vector cannot contain metrics with the same labelset") }
                    values[index] = value
                }
                merged[labels] = values
            }
            var result: [SeriesSamples] = []
            for (labels, values) in merged {
                var samples: [MetricSample] = []
                for (index, value) in values.enumerated() { if let value { samples.append(MetricSample(times[index], value)) } }
                if !samples.isEmpty { result.append(SeriesSamples(labels: labels, samples: samples)) }
            }
            return .matrix(result.sorted { $0.labels < $1.labels })
        default:
            throw PromQLError(.badData, "invalid expression type for range query")
        }
    }

    private func parse(_ query: String) throws -> Expr {
        do {
            return try Parser.parse(query)
        } catch {
            throw PromQLError(.badData, error.describe(in: query))
        }
    }

    private func withTimeout<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = options.timeout
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            do {
                guard let first = try await group.next() else { throw PromQLError(.canceled, "query was canceled") }
                guard let value = first else { throw PromQLError(.timeout, "query timed out in expression evaluation") }
                return value
            } catch is CancellationError {
                // The evaluation saw the cancellation the timeout caused, or the client went away.
                throw PromQLError(Task.isCancelled ? .canceled : .timeout,
                                  Task.isCancelled ? "query was canceled" : "query timed out in expression evaluation")
            }
        }
    }
}

/// The step grid a node is evaluated over, and what selectors need to read.
struct EvalContext: Sendable {
    var start: Int64
    var end: Int64
    var step: Int64
    /// The outermost query's range, for `@ start()` and `@ end()`.
    var queryStart: Int64
    var queryEnd: Int64
    var options: QueryOptions
    var store: any MetricStore

    var times: [Int64] { Array(stride(from: start, through: end, by: Int(step)).map { Int64($0) }) }
    var count: Int { Int((end - start) / step) + 1 }
}
