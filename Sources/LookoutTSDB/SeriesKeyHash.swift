/// A fast 64-bit hash of a series key's bytes: eight bytes per multiply, then a final mix.
/// Keys are compared in full after a hash hit, so this only needs to spread well.
enum SeriesKeyHash {
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let p1: UInt64 = 0x9E37_79B9_7F4A_7C15
        let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        var h = seed ^ (UInt64(bytes.count) &* p1)
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            h = ((h ^ (word &* p2)) << 31 | (h ^ (word &* p2)) >> 33) &* p1
            index += 8
        }
        if index < count {
            var word: UInt64 = 0
            var shift: UInt64 = 0
            while index < count {
                word |= UInt64(bytes[index]) << shift
                shift += 8
                index += 1
            }
            h = ((h ^ (word &* p2)) << 31 | (h ^ (word &* p2)) >> 33) &* p1
        }
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 29
        return h
    }
}
