/// Samples for many series as ingest hands them to storage, kept flat so that a request of
/// thousands of series costs a handful of allocations:
///
/// - each series has a key: a byte range of `keyBytes` that is the same every time a sender
///   sends that series (for remote write, its encoded label fields). Storage finds a series it
///   has seen by hashing that range, without parsing labels again;
/// - samples of all series sit in two parallel arrays, each series owning a contiguous run.
public struct MetricBatch: Sendable {
    /// How `keyBytes` ranges encode labels; keys of different kinds never match each other.
    public enum KeyKind: UInt8, Sendable {
        /// `Labels.canonicalBytes`.
        case canonical = 0
        /// Remote-write `Label` fields.
        case remoteWrite = 1
    }

    public struct Series: Sendable {
        /// Empty when `labels` is set and the key is not worth caching.
        public var key: Range<Int>
        /// Set when the sender's encoding was parsed already; otherwise `parseLabels` reads `key`.
        public var labels: Labels?
        public var samples: Range<Int>
        /// Native histogram samples, which Lookout does not store yet.
        public var unsupportedSamples: Int

        public init(key: Range<Int>, labels: Labels?, samples: Range<Int>, unsupportedSamples: Int = 0) {
            self.key = key
            self.labels = labels
            self.samples = samples
            self.unsupportedSamples = unsupportedSamples
        }
    }

    public struct SeriesExemplar: Sendable {
        public var series: Int
        public var exemplar: Exemplar

        public init(series: Int, exemplar: Exemplar) {
            self.series = series
            self.exemplar = exemplar
        }
    }

    public var keyKind: KeyKind
    public var keyBytes: [UInt8]
    public var series: [Series] = []
    public var timestamps: [Int64] = []
    public var valueBits: [UInt64] = []
    public var exemplars: [SeriesExemplar] = []
    public var metadata: [MetricMetadata] = []
    /// Parses and validates the labels of a key of `keyKind`; the message says what is wrong.
    public var parseLabels: @Sendable ([UInt8], Range<Int>) throws -> Labels

    public init(keyKind: KeyKind, keyBytes: [UInt8],
                parseLabels: @escaping @Sendable ([UInt8], Range<Int>) throws -> Labels) {
        self.keyKind = keyKind
        self.keyBytes = keyBytes
        self.parseLabels = parseLabels
    }

    /// A batch of already-parsed series (text formats, tests, the agent).
    public init() {
        self.init(keyKind: .canonical, keyBytes: []) { bytes, range in
            guard let labels = Labels(canonicalBytes: bytes[range]) else { throw LabelMatcherError("malformed series key") }
            return labels
        }
    }

    /// Adds a parsed series and its samples; the canonical key is derived from the labels.
    public mutating func append(_ labels: Labels, _ samples: [MetricSample]) {
        precondition(keyKind == .canonical, "parsed series go into canonical batches")
        let keyStart = keyBytes.count
        keyBytes.append(contentsOf: labels.canonicalBytes)
        let sampleStart = timestamps.count
        for sample in samples {
            timestamps.append(sample.timestamp)
            valueBits.append(sample.value.bitPattern)
        }
        series.append(Series(key: keyStart..<keyBytes.count, labels: labels, samples: sampleStart..<timestamps.count))
    }

    public var sampleCount: Int { timestamps.count }
    public var unsupportedSampleCount: Int { series.reduce(0) { $0 + $1.unsupportedSamples } }

    /// The labels of series `index`, parsed and validated.
    public func labels(of index: Int) throws -> Labels {
        let entry = series[index]
        if let labels = entry.labels { return labels }
        return try parseLabels(keyBytes, entry.key)
    }
}
