import LookoutCodecs
import LookoutModel
import LookoutQuery

/// Numbers and times as the Prometheus HTTP API writes them.
enum PrometheusJSON {
    /// Seconds as a JSON number: `60`, `1.5` is written `1.500`, `1435781451.781`.
    static func writeTime(_ milliseconds: Int64, into out: inout [UInt8]) {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : -((-milliseconds + 999) / 1000)
        let fraction = milliseconds - seconds * 1000
        JSONWriter.writeInt(seconds, into: &out)
        if fraction != 0 {
            out.append(UInt8(ascii: "."))
            let digits = String(fraction)
            out.append(contentsOf: Array(repeating: UInt8(ascii: "0"), count: 3 - digits.count))
            out.append(contentsOf: digits.utf8)
        }
    }

    /// A duration in seconds as a JSON number (evaluation times).
    static func seconds(_ value: Double) -> String {
        value.isFinite ? PromQLNumber.format(value) : "0"
    }

    /// Go's `strconv.FormatFloat(v, 'e', -1, 64)`: `1e+00`, `1.5e-07`, the alert value format.
    static func exponent(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == 0 { return value.sign == .minus ? "-0e+00" : "0e+00" }
        // Swift's description is the shortest text that reads back the same; take its digits.
        var text = "\(abs(value))"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        var integer = text
        var fraction = ""
        if let dot = text.firstIndex(of: ".") {
            integer = String(text[..<dot])
            fraction = String(text[text.index(after: dot)...])
        }
        var digits = integer + fraction
        exponent += integer.count - 1
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            exponent -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        var result = value < 0 ? "-" : ""
        result += String(digits.first!)
        if digits.count > 1 { result += "." + digits.dropFirst() }
        let magnitude = abs(exponent)
        result += (exponent < 0 ? "e-" : "e+") + (magnitude < 10 ? "0" : "") + String(magnitude)
        return result
    }

    /// A sample value as the API writes it (see `PromQLNumber.format`).
    static func format(_ value: Double) -> String { PromQLNumber.format(value) }

    static func writeValue(_ value: Double, into out: inout [UInt8]) {
        // Whole numbers (counters, most gauges) print as integers: no float formatting needed.
        // Below 2^53 every integer is exact, and Go prints it without exponent.
        if value == value.rounded(.towardZero) && abs(value) < 9_007_199_254_740_992 && !(value == 0 && value.sign == .minus) {
            out.append(UInt8(ascii: "\""))
            JSONWriter.writeInt(Int64(value), into: &out)
            out.append(UInt8(ascii: "\""))
            return
        }
        JSONWriter.writeString(format(value), into: &out)
    }

    static func writeLabels(_ labels: Labels, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (index, label) in labels.pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(label.name, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.writeString(label.value, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func writePoint(_ time: Int64, _ value: Double, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        writeTime(time, into: &out)
        out.append(UInt8(ascii: ","))
        writeValue(value, into: &out)
        out.append(UInt8(ascii: "]"))
    }

    /// `{"resultType": ..., "result": ...}`
    static func writeResult(_ result: QueryResult, limit: Int?, into out: inout [UInt8]) {
        switch result {
        case .scalar(let time, let value):
            JSONWriter.writeRaw(#"{"resultType":"scalar","result":"#, into: &out)
            writePoint(time, value, into: &out)
        case .string(let time, let value):
            JSONWriter.writeRaw(#"{"resultType":"string","result":["#, into: &out)
            writeTime(time, into: &out)
            out.append(UInt8(ascii: ","))
            JSONWriter.writeString(value, into: &out)
            out.append(UInt8(ascii: "]"))
        case .vector(let elements):
            JSONWriter.writeRaw(#"{"resultType":"vector","result":["#, into: &out)
            for (index, element) in elements.prefix(limit ?? elements.count).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeRaw(#"{"metric":"#, into: &out)
                writeLabels(element.labels, into: &out)
                JSONWriter.writeRaw(#","value":"#, into: &out)
                writePoint(element.time, element.value, into: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        case .matrix(let series):
            // About 30 bytes a point: grow the buffer once rather than doubling it all the way.
            out.reserveCapacity(out.count + series.reduce(0) { $0 + 30 * $1.samples.count + 200 })
            JSONWriter.writeRaw(#"{"resultType":"matrix","result":["#, into: &out)
            for (index, entry) in series.prefix(limit ?? series.count).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeRaw(#"{"metric":"#, into: &out)
                writeLabels(entry.labels, into: &out)
                JSONWriter.writeRaw(#","values":["#, into: &out)
                for (position, sample) in entry.samples.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    writePoint(sample.timestamp, sample.value, into: &out)
                }
                JSONWriter.writeRaw("]}", into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "}"))
    }
}
