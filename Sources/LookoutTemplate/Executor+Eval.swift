/// Pipelines, commands, fields and arguments: Go's evalPipeline/evalCommand/evalArg family.
extension Executor {
    func evalPipeline(_ dot: TemplateValue, _ pipe: Pipe) async throws(TemplateError) -> TemplateValue {
        location = .pipe(pipe)
        var value: TemplateValue? = nil
        for cmd in pipe.cmds {
            value = try await evalCommand(dot, cmd, final: value)
        }
        let result = value ?? .null
        for name in pipe.decls {
            if pipe.isAssign {
                try setVar(name, result)
            } else {
                vars.append((name, result))
            }
        }
        return result
    }

    /// `final` is the value piped in from the previous command, if any.
    private func evalCommand(_ dot: TemplateValue, _ cmd: Command, final: TemplateValue?) async throws(TemplateError) -> TemplateValue {
        try step()
        let first = cmd.args[0]
        switch first {
        case .field(let names, _):
            location = .operand(first)
            return try await evalFieldChain(dot, receiver: dot, names, args: cmd.args, final: final)
        case .chain:
            return try await evalChain(dot, first, args: cmd.args, final: final)
        case .identifier(let name, _):
            return try await evalFunction(dot, name: name, node: first, cmd: cmd, args: Array(cmd.args.dropFirst()), final: final)
        case .pipe(let pipe):
            try notAFunction(cmd.args, final)
            return try await evalPipeline(dot, pipe)
        case .variable(let names, _):
            return try await evalVariable(dot, first, names, args: cmd.args, final: final)
        default:
            break
        }
        location = .operand(first)
        try notAFunction(cmd.args, final)
        switch first {
        case .bool(let b, _): return .bool(b)
        case .dot: return dot
        case .nilValue: throw fail("nil is not a command")
        case .number(let n, _): return try idealConstant(n)
        case .string(_, let value, _): return .string(value)
        default: throw fail("can't evaluate command \(GoQuote.quote(first.description))")
        }
    }

    private func notAFunction(_ args: [Operand], _ final: TemplateValue?) throws(TemplateError) {
        if args.count > 1 || final != nil {
            throw fail("can't give argument to non-function \(args[0])")
        }
    }

    /// An untyped number constant becomes an int when it looks like one, else a float64.
    func idealConstant(_ n: NumberLiteral) throws(TemplateError) -> TemplateValue {
        let lower = n.text.lowercased()
        let isHexInt = lower.count > 2 && (lower.hasPrefix("0x") || lower.hasPrefix("-0x") || lower.hasPrefix("+0x")) && !lower.contains("p")
        let isRune = n.text.hasPrefix("'")
        if n.isFloat && !isHexInt && !isRune && n.text.contains(where: { ".eEpP".contains($0) }) {
            return .number(n.float)
        }
        if n.isInt { return .int(Int(n.int)) }
        throw fail("\(n.text) overflows int")
    }

    private func evalChain(_ dot: TemplateValue, _ node: Operand, args: [Operand], final: TemplateValue?) async throws(TemplateError) -> TemplateValue {
        guard case .chain(let inner, let fields, _) = node else { return .null }
        location = .operand(node)
        if case .nilValue = inner { throw fail("indirection through explicit nil in \(node)") }
        let receiver = try await evalArg(dot, .any, inner)
        location = .operand(node)
        return try await evalFieldChain(dot, receiver: receiver, fields, args: args, final: final)
    }

    private func evalVariable(_ dot: TemplateValue, _ node: Operand, _ names: [String], args: [Operand], final: TemplateValue?) async throws(TemplateError) -> TemplateValue {
        location = .operand(node)
        let value = try varValue(names[0])
        if names.count == 1 {
            try notAFunction(args, final)
            return value
        }
        return try await evalFieldChain(dot, receiver: value, Array(names.dropFirst()), args: args, final: final)
    }

