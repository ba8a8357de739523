public import LookoutModel

/// A Zipkin v1 span (the model behind `POST /api/v1/spans`), with IDs already parsed.
///
/// v1 describes an RPC once, as seen by every host that took part: "core" annotations (`cs`, `sr`,
/// `ss`, `cr`, `ms`, `mr`, `ws`, `wr`) each carry the endpoint that logged them, and address binary
/// annotations (`ca`, `sa`, `ma`) name the peers. `V1SpanConverter` turns it into v2 spans.
public struct V1Span: Hashable, Sendable {
    /// The full trace ID; a 128-bit v1 ID (`traceIdHigh` + `traceId`) is `TraceID(high:low:)`.
    public var traceID: TraceID
    public var parentID: UInt64?
    public var id: UInt64
    public var name: String?
    /// Epoch microseconds; absent (or zero) when the span was not started by the reporter, which
    /// v1 uses to mean "shared" for the server side of an RPC.
    public var timestamp: Int64?
    /// Microseconds.
    public var duration: Int64?
    public var annotations: [V1Annotation]
    public var binaryAnnotations: [V1BinaryAnnotation]
    public var debug: Bool

    public init(
        traceID: TraceID,
        parentID: UInt64? = nil,
        id: UInt64,
        name: String? = nil,
        timestamp: Int64? = nil,
        duration: Int64? = nil,
        annotations: [V1Annotation] = [],
        binaryAnnotations: [V1BinaryAnnotation] = [],
        debug: Bool = false
    ) {
        self.traceID = traceID
        self.parentID = parentID
        self.id = id
        self.name = name
        self.timestamp = timestamp
        self.duration = duration
        self.annotations = annotations
        self.binaryAnnotations = binaryAnnotations
        self.debug = debug
    }

    /// v1's separate `traceIdHigh` field: the upper 64 bits of a 128-bit trace ID, `nil` for 64-bit.
    public var traceIDHigh: UInt64? {
        get { traceID.high == 0 ? nil : traceID.high }
        set { traceID.high = newValue ?? 0 }
    }
}

/// A v1 annotation: an event, and the endpoint of the host that logged it.
public struct V1Annotation: Hashable, Sendable {
    /// Epoch microseconds.
    public var timestamp: Int64
    public var value: String
    public var endpoint: Endpoint?

    public init(timestamp: Int64, value: String, endpoint: Endpoint? = nil) {
        self.timestamp = timestamp
        self.value = value
        self.endpoint = endpoint
    }
}

/// A v1 binary annotation. Only string values become v2 tags, so `value` is that string.
///
/// The address annotations `ca`, `sa` and `ma` are recognised by key alone: their value (`true`
/// in well-formed v1 JSON, sometimes `"1"` or `"true"` from old tracers) does not matter; their
/// endpoint does.
public struct V1BinaryAnnotation: Hashable, Sendable {
    public var key: String
    public var value: String
    public var endpoint: Endpoint?

    public init(key: String, value: String, endpoint: Endpoint? = nil) {
        self.key = key
        self.value = value
        self.endpoint = endpoint
    }

    /// An address annotation (`ca`, `sa` or `ma`) for `endpoint`.
    public static func address(_ key: String, _ endpoint: Endpoint) -> V1BinaryAnnotation {
        V1BinaryAnnotation(key: key, value: "true", endpoint: endpoint)
    }
}
