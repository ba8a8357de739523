import LookoutModel

/// Where spans are kept and how they are found again. One implementation per storage engine;
/// every implementation runs the same conformance suite (`LookoutTestSupport`).
///
/// Stores keep raw span fragments: several spans may share an ID (the client and server halves
/// of an RPC, or parts reported late) and all are returned. An exact duplicate of a stored
/// fragment is stored once, so a reporter that retries a batch does not duplicate spans.
public protocol TraceStore: Sendable {
    /// Stores a batch. When this returns the spans are durable. When it throws, none are stored
    /// by a single store; a composite store (`ShardedTraceStore`) may have stored the part of
    /// another shard, which the client's retry completes without duplicates.
    func accept(_ spans: [Span]) async throws

    /// Traces matching `query`, newest reference timestamp first, at most `query.limit`.
    func traces(matching query: TraceQuery) async throws -> [[Span]]

    /// Every stored fragment of one trace; empty when unknown.
    func trace(id: TraceID) async throws -> [Span]

    /// The traces among `ids` that exist, in any order.
    func traces(ids: [TraceID]) async throws -> [[Span]]

    /// Distinct local service names, sorted.
    func serviceNames() async throws -> [String]

    /// Distinct remote service names seen from `service`'s spans, sorted.
    func remoteServiceNames(service: String) async throws -> [String]

    /// Distinct span names of `service`, sorted.
    func spanNames(service: String) async throws -> [String]

    /// Dependency links of traces with a span timestamp in `[endTs - lookback, endTs]` (milliseconds).
    func dependencies(endTs: Int64, lookback: Int64) async throws -> [DependencyLink]

    /// Values seen for an autocomplete key (only keys configured in `TraceStoreOptions`), sorted.
    func autocompleteValues(key: String) async throws -> [String]

    /// Deletes traces whose reference timestamp is before `cutoff` (epoch microseconds);
    /// returns how many spans were deleted.
    @discardableResult
    func deleteTraces(before cutoff: Int64) async throws -> Int
}

/// Options that change what a store returns; the same for every engine.
public struct TraceStoreOptions: Sendable, Hashable {
    /// When true (Zipkin's default) a 128-bit trace ID only matches spans with exactly that ID;
    /// when false traces are grouped and looked up on the low 64 bits.
    public var strictTraceID: Bool
    /// Tag keys whose values are offered by `/api/v2/autocompleteValues`.
    public var autocompleteKeys: [String]

    public init(strictTraceID: Bool = true, autocompleteKeys: [String] = []) {
        self.strictTraceID = strictTraceID
        self.autocompleteKeys = autocompleteKeys
    }
}
