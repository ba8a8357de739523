import LookoutModel

/// Functions over range vectors, evaluated per step on that step's window.
struct RangeFunctions {
    let name: String
    let context: EvalContext

    func apply(_ windows: MatrixWindows, scalars values: [StepValue]) throws -> [StepSeries] {
        let steps = windows.windowEnds.count
        var parameter: [Double] = []
        for value in values { if case .scalar(let scalars) = value { parameter = scalars } }
        // Functions that keep the metric name: only last_over_time and first_over_time.
        let keepName = name == "last_over_time" || name == "first_over_time"
        let times = context.times
        var result: [StepSeries] = []
        for series in windows.series {
            // A query past its timeout is cancelled; long loops give up here instead of finishing.
            try Task.checkCancellation()
            var output = [Double?](repeating: nil, count: steps)
            for step in 0..<steps {
                let window = windows.window(series, step: step)
                guard !window.isEmpty else { continue }
                output[step] = try compute(window, end: windows.windowEnds[step], range: windows.range,
                                           parameter: parameter.isEmpty ? 0 : parameter[step], evalTime: times[step])
            }
            if output.contains(where: { $0 != nil }) {
                result.append(StepSeries(labels: series.labels, values: output, dropName: !keepName))
            }
        }
        return result
    }

    /// One step's value from the samples in its window (a slice: indices are not 0-based).
    private func compute(_ samples: ArraySlice<MetricSample>, end: Int64, range: Int64, parameter: Double, evalTime: Int64) throws -> Double? {
        switch name {
        case "rate": return extrapolatedRate(samples, end: end, range: range, counter: true, rate: true)
        case "increase": return extrapolatedRate(samples, end: end, range: range, counter: true, rate: false)
        case "delta": return extrapolatedRate(samples, end: end, range: range, counter: false, rate: false)
        case "irate", "idelta":
            guard samples.count >= 2 else { return nil }
            let last = samples[samples.endIndex - 1], previous = samples[samples.endIndex - 2]
            var difference = last.value - previous.value
            if name == "irate" {
                if last.value < previous.value { difference = last.value }
                let interval = Double(last.timestamp - previous.timestamp) / 1000
                guard interval > 0 else { return nil }
                return difference / interval
            }
            return difference
        case "sum_over_time": return KahanSum.sum(samples.map(\.value))
        case "avg_over_time":
            let total = KahanSum.sum(samples.map(\.value))
            if total.isInfinite && samples.allSatisfy({ $0.value.isFinite }) {
                var mean = 0.0
                for (index, sample) in samples.enumerated() { mean += sample.value / Double(index + 1) - mean / Double(index + 1) }
                return mean
            }
            return total / Double(samples.count)
        case "count_over_time": return Double(samples.count)
        case "min_over_time": return samples.map(\.value).reduce(Double.nan) { $0.isNaN || $1 < $0 ? $1 : $0 }
        case "max_over_time": return samples.map(\.value).reduce(Double.nan) { $0.isNaN || $1 > $0 ? $1 : $0 }
        case "last_over_time": return samples.last!.value
        case "first_over_time": return samples.first!.value
        case "present_over_time": return 1
        case "stddev_over_time", "stdvar_over_time":
            var count = 0.0, mean = 0.0, m2 = 0.0
            for sample in samples {
                count += 1
                let delta = sample.value - mean
                mean += delta / count
                m2 += delta * (sample.value - mean)
            }
            let variance = m2 / count
            return name == "stddev_over_time" ? variance.squareRoot() : variance
        case "quantile_over_time": return Quantile.of(parameter, samples.map(\.value))
        case "changes":
            var changes = 0.0
            for index in samples.indices.dropFirst() where samples[index].value != samples[index - 1].value
                && !(samples[index].value.isNaN && samples[index - 1].value.isNaN) { changes += 1 }
            return changes
        case "resets":
            var resets = 0.0
            for index in samples.indices.dropFirst() where samples[index].value < samples[index - 1].value { resets += 1 }
            return resets
        case "deriv":
            guard samples.count >= 2 else { return nil }
            return linearRegression(samples, interceptTime: samples.first!.timestamp).slope
        case "predict_linear":
            guard samples.count >= 2 else { return nil }
            let (slope, intercept) = linearRegression(samples, interceptTime: evalTime)
            return intercept + slope * parameter
        default:
            throw PromQLError(.execution, "function \"\(name)\" is not implemented")
        }
    }

