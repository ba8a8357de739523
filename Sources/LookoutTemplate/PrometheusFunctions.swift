/// Implemented by the caller (the PromQL engine): runs an instant query, returns samples.
public struct TemplateSample: Sendable {
    public var labels: [String: String]
    public var value: Double

    public init(labels: [String: String], value: Double) {
        self.labels = labels
        self.value = value
    }
}

public typealias TemplateQuery = @Sendable (String) async throws -> [TemplateSample]

extension TemplateFunctions {
    /// Prometheus' template functions (template/template.go, template_reference.md). Calling
    /// `query` without a `query` closure fails with "query function not available".
    /// `now` is the evaluation time in Unix seconds.
    public static func prometheus(query: TemplateQuery? = nil, externalURL: String = "", pathPrefix: String = "", now: Double = 0) -> TemplateFunctions {
        var table: [String: TemplateFunction] = [
            "query": TemplateFunction([.string], .plain { args in
                guard let query else { throw FunctionError("query function not available") }
                guard case .string(let expr) = args[0] else { return .list([]) }
                return .list(try await query(expr).map(sample))
            }),
            "first": .failable([.samples]) { args throws(FunctionError) in
                guard case .list(let samples) = args[0], let first = samples.first else {
                    throw FunctionError("first() called on vector with no elements")
                }
                return first
            },
            "label": .failable([.string, .sample]) { args throws(FunctionError) in
                let labels = try sampleField(args[1], "Labels")
                guard case .string(let name) = args[0], case .map(let map) = labels else { return .string("") }
                return map[name] ?? .string("")
            },
            "value": .failable([.sample]) { try sampleField($0[0], "Value") },
            "strvalue": .failable([.sample]) { args throws(FunctionError) in
                guard case .map(let labels) = try sampleField(args[0], "Labels") else { return .string("") }
                return labels["__value__"] ?? .string("")
            },
            "sortByLabel": .pure([.string, .samples]) { args in
                guard case .string(let name) = args[0], case .list(let samples) = args[1] else { return args[1] }
                func key(_ s: TemplateValue) -> String {
                    if case .map(let m) = s, case .map(let labels)? = m["Labels"], case .string(let v)? = labels[name] { return v }
                    return ""
                }
                // Swift's sort is not stable; sorting indexed pairs makes it so.
                let sorted = samples.enumerated().sorted { a, b in
                    let (ka, kb) = (key(a.element), key(b.element))
                    return ka == kb ? a.offset < b.offset : ka.goLess(kb)
                }
                return .list(sorted.map(\.element))
            },
            "args": TemplateFunction([], variadic: .any, .nesting { args in
                var map: [String: TemplateValue] = [:]
                for (i, arg) in args.enumerated() { map["arg\(i)"] = arg }
                return .map(map)
            }),
            "tmpl": TemplateFunction([.string, .any], .tmpl),
            "safeHtml": .pure([.string]) { $0[0] },
            "match": .failable([.string, .string]) { args throws(FunctionError) in
                guard case .string(let pattern) = args[0], case .string(let text) = args[1] else { return .bool(false) }
                return .bool(try GoRegexp(pattern).matches(text))
            },
            "reReplaceAll": .failable([.string, .string, .string]) { args throws(FunctionError) in
                guard case .string(let pattern) = args[0], case .string(let replacement) = args[1],
                      case .string(let text) = args[2] else { return .string("") }
                let re: GoRegexp
                do throws(FunctionError) { re = try GoRegexp(pattern) } catch {
                    // Prometheus uses MustCompile, so a bad pattern surfaces as its panic text.
                    throw FunctionError("regexp: Compile(\(GoQuote.quote(pattern))): \(error.message)")
                }
                return .string(try re.replaceAll(text, with: replacement, limit: ExecutionLimits.default.maxOutputBytes))
            },
            "title": .pure([.string]) { args in stringFunction(args) { TextCase.title($0) } },
            "toUpper": .pure([.string]) { args in stringFunction(args) { $0.uppercased() } },
            "toLower": .pure([.string]) { args in stringFunction(args) { $0.lowercased() } },
            "stripPort": .pure([.string]) { args in stringFunction(args) { HostPort.stripPort($0) } },
            "stripDomain": .pure([.string]) { args in stringFunction(args) { HostPort.stripDomain($0) } },
            "graphLink": .pure([.string]) { args in
                stringFunction(args) { "/graph?g0.expr=\(Escaping.queryEscape($0))&g0.tab=0" }
            },
            "tableLink": .pure([.string]) { args in
                stringFunction(args) { "/graph?g0.expr=\(Escaping.queryEscape($0))&g0.tab=1" }
            },
            "urlQueryEscape": .pure([.string]) { args in stringFunction(args) { Escaping.queryEscape($0) } },
            "parseDuration": .failable([.string]) { args throws(FunctionError) in
                guard case .string(let s) = args[0] else { return .number(0) }
                return .number(try PrometheusDuration.parse(s))
            },
            "externalURL": .pure([]) { _ in .string(externalURL) },
            "pathPrefix": .pure([]) { _ in .string(pathPrefix) },
            "now": .pure([]) { _ in .number(now) },
        ]
        for (name, function) in Humanize.functions { table[name] = function }
        return TemplateFunctions(table: table)
    }

    private static func sample(_ s: TemplateSample) -> TemplateValue {
        .map(["Labels": .map(s.labels.mapValues { .string($0) }), "Value": .number(s.value)])
    }

    /// A field of a `*sample`; a nil sample fails as the nil pointer it is in Go.
    private static func sampleField(_ sample: TemplateValue, _ field: String) throws(FunctionError) -> TemplateValue {
        guard case .map(let map) = sample else {
            throw FunctionError("runtime error: invalid memory address or nil pointer dereference")
        }
        return map[field] ?? .null
    }

    private static func stringFunction(_ args: [TemplateValue], _ body: (String) -> String) -> TemplateValue {
        guard case .string(let s) = args[0] else { return args[0] }
        return .string(body(s))
    }
}
