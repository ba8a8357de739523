/// Zipkin's trace clean-up (`Trace.merge`).
///
/// Stores keep raw fragments: a span may arrive in pieces (a late duration, a flush annotation)
/// and an RPC's client and server halves may share one span ID. Anything that reasons about a
/// whole trace, like the span tree and the dependency linker, first needs one span per side.
public enum Trace {
    /// Merges the fragments of one trace.
    ///
    /// The result is sorted by span ID, client side before server side. Fragments with the same ID
    /// are merged only when they are on the same side (`shared`) and their local endpoints do not
    /// contradict each other, so two servers that accidentally reused an ID stay apart. A 64-bit
    /// trace ID is widened to the trace's 128-bit ID, and a server that lost its `shared` flag or
    /// parent ID gets them back from the client half.
    public static func merge(_ spans: [Span]) -> [Span] {
        if spans.count <= 1 { return spans }
        // Ties keep input order, so "first value wins" below is deterministic.
        let sorted = spans.enumerated().sorted { lhs, rhs in
            let order = cleanupOrder(lhs.element, rhs.element)
            return order != 0 ? order < 0 : lhs.offset < rhs.offset
        }.map(\.element)

        // A hop that truncated the ID to 64 bits is still the same trace: keep the longest form.
        let longestID = sorted.first(where: { $0.traceID.is128Bit })?.traceID

        var result: [Span] = []
        result.reserveCapacity(sorted.count)
        var index = 0
        while index < sorted.count {
            var span = sorted[index]
            index += 1
            if let longestID, !span.traceID.is128Bit { span.traceID = longestID }
            let previous = result.last.flatMap { $0.id == span.id ? $0 : nil }

            // Some servers are not told their parent ID; the client half of the RPC knows it.
            // Filled before merging so the client's value wins over a later server fragment's.
            if let previous, span.shared, span.parentID == nil { span.parentID = previous.parentID }

            let shared = span.shared
            while index < sorted.count, sorted[index].id == span.id, sorted[index].shared == shared,
                  Endpoint.compatible(span.localEndpoint, sorted[index].localEndpoint) {
                span.absorb(sorted[index])
                index += 1
            }

            if let previous {
                // Client first in sort order, so a SERVER with the same ID is the other half of that
                // RPC even when its instrumentation forgot the flag.
                if previous.kind == .client, span.kind == .server, !span.shared { span.shared = true }
                if span.shared, span.parentID == nil { span.parentID = previous.parentID }
            }
            result.append(span)
        }
        return result
    }

    /// Three-way order used before merging: span ID, unshared first, CLIENT first, then local
    /// endpoint (absent first). Neighbours in this order are the merge candidates.
    static func cleanupOrder(_ lhs: Span, _ rhs: Span) -> Int {
        if lhs.id != rhs.id { return lhs.id < rhs.id ? -1 : 1 }
        if lhs.shared != rhs.shared { return lhs.shared ? 1 : -1 }
        let lhsClient = lhs.kind == .client
        let rhsClient = rhs.kind == .client
        if lhsClient != rhsClient { return lhsClient ? -1 : 1 }
        switch (lhs.localEndpoint, rhs.localEndpoint) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case let (lhs?, rhs?):
            let byService = compareAbsentLast(lhs.serviceName, rhs.serviceName)
            if byService != 0 { return byService }
            let byIPv4 = compareAbsentLast(lhs.ipv4, rhs.ipv4)
            if byIPv4 != 0 { return byIPv4 }
            return compareAbsentLast(lhs.ipv6, rhs.ipv6)
        }
    }

    private static func compareAbsentLast(_ lhs: String?, _ rhs: String?) -> Int {
        switch (lhs, rhs) {
        case (nil, nil): return 0
        case (nil, _): return 1
        case (_, nil): return -1
        case let (lhs?, rhs?): return lhs == rhs ? 0 : (lhs < rhs ? -1 : 1)
        }
    }
}

extension Endpoint {
    /// Whether two local endpoints can describe the same host: no field set on both differs.
    /// An absent endpoint is compatible with anything.
    static func compatible(_ lhs: Endpoint?, _ rhs: Endpoint?) -> Bool {
        guard let lhs, let rhs else { return true }
        func agree<T: Equatable>(_ a: T?, _ b: T?) -> Bool { a == nil || b == nil || a == b }
        return agree(lhs.serviceName, rhs.serviceName) && agree(lhs.ipv4, rhs.ipv4)
            && agree(lhs.ipv6, rhs.ipv6) && agree(lhs.port, rhs.port)
    }

    /// Fills fields absent from `base` with those of `other`.
    static func filling(_ base: Endpoint?, with other: Endpoint?) -> Endpoint? {
        guard var result = base else { return other }
        guard let other else { return result }
        result.serviceName = result.serviceName ?? other.serviceName
        result.ipv4 = result.ipv4 ?? other.ipv4
        result.ipv6 = result.ipv6 ?? other.ipv6
        result.port = result.port ?? other.port
        return result
    }
}

extension Span {
    /// Merges a later fragment of the same span: the first value seen wins for scalars, endpoints
    /// are filled field by field, annotations are combined, later tags win and flags are OR-ed.
    mutating func absorb(_ other: Span) {
        parentID = parentID ?? other.parentID
        kind = kind ?? other.kind
        name = name ?? other.name
        timestamp = timestamp ?? other.timestamp
        duration = duration ?? other.duration
        localEndpoint = Endpoint.filling(localEndpoint, with: other.localEndpoint)
        remoteEndpoint = Endpoint.filling(remoteEndpoint, with: other.remoteEndpoint)
        if !other.annotations.isEmpty {
            annotations = Span.sortedUnique(annotations + other.annotations)
        }
        tags.merge(other.tags) { _, later in later }
        debug = debug || other.debug
        shared = shared || other.shared
    }
}
