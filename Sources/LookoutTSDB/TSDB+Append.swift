import Logging
import Synchronization
import LookoutCodecs
import LookoutModel
import LookoutStorage

extension TSDB {
    public func append(_ batch: MetricBatch, idempotencyKey: String?) async throws -> AppendReport {
        var report = AppendReport()
        if let key = idempotencyKey {
            let state = idempotency.withLock { state -> Int in
                if state.applied[key] != nil { return 1 }
                if state.inFlight.contains(key) { return 2 }
                state.inFlight.insert(key)
                return 0
            }
            if state == 1 {
                report.alreadyApplied = true
                return report
            }
            if state == 2 {
                throw StorageError(.overloaded, "a batch with idempotency key \"\(key)\" is being applied; retry later")
            }
        }
        do {
            let result = try await apply(batch, idempotencyKey: idempotencyKey, report: &report)
            if let key = idempotencyKey {
                idempotency.withLock { state in
                    state.inFlight.remove(key)
                    state.applied[key] = result
                }
            }
            return report
        } catch {
            if let key = idempotencyKey { _ = idempotency.withLock { $0.inFlight.remove(key) } }
            throw error
        }
    }

    /// Appends to memory, then writes and syncs the log entry. Returns the time applied.
    private func apply(_ batch: MetricBatch, idempotencyKey: String?, report: inout AppendReport) async throws -> Int64 {
        let now = clock()
        let segment = wal.currentSegment
        var log = WALWriter()
        let resolved = resolveSeries(batch, segment: segment, report: &report, log: &log)

        let oldest = now - options.retentionMillis
        var inOrder = SampleRecordEncoder(base: batch.timestamps.first ?? 0, capacity: batch.sampleCount)
        var late = SampleRecordEncoder(base: batch.timestamps.first ?? 0, capacity: 0)
        var cut: [StoredChunk] = []
        let window = options.outOfOrderWindowMillis
        let chunkSamples = options.chunkSamples
        for (position, entry) in batch.series.enumerated() {
            guard let series = resolved[position] else { continue }
            if entry.unsupportedSamples > 0 {
                report.reject(.unsupported, count: entry.unsupportedSamples,
                              "\(series.labels): native histogram samples are not supported")
            }
            var tooOld = 0, tooLate = 0, conflicts = 0, duplicates = 0, accepted = 0
            series.data.withLock { data in
                for sample in entry.samples {
                    let timestamp = batch.timestamps[sample]
                    let bits = batch.valueBits[sample]
                    if timestamp < oldest {
                        tooOld += 1
                        continue
                    }
                    switch data.append(timestamp, bits, segment: segment, window: window, ref: series.ref,
                                       chunkSamples: chunkSamples, cut: &cut) {
                    case .inOrder:
                        inOrder.add(ref: series.ref, timestamp: timestamp, valueBits: bits)
                        accepted += 1
                    case .late:
                        late.add(ref: series.ref, timestamp: timestamp, valueBits: bits)
                        accepted += 1
                    case .duplicate: duplicates += 1
                    case .conflict: conflicts += 1
                    case .tooLate: tooLate += 1
                    }
                }
            }
            report.accepted += accepted
            report.duplicatesIgnored += duplicates
            if tooOld > 0 {
                report.reject(.tooOld, count: tooOld, "\(series.labels): \(tooOld) sample(s) older than the retention period")
            }
            if tooLate > 0 {
                report.reject(.outOfOrder, count: tooLate,
                              "\(series.labels): \(tooLate) sample(s) more than \(window / 1000)s older than the series' newest sample")
            }
            if conflicts > 0 {
                report.reject(.duplicateTimestamp, count: conflicts,
                              "\(series.labels): \(conflicts) sample(s) with a stored timestamp but another value")
            }
        }
        if !cut.isEmpty {
            pending.withLock { queue in
                for chunk in cut { queue.append((chunk, segment)) }
            }
        }
        log.record(.samples, inOrder.encoded)
        log.record(.lateSamples, late.encoded)
        appendSideRecords(batch, resolved: resolved, segment: segment, report: &report, log: &log)
        if let idempotencyKey {
            var body: [UInt8] = []
            WALBytes.putString(idempotencyKey, into: &body)
            WALBytes.putVarint(now, into: &body)
            log.record(.idempotencyKey, body)
            side.withLock { $0.pendingKeys.append((idempotencyKey, now, segment)) }
        }
        // An entry with nothing new still waits for the group sync: a batch whose samples were
        // all duplicates of one still in flight must not be acknowledged before that one is.
        _ = try await wal.append(log.bytes)
        return now
    }

