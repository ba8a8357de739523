import Foundation
import LookoutCodecs
import LookoutModel

/// The JSON bodies alerts travel in: Alertmanager's `POST /api/v2/alerts` and its webhook payload (version 4).
enum AlertPayloads {
    /// `[{"labels":…,"annotations":…,"startsAt":…,"endsAt":…,"generatorURL":…}]`, times as RFC 3339 with milliseconds.
    static func alertmanager(_ alerts: [OutgoingAlert]) -> [UInt8] {
        var json = PayloadWriter()
        json.array(alerts) { json, alert in
            json.object { json in
                json.key("annotations"); json.labels(alert.annotations)
                json.key("endsAt"); json.string(rfc3339(alert.endsAt, millis: true))
                json.key("startsAt"); json.string(rfc3339(alert.startsAt, millis: true))
                json.key("generatorURL"); json.string(alert.generatorURL)
                json.key("labels"); json.labels(alert.labels)
            }
        }
        return json.bytes
    }

    /// One webhook notification for a group of alerts. A firing alert shows the zero time as
    /// `endsAt`, as Alertmanager's dispatcher writes it.
    static func webhook(receiver: String, groupLabels: Labels, alerts: [OutgoingAlert], externalURL: String, now: Int64) -> [UInt8] {
        let resolved = alerts.map { $0.endsAt <= now }
        let commonLabels = common(alerts.map(\.labels))
        let commonAnnotations = common(alerts.map(\.annotations))
        var json = PayloadWriter()
        json.object { json in
            json.key("receiver"); json.string(receiver)
            json.key("status"); json.string(resolved.allSatisfy { $0 } ? "resolved" : "firing")
            json.key("alerts")
            json.array(Array(zip(alerts, resolved))) { json, entry in
                let (alert, isResolved) = entry
                json.object { json in
                    json.key("status"); json.string(isResolved ? "resolved" : "firing")
                    json.key("labels"); json.labels(alert.labels)
                    json.key("annotations"); json.labels(alert.annotations)
                    json.key("startsAt"); json.string(rfc3339(alert.startsAt, millis: false))
                    json.key("endsAt"); json.string(isResolved ? rfc3339(alert.endsAt, millis: false) : "0001-01-01T00:00:00Z")
                    json.key("generatorURL"); json.string(alert.generatorURL)
                    json.key("fingerprint"); json.string(fingerprint(alert.labels))
                }
            }
            json.key("groupLabels"); json.labels(groupLabels)
            json.key("commonLabels"); json.labels(commonLabels)
            json.key("commonAnnotations"); json.labels(commonAnnotations)
            json.key("externalURL"); json.string(externalURL)
            json.key("version"); json.string("4")
            json.key("groupKey"); json.string("{}:" + groupKeyLabels(groupLabels))
            json.key("truncatedAlerts"); json.raw("0")
        }
        return json.bytes
    }

    /// Pairs every label set shares.
    static func common(_ sets: [Labels]) -> Labels {
        guard var shared = sets.first?.pairs else { return Labels(sorted: []) }
        for set in sets.dropFirst() {
            shared = shared.filter { set[$0.name] == $0.value }
        }
        return Labels(sorted: shared)
    }

    /// `{alertname="X", job="y"}`, Alertmanager's label set notation.
    static func groupKeyLabels(_ labels: Labels) -> String {
        "{" + labels.pairs.map { "\($0.name)=\"\(LabelText.escape($0.value))\"" }.joined(separator: ", ") + "}"
    }

    /// 16 hex digits of FNV-1a 64 over `name 0xff value 0xff` of the sorted labels (Prometheus' fingerprint).
    static func fingerprint(_ labels: Labels) -> String {
        var hash = FNV1a()
        for label in labels.pairs {
            hash.add(label.name)
            hash.add(0xff)
            hash.add(label.value)
            hash.add(0xff)
        }
        let hex = String(hash.value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// `2026-08-21T10:05:00.000Z` (millis) or Go's RFC 3339 with only the fraction it needs.
    static func rfc3339(_ millis: Int64, millis withMillis: Bool) -> String {
        let seconds = Int(floorDivide(millis, 1000))
        let fraction = Int(millis - Int64(seconds) * 1000)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var text = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        if withMillis {
            text += "." + String(String(fraction + 1000).dropFirst())
        } else if fraction != 0 {
            var digits = String(String(fraction + 1000).dropFirst())
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text + "Z"
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }
}

/// Writes JSON objects and arrays in order, with the commas: the payloads have a fixed shape.
struct PayloadWriter {
    var bytes: [UInt8] = []
    private var needsComma = [false]

    mutating func raw(_ text: String) {
        separate()
        bytes.append(contentsOf: text.utf8)
    }

    mutating func string(_ text: String) {
        separate()
        appendQuoted(text)
    }

    mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    mutating func object(_ body: (inout PayloadWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func array<T>(_ items: [T], _ element: (inout PayloadWriter, T) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
        for item in items { element(&self, item) }
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func labels(_ labels: Labels) {
        object { json in
            for label in labels.pairs {
                json.key(label.name)
                json.string(label.value)
            }
        }
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    private mutating func appendQuoted(_ text: String) {
        JSONWriter.writeString(text, into: &bytes)
    }
}

/// Times as Go's RFC 3339 with only the fraction needed, in UTC: what the rules and alerts API shows.
public enum RFC3339 {
    public static func format(milliseconds: Int64) -> String {
        AlertPayloads.rfc3339(milliseconds, millis: false)
    }
}
