import LookoutModel
import LookoutQuery
import LookoutStorage
import LookoutTemplate
import Synchronization

/// `alert:` — turns each series of the expression's result into an alert and walks it through
/// inactive → pending → firing → resolved exactly as Prometheus' alerting rule does.
final class AlertingRule: Rule {
    /// How long a resolved alert is kept, and re-sent, after it resolved (Prometheus: 15 minutes).
    static let resolvedRetention: Int64 = 15 * 60_000

    struct State {
        var status = RuleStatus()
        var active: [Labels: Alert] = [:]
        /// False until the `for` state was restored after a restart; no ALERTS series are written before.
        var restored = true
    }

    let definition: RuleDefinition
    private let state = Mutex(State())

    init(_ definition: RuleDefinition) {
        self.definition = definition
    }

    var status: RuleStatus { state.withLock { $0.status } }
    func record(_ status: RuleStatus) { state.withLock { $0.status = status } }

    /// Alerts, sorted by labels, including resolved ones still kept.
    var alerts: [Alert] { state.withLock { Array($0.active.values) }.sorted { $0.labels < $1.labels } }

    var restored: Bool {
        get { state.withLock { $0.restored } }
        set { state.withLock { $0.restored = newValue } }
    }

    /// Takes over alerts from the rule this one replaces on reload.
    func adopt(_ alerts: [Alert], restored: Bool) {
        state.withLock { state in
            for alert in alerts { state.active[alert.labels] = alert }
            state.restored = restored
        }
    }

    func evaluate(at time: Int64, context: RuleContext, group: GroupSettings) async throws -> [RuleSample] {
        let queryTime = time - group.queryOffset
        let result = try await context.engine.instant(definition.parsedExpr, at: queryTime)
        var ruleLabels = group.labels
        for (name, value) in definition.labels { ruleLabels[name] = value }

        // Templates run outside the lock: `query` may call back into the engine.
        var found: [Labels: Alert] = [:]
        let functions = TemplateFunctions.prometheus(
            query: { [engine = context.engine] query in try await Self.templateQuery(engine, query, at: queryTime) },
            externalURL: context.externalURL, now: Double(time) / 1000)
        for (sampleLabels, value) in try result.ruleVector() {
            let data = AlertTemplate.data(labels: Self.dictionary(sampleLabels), externalLabels: context.externalLabels,
                                          externalURL: context.externalURL, value: value)
            var expandedLabels: [String: String] = [:]
            for (name, text) in ruleLabels {
                expandedLabels[name] = await expand(text, data: data, functions: functions)
            }
            expandedLabels[Labels.metricName] = ""
            expandedLabels["alertname"] = definition.name
            let labels = applying(expandedLabels, to: sampleLabels)
            var annotations: [String: String] = [:]
            for (name, text) in definition.annotations {
                annotations[name] = await expand(text, data: data, functions: functions)
            }
            guard found[labels] == nil else {
                throw RuleError("vector contains metrics with the same labelset after applying alert labels")
            }
            found[labels] = Alert(labels: labels, annotations: Labels(annotations), state: .pending, value: value, activeAt: time)
        }
        return try state.withLock { state throws(RuleError) -> [RuleSample] in
            try Self.advance(&state, found: found, at: time, holdDuration: definition.holdDuration,
                             keepFiringFor: definition.keepFiringFor, limit: group.limit, sampleTime: queryTime)
        }
    }

    /// One step of the state machine over what the expression returned at `time`.
    private static func advance(_ state: inout State, found: [Labels: Alert], at time: Int64, holdDuration: Int64,
                                keepFiringFor: Int64, limit: Int, sampleTime: Int64) throws(RuleError) -> [RuleSample] {
        for (labels, alert) in found {
            if var existing = state.active[labels], existing.state != .inactive {
                existing.value = alert.value
                existing.annotations = alert.annotations
                state.active[labels] = existing
            } else {
                state.active[labels] = alert
            }
        }
        var samples: [RuleSample] = []
        var activeCount = 0
        for (labels, var alert) in state.active {
            if found[labels] == nil {
                var keepFiring = false
                if alert.state == .firing && keepFiringFor > 0 {
                    let since = alert.keepFiringSince ?? time
                    alert.keepFiringSince = since
                    keepFiring = time - since < keepFiringFor
                }
                if alert.state == .pending || (alert.resolvedAt.map { time - $0 > resolvedRetention } ?? false) {
                    state.active[labels] = nil
                    continue
                }
                if alert.state != .inactive && !keepFiring {
                    alert.state = .inactive
                    alert.resolvedAt = time
                }
                state.active[labels] = alert
                if !keepFiring { continue }
            } else {
                alert.keepFiringSince = nil
            }
            activeCount += 1
            if alert.state == .pending && time - alert.activeAt >= holdDuration {
                alert.state = .firing
                alert.firedAt = time
            } else if alert.state == .firing && time - alert.activeAt < holdDuration && found[labels] != nil {
                // `for` was raised on reload and this alert has not been active that long.
                alert.state = .pending
                alert.firedAt = nil
            }
            state.active[labels] = alert
            if state.restored {
                samples.append(RuleSample(labels: alertsSeries(alert), value: 1))
                samples.append(RuleSample(labels: forStateSeries(alert), value: Double(alert.activeAt / 1000)))
            }
        }
        if limit > 0 && activeCount > limit {
            state.active.removeAll()
            throw RuleError("exceeded limit of \(limit) with \(activeCount) alerts")
        }
        return samples
    }

