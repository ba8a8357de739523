import Logging
import Synchronization
import LookoutModel
import LookoutStorage

extension TSDB {
    /// Applies every log entry to memory: series not yet in the store, samples newer than what
    /// the store holds, late samples, and what waits for a flush. Returns the samples applied.
    func replayLog() throws -> Int {
        var applied = 0
        var cut: [(StoredChunk, Int)] = []
        try wal.replay { segment, payload in
            do throws(WALReader.Corrupt) {
                var reader = WALReader(payload)
                while !reader.atEnd {
                    guard let type = WALRecordType(rawValue: payload[reader.position]) else {
                        reader.position += 1
                        let range = try reader.byteRange()
                        reader.position = range.upperBound
                        continue
                    }
                    reader.position += 1
                    let range = try reader.byteRange()
                    var body = WALReader(payload, from: range.lowerBound, to: range.upperBound)
                    switch type {
                    case .series: try replaySeries(&body, segment: segment)
                    case .samples: applied += try replaySamples(&body, late: false, segment: segment, cut: &cut)
                    case .lateSamples: applied += try replaySamples(&body, late: true, segment: segment, cut: &cut)
                    case .exemplars: try replayExemplars(&body, segment: segment)
                    case .metadata: try replayMetadata(&body, segment: segment)
                    case .idempotencyKey:
                        let key = try body.string()
                        let time = try body.varint()
                        idempotency.withLock { $0.applied[key] = time }
                        side.withLock { $0.pendingKeys.append((key, time, segment)) }
                    }
                }
            } catch {
                logger.warning("a write-ahead log entry is malformed; the rest of it is skipped", metadata: ["segment": "\(segment)"])
            }
        }
        pending.withLock { queue in
            for (chunk, segment) in cut { queue.append((chunk, segment)) }
        }
        return applied
    }

    private func replaySeries(_ body: inout WALReader, segment: Int) throws(WALReader.Corrupt) {
        while !body.atEnd {
            let ref = try body.uvarint()
            let labels = try body.labels()
            index.withLock { index in
                guard index.byRef[ref] == nil else { return }
                let series = MemSeries(ref: ref, labels: labels, inOrderMaxTime: nil, minTime: nil, maxTime: nil)
                index.insert(series)
                index.unpersisted.append((series, segment))
            }
        }
    }

    private func replaySamples(_ body: inout WALReader, late: Bool, segment: Int,
                               cut: inout [(StoredChunk, Int)]) throws(WALReader.Corrupt) -> Int {
        let base = try body.varint()
        var applied = 0
        var closed: [StoredChunk] = []
        var lastRef: UInt64 = 0
        var lastSeries: MemSeries?
        while !body.atEnd {
            let ref = try body.uvarint()
            let timestamp = base &+ (try body.varint())
            let bits = try body.uint64()
            if ref != lastRef || lastSeries == nil {
                lastSeries = index.withLock { $0.byRef[ref] }
                lastRef = ref
            }
            guard let series = lastSeries else { continue }
            let chunkSamples = options.chunkSamples
            let outcome = series.data.withLock { data -> AppendOutcome? in
                // In-order samples up to the store's last in-order chunk are in the store already.
                if !late && timestamp <= data.flushedMaxTime { return nil }
                return data.append(timestamp, bits, segment: segment, window: nil, ref: ref,
                                   chunkSamples: chunkSamples, cut: &closed)
            }
            if outcome == .inOrder || outcome == .late { applied += 1 }
        }
        cut.append(contentsOf: closed.map { ($0, segment) })
        return applied
    }

    private func replayExemplars(_ body: inout WALReader, segment: Int) throws(WALReader.Corrupt) {
        while !body.atEnd {
            let ref = try body.uvarint()
            let timestamp = try body.varint()
            let value = Double(bitPattern: try body.uint64())
            let labels = try body.labels()
            side.withLock { $0.pendingExemplars.append((ref, Exemplar(labels: labels, value: value, timestamp: timestamp), segment)) }
        }
    }

    private func replayMetadata(_ body: inout WALReader, segment: Int) throws(WALReader.Corrupt) {
        while !body.atEnd {
            let name = try body.string()
            let type = MetricType(rawValue: try body.string()) ?? .unknown
            let help = try body.string()
            let unit = try body.string()
            let entry = MetricMetadata(metricName: name, type: type, help: help, unit: unit)
            side.withLock { side in
                side.metadata[name] = entry
                side.pendingMetadata.append((entry, segment))
            }
        }
    }
}
