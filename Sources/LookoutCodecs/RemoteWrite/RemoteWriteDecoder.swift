import LookoutModel

/// Decodes remote-write 1.0 bodies (snappy block + protobuf `WriteRequest`). Errors name the
/// series and field: "timeseries[3].samples[0].timestamp: truncated varint".
public enum RemoteWriteDecoder {
    /// Decompresses and decodes; `maxDecodedBytes` bounds the snappy output before allocation.
    public static func decode(snappy compressed: UnsafeRawBufferPointer, maxDecodedBytes: Int,
                              maxSamples: Int) throws(CodecError) -> MetricBatch {
        let body = try Snappy.decode(compressed, maxLength: maxDecodedBytes)
        return try decode(protobuf: body, maxSamples: maxSamples)
    }

    public static func decode(protobuf body: [UInt8], maxSamples: Int) throws(CodecError) -> MetricBatch {
        var request = MetricBatch(keyKind: .remoteWrite, keyBytes: body) { bytes, range in
            try RemoteWriteDecoder.parseLabels(bytes, range)
        }
        try body.withUnsafeBufferPointer { (buffer) throws(CodecError) in
            guard let base = buffer.baseAddress else { return }
            var reader = ProtoReader(base: base, position: 0, end: buffer.count)
            // A sample costs at least 11 bytes on the wire; reserve for the likely count.
            request.timestamps.reserveCapacity(min(maxSamples, buffer.count / 16))
            request.valueBits.reserveCapacity(min(maxSamples, buffer.count / 16))
            while !reader.isAtEnd {
                let (field, wireType) = try reader.readKey()
                switch field {
                case 1:
                    let index = request.series.count
                    var message = try ProtoReader.within("timeseries[\(index)]") { () throws(CodecError) in
                        try reader.message("timeseries", wireType)
                    }
                    try ProtoReader.within("timeseries[\(index)]") { () throws(CodecError) in
                        try decodeSeries(&message, index: index, base: base, into: &request)
                    }
                    guard request.timestamps.count <= maxSamples else {
                        throw CodecError("the request holds more than \(maxSamples) samples, the limit per request")
                    }
                case 3:
                    let index = request.metadata.count
                    var message = try reader.message("metadata", wireType)
                    let metadata = try ProtoReader.within("metadata[\(index)]") { () throws(CodecError) in
                        try decodeMetadata(&message)
                    }
                    if let metadata { request.metadata.append(metadata) }
                default:
                    try reader.skipField(field, wireType)
                }
            }
        }
        return request
    }

    private static func decodeSeries(_ reader: inout ProtoReader, index: Int, base: UnsafePointer<UInt8>,
                                     into request: inout MetricBatch) throws(CodecError) {
        var labelStart = -1
        var labelEnd = -1
        var contiguous = true
        var sawOther = false
        let sampleStart = request.timestamps.count
        var histograms = 0
        while !reader.isAtEnd {
            let fieldStart = reader.position
            let (field, wireType) = try reader.readKey()
            switch field {
            case 1:
                _ = try reader.bytes("labels", wireType)
                if labelStart < 0 {
                    labelStart = fieldStart
                } else if sawOther {
                    contiguous = false
                }
                labelEnd = reader.position
                sawOther = false
            case 2:
                var sample = try reader.message("samples", wireType)
                let sampleIndex = request.timestamps.count - sampleStart
                try ProtoReader.within("samples[\(sampleIndex)]") { () throws(CodecError) in
                    var timestamp: Int64 = 0
                    var bits: UInt64 = 0
                    while !sample.isAtEnd {
                        let (field, wireType) = try sample.readKey()
                        switch field {
                        case 1: bits = try sample.fixed64("value", wireType)
                        case 2: timestamp = Int64(bitPattern: try sample.varint("timestamp", wireType))
                        default: try sample.skipField(field, wireType)
                        }
                    }
                    request.timestamps.append(timestamp)
                    request.valueBits.append(bits)
                }
                if labelStart >= 0 { sawOther = true }
            case 3:
                var message = try reader.message("exemplars", wireType)
                let exemplar = try ProtoReader.within("exemplars") { () throws(CodecError) in
                    try decodeExemplar(&message)
                }
                request.exemplars.append(.init(series: index, exemplar: exemplar))
                if labelStart >= 0 { sawOther = true }
            case 4:
                _ = try reader.bytes("histograms", wireType)
                histograms += 1
                if labelStart >= 0 { sawOther = true }
            default:
                try reader.skipField(field, wireType)
                if labelStart >= 0 { sawOther = true }
            }
        }
        var series = MetricBatch.Series(key: 0..<0, labels: nil, samples: sampleStart..<request.timestamps.count,
                                        unsupportedSamples: histograms)
        if labelStart < 0 {
            throw CodecError("labels: a series needs at least one label")
        } else if contiguous {
            series.key = labelStart..<labelEnd
        } else {
            var again = ProtoReader(base: base, position: labelStart, end: reader.end)
            series.labels = try validated(try labelFields(&again))
        }
        request.series.append(series)
    }

