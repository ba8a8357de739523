/// Builds parse trees from tokens following Go's text/template/parse: same grammar, same checks
/// (undefined functions and variables, break outside range), same error wording.
struct Parser {
    /// How deeply control structures and parentheses may nest; keeps recursion off the stack limit.
    static let maxDepth = 100

    private let tokens: [Token]
    private var index = 0
    private var furthest = 0
    private let parseName: String
    private let hasFunction: (String) -> Bool
    private var vars: [String] = ["$"]
    private var rangeDepth = 0
    private var depth = 0
    private var actionLine = 0
    private(set) var trees: [String: [Node]] = [:]

    /// What an action parsed to: a node, or the `{{end}}`/`{{else}}` that closes a list.
    private enum Item {
        case node(Node)
        case end
        case elseItem

        var description: String {
            switch self {
            case .end: "{{end}}"
            case .elseItem: "{{else}}"
            case .node: "node"
            }
        }
    }

    /// Parses `text`; returns the named trees, the top-level one under `name`.
    static func parse(name: String, text: String, hasFunction: @escaping (String) -> Bool) throws(TemplateError) -> [String: [Node]] {
        var parser = Parser(tokens: Lexer.tokenize(text), parseName: name, hasFunction: hasFunction)
        let root = try parser.parseTop()
        try parser.add(name, root)
        return parser.trees
    }

    private init(tokens: [Token], parseName: String, hasFunction: @escaping (String) -> Bool) {
        self.tokens = tokens
        self.parseName = parseName
        self.hasFunction = hasFunction
    }

    // MARK: - Token stream

    private mutating func next() -> Token {
        let token = peek()
        index += 1
        return token
    }

    private mutating func backup() { index -= 1 }

    /// Errors name the line of the furthest token read, as Go's parser does.
    private mutating func peek() -> Token {
        let at = min(index, tokens.count - 1)
        furthest = max(furthest, at)
        return tokens[at]
    }

    private mutating func nextNonSpace() -> Token {
        var token = next()
        while token.kind == .space { token = next() }
        return token
    }

    private mutating func peekNonSpace() -> Token {
        let token = nextNonSpace()
        backup()
        return token
    }

    // MARK: - Errors

    private func error(_ message: String) -> TemplateError {
        let line = tokens[furthest].line
        return TemplateError(message: "template: \(parseName):\(line): \(message)")
    }

    private func unexpected(_ token: Token, _ context: String) -> TemplateError {
        if token.kind == .error {
            var extra = ""
            if actionLine != 0 && actionLine != token.line {
                extra = " in action started at \(parseName):\(actionLine)"
                if token.value.hasSuffix(" action") { extra = String(extra.dropFirst(" in action".count)) }
            }
            return TemplateError(message: "template: \(parseName):\(token.line): \(token.value)\(extra)")
        }
        return error("unexpected \(token) in \(context)")
    }

    private mutating func expect(_ kind: Token.Kind, _ context: String) throws(TemplateError) -> Token {
        let token = nextNonSpace()
        guard token.kind == kind else { throw unexpected(token, context) }
        return token
    }

    private mutating func enter() throws(TemplateError) {
        depth += 1
        if depth > Self.maxDepth { throw error("max expression depth exceeded") }
    }

    // MARK: - Templates

    private mutating func parseTop() throws(TemplateError) -> [Node] {
        var root: [Node] = []
        while peek().kind != .eof {
            if peek().kind == .leftDelim {
                let mark = index
                _ = next()
                if nextNonSpace().kind == .define {
                    try parseDefinition()
                    continue
                }
                index = mark
            }
            switch try textOrAction() {
            case .node(let node): root.append(node)
            case let other: throw error("unexpected \(other.description)")
            }
        }
        return root
    }

    /// `{{define "name"}} ... {{end}}`, with variables and range state of its own.
    private mutating func parseDefinition() throws(TemplateError) {
        let context = "define clause"
        let token = nextNonSpace()
        guard token.kind == .string || token.kind == .rawString else { throw unexpected(token, context) }
        let name = try unquote(token.value)
        _ = try expect(.rightDelim, context)
        let body = try withFreshScope { parser throws(TemplateError) in try parser.itemList() }
        guard case .end = body.1 else { throw error("unexpected \(body.1.description) in \(context)") }
        try add(name, body.0)
    }

    private mutating func withFreshScope<T>(_ body: (inout Parser) throws(TemplateError) -> T) throws(TemplateError) -> T {
        let (savedVars, savedRange) = (vars, rangeDepth)
        vars = ["$"]
        rangeDepth = 0
        defer { (vars, rangeDepth) = (savedVars, savedRange) }
        return try body(&self)
    }

    private mutating func add(_ name: String, _ root: [Node]) throws(TemplateError) {
        if let existing = trees[name], !Self.isEmpty(existing) {
            if !Self.isEmpty(root) { throw error("template: multiple definition of template \(GoQuote.quote(name))") }
            return
        }
        trees[name] = root
    }

