/// Runs a parsed template the way Go's text/template `state` does: walks nodes, keeps the
/// variable stack, and reports errors as `template: NAME:LINE:COL: executing "T" at <node>: ...`.
final class Executor {
    let template: Template
    let limits: ExecutionLimits
    private(set) var output = ""
    private var outputBytes = 0
    var vars: [(name: String, value: TemplateValue)] = []
    private var steps = 0
    var nestingCalls = 0
    private var depth = 0
    /// The name of the template being executed (a `define` name inside `template` calls).
    private var executing: String
    /// The node errors are reported at, as Go's `state.at`.
    var location: Location = .none

    enum Location {
        case none
        case operand(Operand)
        case command(Command)
        case pipe(Pipe)
        case other(pos: Int, context: String)
    }

    /// How a list of nodes finished: normally or through `{{break}}`/`{{continue}}`.
    enum Flow { case normal, breakLoop, continueLoop }

    init(template: Template, limits: ExecutionLimits) {
        self.template = template
        self.limits = limits
        self.executing = template.name
    }

    func run(data: TemplateValue) async throws(TemplateError) -> String {
        guard let root = template.trees[template.name] else {
            throw TemplateError(message: "template: \(template.name): \(GoQuote.quote(template.name)) is an incomplete or empty template")
        }
        vars = [("$", data)]
        _ = try await walk(data, root)
        return output
    }

    // MARK: - Errors

    func fail(_ message: String) -> TemplateError {
        let (pos, context): (Int, String)
        switch location {
        case .none: return TemplateError(message: "template: \(executing): \(message)")
        case .operand(let o): (pos, context) = (o.pos, o.description)
        case .command(let c): (pos, context) = (c.pos, c.description)
        case .pipe(let p): (pos, context) = (p.pos, p.description)
        case .other(let p, let c): (pos, context) = (p, c)
        }
        let (line, column) = lineAndColumn(pos)
        return TemplateError(message: "template: \(template.name):\(line):\(column): executing \(GoQuote.quote(executing)) at <\(context)>: \(message)")
    }

    /// Go's ErrorContext: 1-based line, 0-based byte column.
    private func lineAndColumn(_ pos: Int) -> (Int, Int) {
        var line = 1
        var lineStart = 0
        for (i, b) in template.text.utf8.prefix(pos).enumerated() where b == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return (line, pos - lineStart)
    }

    func step() throws(TemplateError) {
        steps += 1
        if steps > limits.maxSteps { throw fail("exceeded maximum of \(limits.maxSteps) execution steps") }
    }

    // MARK: - Output

    func write(_ s: String) throws(TemplateError) {
        outputBytes += s.utf8.count
        if outputBytes > limits.maxOutputBytes { throw fail("output exceeds \(limits.maxOutputBytes) bytes") }
        output += s
    }

    /// Swaps the output out, so `tmpl` can capture what a template writes. The byte count
    /// keeps running, so captured output counts against the limit too.
    func takeOutput() -> String {
        defer { output = "" }
        return output
    }

    func restoreOutput(_ saved: String) {
        output = saved
    }

    /// Go's printValue: `%v`, with a missing value printed as "<no value>".
    func printValue(_ value: TemplateValue) throws(TemplateError) {
        if case .null = value {
            try write("<no value>")
            return
        }
        try write(try formatted(value))
    }

    /// `%v` of a value, bounded by the output limit and the print depth.
    func formatted(_ value: TemplateValue) throws(TemplateError) -> String {
        do {
            return try GoFormatter.sprint([value], limits: limits)
        } catch {
            throw fail(error.message)
        }
    }

    // MARK: - Walking

