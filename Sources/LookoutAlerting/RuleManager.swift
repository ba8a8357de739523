import Foundation
import Logging
import LookoutModel
import LookoutQuery
import LookoutStorage
import ServiceLifecycle
import Synchronization

/// Loads rules files, evaluates each group on its interval (groups in parallel, rules in order
/// within a group), stores what rules produce and hands alerts to the notifier. Reloads keep the
/// running rules when any file is bad.
public final class RuleManager: Service, Sendable {
    struct State {
        var groups: [RuleGroup] = []
        var files: [String] = []
        var reload: AsyncStream<Void>.Continuation?
        var lastReloadSuccessful = true
        var lastReloadSuccessTime: Double = 0
        var lastReloadError: String?
    }

    public let options: RuleManagerOptions
    private let context: RuleContext
    private let store: any MetricStore
    private let appender: any MetricAppender
    private let send: @Sendable ([OutgoingAlert]) -> Void
    private let logger: Logger
    private let now: @Sendable () -> Double
    private let state = Mutex(State())

    /// - Parameter send: receives each evaluation's alerts to deliver; must not block.
    public init(options: RuleManagerOptions, engine: Engine, store: any MetricStore, appender: any MetricAppender,
                logger: Logger, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                send: @escaping @Sendable ([OutgoingAlert]) -> Void) {
        self.options = options
        self.context = RuleContext(engine: engine, externalLabels: options.externalLabels, externalURL: options.externalURL)
        self.store = store
        self.appender = appender
        self.logger = logger
        self.now = now
        self.send = send
    }

