/// Prometheus' number formatting functions (template.go and prometheus/common's
/// helpers/templates). All take numbers, ints, durations, times, or strings parsed as floats.
enum Humanize {
    static let functions: [String: TemplateFunction] = [
        "humanize": numeric(humanize),
        "humanize1024": numeric(humanize1024),
        "humanizeDuration": numeric(humanizeDuration),
        "humanizePercentage": numeric { .string(g4($0 * 100) + "%") },
        "humanizeTimestamp": numeric(humanizeTimestamp),
        "toTime": numeric { v throws(FunctionError) in
            .time(Double(try timestampMilliseconds(v)) / 1000)
        },
        "toDuration": numeric { v throws(FunctionError) in
            guard v.isFinite else { throw FunctionError("value is NaN or Inf") }
            let ns = v * 1e9
            guard ns < 9.223372036854775807e18, ns >= -9.223372036854775808e18 else {
                throw FunctionError("\(GoFloat.v(v)) cannot be represented as a nanoseconds duration since it overflows int64")
            }
            return .duration(v)
        },
    ]

    private static func numeric(_ body: @escaping @Sendable (Double) throws(FunctionError) -> TemplateValue) -> TemplateFunction {
        .failable([.any]) { args throws(FunctionError) in try body(try convertToFloat(args[0])) }
    }

    /// prometheus/common's ConvertToFloat.
    static func convertToFloat(_ v: TemplateValue) throws(FunctionError) -> Double {
        switch v {
        case .number(let d): return d
        case .int(let i): return Double(i)
        case .string(let s): return try GoStrconv.parseFloatOrError(s)
        case .duration(let d): return Double(GoDuration.nanoseconds(d)) / 1e9
        case .time(let t): return t
        default: throw FunctionError("can't convert \(v.goTypeName) to float")
        }
    }

    /// `fmt.Sprintf("%.4g", v)`.
    static func g4(_ v: Double) -> String {
        GoFloat.format(v, verb: "g", precision: 4)
    }

    private static func humanize(_ v: Double) -> TemplateValue {
        if v == 0 || !v.isFinite { return .string(g4(v)) }
        var v = v
        var prefix = ""
        if abs(v) >= 1 {
            for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
                if abs(v) < 1000 { break }
                prefix = p
                v /= 1000
            }
        } else {
            for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
                if abs(v) >= 1 { break }
                prefix = p
                v *= 1000
            }
        }
        return .string(g4(v) + prefix)
    }

    private static func humanize1024(_ v: Double) -> TemplateValue {
        if abs(v) <= 1 || !v.isFinite { return .string(g4(v)) }
        var v = v
        var prefix = ""
        for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
            if abs(v) < 1024 { break }
            prefix = p
            v /= 1024
        }
        return .string(g4(v) + prefix)
    }

    private static func humanizeDuration(_ v: Double) -> TemplateValue {
        if !v.isFinite { return .string(g4(v)) }
        if v == 0 { return .string(g4(v) + "s") }
        if abs(v) >= 1 {
            let sign = v < 0 ? "-" : ""
            let magnitude = abs(v)
            // Go converts with int64(v); beyond its range the result is unspecified, so clamp.
            let duration = magnitude < 9.2e18 ? Int64(magnitude) : Int64.max
            let seconds = duration % 60
            let minutes = duration / 60 % 60
            let hours = duration / 3600 % 24
            let days = duration / 86400
            if days != 0 { return .string("\(sign)\(days)d \(hours)h \(minutes)m \(seconds)s") }
            if hours != 0 { return .string("\(sign)\(hours)h \(minutes)m \(seconds)s") }
            if minutes != 0 { return .string("\(sign)\(minutes)m \(seconds)s") }
            return .string(sign + g4(magnitude) + "s")
        }
        var v = v
        var prefix = ""
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if abs(v) >= 1 { break }
            prefix = p
            v *= 1000
        }
        return .string(g4(v) + prefix + "s")
    }

    private static func humanizeTimestamp(_ v: Double) throws(FunctionError) -> TemplateValue {
        if !v.isFinite { return .string(g4(v)) }
        return .string(GoTime.string(.time(Double(try timestampMilliseconds(v)) / 1000)))
    }

    /// Prometheus' floatToTime: nanoseconds must fit an int64; the result has millisecond precision.
    private static func timestampMilliseconds(_ v: Double) throws(FunctionError) -> Int64 {
        guard v.isFinite else { throw FunctionError("value is NaN or Inf") }
        let ns = v * 1e9
        guard ns < 9.223372036854775807e18, ns >= -9.223372036854775808e18 else {
            throw FunctionError("\(GoFloat.v(v)) cannot be represented as a nanoseconds timestamp since it overflows int64")
        }
        return Int64(ns) / 1_000_000
    }
}
