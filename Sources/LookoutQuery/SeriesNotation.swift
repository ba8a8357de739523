import LookoutModel

/// The series notation of Prometheus' test scripts and rule unit tests: `name{a="b"} 1 2+3x4 _ stale`,
/// durations such as `1m30s`, and the special values `NaN`, `Inf` and `stale`.
public enum SeriesNotation {
    public static func duration(_ text: String) -> Int64? {
        if text == "0" { return 0 }
        var total: Int64 = 0
        var number = ""
        var unit = ""
        func flush() -> Bool {
            guard let value = Int64(number) else { return false }
            let sizes: [String: Int64] = ["ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000, "y": 31_536_000_000]
            guard let size = sizes[unit] else { return false }
            total += value * size
            number = ""
            unit = ""
            return true
        }
        for character in text {
            if character.isNumber {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(character)
            } else {
                unit.append(character)
            }
        }
        if !number.isEmpty || !unit.isEmpty { guard flush() else { return nil } }
        return total
    }

    public static func number(_ text: String) -> Double? {
        switch text.lowercased() {
        case "nan": return .nan
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "stale": return StaleMarker.value
        default: return text.contains(where: { $0 == "x" }) ? nil : Double(text)
        }
    }

    /// `name{a="b"} 1 2+3x4 _ stale` → labels and the expanded points (nil for `_`).
    public static func seriesLine(_ line: String) throws -> (Labels, [Double?]) {
        let characters = Array(line)
        var split = 0
        var inBraces = false
        var inQuote: Character?
        while split < characters.count {
            let character = characters[split]
            if let quote = inQuote {
                if character == "\\" { split += 1 } else if character == quote { inQuote = nil }
            } else if character == "\"" || character == "'" {
                inQuote = character
            } else if character == "{" {
                inBraces = true
            } else if character == "}" {
                inBraces = false
                split += 1
                break
            } else if character == " " && !inBraces {
                break
            }
            split += 1
        }
        let selector = String(characters[0..<split])
        let labels = try parseLabels(selector)
        var points: [Double?] = []
        for token in String(characters[split...]).split(separator: " ") where !token.isEmpty {
            points.append(contentsOf: try expand(String(token)))
        }
        return (labels, points)
    }

    public static func parseLabels(_ text: String) throws -> Labels {
        var pairs: [Label] = []
        var name = text
        if let brace = text.firstIndex(of: "{") {
            name = String(text[..<brace])
            let body = text[text.index(after: brace)..<(text.lastIndex(of: "}") ?? text.endIndex)]
            var rest = Substring(body)
            while true {
                rest = rest.drop { $0 == " " || $0 == "," }
                guard let equals = rest.firstIndex(of: "=") else { break }
                let label = String(rest[..<equals].drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
                rest = rest[rest.index(after: equals)...].drop { $0 == " " }
                guard let quote = rest.first, quote == "\"" || quote == "'" else { throw LabelMatcherError("bad label value") }
                var value = ""
                var position = rest.index(after: rest.startIndex)
                while position < rest.endIndex, rest[position] != quote {
                    if rest[position] == "\\" {
                        position = rest.index(after: position)
                        let escaped = rest[position]
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(rest[position])
                    }
                    position = rest.index(after: position)
                }
                rest = rest[rest.index(after: position)...]
                let cleanLabel = label.hasPrefix("\"") ? String(label.dropFirst().dropLast()) : label
                pairs.append(Label(cleanLabel, value))
            }
        }
        if !name.isEmpty { pairs.append(Label(Labels.metricName, name)) }
        guard let labels = Labels(unsorted: pairs) else { throw LabelMatcherError("repeated label") }
        return labels
    }

    public static func expand(_ token: String) throws -> [Double?] {
        if token == "_" { return [nil] }
        if token.hasPrefix("_x"), let count = Int(token.dropFirst(2)) { return [Double?](repeating: nil, count: count) }
        if let value = number(token) { return [value] }
        guard let x = token.lastIndex(of: "x"), let count = Int(token[token.index(after: x)...]) else {
            throw LabelMatcherError("bad point \(token)")
        }
        let head = Array(token[..<x])
        var operatorIndex: Int?
        for index in head.indices.dropFirst() where (head[index] == "+" || head[index] == "-") && head[index - 1].lowercased() != "e" {
            operatorIndex = index
        }
        if let operatorIndex {
            guard let start = number(String(head[..<operatorIndex])), let step = number(String(head[(operatorIndex + 1)...])) else {
                throw LabelMatcherError("bad point \(token)")
            }
            let sign: Double = head[operatorIndex] == "+" ? 1 : -1
            return (0...count).map { start + sign * step * Double($0) }
        }
        guard let value = number(String(head)) else { throw LabelMatcherError("bad point \(token)") }
        return [Double?](repeating: value, count: count + 1)
    }
}
