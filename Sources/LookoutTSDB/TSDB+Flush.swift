import Logging
import Synchronization
import LookoutCodecs
import LookoutModel
import LookoutStorage

extension TSDB {
    /// Moves closed chunks, new series and side data to the store in one transaction, then
    /// drops the log segments nothing in memory needs any more.
    func flush() throws {
        let started = ContinuousClock.now
        let chunks = pending.withLock { $0 }
        let newSeries = index.withLock { $0.unpersisted }
        let sideData = side.withLock { ($0.pendingMetadata, $0.pendingExemplars, $0.pendingKeys) }
        var batch = ChunkFlush()
        batch.newSeries = newSeries.map { PersistedSeries(ref: $0.series.ref, labels: $0.series.labels, inOrderMaxTime: nil) }
        // Re-encoded here, off the ingest path: most chunks shrink in their decimal form.
        batch.chunks = chunks.map { entry in
            var chunk = entry.chunk
            (chunk.encoding, chunk.data) = ChunkCodec.compact(encoding: chunk.encoding, chunk.data)
            return chunk
        }
        batch.metadata = sideData.0.map(\.0)
        batch.exemplars = sideData.1.map { ($0.0, $0.1) }
        batch.idempotencyKeys = sideData.2.map { ($0.0, $0.1) }
        if !batch.isEmpty {
            try store.write(batch)
            // Queries that no longer find a chunk in the queue must find it through its series:
            // update the series first, then empty the queue.
            noteStored(batch.chunks)
            // Only what was written leaves memory; appends meanwhile went to the end.
            pending.withLock { $0.removeFirst(chunks.count) }
            index.withLock { $0.unpersisted.removeFirst(newSeries.count) }
            side.withLock { side in
                side.pendingMetadata.removeFirst(sideData.0.count)
                side.pendingExemplars.removeFirst(sideData.1.count)
                side.pendingKeys.removeFirst(sideData.2.count)
            }
            let elapsed = started.duration(to: .now)
            instrumentation.flush(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        truncateLog()
    }

    /// Keeps each series' newest stored in-order chunk and the reach of its stored late chunks.
    private func noteStored(_ chunks: [StoredChunk]) {
        let series = index.withLock { index in chunks.map { index.byRef[$0.series] } }
        for (chunk, series) in zip(chunks, series) {
            guard let series else { continue }
            series.data.withLock { data in
                switch chunk.kind {
                case .inOrder:
                    if data.recent.map({ $0.maxTime < chunk.maxTime }) ?? true { data.recent = chunk }
                case .outOfOrder:
                    data.storedLateMaxTime = max(data.storedLateMaxTime, chunk.maxTime)
                }
            }
        }
    }

    /// Deletes log segments older than the oldest one memory still needs. Head chunks that hold
    /// on to segments too far behind are closed early, so a series that rarely gets samples
    /// cannot keep the log growing.
    func truncateLog() {
        let current = wal.currentSegment
        let oldestAllowed = current - options.maxWALSegmentsBehind
        var oldest = Int.max
        var forced: [StoredChunk] = []
        let all = index.withLock { index in
            for entry in index.unpersisted { oldest = min(oldest, entry.segment) }
            return Array(index.byRef.values)
        }
        for series in all {
            let pinned = series.data.withLock { data -> Int in
                if data.pinnedSegment < oldestAllowed {
                    data.cutChunk(ref: series.ref, into: &forced)
                    data.cutLate(ref: series.ref, into: &forced)
                }
                return data.pinnedSegment
            }
            oldest = min(oldest, pinned)
        }
        pending.withLock { queue in
            for entry in queue { oldest = min(oldest, entry.segment) }
            for chunk in forced { queue.append((chunk, current)) }
        }
        if !forced.isEmpty { oldest = min(oldest, current) }
        side.withLock { side in
            for entry in side.pendingMetadata { oldest = min(oldest, entry.1) }
            for entry in side.pendingExemplars { oldest = min(oldest, entry.2) }
            for entry in side.pendingKeys { oldest = min(oldest, entry.2) }
        }
        if oldest == Int.max {
            // Nothing in memory needs the log: start a new segment so the current one can go.
            wal.rotate()
            wal.truncate(before: current + 1)
        } else {
            wal.truncate(before: oldest)
        }
    }

    /// Drops chunks older than the retention period and series left with no data.
    func applyRetention() throws {
        let cutoff = clock() - options.retentionMillis
        let idle = index.withLock { index in
            Set(index.byRef.values.filter { series in
                series.data.withLock { $0.isHeadEmpty && $0.lastTime < cutoff }
            }.map(\.ref))
        }
        let result = try store.deleteBefore(cutoff, idleSeries: idle)
        let pendingRefs = Set(pending.withLock { $0.map(\.chunk.series) })
        index.withLock { index in
            for ref in result.seriesDeleted {
                guard let series = index.byRef[ref] else { continue }
                // A sample may have arrived since; such a series stays and is written again.
                let revived = series.data.withLock { !$0.isHeadEmpty } || pendingRefs.contains(ref)
                if revived {
                    index.unpersisted.append((series, wal.currentSegment))
                } else {
                    index.remove(series)
                }
            }
            for series in index.byRef.values {
                series.data.withLock { data in
                    if data.firstTime < cutoff { data.firstTime = cutoff }
                    // The store may have dropped it: let queries ask the store again.
                    if let recent = data.recent, recent.minTime < cutoff { data.recent = nil }
                }
            }
        }
        idempotency.withLock { state in
            let keyCutoff = clock() - options.idempotencyKeyMillis
            state.applied = state.applied.filter { $0.value >= keyCutoff }
        }
        if result.chunksDeleted > 0 || !result.seriesDeleted.isEmpty {
            logger.info("retention applied", metadata: ["chunks_deleted": "\(result.chunksDeleted)",
                                                       "series_deleted": "\(result.seriesDeleted.count)"])
        }
    }
}
