#if canImport(Glibc)
import Glibc
#endif
import LookoutModel

/// Every series the engine knows, found three ways: by the sender's key bytes (the hot path of
/// ingest), by labels, and by label pair through sorted postings lists (the inverted index
/// selectors are answered from). Guarded by one lock in `TSDB`; every operation is short.
struct SeriesIndex {
    struct KeyEntry {
        var kind: UInt8
        var bytes: [UInt8]
        var series: MemSeries
    }

    var byKey: [UInt64: [KeyEntry]] = [:]
    var keyEntries = 0
    var byLabels: [Labels: MemSeries] = [:]
    var byRef: [UInt64: MemSeries] = [:]
    /// label name → value → series refs, ascending.
    var postings: [String: [String: [UInt64]]] = [:]
    var perMetric: [String: Int] = [:]
    var nextRef: UInt64 = 1
    /// Series not yet in the chunk store, with the log segment their record went to.
    var unpersisted: [(series: MemSeries, segment: Int)] = []

    var count: Int { byRef.count }

    func lookup(kind: UInt8, hash: UInt64, key: UnsafeRawBufferPointer) -> MemSeries? {
        guard let entries = byKey[hash] else { return nil }
        for entry in entries where entry.kind == kind && entry.bytes.count == key.count {
            let equal = entry.bytes.withUnsafeBytes { stored in memcmp(stored.baseAddress!, key.baseAddress!, key.count) == 0 }
            if equal { return entry.series }
        }
        return nil
    }

    mutating func remember(kind: UInt8, hash: UInt64, key: [UInt8], series: MemSeries) {
        // Senders with ever-changing encodings must not grow the cache without bound.
        if keyEntries > 2 * byRef.count + 100_000 {
            byKey.removeAll()
            keyEntries = 0
        }
        byKey[hash, default: []].append(KeyEntry(kind: kind, bytes: key, series: series))
        keyEntries += 1
    }

    mutating func insert(_ series: MemSeries) {
        byRef[series.ref] = series
        byLabels[series.labels] = series
        perMetric[series.metricName, default: 0] += 1
        for label in series.labels.pairs {
            var values = postings[label.name, default: [:]]
            var refs = values[label.value, default: []]
            if let last = refs.last, last > series.ref {
                refs.insert(series.ref, at: refs.partitioningIndex { $0 >= series.ref })
            } else {
                refs.append(series.ref)
            }
            values[label.value] = refs
            postings[label.name] = values
        }
        if series.ref >= nextRef { nextRef = series.ref + 1 }
    }

    mutating func remove(_ series: MemSeries) {
        guard byRef.removeValue(forKey: series.ref) != nil else { return }
        byLabels.removeValue(forKey: series.labels)
        perMetric[series.metricName, default: 1] -= 1
        if perMetric[series.metricName] == 0 { perMetric.removeValue(forKey: series.metricName) }
        for label in series.labels.pairs {
            guard var values = postings[label.name], var refs = values[label.value] else { continue }
            let index = refs.partitioningIndex { $0 >= series.ref }
            if index < refs.count, refs[index] == series.ref { refs.remove(at: index) }
            if refs.isEmpty { values.removeValue(forKey: label.value) } else { values[label.value] = refs }
            if values.isEmpty { postings.removeValue(forKey: label.name) } else { postings[label.name] = values }
        }
        for (hash, entries) in byKey where entries.contains(where: { $0.series === series }) {
            let kept = entries.filter { $0.series !== series }
            keyEntries -= entries.count - kept.count
            byKey[hash] = kept.isEmpty ? nil : kept
        }
    }

    /// Series matching every matcher, in label order. Matchers that reject the empty value
    /// narrow the set through postings; the rest filter what remains.
    func select(_ matchers: [LabelMatcher]) -> [MemSeries] {
        var lists: [[UInt64]] = []
        for matcher in matchers where !matcher.matchesEmpty {
            guard let values = postings[matcher.name] else { return [] }
            switch matcher.kind {
            case .equal:
                guard let refs = values[matcher.value] else { return [] }
                lists.append(refs)
            default:
                var union: [UInt64] = []
                for (value, refs) in values where matcher.matches(value) { union.append(contentsOf: refs) }
                if union.isEmpty { return [] }
                union.sort()
                lists.append(union)
            }
        }
        var candidates: [MemSeries]
        if lists.isEmpty {
            candidates = Array(byRef.values)
        } else {
            lists.sort { $0.count < $1.count }
            var refs = lists[0]
            for list in lists.dropFirst() {
                refs = intersect(refs, list)
                if refs.isEmpty { return [] }
            }
            candidates = refs.compactMap { byRef[$0] }
        }
        candidates = candidates.filter { series in
            matchers.allSatisfy { $0.matches(series.labels[$0.name] ?? "") }
        }
        candidates.sort { $0.labels < $1.labels }
        return candidates
    }

    /// Union of several selectors; all series when there is none.
    func select(any selectors: [[LabelMatcher]]) -> [MemSeries] {
        if selectors.isEmpty { return byRef.values.sorted { $0.labels < $1.labels } }
        if selectors.count == 1 { return select(selectors[0]) }
        var seen = Set<UInt64>()
        var result: [MemSeries] = []
        for selector in selectors {
            for series in select(selector) where seen.insert(series.ref).inserted { result.append(series) }
        }
        result.sort { $0.labels < $1.labels }
        return result
    }

    private func intersect(_ left: [UInt64], _ right: [UInt64]) -> [UInt64] {
        var result: [UInt64] = []
        var i = 0
        var j = 0
        while i < left.count && j < right.count {
            if left[i] == right[j] {
                result.append(left[i])
                i += 1
                j += 1
            } else if left[i] < right[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return result
    }
}
