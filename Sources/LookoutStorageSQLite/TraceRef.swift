import LookoutModel

/// A trace's key in the store: the two halves of its ID as SQLite stores integers.
struct TraceRef: Hashable, Comparable, Sendable {
    var lo: Int64
    var hi: Int64

    init(lo: Int64, hi: Int64) {
        self.lo = lo
        self.hi = hi
    }

    init(_ id: TraceID) {
        self.init(lo: Int64(bitPattern: id.low), hi: Int64(bitPattern: id.high))
    }

    static func < (a: TraceRef, b: TraceRef) -> Bool { (a.lo, a.hi) < (b.lo, b.hi) }
}

/// A sorted, de-duplicated list of traces for one term, stored as 16 bytes per trace.
enum Postings {
    static func encode(_ refs: [TraceRef]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: refs.count * 16)
        bytes.withUnsafeMutableBytes { raw in
            for (index, ref) in refs.enumerated() {
                raw.storeBytes(of: ref.lo.littleEndian, toByteOffset: index * 16, as: Int64.self)
                raw.storeBytes(of: ref.hi.littleEndian, toByteOffset: index * 16 + 8, as: Int64.self)
            }
        }
        return bytes
    }

    static func decode(_ raw: UnsafeRawBufferPointer, into refs: inout [TraceRef]) {
        let count = raw.count / 16
        refs.reserveCapacity(refs.count + count)
        for index in 0..<count {
            refs.append(TraceRef(lo: Int64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 16, as: Int64.self)),
                                 hi: Int64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 16 + 8, as: Int64.self))))
        }
    }

    /// Merges sorted lists into one sorted list without duplicates.
    static func union(_ lists: [[TraceRef]]) -> [TraceRef] {
        if lists.count == 1 { return lists[0] }
        var all = lists.flatMap { $0 }
        all.sort()
        var result: [TraceRef] = []
        result.reserveCapacity(all.count)
        for ref in all where result.last != ref { result.append(ref) }
        return result
    }
}
