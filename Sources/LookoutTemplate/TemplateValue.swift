/// A value as templates see it: the handful of Go types Prometheus' templates work with.
public indirect enum TemplateValue: Sendable, Equatable {
    case string(String), number(Double), int(Int), bool(Bool)
    /// Go `map[string]T`: a missing key yields the zero value "" (as `map[string]string` does).
    case map([String: TemplateValue])
    case list([TemplateValue])
    /// Unix seconds; prints like Go's `time.Time.String()` in UTC.
    case time(Double)
    /// Seconds; prints like Go's `time.Duration.String()`.
    case duration(Double)
    /// Go `nil`.
    case null
}

extension TemplateValue {
    /// The Go type name, as `%T` and error messages print it.
    var goTypeName: String {
        switch self {
        case .string: "string"
        case .number: "float64"
        case .int: "int"
        case .bool: "bool"
        case .map: "map[string]interface {}"
        case .list: "[]interface {}"
        case .time: "time.Time"
        case .duration: "time.Duration"
        case .null: "<nil>"
        }
    }

    /// Go template truth: false, 0, nil and empty strings, lists and maps are false.
    /// A time is a struct in Go, and structs are always true.
    var isTrue: Bool {
        switch self {
        case .string(let s): !s.isEmpty
        case .number(let d): d != 0
        case .int(let i): i != 0
        case .bool(let b): b
        case .map(let m): !m.isEmpty
        case .list(let l): !l.isEmpty
        case .time: true
        case .duration(let d): GoDuration.nanoseconds(d) != 0
        case .null: false
        }
    }

    var isContainer: Bool {
        switch self {
        case .map, .list: true
        default: false
        }
    }
}

extension String {
    /// Go compares strings byte-wise; Swift's `<` uses Unicode ordering.
    func goLess(_ other: String) -> Bool {
        utf8.lexicographicallyPrecedes(other.utf8)
    }
}
