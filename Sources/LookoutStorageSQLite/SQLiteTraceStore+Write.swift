#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRDB
import GRDBSQLite
import LookoutCodecs
import LookoutModel
import LookoutStorage
import Synchronization

/// sqlite3's SQLITE_TRANSIENT is a macro Swift cannot import.
let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension SQLiteTraceStore {
    /// Names are rewritten at most this often (ms), so `last_seen` stays useful for retention
    /// without a write per span.
    static let nameRefreshInterval: Int64 = 3_600_000

    private struct TraceKey: Hashable {
        var lo: Int64
        var hi: Int64
    }

    private struct TermRow: Hashable {
        var term: Int64
        var lo: Int64
        var hi: Int64
    }

    private struct TraceTimes {
        var rootTs: Int64?
        var minTs: Int64?
    }

    /// Writes several accepted batches in one transaction, with prepared statements bound
    /// through the C API (GRDB's boxed arguments cost about 40% here).
    func write(_ batches: [[Span]]) async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let names = newNames(in: batches, now: now)
        try await pool.write { db in
            let insertSpan = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO spans(trace_lo, trace_hi, service, duration, fingerprint, payload)
                VALUES (?, ?, ?, ?, ?, ?)
                """).sqliteStatement
            let insertTerm = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO trace_terms(term, trace_lo, trace_hi) VALUES (?, ?, ?)
                """).sqliteStatement
            let upsertTrace = try db.cachedStatement(sql: """
                INSERT INTO traces(trace_lo, trace_hi, root_ts, min_ts, ts, written_at)
                VALUES (?1, ?2, ?3, ?4, coalesce(?3, ?4), ?5)
                ON CONFLICT(trace_lo, trace_hi) DO UPDATE SET
                    root_ts = coalesce(root_ts, excluded.root_ts),
                    min_ts = coalesce(min(min_ts, excluded.min_ts), min_ts, excluded.min_ts),
                    ts = coalesce(root_ts, excluded.root_ts,
                                  min(min_ts, excluded.min_ts), min_ts, excluded.min_ts)
                """).sqliteStatement
            let db3 = db.sqliteConnection

            var times: [TraceKey: TraceTimes] = [:]
            var traceOrder: [TraceKey] = []
            var terms = Set<TermRow>()
            var termKeys: [Int64] = []
            var payload: [UInt8] = []
            payload.reserveCapacity(1024)

            for spans in batches {
                for span in spans {
                    let key = TraceKey(lo: Int64(bitPattern: span.traceID.low), hi: Int64(bitPattern: span.traceID.high))
                    payload.removeAll(keepingCapacity: true)
                    ZipkinJSONV2Encoder.encode(span, into: &payload)
                    let fingerprint = Fingerprint.of(payload)

                    sqlite3_reset(insertSpan)
                    sqlite3_bind_int64(insertSpan, 1, key.lo)
                    sqlite3_bind_int64(insertSpan, 2, key.hi)
                    if let service = span.localServiceName {
                        sqlite3_bind_text(insertSpan, 3, service, -1, SQLITE_TRANSIENT)
                    } else {
                        sqlite3_bind_null(insertSpan, 3)
                    }
                    if let duration = span.duration {
                        sqlite3_bind_int64(insertSpan, 4, duration)
                    } else {
                        sqlite3_bind_null(insertSpan, 4)
                    }
                    sqlite3_bind_int64(insertSpan, 5, fingerprint)
                    payload.withUnsafeBytes { bytes in
                        _ = sqlite3_bind_blob(insertSpan, 6, bytes.baseAddress, Int32(bytes.count), SQLITE_TRANSIENT)
                    }
                    try step(insertSpan, db3)
                    // An exact duplicate of a stored fragment changes nothing else either.
                    if sqlite3_changes(db3) == 0 { continue }

                    if var entry = times[key] {
                        if let ts = span.timestamp {
                            if span.parentID == nil, entry.rootTs == nil { entry.rootTs = ts }
                            entry.minTs = min(entry.minTs ?? ts, ts)
                            times[key] = entry
                        }
                    } else {
                        let ts = span.timestamp
                        times[key] = TraceTimes(rootTs: span.parentID == nil ? ts : nil, minTs: ts)
                        traceOrder.append(key)
                    }

                    termKeys.removeAll(keepingCapacity: true)
                    SearchTerm.keys(of: span, into: &termKeys)
                    for term in termKeys where terms.insert(TermRow(term: term, lo: key.lo, hi: key.hi)).inserted {
                        sqlite3_reset(insertTerm)
                        sqlite3_bind_int64(insertTerm, 1, term)
                        sqlite3_bind_int64(insertTerm, 2, key.lo)
                        sqlite3_bind_int64(insertTerm, 3, key.hi)
                        try step(insertTerm, db3)
                    }
                }
            }

            for key in traceOrder {
                let entry = times[key]!
                sqlite3_reset(upsertTrace)
                sqlite3_bind_int64(upsertTrace, 1, key.lo)
                sqlite3_bind_int64(upsertTrace, 2, key.hi)
                if let root = entry.rootTs { sqlite3_bind_int64(upsertTrace, 3, root) } else { sqlite3_bind_null(upsertTrace, 3) }
                if let minTs = entry.minTs { sqlite3_bind_int64(upsertTrace, 4, minTs) } else { sqlite3_bind_null(upsertTrace, 4) }
                sqlite3_bind_int64(upsertTrace, 5, now)
                try step(upsertTrace, db3)
            }

            for name in names {
                try db.execute(
                    sql: """
                        INSERT INTO names(kind, service, value, last_seen) VALUES (?, ?, ?, ?)
                        ON CONFLICT(kind, service, value) DO UPDATE SET last_seen = excluded.last_seen
                        """,
                    arguments: [name.kind, name.service, name.value, now])
            }
        }
        nameCache.withLock { cache in
            for name in names { cache[name] = now }
        }
    }

    private func step(_ statement: OpaquePointer?, _ db: OpaquePointer?) throws {
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db)))
        }
    }

    /// Names not written within the refresh interval; most batches yield none.
    private func newNames(in batches: [[Span]], now: Int64) -> [NameKey] {
        var seen = Set<NameKey>()
        for spans in batches {
            for span in spans {
                if let service = span.localServiceName {
                    seen.insert(NameKey(kind: 0, service: service, value: ""))
                    if let remote = span.remoteServiceName { seen.insert(NameKey(kind: 1, service: service, value: remote)) }
                    if let name = span.name { seen.insert(NameKey(kind: 2, service: service, value: name)) }
                }
                for key in options.autocompleteKeys {
                    if let value = span.tags[key] { seen.insert(NameKey(kind: 3, service: key, value: value)) }
                }
            }
        }
        return nameCache.withLock { cache in
            seen.filter { name in
                guard let last = cache[name] else { return true }
                return now - last >= SQLiteTraceStore.nameRefreshInterval
            }
        }
    }
}
