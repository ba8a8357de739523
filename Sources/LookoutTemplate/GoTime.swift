/// Go's `time.Time` for values that are Unix seconds here, always in UTC. Like Prometheus
/// (which converts through milliseconds), times carry millisecond precision.
enum GoTime {
    struct Civil {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
        var millisecond: Int, weekday: Int, yearDay: Int
    }

    /// Milliseconds since the epoch the way Prometheus computes them: nanoseconds truncated
    /// to int64, then to milliseconds. A double that is a whole number of milliseconds up to
    /// rounding error (what `toTime` stores) keeps that number. Nil when out of range.
    static func milliseconds(_ seconds: Double) -> Int64? {
        let ns = seconds * 1e9
        guard ns.isFinite, ns < 9.223372036854775807e18, ns >= -9.223372036854775808e18 else { return nil }
        let ms = seconds * 1000
        let nearest = ms.rounded()
        if abs(ms - nearest) <= 4 * ms.ulp { return Int64(nearest) }
        return Int64(ns) / 1_000_000
    }

    static func civil(milliseconds ms: Int64) -> Civil {
        let (secs, milli) = ms.quotientAndRemainder(dividingBy: 1000)
        var s = secs, m = milli
        if m < 0 { m += 1000; s -= 1 }
        var (days, rem) = s.quotientAndRemainder(dividingBy: 86400)
        if rem < 0 { rem += 86400; days -= 1 }
        // Days to civil date (proleptic Gregorian), after Howard Hinnant's algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = Int(((days % 7) + 11) % 7) // 1970-01-01 was a Thursday (4).
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        let yearDay = cumulative[Int(month) - 1] + Int(day) + (leap && month > 2 ? 1 : 0)
        return Civil(year: Int(year), month: Int(month), day: Int(day), hour: Int(rem / 3600),
                     minute: Int(rem % 3600 / 60), second: Int(rem % 60), millisecond: Int(m),
                     weekday: weekday, yearDay: yearDay)
    }

    /// `Time.String()`: "2015-06-23 13:19:44.128 +0000 UTC".
    static func string(_ value: TemplateValue) -> String {
        guard case .time(let seconds) = value else { return "" }
        return format(seconds, layout: "2006-01-02 15:04:05.999999999 -0700 MST")
    }

    // MARK: - Methods

    static func methodArity(_ name: String, on receiver: TemplateValue) -> Int? {
        switch (receiver, name) {
        case (.time, "Unix"), (.time, "UnixMilli"), (.time, "UTC"), (.time, "String"),
             (.duration, "Seconds"), (.duration, "Minutes"), (.duration, "Hours"),
             (.duration, "Milliseconds"), (.duration, "String"):
            0
        case (.time, "Format"):
            1
        default:
            nil
        }
    }

    static func callMethod(_ name: String, on receiver: TemplateValue, _ args: [TemplateValue]) throws(FunctionError) -> TemplateValue {
        switch receiver {
        case .time(let t):
            let ms = milliseconds(t) ?? 0
            switch name {
            case "Unix": return .int(Int(ms >= 0 ? ms / 1000 : (ms - 999) / 1000))
            case "UnixMilli": return .int(Int(ms))
            case "UTC": return receiver
            case "String": return .string(string(receiver))
            case "Format":
                guard case .string(let layout) = args[0] else {
                    throw FunctionError("wrong type for value; expected string; got \(args[0].goTypeName)")
                }
                return .string(format(t, layout: layout))
            default: break
            }
        case .duration(let d):
            let ns = GoDuration.nanoseconds(d)
            switch name {
            case "Seconds": return .number(Double(ns) / 1e9)
            case "Minutes": return .number(Double(ns) / 6e10)
            case "Hours": return .number(Double(ns) / 3.6e12)
            case "Milliseconds": return .int(Int(ns / 1_000_000))
            case "String": return .string(GoDuration.string(nanoseconds: ns))
            default: break
            }
        default:
            break
        }
        throw FunctionError("can't evaluate field \(name) in type \(receiver.goTypeName)")
    }

    // MARK: - Layouts

    private static let months = ["January", "February", "March", "April", "May", "June", "July",
                                 "August", "September", "October", "November", "December"]
    private static let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// `Time.Format` with Go's reference-time layout, in UTC.
    static func format(_ seconds: Double, layout: String) -> String {
        let c = civil(milliseconds: milliseconds(seconds) ?? 0)
        var out = ""
        var rest = Substring(layout)
        func pad(_ v: Int, _ width: Int, _ fill: Character = "0") -> String {
            let s = String(v)
            return String(repeating: fill, count: max(0, width - s.count)) + s
        }
        // Longest tokens first, so "2006" wins over "2" and "January" over "Jan".
        let tokens: [(String, () -> String)] = [
            ("January", { months[c.month - 1] }), ("Jan", { String(months[c.month - 1].prefix(3)) }),
            ("Monday", { days[c.weekday] }), ("Mon", { String(days[c.weekday].prefix(3)) }),
            ("MST", { "UTC" }), ("2006", { pad(c.year, 4) }), ("-07:00:00", { "+00:00:00" }),
            ("-0700", { "+0000" }), ("-07:00", { "+00:00" }), ("-07", { "+00" }),
            ("Z07:00:00", { "Z" }), ("Z07:00", { "Z" }), ("Z0700", { "Z" }), ("Z07", { "Z" }),
            ("002", { pad(c.yearDay, 3) }), ("01", { pad(c.month, 2) }), ("02", { pad(c.day, 2) }),
            ("03", { pad(c.hour % 12 == 0 ? 12 : c.hour % 12, 2) }), ("04", { pad(c.minute, 2) }),
            ("05", { pad(c.second, 2) }), ("06", { pad(c.year % 100, 2) }), ("15", { pad(c.hour, 2) }),
            ("_2", { pad(c.day, 2, " ") }), ("PM", { c.hour >= 12 ? "PM" : "AM" }),
            ("pm", { c.hour >= 12 ? "pm" : "am" }), ("1", { String(c.month) }), ("2", { String(c.day) }),
            ("3", { String(c.hour % 12 == 0 ? 12 : c.hour % 12) }), ("4", { String(c.minute) }),
            ("5", { String(c.second) }),
        ]
        outer: while let first = rest.first {
            // Fractional seconds: ".000" keeps zeros, ".999" drops trailing ones.
            if first == "." || first == ",", let next = rest.dropFirst().first, next == "0" || next == "9" {
                let run = rest.dropFirst().prefix { $0 == next }
                let after = rest.dropFirst(1 + run.count).first
                if after == nil || !(after!.isNumber) {
                    let digits = String(pad(c.millisecond, 3) + String(repeating: "0", count: max(0, run.count - 3))).prefix(run.count)
                    if next == "0" {
                        out += String(first) + digits
                    } else {
                        let trimmed = digits.reversed().drop { $0 == "0" }.reversed()
                        if !trimmed.isEmpty { out += String(first) + String(trimmed) }
                    }
                    rest = rest.dropFirst(1 + run.count)
                    continue
                }
            }
            for (token, value) in tokens where rest.hasPrefix(token) {
                out += value()
                rest = rest.dropFirst(token.count)
                continue outer
            }
            out.append(first)
            rest = rest.dropFirst()
        }
        return out
    }
}
