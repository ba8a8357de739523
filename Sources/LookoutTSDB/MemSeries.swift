import LookoutCodecs
import LookoutModel
import LookoutStorage
import Synchronization

/// A series held in memory: its identity and its head (the open in-order chunk and a sorted
/// buffer of late samples), each behind the series' own lock so appends to different series
/// never wait for each other.
final class MemSeries: Sendable {
    let ref: UInt64
    let labels: Labels
    let metricName: String
    let data: Mutex<SeriesData>

    init(ref: UInt64, labels: Labels, inOrderMaxTime: Int64?, minTime: Int64?, maxTime: Int64?, storedLateMaxTime: Int64 = .min) {
        self.ref = ref
        self.labels = labels
        self.metricName = labels.metricName ?? ""
        self.data = Mutex(SeriesData(flushedMaxTime: inOrderMaxTime ?? .min, maxTime: inOrderMaxTime ?? .min,
                                     firstTime: minTime ?? .max, lastTime: maxTime ?? .min, storedLateMaxTime: storedLateMaxTime))
    }
}

/// Samples a series holds in memory and the times it has seen.
struct SeriesData {
    /// The open in-order chunk.
    var chunk: XORChunkAppender?
    /// The oldest log segment holding a sample of `chunk`.
    var chunkSegment = Int.max
    /// Late samples, sorted by time, not yet in a chunk.
    var late: [MetricSampleBits] = []
    var lateSegment = Int.max
    /// The newest in-order sample already in a closed chunk (persisted or queued).
    var flushedMaxTime: Int64
    /// The newest in-order timestamp and its value: appends after it are in order.
    var maxTime: Int64
    var maxValueBits: UInt64 = 0
    /// The range of all data the series holds anywhere, for series and label queries.
    var firstTime: Int64
    var lastTime: Int64
    /// The newest in-order chunk written to the store, kept so that queries near now need not
    /// read the store: in-order chunks never overlap, so nothing older in the store falls after
    /// its start.
    var recent: StoredChunk?
    /// The newest timestamp of the series' out-of-order chunks in the store (`.min`: none).
    var storedLateMaxTime: Int64

    /// Whether everything the store holds for this series at or after `from` is `recent`.
    func storeCovered(from: Int64) -> Bool {
        guard let recent else { return false }
        return recent.minTime <= from && storedLateMaxTime < from
    }

    var isHeadEmpty: Bool { chunk == nil && late.isEmpty }

    /// The oldest log segment this series still needs.
    var pinnedSegment: Int { min(chunk == nil ? Int.max : chunkSegment, late.isEmpty ? Int.max : lateSegment) }
}

/// How one sample fared.
enum AppendOutcome {
    case inOrder
    case late
    case duplicate
    case conflict      // same timestamp, other value
    case tooLate       // older than the out-of-order window allows
}

extension SeriesData {
    /// Appends one sample; closed chunks go to `cut`. `window` is how far behind the newest
    /// sample a late one may be (nil: any, for log replay).
    @inline(__always)
    mutating func append(_ timestamp: Int64, _ valueBits: UInt64, segment: Int, window: Int64?,
                         ref: UInt64, chunkSamples: Int, cut: inout [StoredChunk]) -> AppendOutcome {
        if timestamp > maxTime {
            if chunk == nil {
                chunk = XORChunkAppender()
                chunkSegment = segment
            }
            chunk!.append(timestamp, valueBits)
            maxTime = timestamp
            maxValueBits = valueBits
            if timestamp > lastTime { lastTime = timestamp }
            if timestamp < firstTime { firstTime = timestamp }
            if chunk!.count >= chunkSamples { cutChunk(ref: ref, into: &cut) }
            return .inOrder
        }
        if timestamp == maxTime {
            return valueBits == maxValueBits ? .duplicate : .conflict
        }
        if let window, timestamp < maxTime - window { return .tooLate }
        // A late sample: compare with what memory holds at that time.
        if let chunk, timestamp >= chunk.firstTimestamp {
            let encoded = chunk.encoded()
            if let existing = (try? XORChunk.decode(encoded))?.first(where: { $0.timestamp == timestamp }) {
                return existing.valueBits == valueBits ? .duplicate : .conflict
            }
        }
        var low = 0
        var high = late.count
        while low < high {
            let middle = (low + high) / 2
            if late[middle].timestamp < timestamp { low = middle + 1 } else { high = middle }
        }
        if low < late.count, late[low].timestamp == timestamp {
            return late[low].valueBits == valueBits ? .duplicate : .conflict
        }
        if late.isEmpty { lateSegment = segment }
        late.insert(MetricSampleBits(timestamp: timestamp, valueBits: valueBits), at: low)
        if timestamp < firstTime { firstTime = timestamp }
        if late.count >= chunkSamples { cutLate(ref: ref, into: &cut) }
        return .late
    }

    mutating func cutChunk(ref: UInt64, into cut: inout [StoredChunk]) {
        guard let open = chunk, open.count > 0 else { return }
        cut.append(StoredChunk(series: ref, minTime: open.firstTimestamp, maxTime: open.lastTimestamp, kind: .inOrder,
                               encoding: XORChunk.encodingByte, data: open.encoded()))
        flushedMaxTime = open.lastTimestamp
        chunk = nil
        chunkSegment = Int.max
    }

    mutating func cutLate(ref: UInt64, into cut: inout [StoredChunk]) {
        guard let first = late.first, let last = late.last else { return }
        cut.append(StoredChunk(series: ref, minTime: first.timestamp, maxTime: last.timestamp, kind: .outOfOrder,
                               encoding: XORChunk.encodingByte, data: XORChunk.encode(late)))
        late.removeAll()
        lateSegment = Int.max
    }

    /// Copies of what memory holds, for a query.
    func snapshot() -> (chunk: [UInt8]?, late: [MetricSampleBits]) {
        (chunk.map { $0.encoded() }, late)
    }
}
