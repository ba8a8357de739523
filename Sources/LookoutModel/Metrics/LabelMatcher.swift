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
        do {
            regex = try Regex("^(?:" + pattern + ")$")
        } catch {
            throw LabelMatcherError("invalid regular expression \"\(pattern)\": \(error)")
        }
        // A pattern without metacharacters is a plain comparison; most selectors are like that.
        let meta = Set("\\.+*?()|[]{}^$")
        literal = pattern.contains(where: { meta.contains($0) }) ? nil : pattern
    }

    func matches(_ candidate: String) -> Bool {
        if let literal { return candidate == literal }
        return (try? regex.wholeMatch(in: candidate)) != nil
    }
}
