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

/// Closed metric chunks, series and their label postings in one SQLite file (WAL mode).
///
/// Chunks are rows appended in flush order, so their pages fill completely; two narrow indexes
/// find them by series and by age. Flushes are few and large, so each one is fsynced before
/// the write-ahead log that held its samples may be dropped.
public final class SQLiteChunkStore: MetricChunkStore, Sendable {
    let pool: DatabasePool
    let path: String
    /// Label pair → id, for pairs already in the database.
    let pairCache = Mutex<[Label: Int64]>([:])

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.label = "lookout.metrics"
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -32768")
            // After a checkpoint the SQLite WAL shrinks back instead of keeping its peak size.
            try db.execute(sql: "PRAGMA journal_size_limit = 4194304")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        var migrator = DatabaseMigrator()
        MetricSchema.register(in: &migrator)
        try migrator.migrate(pool)
    }

    public func loadSeries() throws -> [PersistedSeries] {
        try pool.read { db in
            var pairs: [Int64: Label] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, name, value FROM label_pairs") {
                pairs[row[0]] = Label(row[1], row[2])
            }
            var times: [Int64: (Int64?, Int64?, Int64?, Int64?)] = [:]
            // Covered by chunks_by_series: no chunk data is read.
            for row in try Row.fetchAll(db, sql: """
                SELECT series_id, max(CASE WHEN kind = 0 THEN max_t END), min(min_t), max(max_t),
                       max(CASE WHEN kind <> 0 THEN max_t END)
                FROM chunks GROUP BY series_id
                """) {
                times[row[0]] = (row[1], row[2], row[3], row[4])
            }
            var result: [PersistedSeries] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT id, pairs FROM series ORDER BY id")
            while let row = try rows.next() {
                let ref: Int64 = row[0]
                var labels: [Label] = []
                for id in PairList.decode([UInt8](row[1] as Data)) {
                    guard let pair = pairs[Int64(id)] else { throw StorageError(.corrupt, "series \(ref) names a missing label pair \(id)") }
                    labels.append(pair)
                }
                let span = times[ref]
                result.append(PersistedSeries(ref: UInt64(ref), labels: Labels(sorted: labels), inOrderMaxTime: span?.0,
                                              minTime: span?.1, maxTime: span?.2, outOfOrderMaxTime: span?.3))
            }
            pairCache.withLock { cache in
                for (id, label) in pairs { cache[label] = id }
            }
            return result
        }
    }

    public func write(_ flush: ChunkFlush) throws {
        guard !flush.isEmpty else { return }
        // Pair ids enter the cache only once their transaction has committed.
        let newPairs = try pool.write { db -> [Label: Int64] in
            let connection = db.sqliteConnection
            var newPairs: [Label: Int64] = [:]
            if !flush.newSeries.isEmpty {
                let known = pairCache.withLock { $0 }
                let insertPair = try db.cachedStatement(sql: "INSERT INTO label_pairs(name, value, series) VALUES (?, ?, x'')")
                let insertSeries = try db.cachedStatement(sql: "INSERT OR IGNORE INTO series(id, pairs) VALUES (?, ?)")
                var refsByPair: [Int64: [UInt64]] = [:]
                for series in flush.newSeries {
                    var ids: [UInt64] = []
                    for label in series.labels.pairs {
                        let id: Int64
                        if let found = known[label] ?? newPairs[label] {
                            id = found
                        } else {
                            try insertPair.execute(arguments: [label.name, label.value])
                            id = db.lastInsertedRowID
                            newPairs[label] = id
                        }
                        ids.append(UInt64(id))
                        refsByPair[id, default: []].append(series.ref)
                    }
                    try insertSeries.execute(arguments: [Int64(series.ref), Data(PairList.encode(ids))])
                }
                // Postings grow by appending: refs only increase, so no list is read back.
                let appendRefs = try db.cachedStatement(sql: "UPDATE label_pairs SET series = series || ? WHERE id = ?")
                for (id, refs) in refsByPair {
                    try appendRefs.execute(arguments: [Data(PairList.encode(refs)), id])
                }
            }
            // The bulk of a flush: bound through the C API, the blob without a copy.
            let insertChunk = try db.cachedStatement(sql: """
                INSERT INTO chunks(series_id, min_t, max_t, kind, encoding, data) VALUES (?, ?, ?, ?, ?, ?)
                """).sqliteStatement
            var firstChunk: Int64?
            var newestTime = Int64.min
            for chunk in flush.chunks {
                sqlite3_reset(insertChunk)
                sqlite3_bind_int64(insertChunk, 1, Int64(chunk.series))
                sqlite3_bind_int64(insertChunk, 2, chunk.minTime)
                sqlite3_bind_int64(insertChunk, 3, chunk.maxTime)
                sqlite3_bind_int64(insertChunk, 4, Int64(chunk.kind.rawValue))
                sqlite3_bind_int64(insertChunk, 5, Int64(chunk.encoding))
                try chunk.data.withUnsafeBytes { bytes in
                    sqlite3_bind_blob(insertChunk, 6, bytes.baseAddress, Int32(bytes.count), nil)
                    defer { sqlite3_clear_bindings(insertChunk) }
                    let code = sqlite3_step(insertChunk)
                    guard code == SQLITE_DONE else {
                        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
                    }
                }
                if firstChunk == nil { firstChunk = db.lastInsertedRowID }
                newestTime = max(newestTime, chunk.maxTime)
            }
            if let firstChunk {
                try db.execute(sql: "INSERT INTO flushes(first_chunk, last_chunk, max_t) VALUES (?, ?, ?)",
                               arguments: [firstChunk, db.lastInsertedRowID, newestTime])
            }
            if !flush.metadata.isEmpty {
                let upsert = try db.cachedStatement(sql: """
                    INSERT INTO metadata(metric, type, help, unit) VALUES (?, ?, ?, ?)
                    ON CONFLICT(metric) DO UPDATE SET type = excluded.type, help = excluded.help, unit = excluded.unit
                    """)
                for entry in flush.metadata {
                    try upsert.execute(arguments: [entry.metricName, entry.type.rawValue, entry.help, entry.unit])
                }
            }
            if !flush.exemplars.isEmpty {
                let insert = try db.cachedStatement(sql: "INSERT INTO exemplars(series_id, ts, value, labels) VALUES (?, ?, ?, ?)")
                for (series, exemplar) in flush.exemplars {
                    try insert.execute(arguments: [Int64(series), exemplar.timestamp, exemplar.value,
                                                   Data(exemplar.labels.canonicalBytes)])
                }
            }
            if !flush.idempotencyKeys.isEmpty {
                let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO idempotency_keys(key, seen_ms) VALUES (?, ?)")
                for (key, seen) in flush.idempotencyKeys {
                    try insert.execute(arguments: [key, seen])
                }
            }
            return newPairs
        }
        pairCache.withLock { cache in
            cache.merge(newPairs) { old, _ in old }
        }
    }

    public func chunks(series: [UInt64], from: Int64, through: Int64) throws -> [StoredChunk] {
        guard !series.isEmpty else { return [] }
        return try pool.read { db in
            var result: [StoredChunk] = []
            // Series go 256 to a statement: one execution instead of one per series.
            let sorted = series.sorted()
            for start in stride(from: 0, to: sorted.count, by: 256) {
                let batch = sorted[start..<min(start + 256, sorted.count)]
                let placeholders = Array(repeating: "?", count: batch.count).joined(separator: ",")
                let statement = try db.cachedStatement(sql: """
                    SELECT series_id, min_t, max_t, kind, encoding, data FROM chunks
                    WHERE series_id IN (\(placeholders)) AND kind IN (0, 1) AND max_t >= ? AND min_t <= ?
                    ORDER BY series_id, min_t
                    """).sqliteStatement
                sqlite3_reset(statement)
                for (offset, ref) in batch.enumerated() { sqlite3_bind_int64(statement, Int32(offset + 1), Int64(ref)) }
                sqlite3_bind_int64(statement, Int32(batch.count + 1), from)
                sqlite3_bind_int64(statement, Int32(batch.count + 2), through)
                while true {
                    let code = sqlite3_step(statement)
                    if code == SQLITE_DONE { break }
                    guard code == SQLITE_ROW else {
                        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                    }
                    let count = Int(sqlite3_column_bytes(statement, 5))
                    let data: [UInt8]
                    if count > 0, let blob = sqlite3_column_blob(statement, 5) {
                        data = [UInt8](UnsafeRawBufferPointer(start: blob, count: count))
                    } else {
                        data = []
                    }
                    result.append(StoredChunk(
                        series: UInt64(sqlite3_column_int64(statement, 0)), minTime: sqlite3_column_int64(statement, 1),
                        maxTime: sqlite3_column_int64(statement, 2),
                        kind: StoredChunk.Kind(rawValue: UInt8(truncatingIfNeeded: sqlite3_column_int64(statement, 3))) ?? .outOfOrder,
                        encoding: UInt8(truncatingIfNeeded: sqlite3_column_int64(statement, 4)), data: data))
                }
            }
            return result
        }
    }

    public func deleteBefore(_ cutoff: Int64, idleSeries: Set<UInt64>) throws -> RetentionResult {
        try pool.write { db in
            // Chunks go by flush: a flush whose newest sample is older than the cutoff is a
            // contiguous range of chunk ids, deleted with one range scan.
            var result = RetentionResult()
            for row in try Row.fetchAll(db, sql: "SELECT first_chunk, last_chunk FROM flushes WHERE max_t < ?", arguments: [cutoff]) {
                try db.execute(sql: "DELETE FROM chunks WHERE id BETWEEN ? AND ?", arguments: [row[0] as Int64, row[1] as Int64])
                result.chunksDeleted += db.changesCount
            }
            try db.execute(sql: "DELETE FROM flushes WHERE max_t < ?", arguments: [cutoff])
            let check = try db.cachedStatement(sql: "SELECT 1 FROM chunks WHERE series_id = ? LIMIT 1")
            var removedByPair: [Int64: Set<UInt64>] = [:]
            for ref in idleSeries.sorted() where try Row.fetchOne(check, arguments: [Int64(ref)]) == nil {
                if let pairs = try Data.fetchOne(db, sql: "SELECT pairs FROM series WHERE id = ?", arguments: [Int64(ref)]) {
                    for id in PairList.decode([UInt8](pairs)) { removedByPair[Int64(id), default: []].insert(ref) }
                }
                try db.execute(sql: "DELETE FROM series WHERE id = ?", arguments: [Int64(ref)])
                result.seriesDeleted.append(ref)
            }
            for (id, removed) in removedByPair {
                guard let refs = try Data.fetchOne(db, sql: "SELECT series FROM label_pairs WHERE id = ?", arguments: [id]) else { continue }
                let kept = PairList.decode([UInt8](refs)).filter { !removed.contains($0) }
                try db.execute(sql: "UPDATE label_pairs SET series = ? WHERE id = ?", arguments: [Data(PairList.encode(kept)), id])
            }
            try db.execute(sql: "DELETE FROM exemplars WHERE ts < ?", arguments: [cutoff])
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE seen_ms < ?", arguments: [cutoff])
            return result
        }
    }

    public func loadMetadata() throws -> [MetricMetadata] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT metric, type, help, unit FROM metadata ORDER BY metric").map { row in
                MetricMetadata(metricName: row[0], type: MetricType(rawValue: row[1]) ?? .unknown, help: row[2], unit: row[3])
            }
        }
    }

    public func loadIdempotencyKeys(since: Int64) throws -> [String: Int64] {
        try pool.read { db in
            var keys: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, seen_ms FROM idempotency_keys WHERE seen_ms >= ?", arguments: [since]) {
                keys[row[0]] = row[1]
            }
            return keys
        }
    }

    public func exemplars(series: [UInt64], from: Int64, through: Int64) throws -> [(UInt64, Exemplar)] {
        guard !series.isEmpty else { return [] }
        return try pool.read { db in
            let statement = try db.cachedStatement(sql: """
                SELECT ts, value, labels FROM exemplars WHERE series_id = ? AND ts BETWEEN ? AND ? ORDER BY ts
                """)
            var result: [(UInt64, Exemplar)] = []
            for ref in series.sorted() {
                for row in try Row.fetchAll(statement, arguments: [Int64(ref), from, through]) {
                    let labels = Labels(canonicalBytes: [UInt8](row[2] as Data)) ?? Labels(sorted: [])
                    result.append((ref, Exemplar(labels: labels, value: row[1], timestamp: row[0])))
                }
            }
            return result
        }
    }

    public func diskBytes() -> Int64 {
        var total: Int64 = 0
        for suffix in ["", "-wal", "-shm"] {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path + suffix),
               let size = attributes[.size] as? Int {
                total += Int64(size)
            }
        }
        return total
    }

    /// Checkpoints the SQLite WAL into the database file; the store stays usable.
    public func checkpoint() throws {
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }
}