    /// Finds or creates the series of every entry; nil for refused ones (reported).
    private func resolveSeries(_ batch: MetricBatch, segment: Int, report: inout AppendReport,
                               log: inout WALWriter) -> [MemSeries?] {
        let kind = batch.keyKind.rawValue
        let seed = UInt64(kind) &+ 0x5157
        var hashes = [UInt64](repeating: 0, count: batch.series.count)
        batch.keyBytes.withUnsafeBytes { bytes in
            for (position, entry) in batch.series.enumerated() where !entry.key.isEmpty {
                hashes[position] = SeriesKeyHash.hash(UnsafeRawBufferPointer(rebasing: bytes[entry.key]), seed: seed)
            }
        }
        var resolved = [MemSeries?](repeating: nil, count: batch.series.count)
        var misses: [Int] = []
        index.withLock { index in
            batch.keyBytes.withUnsafeBytes { bytes in
                for (position, entry) in batch.series.enumerated() {
                    if entry.key.isEmpty {
                        if let labels = entry.labels, let found = index.byLabels[labels] { resolved[position] = found } else { misses.append(position) }
                        continue
                    }
                    if let found = index.lookup(kind: kind, hash: hashes[position], key: UnsafeRawBufferPointer(rebasing: bytes[entry.key])) {
                        resolved[position] = found
                    } else {
                        misses.append(position)
                    }
                }
            }
        }
        guard !misses.isEmpty else { return resolved }

        // Parse and check new keys outside the lock.
        var parsed: [(position: Int, labels: Labels)] = []
        for position in misses {
            let labels: Labels
            do {
                labels = try batch.labels(of: position)
            } catch {
                report.reject(.invalidLabels, count: batch.series[position].samples.count, "series \(position): \(error)")
                continue
            }
            if let problem = limitProblem(labels) {
                report.reject(problem.0, count: batch.series[position].samples.count, problem.1)
                continue
            }
            parsed.append((position, labels))
        }
        var created: [MemSeries] = []
        index.withLock { index in
            for (position, labels) in parsed {
                let entry = batch.series[position]
                let series: MemSeries
                if let existing = index.byLabels[labels] {
                    series = existing
                } else {
                    if index.count >= options.maxSeries {
                        report.reject(.seriesLimit, count: entry.samples.count,
                                      "\(labels): the limit of \(options.maxSeries) series is reached")
                        continue
                    }
                    if index.perMetric[labels.metricName ?? "", default: 0] >= options.maxSeriesPerMetric {
                        report.reject(.seriesPerMetricLimit, count: entry.samples.count,
                                      "\(labels): the limit of \(options.maxSeriesPerMetric) series for metric \(labels.metricName ?? "") is reached")
                        continue
                    }
                    series = MemSeries(ref: index.nextRef, labels: labels, inOrderMaxTime: nil, minTime: nil, maxTime: nil)
                    index.insert(series)
                    index.unpersisted.append((series, segment))
                    created.append(series)
                }
                if !entry.key.isEmpty {
                    index.remember(kind: batch.keyKind.rawValue, hash: hashes[position], key: Array(batch.keyBytes[entry.key]), series: series)
                }
                resolved[position] = series
            }
        }
        report.newSeries += created.count
        if !created.isEmpty {
            var body: [UInt8] = []
            for series in created {
                WALBytes.putUVarint(series.ref, into: &body)
                WALBytes.putBytes(series.labels.canonicalBytes, into: &body)
            }
            log.record(.series, body)
        }
        return resolved
    }

    private func limitProblem(_ labels: Labels) -> (AppendReport.Reason, String)? {
        if labels.count > options.maxLabelsPerSeries {
            return (.tooManyLabels, "\(labels): \(labels.count) labels, more than the limit of \(options.maxLabelsPerSeries)")
        }
        for label in labels.pairs {
            if label.name.utf8.count > options.maxLabelNameLength {
                return (.labelTooLong, "\(labels.metricName ?? ""): label name \"\(label.name.prefix(64))…\" is longer than \(options.maxLabelNameLength) bytes")
            }
            if label.value.utf8.count > options.maxLabelValueLength {
                return (.labelTooLong, "\(labels.metricName ?? ""): the value of label \(label.name) is longer than \(options.maxLabelValueLength) bytes")
            }
        }
        guard labels.metricName != nil else { return (.invalidLabels, "\(labels): a series needs a __name__ label") }
        return nil
    }

    /// Exemplars of accepted series and changed metadata go to the log and the next flush.
    private func appendSideRecords(_ batch: MetricBatch, resolved: [MemSeries?], segment: Int,
                                   report: inout AppendReport, log: inout WALWriter) {
        // Most batches carry neither; they should not touch the shared lock.
        guard !batch.exemplars.isEmpty || !batch.metadata.isEmpty else { return }
        var exemplarBody: [UInt8] = []
        var exemplars: [(UInt64, Exemplar, Int)] = []
        for entry in batch.exemplars {
            guard entry.series < resolved.count, let series = resolved[entry.series] else { continue }
            exemplars.append((series.ref, entry.exemplar, segment))
            WALBytes.putUVarint(series.ref, into: &exemplarBody)
            WALBytes.putVarint(entry.exemplar.timestamp ?? clock(), into: &exemplarBody)
            withUnsafeBytes(of: entry.exemplar.value.bitPattern.littleEndian) { exemplarBody.append(contentsOf: $0) }
            WALBytes.putBytes(entry.exemplar.labels.canonicalBytes, into: &exemplarBody)
        }
        report.exemplarsAccepted = exemplars.count
        log.record(.exemplars, exemplarBody)

        var metadataBody: [UInt8] = []
        side.withLock { side in
            for var exemplar in exemplars {
                if exemplar.1.timestamp == nil { exemplar.1.timestamp = clock() }
                side.pendingExemplars.append(exemplar)
            }
            for entry in batch.metadata where side.metadata[entry.metricName] != entry {
                side.metadata[entry.metricName] = entry
                side.pendingMetadata.append((entry, segment))
                TSDB.encode(entry, into: &metadataBody)
            }
        }
        log.record(.metadata, metadataBody)
    }

    static func encode(_ metadata: MetricMetadata, into body: inout [UInt8]) {
        WALBytes.putString(metadata.metricName, into: &body)
        WALBytes.putString(metadata.type.rawValue, into: &body)
        WALBytes.putString(metadata.help, into: &body)
        WALBytes.putString(metadata.unit, into: &body)
    }
}
