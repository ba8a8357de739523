/// The Go parameter type a function declares, which decides how constants are read and which
/// values are accepted (Go's evalArg and validateType).
enum ParamType: Sendable, Equatable {
    case any, string, int, float, bool
    /// Prometheus' `queryResult` (a list of samples).
    case samples
    /// Prometheus' `*sample` (a map with Labels and Value).
    case sample

    var goName: String {
        switch self {
        case .any: "interface {}"
        case .string: "string"
        case .int: "int"
        case .float: "float64"
        case .bool: "bool"
        case .samples: "template.queryResult"
        case .sample: "*template.sample"
        }
    }

    /// The word Go uses in "expected integer; found ..." for constants.
    var expectedName: String {
        switch self {
        case .int: "integer"
        case .float: "float"
        default: goName
        }
    }

    var canBeNil: Bool {
        switch self {
        case .any, .samples, .sample: true
        default: false
        }
    }

    func accepts(_ value: TemplateValue) -> Bool {
        switch (self, value) {
        case (.any, _), (.string, .string), (.int, .int), (.float, .number), (.bool, .bool),
             (.samples, .list), (.sample, .map):
            true
        default:
            false
        }
    }
}
