import Foundation
import LookoutCodecs
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Batches the agent has collected and the collector has not acknowledged yet, on disk, oldest
/// first. A batch is durable once `append` returns, survives agent restarts, and leaves only
/// when acknowledged, so nothing is lost while the collector is away. Bounded: past `maxBytes`
/// the oldest batches go first, and are counted.
///
/// Files: numbered segments (`000000000001.seg`) of records
/// `[payload length u32][crc32c u32][kind u8][key 16 bytes][payload]`, and `cursor`, the
/// position of the oldest unacknowledged record. A torn record at the end (a crash mid-write)
/// is cut off on open.
public final class Spool: Sendable {
    public enum Kind: UInt8, Sendable {
        case metrics = 1
        case spans = 2
    }

    public struct Record: Sendable, Equatable {
        public var kind: Kind
        /// The batch's idempotency key: a retried batch carries the same one.
        public var key: String
        public var payload: [UInt8]
        let segment: Int
        let offset: Int64
        var end: Int64 { offset + Int64(Spool.headerBytes + payload.count) }
    }

    public struct Statistics: Sendable, Equatable {
        public var bytes: Int64
        public var records: Int
        public var droppedRecords: Int
        public var droppedBytes: Int64
    }

    static let headerBytes = 25

    struct State {
        var writeFD: Int32 = -1
        var writeSegment = 0
        var writeOffset: Int64 = 0
        var readSegment = 0
        var readOffset: Int64 = 0
        var statistics = Statistics(bytes: 0, records: 0, droppedRecords: 0, droppedBytes: 0)
    }

    public let directory: String
    public let maxBytes: Int64
    let segmentBytes: Int64
    private let state = Mutex(State())

    public init(directory: String, maxBytes: Int64 = 256 << 20, segmentBytes: Int64 = 4 << 20) throws {
        self.directory = directory
        self.maxBytes = maxBytes
        self.segmentBytes = segmentBytes
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try state.withLock { state in try open(&state) }
    }

