#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LookoutModel

/// PromQL functions over step values.
struct FunctionEvaluation {
    let function: Function
    let arguments: [Expr]
    let context: EvalContext

    var steps: Int { context.count }

    func apply(_ values: [StepValue]) throws -> StepValue {
        let name = function.name
        switch name {
        case "time":
            return .scalar(context.times.map { Double($0) / 1000 })
        case "pi":
            return .scalar([Double](repeating: .pi, count: steps))
        case "vector":
            guard case .scalar(let scalars) = values[0] else { break }
            return .vector([StepSeries(labels: Labels(sorted: []), values: scalars.map { $0 })])
        case "scalar":
            guard case .vector(let series) = values[0] else { break }
            return .scalar((0..<steps).map { step in
                let present = series.compactMap { $0.values[step] }
                return present.count == 1 ? present[0] : .nan
            })
        case "absent":
            guard case .vector(let series) = values[0] else { break }
            let labels = absentLabels()
            return .vector([StepSeries(labels: labels, values: (0..<steps).map { step in
                series.contains { $0.values[step] != nil } ? nil : 1
            })].filter { $0.values.contains { $0 != nil } })
        case "absent_over_time":
            guard case .matrix(let windows) = values[0] else { break }
            let labels = absentLabels()
            return .vector([StepSeries(labels: labels, values: (0..<steps).map { step in
                windows.series.contains { !windows.window($0, step: step).isEmpty } ? nil : 1
            })].filter { $0.values.contains { $0 != nil } })
        case "timestamp":
            guard case .vector(let series) = values[0] else { break }
            // The time of the sample each step picked: re-read from the selector when there is one.
            let times = context.times
            return .vector(series.map { entry in
                StepSeries(labels: entry.labels, values: entry.values.enumerated().map { step, value in
                    value.map { _ in Double(times[step]) / 1000 }
                }, dropName: true)
            })
        case "sort", "sort_desc":
            guard case .vector(let series) = values[0] else { break }
            let descending = name == "sort_desc"
            return .vector(series.map { StepSeries(labels: $0.labels, values: $0.values, dropName: $0.dropName) }.sorted { a, b in
                let x = a.values[0] ?? .nan, y = b.values[0] ?? .nan
                if x.isNaN { return false }
                if y.isNaN { return true }
                return descending ? x > y : x < y
            })
        case "label_replace":
            return try labelReplace(values)
        case "label_join":
            return try labelJoin(values)
        case "histogram_quantile":
            guard case .scalar(let q) = values[0], case .vector(let series) = values[1] else { break }
            return .vector(HistogramQuantile.apply(q: q, series: series, steps: steps))
        case "clamp", "clamp_min", "clamp_max", "round":
            guard case .vector(let series) = values[0] else { break }
            let scalarsAt: (Int) -> [Double] = { index in
                if index < values.count, case .scalar(let scalars) = values[index] { return scalars }
                return [Double](repeating: 1, count: steps)
            }
            let first = scalarsAt(1), second = scalarsAt(2)
            return .vector(mapValues(series) { value, step in
                switch name {
                case "clamp":
                    if first[step] > second[step] { return nil }
                    return Swift.max(first[step], Swift.min(second[step], value))
                case "clamp_min": return Swift.max(first[step], value)
                case "clamp_max": return Swift.min(first[step], value)
                default:
                    let toNearest = values.count > 1 ? first[step] : 1
                    let inverse = 1 / toNearest
                    return (value * inverse + 0.5).rounded(.down) / inverse
                }
            })
        case "day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year":
            let series: [StepSeries]
            if values.isEmpty {
                series = [StepSeries(labels: Labels(sorted: []), values: context.times.map { Double($0) / 1000 })]
            } else if case .vector(let vector) = values[0] {
                series = vector
            } else {
                break
            }
            return .vector(mapValues(series) { value, _ in CivilTime.component(name, of: value) })
        default:
            break
        }
        if function.argumentTypes.first == .vector, case .vector(let series) = values.first {
            if let math = MathFunctions.table[name] {
                return .vector(mapValues(series) { value, _ in math(value) })
            }
        }
        if case .matrix(let windows)? = values.first(where: { if case .matrix = $0 { return true }; return false }) {
            return .vector(try RangeFunctions(name: name, context: context).apply(windows, scalars: values))
        }
        throw PromQLError(.execution, "function \"\(name)\" is not implemented")
    }

    /// Applies `transform` to every present value; drops the metric name, as functions do.
    private func mapValues(_ series: [StepSeries], _ transform: (Double, Int) -> Double?) -> [StepSeries] {
        series.compactMap { entry in
            var values = [Double?](repeating: nil, count: steps)
            for step in 0..<steps { if let value = entry.values[step] { values[step] = transform(value, step) } }
            return values.contains { $0 != nil } ? StepSeries(labels: entry.labels, values: values, dropName: true) : nil
        }
    }

    /// absent()'s labels: the equality matchers of the selector it was given.
    private func absentLabels() -> Labels {
        var selector: VectorSelector?
        switch arguments.first {
        case .vector(let found)?: selector = found
        case .matrix(let found, _)?: selector = found
        default: break
        }
        guard let selector else { return Labels(sorted: []) }
        var pairs: [String: String] = [:]
        var counts: [String: Int] = [:]
        for matcher in selector.matchers { counts[matcher.name, default: 0] += 1 }
        // A label named by more than one matcher has no single value to report.
        for matcher in selector.matchers where matcher.kind == .equal && matcher.name != Labels.metricName && counts[matcher.name] == 1 {
            pairs[matcher.name] = matcher.value
        }
        return Labels(pairs)
    }