    func walk(_ dot: TemplateValue, _ nodes: [Node]) async throws(TemplateError) -> Flow {
        for node in nodes {
            let flow = try await walk(dot, node)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func walk(_ dot: TemplateValue, _ node: Node) async throws(TemplateError) -> Flow {
        try step()
        switch node {
        case .text(let text):
            try write(text)
        case .action(let pipe):
            let value = try await evalPipeline(dot, pipe)
            if pipe.decls.isEmpty {
                location = .pipe(pipe)
                try printValue(value)
            }
        case .ifNode(let branch):
            return try await walkIfOrWith(dot, branch, isWith: false)
        case .withNode(let branch):
            return try await walkIfOrWith(dot, branch, isWith: true)
        case .rangeNode(let branch):
            return try await walkRange(dot, branch)
        case .template(let name, let pipe, let pos):
            try await walkTemplate(dot, name: name, pipe: pipe, pos: pos)
        case .breakNode:
            return .breakLoop
        case .continueNode:
            return .continueLoop
        }
        return .normal
    }

    private func walkIfOrWith(_ dot: TemplateValue, _ branch: Branch, isWith: Bool) async throws(TemplateError) -> Flow {
        let mark = vars.count
        defer { vars.removeLast(vars.count - mark) }
        let value = try await evalPipeline(dot, branch.pipe)
        if value.isTrue {
            return try await walk(isWith ? value : dot, branch.list)
        } else if let elseList = branch.elseList {
            return try await walk(dot, elseList)
        }
        return .normal
    }

    private func walkRange(_ dot: TemplateValue, _ branch: Branch) async throws(TemplateError) -> Flow {
        let outer = vars.count
        defer { vars.removeLast(vars.count - outer) }
        let value = try await evalPipeline(dot, branch.pipe)
        let mark = vars.count
        let pipe = branch.pipe

        // Returns false when the loop should stop ({{break}}).
        func iteration(_ index: TemplateValue, _ element: TemplateValue) async throws(TemplateError) -> Bool {
            if !pipe.decls.isEmpty {
                if pipe.isAssign {
                    try setVar(pipe.decls[0], pipe.decls.count > 1 ? index : element)
                    if pipe.decls.count > 1 { try setVar(pipe.decls[1], element) }
                } else {
                    vars[vars.count - 1].value = element
                    if pipe.decls.count > 1 { vars[vars.count - 2].value = index }
                }
            }
            defer { vars.removeLast(vars.count - mark) }
            return try await walk(element, branch.list) != .breakLoop
        }

        var iterated = false
        switch value {
        case .list(let items):
            for (i, item) in items.enumerated() {
                iterated = true
                guard try await iteration(.int(i), item) else { break }
            }
        case .map(let map):
            for key in map.keys.sorted(by: { $0.goLess($1) }) {
                iterated = true
                guard try await iteration(.string(key), map[key]!) else { break }
            }
        case .int(let n):
            if pipe.decls.count > 1 {
                location = .pipe(pipe)
                throw fail("can't use \(n) to iterate over more than one variable")
            }
            var i = 0
            while i < n {
                iterated = true
                try step()
                guard try await iteration(.int(i), .int(i)) else { break }
                i += 1
            }
        case .null:
            break
        default:
            location = .pipe(pipe)
            throw fail("range can't iterate over \(try formatted(value))")
        }
        if !iterated, let elseList = branch.elseList {
            return try await walk(dot, elseList)
        }
        return .normal
    }

    private func walkTemplate(_ dot: TemplateValue, name: String, pipe: Pipe?, pos: Int) async throws(TemplateError) {
        let context = "{{template \(GoQuote.quote(name))\(pipe.map { " " + $0.description } ?? "")}}"
        location = .other(pos: pos, context: context)
        guard let root = template.trees[name] else {
            throw fail("template \(GoQuote.quote(name)) not defined")
        }
        var newDot = TemplateValue.null
        if let pipe { newDot = try await evalPipeline(dot, pipe) }
        try await execute(root, named: name, dot: newDot, pos: pos, context: context)
    }

    /// Runs a named template with a fresh variable scope, as `template` and `tmpl` do.
    func execute(_ root: [Node], named name: String, dot: TemplateValue, pos: Int, context: String) async throws(TemplateError) {
        if depth >= limits.maxTemplateDepth {
            location = .other(pos: pos, context: context)
            throw fail("exceeded maximum template depth (\(limits.maxTemplateDepth))")
        }
        let saved = (vars, executing)
        depth += 1
        vars = [("$", dot)]
        executing = name
        defer {
            depth -= 1
            (vars, executing) = saved
        }
        _ = try await walk(dot, root)
    }

    // MARK: - Variables

    func setVar(_ name: String, _ value: TemplateValue) throws(TemplateError) {
        guard let i = vars.lastIndex(where: { $0.name == name }) else { throw fail("undefined variable: \(name)") }
        vars[i].value = value
    }

    func varValue(_ name: String) throws(TemplateError) -> TemplateValue {
        guard let v = vars.last(where: { $0.name == name }) else { throw fail("undefined variable: \(name)") }
        return v.value
    }
}