    /// Prometheus' extrapolated rate: the increase over the samples, extrapolated towards the
    /// window's edges by at most half a sample interval, never below a counter's zero.
    private func extrapolatedRate(_ samples: ArraySlice<MetricSample>, end: Int64, range: Int64, counter: Bool, rate: Bool) -> Double? {
        guard samples.count >= 2 else { return nil }
        let first = samples.first!, last = samples.last!
        var result = last.value - first.value
        if counter {
            var previous = first.value
            for sample in samples.dropFirst() {
                if sample.value < previous { result += previous }
                previous = sample.value
            }
        }
        let rangeStart = end - range
        var durationToStart = Double(first.timestamp - rangeStart) / 1000
        var durationToEnd = Double(end - last.timestamp) / 1000
        let sampledInterval = Double(last.timestamp - first.timestamp) / 1000
        let averageInterval = sampledInterval / Double(samples.count - 1)
        let threshold = averageInterval * 1.1
        if durationToStart >= threshold { durationToStart = averageInterval / 2 }
        if counter {
            var durationToZero = durationToStart
            if result > 0 && first.value >= 0 { durationToZero = sampledInterval * (first.value / result) }
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        if durationToEnd >= threshold { durationToEnd = averageInterval / 2 }
        var factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval
        if rate { factor /= Double(range) / 1000 }
        return result * factor
    }

    /// Least-squares slope (per second) and the value at `interceptTime`.
    private func linearRegression(_ samples: ArraySlice<MetricSample>, interceptTime: Int64) -> (slope: Double, intercept: Double) {
        var n = 0.0, sumX = 0.0, sumY = 0.0, sumXY = 0.0, sumX2 = 0.0
        var constant = true
        for sample in samples {
            if sample.value != samples.first!.value { constant = false }
            let x = Double(sample.timestamp - interceptTime) / 1000
            n += 1
            sumX += x
            sumY += sample.value
            sumXY += x * sample.value
            sumX2 += x * x
        }
        if constant && samples.first!.value.isFinite { return (0, samples.first!.value) }
        let covariance = sumXY - sumX * sumY / n
        let variance = sumX2 - sumX * sumX / n
        let slope = covariance / variance
        let intercept = sumY / n - slope * sumX / n
        return (slope, intercept)
    }
}

/// histogram_quantile over classic `_bucket{le}` series.
enum HistogramQuantile {
    static func apply(q: [Double], series: [StepSeries], steps: Int) -> [StepSeries] {
        var groups: [Labels: [(upper: Double, index: Int)]] = [:]
        var order: [Labels] = []
        for (index, entry) in series.enumerated() {
            guard let le = entry.labels["le"], let upper = parseBound(le) else { continue }
            let key = entry.labels.removing("le").removing(Labels.metricName)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append((upper, index))
        }
        var result: [StepSeries] = []
        for key in order {
            let buckets = groups[key]!.sorted { $0.upper < $1.upper }
            var values = [Double?](repeating: nil, count: steps)
            for step in 0..<steps {
                let present = buckets.compactMap { bucket in series[bucket.index].values[step].map { (bucket.upper, $0) } }
                guard !present.isEmpty else { continue }
                values[step] = quantile(q[step], present)
            }
            if values.contains(where: { $0 != nil }) { result.append(StepSeries(labels: key, values: values)) }
        }
        return result
    }

    static func parseBound(_ text: String) -> Double? {
        switch text.lowercased() {
        case "+inf", "inf": return .infinity
        case "-inf": return -.infinity
        default: return Double(text)
        }
    }

    static func quantile(_ q: Double, _ buckets: [(upper: Double, count: Double)]) -> Double {
        if q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        // Merge buckets with the same bound and make counts monotonic.
        var merged: [(upper: Double, count: Double)] = []
        for bucket in buckets {
            if let last = merged.last, last.upper == bucket.upper {
                merged[merged.count - 1].count += bucket.count
            } else {
                merged.append(bucket)
            }
        }
        guard merged.count >= 2, merged.last!.upper == .infinity else { return .nan }
        for index in merged.indices.dropFirst() where merged[index].count < merged[index - 1].count {
            merged[index].count = merged[index - 1].count
        }
        let total = merged.last!.count
        guard total > 0, !total.isNaN else { return .nan }
        var rank = q * total
        let position = merged.firstIndex { $0.count >= rank } ?? merged.count - 1
        if position == merged.count - 1 { return merged[merged.count - 2].upper }
        if position == 0 && merged[0].upper <= 0 { return merged[0].upper }
        var start = 0.0
        var count = merged[position].count
        if position > 0 {
            start = merged[position - 1].upper
            count -= merged[position - 1].count
            rank -= merged[position - 1].count
        }
        return start + (merged[position].upper - start) * (rank / count)
    }
}