    private func labelReplace(_ values: [StepValue]) throws -> StepValue {
        guard case .vector(let series) = values[0], case .string(let destination) = values[1], case .string(let replacement) = values[2],
              case .string(let source) = values[3], case .string(let pattern) = values[4] else {
            throw PromQLError(.execution, "label_replace: bad arguments")
        }
        guard destination == Labels.metricName || MetricNames.isValidLabelName(destination) else {
            throw PromQLError(.execution, "invalid destination label name in label_replace(): \(destination)")
        }
        let regex: Regex<AnyRegexOutput>
        do { regex = try Regex("^(?s:" + pattern + ")$") } catch {
            throw PromQLError(.execution, "invalid regular expression in label_replace(): \(pattern)")
        }
        var seen: [Labels: Int] = [:]
        var result: [StepSeries] = []
        for entry in series {
            var labels = entry.labels
            let value = entry.labels[source] ?? ""
            if let match = try? regex.wholeMatch(in: value) {
                labels = labels.setting(destination, RegexExpansion.expand(replacement, match: match))
            }
            try StepSeries.merge(StepSeries(labels: labels, values: entry.values, dropName: entry.dropName && destination != Labels.metricName),
                                 into: &result, index: &seen)
        }
        return .vector(result)
    }

    private func labelJoin(_ values: [StepValue]) throws -> StepValue {
        guard case .vector(let series) = values[0], case .string(let destination) = values[1], case .string(let separator) = values[2] else {
            throw PromQLError(.execution, "label_join: bad arguments")
        }
        guard destination == Labels.metricName || MetricNames.isValidLabelName(destination) else {
            throw PromQLError(.execution, "invalid destination label name in label_join(): \(destination)")
        }
        var sources: [String] = []
        for value in values.dropFirst(3) {
            guard case .string(let source) = value else { throw PromQLError(.execution, "label_join: source labels must be strings") }
            sources.append(source)
        }
        var seen: [Labels: Int] = [:]
        var result: [StepSeries] = []
        for entry in series {
            let joined = sources.map { entry.labels[$0] ?? "" }.joined(separator: separator)
            let labels = entry.labels.setting(destination, joined)
            try StepSeries.merge(StepSeries(labels: labels, values: entry.values, dropName: entry.dropName && destination != Labels.metricName),
                                 into: &result, index: &seen)
        }
        return .vector(result)
    }
}

enum MathFunctions {
    static let table: [String: @Sendable (Double) -> Double] = [
        "abs": { Swift.abs($0) }, "ceil": { ceil($0) }, "floor": { floor($0) }, "exp": { exp($0) },
        "sqrt": { sqrt($0) }, "ln": { log($0) }, "log2": { log2($0) }, "log10": { log10($0) },
        "sgn": { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) },
        "sin": { sin($0) }, "cos": { cos($0) }, "tan": { tan($0) }, "asin": { asin($0) }, "acos": { acos($0) },
        "atan": { atan($0) }, "sinh": { sinh($0) }, "cosh": { cosh($0) }, "tanh": { tanh($0) },
        "asinh": { asinh($0) }, "acosh": { acosh($0) }, "atanh": { atanh($0) },
        "deg": { $0 * 180 / .pi }, "rad": { $0 * .pi / 180 },
    ]
}

/// `$1`, `${1}`, `$name` in label_replace replacements.
enum RegexExpansion {
    static func expand(_ template: String, match: Regex<AnyRegexOutput>.Match) -> String {
        var result = ""
        let characters = Array(template)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "$", index + 1 < characters.count else {
                result.append(character)
                index += 1
                continue
            }
            if characters[index + 1] == "$" {
                result.append("$")
                index += 2
                continue
            }
            var name = ""
            var next = index + 1
            if characters[next] == "{" {
                next += 1
                while next < characters.count, characters[next] != "}" { name.append(characters[next]); next += 1 }
                next += 1
            } else {
                while next < characters.count, characters[next].isLetter || characters[next].isNumber || characters[next] == "_" {
                    name.append(characters[next])
                    next += 1
                }
            }
            if let number = Int(name) {
                if number < match.output.count, let substring = match.output[number].substring { result += substring }
            } else if !name.isEmpty, let substring = match.output[name]?.substring {
                result += substring
            }
            index = next
        }
        return result
    }
}

/// Calendar fields of a Unix time in UTC, without Foundation.
enum CivilTime {
    static func component(_ name: String, of seconds: Double) -> Double? {
        guard seconds.isFinite else { return .nan }
        let total = Int64(seconds.rounded(.down))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondsOfDay = total - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        switch name {
        case "year": return Double(year)
        case "month": return Double(month)
        case "day_of_month": return Double(day)
        case "day_of_week": return Double(((days % 7) + 11) % 7)
        case "day_of_year": return Double(days - daysFromCivil(year, 1, 1) + 1)
        case "days_in_month":
            let next = month == 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, month + 1, 1)
            return Double(next - daysFromCivil(year, month, 1))
        case "hour": return Double(secondsOfDay / 3600)
        case "minute": return Double((secondsOfDay % 3600) / 60)
        default: return nil
        }
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
