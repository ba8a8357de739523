import LookoutModel

/// Parses the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text.
///
/// The formats differ in what a reader must enforce: OpenMetrics timestamps are seconds (0.0.4
/// has milliseconds), an OpenMetrics exposition ends with `# EOF` and knows `# UNIT` and
/// exemplars. Errors name the line: "line 7: expected a value after the labels".
public struct PrometheusTextParser {
    public enum Format: Sendable {
        case text004
        case openMetrics
    }

    public struct Sample: Sendable {
        public var labels: Labels
        public var value: Double
        /// Milliseconds; nil when the line had none.
        public var timestamp: Int64?
        public var exemplar: Exemplar?
    }

    public struct Result: Sendable {
        public var samples: [Sample] = []
        public var metadata: [MetricMetadata] = []
    }

    public let format: Format
    public let maxLabelsPerSeries: Int

    public init(format: Format, maxLabelsPerSeries: Int = 1024) {
        self.format = format
        self.maxLabelsPerSeries = maxLabelsPerSeries
    }

    public func parse(_ bytes: [UInt8]) throws(CodecError) -> Result {
        var result = Result()
        var metadata: [String: MetricMetadata] = [:]
        var metadataOrder: [String] = []
        var lineNumber = 0
        var start = 0
        var sawEOF = false
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            let line = bytes[start..<end]
            start = end + 1
            if sawEOF {
                if line.isEmpty && start >= bytes.count { break }
                throw CodecError("line \(lineNumber): content after # EOF")
            }
            do throws(CodecError) {
                if format == .openMetrics, line.contains(UInt8(ascii: "\r")) {
                    throw CodecError("carriage returns are not allowed in OpenMetrics")
                }
                var cursor = LineCursor(line)
                cursor.skipBlanks()
                if cursor.atEnd {
                    if format == .openMetrics { throw CodecError("empty lines are not allowed in OpenMetrics") }
                    continue
                }
                if cursor.peek == UInt8(ascii: "#") {
                    if let descriptor = try parseComment(&cursor) {
                        switch descriptor {
                        case .eof:
                            sawEOF = true
                        case .help(let name, let text):
                            update(&metadata, &metadataOrder, name) { $0.help = text }
                        case .type(let name, let type):
                            update(&metadata, &metadataOrder, name) { $0.type = type }
                        case .unit(let name, let unit):
                            update(&metadata, &metadataOrder, name) { $0.unit = unit }
                        }
                    }
                    continue
                }
                result.samples.append(try parseSample(&cursor))
            } catch {
                throw CodecError("line \(lineNumber): \(error.message)")
            }
        }
        if format == .openMetrics && !sawEOF {
            throw CodecError("the exposition does not end with # EOF")
        }
        result.metadata = metadataOrder.compactMap { metadata[$0] }
        return result
    }

    private func update(_ metadata: inout [String: MetricMetadata], _ order: inout [String], _ name: String,
                        _ change: (inout MetricMetadata) -> Void) {
        if metadata[name] == nil {
            metadata[name] = MetricMetadata(metricName: name, type: .unknown)
            order.append(name)
        }
        change(&metadata[name]!)
    }

    private enum Descriptor {
        case help(String, String)
        case type(String, MetricType)
        case unit(String, String)
        case eof
    }

    private func parseComment(_ cursor: inout LineCursor) throws(CodecError) -> Descriptor? {
        cursor.advance()  // '#'
        let rest = cursor.remainingString
        if format == .openMetrics && rest == " EOF" { return .eof }
        cursor.skipBlanks()
        let keyword = cursor.takeWhile { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        guard keyword == "HELP" || keyword == "TYPE" || (keyword == "UNIT" && format == .openMetrics) else {
            if format == .openMetrics { throw CodecError("unknown comment \"#\(rest)\"") }
            return nil  // a plain comment
        }
        cursor.skipBlanks()
        let name = cursor.takeWhile { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        guard MetricNames.isValidMetricName(name) else { throw CodecError("invalid metric name \"\(name)\" in # \(keyword)") }
        if !cursor.atEnd { cursor.advance() }
        let text = cursor.remainingString
        switch keyword {
        case "HELP":
            return .help(name, try unescape(text, quotes: format == .openMetrics))
        case "TYPE":
            let word = text.trimmingBlanks
            let type: MetricType
            switch (word, format) {
            case ("counter", _): type = .counter
            case ("gauge", _): type = .gauge
            case ("histogram", _): type = .histogram
            case ("summary", _): type = .summary
            case ("untyped", .text004): type = .unknown
            case ("unknown", .openMetrics): type = .unknown
            case ("gaugehistogram", .openMetrics): type = .gaugehistogram
            case ("stateset", .openMetrics): type = .stateset
            case ("info", .openMetrics): type = .info
            default: throw CodecError("unknown metric type \"\(word)\" for \(name)")
            }
            return .type(name, type)
        default:
            let unit = text.trimmingBlanks
            guard name.hasSuffix("_" + unit) || name == unit || unit.isEmpty else {
                throw CodecError("unit \"\(unit)\" is not a suffix of the metric name \(name)")
            }
            return .unit(name, unit)
        }
    }

    private func parseSample(_ cursor: inout LineCursor) throws(CodecError) -> Sample {
        var pairs: [Label] = []
        var name = cursor.takeWhile { MetricNames.isNameStart($0) || MetricNames.isDigit($0) || $0 == UInt8(ascii: ":") }
        if cursor.peek == UInt8(ascii: "{") {
            cursor.advance()
            let (quotedName, labels) = try parseLabels(&cursor)
            if let quotedName {
                guard name.isEmpty else { throw CodecError("metric name given twice") }
                name = quotedName
            }
            pairs = labels
        }
        guard !name.isEmpty else { throw CodecError("expected a metric name") }
        guard MetricNames.isValidMetricName(name) else { throw CodecError("invalid metric name \"\(name)\"") }
        guard pairs.count < maxLabelsPerSeries else {
            throw CodecError("\(name) has \(pairs.count + 1) labels, more than the limit of \(maxLabelsPerSeries)")
        }
        pairs.append(Label(Labels.metricName, name))
        guard let labels = Labels(unsorted: pairs) else { throw CodecError("a label name appears more than once on \(name)") }
        guard cursor.skipBlanks() else { throw CodecError("expected a space and a value after \(name)") }
        let valueText = cursor.takeWhile { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        guard let value = parseFloat(valueText) else { throw CodecError("invalid value \"\(valueText)\"") }
        var timestamp: Int64?
        var exemplar: Exemplar?
        cursor.skipBlanks()
        if !cursor.atEnd && cursor.peek != UInt8(ascii: "#") {
            let text = cursor.takeWhile { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
            timestamp = try parseTimestamp(text)
            cursor.skipBlanks()
        }
        if !cursor.atEnd && cursor.peek == UInt8(ascii: "#") {
            guard format == .openMetrics else { throw CodecError("unexpected text after the sample: \"\(cursor.remainingString)\"") }
            exemplar = try parseExemplar(&cursor)
        }
        guard cursor.atEnd else { throw CodecError("unexpected text after the sample: \"\(cursor.remainingString)\"") }
        return Sample(labels: labels, value: value, timestamp: timestamp, exemplar: exemplar)
    }

    private func parseExemplar(_ cursor: inout LineCursor) throws(CodecError) -> Exemplar {
        cursor.advance()
        guard cursor.skipBlanks(), cursor.peek == UInt8(ascii: "{") else { throw CodecError("an exemplar starts with \"# {\"") }
        cursor.advance()
        let (quoted, pairs) = try parseLabels(&cursor)
        guard quoted == nil else { throw CodecError("an exemplar has no metric name") }
        let runes = pairs.reduce(0) { $0 + $1.name.unicodeScalars.count + $1.value.unicodeScalars.count }
        guard runes <= 128 else { throw CodecError("exemplar labels are \(runes) characters long, more than 128") }
        guard cursor.skipBlanks() else { throw CodecError("expected a value after the exemplar labels") }
        let valueText = cursor.takeWhile { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        guard let value = parseFloat(valueText) else { throw CodecError("invalid exemplar value \"\(valueText)\"") }
        var timestamp: Int64?
        if cursor.skipBlanks() && !cursor.atEnd {
            let text = cursor.takeWhile { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
            timestamp = try parseTimestamp(text)
        }
        guard let labels = Labels(unsorted: pairs) else { throw CodecError("a label name appears more than once in the exemplar") }
        return Exemplar(labels: labels, value: value, timestamp: timestamp)
    }

    /// After `{`: label pairs up to `}`. A quoted string standing alone is the metric name.
    private func parseLabels(_ cursor: inout LineCursor) throws(CodecError) -> (String?, [Label]) {
        var pairs: [Label] = []
        var metricName: String?
        while true {
            cursor.skipBlanks()
            guard !cursor.atEnd else { throw CodecError("unterminated label set") }
            if cursor.peek == UInt8(ascii: "}") {
                cursor.advance()
                return (metricName, pairs)
            }
            let name: String
            if cursor.peek == UInt8(ascii: "\"") {
                name = try parseQuoted(&cursor)
                cursor.skipBlanks()
                if cursor.peek == UInt8(ascii: ",") || cursor.peek == UInt8(ascii: "}") {
                    guard metricName == nil else { throw CodecError("metric name given twice") }
                    metricName = name
                    if cursor.peek == UInt8(ascii: ",") { cursor.advance() }
                    continue
                }
            } else {
                name = cursor.takeWhile { MetricNames.isNameStart($0) || MetricNames.isDigit($0) }
            }
            guard MetricNames.isValidLabelName(name) else {
                throw CodecError(name.isEmpty ? "expected a label name" : "invalid label name \"\(name)\"")
            }
            cursor.skipBlanks()
            guard cursor.peek == UInt8(ascii: "=") else { throw CodecError("expected '=' after label name \"\(name)\"") }
            cursor.advance()
            cursor.skipBlanks()
            guard cursor.peek == UInt8(ascii: "\"") else { throw CodecError("expected a quoted value for label \"\(name)\"") }
            let value = try parseQuoted(&cursor)
            pairs.append(Label(name, value))
            guard pairs.count <= maxLabelsPerSeries else {
                throw CodecError("more than \(maxLabelsPerSeries) labels, the limit per series")
            }
            cursor.skipBlanks()
            if cursor.peek == UInt8(ascii: ",") {
                cursor.advance()
            } else if cursor.peek != UInt8(ascii: "}") {
                throw CodecError("expected ',' or '}' after label \"\(name)\"")
            }
        }
    }

    private func parseQuoted(_ cursor: inout LineCursor) throws(CodecError) -> String {
        cursor.advance()
        var bytes: [UInt8] = []
        while !cursor.atEnd {
            let byte = cursor.peek!
            cursor.advance()
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: bytes, as: UTF8.self) else { throw CodecError("invalid UTF-8 in a label value") }
                return string
            case UInt8(ascii: "\\"):
                guard let next = cursor.peek else { throw CodecError("unterminated escape in a label value") }
                cursor.advance()
                switch next {
                case UInt8(ascii: "n"): bytes.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "\\"), UInt8(ascii: "\""): bytes.append(next)
                default:
                    // 0.0.4 keeps unknown escapes as written; OpenMetrics forbids them.
                    if format == .openMetrics { throw CodecError("invalid escape \"\\\(Character(Unicode.Scalar(next)))\"") }
                    bytes.append(UInt8(ascii: "\\"))
                    bytes.append(next)
                }
            default:
                bytes.append(byte)
            }
        }
        throw CodecError("unterminated quoted string")
    }

    private func unescape(_ text: String, quotes: Bool) throws(CodecError) -> String {
        guard text.contains("\\") else { return text }
        var result = ""
        var escaping = false
        for scalar in text.unicodeScalars {
            if escaping {
                switch scalar {
                case "n": result += "\n"
                case "\\": result += "\\"
                case "\"" where quotes: result += "\""
                default: result += "\\"; result.unicodeScalars.append(scalar)
                }
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        if escaping { result += "\\" }
        return result
    }

    private func parseTimestamp(_ text: String) throws(CodecError) -> Int64 {
        switch format {
        case .text004:
            guard let milliseconds = Int64(text) else { throw CodecError("invalid timestamp \"\(text)\" (milliseconds expected)") }
            return milliseconds
        case .openMetrics:
            guard let seconds = parseFloat(text), seconds.isFinite, abs(seconds) < 9.2e15 else {
                throw CodecError("invalid timestamp \"\(text)\" (seconds expected)")
            }
            return Int64((seconds * 1000).rounded())
        }
    }

    /// Go's ParseFloat as Prometheus uses it: decimal and exponent forms, `NaN`, `±Inf`.
    func parseFloat(_ text: String) -> Double? {
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        switch text.lowercased() {
        case "nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: break
        }
        // Double(String) also takes hex floats and "nan(...)"; keep to decimal digits.
        guard text.utf8.allSatisfy({ MetricNames.isDigit($0) || "+-.eE_".utf8.contains($0) }), !text.contains("_") else { return nil }
        return Double(text)
    }
}

/// A forward cursor over one line's bytes.
struct LineCursor {
    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    var atEnd: Bool { index >= bytes.endIndex }
    var peek: UInt8? { atEnd ? nil : bytes[index] }
    var peekSecond: UInt8? { index + 1 < bytes.endIndex ? bytes[index + 1] : nil }
    mutating func advance() { index += 1 }

    /// Skips spaces and tabs; tells whether there were any.
    @discardableResult
    mutating func skipBlanks() -> Bool {
        let start = index
        while index < bytes.endIndex, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
        return index > start
    }

    mutating func takeWhile(_ predicate: (UInt8) -> Bool) -> String {
        let start = index
        while index < bytes.endIndex, predicate(bytes[index]) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    var remainingString: String { String(decoding: bytes[index...], as: UTF8.self) }
}

extension String {
    var trimmingBlanks: String {
        var scalars = Substring(self)
        while scalars.first == " " || scalars.first == "\t" { scalars = scalars.dropFirst() }
        while scalars.last == " " || scalars.last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