    /// Reads every file the patterns match. On any error nothing changes and the error is
    /// returned (and logged); otherwise the new groups replace the old ones, keeping the alerts
    /// of groups and rules that stay.
    @discardableResult
    public func reload() -> RuleFileError? {
        let loaded: [(String, RuleFile)]
        do {
            loaded = try RuleFiles.load(patterns: options.patterns, parser: RuleFileParser(ignoreUnknownFields: options.ignoreUnknownFields))
        } catch {
            logger.error("loading rules failed; the running rules stay", metadata: ["error": "\(error)"])
            state.withLock {
                $0.lastReloadSuccessful = false
                $0.lastReloadError = error.description
            }
            return error
        }
        var groups: [RuleGroup] = []
        for (path, file) in loaded {
            for definition in file.groups {
                groups.append(RuleGroup(file: path, definition: definition, defaultInterval: options.evaluationInterval,
                                        defaultQueryOffset: options.queryOffset))
            }
        }
        let old = state.withLock { $0.groups }
        let oldByKey = Dictionary(old.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for group in groups {
            if let previous = oldByKey[group.key] { group.adopt(from: previous) }
        }
        let reloadContinuation = state.withLock { state -> AsyncStream<Void>.Continuation? in
            state.groups = groups
            state.files = loaded.map(\.0)
            state.lastReloadSuccessful = true
            state.lastReloadSuccessTime = now()
            state.lastReloadError = nil
            return state.reload
        }
        reloadContinuation?.yield()
        logger.info("rules loaded", metadata: ["lookout.files": "\(loaded.count)", "lookout.groups": "\(groups.count)",
                                               "lookout.rules": "\(groups.reduce(0) { $0 + $1.rules.count })"])
        return nil
    }

    public var lastReloadSuccessful: Bool { state.withLock { $0.lastReloadSuccessful } }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var firstRun = true
            while !Task.isCancelled {
                let (stream, continuation) = AsyncStream<Void>.makeStream()
                let groups = self.state.withLock { state -> [RuleGroup] in
                    state.reload = continuation
                    return state.groups
                }
                let restore = firstRun
                firstRun = false
                await withTaskGroup(of: Void.self) { tasks in
                    for group in groups {
                        tasks.addTask { await self.runGroup(group, restore: restore) }
                    }
                    tasks.addTask {
                        var iterator = stream.makeAsyncIterator()
                        _ = await iterator.next()
                    }
                    // The reload task ends on a reload or on cancellation; group tasks never end on their own.
                    _ = await tasks.next()
                    tasks.cancelAll()
                }
            }
        }
    }

    /// Evaluates a group at each of its evaluation times until cancelled. After a restart the
    /// `for` state is restored once the group has run twice, as Prometheus does, so recording
    /// rules the alerts depend on have fresh values.
    private func runGroup(_ group: RuleGroup, restore: Bool) async {
        var needsRestore = restore && !group.alertingRules.isEmpty
        if needsRestore { for rule in group.alertingRules { rule.restored = false } }
        var evaluationsSinceStart = 0
        var last = group.evaluationTime(atOrBefore: Int64(now() * 1000))
        while !Task.isCancelled {
            let next = last + group.interval
            let wait = Double(next) / 1000 - now()
            if wait > 0 {
                do { try await Task.sleep(for: .milliseconds(Int64(wait * 1000))) } catch { return }
            }
            // Behind by more than an interval: skip the iterations that were missed.
            let current = group.evaluationTime(atOrBefore: Int64(now() * 1000))
            if current > next { group.countMissed(Int((current - next) / group.interval)) }
            last = max(current, next)
            let alerts = await group.evaluate(at: last, context: context, appender: appender, resendDelay: options.resendDelay,
                                              logger: logger, clock: now)
            if !alerts.isEmpty { send(alerts) }
            evaluationsSinceStart += 1
            if needsRestore && evaluationsSinceStart >= 2 {
                await group.restore(at: Int64(now() * 1000), store: store, gracePeriod: options.forGracePeriod,
                                    outageTolerance: options.forOutageTolerance, logger: logger)
                needsRestore = false
            }
        }
    }

    // MARK: - what the API and /metrics read

    public var groups: [RuleGroupStatus] {
        state.withLock { $0.groups }.map { group in
            let snapshot = group.snapshot
            return RuleGroupStatus(
                name: group.name, file: group.file, interval: group.interval, limit: group.definition.limit,
                lastEvaluation: snapshot.lastEvaluation, evaluationSeconds: snapshot.lastDurationSeconds,
                evaluations: snapshot.evaluations, failures: snapshot.failures, ruleSeconds: snapshot.ruleSeconds,
                iterations: snapshot.iterations,
                missedIterations: snapshot.missedIterations,
                rules: group.rules.map { rule in
                    let alerting = rule as? AlertingRule
                    return RuleStatusSnapshot(definition: rule.definition, status: rule.status,
                                              alerts: alerting?.alerts.filter { $0.state != .inactive } ?? [])
                })
        }
    }

    /// Prometheus text lines for /metrics: rule evaluation counters, group timings, reload state.
    public func exposition() -> String {
        let groups = self.groups
        let (successful, successTime) = state.withLock { ($0.lastReloadSuccessful, $0.lastReloadSuccessTime) }
        var text = ""
        func family(_ name: String, _ type: String, _ help: String, _ values: [(String, Double)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in values { text += "\(name)\(labels) \(PromQLNumber.format(value))\n" }
        }
        func label(_ group: RuleGroupStatus) -> String {
            "{rule_group=\"\(LabelText.escape(group.file + ";" + group.name))\"}"
        }
        family("lookout_rule_evaluations_total", "counter", "Rule evaluations.",
               groups.map { (label($0), Double($0.evaluations)) })
        family("lookout_rule_evaluation_failures_total", "counter", "Rule evaluations that failed.",
               groups.map { (label($0), Double($0.failures)) })
        text += "# HELP lookout_rule_evaluation_duration_seconds How long rule evaluations take.\n"
            + "# TYPE lookout_rule_evaluation_duration_seconds summary\n"
            + "lookout_rule_evaluation_duration_seconds_sum \(PromQLNumber.format(groups.reduce(0) { $0 + $1.ruleSeconds }))\n"
            + "lookout_rule_evaluation_duration_seconds_count \(groups.reduce(0) { $0 + $1.evaluations })\n"
        family("lookout_rule_group_last_duration_seconds", "gauge", "How long the group's last evaluation took.",
               groups.map { (label($0), $0.evaluationSeconds) })
        family("lookout_rule_group_last_evaluation_timestamp_seconds", "gauge", "When the group was last evaluated.",
               groups.map { (label($0), Double($0.lastEvaluation ?? 0) / 1000) })
        family("lookout_rule_group_interval_seconds", "gauge", "The group's evaluation interval.",
               groups.map { (label($0), Double($0.interval) / 1000) })
        family("lookout_rule_group_iterations_total", "counter", "Evaluation iterations of the group.",
               groups.map { (label($0), Double($0.iterations)) })
        family("lookout_rule_group_iterations_missed_total", "counter", "Iterations skipped because an evaluation overran.",
               groups.map { (label($0), Double($0.missedIterations)) })
        family("lookout_rule_group_rules", "gauge", "Rules in the group.",
               groups.map { (label($0), Double($0.rules.count)) })
        family("lookout_config_last_reload_successful", "gauge", "Whether the last rules reload succeeded.",
               [("", successful ? 1 : 0)])
        family("lookout_config_last_reload_success_timestamp_seconds", "gauge", "When rules were last loaded.",
               [("", successTime)])
        return text
    }
}

/// A group as the API shows it. Durations in ms.
public struct RuleGroupStatus: Sendable {
    public var name: String
    public var file: String
    public var interval: Int64
    public var limit: Int
    public var lastEvaluation: Int64?
    public var evaluationSeconds: Double
    public var evaluations: Int
    public var failures: Int
    /// Seconds all evaluations of the group's rules took.
    public var ruleSeconds: Double
    public var iterations: Int
    public var missedIterations: Int
    public var rules: [RuleStatusSnapshot]
}

public struct RuleStatusSnapshot: Sendable {
    public var definition: RuleDefinition
    public var status: RuleStatus
    /// Pending and firing alerts (alerting rules only).
    public var alerts: [Alert]

    /// The rule's state as Prometheus reports it: the highest of its alerts'.
    public var state: AlertState { alerts.map(\.state).max() ?? .inactive }
}
