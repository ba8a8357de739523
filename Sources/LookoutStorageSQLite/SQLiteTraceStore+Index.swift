import GRDB
import Logging
import LookoutCodecs
import LookoutModel
import Synchronization

extension SQLiteTraceStore {
    /// Indexes, in memory, the spans written after the last segment (they were acknowledged, so
    /// they are on disk; only their in-memory index was lost). Also drops a half-done compaction.
    func rebuildMemtable() throws {
        try pool.write { db in try TermSegments.removeInvisible(db) }
        try pool.read { db in
            let last = try TermSegments.lastIndexedSpan(db)
            let rows = try Row.fetchCursor(db, sql: "SELECT id, trace_lo, trace_hi, payload FROM spans WHERE id > ? ORDER BY id",
                                           arguments: [last])
            var builder = PostingsBuilder()
            var lastSpan: Int64 = 0
            var keys: [Int64] = []
            while let row = try rows.next() {
                let span = try Self.decodePayload(row, column: 3)
                keys.removeAll(keepingCapacity: true)
                SearchTerm.keys(of: span, into: &keys)
                builder.add(keys, trace: TraceRef(lo: row[1], hi: row[2]), timestamp: span.timestamp)
                lastSpan = row[0]
            }
            builder.finish()
            if lastSpan > 0 { memtable.append(builder.chunk(lastSpan: lastSpan)) }
        }
    }

    /// Writes the in-memory chunks as a segment in a transaction of its own, then drops them.
    /// Runs on the writer's turn (the group committer), after the batch it follows is durable.
    func flushMemtable(compactAfterwards: Bool = true) async throws {
        let chunks = memtable.chunks
        if chunks.isEmpty { return }
        try await pool.write { db in try TermSegments.write(db, chunks: chunks) }
        memtable.removeFlushed(chunks.count)
        if compactAfterwards { scheduleCompaction() }
    }

    /// Merges segments in the background, one merge after another, until none is due.
    func scheduleCompaction() {
        compaction.withLock { task in
            guard task == nil else { return }
            task = Task { [pool, logger] in
                defer { self.compaction.withLock { $0 = nil } }
                do {
                    while !Task.isCancelled, let step = try await pool.read({ db in try TermSegments.nextStep(db) }) {
                        try await TermSegments.run(step, pool: pool)
                    }
                } catch is CancellationError {
                } catch let error as DatabaseError where error.resultCode == .SQLITE_INTERRUPT {
                    // Cancelled by close(); the half-written segment is invisible and removed at the next start.
                } catch {
                    logger.error("search index compaction failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}

/// Collects the postings of a run of spans: the batch of one request, or the spans a restart
/// re-indexes.
struct PostingsBuilder {
    private(set) var postings: [Int64: [TraceRef]] = [:]
    private(set) var minTimestamp: Int64?
    private(set) var maxTimestamp: Int64?

    mutating func add(_ terms: [Int64], trace: TraceRef, timestamp: Int64?) {
        for term in terms { postings[term, default: []].append(trace) }
        if let timestamp {
            minTimestamp = min(minTimestamp ?? timestamp, timestamp)
            maxTimestamp = max(maxTimestamp ?? timestamp, timestamp)
        }
    }

    /// Each term's traces sorted and unique, as chunks and segments hold them.
    mutating func finish() {
        for (term, refs) in postings { postings[term] = refs.sortedUnique() }
    }

    /// A memtable chunk of these postings; `finish()` must have run.
    func chunk(lastSpan: Int64) -> TermMemtable.Chunk {
        TermMemtable.Chunk(postings: postings, lastSpan: lastSpan, minTimestamp: minTimestamp, maxTimestamp: maxTimestamp)
    }
}

extension Array where Element == TraceRef {
    func sortedUnique() -> [TraceRef] {
        if count < 2 { return self }
        var result = sorted()
        var write = 1
        for read in 1..<result.count where result[read] != result[write - 1] {
            result[write] = result[read]
            write += 1
        }
        result.removeLast(result.count - write)
        return result
    }
}

extension SQLiteTraceStore {
    /// Waits until no merge is running or due.
    func waitForCompaction() async {
        while let task = compaction.withLock({ $0 }) { await task.value }
    }
}
