/// Go's `time.Duration` (int64 nanoseconds) for values that are seconds here.
enum GoDuration {
    static func nanoseconds(_ seconds: Double) -> Int64 {
        let ns = seconds * 1e9
        guard ns.isFinite else { return ns > 0 ? .max : ns < 0 ? .min : 0 }
        guard ns < 9.223372036854775e18, ns > -9.223372036854775e18 else { return ns > 0 ? .max : .min }
        return Int64(ns)
    }

    /// `Duration.String()`: "1h2m3.5s", "1.5ms", "0s".
    static func string(_ seconds: Double) -> String {
        string(nanoseconds: nanoseconds(seconds))
    }

    static func string(nanoseconds d: Int64) -> String {
        if d == 0 { return "0s" }
        let negative = d < 0
        var u = d.magnitude
        var s: String
        if u < 1_000_000_000 {
            // Below a second: the largest unit that keeps an integer part, like 1.2ms.
            let (unit, precision): (String, Int) = u < 1_000 ? ("ns", 0) : u < 1_000_000 ? ("µs", 3) : ("ms", 6)
            s = fraction(&u, precision) + unit
            s = String(u) + s
        } else {
            s = fraction(&u, 9) + "s"
            s = String(u % 60) + s
            u /= 60
            if u > 0 {
                s = String(u % 60) + "m" + s
                u /= 60
                if u > 0 { s = String(u) + "h" + s }
            }
        }
        return negative ? "-" + s : s
    }

    /// Go's fmtFrac: ".12345" for the low `precision` digits, trailing zeros (and the point) dropped.
    private static func fraction(_ v: inout UInt64, _ precision: Int) -> String {
        var digits = ""
        var printed = false
        for _ in 0..<precision {
            let digit = v % 10
            printed = printed || digit != 0
            if printed { digits = String(digit) + digits }
            v /= 10
        }
        return printed ? "." + digits : ""
    }
}
