import LookoutModel
import LookoutQuery
import LookoutTemplate
import Yams

/// Reads Prometheus rules files and validates them as promtool does: YAML errors, unknown
/// fields, duplicate groups, bad PromQL, bad durations and templates that do not parse, each
/// with the file, line and column.
public struct RuleFileParser: Sendable {
    /// Accept and ignore fields Prometheus does not know (promtool's `--ignore-unknown-fields`).
    public var ignoreUnknownFields = false

    public init(ignoreUnknownFields: Bool = false) {
        self.ignoreUnknownFields = ignoreUnknownFields
    }

    public func parse(yaml: String, path: String) throws(RuleFileError) -> RuleFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw Self.yamlError(error, path: path)
        } catch {
            throw RuleFileError(file: path, line: 0, column: 0, message: "invalid YAML: \(error)")
        }
        guard let root else { return RuleFile(path: path, groups: []) }
        let reader = Reader(path: path, ignoreUnknownFields: ignoreUnknownFields)
        return RuleFile(path: path, groups: try reader.groups(root))
    }

    static func yamlError(_ error: YamlError, path: String) -> RuleFileError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let text = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return RuleFileError(file: path, line: mark.line, column: mark.column, message: "yaml: \(text)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return RuleFileError(file: path, line: context.mark.line, column: context.mark.column,
                                 message: "yaml: duplicate keys \(duplicates.joined(separator: ", ")) in mapping")
        default:
            return RuleFileError(file: path, line: 0, column: 0, message: "yaml: \(error)")
        }
    }
}

private struct Reader {
    let path: String
    let ignoreUnknownFields: Bool

    func fail(_ node: Node, _ message: String) -> RuleFileError {
        RuleFileError(file: path, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, message: message)
    }

    func fields(_ node: Node, _ what: String, known: Set<String>) throws(RuleFileError) -> [(String, Node, Node)] {
        guard case .mapping(let mapping) = node else { throw fail(node, "\(what) must be a mapping") }
        var result: [(String, Node, Node)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else { throw fail(key, "\(what): keys must be strings") }
            if !known.contains(scalar.string) {
                if ignoreUnknownFields { continue }
                throw fail(key, "field \(scalar.string) not found in \(what)")
            }
            result.append((scalar.string, key, value))
        }
        return result
    }

    func string(_ node: Node, _ what: String) throws(RuleFileError) -> String {
        guard case .scalar(let scalar) = node else { throw fail(node, "\(what) must be a string") }
        return scalar.string
    }

    func duration(_ node: Node, _ what: String) throws(RuleFileError) -> Int64 {
        let text = try string(node, what)
        guard let millis = PrometheusDuration.milliseconds(text), millis >= 0 else {
            throw fail(node, "\(what): not a valid duration string: \"\(text)\"")
        }
        return millis
    }

    func stringMap(_ node: Node, _ what: String) throws(RuleFileError) -> [String: String] {
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.tag.description.hasSuffix("null") { return [:] }
        guard case .mapping(let mapping) = node else { throw fail(node, "\(what) must be a mapping of strings") }
        var result: [String: String] = [:]
        for (key, value) in mapping {
            let name = try string(key, what)
            guard case .scalar(let scalar) = value else { throw fail(value, "\(what).\(name) must be a string") }
            result[name] = scalar.string
        }
        return result
    }

    func groups(_ root: Node) throws(RuleFileError) -> [RuleGroupDefinition] {
        var groupsNode: Node?
        for (name, _, value) in try fields(root, "rule file", known: ["groups"]) where name == "groups" {
            groupsNode = value
        }
        guard let groupsNode else { return [] }
        if case .scalar(let scalar) = groupsNode, scalar.string.isEmpty { return [] }
        guard case .sequence(let sequence) = groupsNode else { throw fail(groupsNode, "groups must be a list") }
        var result: [RuleGroupDefinition] = []
        var seen = Set<String>()
        for node in sequence {
            let group = try self.group(node)
            guard seen.insert(group.name).inserted else {
                throw fail(node, "\(group.name): repeated in the same file")
            }
            result.append(group)
        }
        return result
    }

    func group(_ node: Node) throws(RuleFileError) -> RuleGroupDefinition {
        var group = RuleGroupDefinition(name: "", interval: nil, limit: 0, queryOffset: nil, labels: [:], rules: [],
                                        line: node.mark?.line ?? 0)
        var rulesNode: Node?
        for (key, _, value) in try fields(node, "group", known: ["name", "interval", "limit", "query_offset", "labels", "rules"]) {
            switch key {
            case "name": group.name = try string(value, "group name")
            case "interval":
                let millis = try duration(value, "group interval")
                guard millis > 0 else { throw fail(value, "group interval must be positive") }
                group.interval = millis
            case "limit":
                guard case .scalar(let scalar) = value, let limit = Int(scalar.string), limit >= 0 else {
                    throw fail(value, "limit must be a non-negative integer")
                }
                group.limit = limit
            case "query_offset": group.queryOffset = try duration(value, "query_offset")
            case "labels":
                group.labels = try stringMap(value, "group labels")
                for (name, _) in group.labels { try checkLabelName(name, value, "group \"\(group.name)\"") }
            default: rulesNode = value
            }
        }
        guard !group.name.isEmpty else { throw fail(node, "groupname must not be empty") }
        if let rulesNode {
            if case .scalar(let scalar) = rulesNode, scalar.string.isEmpty {
                // `rules:` with nothing under it: an empty group.
            } else {
                guard case .sequence(let sequence) = rulesNode else { throw fail(rulesNode, "group \"\(group.name)\": rules must be a list") }
                for (index, ruleNode) in sequence.enumerated() {
                    group.rules.append(try rule(ruleNode, group: group.name, index: index + 1))
                }
            }
        }
        return group
    }

