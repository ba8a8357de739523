/// Zipkin's `annotationQuery`: terms joined by `" and "`, each `key` or `key=value`.
///
/// A bare key (or `key=` with nothing after it) matches a span with an annotation of that
/// value or a tag with that key; `key=value` matches a tag exactly. Later terms overwrite
/// earlier ones for the same key, a bare key never overwrites a `key=value`.
public struct AnnotationQuery: Hashable, Sendable, CustomStringConvertible {
    /// Term order is kept so the query round-trips; keys are unique.
    public private(set) var terms: [(key: String, value: String)] = []

    public static let maxTerms = 100

    public init() {}

    public init(parsing text: String) throws(QueryError) {
        let parts = text.split(separator: " and ", omittingEmptySubsequences: true)
        if parts.count > AnnotationQuery.maxTerms {
            throw QueryError("annotationQuery has more than \(AnnotationQuery.maxTerms) terms")
        }
        for part in parts {
            if let equals = part.firstIndex(of: "=") {
                let key = part[..<equals].trimmingSpaces
                let value = part[part.index(after: equals)...].trimmingSpaces
                if key.isEmpty { continue }
                set(key, value)
            } else {
                let key = part.trimmingSpaces
                if key.isEmpty || terms.contains(where: { $0.key == key }) { continue }
                set(key, "")
            }
        }
    }

    public init(_ pairs: KeyValuePairs<String, String>) {
        for (key, value) in pairs { set(key, value) }
    }

    public var isEmpty: Bool { terms.isEmpty }

    public mutating func set(_ key: String, _ value: String) {
        if let index = terms.firstIndex(where: { $0.key == key }) {
            terms[index].value = value
        } else {
            terms.append((key, value))
        }
    }

    public var description: String {
        terms.map { $0.value.isEmpty ? $0.key : "\($0.key)=\($0.value)" }.joined(separator: " and ")
    }

    public static func == (lhs: AnnotationQuery, rhs: AnnotationQuery) -> Bool {
        lhs.terms.elementsEqual(rhs.terms) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for term in terms {
            hasher.combine(term.key)
            hasher.combine(term.value)
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
