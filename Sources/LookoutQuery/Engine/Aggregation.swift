import LookoutModel

/// Aggregation operators, evaluated step by step over the groups `by`/`without` define.
struct Aggregation {
    let op: AggregateOperator
    let grouping: [String]
    let without: Bool
    let steps: Int

    func groupLabels(_ labels: Labels) -> Labels {
        if without {
            let dropped = Set(grouping + [Labels.metricName])
            return Labels(sorted: labels.pairs.filter { !dropped.contains($0.name) })
        }
        let kept = Set(grouping)
        return Labels(sorted: labels.pairs.filter { kept.contains($0.name) })
    }

    func apply(_ series: [StepSeries], parameter: StepValue?) throws -> [StepSeries] {
        // Grouping sees names not yet removed (delayed name removal), as Prometheus 3 does.
        let keys = series.map { groupLabels($0.labels) }
        var groups: [Labels: [Int]] = [:]
        var order: [Labels] = []
        for (index, key) in keys.enumerated() {
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(index)
        }
        var scalars: [Double] = []
        if case .scalar(let values)? = parameter { scalars = values }
        if op == .topk || op == .bottomk, scalars.contains(where: { $0.isNaN }) {
            throw PromQLError(.execution, "Parameter value is NaN")
        }
        var label = ""
        if case .string(let text)? = parameter {
            label = text
            guard MetricNames.isValidLabelName(label) else { throw PromQLError(.execution, "invalid label name \"\(label)\"") }
        }

        switch op {
        case .topk, .bottomk:
            var values = series.map { _ in [Double?](repeating: nil, count: steps) }
            for step in 0..<steps {
                let k = scalars[step]
                guard k >= 1 else { continue }
                for key in order {
                    let members = groups[key]!.filter { series[$0].values[step] != nil }
                    let sorted = members.sorted { a, b in
                        let x = series[a].values[step]!, y = series[b].values[step]!
                        if x.isNaN { return false }
                        if y.isNaN { return true }
                        return op == .topk ? x > y : x < y
                    }
                    for index in sorted.prefix(Int(min(k, Double(Int.max / 2)))) { values[index][step] = series[index].values[step] }
                }
            }
            var selected: [StepSeries] = zip(series, values).compactMap { entry, values in
                values.contains(where: { $0 != nil }) ? StepSeries(labels: entry.labels, values: values, dropName: entry.dropName) : nil
            }
            // An instant topk/bottomk answers in rank order, as Prometheus does.
            if steps == 1 {
                selected.sort { a, b in
                    let x = a.values[0]!, y = b.values[0]!
                    if x.isNaN { return false }
                    if y.isNaN { return true }
                    return op == .topk ? x > y : x < y
                }
            }
            return selected
        case .countValues:
            var output: [Labels: [Double?]] = [:]
            var outputOrder: [Labels] = []
            for step in 0..<steps {
                for key in order {
                    var counts: [String: Double] = [:]
                    for index in groups[key]! { if let value = series[index].values[step] { counts[PromNumber.format(value), default: 0] += 1 } }
                    for (text, count) in counts {
                        let labels = key.setting(label, text)
                        if output[labels] == nil { output[labels] = [Double?](repeating: nil, count: steps); outputOrder.append(labels) }
                        output[labels]![step] = count
                    }
                }
            }
            return outputOrder.map { StepSeries(labels: $0, values: output[$0]!) }
        default:
            var result: [StepSeries] = []
            for key in order {
                try Task.checkCancellation()
                let members = groups[key]!
                var values = [Double?](repeating: nil, count: steps)
                for step in 0..<steps {
                    let present = members.compactMap { series[$0].values[step] }
                    guard !present.isEmpty else { continue }
                    values[step] = aggregate(present, parameter: scalars.isEmpty ? 0 : scalars[step])
                }
                let dropName = members.contains { series[$0].dropName }
                if values.contains(where: { $0 != nil }) { result.append(StepSeries(labels: key, values: values, dropName: dropName)) }
            }
            return result
        }
    }

    private func aggregate(_ values: [Double], parameter: Double) -> Double {
        switch op {
        case .sum: return KahanSum.sum(values)
        case .avg:
            // Prometheus averages incrementally when the sum would overflow; a plain mean otherwise.
            let total = KahanSum.sum(values)
            if total.isInfinite && values.allSatisfy({ $0.isFinite }) {
                var mean = 0.0
                for (index, value) in values.enumerated() { mean += value / Double(index + 1) - mean / Double(index + 1) }
                return mean
            }
            return total / Double(values.count)
        case .count: return Double(values.count)
        case .group: return 1
        case .min: return values.reduce(Double.nan) { $0.isNaN || $1 < $0 ? $1 : $0 }
        case .max: return values.reduce(Double.nan) { $0.isNaN || $1 > $0 ? $1 : $0 }
        case .stddev, .stdvar:
            var count = 0.0, mean = 0.0, m2 = 0.0
            for value in values {
                count += 1
                let delta = value - mean
                mean += delta / count
                m2 += delta * (value - mean)
            }
            let variance = m2 / count
            return op == .stddev ? variance.squareRoot() : variance
        case .quantile: return Quantile.of(parameter, values)
        default: return .nan
        }
    }
}

/// Kahan-Babuška-Neumaier summation, as Prometheus sums.
enum KahanSum {
    static func sum(_ values: some Sequence<Double>) -> Double {
        var sum = 0.0
        var compensation = 0.0
        for value in values {
            let total = sum + value
            if abs(sum) >= abs(value) {
                compensation += (sum - total) + value
            } else {
                compensation += (value - total) + sum
            }
            sum = total
        }
        if sum.isInfinite { return sum }
        return sum + compensation
    }
}

/// The φ-quantile of values by linear interpolation, as Prometheus' `quantile`.
enum Quantile {
    static func of(_ q: Double, _ values: [Double]) -> Double {
        guard !values.isEmpty, !q.isNaN else { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        // NaN counts as the smallest value.
        let sorted = values.sorted { a, b in a.isNaN ? !b.isNaN : (b.isNaN ? false : a < b) }
        let rank = q * Double(sorted.count - 1)
        let lower = max(0, Int(rank.rounded(.down)))
        let upper = min(sorted.count - 1, lower + 1)
        let weight = rank - rank.rounded(.down)
        return sorted[lower] * (1 - weight) + sorted[upper] * weight
    }
}

/// Numbers as Prometheus prints them (Go's strconv 'f' -1 / 'e' formatting as FormatFloat 'g'-like).
enum PromNumber {
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e21 {
            return String(Int64(exactly: value).map(String.init) ?? "\(value)")
        }
        var text = "\(value)"
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}
