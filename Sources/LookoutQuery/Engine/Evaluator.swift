import LookoutModel
import LookoutStorage

/// Evaluates an expression over a step grid. One evaluator per query; not shared across tasks.
final class Evaluator {
    let context: EvalContext
    private var samplesLoaded = 0

    init(context: EvalContext) {
        self.context = context
    }

    func evaluate(_ expr: Expr) async throws -> StepValue {
        try await evaluate(expr, in: context)
    }

    func evaluate(_ expr: Expr, in context: EvalContext) async throws -> StepValue {
        try Task.checkCancellation()
        switch expr {
        case .number(let value):
            return .scalar([Double](repeating: value, count: context.count))
        case .string(let value):
            return .string(value)
        case .paren(let inner):
            return try await evaluate(inner, in: context)
        case .vector(let selector):
            return .vector(try await instantSelector(selector, in: context))
        case .matrix(let selector, let range):
            return .matrix(try await rangeSelector(selector, range: range, in: context))
        case .subquery(let inner, let range, let step, let offset, let at):
            return .matrix(try await subquery(inner, range: range, step: step ?? context.options.defaultSubqueryStepMillis,
                                              offset: offset, at: at, in: context))
        case .unary(_, let inner):
            switch try await evaluate(inner, in: context) {
            case .scalar(let values): return .scalar(values.map { -$0 })
            case .vector(let series):
                return .vector(series.map { StepSeries(labels: $0.labels, values: $0.values.map { $0.map { -$0 } }, dropName: true) })
            default: throw PromQLError(.execution, "unary minus needs a scalar or an instant vector")
            }
        case .binary(let op, let lhs, let rhs, let returnBool, let matching):
            let left = try await evaluate(lhs, in: context)
            let right = try await evaluate(rhs, in: context)
            return try BinaryEvaluation(op: op, returnBool: returnBool, matching: matching, steps: context.count)
                .apply(left, right)
        case .aggregate(let op, let inner, let parameter, let grouping, let without):
            var parameterValue: StepValue?
            if let parameter { parameterValue = try await evaluate(parameter, in: context) }
            guard case .vector(let series) = try await evaluate(inner, in: context) else {
                throw PromQLError(.execution, "aggregation needs an instant vector")
            }
            return .vector(try Aggregation(op: op, grouping: grouping, without: without, steps: context.count)
                .apply(series, parameter: parameterValue))
        case .call(let function, let arguments):
            // timestamp() of a selector is the time of the sample each step picked.
            if function.name == "timestamp", case .vector(let selector) = arguments[0].unwrappingParens {
                let series = try await instantSelector(selector, in: context, sampleTimes: true)
                return .vector(series.map { StepSeries(labels: $0.labels, values: $0.values, dropName: true) })
            }
            var values: [StepValue] = []
            for argument in arguments { values.append(try await evaluate(argument, in: context)) }
            return try FunctionEvaluation(function: function, arguments: arguments, context: context).apply(values)
        }
    }

    /// Evaluation times of a selector at each step: fixed by `@`, else the step times; minus the offset.
    private func times(at: AtModifier?, offset: Int64, in context: EvalContext) -> [Int64] {
        let fixed: Int64?
        switch at {
        case .timestamp(let time): fixed = time
        case .start: fixed = context.queryStart
        case .end: fixed = context.queryEnd
        case nil: fixed = nil
        }
        if let fixed { return [Int64](repeating: fixed - offset, count: context.count) }
        return context.times.map { $0 - offset }
    }

    private func load(_ matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [SeriesSamples] {
        let series: [SeriesSamples]
        do {
            series = try await context.store.select(matchers, from: from, through: through,
                                                    maxSamples: context.options.maxSamples - samplesLoaded)
        } catch let error as StorageError where error.code == .tooLarge {
            throw PromQLError(.execution, "query processing would load too many samples into memory in query execution")
        }
        samplesLoaded += series.reduce(0) { $0 + $1.samples.count }
        guard samplesLoaded <= context.options.maxSamples else {
            throw PromQLError(.execution, "query processing would load too many samples into memory in query execution")
        }
        return series
    }

    func instantSelector(_ selector: VectorSelector, in context: EvalContext, sampleTimes: Bool = false) async throws -> [StepSeries] {
        let times = times(at: selector.at, offset: selector.offset, in: context)
        guard let first = times.min(), let last = times.max() else { return [] }
        let lookback = context.options.lookbackMillis
        let loaded = try await load(selector.matchers, from: first - lookback + 1, through: last)
        var result: [StepSeries] = []
        for series in loaded {
            try Task.checkCancellation()
            var values = [Double?](repeating: nil, count: times.count)
            let samples = series.samples
            var any = false
            for (step, time) in times.enumerated() {
                // The newest sample in (time - lookback, time]; a stale marker there means none.
                let upper = samples.partitioningIndex { $0.timestamp > time }
                guard upper > 0 else { continue }
                let sample = samples[upper - 1]
                guard sample.timestamp > time - lookback, !StaleMarker.isStale(sample.value) else { continue }
                values[step] = sampleTimes ? Double(sample.timestamp) / 1000 : sample.value
                any = true
            }
            if any { result.append(StepSeries(labels: series.labels, values: values)) }
        }
        return result
    }

    func rangeSelector(_ selector: VectorSelector, range: Int64, in context: EvalContext) async throws -> MatrixWindows {
        let ends = times(at: selector.at, offset: selector.offset, in: context)
        guard let first = ends.min(), let last = ends.max() else { return MatrixWindows(series: [], windowEnds: [], range: range) }
        let loaded = try await load(selector.matchers, from: first - range + 1, through: last)
        let series = loaded.map { RangeSeries(labels: $0.labels, samples: $0.samples.filter { !StaleMarker.isStale($0.value) }) }
        return MatrixWindows(series: series.filter { !$0.samples.isEmpty }, windowEnds: ends, range: range)
    }

    func subquery(_ inner: Expr, range: Int64, step: Int64, offset: Int64, at: AtModifier?,
                  in context: EvalContext) async throws -> MatrixWindows {
        let ends = times(at: at, offset: offset, in: context)
        guard let first = ends.min(), let last = ends.max() else { return MatrixWindows(series: [], windowEnds: [], range: range) }
        // Inner steps sit on multiples of the step, as Prometheus aligns them.
        var innerStart = first - range
        innerStart -= ((innerStart % step) + step) % step
        if innerStart <= first - range { innerStart += step }
        guard innerStart <= last else { return MatrixWindows(series: [], windowEnds: ends, range: range) }
        let innerEnd = last - (((last % step) + step) % step)
        var innerContext = context
        innerContext.start = innerStart
        innerContext.end = max(innerStart, innerEnd)
        innerContext.step = step
        let times = innerContext.times
        let series: [RangeSeries]
        switch try await evaluate(inner, in: innerContext) {
        case .vector(let vector):
            series = vector.map { entry in
                var samples: [MetricSample] = []
                for (index, value) in entry.values.enumerated() { if let value { samples.append(MetricSample(times[index], value)) } }
                return RangeSeries(labels: entry.visibleLabels, samples: samples)
            }
        case .scalar(let values):
            series = [RangeSeries(labels: Labels(sorted: []), samples: zip(times, values).map { MetricSample($0, $1) })]
        default:
            throw PromQLError(.execution, "subquery is only allowed on instant vector")
        }
        return MatrixWindows(series: series.filter { !$0.samples.isEmpty }, windowEnds: ends, range: range)
    }
}

extension Expr {
    var unwrappingParens: Expr {
        if case .paren(let inner) = self { return inner.unwrappingParens }
        return self
    }
}
