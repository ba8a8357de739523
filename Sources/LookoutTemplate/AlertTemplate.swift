/// How Prometheus expands alert labels and annotations (rules/alerting.go).
public enum AlertTemplate {
    /// Prepended to every label and annotation template, so `$labels`, `$value` and friends exist.
    public static let prelude = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

    /// The data an alert template runs with: `.Labels`, `.ExternalLabels`, `.ExternalURL`, `.Value`.
    public static func data(labels: [String: String], externalLabels: [String: String], externalURL: String, value: Double) -> TemplateValue {
        .map([
            "Labels": .map(labels.mapValues { .string($0) }),
            "ExternalLabels": .map(externalLabels.mapValues { .string($0) }),
            "ExternalURL": .string(externalURL),
            "Value": .number(value),
        ])
    }
}
