/// Go text/template's builtin functions. Comparison follows Go for strings and booleans and,
/// unlike Go, also compares ints with floats (Go fails `gt $value 1` with "incompatible types
/// for comparison", a common trap in alert rules).
enum Builtins {
    static let table: [String: TemplateFunction] = [
        "and": TemplateFunction([.any], variadic: .any, .and),
        "or": TemplateFunction([.any], variadic: .any, .or),
        "not": .pure([.any]) { .bool(!$0[0].isTrue) },
        "len": .failable([.any]) { try length($0[0]) },
        "index": .failable([.any], variadic: .any) { try index($0[0], Array($0.dropFirst())) },
        "slice": .failable([.any], variadic: .any) { try slice($0[0], Array($0.dropFirst())) },
        "eq": .failable([.any], variadic: .any) { args throws(FunctionError) in
            guard args.count > 1 else { throw FunctionError("missing argument for comparison") }
            for other in args.dropFirst() where try equal(args[0], other) { return .bool(true) }
            return .bool(false)
        },
        "ne": .failable([.any, .any]) { .bool(try !equal($0[0], $0[1])) },
        "lt": .failable([.any, .any]) { .bool(try less($0[0], $0[1])) },
        "le": .failable([.any, .any]) { .bool(try less($0[0], $0[1]) || equal($0[0], $0[1])) },
        "gt": .failable([.any, .any]) { .bool(try !(less($0[0], $0[1]) || equal($0[0], $0[1]))) },
        "ge": .failable([.any, .any]) { .bool(try !less($0[0], $0[1])) },
        "print": .failable([], variadic: .any) { .string(try GoFormatter.sprint($0, limits: .default)) },
        "println": .failable([], variadic: .any) { .string(try GoFormatter.sprintln($0, limits: .default)) },
        "printf": .failable([.string], variadic: .any) { args throws(FunctionError) in
            guard case .string(let format) = args[0] else { return .string("") }
            return .string(try GoFormatter.sprintf(format, Array(args.dropFirst()), limits: .default))
        },
        "html": .failable([], variadic: .any) { .string(Escaping.html(try evalArgs($0))) },
        "js": .failable([], variadic: .any) { .string(Escaping.js(try evalArgs($0))) },
        "urlquery": .failable([], variadic: .any) { .string(Escaping.queryEscape(try evalArgs($0))) },
        "call": .failable([.any], variadic: .any) { args throws(FunctionError) in
            // Template values never hold functions, so there is nothing callable.
            if case .null = args[0] { throw FunctionError("call of nil") }
            throw FunctionError("non-function of type \(args[0].goTypeName)")
        },
    ]

    /// html, js and urlquery take one string as is, or print their arguments like Sprint.
    private static func evalArgs(_ args: [TemplateValue]) throws(FunctionError) -> String {
        if args.count == 1, case .string(let s) = args[0] { return s }
        return try GoFormatter.sprint(args, limits: .default)
    }

    static func length(_ v: TemplateValue) throws(FunctionError) -> TemplateValue {
        switch v {
        case .string(let s): return .int(s.utf8.count)
        case .list(let l): return .int(l.count)
        case .map(let m): return .int(m.count)
        case .null: throw FunctionError("len of nil pointer")
        default: throw FunctionError("len of type \(v.goTypeName)")
        }
    }

    private static func intIndex(_ index: TemplateValue, cap: Int) throws(FunctionError) -> Int {
        guard case .int(let x) = index else {
            if case .null = index { throw FunctionError("cannot index slice/array with nil") }
            throw FunctionError("cannot index slice/array with type \(index.goTypeName)")
        }
        guard x >= 0, x <= cap else { throw FunctionError("index out of range: \(x)") }
        return x
    }

    static func index(_ item: TemplateValue, _ indexes: [TemplateValue]) throws(FunctionError) -> TemplateValue {
        var item = item
        if case .null = item { throw FunctionError("index of untyped nil") }
        for index in indexes {
            switch item {
            case .list(let l):
                let x = try intIndex(index, cap: l.count)
                guard x < l.count else { throw FunctionError("index out of range: \(x)") }
                item = l[x]
            case .string(let s):
                let bytes = Array(s.utf8)
                let x = try intIndex(index, cap: bytes.count)
                guard x < bytes.count else { throw FunctionError("index out of range: \(x)") }
                item = .int(Int(bytes[x]))
            case .map(let m):
                guard case .string(let key) = index else {
                    throw FunctionError("value has type \(index.goTypeName); should be string")
                }
                item = m[key] ?? .string("")
            case .null:
                throw FunctionError("index of nil pointer")
            default:
                throw FunctionError("can't index item of type \(item.goTypeName)")
            }
        }
        return item
    }

    static func slice(_ item: TemplateValue, _ indexes: [TemplateValue]) throws(FunctionError) -> TemplateValue {
        if case .null = item { throw FunctionError("slice of untyped nil") }
        if indexes.count > 3 { throw FunctionError("too many slice indexes: \(indexes.count)") }
        let count: Int
        switch item {
        case .string(let s):
            if indexes.count == 3 { throw FunctionError("cannot 3-index slice a string") }
            count = s.utf8.count
        case .list(let l):
            count = l.count
        default:
            throw FunctionError("can't slice item of type \(item.goTypeName)")
        }
        var idx = [0, count, count]
        for (i, index) in indexes.enumerated() { idx[i] = try intIndex(index, cap: count) }
        if idx[0] > idx[1] { throw FunctionError("invalid slice index: \(idx[0]) > \(idx[1])") }
        if indexes.count == 3 && idx[1] > idx[2] { throw FunctionError("invalid slice index: \(idx[1]) > \(idx[2])") }
        switch item {
        case .string(let s): return .string(String(decoding: Array(s.utf8)[idx[0]..<idx[1]], as: UTF8.self))
        case .list(let l): return .list(Array(l[idx[0]..<idx[1]]))
        default: return item
        }
    }

    private static func numeric(_ v: TemplateValue) -> Double? {
        switch v {
        case .int(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }

    static func equal(_ a: TemplateValue, _ b: TemplateValue) throws(FunctionError) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.time(let x), .time(let y)): return GoTime.milliseconds(x) == GoTime.milliseconds(y)
        case (.duration(let x), .duration(let y)): return GoDuration.nanoseconds(x) == GoDuration.nanoseconds(y)
        case (.null, .null): return true
        case (.null, _), (_, .null): return false
        case (.map, _), (.list, _), (_, .map), (_, .list):
            throw FunctionError("non-comparable types \(a.goTypeName), \(b.goTypeName)")
        default:
            if let x = numeric(a), let y = numeric(b) { return x == y }
            throw FunctionError("incompatible types for comparison")
        }
    }

    static func less(_ a: TemplateValue, _ b: TemplateValue) throws(FunctionError) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y
        case (.string(let x), .string(let y)): return x.goLess(y)
        case (.duration(let x), .duration(let y)): return GoDuration.nanoseconds(x) < GoDuration.nanoseconds(y)
        default:
            if let x = numeric(a), let y = numeric(b) { return x < y }
            switch (a, b) {
            case (.string, _), (.int, _), (.number, _), (_, .string), (_, .int), (_, .number):
                if a.goTypeName != b.goTypeName,
                   [a, b].allSatisfy({ if case .bool = $0 { false } else if case .null = $0 { false } else { !$0.isContainer } }) {
                    throw FunctionError("incompatible types for comparison")
                }
            default: break
            }
            throw FunctionError("invalid type for comparison")
        }
    }
}
