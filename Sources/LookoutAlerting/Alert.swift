import LookoutModel

/// Where an alert is in its life. A resolved alert is `inactive` with `resolvedAt` set, as in
/// Prometheus; receivers derive "resolved" from `endsAt`.
public enum AlertState: String, Sendable, Comparable {
    case inactive
    case pending
    case firing

    private var order: Int {
        switch self {
        case .inactive: 0
        case .pending: 1
        case .firing: 2
        }
    }

    public static func < (lhs: AlertState, rhs: AlertState) -> Bool { lhs.order < rhs.order }
}

/// One alert of an alerting rule: a label set the rule's expression returned. Times are ms.
public struct Alert: Sendable, Equatable {
    public var labels: Labels
    public var annotations: Labels
    public var state: AlertState
    public var value: Double
    public var activeAt: Int64
    public var firedAt: Int64?
    public var resolvedAt: Int64?
    public var lastSentAt: Int64?
    public var validUntil: Int64?
    public var keepFiringSince: Int64?

    public init(labels: Labels, annotations: Labels, state: AlertState, value: Double, activeAt: Int64) {
        self.labels = labels
        self.annotations = annotations
        self.state = state
        self.value = value
        self.activeAt = activeAt
    }

    /// Pending alerts are never sent; a resolution is sent once at once, then everything is
    /// re-sent every `resendDelay` (Prometheus' `needsSending`).
    func needsSending(at time: Int64, resendDelay: Int64) -> Bool {
        if state == .pending { return false }
        guard let lastSentAt else { return true }
        if let resolvedAt, resolvedAt > lastSentAt { return true }
        return lastSentAt + resendDelay < time
    }

    public static func == (lhs: Alert, rhs: Alert) -> Bool {
        lhs.labels == rhs.labels && lhs.annotations == rhs.annotations && lhs.state == rhs.state
            && lhs.value.bitPattern == rhs.value.bitPattern && lhs.activeAt == rhs.activeAt && lhs.firedAt == rhs.firedAt
            && lhs.resolvedAt == rhs.resolvedAt && lhs.lastSentAt == rhs.lastSentAt && lhs.validUntil == rhs.validUntil
            && lhs.keepFiringSince == rhs.keepFiringSince
    }
}

/// An alert as it goes to Alertmanager and webhooks. Times are ms.
public struct OutgoingAlert: Sendable, Equatable {
    public var labels: Labels
    public var annotations: Labels
    public var startsAt: Int64
    public var endsAt: Int64
    public var generatorURL: String

    public init(labels: Labels, annotations: Labels, startsAt: Int64, endsAt: Int64, generatorURL: String) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }
}
