/// How the rule manager finds and evaluates rules. Durations are milliseconds.
public struct RuleManagerOptions: Sendable {
    /// Globs of rules files (`rule_files:`).
    public var patterns: [String] = []
    /// For groups without `interval`.
    public var evaluationInterval: Int64 = 60_000
    /// For groups without `query_offset`.
    public var queryOffset: Int64 = 0
    public var externalLabels: [String: String] = [:]
    public var externalURL = ""
    /// Firing alerts are re-sent this often.
    public var resendDelay: Int64 = 60_000
    /// Alerts whose `for` is at least this long have their pending time restored after a restart.
    public var forGracePeriod: Int64 = 600_000
    /// How far back a restart looks for the alerts' `for` state.
    public var forOutageTolerance: Int64 = 3_600_000
    /// Accept fields Prometheus does not know in rules files.
    public var ignoreUnknownFields = false

    public init() {}
}