    /// `.A.B.C`: all but the last are plain lookups; the last may be a method taking the arguments.
    private func evalFieldChain(_ dot: TemplateValue, receiver: TemplateValue, _ names: [String], args: [Operand], final: TemplateValue?) async throws(TemplateError) -> TemplateValue {
        var receiver = receiver
        for name in names.dropLast() {
            receiver = try await evalField(dot, name, receiver: receiver, args: [], final: nil)
        }
        return try await evalField(dot, names[names.count - 1], receiver: receiver, args: args, final: final)
    }

    private func evalField(_ dot: TemplateValue, _ name: String, receiver: TemplateValue, args: [Operand], final: TemplateValue?) async throws(TemplateError) -> TemplateValue {
        let hasArgs = args.count > 1 || final != nil
        switch receiver {
        case .null:
            // Go's missingkey=zero: a field of nothing is nothing.
            return .null
        case .map(let map):
            if hasArgs { throw fail("\(name) is not a method but has arguments") }
            return map[name] ?? .string("")
        case .time, .duration:
            guard let arity = GoTime.methodArity(name, on: receiver) else { break }
            var values: [TemplateValue] = []
            for arg in args.dropFirst() { values.append(try await evalArg(dot, .any, arg)) }
            if let final { values.append(final) }
            guard values.count == arity else {
                throw fail("wrong number of args for \(name): want \(arity) got \(values.count)")
            }
            do {
                return try GoTime.callMethod(name, on: receiver, values)
            } catch {
                throw fail("error calling \(name): \(error.message)")
            }
        default:
            break
        }
        throw fail("can't evaluate field \(name) in type \(receiver.goTypeName)")
    }

    // MARK: - Arguments

    /// Evaluates one argument for a parameter of the given type, as Go's evalArg.
    func evalArg(_ dot: TemplateValue, _ type: ParamType, _ node: Operand) async throws(TemplateError) -> TemplateValue {
        location = .operand(node)
        switch node {
        case .dot:
            return try validate(dot, type)
        case .nilValue:
            if type.canBeNil { return type == .samples ? .list([]) : .null }
            throw fail("cannot assign nil to \(type.goName)")
        case .field(let names, _):
            return try validate(try await evalFieldChain(dot, receiver: dot, names, args: [node], final: nil), type)
        case .variable(let names, _):
            return try validate(try await evalVariable(dot, node, names, args: [], final: nil), type)
        case .pipe(let pipe):
            return try validate(try await evalPipeline(dot, pipe), type)
        case .identifier(let name, _):
            let cmd = Command(pos: node.pos, args: [node])
            return try validate(try await evalFunction(dot, name: name, node: node, cmd: cmd, args: [], final: nil), type)
        case .chain:
            return try validate(try await evalChain(dot, node, args: [], final: nil), type)
        case .bool(let b, _):
            guard type == .any || type == .bool else { throw fail("expected \(type.expectedName); found \(node)") }
            return .bool(b)
        case .number(let n, _):
            switch type {
            case .any: return try idealConstant(n)
            case .int:
                guard n.isInt else { throw fail("expected integer; found \(node)") }
                return .int(Int(n.int))
            case .float:
                guard n.isFloat else { throw fail("expected float; found \(node)") }
                return .number(n.float)
            default: break
            }
        case .string(_, let value, _):
            if type == .any || type == .string { return .string(value) }
        }
        if type == .string || type == .bool {
            throw fail("expected \(type.expectedName); found \(node)")
        }
        throw fail("can't handle \(node) for arg of type \(type.goName)")
    }

    /// Go's validateType: the value must be assignable to the parameter type.
    func validate(_ value: TemplateValue, _ type: ParamType) throws(TemplateError) -> TemplateValue {
        if case .null = value {
            if type.canBeNil { return type == .samples ? .list([]) : .null }
            throw fail("invalid value; expected \(type.goName)")
        }
        guard type.accepts(value) else {
            throw fail("wrong type for value; expected \(type.goName); got \(value.goTypeName)")
        }
        return value
    }
}
