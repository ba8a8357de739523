/// Settings of the time-series engine; each limit refuses only the offending series.
public struct TSDBOptions: Sendable {
    /// How long samples are kept (milliseconds). Prometheus' default: 15 days.
    public var retentionMillis: Int64 = 15 * 24 * 3_600_000
    /// How far behind a series' newest sample a late sample may be and still be stored.
    public var outOfOrderWindowMillis: Int64 = 10 * 60_000
    public var maxSeries = 2_000_000
    public var maxSeriesPerMetric = 200_000
    public var maxLabelsPerSeries = 64
    public var maxLabelNameLength = 1024
    public var maxLabelValueLength = 4096
    /// Samples per chunk before it is closed, as Prometheus' head does.
    public var chunkSamples = 120
    /// How often closed chunks move from memory to the chunk store.
    public var flushInterval: Duration = .seconds(1)
    /// How often retention runs.
    public var retentionInterval: Duration = .seconds(3600)
    public var walSegmentBytes = 64 << 20
    /// Appends waiting for the log beyond this many bytes are refused as overload.
    public var maxQueuedWALBytes = 256 << 20
    /// A head chunk that keeps older log segments than this many behind the newest is closed
    /// early, which bounds the log (and restart time) for series that rarely get samples.
    public var maxWALSegmentsBehind = 4
    /// How long an applied idempotency key is remembered.
    public var idempotencyKeyMillis: Int64 = 24 * 3_600_000

    public init() {}
}

/// Where the engine reports its timings; the server turns them into metrics.
public struct TSDBInstrumentation: Sendable {
    public var walSync: @Sendable (Double) -> Void
    public var flush: @Sendable (Double) -> Void

    public init(walSync: @escaping @Sendable (Double) -> Void = { _ in }, flush: @escaping @Sendable (Double) -> Void = { _ in }) {
        self.walSync = walSync
        self.flush = flush
    }
}

