#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRDB
import GRDBSQLite
import LookoutModel
import LookoutStorage

/// Closed metric chunks, series and their label postings in one SQLite file (WAL mode).
///
/// Chunks are rows appended in flush order, so their pages fill completely; two narrow indexes
/// find them by series and by age. Flushes are few and large, so each one is fsynced before
/// the write-ahead log that held its samples may be dropped.
public final class SQLiteChunkStore: MetricChunkStore, Sendable {
    let pool: DatabasePool
    let path: String

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.label = "lookout.metrics"
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -32768")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        var migrator = DatabaseMigrator()
        MetricSchema.register(in: &migrator)
        try migrator.migrate(pool)
    }

    public func loadSeries() throws -> [PersistedSeries] {
        try pool.read { db in
            var result: [PersistedSeries] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT s.id, s.labels,
                       (SELECT max(max_t) FROM chunks c WHERE c.series_id = s.id AND c.kind = 0),
                       (SELECT min(min_t) FROM chunks c WHERE c.series_id = s.id),
                       (SELECT max(max_t) FROM chunks c WHERE c.series_id = s.id)
                FROM series s ORDER BY s.id
                """)
            while let row = try rows.next() {
                let bytes: [UInt8] = [UInt8](row[1] as Data)
                guard let labels = Labels(canonicalBytes: bytes) else {
                    throw StorageError(.corrupt, "series \(row[0] as Int64) has malformed labels")
                }
                result.append(PersistedSeries(ref: UInt64(row[0] as Int64), labels: labels, inOrderMaxTime: row[2],
                                              minTime: row[3], maxTime: row[4]))
            }
            return result
        }
    }

    public func write(_ flush: ChunkFlush) throws {
        guard !flush.isEmpty else { return }
        try pool.write { db in
            let connection = db.sqliteConnection
            if !flush.newSeries.isEmpty {
                let insertSeries = try db.cachedStatement(sql: "INSERT OR IGNORE INTO series(id, labels) VALUES (?, ?)")
                let insertPosting = try db.cachedStatement(sql: "INSERT OR IGNORE INTO postings(name, value, series_id) VALUES (?, ?, ?)")
                for series in flush.newSeries {
                    try insertSeries.execute(arguments: [Int64(series.ref), Data(series.labels.canonicalBytes)])
                    for label in series.labels.pairs {
                        try insertPosting.execute(arguments: [label.name, label.value, Int64(series.ref)])
                    }
                }
            }
            // The bulk of a flush: bound through the C API, the blob without a copy.
            let insertChunk = try db.cachedStatement(sql: """
                INSERT INTO chunks(series_id, min_t, max_t, kind, encoding, data) VALUES (?, ?, ?, ?, ?, ?)
                """).sqliteStatement
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
        }
    }

    public func chunks(series: [UInt64], from: Int64, through: Int64) throws -> [StoredChunk] {
        guard !series.isEmpty else { return [] }
        return try pool.read { db in
            let statement = try db.cachedStatement(sql: """
                SELECT min_t, max_t, kind, encoding, data FROM chunks
                WHERE series_id = ? AND kind IN (0, 1) AND max_t >= ? AND min_t <= ?
                ORDER BY min_t
                """).sqliteStatement
            var result: [StoredChunk] = []
            for ref in series.sorted() {
                sqlite3_reset(statement)
                sqlite3_bind_int64(statement, 1, Int64(ref))
                sqlite3_bind_int64(statement, 2, from)
                sqlite3_bind_int64(statement, 3, through)
                while true {
                    let code = sqlite3_step(statement)
                    if code == SQLITE_DONE { break }
                    guard code == SQLITE_ROW else {
                        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                    }
                    let count = Int(sqlite3_column_bytes(statement, 4))
                    let data: [UInt8]
                    if count > 0, let blob = sqlite3_column_blob(statement, 4) {
                        data = [UInt8](UnsafeRawBufferPointer(start: blob, count: count))
                    } else {
                        data = []
                    }
                    result.append(StoredChunk(
                        series: ref, minTime: sqlite3_column_int64(statement, 0), maxTime: sqlite3_column_int64(statement, 1),
                        kind: StoredChunk.Kind(rawValue: UInt8(truncatingIfNeeded: sqlite3_column_int64(statement, 2))) ?? .outOfOrder,
                        encoding: UInt8(truncatingIfNeeded: sqlite3_column_int64(statement, 3)), data: data))
                }
            }
            return result
        }
    }

    public func deleteBefore(_ cutoff: Int64, idleSeries: Set<UInt64>) throws -> RetentionResult {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM chunks WHERE max_t < ?", arguments: [cutoff])
            var result = RetentionResult(chunksDeleted: db.changesCount)
            let check = try db.cachedStatement(sql: "SELECT 1 FROM chunks WHERE series_id = ? LIMIT 1")
            for ref in idleSeries.sorted() where try Row.fetchOne(check, arguments: [Int64(ref)]) == nil {
                if let bytes = try Data.fetchOne(db, sql: "SELECT labels FROM series WHERE id = ?", arguments: [Int64(ref)]),
                   let labels = Labels(canonicalBytes: [UInt8](bytes)) {
                    for label in labels.pairs {
                        try db.execute(sql: "DELETE FROM postings WHERE name = ? AND value = ? AND series_id = ?",
                                       arguments: [label.name, label.value, Int64(ref)])
                    }
                }
                try db.execute(sql: "DELETE FROM series WHERE id = ?", arguments: [Int64(ref)])
                result.seriesDeleted.append(ref)
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
                -- labels: Labels.canonicalBytes (name 0xff value 0xff ...).
                CREATE TABLE series (
                    id INTEGER PRIMARY KEY,
                    labels BLOB NOT NULL UNIQUE
                );
                -- The inverted index, label pair to series.
                CREATE TABLE postings (
                    name TEXT NOT NULL,
                    value TEXT NOT NULL,
                    series_id INTEGER NOT NULL,
                    PRIMARY KEY (name, value, series_id)
                ) WITHOUT ROWID;
                -- kind 0: in-order chunk (a series' in-order chunks never overlap); 1: late samples.
                -- encoding: 1 = XOR (Prometheus' chunk encoding).
                CREATE TABLE chunks (
                    id INTEGER PRIMARY KEY,
                    series_id INTEGER NOT NULL,
                    min_t INTEGER NOT NULL,
                    max_t INTEGER NOT NULL,
                    kind INTEGER NOT NULL,
                    encoding INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE INDEX chunks_by_series ON chunks(series_id, kind, max_t);
                CREATE INDEX chunks_by_age ON chunks(max_t);
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
