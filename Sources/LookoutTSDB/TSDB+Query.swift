import Logging
import Synchronization
import LookoutCodecs
import LookoutModel
import LookoutStorage

extension TSDB {
    public func select(_ matchers: [LabelMatcher], from: Int64, through: Int64, maxSamples: Int) async throws -> [SeriesSamples] {
        let series = index.withLock { $0.select(matchers) }.filter { series in
            series.data.withLock { $0.firstTime <= through && $0.lastTime >= from }
        }
        guard !series.isEmpty else { return [] }
        // Memory first, then closed chunks waiting for a flush, then the store: a chunk moves
        // from one to the next in that order, and leaves the queue only after the store has it,
        // so reading in this order never misses it (it may be seen twice; the merge dedupes).
        let heads = series.map { $0.data.withLock { $0.snapshot() } }
        let refs = Set(series.map(\.ref))
        let queued = pending.withLock { queue in queue.filter { refs.contains($0.chunk.series) }.map(\.chunk) }
        // After the queue (see `flush`): a series whose stored data from `from` on is its recent
        // chunk is served from memory; only the others are read from the store.
        var fromStore: [UInt64] = []
        var recent: [StoredChunk] = []
        for entry in series {
            let covering = entry.data.withLock { $0.storeCovered(from: from) ? $0.recent : nil }
            if let covering {
                if covering.maxTime >= from { recent.append(covering) }
            } else {
                fromStore.append(entry.ref)
            }
        }
        var chunks = queued + recent
        if !fromStore.isEmpty {
            let stored = try store.chunks(series: fromStore, from: from, through: through)
            keepNewest(stored, of: series)
            chunks += stored
        }

        // Both chunk encodings begin with their sample count: the budget is checked before decoding.
        var budget = heads.reduce(0) { $0 + $1.late.count + ($1.chunk.map { Int($0[0]) << 8 | Int($0[1]) } ?? 0) }
        for chunk in chunks where chunk.data.count >= 2 {
            budget += Int(chunk.data[0]) << 8 | Int(chunk.data[1])
        }
        if budget > maxSamples {
            throw StorageError(.tooLarge, "the selection holds more than \(maxSamples) samples")
        }
        var chunksByRef: [UInt64: [StoredChunk]] = [:]
        for chunk in chunks where chunk.maxTime >= from && chunk.minTime <= through {
            chunksByRef[chunk.series, default: []].append(chunk)
        }
        for (ref, chunks) in chunksByRef where chunks.count > 1 {
            chunksByRef[ref] = chunks.sorted { $0.minTime < $1.minTime }
        }
        var result: [SeriesSamples] = []
        for (position, entry) in series.enumerated() {
            var merger = SampleMerger()
            for chunk in chunksByRef[entry.ref] ?? [] {
                do {
                    merger.add(try ChunkCodec.decode(encoding: chunk.encoding, chunk.data), preferred: chunk.kind == .inOrder,
                               from: from, through: through)
                } catch {
                    throw StorageError(.corrupt, "chunk of \(entry.labels) cannot be decoded: \(error)")
                }
            }
            let head = heads[position]
            if let open = head.chunk, let samples = try? XORChunk.decode(open) {
                merger.add(samples, preferred: true, from: from, through: through)
            }
            merger.add(head.late, preferred: false, from: from, through: through)
            let samples = merger.result()
            if !samples.isEmpty { result.append(SeriesSamples(labels: entry.labels, samples: samples)) }
        }
        return result
    }

    /// A store read that returned a series' newest closed in-order chunk (after a restart,
    /// before the series has flushed again) keeps it as the series' recent chunk.
    private func keepNewest(_ stored: [StoredChunk], of series: [MemSeries]) {
        var newest: [UInt64: StoredChunk] = [:]
        for chunk in stored where chunk.kind == .inOrder && (newest[chunk.series].map { $0.maxTime < chunk.maxTime } ?? true) {
            newest[chunk.series] = chunk
        }
        guard !newest.isEmpty else { return }
        for entry in series {
            guard let chunk = newest[entry.ref] else { continue }
            entry.data.withLock { data in
                if chunk.maxTime == data.flushedMaxTime && (data.recent.map { $0.maxTime < chunk.maxTime } ?? true) {
                    data.recent = chunk
                }
            }
        }
    }

