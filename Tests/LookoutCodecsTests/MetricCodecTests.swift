@testable import LookoutCodecs
import LookoutModel
import Testing

/// A small deterministic generator, so property tests are repeatable.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct SnappyTests {
    @Test(arguments: [0, 1, 15, 16, 17, 100, 4096, 70_000])
    func roundTripsCompressibleAndRandomData(size: Int) throws {
        var random = SplitMix(state: UInt64(size))
        let noise = (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
        let text = Array(String(repeating: "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} ", count: size / 40 + 1).utf8.prefix(size))
        for input in [noise, text] {
            let encoded = Snappy.encode(input)
            #expect(try Snappy.decode(encoded, maxLength: size) == input)
        }
        if size >= 4096 { #expect(Snappy.encode(text).count < size / 4) }
    }

    @Test func decodesOverlappingCopies() throws {
        // "ab" then a copy of offset 2, length 6: "abababab" (the copy reads what it writes).
        let block: [UInt8] = [8, 0b0000_0100, UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8((6 - 1) << 2 | 2), 2, 0]
        #expect(try Snappy.decode(block, maxLength: 100) == Array("abababab".utf8))
    }

    @Test func refusesHostileBlocksWithAnError() {
        let cases: [([UInt8], String)] = [
            ([], "truncated length preamble"),
            ([0x80], "truncated length preamble"),
            ([5, 0x10, 1, 2], "literal of 5 bytes runs past"),
            ([4, 0x0c, 1, 2, 3, 4, 0x01, 9], "copy offset"),
            ([3, 0x08, 1, 2, 3, 0x09, 1], "copy overflows"),
            ([10, 0x08, 1, 2, 3], "decoded 3 bytes, the block declares 10"),
            ([0xff, 0xff, 0xff, 0xff, 0x0f], "more than the limit"),
        ]
        for (block, message) in cases {
            #expect {
                _ = try Snappy.decode(block, maxLength: 1 << 20)
            } throws: { error in
                (error as? CodecError)?.message.contains(message) == true
            }
        }
    }

    @Test func randomCorruptionNeverCrashes() {
        var random = SplitMix(state: 7)
        let original = Snappy.encode(Array(String(repeating: "up{job=\"node\"} 1\n", count: 200).utf8))
        for _ in 0..<2000 {
            var block = original
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                block[Int.random(in: 0..<block.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            block = Array(block.prefix(Int.random(in: 0...block.count, using: &random)))
            _ = try? Snappy.decode(block, maxLength: 1 << 16)
        }
    }
}

@Suite struct XORChunkTests {
    static func roundTrip(_ samples: [MetricSampleBits]) throws {
        let encoded = XORChunk.encode(samples)
        let decoded = try XORChunk.decode(encoded)
        #expect(decoded == samples)
    }

    @Test func roundTripsRandomSeries() throws {
        var random = SplitMix(state: 42)
        for _ in 0..<300 {
            var time = Int64.random(in: -1_000_000...2_000_000_000_000, using: &random)
            var value = Double.random(in: -1e6...1e6, using: &random)
            var samples: [MetricSampleBits] = []
            for _ in 0..<Int.random(in: 1...400, using: &random) {
                // Regular steps mostly, with jitter and every delta-of-delta bucket.
                switch Int.random(in: 0..<10, using: &random) {
                case 0: time += Int64.random(in: 1...5_000_000_000, using: &random)
                case 1: time += Int64.random(in: 1...300, using: &random)
                default: time += 15_000 + Int64.random(in: -2...2, using: &random)
                }
                switch Int.random(in: 0..<8, using: &random) {
                case 0: value = .nan
                case 1: value = StaleMarker.value
                case 2: value = Bool.random(using: &random) ? .infinity : -.infinity
                case 3: break  // repeated
                case 4: value = Double(Int.random(in: 0...1000, using: &random))
                case 5: value = Double(bitPattern: random.next())
                default: value += Double.random(in: -10...10, using: &random)
                }
                samples.append(MetricSampleBits(timestamp: time, valueBits: value.bitPattern))
            }
            try Self.roundTrip(samples)
        }
    }

    @Test func keepsNaNPayloadsAndExtremes() throws {
        let values: [UInt64] = [StaleMarker.bitPattern, Double.nan.bitPattern, 0, (-0.0).bitPattern, UInt64.max,
                                Double.greatestFiniteMagnitude.bitPattern, Double.leastNonzeroMagnitude.bitPattern, 1]
        let times: [Int64] = [Int64.min / 4, -1, 0, 1, Int64.max / 4, Int64.max / 4 + 1, Int64.max / 4 + 2, Int64.max / 2]
        try Self.roundTrip(zip(times, values).map { MetricSampleBits(timestamp: $0, valueBits: $1) })
    }

    @Test func regularSeriesCompressLikeGorilla() throws {
        // A counter scraped every 15 s: 120 samples should take about 1-2 bytes each.
        let samples = (0..<120).map { MetricSampleBits(timestamp: 1_700_000_000_000 + Int64($0) * 15_000, valueBits: Double($0 * 3).bitPattern) }
        let encoded = XORChunk.encode(samples)
        #expect(encoded.count < 240)
        #expect(encoded.prefix(2) == [0, 120])
        try Self.roundTrip(samples)
    }

    @Test func truncatedChunksAreErrors() throws {
        let samples = (0..<50).map { MetricSampleBits(timestamp: Int64($0) * 1000, valueBits: Double($0).squareRoot().bitPattern) }
        let encoded = XORChunk.encode(samples)
        for length in [0, 1, 2, 5, encoded.count / 2, encoded.count - 2] {
            #expect(throws: CodecError.self) { _ = try XORChunk.decode(Array(encoded.prefix(length))) }
        }
    }
}

@Suite struct RemoteWriteTests {
    static let series = [
        SeriesSamples(labels: Labels(["__name__": "node_load1", "instance": "a:9100", "job": "node"]),
                      samples: [MetricSample(1000, 0.5), MetricSample(16_000, StaleMarker.value)]),
        SeriesSamples(labels: Labels(["__name__": "up", "job": "node"]), samples: [MetricSample(-5, 1)]),
    ]

    @Test func roundTripsThroughSnappyAndProtobuf() throws {
        let body = Snappy.encode(RemoteWriteEncoder.encode(Self.series, metadata: [MetricMetadata(metricName: "up", type: .gauge, help: "Up.")]))
        let batch = try body.withUnsafeBytes { try RemoteWriteDecoder.decode(snappy: $0, maxDecodedBytes: 1 << 20, maxSamples: 100) }
        #expect(batch.series.count == 2)
        #expect(try batch.labels(of: 0) == Self.series[0].labels)
        #expect(try batch.labels(of: 1) == Self.series[1].labels)
        #expect(batch.timestamps == [1000, 16_000, -5])
        #expect(batch.valueBits == [Double(0.5).bitPattern, StaleMarker.bitPattern, Double(1).bitPattern])
        #expect(batch.series[1].samples == 2..<3)
        #expect(batch.metadata == [MetricMetadata(metricName: "up", type: .gauge, help: "Up.")])
        // The key of a series is the same bytes every time it is sent.
        let again = try RemoteWriteDecoder.decode(protobuf: RemoteWriteEncoder.encode([Self.series[0]]), maxSamples: 100)
        #expect(again.keyBytes[again.series[0].key] == batch.keyBytes[batch.series[0].key])
    }

    static func labelFields(_ pairs: [(String, String)]) -> [UInt8] {
        var series: [UInt8] = []
        for (name, value) in pairs {
            var label: [UInt8] = []
            ProtoWriter.string(1, name, into: &label)
            ProtoWriter.string(2, value, into: &label)
            ProtoWriter.key(1, .lengthDelimited, into: &series)
            ProtoWriter.varint(UInt64(label.count), into: &series)
            series += label
        }
        return series
    }

    static func request(_ series: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        ProtoWriter.key(1, .lengthDelimited, into: &body)
        ProtoWriter.varint(UInt64(series.count), into: &body)
        return body + series
    }

    @Test func sortsLabelsAndRejectsBadOnes() throws {
        let unsorted = try RemoteWriteDecoder.decode(protobuf: Self.request(Self.labelFields([("job", "x"), ("__name__", "up")])), maxSamples: 10)
        #expect(try unsorted.labels(of: 0) == Labels(["__name__": "up", "job": "x"]))
        let cases: [([(String, String)], String)] = [
            ([("__name__", "up"), ("job", "a"), ("job", "b")], "appears more than once"),
            ([("__name__", "1up")], "invalid metric name"),
            ([("__name__", "up"), ("bad-name", "x")], "invalid label name"),
            ([("__name__", "")], "invalid metric name"),
        ]
        for (pairs, message) in cases {
            let batch = try RemoteWriteDecoder.decode(protobuf: Self.request(Self.labelFields(pairs)), maxSamples: 10)
            #expect { _ = try batch.labels(of: 0) } throws: { error in
                (error as? CodecError)?.message.contains(message) == true
            }
        }
    }

    @Test func truncatedAndOversizedRequestsAreErrors() throws {
        let body = RemoteWriteEncoder.encode(Self.series)
        for length in [1, 5, body.count / 2, body.count - 1] {
            #expect(throws: CodecError.self) { _ = try RemoteWriteDecoder.decode(protobuf: Array(body.prefix(length)), maxSamples: 100) }
        }
        #expect { _ = try RemoteWriteDecoder.decode(protobuf: body, maxSamples: 2) } throws: { error in
            (error as? CodecError)?.message.contains("limit per request") == true
        }
        let compressed = Snappy.encode(body)
        #expect { _ = try compressed.withUnsafeBytes { try RemoteWriteDecoder.decode(snappy: $0, maxDecodedBytes: 10, maxSamples: 100) } } throws: { error in
            (error as? CodecError)?.message.contains("more than the limit") == true
        }
    }

    @Test func randomGarbageNeverCrashes() {
        var random = SplitMix(state: 99)
        let body = RemoteWriteEncoder.encode(Self.series)
        for _ in 0..<3000 {
            var mutated = body
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                mutated[Int.random(in: 0..<mutated.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            if let batch = try? RemoteWriteDecoder.decode(protobuf: mutated, maxSamples: 100) {
                for index in batch.series.indices { _ = try? batch.labels(of: index) }
            }
        }
    }
}

@Suite struct PrometheusTextTests {
    @Test func parsesTheTextFormat() throws {
        let text = """
            # HELP http_requests_total The total number of HTTP requests.
            # TYPE http_requests_total counter
            http_requests_total{method="post",code="200"} 1027 1395066363000
            http_requests_total{method="post",code="400"}    3 1395066363000

            # A comment
            msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
            metric_without_timestamp_and_labels 12.47
            something_weird{problem="division by zero"} +Inf -3982045
            nan_value NaN

            """
        let result = try PrometheusTextParser(format: .text004).parse(Array(text.utf8))
        #expect(result.samples.count == 6)
        #expect(result.samples[0].labels == Labels(["__name__": "http_requests_total", "method": "post", "code": "200"]))
        #expect(result.samples[0].timestamp == 1_395_066_363_000)
        #expect(result.samples[2].labels["path"] == #"C:\DIR\FILE.TXT"#)
        #expect(result.samples[2].labels["error"] == "Cannot find file:\n\"FILE.TXT\"")
        #expect(result.samples[3].timestamp == nil)
        #expect(result.samples[4].value == .infinity && result.samples[4].timestamp == -3_982_045)
        #expect(result.samples[5].value.isNaN)
        #expect(result.metadata == [MetricMetadata(metricName: "http_requests_total", type: .counter, help: "The total number of HTTP requests.")])
    }

    @Test func parsesOpenMetricsWithExemplarsAndSeconds() throws {
        let text = """
            # TYPE foo_seconds histogram
            # UNIT foo_seconds seconds
            foo_seconds_bucket{le="0.1"} 8 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67
            foo_seconds_count 17 1520879607.789
            # EOF

            """
        let result = try PrometheusTextParser(format: .openMetrics).parse(Array(text.utf8))
        #expect(result.samples.count == 2)
        #expect(result.samples[0].timestamp == 1_520_879_607_789)
        #expect(result.samples[0].exemplar == Exemplar(labels: Labels(["trace_id": "KOO5S4vxi0o"]), value: 0.67, timestamp: nil))
        #expect(result.metadata == [MetricMetadata(metricName: "foo_seconds", type: .histogram, unit: "seconds")])
    }

    @Test(arguments: [
        ("up{job=\"a\" 1\n", "line 1: expected ',' or '}'"),
        ("up 1\nup{job=\"a} 1\n", "line 2: unterminated"),
        ("up\n", "line 1: expected a space and a value"),
        ("up abc\n", "line 1: invalid value"),
        ("up 1 12.5\n", "line 1: invalid timestamp"),
        ("1up 1\n", "line 1: invalid metric name \"1up\""),
        ("up{1a=\"x\"} 1\n", "line 1: invalid label name \"1a\""),
        ("up{a=\"x\",a=\"y\"} 1\n", "appears more than once"),
        ("# TYPE up blob\n", "unknown metric type"),
    ])
    func reportsTheLineOfAnError(text: String, message: String) {
        #expect { _ = try PrometheusTextParser(format: .text004).parse(Array(text.utf8)) } throws: { error in
            (error as? CodecError)?.message.contains(message) == true
        }
    }

    @Test func openMetricsNeedsEOF() {
        #expect { _ = try PrometheusTextParser(format: .openMetrics).parse(Array("up 1\n".utf8)) } throws: { error in
            (error as? CodecError)?.message.contains("# EOF") == true
        }
    }

    @Test func boundsLabelsPerSeries() {
        let labels = (0..<20).map { "l\($0)=\"v\"" }.joined(separator: ",")
        #expect(throws: CodecError.self) {
            _ = try PrometheusTextParser(format: .text004, maxLabelsPerSeries: 10).parse(Array("up{\(labels)} 1\n".utf8))
        }
    }

    @Test func selectorsParse() throws {
        let matchers = try SeriesSelectorParser.parse(#"node_cpu_seconds_total{mode!="idle", cpu=~"0|1", job!~'x.*'}"#)
        #expect(matchers.map(\.description) == [#"__name__="node_cpu_seconds_total""#, #"mode!="idle""#, #"cpu=~"0|1""#, #"job!~"x.*""#])
        #expect(throws: CodecError.self) { _ = try SeriesSelectorParser.parse(#"{job=~".*"}"#) }
        #expect(throws: CodecError.self) { _ = try SeriesSelectorParser.parse(#"up{job="a""#) }
        #expect(throws: CodecError.self) { _ = try SeriesSelectorParser.parse(#"up{job=~"("}"#) }
    }
}