    /// Alerts to send now; marks them sent (Prometheus' `sendAlerts`).
    func alertsToSend(at time: Int64, resendDelay: Int64, interval: Int64, generatorURL: String) -> [OutgoingAlert] {
        state.withLock { state in
            var outgoing: [OutgoingAlert] = []
            for (labels, var alert) in state.active where alert.needsSending(at: time, resendDelay: resendDelay) {
                alert.lastSentAt = time
                alert.validUntil = time + 4 * max(interval, resendDelay)
                state.active[labels] = alert
                outgoing.append(OutgoingAlert(labels: alert.labels, annotations: alert.annotations,
                                              startsAt: alert.firedAt ?? alert.activeAt,
                                              endsAt: alert.resolvedAt ?? alert.validUntil ?? time,
                                              generatorURL: generatorURL))
            }
            return outgoing.sorted { $0.labels < $1.labels }
        }
    }

    /// Sets `activeAt` of the current alerts from the last `ALERTS_FOR_STATE` sample before a
    /// restart, so a pending alert does not start its `for` over (Prometheus' `RestoreForState`).
    func restore(at time: Int64, store: any MetricStore, gracePeriod: Int64, outageTolerance: Int64) async throws {
        defer { restored = true }
        guard definition.holdDuration >= gracePeriod else { return }
        let current = state.withLock { Array($0.active.values) }
        for alert in current {
            let series = forStateSeries(alert)
            let matchers = try series.pairs.map { try LabelMatcher($0.name, .equal, $0.value) }
            let found = try await store.select(matchers, from: time - outageTolerance, through: time)
            guard let samples = found.first(where: { $0.labels == series })?.samples, let last = samples.last,
                  !StaleMarker.isStale(last.value) else { continue }
            let downAt = last.timestamp / 1000 * 1000
            var activeAt = Int64(last.value) * 1000
            let remaining = definition.holdDuration - (downAt - activeAt)
            if remaining <= 0 {
                // It was firing before the restart; the next evaluation keeps it so.
            } else if remaining < gracePeriod {
                activeAt = time + gracePeriod - definition.holdDuration
            } else {
                activeAt += time - downAt
            }
            state.withLock { state in
                guard var restoredAlert = state.active[alert.labels] else { return }
                restoredAlert.activeAt = activeAt
                state.active[alert.labels] = restoredAlert
            }
        }
    }

    private func expand(_ text: String, data: TemplateValue, functions: TemplateFunctions) async -> String {
        do {
            let template = try Template(name: "__alert_" + definition.name, text: AlertTemplate.prelude + text, functions: functions)
            return try await template.render(data: data)
        } catch {
            return "<error expanding template: \(error.description)>"
        }
    }

    private static func templateQuery(_ engine: Engine, _ query: String, at time: Int64) async throws -> [TemplateSample] {
        let result = try await engine.instant(query, at: time)
        switch result {
        case .scalar(_, let value): return [TemplateSample(labels: [:], value: value)]
        case .vector(let samples): return samples.map { TemplateSample(labels: dictionary($0.labels), value: $0.value) }
        case .string, .matrix: throw RuleError("query \(query) should return a vector or a scalar")
        }
    }

    static func dictionary(_ labels: Labels) -> [String: String] {
        var result: [String: String] = [:]
        for label in labels.pairs { result[label.name] = label.value }
        return result
    }
}

/// `ALERTS{alertname, alertstate, …}`: one series per pending or firing alert.
func alertsSeries(_ alert: Alert) -> Labels {
    applying([Labels.metricName: "ALERTS", "alertstate": alert.state.rawValue], to: alert.labels)
}

/// `ALERTS_FOR_STATE{alertname, …}`: the alert's active-since time, what a restart restores from.
func forStateSeries(_ alert: Alert) -> Labels {
    applying([Labels.metricName: "ALERTS_FOR_STATE"], to: alert.labels)
}
