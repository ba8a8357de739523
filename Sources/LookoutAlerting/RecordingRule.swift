import LookoutModel
import LookoutQuery
import Synchronization

/// `record:` — stores the expression's result under a new metric name.
final class RecordingRule: Rule {
    let definition: RuleDefinition
    private let state = Mutex(RuleStatus())

    init(_ definition: RuleDefinition) {
        self.definition = definition
    }

    var status: RuleStatus { state.withLock { $0 } }

    func record(_ status: RuleStatus) { state.withLock { $0 = status } }

    func evaluate(at time: Int64, context: RuleContext, group: GroupSettings) async throws -> [RuleSample] {
        let result = try await context.engine.instant(definition.parsedExpr, at: time - group.queryOffset)
        var changes = group.labels
        for (name, value) in definition.labels { changes[name] = value }
        changes[Labels.metricName] = definition.name
        var samples: [RuleSample] = []
        var seen = Set<Labels>()
        for (labels, value) in try result.ruleVector() {
            let output = applying(changes, to: labels)
            guard seen.insert(output).inserted else {
                throw RuleError("vector contains metrics with the same labelset after applying rule labels")
            }
            samples.append(RuleSample(labels: output, value: value))
        }
        if group.limit > 0 && samples.count > group.limit {
            throw RuleError("exceeded limit of \(group.limit) with \(samples.count) series")
        }
        return samples
    }
}