@Suite struct DecimalChunkTests {
    @Test func roundTripsDecimalSeriesExactly() throws {
        var random = SplitMix(state: 5)
        for digits in 0...4 {
            var value = Double(Int.random(in: 0...1_000_000, using: &random))
            var time: Int64 = 1_700_000_000_000
            var samples: [MetricSampleBits] = []
            for _ in 0..<120 {
                let scale = DecimalChunk.power(digits)
                value += (Double(Int.random(in: -500...5000, using: &random)) / scale)
                value = (value * scale).rounded() / scale
                time += 15_000 + Int64.random(in: -3...3, using: &random)
                samples.append(MetricSampleBits(timestamp: time, valueBits: value.bitPattern))
            }
            let dense = try #require(DecimalChunk.encode(samples))
            #expect(try DecimalChunk.decode(dense) == samples)
            #expect(dense.count < XORChunk.encode(samples).count)
            let (encoding, compacted) = ChunkCodec.compact(encoding: XORChunk.encodingByte, XORChunk.encode(samples))
            #expect(encoding == DecimalChunk.encodingByte)
            #expect(try ChunkCodec.decode(encoding: encoding, compacted) == samples)
        }
    }

    @Test func declinesValuesWithoutAShortDecimalForm() {
        for value in [Double.nan, StaleMarker.value, .infinity, -0.0, 1.0 / 3.0, 1e300] {
            let samples = [MetricSampleBits(timestamp: 0, valueBits: Double(1).bitPattern),
                           MetricSampleBits(timestamp: 1000, valueBits: value.bitPattern)]
            #expect(DecimalChunk.encode(samples) == nil)
            // Such chunks stay XOR and still decode.
            let (encoding, bytes) = ChunkCodec.compact(encoding: XORChunk.encodingByte, XORChunk.encode(samples))
            #expect(encoding == XORChunk.encodingByte)
            #expect((try? ChunkCodec.decode(encoding: encoding, bytes)) == samples)
        }
    }

    @Test func truncatedDecimalChunksAreErrors() throws {
        let samples = (0..<60).map { MetricSampleBits(timestamp: Int64($0) * 1000, valueBits: (Double($0) * 0.25).bitPattern) }
        let dense = try #require(DecimalChunk.encode(samples))
        for length in [0, 3, 4, dense.count / 2] {
            #expect(throws: CodecError.self) { _ = try DecimalChunk.decode(Array(dense.prefix(length))) }
        }
    }
}
