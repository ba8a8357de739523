#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import LookoutCodecs
import LookoutStorage

/// An append-only log of numbered segment files. Every entry is framed as
/// `length u32 LE | CRC-32C u32 LE | payload`; a torn or corrupt entry ends replay of its
/// segment.
///
/// Appends are group-committed by one dedicated thread: whatever queued while the previous
/// fsync ran is written with one `write` and made durable with one `fdatasync`, so thousands
/// of requests share a sync and no cooperative thread ever blocks on the disk.
final class WriteAheadLog: @unchecked Sendable {
    struct Entry {
        var payload: [UInt8]
        var continuation: CheckedContinuation<Int, any Error>
    }

    let directory: String
    let segmentBytes: Int
    let maxQueuedBytes: Int
    private let logger: Logger
    private let observeSync: @Sendable (Double) -> Void
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Entry] = []
    private var queuedBytes = 0
    private var closing = false
    private var rotateRequested = false
    private var segment: Int
    private var segmentSize = 0
    private var descriptor: Int32 = -1
    private var thread: Thread?
    private var finished = false

    /// Opens the log; writes go to a new segment after the existing ones (never appended to a
    /// segment that may end in a torn entry).
    init(directory: String, segmentBytes: Int, maxQueuedBytes: Int, logger: Logger,
         observeSync: @escaping @Sendable (Double) -> Void = { _ in }) throws {
        self.directory = directory
        self.segmentBytes = segmentBytes
        self.maxQueuedBytes = maxQueuedBytes
        self.logger = logger
        self.observeSync = observeSync
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        segment = (try WriteAheadLog.segments(in: directory).last ?? 0) + 1
    }

    /// Segment numbers on disk, ascending.
    static func segments(in directory: String) throws -> [Int] {
        try FileManager.default.contentsOfDirectory(atPath: directory).compactMap { name in
            name.count == 8 ? Int(name) : nil
        }.sorted()
    }

    private func path(of segment: Int) -> String {
        let digits = String(segment)
        return directory + "/" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// Reads every entry of every segment in order. Call before `start`.
    func replay(_ body: (_ segment: Int, _ payload: [UInt8]) throws -> Void) throws {
        for number in try WriteAheadLog.segments(in: directory) {
            guard let data = FileManager.default.contents(atPath: path(of: number)) else { continue }
            let bytes = [UInt8](data)
            var position = 0
            while position + 8 <= bytes.count {
                let length = Int(bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: position, as: UInt32.self)) })
                let crc = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: position + 4, as: UInt32.self)) }
                guard length <= bytes.count - position - 8 else { break }
                let payload = Array(bytes[(position + 8)..<(position + 8 + length)])
                guard CRC32C.checksum(payload) == crc else { break }
                try body(number, payload)
                position += 8 + length
            }
            if position != bytes.count {
                logger.warning("write-ahead log segment ends in a torn or corrupt entry; the rest of it is ignored",
                               metadata: ["segment": "\(number)", "offset": "\(position)", "size": "\(bytes.count)"])
            }
        }
    }

    /// Opens the first segment to write and starts the writer thread.
    func start() throws {
        try openSegment()
        let thread = Thread { [self] in run() }
        thread.name = "lookout-wal"
        self.thread = thread
        thread.start()
    }

    /// The segment new entries go to now (an entry appended afterwards lands in it or later).
    var currentSegment: Int {
        condition.lock()
        defer { condition.unlock() }
        return segment
    }

    /// Appends `payload` and returns once it is durable, with the segment that holds it.
    func append(_ payload: [UInt8]) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if closing {
                condition.unlock()
                continuation.resume(throwing: StorageError(.unavailable, "the write-ahead log is closed"))
                return
            }
            if queuedBytes > maxQueuedBytes {
                condition.unlock()
                continuation.resume(throwing: StorageError(.overloaded, "the write-ahead log is behind; retry later"))
                return
            }
            queue.append(Entry(payload: payload, continuation: continuation))
            queuedBytes += payload.count
            condition.signal()
            condition.unlock()
        }
    }

    /// Starts a new segment with the next group, so the current one can be dropped.
    func rotate() {
        condition.lock()
        rotateRequested = true
        condition.signal()
        condition.unlock()
    }

    /// Deletes segments numbered below `segment` (never the one being written).
    func truncate(before segment: Int) {
        let limit = min(segment, currentSegment)
        guard let numbers = try? WriteAheadLog.segments(in: directory) else { return }
        for number in numbers where number < limit {
            unlink(path(of: number))
        }
    }

    /// Bytes of all segments on disk.
    func diskBytes() -> Int64 {
        guard let numbers = try? WriteAheadLog.segments(in: directory) else { return 0 }
        return numbers.reduce(0) { total, number in
            var info = stat()
            return stat(path(of: number), &info) == 0 ? total + Int64(info.st_size) : total
        }
    }

    /// Writes what is queued, then stops the thread. Later appends fail.
    func close() {
        condition.lock()
        closing = true
        condition.signal()
        while !finished && thread != nil { condition.wait() }
        condition.unlock()
    }

    private func openSegment() throws {
        let fd = open(path(of: segment), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StorageError(.unavailable, "cannot open write-ahead log segment \(path(of: segment)): \(String(cString: strerror(errno)))")
        }
        descriptor = fd
        segmentSize = 0
        // The new file's directory entry must be durable too.
        let directoryFD = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            Glibc.close(directoryFD)
        }
    }

    private func run() {
        var buffer: [UInt8] = []
        while true {
            condition.lock()
            while queue.isEmpty && !closing && !rotateRequested { condition.wait() }
            if queue.isEmpty && closing {
                if descriptor >= 0 { Glibc.close(descriptor); descriptor = -1 }
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let entries = queue
            queue.removeAll(keepingCapacity: true)
            queuedBytes = 0
            let rotate = rotateRequested || segmentSize >= segmentBytes
            rotateRequested = false
            condition.unlock()

            if rotate && segmentSize > 0 {
                condition.lock()
                Glibc.close(descriptor)
                segment += 1
                do { try openSegment() } catch {
                    logger.error("cannot start a new write-ahead log segment", metadata: ["error": "\(error)"])
                }
                condition.unlock()
            }
            guard !entries.isEmpty else { continue }

            buffer.removeAll(keepingCapacity: true)
            for entry in entries where !entry.payload.isEmpty {
                var length = UInt32(entry.payload.count).littleEndian
                var crc = CRC32C.checksum(entry.payload).littleEndian
                withUnsafeBytes(of: &length) { buffer.append(contentsOf: $0) }
                withUnsafeBytes(of: &crc) { buffer.append(contentsOf: $0) }
                buffer.append(contentsOf: entry.payload)
            }
            // A group of barriers only (entries with nothing to write) needs no sync: everything
            // queued before it was synced by the previous group.
            var failure: StorageError?
            if !buffer.isEmpty {
                let started = ContinuousClock.now
                failure = writeAll(buffer)
                let elapsed = ContinuousClock.now - started
                observeSync(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            condition.lock()
            let written = segment
            segmentSize += buffer.count
            // A failed write may leave a torn entry; later entries go to a fresh segment.
            if failure != nil { rotateRequested = true }
            condition.unlock()
            for entry in entries {
                if let failure {
                    entry.continuation.resume(throwing: failure)
                } else {
                    entry.continuation.resume(returning: written)
                }
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) -> StorageError? {
        let result: Int32 = bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return fdatasync(descriptor) == 0 ? 0 : errno
        }
        guard result == 0 else {
            logger.error("write-ahead log write failed", metadata: ["error": "\(String(cString: strerror(result)))"])
            return StorageError(.unavailable, "the write-ahead log cannot be written: \(String(cString: strerror(result)))")
        }
        return nil
    }
}
