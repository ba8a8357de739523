#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRDB
import LookoutModel
import Synchronization

extension SQLiteTraceStore {
    /// Traces are deleted in small transactions so ingest is never blocked for long.
    static let retentionChunk = 500
    /// A trace written longer ago than the retention plus this goes whatever its timestamp says,
    /// so a far-future timestamp cannot keep it (and the index segments holding it) forever.
    static let futureSkewMillis: Int64 = 86_400_000

    @discardableResult
    public func deleteTraces(before cutoff: Int64) async throws -> Int {
        // A trace without any timestamp ages by when it was written.
        let cutoffMillis = cutoff / 1000
        var deleted = 0
        while true {
            try Task.checkCancellation()
            let count = try await pool.write { db -> Int? in
                let refs = try Row.fetchAll(db, sql: """
                    SELECT trace_lo, trace_hi FROM traces WHERE ts < ?
                    UNION
                    SELECT trace_lo, trace_hi FROM traces WHERE written_at < ? AND (ts IS NULL OR written_at < ?)
                    LIMIT ?
                    """, arguments: [cutoff, cutoffMillis, cutoffMillis - Self.futureSkewMillis, Self.retentionChunk]).map { TraceRef(lo: $0[0], hi: $0[1]) }
                if refs.isEmpty { return nil }
                var spanCount = 0
                for ref in refs {
                    try db.execute(sql: "DELETE FROM spans WHERE trace_lo = ? AND trace_hi = ?", arguments: [ref.lo, ref.hi])
                    spanCount += db.changesCount
                    try db.execute(sql: "DELETE FROM traces WHERE trace_lo = ? AND trace_hi = ?", arguments: [ref.lo, ref.hi])
                }
                return spanCount
            }
            guard let count else { break }
            deleted += count
        }
        // Index segments go whole once their newest span is past the cutoff (with the window
        // slack), or once every span they index is gone; stale entries in between are harmless
        // because candidates are verified against stored spans.
        // Names not seen since the cutoff go too; the cache forgets them so they are rewritten.
        try await pool.write { db in
            let oldest = try Int64.fetchOne(db, sql: "SELECT min(id) FROM spans") ?? Int64.max
            let expired = try Int64.fetchAll(db, sql: """
                SELECT id FROM term_segments WHERE visible = 1
                  AND (max_ts < ? OR last_span < ? OR written_at < ?)
                """, arguments: [cutoff - TermSegments.windowSlackMicros, oldest, cutoffMillis - Self.futureSkewMillis])
            try TermSegments.delete(db, segments: expired)
            try db.execute(sql: "DELETE FROM names WHERE last_seen < ?", arguments: [cutoffMillis])
        }
        nameCache.withLock { cache in cache = cache.filter { $0.value >= cutoffMillis } }
        return deleted
    }
}
