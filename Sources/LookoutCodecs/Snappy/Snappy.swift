/// Snappy block format (not the framed stream format), as Prometheus remote write uses it.
///
/// The decoder is the hot path of remote-write ingest, so it works on raw pointers, copies
/// matches eight bytes at a time when they do not overlap, and checks every length and offset
/// against the declared size before touching memory: hostile input is an error, never a crash.
public enum Snappy {
    /// The uncompressed length the block declares, without decoding it.
    public static func decodedLength(_ input: UnsafeRawBufferPointer) throws(CodecError) -> Int {
        var position = 0
        return try readPreamble(input, &position)
    }

    private static func readPreamble(_ input: UnsafeRawBufferPointer, _ position: inout Int) throws(CodecError) -> Int {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < input.count {
            let byte = input[position]
            position += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 {
                guard result <= UInt64(UInt32.max) else { throw CodecError("snappy: declared length \(result) is too large") }
                return Int(result)
            }
            shift += 7
            if shift > 28 { throw CodecError("snappy: declared length is longer than 32 bits") }
        }
        throw CodecError("snappy: truncated length preamble")
    }

    /// Decodes a block, refusing one that declares more than `maxLength` bytes before allocating.
    public static func decode(_ input: UnsafeRawBufferPointer, maxLength: Int) throws(CodecError) -> [UInt8] {
        var position = 0
        let length = try readPreamble(input, &position)
        guard length <= maxLength else {
            throw CodecError("snappy: the block decodes to \(length) bytes, more than the limit of \(maxLength)")
        }
        var failure: CodecError?
        // Eight spare bytes let matches copy whole words past their end without a bounds branch.
        var output = [UInt8](unsafeUninitializedCapacity: length + 8) { buffer, initialized in
            do throws(CodecError) {
                try decodeBody(input, from: position, into: UnsafeMutableRawBufferPointer(buffer), length: length)
            } catch {
                failure = error
            }
            initialized = length
        }
        if let failure { throw failure }
        output.removeLast(output.count - length)
        return output
    }

    public static func decode(_ input: [UInt8], maxLength: Int) throws(CodecError) -> [UInt8] {
        var result: Result<[UInt8], CodecError> = .success([])
        input.withUnsafeBytes { raw in
            do throws(CodecError) { result = .success(try decode(raw, maxLength: maxLength)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    private static func decodeBody(_ input: UnsafeRawBufferPointer, from start: Int,
                                   into output: UnsafeMutableRawBufferPointer, length: Int) throws(CodecError) {
        guard let src = input.baseAddress, let dst = output.baseAddress else {
            if length == 0 && start == input.count { return }
            throw CodecError("snappy: empty input")
        }
        var s = start
        var d = 0
        let end = input.count
        while s < end {
            let tag = src.load(fromByteOffset: s, as: UInt8.self)
            s += 1
            var copyLength: Int
            var offset: Int
            switch tag & 3 {
            case 0:
                var literal = Int(tag >> 2)
                if literal >= 60 {
                    let extra = literal - 59
                    guard s + extra <= end else { throw CodecError("snappy: truncated literal length at byte \(s)") }
                    literal = 0
                    for index in 0..<extra {
                        literal |= Int(src.load(fromByteOffset: s + index, as: UInt8.self)) << (8 * index)
                    }
                    s += extra
                }
                literal += 1
                guard literal <= end - s else { throw CodecError("snappy: literal of \(literal) bytes runs past the input") }
                guard literal <= length - d else { throw CodecError("snappy: literal overflows the declared length \(length)") }
                (dst + d).copyMemory(from: src + s, byteCount: literal)
                s += literal
                d += literal
                continue
            case 1:
                guard s < end else { throw CodecError("snappy: truncated copy at byte \(s)") }
                copyLength = 4 + Int((tag >> 2) & 7)
                offset = Int(tag & 0xe0) << 3 | Int(src.load(fromByteOffset: s, as: UInt8.self))
                s += 1
            case 2:
                guard s + 2 <= end else { throw CodecError("snappy: truncated copy at byte \(s)") }
                copyLength = 1 + Int(tag >> 2)
                offset = Int(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: s, as: UInt16.self)))
                s += 2
            default:
                guard s + 4 <= end else { throw CodecError("snappy: truncated copy at byte \(s)") }
                copyLength = 1 + Int(tag >> 2)
                offset = Int(UInt32(littleEndian: src.loadUnaligned(fromByteOffset: s, as: UInt32.self)))
                s += 4
            }
            guard offset > 0, offset <= d else { throw CodecError("snappy: copy offset \(offset) is outside the \(d) bytes decoded") }
            guard copyLength <= length - d else { throw CodecError("snappy: copy overflows the declared length \(length)") }
            let from = d - offset
            if offset >= 8 {
                // Whole-word copies never read bytes they wrote themselves when the offset is at
                // least eight; the last word may write up to 7 bytes past the match, into the
                // output's 8 spare bytes or bytes a later element overwrites.
                var copied = 0
                while copied < copyLength {
                    (dst + d + copied).storeBytes(of: (dst + from + copied).loadUnaligned(as: UInt64.self), as: UInt64.self)
                    copied += 8
                }
            } else {
                for index in 0..<copyLength {
                    dst.storeBytes(of: dst.load(fromByteOffset: from + index, as: UInt8.self), toByteOffset: d + index, as: UInt8.self)
                }
            }
            d += copyLength
        }
        guard d == length else { throw CodecError("snappy: decoded \(d) bytes, the block declares \(length)") }
    }
}
