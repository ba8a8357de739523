import GRDB

/// The trace tables. Span fragments are stored whole (canonical JSON v2) with the columns
/// traces are found by; `term_postings` is the inverted index of hashed search terms.
enum TraceSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("traces-v1") { db in
            // One row per stored fragment. The fingerprint of the canonical encoding makes a
            // retried batch idempotent while distinct fragments sharing a span ID are all kept.
            try db.execute(sql: """
                -- AUTOINCREMENT: ids are never reused after retention, because the search index
                -- is rebuilt after a restart from the spans above its last indexed id.
                CREATE TABLE spans (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    trace_lo INTEGER NOT NULL,
                    trace_hi INTEGER NOT NULL,
                    fingerprint INTEGER NOT NULL,
                    payload BLOB NOT NULL
                );
                CREATE UNIQUE INDEX spans_by_trace ON spans(trace_lo, trace_hi, fingerprint);

                -- ts is Zipkin's reference timestamp: the first root span's, else the earliest.
                CREATE TABLE traces (
                    trace_lo INTEGER NOT NULL,
                    trace_hi INTEGER NOT NULL,
                    root_ts INTEGER,
                    min_ts INTEGER,
                    ts INTEGER,
                    written_at INTEGER NOT NULL,
                    PRIMARY KEY (trace_lo, trace_hi)
                ) WITHOUT ROWID;
                CREATE INDEX traces_by_ts ON traces(ts);
                -- Retention also goes by write time, so a trace with a far-future timestamp expires.
                CREATE INDEX traces_by_written_at ON traces(written_at);

                -- The search index: immutable segments of sorted trace lists per hashed term
                -- (see TermSegments). The newest terms live in memory until flushed.
                CREATE TABLE term_segments (
                    id INTEGER PRIMARY KEY,
                    level INTEGER NOT NULL,
                    min_ts INTEGER,
                    max_ts INTEGER,
                    last_span INTEGER NOT NULL,
                    written_at INTEGER NOT NULL,
                    pairs INTEGER NOT NULL,
                    visible INTEGER NOT NULL
                );
                CREATE TABLE term_postings (
                    segment INTEGER NOT NULL,
                    term INTEGER NOT NULL,
                    traces BLOB NOT NULL,
                    PRIMARY KEY (segment, term)
                ) WITHOUT ROWID;

                -- kind: 0 service, 1 remote service of `service`, 2 span name of `service`,
                -- 3 autocomplete value of tag key `service`.
                CREATE TABLE names (
                    kind INTEGER NOT NULL,
                    service TEXT NOT NULL,
                    value TEXT NOT NULL,
                    last_seen INTEGER NOT NULL,
                    PRIMARY KEY (kind, service, value)
                ) WITHOUT ROWID;
                """)
        }
    }
}
