import Foundation
@testable import LookoutAlerting
import LookoutModel
import Testing

/// The alert state machine with a hand-driven clock, over real storage: `for`, resolution,
/// re-sending, `keep_firing_for`, ALERTS series, limits and restore after a restart.
@Suite(.timeLimit(.minutes(1)))
struct AlertStateMachineTests {
    static let rules = """
        groups:
          - name: g
            rules:
              - alert: Down
                expr: up == 0
                for: 5m
                labels:
                  severity: page
                annotations:
                  summary: "{{ $labels.instance }} down ({{ $value }})"
        """

    /// `up{instance="a"}` every minute: 0 for minutes 0…6, then 1.
    func harness(_ rules: String = rules, downUntil: Int64 = 6) async throws -> RuleHarness {
        let harness = try RuleHarness(rules: rules)
        try await harness.push(#"up{instance="a",job="node"}"#, (0...40).map { (Int64($0) * minute, Int64($0) <= downUntil ? 0 : 1) })
        return harness
    }

    @Test func pendingUntilForThenFiringThenResolved() async throws {
        let harness = try await harness()
        for step in Int64(0)...4 {
            let sent = await harness.evaluate(at: step * minute)
            #expect(sent.isEmpty, "pending alerts are never sent")
            #expect(harness.alerts("Down").map(\.state) == [.pending])
        }
        let firing = await harness.evaluate(at: 5 * minute)
        let alert = try #require(harness.alerts("Down").first)
        #expect(alert.state == .firing && alert.activeAt == 0 && alert.firedAt == 5 * minute)
        #expect(alert.labels == Labels(["alertname": "Down", "instance": "a", "job": "node", "severity": "page"]))
        #expect(alert.annotations == Labels(["summary": "a down (0)"]))
        #expect(firing == [OutgoingAlert(labels: alert.labels, annotations: alert.annotations, startsAt: 5 * minute,
                                         endsAt: 5 * minute + 4 * minute,
                                         generatorURL: "http://lookout.test/graph?g0.expr=up+%3D%3D+0&g0.tab=1")])
        #expect(await harness.evaluate(at: 6 * minute).isEmpty, "not re-sent before the resend delay has passed")

        // Recovered at minute 7: resolved at once, and the resolution goes out.
        let resolved = await harness.evaluate(at: 7 * minute)
        #expect(resolved.map(\.endsAt) == [7 * minute])
        #expect(harness.alerts("Down").map(\.state) == [.inactive])
        #expect(await harness.evaluate(at: 8 * minute).isEmpty)
        #expect(await harness.evaluate(at: 9 * minute).map(\.endsAt) == [7 * minute], "resolutions are re-sent too")
        // Kept 15 minutes after resolving, then dropped.
        await harness.evaluate(at: 22 * minute)
        #expect(harness.alerts("Down").count == 1)
        await harness.evaluate(at: 23 * minute)
        #expect(harness.alerts("Down").isEmpty)
    }

    @Test func alertsSeriesFollowTheStatesAndGoStale() async throws {
        let harness = try await harness()
        for step in Int64(0)...8 { await harness.evaluate(at: step * minute) }
        let pending = try await harness.query("ALERTS", at: 4 * minute)
        #expect(pending.map(\.labels) == [Labels(["__name__": "ALERTS", "alertname": "Down", "alertstate": "pending",
                                                  "instance": "a", "job": "node", "severity": "page"])])
        #expect(try await harness.query("ALERTS", at: 5 * minute).map { $0.labels["alertstate"] } == ["firing"])
        #expect(try await harness.query("ALERTS_FOR_STATE", at: 6 * minute).map(\.value) == [0])
        // The pending series got a stale marker when the alert fired; the firing one when it resolved.
        #expect(try await harness.query(#"ALERTS{alertstate="pending"}"#, at: 5 * minute).isEmpty)
        #expect(try await harness.query("ALERTS", at: 7 * minute).isEmpty)
    }

    @Test func keepFiringForHoldsAResolvedAlert() async throws {
        let rules = Self.rules.replacingOccurrences(of: "for: 5m", with: "for: 0s\n        keep_firing_for: 2m")
        let harness = try await harness(rules, downUntil: 3)
        await harness.evaluate(at: 0)
        #expect(harness.alerts("Down").map(\.state) == [.firing], "for: 0s fires on the first evaluation")
        for step in Int64(4)...5 {
            await harness.evaluate(at: step * minute)
            #expect(harness.alerts("Down").map(\.state) == [.firing])
            #expect(harness.alerts("Down").first?.keepFiringSince == 4 * minute)
        }
        await harness.evaluate(at: 6 * minute)
        #expect(harness.alerts("Down").map(\.state) == [.inactive])
        #expect(harness.alerts("Down").first?.resolvedAt == 6 * minute)
    }

    @Test func pendingAlertThatClearsIsForgotten() async throws {
        let harness = try await harness(downUntil: 2)
        await harness.evaluate(at: 2 * minute)
        #expect(harness.alerts("Down").map(\.state) == [.pending])
        #expect(await harness.evaluate(at: 3 * minute).isEmpty)
        #expect(harness.alerts("Down").isEmpty)
    }

    @Test func limitClearsTheRuleAndReportsIt() async throws {
        let rules = "groups:\n  - name: g\n    limit: 1\n    rules:\n      - alert: Down\n        expr: up == 0\n"
        let harness = try RuleHarness(rules: rules)
        try await harness.push(#"up{instance="a"}"#, [(0, 0)])
        try await harness.push(#"up{instance="b"}"#, [(0, 0)])
        await harness.evaluate(at: 0)
        let rule = try #require(harness.rule("Down"))
        #expect(rule.status.health == .err)
        #expect(rule.status.lastError == "exceeded limit of 1 with 2 alerts")
        #expect(harness.alerts("Down").isEmpty)
    }

    @Test func failingRuleIsReportedAndTheGroupGoesOn() async throws {
        let rules = """
            groups:
              - name: g
                rules:
                  - record: joined
                    expr: a + on(k) b
                  - record: doubled
                    expr: a * 2
            """
        let harness = try RuleHarness(rules: rules)
        try await harness.push(#"a{k="1",x="1"}"#, [(0, 1)])
        try await harness.push(#"b{k="1",y="1"}"#, [(0, 2)])
        try await harness.push(#"b{k="1",y="2"}"#, [(0, 3)])
        await harness.evaluate(at: 0)
        let failing = try #require(harness.rule("joined"))
        #expect(failing.status.health == .err)
        #expect(failing.status.lastError?.contains("many-to-many matching not allowed") == true)
        #expect(harness.rule("doubled")?.status.health == .ok)
        #expect(try await harness.query("doubled", at: 0).map(\.value) == [2])
        #expect(harness.groups[0].snapshot.failures == 1)
    }

    @Test func sameLabelsetAfterAlertLabelsIsAnError() async throws {
        let rules = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x\n        labels:\n          k: same\n"
        let harness = try RuleHarness(rules: rules)
        try await harness.push(#"x{k="1"}"#, [(0, 1)])
        try await harness.push(#"x{k="2"}"#, [(0, 1)])
        await harness.evaluate(at: 0)
        #expect(harness.rule("A")?.status.lastError == "vector contains metrics with the same labelset after applying alert labels")
    }

    @Test func templatesSeeLabelsValueExternalLabelsAndQueries() async throws {
        let rules = """
            groups:
              - name: g
                rules:
                  - alert: High
                    expr: load > 1
                    labels:
                      tier: "{{ if gt $value 2.0 }}hot{{ else }}warm{{ end }}"
                    annotations:
                      text: "{{ $labels.host }} at {{ $value | humanize }} in {{ $externalLabels.dc }}"
                      total: '{{ with query "sum(load)" }}{{ . | first | value }}{{ end }}'
            """
        let harness = try RuleHarness(rules: rules)
        harness.externalLabels = ["dc": "east"]
        try await harness.push(#"load{host="h1"}"#, [(0, 2500)])
        try await harness.push(#"load{host="h2"}"#, [(0, 1.5)])
        await harness.evaluate(at: 0)
        let alerts = harness.alerts("High")
        #expect(alerts.map { $0.labels["tier"] } == ["hot", "warm"])
        #expect(alerts.map { $0.annotations["text"] } == ["h1 at 2.5k in east", "h2 at 1.5 in east"])
        #expect(alerts.map { $0.annotations["total"] } == ["2501.5", "2501.5"])
    }

    @Test func restartRestoresPendingTime() async throws {
        let rules = Self.rules.replacingOccurrences(of: "for: 5m", with: "for: 30m")
        var harness = try RuleHarness(rules: rules)
        try await harness.push(#"up{instance="a",job="node"}"#, (0...90).map { (Int64($0) * minute, 0) })
        for step in Int64(0)...10 { await harness.evaluate(at: step * minute) }
        #expect(harness.alerts("Down").first?.activeAt == 0)

        // Down from minute 10 to minute 15: the pending time so far (10 minutes) is kept, the downtime is not counted.
        harness = try harness.restart(rules: rules)
        for rule in harness.alertingRules { rule.restored = false }
        await harness.evaluate(at: 15 * minute)
        #expect(try await harness.query("ALERTS", at: 15 * minute).isEmpty, "no ALERTS series before the restore")
        await harness.groups[0].restore(at: 15 * minute, store: harness.tsdb, gracePeriod: 10 * minute,
                                        outageTolerance: 60 * minute, logger: RuleHarness.logger)
        #expect(harness.alerts("Down").first?.activeAt == 5 * minute)
        await harness.evaluate(at: 34 * minute)
        #expect(harness.alerts("Down").map(\.state) == [.pending])
        await harness.evaluate(at: 35 * minute)
        #expect(harness.alerts("Down").map(\.state) == [.firing])
    }

    @Test func restoreNearTheEndOfForWaitsTheGracePeriod() async throws {
        let rules = Self.rules.replacingOccurrences(of: "for: 5m", with: "for: 15m")
        var harness = try RuleHarness(rules: rules)
        try await harness.push(#"up{instance="a",job="node"}"#, (0...90).map { (Int64($0) * minute, 0) })
        for step in Int64(0)...12 { await harness.evaluate(at: step * minute) }
        harness = try harness.restart(rules: rules)
        for rule in harness.alertingRules { rule.restored = false }
        await harness.evaluate(at: 14 * minute)
        await harness.groups[0].restore(at: 14 * minute, store: harness.tsdb, gracePeriod: 10 * minute,
                                        outageTolerance: 60 * minute, logger: RuleHarness.logger)
        // 3 minutes of `for` were left: less than the grace period, so it fires 10 minutes after the restore.
        #expect(harness.alerts("Down").first?.activeAt == 14 * minute + 10 * minute - 15 * minute)
    }
}