    /// Parses and validates the label fields in `range` of `body`.
    public static func parseLabels(_ body: [UInt8], _ range: Range<Int>) throws(CodecError) -> Labels {
        var labels: [Label] = []
        try body.withUnsafeBufferPointer { (buffer) throws(CodecError) in
            var reader = ProtoReader(base: buffer.baseAddress!, position: range.lowerBound, end: range.upperBound)
            labels = try labelFields(&reader)
        }
        return try validated(labels)
    }

    /// The `labels` fields (1) of a series message; other fields are skipped.
    private static func labelFields(_ reader: inout ProtoReader) throws(CodecError) -> [Label] {
        var labels: [Label] = []
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readKey()
            if field == 1 {
                var label = try reader.message("labels", wireType)
                labels.append(try decodeLabel(&label))
            } else {
                try reader.skipField(field, wireType)
            }
        }
        return labels
    }

    private static func decodeLabel(_ reader: inout ProtoReader) throws(CodecError) -> Label {
        var name = ""
        var value = ""
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readKey()
            switch field {
            case 1: name = try reader.string("name", wireType)
            case 2: value = try reader.string("value", wireType)
            default: try reader.skipField(field, wireType)
            }
        }
        return Label(name, value)
    }

    /// Prometheus' rules: a valid metric name in `__name__`, valid label names, no repeats.
    /// Empty values mean "no label" and are dropped; order on the wire does not matter.
    static func validated(_ labels: [Label]) throws(CodecError) -> Labels {
        for label in labels {
            if label.name == Labels.metricName {
                guard MetricNames.isValidMetricName(label.value) else {
                    throw CodecError("labels: invalid metric name \"\(label.value)\"")
                }
            } else if !MetricNames.isValidLabelName(label.name) {
                throw CodecError("labels: invalid label name \"\(label.name)\"")
            }
        }
        guard let result = Labels(unsorted: labels) else {
            let names = labels.map(\.name)
            let repeated = names.first { name in names.filter { $0 == name }.count > 1 } ?? ""
            throw CodecError("labels: label name \"\(repeated)\" appears more than once")
        }
        guard !result.isEmpty else { throw CodecError("labels: a series needs at least one label") }
        return result
    }

    private static func decodeExemplar(_ reader: inout ProtoReader) throws(CodecError) -> Exemplar {
        var labels: [Label] = []
        var value: Double = 0
        var timestamp: Int64?
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readKey()
            switch field {
            case 1:
                var label = try reader.message("labels", wireType)
                labels.append(try decodeLabel(&label))
            case 2: value = Double(bitPattern: try reader.fixed64("value", wireType))
            case 3: timestamp = Int64(bitPattern: try reader.varint("timestamp", wireType))
            default: try reader.skipField(field, wireType)
            }
        }
        guard let parsed = Labels(unsorted: labels) else { throw CodecError("labels: a label name appears more than once") }
        return Exemplar(labels: parsed, value: value, timestamp: timestamp)
    }

    private static func decodeMetadata(_ reader: inout ProtoReader) throws(CodecError) -> MetricMetadata? {
        var type = MetricType.unknown
        var name = ""
        var help = ""
        var unit = ""
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readKey()
            switch field {
            case 1:
                let raw = try reader.varint("type", wireType)
                let types: [MetricType] = [.unknown, .counter, .gauge, .histogram, .gaugehistogram, .summary, .info, .stateset]
                type = raw < UInt64(types.count) ? types[Int(raw)] : .unknown
            case 2: name = try reader.string("metric_family_name", wireType)
            case 4: help = try reader.string("help", wireType)
            case 5: unit = try reader.string("unit", wireType)
            default: try reader.skipField(field, wireType)
            }
        }
        guard !name.isEmpty else { return nil }
        return MetricMetadata(metricName: name, type: type, help: help, unit: unit)
    }
}
