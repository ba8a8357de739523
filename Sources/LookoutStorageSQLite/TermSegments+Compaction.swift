#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRDB

extension TermSegments {
    /// Merging up to this many segments of one level makes one of the next level.
    static let fanIn = 8
    /// Segments are not merged past this many pairs: a merge rewrites its inputs, and bigger
    /// segments only save a few index probes per query.
    static let maxMergedPairs: Int64 = 8_000_000
    /// Rows read per input segment per round, so memory stays bounded and ingest never waits long.
    static let mergeBatchRows = 10_000
    static let topLevel = 4

    enum Step {
        case merge(level: Int, segments: [Int64])
        /// A segment too big to merge with its neighbours moves up a level unchanged, so the
        /// level below keeps merging.
        case promote(segment: Int64)
    }

    /// The next compaction step: the oldest segments of the lowest level that has `fanIn` of
    /// them, as many as fit under the size cap.
    static func nextStep(_ db: Database) throws -> Step? {
        for level in 0..<topLevel {
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, pairs FROM term_segments WHERE visible = 1 AND level = ? ORDER BY id LIMIT ?
                """, arguments: [level, fanIn])
            guard rows.count == fanIn else { continue }
            var chosen: [Int64] = []
            var pairs: Int64 = 0
            for row in rows {
                let size: Int64 = row[1]
                if pairs + size > maxMergedPairs { break }
                pairs += size
                chosen.append(row[0])
            }
            if chosen.count >= 2 { return .merge(level: level, segments: chosen) }
            return .promote(segment: rows[0][0])
        }
        return nil
    }

    static func run(_ step: Step, pool: DatabasePool) async throws {
        switch step {
        case .merge(let level, let segments):
            try await merge(pool, level: level, segments: segments)
        case .promote(let segment):
            try await pool.write { db in
                try db.execute(sql: "UPDATE term_segments SET level = level + 1 WHERE id = ?", arguments: [segment])
            }
        }
    }

    /// Merges segments into one of the next level. Output goes to an invisible segment in small
    /// transactions; one last transaction makes it visible and deletes the inputs, so readers see
    /// either the inputs or the output.
    static func merge(_ pool: DatabasePool, level: Int, segments: [Int64]) async throws {
        let inputs = list(segments)
        let output = try await pool.write { db -> Int64 in
            // A NULL bound means "probe always"; the output keeps that if any input has it.
            let bounds = try Row.fetchOne(db, sql: """
                SELECT CASE WHEN count(min_ts) = count(*) THEN min(min_ts) END,
                       CASE WHEN count(max_ts) = count(*) THEN max(max_ts) END,
                       max(last_span), max(written_at)
                FROM term_segments WHERE id IN (\(inputs))
                """)!
            return try newSegment(db, level: level + 1, minTs: bounds[0], maxTs: bounds[1], lastSpan: bounds[2] ?? 0,
                                  writtenAt: bounds[3] ?? 0)
        }
        var pairs: Int64 = 0
        var after = Int64.min
        var finished = false
        while !finished {
            try Task.checkCancellation()
            let from = after
            // Each input is read in term order by its own primary-key range; rows up to the
            // smallest last term of the inputs that filled their batch are complete.
            let merged = try await pool.read { db -> (rows: [(Int64, [TraceRef])], bound: Int64?) in
                var byTerm: [Int64: [[TraceRef]]] = [:]
                var bound: Int64?
                for segment in segments {
                    let rows = try Row.fetchAll(db, sql: """
                        SELECT term, traces FROM term_postings WHERE segment = ? AND term > ? ORDER BY term LIMIT ?
                        """, arguments: [segment, from, mergeBatchRows])
                    for row in rows {
                        var refs: [TraceRef] = []
                        try row.withUnsafeData(atIndex: 1) { data in data?.withUnsafeBytes { Postings.decode($0, into: &refs) } }
                        byTerm[row[0], default: []].append(refs)
                    }
                    if rows.count == mergeBatchRows, let last: Int64 = rows.last?[0] { bound = min(bound ?? last, last) }
                }
                let complete = byTerm.keys.filter { bound == nil || $0 <= bound! }.sorted()
                return (complete.map { ($0, Postings.union(byTerm[$0]!)) }, bound)
            }
            if !merged.rows.isEmpty {
                try await pool.write { db in
                    let insert = try db.cachedStatement(sql: "INSERT INTO term_postings(segment, term, traces) VALUES (?, ?, ?)")
                    for (term, refs) in merged.rows {
                        try insert.execute(arguments: [output, term, Data(Postings.encode(refs))])
                    }
                }
                pairs += merged.rows.reduce(Int64(0)) { $0 + Int64($1.1.count) }
            }
            if let bound = merged.bound { after = bound } else { finished = true }
        }
        let total = pairs
        try await pool.write { db in
            try db.execute(sql: "UPDATE term_segments SET visible = 1, pairs = ? WHERE id = ?", arguments: [total, output])
            try delete(db, segments: segments)
        }
    }
}