enum MetricSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("metrics-v1") { db in
            try db.execute(sql: """
                -- The inverted index: each distinct label pair once, with the series that carry
                -- it (uvarint refs, ascending). Series name their labels by pair id.
                CREATE TABLE label_pairs (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    value TEXT NOT NULL,
                    series BLOB NOT NULL,
                    UNIQUE (name, value)
                );
                CREATE TABLE series (
                    id INTEGER PRIMARY KEY,
                    pairs BLOB NOT NULL
                );
                -- kind 0: in-order chunk (a series' in-order chunks never overlap); 1: late samples.
                -- encoding: 1 = XOR (Prometheus' chunk encoding), 2 = decimal (DecimalChunk).
                -- Rows are appended in flush order, so pages fill completely.
                CREATE TABLE chunks (
                    id INTEGER PRIMARY KEY,
                    series_id INTEGER NOT NULL,
                    min_t INTEGER NOT NULL,
                    max_t INTEGER NOT NULL,
                    kind INTEGER NOT NULL,
                    encoding INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                -- min_t is in the index so opening the store reads no chunk rows.
                CREATE INDEX chunks_by_series ON chunks(series_id, kind, max_t, min_t);
                -- One row per flush: the chunk ids it wrote and its newest sample, for retention.
                CREATE TABLE flushes (
                    id INTEGER PRIMARY KEY,
                    first_chunk INTEGER NOT NULL,
                    last_chunk INTEGER NOT NULL,
                    max_t INTEGER NOT NULL
                );
                CREATE INDEX flushes_by_age ON flushes(max_t);
                CREATE TABLE metadata (
                    metric TEXT PRIMARY KEY,
                    type TEXT NOT NULL,
                    help TEXT NOT NULL,
                    unit TEXT NOT NULL
                );
                CREATE TABLE exemplars (
                    series_id INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    value REAL NOT NULL,
                    labels BLOB NOT NULL
                );
                CREATE INDEX exemplars_by_series ON exemplars(series_id, ts);
                CREATE TABLE idempotency_keys (
                    key TEXT PRIMARY KEY,
                    seen_ms INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
    }
}

/// A list of unsigned integers as uvarints: label pair ids of a series, series refs of a pair.
enum PairList {
    static func encode(_ values: [UInt64]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 2)
        for value in values {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> [UInt64] {
        var values: [UInt64] = []
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for byte in bytes {
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 {
                values.append(value)
                value = 0
                shift = 0
            } else {
                shift += 7
            }
        }
        return values
    }
}
