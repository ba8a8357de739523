/// Function calls: arity and argument checks, the lazy `and`/`or`, `tmpl`, and Go's
/// "error calling NAME: ..." wrapping.
extension Executor {
    func evalFunction(_ dot: TemplateValue, name: String, node: Operand, cmd: Command, args: [Operand], final: TemplateValue?) async throws(TemplateError) -> TemplateValue {
        location = .operand(node)
        guard let (function, _) = template.functions.lookup(name) else {
            throw fail("\(GoQuote.quote(name)) is not a defined function")
        }
        let count = args.count + (final == nil ? 0 : 1)
        if function.variadic != nil {
            if count < function.params.count {
                throw fail("wrong number of args for \(name): want at least \(function.params.count) got \(args.count)")
            }
        } else if count != function.params.count {
            throw fail("wrong number of args for \(name): want \(function.params.count) got \(count)")
        }

        switch function.kind {
        case .and, .or:
            let isOr: Bool
            if case .or = function.kind { isOr = true } else { isOr = false }
            var value = TemplateValue.null
            for arg in args {
                value = try await evalArg(dot, .any, arg)
                if value.isTrue == isOr { return value }
            }
            return final ?? value
        default:
            break
        }

        var values: [TemplateValue] = []
        values.reserveCapacity(count)
        for (i, arg) in args.enumerated() {
            values.append(try await evalArg(dot, function.paramType(at: i), arg))
        }
        if let final {
            values.append(try validate(final, function.paramType(at: args.count)))
        }
        location = .command(cmd)

        let result: TemplateValue
        do {
            switch function.kind {
            case .plain(let body):
                result = try await body(values)
            case .nesting(let body):
                nestingCalls += 1
                if nestingCalls > limits.maxNestingCalls {
                    throw FunctionError("more than \(limits.maxNestingCalls) calls building nested values")
                }
                result = try await body(values)
            case .tmpl:
                result = try await callTemplate(values, cmd: cmd)
            case .and, .or:
                result = .null
            }
        } catch let error as TemplateError {
            throw fail("error calling \(name): \(error.message)")
        } catch let error as FunctionError {
            throw fail("error calling \(name): \(error.message)")
        } catch {
            throw fail("error calling \(name): \(error)")
        }
        if case .string(let s) = result, s.utf8.count > limits.maxOutputBytes {
            throw fail("error calling \(name): result exceeds \(limits.maxOutputBytes) bytes")
        }
        return result
    }

    /// Prometheus' `tmpl NAME DATA`: runs a template and returns its output as a string.
    private func callTemplate(_ values: [TemplateValue], cmd: Command) async throws -> TemplateValue {
        guard values.count == 2, case .string(let name) = values[0] else {
            throw FunctionError("tmpl takes a template name and data")
        }
        guard let root = template.trees[name] else {
            throw FunctionError("template: no template \(GoQuote.quote(name)) associated with template \(GoQuote.quote(template.name))")
        }
        let saved = takeOutput()
        defer { restoreOutput(saved) }
        try await execute(root, named: name, dot: values[1], pos: cmd.pos, context: cmd.description)
        return .string(takeOutput())
    }
}
