import LookoutModel

/// Encodes a remote-write 1.0 `WriteRequest` (protobuf, not yet snappy-compressed): labels
/// sorted by name as the specification requires.
public enum RemoteWriteEncoder {
    public static func encode(_ series: [SeriesSamples], metadata: [MetricMetadata] = []) -> [UInt8] {
        var buffer: [UInt8] = []
        for entry in series {
            ProtoWriter.lengthDelimited(1, reserving: 2, into: &buffer) { buffer in
                for label in entry.labels.pairs {
                    ProtoWriter.lengthDelimited(1, reserving: 1, into: &buffer) { buffer in
                        ProtoWriter.string(1, label.name, into: &buffer)
                        ProtoWriter.string(2, label.value, into: &buffer)
                    }
                }
                for sample in entry.samples {
                    ProtoWriter.lengthDelimited(2, reserving: 1, into: &buffer) { buffer in
                        ProtoWriter.key(1, .fixed64, into: &buffer)
                        ProtoWriter.fixed64(sample.value.bitPattern, into: &buffer)
                        ProtoWriter.key(2, .varint, into: &buffer)
                        ProtoWriter.varint(UInt64(bitPattern: sample.timestamp), into: &buffer)
                    }
                }
            }
        }
        let types: [MetricType] = [.unknown, .counter, .gauge, .histogram, .gaugehistogram, .summary, .info, .stateset]
        for entry in metadata {
            ProtoWriter.lengthDelimited(3, reserving: 1, into: &buffer) { buffer in
                ProtoWriter.key(1, .varint, into: &buffer)
                ProtoWriter.varint(UInt64(types.firstIndex(of: entry.type) ?? 0), into: &buffer)
                ProtoWriter.string(2, entry.metricName, into: &buffer)
                if !entry.help.isEmpty { ProtoWriter.string(4, entry.help, into: &buffer) }
                if !entry.unit.isEmpty { ProtoWriter.string(5, entry.unit, into: &buffer) }
            }
        }
        return buffer
    }
}
