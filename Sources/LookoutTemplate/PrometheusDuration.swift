/// prometheus/common model.ParseDuration: "1h30m", "1d", "500ms", units largest first.
enum PrometheusDuration {
    private static let units: [String: (position: Int, nanoseconds: UInt64)] = [
        "y": (1, 365 * 86_400_000_000_000), "w": (2, 7 * 86_400_000_000_000),
        "d": (3, 86_400_000_000_000), "h": (4, 3_600_000_000_000), "m": (5, 60_000_000_000),
        "s": (6, 1_000_000_000), "ms": (7, 1_000_000),
    ]

    /// Seconds, as Prometheus' `parseDuration` template function returns them.
    static func parse(_ s: String) throws(FunctionError) -> Double {
        if s == "0" { return 0 }
        if s.isEmpty { throw FunctionError("empty duration string") }
        let invalid = FunctionError("not a valid duration string: \(GoQuote.quote(s))")
        var rest = Substring(s)
        var total: UInt64 = 0
        var lastPosition = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let value = UInt64(digits) else { throw invalid }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { !($0.isASCII && $0.isNumber) }
            guard !unit.isEmpty else { throw invalid }
            rest = rest.dropFirst(unit.count)
            guard let (position, multiplier) = units[String(unit)] else {
                throw FunctionError("unknown unit \(GoQuote.quote(String(unit))) in duration \(GoQuote.quote(s))")
            }
            guard position > lastPosition else { throw invalid }
            lastPosition = position
            let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
            guard !overflow, product <= UInt64(Int64.max) else { throw FunctionError("duration out of range") }
            total += product
            guard total <= UInt64(Int64.max) else { throw FunctionError("duration out of range") }
        }
        return Double(total) / 1e9
    }
}
