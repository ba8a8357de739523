import LookoutCodecs
import LookoutModel

/// A span with everything the writer needs computed ahead, on the request's own task, so the
/// single writer only binds and steps statements.
struct PreparedSpan: Sendable {
    var lo: Int64
    var hi: Int64
    var timestamp: Int64?
    var isRoot: Bool
    /// Canonical proto3 (a one-span ListOfSpans): compact, fast to decode, equal spans give equal bytes.
    var payload: [UInt8]
    var fingerprint: Int64
    var terms: [Int64]

    init(_ span: Span) {
        lo = Int64(bitPattern: span.traceID.low)
        hi = Int64(bitPattern: span.traceID.high)
        timestamp = span.timestamp
        isRoot = span.parentID == nil
        payload = []
        payload.reserveCapacity(256)
        ZipkinProto3.encode([span], into: &payload)
        fingerprint = Fingerprint.of(payload)
        terms = []
        terms.reserveCapacity(16)
        SearchTerm.keys(of: span, into: &terms)
    }
}

/// A request's spans, prepared, with the names they introduce.
struct PreparedBatch: Sendable {
    var spans: [PreparedSpan]
    var names: Set<NameKey>
    /// The batch's search terms, sorted per term. Terms of a span that turns out to be a
    /// duplicate are harmless: they point at the same stored trace.
    var postings: PostingsBuilder

    init(_ spans: [Span], autocompleteKeys: [String]) {
        self.spans = spans.map(PreparedSpan.init)
        var names = Set<NameKey>()
        for span in spans {
            if let service = span.localServiceName {
                names.insert(NameKey(kind: 0, service: service, value: ""))
                if let remote = span.remoteServiceName { names.insert(NameKey(kind: 1, service: service, value: remote)) }
                if let name = span.name { names.insert(NameKey(kind: 2, service: service, value: name)) }
            }
            for key in autocompleteKeys {
                if let value = span.tags[key] { names.insert(NameKey(kind: 3, service: key, value: value)) }
            }
        }
        self.names = names
        var postings = PostingsBuilder()
        for span in self.spans {
            postings.add(span.terms, trace: TraceRef(lo: span.lo, hi: span.hi), timestamp: span.timestamp)
        }
        postings.finish()
        self.postings = postings
    }
}
