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

    /// A sample value as a JSON string: Go's shortest form, plain decimals unless the value is
    /// below 1e-6 or at least 1e21 in magnitude, and "NaN", "+Inf", "-Inf".
    static func format(_ value: Double) -> String {
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

    static func writeValue(_ value: Double, into out: inout [UInt8]) {
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
