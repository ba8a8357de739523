import LookoutModel

/// The persistent half of the time-series engine: series, their closed chunks, metadata and
/// the idempotency keys of applied batches. The in-memory head and the write-ahead log sit in
/// front of it; one implementation per database engine. Calls block and may run on any thread.
public protocol MetricChunkStore: Sendable {
    /// Every series with the end of its last in-order chunk, to rebuild the index on start.
    func loadSeries() throws -> [PersistedSeries]

    /// Writes one flush atomically: new series first, then chunks, metadata, exemplars, keys.
    func write(_ flush: ChunkFlush) throws

    /// Chunks of the given series overlapping `[from, through]`, ordered by series then start.
    func chunks(series: [UInt64], from: Int64, through: Int64) throws -> [StoredChunk]

    /// Drops chunks that end before `cutoff`, series left with no chunk among `idleSeries`, and
    /// keys and exemplars older than the cutoff. One transaction: readers see all or nothing.
    func deleteBefore(_ cutoff: Int64, idleSeries: Set<UInt64>) throws -> RetentionResult

    func loadMetadata() throws -> [MetricMetadata]
    func loadIdempotencyKeys(since: Int64) throws -> [String: Int64]
    func exemplars(series: [UInt64], from: Int64, through: Int64) throws -> [(UInt64, Exemplar)]

    /// Bytes the store occupies on disk.
    func diskBytes() -> Int64
}

public struct PersistedSeries: Sendable {
    public var ref: UInt64
    public var labels: Labels
    /// The last timestamp of the series' in-order chunks, or nil when it has none.
    public var inOrderMaxTime: Int64?
    /// The time range of all its chunks.
    public var minTime: Int64?
    public var maxTime: Int64?
    /// The last timestamp of its out-of-order chunks, or nil when it has none.
    public var outOfOrderMaxTime: Int64?

    public init(ref: UInt64, labels: Labels, inOrderMaxTime: Int64?, minTime: Int64? = nil, maxTime: Int64? = nil,
                outOfOrderMaxTime: Int64? = nil) {
        self.ref = ref
        self.labels = labels
        self.inOrderMaxTime = inOrderMaxTime
        self.minTime = minTime
        self.maxTime = maxTime
        self.outOfOrderMaxTime = outOfOrderMaxTime
    }
}

public struct StoredChunk: Sendable {
    /// Whether the chunk came from the in-order head (chunks of a series never overlap) or from
    /// late samples (may overlap anything; readers merge).
    public enum Kind: UInt8, Sendable {
        case inOrder = 0
        case outOfOrder = 1
    }

    public var series: UInt64
    public var minTime: Int64
    public var maxTime: Int64
    public var kind: Kind
    public var encoding: UInt8
    public var data: [UInt8]

    public init(series: UInt64, minTime: Int64, maxTime: Int64, kind: Kind, encoding: UInt8, data: [UInt8]) {
        self.series = series
        self.minTime = minTime
        self.maxTime = maxTime
        self.kind = kind
        self.encoding = encoding
        self.data = data
    }
}

public struct ChunkFlush: Sendable {
    public var newSeries: [PersistedSeries] = []
    public var chunks: [StoredChunk] = []
    public var metadata: [MetricMetadata] = []
    public var exemplars: [(UInt64, Exemplar)] = []
    public var idempotencyKeys: [(String, Int64)] = []

    public init() {}

    public var isEmpty: Bool {
        newSeries.isEmpty && chunks.isEmpty && metadata.isEmpty && exemplars.isEmpty && idempotencyKeys.isEmpty
    }
}

public struct RetentionResult: Sendable, Equatable {
    public var chunksDeleted = 0
    public var seriesDeleted: [UInt64] = []

    public init(chunksDeleted: Int = 0, seriesDeleted: [UInt64] = []) {
        self.chunksDeleted = chunksDeleted
        self.seriesDeleted = seriesDeleted
    }
}
