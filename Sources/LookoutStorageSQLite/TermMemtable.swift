import Synchronization

/// The newest part of the search index, in memory: one immutable chunk per committed write
/// transaction, until the chunks are flushed to a segment. Readers take the chunk list (cheap:
/// an array of references) before opening their database snapshot, so a flush that commits in
/// between is seen at least once, never missed.
final class TermMemtable: Sendable {
    final class Chunk: Sendable {
        let postings: [Int64: [TraceRef]]
        let pairCount: Int
        /// The rows of `spans` this chunk indexes, to resume from after a restart.
        let lastSpan: Int64
        let minTimestamp: Int64?
        let maxTimestamp: Int64?

        init(postings: [Int64: [TraceRef]], lastSpan: Int64, minTimestamp: Int64?, maxTimestamp: Int64?) {
            self.postings = postings
            self.pairCount = postings.values.reduce(0) { $0 + $1.count }
            self.lastSpan = lastSpan
            self.minTimestamp = minTimestamp
            self.maxTimestamp = maxTimestamp
        }
    }

    private struct State {
        var chunks: [Chunk] = []
        var pairCount = 0
        var oldestAt: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    func append(_ chunk: Chunk) {
        state.withLock { state in
            state.chunks.append(chunk)
            state.pairCount += chunk.pairCount
            if state.oldestAt == nil { state.oldestAt = .now }
        }
    }

    var chunks: [Chunk] { state.withLock { $0.chunks } }

    /// Whether the chunks are big or old enough to become a segment.
    func shouldFlush(maxPairs: Int, maxAge: Duration) -> Bool {
        state.withLock { state in
            guard let oldest = state.oldestAt, !state.chunks.isEmpty else { return false }
            return state.pairCount >= maxPairs || ContinuousClock.now - oldest >= maxAge
        }
    }

    /// Drops the first `count` chunks once their segment is committed.
    func removeFlushed(_ count: Int) {
        state.withLock { state in
            let flushed = state.chunks.prefix(count)
            state.pairCount -= flushed.reduce(0) { $0 + $1.pairCount }
            state.chunks.removeFirst(min(count, state.chunks.count))
            state.oldestAt = state.chunks.isEmpty ? nil : .now
        }
    }
}