    public func series(_ selectors: [[LabelMatcher]], from: Int64, through: Int64) async throws -> [Labels] {
        index.withLock { $0.select(any: selectors) }.filter { series in
            series.data.withLock { $0.firstTime <= through && $0.lastTime >= from }
        }.map(\.labels)
    }

    public func labelNames(_ selectors: [[LabelMatcher]], from: Int64, through: Int64) async throws -> [String] {
        if selectors.isEmpty { return index.withLock { $0.postings.keys.sorted() } }
        var names = Set<String>()
        for labels in try await series(selectors, from: from, through: through) {
            for label in labels.pairs { names.insert(label.name) }
        }
        return names.sorted()
    }

    public func labelValues(_ name: String, _ selectors: [[LabelMatcher]], from: Int64, through: Int64) async throws -> [String] {
        if selectors.isEmpty { return index.withLock { ($0.postings[name]?.keys).map { $0.sorted() } ?? [] } }
        var values = Set<String>()
        for labels in try await series(selectors, from: from, through: through) {
            if let value = labels[name] { values.insert(value) }
        }
        return values.sorted()
    }

    public func metadata(metric: String?) async throws -> [MetricMetadata] {
        side.withLock { side in
            if let metric { return side.metadata[metric].map { [$0] } ?? [] }
            return side.metadata.values.sorted { $0.metricName < $1.metricName }
        }
    }

    public func exemplars(_ selectors: [[LabelMatcher]], from: Int64, through: Int64) async throws -> [SeriesExemplars] {
        let series = index.withLock { $0.select(any: selectors) }
        guard !series.isEmpty else { return [] }
        let refs = Set(series.map(\.ref))
        var byRef: [UInt64: [Exemplar]] = [:]
        for (ref, exemplar) in try store.exemplars(series: Array(refs), from: from, through: through) {
            byRef[ref, default: []].append(exemplar)
        }
        side.withLock { side in
            for (ref, exemplar, _) in side.pendingExemplars where refs.contains(ref) {
                if let time = exemplar.timestamp, time >= from && time <= through { byRef[ref, default: []].append(exemplar) }
            }
        }
        return series.compactMap { entry in
            guard var exemplars = byRef[entry.ref] else { return nil }
            exemplars.sort { ($0.timestamp ?? 0) < ($1.timestamp ?? 0) }
            var unique: [Exemplar] = []
            for exemplar in exemplars where unique.last != exemplar { unique.append(exemplar) }
            return SeriesExemplars(labels: entry.labels, exemplars: unique)
        }
    }
}

/// Merges samples from chunks that may overlap into one time-ordered list; of two samples at
/// the same time, the in-order one wins. Chunks that follow each other (the common case) are
/// concatenated without sorting.
struct SampleMerger {
    private var entries: [(sample: MetricSampleBits, rank: UInt8)] = []
    private var ordered = true

    mutating func add(_ samples: [MetricSampleBits], preferred: Bool, from: Int64, through: Int64) {
        for sample in samples where sample.timestamp >= from && sample.timestamp <= through {
            if let last = entries.last, last.sample.timestamp >= sample.timestamp { ordered = false }
            entries.append((sample, preferred ? 0 : 1))
        }
    }

    func result() -> [MetricSample] {
        if ordered {
            return entries.map { MetricSample($0.sample.timestamp, $0.sample.value) }
        }
        let sorted = entries.sorted { $0.sample.timestamp != $1.sample.timestamp ? $0.sample.timestamp < $1.sample.timestamp : $0.rank < $1.rank }
        var result: [MetricSample] = []
        result.reserveCapacity(sorted.count)
        for entry in sorted where result.last?.timestamp != entry.sample.timestamp {
            result.append(MetricSample(entry.sample.timestamp, entry.sample.value))
        }
        return result
    }
}
