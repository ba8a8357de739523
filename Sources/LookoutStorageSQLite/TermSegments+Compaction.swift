#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRDB

extension TermSegments {
    /// Merging this many segments of one level makes one of the next level.
    static let fanIn = 8
    /// Segments are not merged past this many pairs: a merge rewrites its inputs, and bigger
    /// segments only save a few index probes per query.
    static let maxMergedPairs: Int64 = 8_000_000
    /// Output is written in transactions of this many terms so ingest never waits long.
    static let mergeBatchTerms = 20_000

    /// Picks the oldest `fanIn` segments of the lowest level that has that many, if the merge
    /// stays under the size cap.
    static func pickMerge(_ db: Database) throws -> (level: Int, segments: [Int64])? {
        for level in 0..<4 {
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, pairs FROM term_segments WHERE visible = 1 AND level = ? ORDER BY id LIMIT ?
                """, arguments: [level, fanIn])
            guard rows.count == fanIn else { continue }
            let pairs = rows.reduce(Int64(0)) { $0 + ($1[1] as Int64) }
            if pairs <= maxMergedPairs { return (level, rows.map { $0[0] }) }
        }
        return nil
    }

    /// Merges segments into one of the next level. Output goes to an invisible segment in small
    /// transactions; one last transaction makes it visible and deletes the inputs, so readers see
    /// either the inputs or the output.
    static func merge(_ pool: DatabasePool, level: Int, segments: [Int64]) async throws {
        let inputs = list(segments)
        let output = try await pool.write { db -> Int64 in
            let bounds = try Row.fetchOne(db, sql: """
                SELECT min(min_ts), max(max_ts), max(last_span) FROM term_segments WHERE id IN (\(inputs))
                """)!
            return try newSegment(db, level: level + 1, minTs: bounds[0], maxTs: bounds[1], lastSpan: bounds[2] ?? 0)
        }
        var pairs: Int64 = 0
        var after: Int64? = nil
        while true {
            try Task.checkCancellation()
            // Read a run of terms from the inputs (their lists are immutable), then write it.
            let limit = mergeBatchTerms * fanIn
            let afterTerm = after
            let (batch, full) = try await pool.read { db -> ([(Int64, [TraceRef])], Bool) in
                var sql = "SELECT term, traces FROM term_postings WHERE segment IN (\(inputs))"
                var arguments: StatementArguments = []
                if let afterTerm {
                    sql += " AND term > ?"
                    arguments += [afterTerm]
                }
                sql += " ORDER BY term LIMIT \(limit)"
                var byTerm: [(Int64, [[TraceRef]])] = []
                var rowCount = 0
                let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                while let row = try rows.next() {
                    rowCount += 1
                    let term: Int64 = row[0]
                    var refs: [TraceRef] = []
                    try row.withUnsafeData(atIndex: 1) { data in data?.withUnsafeBytes { Postings.decode($0, into: &refs) } }
                    if byTerm.last?.0 == term { byTerm[byTerm.count - 1].1.append(refs) } else { byTerm.append((term, [refs])) }
                }
                return (byTerm.map { ($0.0, Postings.union($0.1)) }, rowCount == limit)
            }
            // A full read may have cut the last term's rows short; it is read again next round.
            let toWrite = full ? Array(batch.dropLast()) : batch
            if toWrite.isEmpty { break }
            try await pool.write { db in
                let insert = try db.cachedStatement(sql: "INSERT INTO term_postings(segment, term, traces) VALUES (?, ?, ?)")
                for (term, refs) in toWrite {
                    try insert.execute(arguments: [output, term, Data(Postings.encode(refs))])
                }
            }
            pairs += toWrite.reduce(Int64(0)) { $0 + Int64($1.1.count) }
            after = toWrite.last!.0
            if !full { break }
        }
        let total = pairs
        try await pool.write { db in
            try db.execute(sql: "UPDATE term_segments SET visible = 1, pairs = ? WHERE id = ?", arguments: [total, output])
            try db.execute(sql: "DELETE FROM term_postings WHERE segment IN (\(inputs))")
            try db.execute(sql: "DELETE FROM term_segments WHERE id IN (\(inputs))")
        }
    }
}
