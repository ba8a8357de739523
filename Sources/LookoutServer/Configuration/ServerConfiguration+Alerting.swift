import LookoutAlerting
import LookoutModel

extension ServerConfiguration {
    /// What the rule manager takes from `rule_files`, `rules.*` and `alerting.*`.
    public var ruleManagerOptions: RuleManagerOptions {
        var options = RuleManagerOptions()
        options.patterns = ruleFiles
        options.evaluationInterval = evaluationInterval.wholeMilliseconds
        options.queryOffset = ruleQueryOffset.wholeMilliseconds
        options.externalLabels = externalLabels
        options.externalURL = effectiveExternalURL
        options.resendDelay = resendDelay.wholeMilliseconds
        options.forGracePeriod = forGracePeriod.wholeMilliseconds
        options.forOutageTolerance = forOutageTolerance.wholeMilliseconds
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
}
