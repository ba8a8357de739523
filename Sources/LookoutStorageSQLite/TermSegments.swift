#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRDB

/// Immutable segments of the search index: `term_postings(segment, term) -> sorted trace list`.
/// New segments always get the highest id, so their rows are appended at the right edge of the
/// B-tree instead of dirtying pages all over it, which is what made a plain (term, trace) index
/// the bottleneck of ingest.
enum TermSegments {
    /// Segments are probed for traces whose spans fall up to a day outside a query's window,
    /// because a trace's reference time (its root) can differ from the time of the span holding a
    /// term (long jobs, late fragments). Spans further away than that are found by ID only.
    static let windowSlackMicros: Int64 = 86_400_000_000

    struct Segment {
        var id: Int64
        var pairCount: Int64
    }

    /// Writes chunks as a new visible level-0 segment.
    static func write(_ db: Database, chunks: [TermMemtable.Chunk]) throws {
        var merged: [Int64: [[TraceRef]]] = [:]
        var minTs: Int64?
        var maxTs: Int64?
        for chunk in chunks {
            for (term, refs) in chunk.postings { merged[term, default: []].append(refs) }
            if let t = chunk.minTimestamp { minTs = min(minTs ?? t, t) }
            if let t = chunk.maxTimestamp { maxTs = max(maxTs ?? t, t) }
        }
        let id = try newSegment(db, level: 0, minTs: minTs, maxTs: maxTs, lastSpan: chunks.map(\.lastSpan).max() ?? 0,
                                writtenAt: Int64(Date().timeIntervalSince1970 * 1000))
        var pairs: Int64 = 0
        let insert = try db.cachedStatement(sql: "INSERT INTO term_postings(segment, term, traces) VALUES (?, ?, ?)")
        for term in merged.keys.sorted() {
            let refs = Postings.union(merged[term]!)
            pairs += Int64(refs.count)
            try insert.execute(arguments: [id, term, Data(Postings.encode(refs))])
        }
        try db.execute(sql: "UPDATE term_segments SET visible = 1, pairs = ? WHERE id = ?", arguments: [pairs, id])
    }

    static func newSegment(_ db: Database, level: Int, minTs: Int64?, maxTs: Int64?, lastSpan: Int64,
                           writtenAt: Int64) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO term_segments(level, min_ts, max_ts, last_span, written_at, pairs, visible) VALUES (?, ?, ?, ?, ?, 0, 0)
            """, arguments: [level, minTs, maxTs, lastSpan, writtenAt])
        return db.lastInsertedRowID
    }

    /// Visible segments that may hold terms of traces in `window` (epoch µs).
    static func segments(_ db: Database, window: ClosedRange<Int64>) throws -> [Int64] {
        let (low, lowOverflow) = window.lowerBound.subtractingReportingOverflow(windowSlackMicros)
        let (high, highOverflow) = window.upperBound.addingReportingOverflow(windowSlackMicros)
        return try Int64.fetchAll(db, sql: """
            SELECT id FROM term_segments WHERE visible = 1
              AND (max_ts IS NULL OR max_ts >= ?) AND (min_ts IS NULL OR min_ts <= ?)
            """, arguments: [lowOverflow ? Int64.min : low, highOverflow ? Int64.max : high])
    }

    /// How many (trace, key) pairs the segments hold for any of `keys`, without reading the lists.
    static func count(_ db: Database, segments: [Int64], keys: [Int64]) throws -> Int {
        if segments.isEmpty || keys.isEmpty { return 0 }
        return try Int.fetchOne(db, sql: """
            SELECT coalesce(sum(length(traces)), 0) / 16 FROM term_postings
            WHERE segment IN (\(list(segments))) AND term IN (\(list(keys)))
            """) ?? 0
    }

    /// The traces the segments hold for any of `keys`.
    static func traces(_ db: Database, segments: [Int64], keys: [Int64], into result: inout Set<TraceRef>) throws {
        if segments.isEmpty || keys.isEmpty { return }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT traces FROM term_postings WHERE segment IN (\(list(segments))) AND term IN (\(list(keys)))
            """)
        var refs: [TraceRef] = []
        while let row = try rows.next() {
            refs.removeAll(keepingCapacity: true)
            try row.withUnsafeData(atIndex: 0) { data in
                data?.withUnsafeBytes { Postings.decode($0, into: &refs) }
            }
            result.formUnion(refs)
        }
    }

    static func list(_ values: [Int64]) -> String {
        values.map(String.init).joined(separator: ",")
    }

    /// The last span row any visible segment indexes; later rows are rebuilt into memory.
    static func lastIndexedSpan(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(last_span) FROM term_segments WHERE visible = 1") ?? 0
    }

    /// Deletes segments and their postings.
    static func delete(_ db: Database, segments: [Int64]) throws {
        if segments.isEmpty { return }
        try db.execute(sql: "DELETE FROM term_postings WHERE segment IN (\(list(segments)))")
        try db.execute(sql: "DELETE FROM term_segments WHERE id IN (\(list(segments)))")
    }

    /// Removes what an interrupted compaction left: segments never made visible.
    static func removeInvisible(_ db: Database) throws {
        try delete(db, segments: try Int64.fetchAll(db, sql: "SELECT id FROM term_segments WHERE visible = 0"))
    }
}
