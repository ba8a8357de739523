/// A validated `GET /api/v2/traces` request with Zipkin's semantics.
///
/// `serviceName` scopes every other filter: they must be satisfied by spans whose local service
/// is `serviceName` (different spans may satisfy different filters, but one span must satisfy
/// both duration bounds).
public struct TraceQuery: Hashable, Sendable {
    public var serviceName: String?
    public var remoteServiceName: String?
    public var spanName: String?
    public var annotationQuery: AnnotationQuery
    /// Microseconds, inclusive.
    public var minDuration: Int64?
    public var maxDuration: Int64?
    /// Epoch milliseconds.
    public var endTs: Int64
    /// Milliseconds.
    public var lookback: Int64
    /// Counts traces, not spans.
    public var limit: Int

    public static let defaultLookback: Int64 = 86_400_000
    public static let defaultLimit = 10

    public init(
        serviceName: String? = nil,
        remoteServiceName: String? = nil,
        spanName: String? = nil,
        annotationQuery: AnnotationQuery = AnnotationQuery(),
        minDuration: Int64? = nil,
        maxDuration: Int64? = nil,
        endTs: Int64,
        lookback: Int64 = TraceQuery.defaultLookback,
        limit: Int = TraceQuery.defaultLimit
    ) throws(QueryError) {
        self.serviceName = serviceName.flatMap { $0.isEmpty ? nil : $0.lowercased() }
        self.remoteServiceName = remoteServiceName.flatMap { $0.isEmpty ? nil : $0.lowercased() }
        self.spanName = spanName.flatMap { $0.isEmpty || $0 == "all" ? nil : $0.lowercased() }
        self.annotationQuery = annotationQuery
        self.minDuration = minDuration
        self.maxDuration = maxDuration
        self.endTs = endTs
        self.lookback = lookback
        self.limit = limit
        if endTs <= 0 { throw QueryError("endTs <= 0") }
        if lookback <= 0 { throw QueryError("lookback <= 0") }
        if limit <= 0 { throw QueryError("limit <= 0") }
        if let minDuration {
            if minDuration <= 0 { throw QueryError("minDuration <= 0") }
            if let maxDuration, maxDuration < minDuration { throw QueryError("maxDuration < minDuration") }
        } else if maxDuration != nil {
            throw QueryError("maxDuration is only valid with minDuration")
        }
    }

    /// The window bounds in epoch microseconds, both inclusive.
    public var windowMicros: ClosedRange<Int64> {
        let end = endTs.multipliedReportingOverflow(by: 1000)
        let (difference, underflow) = endTs.subtractingReportingOverflow(lookback)
        let start = (underflow ? 0 : max(0, difference)).multipliedReportingOverflow(by: 1000)
        let upper = end.overflow ? Int64.max : end.partialValue
        let lower = start.overflow ? Int64.max : start.partialValue
        return min(lower, upper)...upper
    }

    /// The trace's reference timestamp: the first root span's timestamp, else the earliest.
    public static func referenceTimestamp(of spans: [Span]) -> Int64? {
        var earliest: Int64?
        for span in spans {
            guard let timestamp = span.timestamp else { continue }
            if span.parentID == nil { return timestamp }
            if earliest == nil || timestamp < earliest! { earliest = timestamp }
        }
        return earliest
    }

    /// Zipkin's `QueryRequest.test`: whether a whole trace satisfies this query.
    public func matches(_ spans: [Span]) -> Bool {
        guard let timestamp = TraceQuery.referenceTimestamp(of: spans), windowMicros.contains(timestamp) else {
            return false
        }
        var remainingTerms = annotationQuery.terms.map { $0 }
        var needRemote = remoteServiceName != nil
        var needName = spanName != nil
        var needDuration = minDuration != nil
        var sawService = serviceName == nil
        for span in spans {
            if let serviceName, span.localServiceName != serviceName { continue }
            sawService = true
            if needRemote, span.remoteServiceName == remoteServiceName { needRemote = false }
            if needName, span.name == spanName { needName = false }
            if needDuration, let duration = span.duration, let minDuration,
               duration >= minDuration, duration <= (maxDuration ?? Int64.max) {
                needDuration = false
            }
            if !remainingTerms.isEmpty {
                remainingTerms.removeAll { term in
                    if term.value.isEmpty {
                        return span.tags[term.key] != nil || span.annotations.contains { $0.value == term.key }
                    }
                    return span.tags[term.key] == term.value
                }
            }
        }
        return sawService && !needRemote && !needName && !needDuration && remainingTerms.isEmpty
    }
}
