#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRDB
import GRDBSQLite
import LookoutModel
import LookoutStorage
import Synchronization

extension SQLiteTraceStore {
    /// Names are rewritten at most this often (ms), so `last_seen` stays useful for retention
    /// without a write per span.
    static let nameRefreshInterval: Int64 = 3_600_000

    private struct TraceKey: Hashable {
        var lo: Int64
        var hi: Int64
    }

    private struct TraceTimes {
        var rootTs: Int64?
        var minTs: Int64?
    }

    /// Writes several accepted batches in one transaction, with prepared statements bound
    /// through the C API (GRDB's boxed arguments cost about 40% here).
    func write(_ batches: [PreparedBatch]) async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let names = namesToWrite(batches, now: now)
        let lastSpan = try await pool.write { db -> Int64 in
            let insertSpan = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO spans(trace_lo, trace_hi, fingerprint, payload) VALUES (?, ?, ?, ?)
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
            var lastSpan: Int64 = 0

            for batch in batches {
                for span in batch.spans {
                    sqlite3_reset(insertSpan)
                    sqlite3_bind_int64(insertSpan, 1, span.lo)
                    sqlite3_bind_int64(insertSpan, 2, span.hi)
                    sqlite3_bind_int64(insertSpan, 3, span.fingerprint)
                    // Bound without a copy (nil destructor = SQLITE_STATIC): the bytes stay valid
                    // until the step inside the closure has run.
                    try span.payload.withUnsafeBytes { bytes in
                        sqlite3_bind_blob(insertSpan, 4, bytes.baseAddress, Int32(bytes.count), nil)
                        defer { sqlite3_clear_bindings(insertSpan) }
                        try step(insertSpan, db3)
                    }
                    // An exact duplicate of a stored fragment changes nothing else either.
                    if sqlite3_changes(db3) == 0 { continue }

                    let key = TraceKey(lo: span.lo, hi: span.hi)
                    if var entry = times[key] {
                        if let ts = span.timestamp {
                            if span.isRoot, entry.rootTs == nil { entry.rootTs = ts }
                            entry.minTs = min(entry.minTs ?? ts, ts)
                            times[key] = entry
                        }
                    } else {
                        times[key] = TraceTimes(rootTs: span.isRoot ? span.timestamp : nil, minTs: span.timestamp)
                        traceOrder.append(key)
                    }
                    lastSpan = sqlite3_last_insert_rowid(db3)
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
            return lastSpan
        }
        // Only now, committed, do the new terms become searchable (before the client is answered).
        for batch in batches where !batch.postings.postings.isEmpty {
            memtable.append(batch.postings.chunk(lastSpan: lastSpan))
        }
        nameCache.withLock { cache in
            for name in names { cache[name] = now }
        }
        if memtable.shouldFlush(maxPairs: indexPolicy.flushPairs, maxAge: indexPolicy.flushAge) {
            try await flushMemtable()
        }
    }

    private func step(_ statement: OpaquePointer?, _ db: OpaquePointer?) throws {
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db)))
        }
    }

    /// Names not written within the refresh interval; most batches yield none.
    private func namesToWrite(_ batches: [PreparedBatch], now: Int64) -> [NameKey] {
        nameCache.withLock { cache in
            var result = Set<NameKey>()
            for batch in batches {
                for name in batch.names {
                    if let last = cache[name], now - last < SQLiteTraceStore.nameRefreshInterval { continue }
                    result.insert(name)
                }
            }
            return Array(result)
        }
    }
}
