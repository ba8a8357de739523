/// The parse tree, shaped like Go's text/template/parse nodes. `pos` is a byte offset into
/// the template text, so execution errors can report line and column as Go does.
indirect enum Node: Sendable {
    case text(String)
    case action(Pipe)
    case ifNode(Branch)
    case rangeNode(Branch)
    case withNode(Branch)
    case template(name: String, pipe: Pipe?, pos: Int)
    case breakNode(pos: Int)
    case continueNode(pos: Int)
}

struct Branch: Sendable {
    var pos: Int
    var pipe: Pipe
    var list: [Node]
    var elseList: [Node]?
}

struct Pipe: Sendable {
    var pos: Int
    var isAssign = false
    var decls: [String] = []
    var cmds: [Command] = []
}

struct Command: Sendable {
    var pos: Int
    var args: [Operand] = []
}

/// An argument or the first word of a command.
indirect enum Operand: Sendable {
    case identifier(String, pos: Int)
    case dot(pos: Int)
    case nilValue(pos: Int)
    case bool(Bool, pos: Int)
    case number(NumberLiteral, pos: Int)
    case string(quoted: String, value: String, pos: Int)
    /// `$x.A.B` is ["$x", "A", "B"].
    case variable([String], pos: Int)
    /// `.A.B` is ["A", "B"].
    case field([String], pos: Int)
    /// `(pipeline).A.B` or `fn.A`.
    case chain(Operand, fields: [String], pos: Int)
    case pipe(Pipe)

    var pos: Int {
        switch self {
        case .identifier(_, let pos), .dot(let pos), .nilValue(let pos), .bool(_, let pos),
             .number(_, let pos), .string(_, _, let pos), .variable(_, let pos),
             .field(_, let pos), .chain(_, _, let pos):
            pos
        case .pipe(let p): p.pos
        }
    }
}

// Go's node String() methods, used in "executing ... at <...>" error contexts.
extension Operand: CustomStringConvertible {
    var description: String {
        switch self {
        case .identifier(let name, _): name
        case .dot: "."
        case .nilValue: "nil"
        case .bool(let b, _): b ? "true" : "false"
        case .number(let n, _): n.text
        case .string(let quoted, _, _): quoted
        case .variable(let names, _): names.joined(separator: ".")
        case .field(let names, _): names.map { "." + $0 }.joined()
        case .chain(let node, let fields, _):
            (node.isPipe ? "(\(node))" : node.description) + fields.map { "." + $0 }.joined()
        case .pipe(let p): p.description
        }
    }

    var isPipe: Bool {
        if case .pipe = self { return true }
        return false
    }
}

extension Command: CustomStringConvertible {
    var description: String {
        args.map { $0.isPipe ? "(\($0))" : $0.description }.joined(separator: " ")
    }
}

extension Pipe: CustomStringConvertible {
    var description: String {
        var s = ""
        if !decls.isEmpty {
            s = decls.joined(separator: ", ") + (isAssign ? " = " : " := ")
        }
        return s + cmds.map(\.description).joined(separator: " | ")
    }
}
