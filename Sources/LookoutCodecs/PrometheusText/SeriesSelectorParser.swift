import LookoutModel

/// Parses a series selector as `match[]` parameters carry it: `metric`, `metric{a="b"}`,
/// `{a=~"x|y", b!=""}`, `{"utf8.name", a="b"}`.
public enum SeriesSelectorParser {
    public static func parse(_ text: String) throws(CodecError) -> [LabelMatcher] {
        let bytes = Array(text.utf8)
        var cursor = LineCursor(bytes[...])
        cursor.skipBlanks()
        var matchers: [LabelMatcher] = []
        let name = cursor.takeWhile { MetricNames.isNameStart($0) || MetricNames.isDigit($0) || $0 == UInt8(ascii: ":") }
        if !name.isEmpty {
            guard MetricNames.isValidMetricName(name) else { throw CodecError("invalid metric name \"\(name)\"") }
            matchers.append(try matcher(Labels.metricName, .equal, name))
        }
        cursor.skipBlanks()
        if cursor.peek == UInt8(ascii: "{") {
            cursor.advance()
            while true {
                cursor.skipBlanks()
                guard let next = cursor.peek else { throw CodecError("unterminated selector: expected '}'") }
                if next == UInt8(ascii: "}") {
                    cursor.advance()
                    break
                }
                var label: String
                if next == UInt8(ascii: "\"") {
                    label = try quoted(&cursor)
                    cursor.skipBlanks()
                    if cursor.peek == UInt8(ascii: ",") || cursor.peek == UInt8(ascii: "}") {
                        matchers.append(try matcher(Labels.metricName, .equal, label))
                        if cursor.peek == UInt8(ascii: ",") { cursor.advance() }
                        continue
                    }
                } else {
                    label = cursor.takeWhile { MetricNames.isNameStart($0) || MetricNames.isDigit($0) }
                    guard MetricNames.isValidLabelName(label) else {
                        throw CodecError(label.isEmpty ? "expected a label name in the selector" : "invalid label name \"\(label)\"")
                    }
                }
                cursor.skipBlanks()
                let kind: LabelMatcher.Kind
                switch (cursor.peek, cursor.peekSecond) {
                case (UInt8(ascii: "="), UInt8(ascii: "~")): kind = .regexMatch; cursor.advance(); cursor.advance()
                case (UInt8(ascii: "!"), UInt8(ascii: "=")): kind = .notEqual; cursor.advance(); cursor.advance()
                case (UInt8(ascii: "!"), UInt8(ascii: "~")): kind = .regexNoMatch; cursor.advance(); cursor.advance()
                case (UInt8(ascii: "="), _): kind = .equal; cursor.advance()
                default: throw CodecError("expected =, !=, =~ or !~ after label \"\(label)\"")
                }
                cursor.skipBlanks()
                guard cursor.peek == UInt8(ascii: "\"") || cursor.peek == UInt8(ascii: "'") else {
                    throw CodecError("expected a quoted value for label \"\(label)\"")
                }
                matchers.append(try matcher(label, kind, try quoted(&cursor)))
                cursor.skipBlanks()
                if cursor.peek == UInt8(ascii: ",") { cursor.advance() } else if cursor.peek != UInt8(ascii: "}") {
                    throw CodecError("expected ',' or '}' after the matcher on \"\(label)\"")
                }
            }
        }
        cursor.skipBlanks()
        guard cursor.atEnd else { throw CodecError("unexpected \"\(cursor.remainingString)\" after the selector") }
        guard !matchers.isEmpty else { throw CodecError("empty selector") }
        guard matchers.contains(where: { !$0.matchesEmpty }) else {
            throw CodecError("a selector needs at least one matcher that does not match the empty string")
        }
        return matchers
    }

    private static func matcher(_ name: String, _ kind: LabelMatcher.Kind, _ value: String) throws(CodecError) -> LabelMatcher {
        do { return try LabelMatcher(name, kind, value) } catch { throw CodecError(error.message) }
    }

    private static func quoted(_ cursor: inout LineCursor) throws(CodecError) -> String {
        let quote = cursor.peek!
        cursor.advance()
        var bytes: [UInt8] = []
        while let byte = cursor.peek {
            cursor.advance()
            if byte == quote {
                return String(decoding: bytes, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                guard let next = cursor.peek else { break }
                cursor.advance()
                switch next {
                case UInt8(ascii: "n"): bytes.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): bytes.append(UInt8(ascii: "\t"))
                default: bytes.append(next)
                }
            } else {
                bytes.append(byte)
            }
        }
        throw CodecError("unterminated string in the selector")
    }
}
