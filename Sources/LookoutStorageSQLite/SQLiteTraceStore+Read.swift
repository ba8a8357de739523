#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRDB
import LookoutCodecs
import LookoutModel
import LookoutStorage

extension SQLiteTraceStore {
    /// When the rarest condition of a query matches fewer traces than this, candidates come from
    /// the index; otherwise recent traces are walked newest-first, since matches are common.
    static let indexDriverThreshold = 5_000

    public func traces(matching query: TraceQuery) async throws -> [[Span]] {
        let window = query.windowMicros
        let strict = options.strictTraceID
        // Taken before the read snapshot opens, so a flush committing in between is not missed.
        let chunks = memtable.chunks
        return try await pool.read { db in
            let scopes: [String?] = query.serviceName == nil
                ? try String.fetchAll(db, sql: "SELECT service FROM names WHERE kind = 0") + [nil] : []
            let conditions = SearchTerm.conditions(for: query, scopes: scopes)
            let index = IndexReader(db: db, segments: try TermSegments.segments(db, window: window), chunks: chunks)
            var found: [[Span]] = []
            var seen = Set<Int64>()
            // Candidates are verified against the full query (durations, hash collisions,
            // non-strict grouping) before they are returned.
            func consider(_ ref: TraceRef) throws -> Bool {
                if !strict && !seen.insert(ref.lo).inserted { return false }
                let spans = try self.spans(db, ref, strict: strict)
                if query.matches(spans) { found.append(spans) }
                return found.count == query.limit
            }
            if let candidates = try index.candidates(conditions) {
                for ref in try Self.newestFirst(db, candidates, window: window) where try consider(ref) { break }
            } else {
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT trace_lo, trace_hi FROM traces INDEXED BY traces_by_ts WHERE ts BETWEEN ? AND ? ORDER BY ts DESC
                    """, arguments: [window.lowerBound, window.upperBound])
                while let row = try rows.next() {
                    try Task.checkCancellation()
                    if try consider(TraceRef(lo: row[0], hi: row[1])) { break }
                }
            }
            return found
        }
    }

    /// Candidates whose reference time is in the window, newest first.
    static func newestFirst(_ db: Database, _ refs: [TraceRef], window: ClosedRange<Int64>) throws -> [TraceRef] {
        let lookup = try db.cachedStatement(sql: "SELECT ts FROM traces WHERE trace_lo = ? AND trace_hi = ?")
        var timed: [(TraceRef, Int64)] = []
        for ref in refs {
            if let ts = try Int64.fetchOne(lookup, arguments: [ref.lo, ref.hi]), window.contains(ts) { timed.append((ref, ts)) }
        }
        return timed.sorted { $0.1 > $1.1 }.map(\.0)
    }

    /// Reads the search index: on-disk segments plus the in-memory chunks.
    struct IndexReader {
        let db: Database
        let segments: [Int64]
        let chunks: [TermMemtable.Chunk]

        func count(_ keys: [Int64]) throws -> Int {
            var total = try TermSegments.count(db, segments: segments, keys: keys)
            for chunk in chunks { for key in keys { total += chunk.postings[key]?.count ?? 0 } }
            return total
        }

        func traces(_ keys: [Int64]) throws -> Set<TraceRef> {
            var result = Set<TraceRef>()
            try TermSegments.traces(db, segments: segments, keys: keys, into: &result)
            for chunk in chunks { for key in keys { if let refs = chunk.postings[key] { result.formUnion(refs) } } }
            return result
        }

        /// The traces meeting every small condition, or nil when no condition is small enough to
        /// start from (then every recent trace is a candidate).
        func candidates(_ conditions: [[Int64]]) throws -> [TraceRef]? {
            if conditions.isEmpty { return nil }
            var counted: [(keys: [Int64], count: Int)] = []
            for keys in conditions {
                let n = try count(keys)
                if n == 0 { return [] }
                counted.append((keys, n))
            }
            counted.sort { $0.count < $1.count }
            guard counted[0].count < SQLiteTraceStore.indexDriverThreshold else { return nil }
            var result = try traces(counted[0].keys)
            for condition in counted.dropFirst() where condition.count < SQLiteTraceStore.indexDriverThreshold {
                result.formIntersection(try traces(condition.keys))
                if result.isEmpty { break }
            }
            return Array(result)
        }
    }

    func spans(_ db: Database, _ ref: TraceRef, strict: Bool) throws -> [Span] {
        let rows: RowCursor
        if strict {
            rows = try Row.fetchCursor(db, sql: "SELECT payload FROM spans WHERE trace_lo = ? AND trace_hi = ? ORDER BY id",
                                       arguments: [ref.lo, ref.hi])
        } else {
            rows = try Row.fetchCursor(db, sql: "SELECT payload FROM spans WHERE trace_lo = ? ORDER BY id", arguments: [ref.lo])
        }
        var spans: [Span] = []
        while let row = try rows.next() {
            spans.append(try Self.decodePayload(row))
        }
        return spans
    }

    static func decodePayload(_ row: Row, column: Int = 0) throws -> Span {
        try row.withUnsafeData(atIndex: column) { data in
            guard let data else { throw StorageError(.corrupt, "a stored span has no payload") }
            do {
                let spans = try data.withUnsafeBytes { raw in try ZipkinProto3.decodeSpans(raw) }
                guard spans.count == 1 else { throw StorageError(.corrupt, "a stored span payload holds \(spans.count) spans") }
                return spans[0]
            } catch {
                throw StorageError(.corrupt, "a stored span cannot be decoded", underlying: error)
            }
        }
    }

    public func trace(id: TraceID) async throws -> [Span] {
        let strict = options.strictTraceID
        return try await pool.read { db in try self.spans(db, TraceRef(id), strict: strict) }
    }

    public func traces(ids: [TraceID]) async throws -> [[Span]] {
        let strict = options.strictTraceID
        return try await pool.read { db in
            var result: [[Span]] = []
            var seen = Set<TraceRef>()
            for id in ids {
                let ref = strict ? TraceRef(id) : TraceRef(lo: Int64(bitPattern: id.low), hi: 0)
                guard seen.insert(ref).inserted else { continue }
                let spans = try self.spans(db, ref, strict: strict)
                if !spans.isEmpty { result.append(spans) }
            }
            return result
        }
    }

    public func serviceNames() async throws -> [String] {
        try await names(kind: 0, column: "service", service: nil)
    }

    public func remoteServiceNames(service: String) async throws -> [String] {
        try await names(kind: 1, column: "value", service: service.lowercased())
    }

    public func spanNames(service: String) async throws -> [String] {
        try await names(kind: 2, column: "value", service: service.lowercased())
    }

    public func autocompleteValues(key: String) async throws -> [String] {
        guard options.autocompleteKeys.contains(key) else { return [] }
        return try await names(kind: 3, column: "value", service: key)
    }

    private func names(kind: Int, column: String, service: String?) async throws -> [String] {
        if let service, service.isEmpty { return [] }
        return try await pool.read { db in
            if let service {
                return try String.fetchAll(db, sql: "SELECT value FROM names WHERE kind = ? AND service = ? ORDER BY value",
                                           arguments: [kind, service])
            }
            return try String.fetchAll(db, sql: "SELECT service FROM names WHERE kind = ? ORDER BY service", arguments: [kind])
        }
    }

    public func dependencies(endTs: Int64, lookback: Int64) async throws -> [DependencyLink] {
        if endTs <= 0 { throw QueryError("endTs <= 0") }
        if lookback <= 0 { throw QueryError("lookback <= 0") }
        let window = try TraceQuery(endTs: endTs, lookback: lookback).windowMicros
        let (start, end) = (window.lowerBound, window.upperBound)
        return try await pool.read { db in
            var linker = DependencyLinker()
            // Links ignore the high trace-ID bits, so a trace reported partly as 64-bit is linked once.
            let los = try Int64.fetchAll(db, sql: "SELECT DISTINCT trace_lo FROM traces WHERE ts BETWEEN ? AND ?",
                                         arguments: [start, end])
            for lo in los {
                try Task.checkCancellation()
                linker.putTrace(try self.spans(db, TraceRef(lo: lo, hi: 0), strict: false))
            }
            return linker.links
        }
    }
}
