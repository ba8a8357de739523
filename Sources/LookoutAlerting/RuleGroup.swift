import Logging
import LookoutModel
import LookoutQuery
import LookoutStorage
import Synchronization

/// The rules of one `groups:` entry, evaluated in order at one timestamp per iteration.
final class RuleGroup: Sendable {
    struct State {
        var lastEvaluation: Int64?
        var lastDurationSeconds: Double = 0
        var evaluations = 0
        var failures = 0
        var iterations = 0
        var missedIterations = 0
        /// Seconds all rule evaluations took, for the evaluation-duration summary.
        var ruleSeconds: Double = 0
        /// Per rule, the series written at the last evaluation; those not written again get a stale marker.
        var previousSeries: [Set<Labels>]
    }

    let file: String
    let definition: RuleGroupDefinition
    let rules: [any Rule]
    /// ms.
    let interval: Int64
    let queryOffset: Int64
    private let state: Mutex<State>

    init(file: String, definition: RuleGroupDefinition, defaultInterval: Int64, defaultQueryOffset: Int64) {
        self.file = file
        self.definition = definition
        self.interval = definition.interval ?? defaultInterval
        self.queryOffset = definition.queryOffset ?? defaultQueryOffset
        self.rules = definition.rules.map { rule -> any Rule in
            switch rule.kind {
            case .recording: RecordingRule(rule)
            case .alerting: AlertingRule(rule)
            }
        }
        self.state = Mutex(State(previousSeries: Array(repeating: [], count: definition.rules.count)))
    }

    var name: String { definition.name }
    /// `file;group`, Prometheus' `rule_group` label.
    var key: String { file + ";" + definition.name }
    var snapshot: State { state.withLock { $0 } }

    var settings: GroupSettings {
        GroupSettings(limit: definition.limit, queryOffset: queryOffset, labels: definition.labels)
    }

    var alertingRules: [AlertingRule] { rules.compactMap { $0 as? AlertingRule } }

    /// Where this group's evaluations fall: every `interval`, shifted by a per-group offset so
    /// that groups spread over the interval (Prometheus' `EvalTimestamp`).
    func evaluationTime(atOrBefore now: Int64) -> Int64 {
        var hash = FNV1a()
        hash.add(key)
        let offset = Int64(hash.value % UInt64(interval))
        let adjusted = now - offset
        return adjusted - ((adjusted % interval) + interval) % interval + offset
    }

    /// Evaluates every rule at `time` (ms), stores what they produce and returns the alerts to send.
    func evaluate(at time: Int64, context: RuleContext, appender: any MetricAppender, resendDelay: Int64,
                  logger: Logger, clock: @Sendable () -> Double) async -> [OutgoingAlert] {
        let started = clock()
        let settings = self.settings
        let sampleTime = time - queryOffset
        var batch = MetricBatch()
        var outgoing: [OutgoingAlert] = []
        var failures = 0
        var ruleSeconds: Double = 0
        var previous = state.withLock { $0.previousSeries }
        for (index, rule) in rules.enumerated() {
            let ruleStarted = clock()
            var status = RuleStatus(health: .ok, lastError: nil, lastEvaluation: time, evaluationSeconds: 0)
            do {
                let samples = try await rule.evaluate(at: time, context: context, group: settings)
                var written = Set<Labels>()
                for sample in samples {
                    written.insert(sample.labels)
                    batch.append(sample.labels, [MetricSample(sampleTime, sample.value)])
                }
                for labels in previous[index] where !written.contains(labels) {
                    batch.append(labels, [MetricSample(sampleTime, StaleMarker.value)])
                }
                previous[index] = written
            } catch {
                failures += 1
                status.health = .err
                status.lastError = Self.message(error)
                logger.warning("rule evaluation failed", metadata: [
                    "lookout.rule_group": "\(key)", "lookout.rule": "\(rule.name)", "error": "\(status.lastError ?? "")",
                ])
            }
            if let alerting = rule as? AlertingRule {
                outgoing += alerting.alertsToSend(at: time, resendDelay: resendDelay, interval: interval,
                                                  generatorURL: context.externalURL + tableLink(rule.definition.expr))
            }
            status.evaluationSeconds = clock() - ruleStarted
            ruleSeconds += status.evaluationSeconds
            rule.record(status)
        }
        if !batch.series.isEmpty {
            do {
                let report = try await appender.append(batch, idempotencyKey: nil)
                let refused = report.rejected.values.reduce(0, +)
                if refused > 0 {
                    logger.warning("rule results refused by storage", metadata: [
                        "lookout.rule_group": "\(key)", "lookout.refused": "\(refused)",
                    ])
                }
            } catch {
                logger.error("storing rule results failed", metadata: ["lookout.rule_group": "\(key)", "error": "\(error)"])
            }
        }
        let duration = clock() - started
        state.withLock { state in
            state.previousSeries = previous
            state.lastEvaluation = time
            state.lastDurationSeconds = duration
            state.evaluations += rules.count
            state.failures += failures
            state.ruleSeconds += ruleSeconds
            state.iterations += 1
        }
        return outgoing
    }

    func countMissed(_ count: Int) {
        state.withLock { $0.missedIterations += count }
    }

    /// Restores the `for` state of every alerting rule after a restart.
    func restore(at time: Int64, store: any MetricStore, gracePeriod: Int64, outageTolerance: Int64, logger: Logger) async {
        for rule in alertingRules {
            do {
                try await rule.restore(at: time, store: store, gracePeriod: gracePeriod, outageTolerance: outageTolerance)
            } catch {
                logger.warning("restoring alert state failed", metadata: ["lookout.rule": "\(rule.name)", "error": "\(error)"])
            }
        }
    }

    /// Takes over the alerts and the written series of the group this one replaces on reload.
    func adopt(from old: RuleGroup) {
        var previous = state.withLock { $0.previousSeries }
        let oldPrevious = old.state.withLock { $0.previousSeries }
        var used = Set<Int>()
        for (index, rule) in rules.enumerated() {
            guard let match = old.rules.indices.first(where: { !used.contains($0) && old.rules[$0].name == rule.name
                && type(of: old.rules[$0]) == type(of: rule) }) else { continue }
            used.insert(match)
            previous[index] = oldPrevious[match]
            if let new = rule as? AlertingRule, let oldRule = old.rules[match] as? AlertingRule {
                new.adopt(oldRule.alerts, restored: oldRule.restored)
            }
            rule.record(old.rules[match].status)
        }
        state.withLock { $0.previousSeries = previous }
    }

    static func message(_ error: any Error) -> String {
        if let error = error as? PromQLError { return error.message }
        if let error = error as? RuleError { return error.description }
        return "\(error)"
    }
}

/// `/graph?g0.expr=…&g0.tab=1`, Prometheus' link from an alert back to its expression.
func tableLink(_ expr: String) -> String {
    "/graph?g0.expr=" + queryEscape(expr) + "&g0.tab=1"
}

/// Go's `url.QueryEscape`: space becomes `+`, all but unreserved characters are %-escaped.
func queryEscape(_ text: String) -> String {
    var result = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            result.unicodeScalars.append(Unicode.Scalar(byte))
        case UInt8(ascii: " "):
            result += "+"
        default:
            let hex = Array("0123456789ABCDEF".unicodeScalars)
            result += "%"
            result.unicodeScalars.append(hex[Int(byte >> 4)])
            result.unicodeScalars.append(hex[Int(byte & 15)])
        }
    }
    return result
}