    /// Go's IsEmptyTree: only whitespace text (and comments, which never reach the tree).
    static func isEmpty(_ nodes: [Node]) -> Bool {
        nodes.allSatisfy { node in
            if case .text(let text) = node { return text.allSatisfy { Lexer.isSpace($0.asciiValue) } }
            return false
        }
    }

    private func unquote(_ literal: String) throws(TemplateError) -> String {
        do { return try GoUnquote.string(literal) } catch { throw self.error(error.message) }
    }

    // MARK: - Lists and actions

    private mutating func itemList() throws(TemplateError) -> ([Node], Item) {
        var list: [Node] = []
        while peekNonSpace().kind != .eof {
            let item = try textOrAction()
            guard case .node(let node) = item else { return (list, item) }
            list.append(node)
        }
        throw error("unexpected EOF")
    }

    private mutating func textOrAction() throws(TemplateError) -> Item {
        let token = nextNonSpace()
        switch token.kind {
        case .text:
            return .node(.text(token.value))
        case .leftDelim:
            actionLine = token.line
            defer { actionLine = 0 }
            return try action()
        default:
            throw unexpected(token, "input")
        }
    }

    private mutating func action() throws(TemplateError) -> Item {
        let token = nextNonSpace()
        switch token.kind {
        case .block: return .node(try blockControl())
        case .breakKeyword: return .node(try loopControl(token, "break"))
        case .continueKeyword: return .node(try loopControl(token, "continue"))
        case .elseKeyword: return try elseControl()
        case .end:
            _ = try expect(.rightDelim, "end")
            return .end
        case .ifKeyword: return .node(.ifNode(try parseControl("if")))
        case .range: return .node(.rangeNode(try parseControl("range")))
        case .template: return .node(try templateControl())
        case .with: return .node(.withNode(try parseControl("with")))
        default:
            backup()
            // Variables declared here persist until the enclosing {{end}}.
            return .node(.action(try pipeline("command", end: .rightDelim)))
        }
    }

    private mutating func loopControl(_ keyword: Token, _ name: String) throws(TemplateError) -> Node {
        let token = nextNonSpace()
        guard token.kind == .rightDelim else { throw unexpected(token, "{{\(name)}}") }
        guard rangeDepth > 0 else { throw error("{{\(name)}} outside {{range}}") }
        return name == "break" ? .breakNode(pos: keyword.pos) : .continueNode(pos: keyword.pos)
    }

    private mutating func elseControl() throws(TemplateError) -> Item {
        // "{{else if ...}}" and "{{else with ...}}" leave the keyword for parseControl.
        let peeked = peekNonSpace()
        if peeked.kind == .ifKeyword || peeked.kind == .with { return .elseItem }
        _ = try expect(.rightDelim, "else")
        return .elseItem
    }

    private mutating func parseControl(_ context: String) throws(TemplateError) -> Branch {
        try enter()
        defer { depth -= 1 }
        let savedVars = vars.count
        defer { vars.removeLast(vars.count - savedVars) }
        let pipe = try pipeline(context, end: .rightDelim)
        if context == "range" { rangeDepth += 1 }
        let (list, next) = try itemList()
        if context == "range" { rangeDepth -= 1 }
        var elseList: [Node]?
        if case .elseItem = next {
            // {{if a}}_{{else if b}}_{{end}} is {{if a}}_{{else}}{{if b}}_{{end}}{{end}}.
            if context == "if" && peek().kind == .ifKeyword {
                _ = self.next()
                elseList = [.ifNode(try parseControl("if"))]
            } else if context == "with" && peek().kind == .with {
                _ = self.next()
                elseList = [.withNode(try parseControl("with"))]
            } else {
                let (list, end) = try itemList()
                guard case .end = end else { throw error("expected end; found \(end.description)") }
                elseList = list
            }
        }
        return Branch(pos: pipe.pos, pipe: pipe, list: list, elseList: elseList)
    }

    private mutating func blockControl() throws(TemplateError) -> Node {
        let context = "block clause"
        let token = nextNonSpace()
        let name = try templateName(token, context)
        let pipe = try pipeline(context, end: .rightDelim)
        try enter()
        defer { depth -= 1 }
        let body = try withFreshScope { parser throws(TemplateError) in try parser.itemList() }
        guard case .end = body.1 else { throw error("unexpected \(body.1.description) in \(context)") }
        try add(name, body.0)
        return .template(name: name, pipe: pipe, pos: token.pos)
    }

    private mutating func templateControl() throws(TemplateError) -> Node {
        let context = "template clause"
        let token = nextNonSpace()
        let name = try templateName(token, context)
        var pipe: Pipe?
        if nextNonSpace().kind != .rightDelim {
            backup()
            pipe = try pipeline(context, end: .rightDelim)
        }
        return .template(name: name, pipe: pipe, pos: token.pos)
    }

