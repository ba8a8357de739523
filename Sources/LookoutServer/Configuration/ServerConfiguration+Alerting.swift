import LookoutAlerting

extension ServerConfiguration {
    /// What the rule manager takes from `rule_files`, `rules.*` and `alerting.*`.
    public var ruleManagerOptions: RuleManagerOptions {
        var options = RuleManagerOptions()
        options.patterns = ruleFiles
        options.evaluationInterval = Self.milliseconds(evaluationInterval)
        options.queryOffset = Self.milliseconds(ruleQueryOffset)
        options.externalLabels = externalLabels
        options.externalURL = effectiveExternalURL
        options.resendDelay = Self.milliseconds(resendDelay)
        options.forGracePeriod = Self.milliseconds(forGracePeriod)
        options.forOutageTolerance = Self.milliseconds(forOutageTolerance)
        return options
    }

    /// Where alerts go, from `alerting.*`.
    public var notifierOptions: NotifierOptions {
        var options = NotifierOptions()
        options.alertmanagers = alertmanagers
        options.webhooks = webhooks.map { NotifierOptions.Webhook(url: $0.url, groupBy: $0.groupBy, receiver: $0.receiver) }
        options.externalLabels = externalLabels
        options.externalURL = effectiveExternalURL
        return options
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
