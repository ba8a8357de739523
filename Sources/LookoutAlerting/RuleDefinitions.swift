import LookoutQuery

/// A rules file as written, after validation: Prometheus' `groups:` format.
public struct RuleFile: Sendable {
    public var path: String
    public var groups: [RuleGroupDefinition]
}

public struct RuleGroupDefinition: Sendable {
    public var name: String
    /// Milliseconds; nil means the configured evaluation interval.
    public var interval: Int64?
    /// Most series (recording) or alerts (alerting) one rule may produce; 0 is no limit.
    public var limit: Int
    /// How far in the past the group queries, milliseconds; nil means the global default.
    public var queryOffset: Int64?
    /// Added to every rule's result; a rule's own labels win.
    public var labels: [String: String]
    public var rules: [RuleDefinition]
    public var line: Int
}

public struct RuleDefinition: Sendable {
    public enum Kind: Sendable, Equatable {
        case recording(String)
        case alerting(String)
    }

    public var kind: Kind
    public var expr: String
    public var parsedExpr: Expr
    /// Milliseconds an alert is pending before it fires.
    public var holdDuration: Int64
    /// Milliseconds a firing alert keeps firing after its condition cleared.
    public var keepFiringFor: Int64
    public var labels: [String: String]
    public var annotations: [String: String]
    public var line: Int

    public var name: String {
        switch kind {
        case .recording(let name), .alerting(let name): name
        }
    }

    public var isAlerting: Bool {
        if case .alerting = kind { return true }
        return false
    }
}

/// A validation error pointing into a rules file, as `file:line:column: message`.
public struct RuleFileError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }
}
