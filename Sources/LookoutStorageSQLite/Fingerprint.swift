/// A stable 64-bit hash for de-duplicating span fragments and keying search terms. It is stored
/// on disk, so it must never change between versions.
struct Fingerprint {
    private(set) var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    init() {}

    mutating func combine(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            mix(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        mix(tail ^ (UInt64(count) << 56))
    }

    mutating func combine(_ string: String) {
        var string = string
        string.withUTF8 { combine(UnsafeRawBufferPointer($0)) }
        // 0xFF never occurs in UTF-8, so it separates fields unambiguously.
        mix(0xFF)
    }

    mutating func combine(_ value: UInt64) { mix(value) }

    private mutating func mix(_ word: UInt64) {
        var x = state ^ word
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        state = x ^ (x >> 31)
    }

    /// As a signed value, the way SQLite stores integers.
    var value: Int64 { Int64(bitPattern: state) }

    static func of(_ bytes: [UInt8]) -> Int64 {
        var fingerprint = Fingerprint()
        bytes.withUnsafeBytes { fingerprint.combine($0) }
        return fingerprint.value
    }
}
