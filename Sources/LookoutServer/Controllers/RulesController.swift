import Hummingbird
import LookoutAlerting
import LookoutCodecs
import LookoutModel
import NIOCore

/// `/api/v1/rules` and `/api/v1/alerts` in Prometheus' shapes (what Grafana's alert list reads).
struct RulesController<Context: RequestContext> {
    let manager: RuleManager

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("rules") { request, _ in try await rules(request) }
        group.get("alerts") { _, _ in alerts() }
    }

    func rules(_ request: Request) async throws -> Response {
        let parameters = try await QueryParameters.from(request)
        let type = parameters.get("type")
        guard type == nil || type == "alert" || type == "record" else {
            throw PrometheusAPIError.badData("unsupported type \"\(type ?? "")\": must be alert or record")
        }
        let ruleNames = Set(parameters.all("rule_name[]"))
        let groupNames = Set(parameters.all("rule_group[]"))
        let files = Set(parameters.all("file[]"))
        let excludeAlerts = parameters.get("exclude_alerts") == "true"
        return prometheusSuccess { out in
            JSONWriter.writeRaw(#"{"groups":["#, into: &out)
            var firstGroup = true
            for group in manager.groups {
                if !groupNames.isEmpty && !groupNames.contains(group.name) { continue }
                if !files.isEmpty && !files.contains(group.file) { continue }
                let rules = group.rules.filter { rule in
                    if type == (rule.definition.isAlerting ? "record" : "alert") { return false }
                    return ruleNames.isEmpty || ruleNames.contains(rule.definition.name)
                }
                if rules.isEmpty && (type != nil || !ruleNames.isEmpty) { continue }
                if !firstGroup { out.append(UInt8(ascii: ",")) }
                firstGroup = false
                JSONWriter.writeRaw(#"{"name":"#, into: &out)
                JSONWriter.writeString(group.name, into: &out)
                JSONWriter.writeRaw(#","file":"#, into: &out)
                JSONWriter.writeString(group.file, into: &out)
                JSONWriter.writeRaw(#","rules":["#, into: &out)
                for (index, rule) in rules.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    writeRule(rule, excludeAlerts: excludeAlerts, into: &out)
                }
                JSONWriter.writeRaw(#"],"interval":"#, into: &out)
                PrometheusJSON.writeTime(group.interval, into: &out)
                JSONWriter.writeRaw(#","limit":"#, into: &out)
                JSONWriter.writeInt(Int64(group.limit), into: &out)
                JSONWriter.writeRaw(#","evaluationTime":"#, into: &out)
                out.append(contentsOf: PrometheusJSON.seconds(group.evaluationSeconds).utf8)
                JSONWriter.writeRaw(#","lastEvaluation":"#, into: &out)
                JSONWriter.writeString(Self.time(group.lastEvaluation), into: &out)
                out.append(UInt8(ascii: "}"))
            }
            JSONWriter.writeRaw("]}", into: &out)
        }
    }

    private func writeRule(_ rule: RuleStatusSnapshot, excludeAlerts: Bool, into out: inout [UInt8]) {
        let definition = rule.definition
        out.append(UInt8(ascii: "{"))
        if definition.isAlerting {
            JSONWriter.writeRaw(#""state":"#, into: &out)
            JSONWriter.writeString(rule.state.rawValue, into: &out)
            out.append(UInt8(ascii: ","))
        }
        JSONWriter.writeRaw(#""name":"#, into: &out)
        JSONWriter.writeString(definition.name, into: &out)
        JSONWriter.writeRaw(#","query":"#, into: &out)
        JSONWriter.writeString(definition.expr, into: &out)
        if definition.isAlerting {
            JSONWriter.writeRaw(#","duration":"#, into: &out)
            PrometheusJSON.writeTime(definition.holdDuration, into: &out)
            JSONWriter.writeRaw(#","keepFiringFor":"#, into: &out)
            PrometheusJSON.writeTime(definition.keepFiringFor, into: &out)
        }
        JSONWriter.writeRaw(#","labels":"#, into: &out)
        PrometheusJSON.writeLabels(Labels(definition.labels), into: &out)
        if definition.isAlerting {
            JSONWriter.writeRaw(#","annotations":"#, into: &out)
            PrometheusJSON.writeLabels(Labels(definition.annotations), into: &out)
            if !excludeAlerts {
                JSONWriter.writeRaw(#","alerts":["#, into: &out)
                for (index, alert) in rule.alerts.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    Self.writeAlert(alert, into: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
        }
        JSONWriter.writeRaw(#","health":"#, into: &out)
        JSONWriter.writeString(rule.status.health.rawValue, into: &out)
        JSONWriter.writeRaw(#","lastError":"#, into: &out)
        JSONWriter.writeString(rule.status.lastError ?? "", into: &out)
        JSONWriter.writeRaw(#","evaluationTime":"#, into: &out)
        out.append(contentsOf: PrometheusJSON.seconds(rule.status.evaluationSeconds).utf8)
        JSONWriter.writeRaw(#","lastEvaluation":"#, into: &out)
        JSONWriter.writeString(Self.time(rule.status.lastEvaluation), into: &out)
        JSONWriter.writeRaw(#","type":"#, into: &out)
        JSONWriter.writeString(definition.isAlerting ? "alerting" : "recording", into: &out)
        out.append(UInt8(ascii: "}"))
    }

    func alerts() -> Response {
        let alerts = manager.groups.flatMap(\.rules).flatMap(\.alerts)
        return prometheusSuccess { out in
            JSONWriter.writeRaw(#"{"alerts":["#, into: &out)
            for (index, alert) in alerts.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeAlert(alert, into: &out)
            }
            JSONWriter.writeRaw("]}", into: &out)
        }
    }

    static func writeAlert(_ alert: Alert, into out: inout [UInt8]) {
        JSONWriter.writeRaw(#"{"labels":"#, into: &out)
        PrometheusJSON.writeLabels(alert.labels, into: &out)
        JSONWriter.writeRaw(#","annotations":"#, into: &out)
        PrometheusJSON.writeLabels(alert.annotations, into: &out)
        JSONWriter.writeRaw(#","state":"#, into: &out)
        JSONWriter.writeString(alert.state.rawValue, into: &out)
        JSONWriter.writeRaw(#","activeAt":"#, into: &out)
        JSONWriter.writeString(time(alert.activeAt), into: &out)
        if let since = alert.keepFiringSince {
            JSONWriter.writeRaw(#","keepFiringSince":"#, into: &out)
            JSONWriter.writeString(time(since), into: &out)
        }
        JSONWriter.writeRaw(#","value":"#, into: &out)
        JSONWriter.writeString(PrometheusJSON.exponent(alert.value), into: &out)
        out.append(UInt8(ascii: "}"))
    }

    static func time(_ millis: Int64?) -> String {
        guard let millis else { return "0001-01-01T00:00:00Z" }
        return RFC3339.format(milliseconds: millis)
    }
}
