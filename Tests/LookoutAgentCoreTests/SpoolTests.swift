import Foundation
@testable import LookoutAgentCore
import Testing

/// The spool over real files: order, acknowledgement, restarts, torn tails, its size bound.
@Suite(.timeLimit(.minutes(1)))
struct SpoolTests {
    final class Directory {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lookout-spool-\(UUID().uuidString)").path
        deinit { try? FileManager.default.removeItem(atPath: path) }
        var segments: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".seg") }.sorted() }
    }

    func payload(_ index: Int, size: Int = 100) -> [UInt8] { (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ index) } }

    @Test func oldestFirstUntilAcknowledged() throws {
        let directory = Directory()
        let spool = try Spool(directory: directory.path)
        let keys = try (0..<3).map { try spool.append(.metrics, payload($0)) }
        #expect(Set(keys).count == 3 && keys.allSatisfy { $0.count == 32 })
        for (index, key) in keys.enumerated() {
            let record = try #require(try spool.oldest())
            #expect(record.key == key && record.payload == payload(index) && record.kind == .metrics)
            #expect(try spool.oldest() == record, "unacknowledged: offered again")
            try spool.acknowledge(record)
        }
        #expect(try spool.oldest() == nil)
        #expect(spool.statistics == Spool.Statistics(bytes: 0, records: 0, droppedRecords: 0, droppedBytes: 0))
    }

    @Test func aRestartKeepsWhatWasNotAcknowledgedWithTheSameKeys() throws {
        let directory = Directory()
        var keys: [String] = []
        do {
            let spool = try Spool(directory: directory.path)
            keys = try (0..<4).map { try spool.append($0 % 2 == 0 ? .metrics : .spans, payload($0)) }
            try spool.acknowledge(try #require(try spool.oldest()))
            // Read but not acknowledged (sent, crashed before the answer): must come back.
            _ = try spool.oldest()
        }
        let reopened = try Spool(directory: directory.path)
        #expect(reopened.statistics.records == 3)
        var seen: [String] = []
        while let record = try reopened.oldest() {
            seen.append(record.key)
            try reopened.acknowledge(record)
        }
        #expect(seen == Array(keys.dropFirst()))
    }

    @Test func aTornTailIsCutOffAndAppendingGoesOn() throws {
        let directory = Directory()
        do {
            let spool = try Spool(directory: directory.path)
            try spool.append(.metrics, payload(1))
            try spool.append(.metrics, payload(2))
        }
        let segment = directory.path + "/" + directory.segments.last!
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        handle.seekToEndOfFile()
        handle.write(Data([200, 0, 0, 0, 1, 2, 3]))  // half a header
        handle.closeFile()
        let spool = try Spool(directory: directory.path)
        #expect(spool.statistics.records == 2)
        try spool.append(.spans, payload(3))
        var payloads: [[UInt8]] = []
        while let record = try spool.oldest() {
            payloads.append(record.payload)
            try spool.acknowledge(record)
        }
        #expect(payloads == [payload(1), payload(2), payload(3)])
    }

    @Test func theBoundDropsTheOldestAndCountsIt() throws {
        let directory = Directory()
        let spool = try Spool(directory: directory.path, maxBytes: 10_000, segmentBytes: 2_000)
        for index in 0..<100 { try spool.append(.metrics, payload(index, size: 475)) }
        let statistics = spool.statistics
        #expect(statistics.bytes <= 10_000)
        #expect(statistics.records == 20 && statistics.droppedRecords == 80 && statistics.droppedBytes == 80 * 500)
        #expect(try spool.oldest()?.payload == payload(80, size: 475), "the newest data is kept")
        #expect(directory.segments.count <= 6, "dropped segments are deleted: \(directory.segments)")
        while let record = try spool.oldest() { try spool.acknowledge(record) }
        #expect(directory.segments.count == 1)
    }
}
