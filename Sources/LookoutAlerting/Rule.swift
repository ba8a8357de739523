import LookoutModel
import LookoutQuery

/// What a rule evaluation needs from around it.
public struct RuleContext: Sendable {
    public var engine: Engine
    public var externalLabels: [String: String]
    /// Where alerts link back to (`generatorURL`) and what `$externalURL` holds.
    public var externalURL: String

    public init(engine: Engine, externalLabels: [String: String] = [:], externalURL: String = "") {
        self.engine = engine
        self.externalLabels = externalLabels
        self.externalURL = externalURL
    }
}

/// Settings a rule takes from its group.
struct GroupSettings: Sendable {
    var limit: Int
    var queryOffset: Int64
    var labels: [String: String]
}

public enum RuleHealth: String, Sendable {
    case unknown
    case ok
    case err
}

/// How a rule's last evaluation went, for the API and /metrics.
public struct RuleStatus: Sendable {
    public var health: RuleHealth = .unknown
    public var lastError: String?
    /// ms; nil before the first evaluation.
    public var lastEvaluation: Int64?
    public var evaluationSeconds: Double = 0
}

/// A series sample a rule produced, to be stored.
struct RuleSample: Sendable {
    var labels: Labels
    var value: Double
}

/// A recording or an alerting rule: evaluated by its group, in order, at the group's timestamps.
protocol Rule: AnyObject, Sendable {
    var definition: RuleDefinition { get }
    var status: RuleStatus { get }
    /// Runs the rule at `time` (ms) and returns the samples to store at `time - queryOffset`.
    func evaluate(at time: Int64, context: RuleContext, group: GroupSettings) async throws -> [RuleSample]
    func record(_ status: RuleStatus)
}

extension Rule {
    var name: String { definition.name }
}

/// A rule's error with Prometheus' wording.
struct RuleError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension QueryResult {
    /// Rules treat a scalar result as a one-sample vector without labels, as Prometheus does.
    func ruleVector() throws -> [(labels: Labels, value: Double)] {
        switch self {
        case .scalar(_, let value): return [(Labels(sorted: []), value)]
        case .vector(let samples): return samples.map { ($0.labels, $0.value) }
        case .string, .matrix: throw RuleError("rule result is not a vector or scalar")
        }
    }
}

/// Labels with `changes` applied: an empty value removes the label, as Prometheus' label builder does.
func applying(_ changes: [String: String], to labels: Labels) -> Labels {
    var pairs: [String: String] = [:]
    for label in labels.pairs { pairs[label.name] = label.value }
    for (name, value) in changes { pairs[name] = value.isEmpty ? nil : value }
    return Labels(pairs)
}
