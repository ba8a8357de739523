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
                let limit = Int(min(k, Double(Int.max / 2)))
                func better(_ x: Double, _ y: Double) -> Bool {
                    if x.isNaN { return false }
                    if y.isNaN { return true }
                    return op == .topk ? x > y : x < y
                }
                for key in order {
                    let members = groups[key]!.filter { series[$0].values[step] != nil }
                    if limit >= members.count {
                        for index in members { values[index][step] = series[index].values[step] }
                        continue
                    }
                    // The first `limit` in a stable sort by rank: kept in rank order, a newcomer
                    // goes after those it does not beat, so ties keep the earlier series.
                    var kept: [Int] = []
                    if limit <= 64 {
                        kept.reserveCapacity(limit + 1)
                        for index in members {
                            let value = series[index].values[step]!
                            var position = kept.count
                            while position > 0 && better(value, series[kept[position - 1]].values[step]!) { position -= 1 }
                            guard position < limit else { continue }
                            kept.insert(index, at: position)
                            if kept.count > limit { kept.removeLast() }
                        }
                    } else {
                        kept = Array(members.sorted { better(series[$0].values[step]!, series[$1].values[step]!) }.prefix(limit))
                    }
                    for index in kept { values[index][step] = series[index].values[step] }
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
                    for index in groups[key]! { if let value = series[index].values[step] { counts[PromQLNumber.format(value), default: 0] += 1 } }
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

/// Numbers as Prometheus prints them: sample values in the HTTP API and count_values labels.
public enum PromQLNumber {
    /// A sample value as a JSON string: Go's shortest form, plain decimals unless the value is
    /// below 1e-6 or at least 1e21 in magnitude, and "NaN", "+Inf", "-Inf".
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let magnitude = abs(value)
        let shortest = value.description
        // The common case: Swift's shortest form is already Go's, give or take a trailing ".0".
        if magnitude >= 1e-4 && magnitude < 1e16 {
            let utf8 = shortest.utf8
            if utf8.count > 2, utf8[utf8.index(utf8.endIndex, offsetBy: -2)] == UInt8(ascii: "."), utf8.last == UInt8(ascii: "0") {
                return String(shortest.dropLast(2))
            }
            return shortest
        }
        if magnitude < 1e-6 || magnitude >= 1e21 {
            // Swift writes exponents as Go does ("1e+21", "1.5e-07"); only "X.0e" needs trimming.
            return shortest.replacing(".0e", with: "e")
        }
        guard let e = shortest.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
            return shortest.hasSuffix(".0") ? String(shortest.dropLast(2)) : shortest
        }
        // Expand "1.2345e-05" or "1e+16" into plain decimal digits.
        let mantissa = String(shortest[..<e])
        let exponent = Int(shortest[shortest.index(after: e)...]) ?? 0
        let negative = mantissa.hasPrefix("-")
        var digits = mantissa.replacing("-", with: "")
        let point = digits.firstIndex(of: ".").map { digits.distance(from: digits.startIndex, to: $0) } ?? digits.count
        digits = digits.replacing(".", with: "")
        let position = point + exponent
        var result: String
        if position <= 0 {
            result = "0." + String(repeating: "0", count: -position) + digits
        } else if position >= digits.count {
            result = digits + String(repeating: "0", count: position - digits.count)
        } else {
            result = String(digits.prefix(position)) + "." + String(digits.dropFirst(position))
        }
        if result.contains(".") {
            while result.hasSuffix("0") { result.removeLast() }
            if result.hasSuffix(".") { result.removeLast() }
        }
        return (negative ? "-" : "") + result
    }
}
