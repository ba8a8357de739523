/// One label of a series.
public struct Label: Sendable, Hashable, Comparable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public static func < (lhs: Label, rhs: Label) -> Bool {
        lhs.name != rhs.name ? lhs.name < rhs.name : lhs.value < rhs.value
    }
}

/// The identity of a series: its labels sorted by name, names unique, no empty values (an empty
/// value means "no such label", as in Prometheus). The metric name is the `__name__` label.
public struct Labels: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let metricName = "__name__"

    public private(set) var pairs: [Label]
    /// The hash of `pairs`, computed once: label sets are hashed over and over as dictionary
    /// keys (series lookup, grouping, vector matching) and rarely change.
    private let hashValueOfPairs: Int

    /// Labels already sorted by name with no duplicates and no empty values.
    public init(sorted pairs: [Label]) {
        self.pairs = pairs
        self.hashValueOfPairs = Labels.hash(pairs)
    }

    private static func hash(_ pairs: [Label]) -> Int {
        var hasher = Hasher()
        hasher.combine(pairs.count)
        for pair in pairs {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
        return hasher.finalize()
    }

    public static func == (lhs: Labels, rhs: Labels) -> Bool {
        lhs.hashValueOfPairs == rhs.hashValueOfPairs && lhs.pairs == rhs.pairs
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(hashValueOfPairs)
    }

    /// Sorts `pairs` and drops empty values; returns nil when a name repeats.
    public init?(unsorted pairs: [Label]) {
        var pairs = pairs.filter { !$0.value.isEmpty }
        pairs.sort { $0.name < $1.name }
        for index in pairs.indices.dropFirst() where pairs[index].name == pairs[index - 1].name {
            return nil
        }
        self.init(sorted: pairs)
    }

    public init(_ dictionary: [String: String]) {
        self.init(sorted: dictionary.filter { !$0.value.isEmpty }.map { Label($0.key, $0.value) }.sorted())
    }

    public var count: Int { pairs.count }
    public var isEmpty: Bool { pairs.isEmpty }

    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    public var metricName: String? { self[Labels.metricName] }

    public func removing(_ name: String) -> Labels {
        Labels(sorted: pairs.filter { $0.name != name })
    }

    public func setting(_ name: String, _ value: String) -> Labels {
        var pairs = self.pairs.filter { $0.name != name }
        if !value.isEmpty {
            pairs.append(Label(name, value))
            pairs.sort { $0.name < $1.name }
        }
        return Labels(sorted: pairs)
    }

    public static func < (lhs: Labels, rhs: Labels) -> Bool {
        for (left, right) in zip(lhs.pairs, rhs.pairs) where left != right {
            return left < right
        }
        return lhs.pairs.count < rhs.pairs.count
    }

    /// Prometheus' text: `name{a="1", b="2"}`.
    public var description: String {
        let name = metricName ?? ""
        let rest = pairs.filter { $0.name != Labels.metricName }
        if rest.isEmpty && !name.isEmpty { return name }
        return name + "{" + rest.map { "\($0.name)=\"\(LabelText.escape($0.value))\"" }.joined(separator: ", ") + "}"
    }

    /// A compact, unambiguous byte form: name, 0xff, value, 0xff for each pair (0xff never occurs
    /// in UTF-8). Used as a storage key and for hashing.
    public var canonicalBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(pairs.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 })
        for pair in pairs {
            bytes.append(contentsOf: pair.name.utf8)
            bytes.append(0xff)
            bytes.append(contentsOf: pair.value.utf8)
            bytes.append(0xff)
        }
        return bytes
    }

    public init?(canonicalBytes bytes: some Collection<UInt8>) {
        var pairs: [Label] = []
        var fields: [String] = []
        var current: [UInt8] = []
        for byte in bytes {
            if byte == 0xff {
                fields.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
                if fields.count == 2 {
                    pairs.append(Label(fields[0], fields[1]))
                    fields.removeAll(keepingCapacity: true)
                }
            } else {
                current.append(byte)
            }
        }
        guard current.isEmpty, fields.isEmpty else { return nil }
        self.init(sorted: pairs)
    }
}

/// Label value escaping in the Prometheus text formats.
public enum LabelText {
    public static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            return value
        }
        var result = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }
}