    private func templateName(_ token: Token, _ context: String) throws(TemplateError) -> String {
        guard token.kind == .string || token.kind == .rawString else { throw unexpected(token, context) }
        return try unquote(token.value)
    }

    // MARK: - Pipelines

    private mutating func pipeline(_ context: String, end: Token.Kind) throws(TemplateError) -> Pipe {
        var pipe = Pipe(pos: peekNonSpace().pos)
        try declarations(&pipe, context)
        while true {
            let token = nextNonSpace()
            switch token.kind {
            case end:
                try checkPipeline(pipe, context)
                return pipe
            case .bool, .charConstant, .complex, .dot, .field, .identifier, .number, .nilKeyword,
                 .rawString, .string, .variable, .leftParen:
                backup()
                pipe.cmds.append(try command())
            default:
                throw unexpected(token, context)
            }
        }
    }

    /// `$x :=`, `$x =`, and range's `$i, $e :=`.
    private mutating func declarations(_ pipe: inout Pipe, _ context: String) throws(TemplateError) {
        while peekNonSpace().kind == .variable {
            let mark = index
            let variable = next()
            let following = peekNonSpace()
            switch following.kind {
            case .assign, .declare:
                pipe.isAssign = following.kind == .assign
                _ = nextNonSpace()
                pipe.decls.append(variable.value)
                vars.append(variable.value)
                return
            case .char where following.value == ",":
                _ = nextNonSpace()
                pipe.decls.append(variable.value)
                vars.append(variable.value)
                if context == "range" && pipe.decls.count < 2 {
                    switch peekNonSpace().kind {
                    case .variable, .rightDelim, .rightParen: continue
                    default: throw error("range can only initialize variables")
                    }
                }
                throw error("too many declarations in \(context)")
            default:
                // A plain argument, not a declaration: put it back.
                index = mark
                return
            }
        }
    }

    private func checkPipeline(_ pipe: Pipe, _ context: String) throws(TemplateError) {
        guard !pipe.cmds.isEmpty else { throw error("missing value for \(context)") }
        for (i, cmd) in pipe.cmds.enumerated().dropFirst() {
            switch cmd.args[0] {
            case .bool, .dot, .nilValue, .number, .string:
                throw error("non executable command in pipeline stage \(i + 1)")
            default:
                break
            }
        }
    }

    private mutating func command() throws(TemplateError) -> Command {
        var cmd = Command(pos: peekNonSpace().pos)
        loop: while true {
            _ = peekNonSpace()
            if let operand = try operand() { cmd.args.append(operand) }
            let token = next()
            switch token.kind {
            case .space: continue loop
            case .rightDelim, .rightParen: backup()
            case .pipe: break
            default: throw unexpected(token, "operand")
            }
            break
        }
        guard !cmd.args.isEmpty else { throw error("empty command") }
        return cmd
    }

    private mutating func operand() throws(TemplateError) -> Operand? {
        guard let node = try term() else { return nil }
        guard peek().kind == .field else { return node }
        let pos = peek().pos
        var fields: [String] = []
        while peek().kind == .field { fields.append(String(next().value.dropFirst())) }
        switch node {
        case .field(let names, let p): return .field(names + fields, pos: p)
        case .variable(let names, let p): return .variable(names + fields, pos: p)
        case .bool, .string, .number, .nilValue, .dot:
            throw error("unexpected . after term \(GoQuote.quote(node.description))")
        default:
            return .chain(node, fields: fields, pos: pos)
        }
    }

    private mutating func term() throws(TemplateError) -> Operand? {
        let token = nextNonSpace()
        switch token.kind {
        case .identifier:
            guard hasFunction(token.value) else { throw error("function \(GoQuote.quote(token.value)) not defined") }
            return .identifier(token.value, pos: token.pos)
        case .dot: return .dot(pos: token.pos)
        case .nilKeyword: return .nilValue(pos: token.pos)
        case .variable:
            guard vars.contains(token.value) else { throw error("undefined variable \(GoQuote.quote(token.value))") }
            return .variable([token.value], pos: token.pos)
        case .field: return .field([String(token.value.dropFirst())], pos: token.pos)
        case .bool: return .bool(token.value == "true", pos: token.pos)
        case .charConstant, .complex, .number:
            do {
                return .number(try NumberLiteral.parse(token.value, kind: token.kind), pos: token.pos)
            } catch {
                throw self.error(error.message)
            }
        case .leftParen:
            try enter()
            defer { depth -= 1 }
            return .pipe(try pipeline("parenthesized pipeline", end: .rightParen))
        case .string, .rawString:
            return .string(quoted: token.value, value: try unquote(token.value), pos: token.pos)
        default:
            backup()
            return nil
        }
    }
}
