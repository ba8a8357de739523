import LookoutModel

/// Spreads traces over several stores by the low 64 bits of the trace ID, so that each shard
/// has its own writer. Routing on the low bits keeps every trace whole in one shard, including
/// traces reported partly with 64-bit and partly with 128-bit IDs, so non-strict lookups and
/// dependency links need no cross-shard merging of spans.
///
/// A batch is split by shard and written concurrently. If one shard fails, the others may have
/// stored their part; the client is answered with an error and its retry completes the batch
/// without duplicates, because every store ignores exact duplicates.
public struct ShardedTraceStore: TraceStore {
    public let shards: [any TraceStore]

    public init(shards: [any TraceStore]) {
        precondition(!shards.isEmpty, "a sharded store needs at least one shard")
        self.shards = shards
    }

    func shardIndex(_ id: TraceID) -> Int {
        // Mixed so that sequential low bits (some tracers count) still spread evenly.
        var x = id.low
        x = (x ^ (x >> 33)) &* 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        return Int(x % UInt64(shards.count))
    }

    public func accept(_ spans: [Span]) async throws {
        if shards.count == 1 { return try await shards[0].accept(spans) }
        var parts = Array(repeating: [Span](), count: shards.count)
        for span in spans { parts[shardIndex(span.traceID)].append(span) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, part) in parts.enumerated() where !part.isEmpty {
                let shard = shards[index]
                group.addTask { try await shard.accept(part) }
            }
            try await group.waitForAll()
        }
    }

    public func traces(matching query: TraceQuery) async throws -> [[Span]] {
        let all = try await fanOut { try await $0.traces(matching: query) }
        // Each shard returns its newest `limit`; the newest `limit` overall are among them.
        let ordered = all.joined().map { ($0, TraceQuery.referenceTimestamp(of: $0) ?? 0) }
            .sorted { $0.1 > $1.1 }
        return ordered.prefix(query.limit).map(\.0)
    }

    public func trace(id: TraceID) async throws -> [Span] {
        try await shards[shardIndex(id)].trace(id: id)
    }

    public func traces(ids: [TraceID]) async throws -> [[Span]] {
        var parts = Array(repeating: [TraceID](), count: shards.count)
        for id in ids { parts[shardIndex(id)].append(id) }
        return try await withThrowingTaskGroup(of: [[Span]].self) { group in
            for (index, part) in parts.enumerated() where !part.isEmpty {
                let shard = shards[index]
                group.addTask { try await shard.traces(ids: part) }
            }
            var result: [[Span]] = []
            for try await traces in group { result += traces }
            return result
        }
    }

    public func serviceNames() async throws -> [String] {
        try await unionOfNames { try await $0.serviceNames() }
    }

    public func remoteServiceNames(service: String) async throws -> [String] {
        try await unionOfNames { try await $0.remoteServiceNames(service: service) }
    }

    public func spanNames(service: String) async throws -> [String] {
        try await unionOfNames { try await $0.spanNames(service: service) }
    }

    public func autocompleteValues(key: String) async throws -> [String] {
        try await unionOfNames { try await $0.autocompleteValues(key: key) }
    }

    public func dependencies(endTs: Int64, lookback: Int64) async throws -> [DependencyLink] {
        DependencyLinker.merge(try await fanOut { try await $0.dependencies(endTs: endTs, lookback: lookback) }.flatMap { $0 })
    }

    public func deleteTraces(before cutoff: Int64) async throws -> Int {
        try await fanOut { try await $0.deleteTraces(before: cutoff) }.reduce(0, +)
    }

    private func unionOfNames(_ names: @escaping @Sendable (any TraceStore) async throws -> [String]) async throws -> [String] {
        Array(Set(try await fanOut(names).joined())).sorted()
    }

    /// Runs `body` on every shard concurrently; results in shard order.
    private func fanOut<T: Sendable>(_ body: @escaping @Sendable (any TraceStore) async throws -> T) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            for (index, shard) in shards.enumerated() {
                group.addTask { (index, try await body(shard)) }
            }
            var results = [T?](repeating: nil, count: shards.count)
            for try await (index, value) in group { results[index] = value }
            return results.map { $0! }
        }
    }
}
