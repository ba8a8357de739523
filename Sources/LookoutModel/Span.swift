/// A Zipkin v2 span, normalised the way Zipkin's span builder normalises it.
///
/// Construct spans through `init`, which applies the rules: names lower-cased, empty strings
/// absent, non-positive timestamps and durations absent, a self-referencing parent dropped,
/// `shared` removed from CLIENT spans, annotations sorted and de-duplicated.
public struct Span: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case client = "CLIENT"
        case server = "SERVER"
        case producer = "PRODUCER"
        case consumer = "CONSUMER"
    }

    public var traceID: TraceID
    public var parentID: UInt64?
    public var id: UInt64
    public var kind: Kind?
    public var name: String?
    /// Epoch microseconds.
    public var timestamp: Int64?
    /// Microseconds.
    public var duration: Int64?
    public var localEndpoint: Endpoint?
    public var remoteEndpoint: Endpoint?
    public var annotations: [Annotation]
    public var tags: [String: String]
    public var debug: Bool
    public var shared: Bool

    public init(
        traceID: TraceID,
        parentID: UInt64? = nil,
        id: UInt64,
        kind: Kind? = nil,
        name: String? = nil,
        timestamp: Int64? = nil,
        duration: Int64? = nil,
        localEndpoint: Endpoint? = nil,
        remoteEndpoint: Endpoint? = nil,
        annotations: [Annotation] = [],
        tags: [String: String] = [:],
        debug: Bool = false,
        shared: Bool = false
    ) {
        self.traceID = traceID
        self.id = id
        self.parentID = (parentID == 0 || parentID == id) ? nil : parentID
        self.kind = kind
        self.name = name.flatMap { $0.isEmpty ? nil : $0.lowercasedForZipkin }
        self.timestamp = timestamp.flatMap { $0 > 0 ? $0 : nil }
        self.duration = duration.flatMap { $0 > 0 ? $0 : nil }
        self.localEndpoint = localEndpoint.flatMap { $0.isEmpty ? nil : $0 }
        self.remoteEndpoint = remoteEndpoint.flatMap { $0.isEmpty ? nil : $0 }
        self.annotations = Span.sortedUnique(annotations)
        self.tags = tags
        self.debug = debug
        self.shared = kind == .client ? false : shared
    }

    public var localServiceName: String? { localEndpoint?.serviceName }
    public var remoteServiceName: String? { remoteEndpoint?.serviceName }

    static func sortedUnique(_ annotations: [Annotation]) -> [Annotation] {
        if annotations.count < 2 { return annotations }
        var isSortedUnique = true
        for i in 1..<annotations.count where !(annotations[i - 1] < annotations[i]) {
            isSortedUnique = false
            break
        }
        if isSortedUnique { return annotations }
        var result: [Annotation] = []
        result.reserveCapacity(annotations.count)
        for annotation in annotations.sorted() where result.last != annotation {
            result.append(annotation)
        }
        return result
    }
}

extension String {
    /// Lower-cased as Zipkin lower-cases names, without allocating when it already is (the
    /// common case on the ingest path).
    var lowercasedForZipkin: String {
        var needsWork = false
        for byte in utf8 where byte >= 0x80 || (byte >= 0x41 && byte <= 0x5A) {
            needsWork = true
            break
        }
        return needsWork ? lowercased() : self
    }
}
