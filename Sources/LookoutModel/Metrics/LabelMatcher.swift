/// A label matcher of a series selector: `=`, `!=`, `=~`, `!~`. Regular expressions are anchored
/// at both ends, as in Prometheus. A matcher on a label the series lacks sees the empty string.
public struct LabelMatcher: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case equal = "="
        case notEqual = "!="
        case regexMatch = "=~"
        case regexNoMatch = "!~"
    }

    public let name: String
    public let kind: Kind
    public let value: String
    private let regex: AnchoredRegex?

    public init(_ name: String, _ kind: Kind, _ value: String) throws(LabelMatcherError) {
        self.name = name
        self.kind = kind
        self.value = value
        switch kind {
        case .equal, .notEqual:
            regex = nil
        case .regexMatch, .regexNoMatch:
            regex = try AnchoredRegex(value)
        }
    }

    public func matches(_ candidate: String) -> Bool {
        switch kind {
        case .equal: candidate == value
        case .notEqual: candidate != value
        case .regexMatch: regex!.matches(candidate)
        case .regexNoMatch: !regex!.matches(candidate)
        }
    }

    /// Whether the matcher accepts a series that lacks the label.
    public var matchesEmpty: Bool { matches("") }

    public var description: String {
        "\(name)\(kind.rawValue)\"\(LabelText.escape(value))\""
    }

    public static func == (lhs: LabelMatcher, rhs: LabelMatcher) -> Bool {
        lhs.name == rhs.name && lhs.kind == rhs.kind && lhs.value == rhs.value
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(kind)
        hasher.combine(value)
    }
}

public struct LabelMatcherError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A compiled regular expression that must match a whole string.
final class AnchoredRegex: @unchecked Sendable {
    // Swift's Regex is a value that holds no mutable shared state once built; matching from
    // several tasks at once is safe, it is only not declared Sendable for AnyRegexOutput.
    private let regex: Regex<AnyRegexOutput>
    private let literal: String?

    init(_ pattern: String) throws(LabelMatcherError) {
        // RE2, which Prometheus uses, has no lookaround and no backreferences; Swift's engine
        // would accept them, so refuse them as Prometheus does.
        if let construct = AnchoredRegex.unsupportedConstruct(in: pattern) {
            throw LabelMatcherError("invalid regular expression \"\(pattern)\": \(construct) is not supported")
        }
        do {
            // As Prometheus: anchored at both ends, and "." also matches a newline.
            regex = try Regex("^(?s:" + AnchoredRegex.translated(pattern) + ")$")
        } catch {
            throw LabelMatcherError("invalid regular expression \"\(pattern)\": \(error)")
        }
        // A pattern without metacharacters is a plain comparison; most selectors are like that.
        let meta = Set("\\.+*?()|[]{}^$")
        literal = pattern.contains(where: { meta.contains($0) }) ? nil : pattern
    }

    /// RE2 syntax Swift's engine spells differently: the one-letter Unicode classes `\pL`, `\PN`
    /// become `\p{L}`, `\P{N}`.
    static func translated(_ pattern: String) -> String {
        guard pattern.contains("\\p") || pattern.contains("\\P") else { return pattern }
        let scalars = Array(pattern.unicodeScalars)
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\\", index + 2 < scalars.count, scalars[index + 1] == "p" || scalars[index + 1] == "P",
               scalars[index + 2] != "{" {
                result.append(contentsOf: ["\\", scalars[index + 1], "{", scalars[index + 2], "}"])
                index += 3
                continue
            }
            if scalar == "\\", index + 1 < scalars.count {
                result.append(contentsOf: [scalar, scalars[index + 1]])
                index += 2
                continue
            }
            result.append(scalar)
            index += 1
        }
        return String(result)
    }

    static func unsupportedConstruct(in pattern: String) -> String? {
        let scalars = Array(pattern.unicodeScalars)
        var index = 0
        var inClass = false
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\\", index + 1 < scalars.count {
                let next = scalars[index + 1]
                if !inClass, next.properties.numericType != nil, next != "0" { return "a backreference (\\\(next))" }
                index += 2
                continue
            }
            if scalar == "[" { inClass = true } else if scalar == "]" { inClass = false }
            if !inClass, scalar == "(", index + 2 < scalars.count, scalars[index + 1] == "?" {
                let third = scalars[index + 2]
                if third == "=" || third == "!" { return "a lookahead" }
                if third == "<", index + 3 < scalars.count, scalars[index + 3] == "=" || scalars[index + 3] == "!" { return "a lookbehind" }
                if third == ">" { return "an atomic group" }
            }
            if !inClass, (scalar == "+" || scalar == "*" || scalar == "?" || scalar == "}"), index + 1 < scalars.count,
               scalars[index + 1] == "+" {
                return "a possessive quantifier"
            }
            index += 1
        }
        return nil
    }

    func matches(_ candidate: String) -> Bool {
        if let literal { return candidate == literal }
        return (try? regex.wholeMatch(in: candidate)) != nil
    }
}
