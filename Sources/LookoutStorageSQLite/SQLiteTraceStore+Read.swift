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
    struct TraceRef: Hashable {
        var lo: Int64
        var hi: Int64
        init(lo: Int64, hi: Int64) { self.lo = lo; self.hi = hi }
        init(_ id: TraceID) { self.init(lo: Int64(bitPattern: id.low), hi: Int64(bitPattern: id.high)) }
    }

    /// When the rarest term of a query has fewer traces than this, candidates come from the term
    /// index; otherwise recent traces are walked newest-first and checked against every term.
    static let termDriverThreshold = 5_000

    public func traces(matching query: TraceQuery) async throws -> [[Span]] {
        let window = query.windowMicros
        let strict = options.strictTraceID
        return try await pool.read { db in
            let scopes: [String?] = query.serviceName == nil
                ? try String.fetchAll(db, sql: "SELECT service FROM names WHERE kind = 0") + [nil] : []
            let conditions = SearchTerm.conditions(for: query, scopes: scopes)
            var found: [[Span]] = []
            var seen = Set<Int64>()
            var offset = 0
            // Candidates are verified against the full query (hash collisions, non-strict
            // grouping), so fetch in pages until `limit` traces are verified or none are left.
            let page = max(query.limit * 2, 20)
            while found.count < query.limit {
                let candidates = try self.candidates(db, conditions: conditions, query: query, window: window, offset: offset, count: page)
                offset += candidates.count
                for ref in candidates {
                    if !strict && !seen.insert(ref.lo).inserted { continue }
                    let spans = try self.spans(db, ref, strict: strict)
                    if query.matches(spans) { found.append(spans) }
                    if found.count == query.limit { break }
                }
                if candidates.count < page { break }
            }
            return found
        }
    }

    private func candidates(_ db: Database, conditions: [[Int64]], query: TraceQuery, window: ClosedRange<Int64>,
                            offset: Int, count: Int) throws -> [TraceRef] {
        var arguments: StatementArguments = [window.lowerBound, window.upperBound]
        var filters: [String] = []
        func list(_ keys: [Int64]) -> String { keys.map(String.init).joined(separator: ",") }
        var driver: Int?
        if !conditions.isEmpty {
            var best: (index: Int, count: Int)?
            for (index, keys) in conditions.enumerated() {
                let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM trace_terms WHERE term IN (\(list(keys))) LIMIT ?)",
                                         arguments: [Self.termDriverThreshold]) ?? 0
                if n == 0 { return [] }
                if best == nil || n < best!.count { best = (index, n) }
            }
            if let best, best.count < Self.termDriverThreshold { driver = best.index }
        }
        for (index, keys) in conditions.enumerated() where index != driver {
            filters.append("EXISTS (SELECT 1 FROM trace_terms x WHERE x.term IN (\(list(keys))) AND x.trace_lo = t.trace_lo AND x.trace_hi = t.trace_hi)")
        }
        if let minDuration = query.minDuration {
            var clause = "EXISTS (SELECT 1 FROM spans s WHERE s.trace_lo = t.trace_lo AND s.trace_hi = t.trace_hi AND s.duration BETWEEN ? AND ?"
            arguments += [minDuration, query.maxDuration ?? Int64.max]
            if let service = query.serviceName {
                clause += " AND s.service = ?"
                arguments += [service]
            }
            filters.append(clause + ")")
        }
        let whereClause = (["t.ts BETWEEN ? AND ?"] + filters).joined(separator: " AND ")
        let sql: String
        if let driver {
            sql = """
                SELECT DISTINCT t.trace_lo, t.trace_hi, t.ts FROM trace_terms d
                JOIN traces t ON t.trace_lo = d.trace_lo AND t.trace_hi = d.trace_hi
                WHERE d.term IN (\(list(conditions[driver]))) AND \(whereClause)
                ORDER BY t.ts DESC LIMIT \(count) OFFSET \(offset)
                """
        } else {
            sql = """
                SELECT t.trace_lo, t.trace_hi FROM traces t INDEXED BY traces_by_ts
                WHERE \(whereClause) ORDER BY t.ts DESC LIMIT \(count) OFFSET \(offset)
                """
        }
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { TraceRef(lo: $0[0], hi: $0[1]) }
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

    static func decodePayload(_ row: Row) throws -> Span {
        try row.withUnsafeData(atIndex: 0) { data in
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