    deinit {
        state.withLock { state in if state.writeFD >= 0 { close(state.writeFD) } }
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    // MARK: - appending

    /// Stores a batch durably and returns its idempotency key.
    @discardableResult
    public func append(_ kind: Kind, _ payload: [UInt8]) throws -> String {
        var keyBytes = [UInt8](repeating: 0, count: 16)
        for index in keyBytes.indices { keyBytes[index] = UInt8.random(in: 0...255) }
        var record = [UInt8](repeating: 0, count: Self.headerBytes)
        record.reserveCapacity(Self.headerBytes + payload.count)
        record.append(contentsOf: payload)
        write32(UInt32(payload.count), into: &record, at: 0)
        record[8] = kind.rawValue
        record.replaceSubrange(9..<25, with: keyBytes)
        write32(record[8...].withUnsafeBytes { CRC32C.checksum($0) }, into: &record, at: 4)
        try state.withLock { state in
            if state.writeOffset >= segmentBytes { try startSegment(&state, state.writeSegment + 1) }
            try writeAll(state.writeFD, record)
            guard fsync(state.writeFD) == 0 else { throw SpoolError("fsync: \(String(cString: strerror(errno)))") }
            state.writeOffset += Int64(record.count)
            state.statistics.bytes += Int64(record.count)
            state.statistics.records += 1
            try dropOldest(&state)
        }
        return Self.hex(keyBytes)
    }

    /// Past the size bound, the oldest records go, whole segments at a time where possible.
    private func dropOldest(_ state: inout State) throws {
        while state.statistics.bytes > maxBytes && state.statistics.records > 1 {
            guard let record = try read(&state) else { break }
            state.readOffset = record.end
            state.statistics.records -= 1
            state.statistics.bytes -= record.end - record.offset
            state.statistics.droppedRecords += 1
            state.statistics.droppedBytes += record.end - record.offset
        }
        try saveCursor(state)
    }

    // MARK: - reading

    /// The oldest unacknowledged batch, or nil when everything was acknowledged.
    public func oldest() throws -> Record? {
        try state.withLock { state in try read(&state) }
    }

    /// Removes `record`, which must be the oldest, once the collector has it.
    public func acknowledge(_ record: Record) throws {
        try state.withLock { state in
            guard record.segment == state.readSegment && record.offset == state.readOffset else { return }
            state.readOffset = record.end
            state.statistics.records -= 1
            state.statistics.bytes -= record.end - record.offset
            try saveCursor(state)
            _ = try read(&state)  // moves past an exhausted segment and deletes it
        }
    }

    /// The record at the cursor; moves to the next segment (deleting the finished one) at a segment's end.
    private func read(_ state: inout State) throws -> Record? {
        while true {
            if state.readSegment == state.writeSegment && state.readOffset >= state.writeOffset { return nil }
            if let record = try readRecord(segment: state.readSegment, offset: state.readOffset) { return record }
            guard state.readSegment < state.writeSegment else { return nil }
            unlink(path(state.readSegment))
            state.readSegment += 1
            state.readOffset = 0
            try saveCursor(state)
        }
    }

    /// A valid record at `offset`, or nil at the end of the segment or a torn/corrupt record.
    private func readRecord(segment: Int, offset: Int64) throws -> Record? {
        let fd = Glibc.open(path(segment), O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: Self.headerBytes)
        guard readExactly(fd, &header, at: offset) else { return nil }
        let length = Int(read32(header, at: 0))
        guard length <= 64 << 20, let kind = Kind(rawValue: header[8]) else { return nil }
        var payload = [UInt8](repeating: 0, count: length)
        guard length == 0 || readExactly(fd, &payload, at: offset + Int64(Self.headerBytes)) else { return nil }
        let checksum = (Array(header[8...]) + payload).withUnsafeBytes { CRC32C.checksum($0) }
        guard checksum == read32(header, at: 4) else { return nil }
        return Record(kind: kind, key: Self.hex(Array(header[9..<25])), payload: payload, segment: segment, offset: offset)
    }

    // MARK: - files

    private func path(_ segment: Int) -> String {
        let digits = String(segment)
        return directory + "/" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".seg"
    }

    private func open(_ state: inout State) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let segments = names.compactMap { name -> Int? in name.hasSuffix(".seg") ? Int(name.dropLast(4)) : nil }.sorted()
        var cursor = (segment: segments.first ?? 1, offset: Int64(0))
        if let data = FileManager.default.contents(atPath: directory + "/cursor"),
           let text = String(data: data, encoding: .utf8) {
            let parts = text.split(separator: " ")
            if parts.count == 2, let segment = Int(parts[0]), let offset = Int64(parts[1]) { cursor = (segment, offset) }
        }
        // Segments before the cursor were acknowledged already.
        for segment in segments where segment < cursor.segment { unlink(path(segment)) }
        let live = segments.filter { $0 >= cursor.segment }
        state.readSegment = cursor.segment
        state.readOffset = cursor.offset
        guard let last = live.last else {
            try startSegment(&state, max(cursor.segment, 1))
            state.readSegment = state.writeSegment
            state.readOffset = 0
            return
        }
        // Count what is waiting; cut a torn tail off the newest segment.
        for segment in live {
            var offset = segment == cursor.segment ? cursor.offset : 0
            while let record = try readRecord(segment: segment, offset: offset) {
                offset = record.end
                state.statistics.records += 1
                state.statistics.bytes += record.end - record.offset
            }
            if segment == last {
                guard truncate(path(segment), off_t(offset)) == 0 else { throw SpoolError("cannot truncate \(path(segment))") }
                state.writeFD = Glibc.open(path(segment), O_WRONLY | O_APPEND | O_CLOEXEC)
                guard state.writeFD >= 0 else { throw SpoolError("cannot open \(path(segment))") }
                state.writeSegment = segment
                state.writeOffset = offset
            }
        }
    }

    private func startSegment(_ state: inout State, _ segment: Int) throws {
        if state.writeFD >= 0 { close(state.writeFD) }
        state.writeFD = Glibc.open(path(segment), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard state.writeFD >= 0 else { throw SpoolError("cannot create \(path(segment)): \(String(cString: strerror(errno)))") }
        state.writeSegment = segment
        state.writeOffset = 0
        syncDirectory()
    }

    /// The cursor is replaced atomically: a crash leaves the old or the new one, never half of one.
    private func saveCursor(_ state: State) throws {
        let temporary = directory + "/cursor.tmp"
        let text = Array("\(state.readSegment) \(state.readOffset)".utf8)
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpoolError("cannot write \(temporary)") }
        defer { close(fd) }
        try writeAll(fd, text)
        guard fsync(fd) == 0, rename(temporary, directory + "/cursor") == 0 else { throw SpoolError("cannot save the spool cursor") }
    }

    private func syncDirectory() {
        let fd = Glibc.open(directory, O_RDONLY | O_DIRECTORY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            guard result > 0 else { throw SpoolError("write: \(String(cString: strerror(errno)))") }
            written += result
        }
    }

    private func readExactly(_ fd: Int32, _ buffer: inout [UInt8], at offset: Int64) -> Bool {
        var done = 0
        while done < buffer.count {
            let count = buffer.count
            let result = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            guard result > 0 else { return false }
            done += result
        }
        return true
    }

    private func write32(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }

    private func read32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

public struct SpoolError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
