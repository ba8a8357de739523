/// A PromQL function's signature: argument types (the last `optional` of them may be left
/// out; `variadic` repeats the last one) and what it returns.
public struct Function: Sendable, Equatable {
    public let name: String
    public let argumentTypes: [ValueType]
    public let optional: Int
    public let variadic: Bool
    public let returnType: ValueType

    init(_ name: String, _ argumentTypes: [ValueType], _ returnType: ValueType, optional: Int = 0, variadic: Bool = false) {
        self.name = name
        self.argumentTypes = argumentTypes
        self.optional = optional
        self.variadic = variadic
        self.returnType = returnType
    }

    /// Every stable function of Prometheus 3 (native-histogram functions excepted).
    public static let all: [String: Function] = {
        var table: [String: Function] = [:]
        func add(_ function: Function) { table[function.name] = function }
        let math = ["abs", "ceil", "exp", "floor", "ln", "log2", "log10", "sqrt", "sgn",
                    "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh",
                    "deg", "rad", "timestamp", "sort", "sort_desc", "absent"]
        for name in math { add(Function(name, [.vector], .vector)) }
        let overTime = ["avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
                        "stddev_over_time", "stdvar_over_time", "last_over_time", "first_over_time", "present_over_time", "absent_over_time",
                        "rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets"]
        for name in overTime { add(Function(name, [.matrix], .vector)) }
        for name in ["day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year"] {
            add(Function(name, [.vector], .vector, optional: 1))
        }
        add(Function("quantile_over_time", [.scalar, .matrix], .vector))
        add(Function("predict_linear", [.matrix, .scalar], .vector))
        add(Function("clamp", [.vector, .scalar, .scalar], .vector))
        add(Function("clamp_min", [.vector, .scalar], .vector))
        add(Function("clamp_max", [.vector, .scalar], .vector))
        add(Function("round", [.vector, .scalar], .vector, optional: 1))
        add(Function("histogram_quantile", [.scalar, .vector], .vector))
        add(Function("label_replace", [.vector, .string, .string, .string, .string], .vector))
        add(Function("label_join", [.vector, .string, .string, .string], .vector, optional: 1, variadic: true))
        add(Function("scalar", [.vector], .scalar))
        add(Function("vector", [.scalar], .vector))
        add(Function("time", [], .scalar))
        add(Function("pi", [], .scalar))
        return table
    }()
}