    func rule(_ node: Node, group: String, index: Int) throws(RuleFileError) -> RuleDefinition {
        var record: (String, Node)?
        var alert: (String, Node)?
        var expr: (String, Node)?
        var holdDuration: (Int64, Node)?
        var keepFiringFor: (Int64, Node)?
        var labels: [String: String] = [:]
        var annotations: [String: String] = [:]
        var labelsNode: Node?
        var annotationsNode: Node?
        let known: Set<String> = ["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"]
        for (key, _, value) in try fields(node, "rule", known: known) {
            switch key {
            case "record": record = (try string(value, "record"), value)
            case "alert": alert = (try string(value, "alert"), value)
            case "expr": expr = (try string(value, "expr"), value)
            case "for": holdDuration = (try duration(value, "for"), value)
            case "keep_firing_for": keepFiringFor = (try duration(value, "keep_firing_for"), value)
            case "labels":
                labels = try stringMap(value, "labels")
                labelsNode = value
            default:
                annotations = try stringMap(value, "annotations")
                annotationsNode = value
            }
        }
        let name = record?.0 ?? alert?.0 ?? ""
        func ruleError(_ at: Node, _ message: String) -> RuleFileError {
            fail(at, "group \"\(group)\", rule \(index), \"\(name)\": \(message)")
        }
        if record != nil && alert != nil { throw ruleError(node, "only one of 'record' and 'alert' must be set") }
        guard record != nil || alert != nil else { throw ruleError(node, "one of 'record' or 'alert' must be set") }
        if let (text, at) = record ?? alert, text.isEmpty {
            throw ruleError(at, record != nil ? "field 'record' must be set in rule" : "field 'alert' must be set in rule")
        }
        guard let (exprText, exprNode) = expr, !exprText.isEmpty else {
            throw ruleError(node, "field 'expr' must be set in rule")
        }
        let parsed: Expr
        do {
            parsed = try Parser.parse(exprText)
        } catch {
            throw ruleError(exprNode, "could not parse expression: \(error.describe(in: exprText))")
        }
        if let (recordName, at) = record {
            if annotationsNode != nil { throw ruleError(at, "invalid field 'annotations' in recording rule") }
            if holdDuration != nil { throw ruleError(at, "invalid field 'for' in recording rule") }
            if keepFiringFor != nil { throw ruleError(at, "invalid field 'keep_firing_for' in recording rule") }
            if recordName.contains(where: { $0 == "{" || $0 == "}" }) {
                throw ruleError(at, "braces present in the recording rule name; should it be in expr?: \(recordName)")
            }
            guard parsed.type == .vector || parsed.type == .scalar else {
                throw ruleError(exprNode, "the expression must return an instant vector or a scalar, not a \(parsed.type.rawValue)")
            }
        } else if parsed.type != .vector && parsed.type != .scalar {
            throw ruleError(exprNode, "the expression must return an instant vector or a scalar, not a \(parsed.type.rawValue)")
        }
        for (label, value) in labels {
            try checkLabelName(label, labelsNode ?? node, "group \"\(group)\", rule \(index), \"\(name)\"")
            if label == Labels.metricName { throw ruleError(labelsNode ?? node, "invalid label name: \(label)") }
            if alert != nil { try checkTemplate(value, name: "__alert_\(name)", what: "label \"\(label)\"", at: labelsNode ?? node, ruleError) }
        }
        for (annotation, value) in annotations {
            guard !annotation.isEmpty else { throw ruleError(annotationsNode ?? node, "invalid annotation name: \"\"") }
            try checkTemplate(value, name: "__alert_\(name)", what: "annotation \"\(annotation)\"", at: annotationsNode ?? node, ruleError)
        }
        let kind: RuleDefinition.Kind = record.map { .recording($0.0) } ?? .alerting(alert!.0)
        return RuleDefinition(kind: kind, expr: exprText, parsedExpr: parsed, holdDuration: holdDuration?.0 ?? 0,
                              keepFiringFor: keepFiringFor?.0 ?? 0, labels: labels, annotations: annotations,
                              line: node.mark?.line ?? 0)
    }

    func checkLabelName(_ name: String, _ node: Node, _ context: String) throws(RuleFileError) {
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.value != 0 }) else {
            throw fail(node, "\(context): invalid label name: \"\(name)\"")
        }
    }

    func checkTemplate(_ text: String, name: String, what: String, at node: Node,
                       _ ruleError: (Node, String) -> RuleFileError) throws(RuleFileError) {
        do {
            _ = try Template(name: name, text: AlertTemplate.prelude + text)
        } catch {
            throw ruleError(node, "\(what) must be a valid template: \(error.description)")
        }
    }
}
