/// A forward-only JSON reader over UTF-8 bytes, for decoding known shapes without building a
/// document tree. Positions in error messages are byte offsets.
public struct JSONReader: ~Copyable {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    @usableFromInline var position = 0
    /// Unescaped strings are written here; a returned buffer is valid until the next read.
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity = 256
    /// Nesting depth of skipped values is bounded so hostile input cannot exhaust the stack.
    static let maxSkipDepth = 64

    public init(_ buffer: UnsafeBufferPointer<UInt8>) {
        // An empty buffer may have a nil base address; point at a static byte instead.
        self.base = buffer.baseAddress ?? JSONReader.emptyBase
        self.end = buffer.count
        self.scratch = .allocate(capacity: 256)
    }

    deinit { scratch.deallocate() }

    nonisolated(unsafe) private static let emptyBase: UnsafePointer<UInt8> = {
        let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return UnsafePointer(pointer)
    }()

    public var offset: Int { position }
    public var isAtEnd: Bool { position >= end }

    @inlinable
    public mutating func skipWhitespace() {
        while position < end {
            switch base[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, not consumed; nil at the end.
    @inlinable
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < end ? base[position] : nil
    }

    public mutating func expect(_ byte: UInt8) throws(CodecError) {
        skipWhitespace()
        guard position < end else { throw CodecError("unexpected end of input, expected '\(Character(Unicode.Scalar(byte)))'") }
        guard base[position] == byte else { throw unexpected("'\(Character(Unicode.Scalar(byte)))'") }
        position += 1
    }

    func unexpected(_ expected: String) -> CodecError {
        if position >= end { return CodecError("unexpected end of input, expected \(expected)") }
        return CodecError("malformed JSON at byte \(position): expected \(expected)")
    }

    /// Consumes `null` if it is next.
    public mutating func consumeNull() throws(CodecError) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    private mutating func literal(_ text: StaticString) throws(CodecError) {
        let count = text.utf8CodeUnitCount
        guard position + count <= end else { throw unexpected("\(text)") }
        let bytes = text.utf8Start
        for i in 0..<count where base[position + i] != bytes[i] {
            throw unexpected("\(text)")
        }
        position += count
    }

    public mutating func readBool() throws(CodecError) -> Bool {
        switch peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw unexpected("a boolean")
        }
    }

    /// Iterates the members of an object; `body` must consume each value.
    public mutating func readObject(_ body: (inout JSONReader, UnsafeBufferPointer<UInt8>) throws(CodecError) -> Void) throws(CodecError) {
        try expect(UInt8(ascii: "{"))
        if peek() == UInt8(ascii: "}") { position += 1; return }
        while true {
            let key = try readRawString()
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return
            default: throw unexpected("',' or '}'")
            }
        }
    }

    /// Iterates the elements of an array; `body` must consume each element.
    public mutating func readArray(_ body: (inout JSONReader) throws(CodecError) -> Void) throws(CodecError) {
        try expect(UInt8(ascii: "["))
        if peek() == UInt8(ascii: "]") { position += 1; return }
        while true {
            try body(&self)
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return
            default: throw unexpected("',' or ']'")
            }
        }
    }

    /// A string's bytes: a slice of the input when it has no escapes (the common case, no
    /// allocation), else unescaped into the reader's scratch. Valid until the next read.
    public mutating func readRawString() throws(CodecError) -> UnsafeBufferPointer<UInt8> {
        skipWhitespace()
        guard position < end, base[position] == UInt8(ascii: "\"") else { throw unexpected("a string") }
        let start = position + 1
        var i = start
        // Skip 8 bytes at a time while none is a quote, a backslash or a control character.
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while i + 8 <= end {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
            if special & highs != 0 { break }
            i += 8
        }
        while i < end {
            let byte = base[i]
            if byte == UInt8(ascii: "\"") {
                position = i + 1
                return UnsafeBufferPointer(start: base + start, count: i - start)
            }
            if byte == UInt8(ascii: "\\") {
                return try readEscapedString(from: start)
            }
            if byte < 0x20 { position = i; throw CodecError("malformed JSON at byte \(i): control character in string") }
            i += 1
        }
        position = end
        throw CodecError("unexpected end of input inside a string")
    }

    private mutating func readEscapedString(from start: Int) throws(CodecError) -> UnsafeBufferPointer<UInt8> {
        var bytes: [UInt8] = []
        var i = start
        while i < end {
            let byte = base[i]
            switch byte {
            case UInt8(ascii: "\""):
                position = i + 1
                if bytes.count > scratchCapacity {
                    scratch.deallocate()
                    scratchCapacity = bytes.count
                    scratch = .allocate(capacity: scratchCapacity)
                }
                bytes.withUnsafeBufferPointer { source in
                    if let from = source.baseAddress { scratch.update(from: from, count: source.count) }
                }
                return UnsafeBufferPointer(start: scratch, count: bytes.count)
            case UInt8(ascii: "\\"):
                guard i + 1 < end else { break }
                let escape = base[i + 1]
                i += 2
                switch escape {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "/"): bytes.append(0x2F)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4(at: i)
                    i += 4
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard i + 6 <= end, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "u") else {
                            throw CodecError("malformed JSON at byte \(i): unpaired surrogate in string")
                        }
                        let low = try hex4(at: i + 2)
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw CodecError("malformed JSON at byte \(i): unpaired surrogate in string")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw CodecError("malformed JSON at byte \(i): unpaired surrogate in string")
                    }
                    bytes.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
                default:
                    throw CodecError("malformed JSON at byte \(i - 1): invalid escape in string")
                }
                continue
            default:
                if byte < 0x20 { throw CodecError("malformed JSON at byte \(i): control character in string") }
                bytes.append(byte)
            }
            i += 1
        }
        position = end
        throw CodecError("unexpected end of input inside a string")
    }

    private func hex4(at index: Int) throws(CodecError) -> UInt32 {
        guard index + 4 <= end else { throw CodecError("unexpected end of input in \\u escape") }
        var value: UInt32 = 0
        for k in 0..<4 {
            let byte = base[index + k]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 55)
            default: throw CodecError("malformed JSON at byte \(index + k): invalid \\u escape")
            }
            value = value << 4 | digit
        }
        return value
    }
}

extension JSONReader {
    /// A string value, validated as UTF-8.
    public mutating func readString() throws(CodecError) -> String {
        let raw = try readRawString()
        guard let string = JSONReader.string(validatingUTF8: raw) else {
            throw CodecError("invalid UTF-8 in string ending at byte \(position)")
        }
        return string
    }

    /// ASCII (nearly every span field) needs no validation; `String(validating:)` is slow here.
    static func string(validatingUTF8 raw: UnsafeBufferPointer<UInt8>) -> String? {
        var ascii = true
        for byte in raw where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: raw, as: UTF8.self) }
        let string = String(decoding: raw, as: UTF8.self)
        // Decoding replaces invalid sequences; valid input round-trips to the same bytes.
        return string.utf8.elementsEqual(raw) ? string : nil
    }

    /// An integer; a number with a fraction or exponent is rounded, as lenient reporters send them.
    public mutating func readInt64() throws(CodecError) -> Int64 {
        skipWhitespace()
        let start = position
        var negative = false
        if position < end, base[position] == UInt8(ascii: "-") { negative = true; position += 1 }
        var value: Int64 = 0
        var digits = 0
        var overflow = false
        while position < end {
            let byte = base[position]
            guard byte >= 48, byte <= 57 else { break }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(byte - 48))
            overflow = overflow || o1 || o2
            value = a
            digits += 1
            position += 1
        }
        if digits == 0 { position = start; throw unexpected("a number") }
        if position < end, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(base[position]) {
            while position < end, (base[position] >= 48 && base[position] <= 57) || [0x2E, 0x65, 0x45, 0x2B, 0x2D].contains(base[position]) {
                position += 1
            }
            let text = String(decoding: UnsafeBufferPointer(start: base + start, count: position - start), as: UTF8.self)
            guard let double = Double(text), double.isFinite, abs(double) < 9.2e18 else {
                throw CodecError("malformed number at byte \(start)")
            }
            return Int64(double.rounded())
        }
        if overflow { throw CodecError("number out of range at byte \(start)") }
        return negative ? -value : value
    }

    /// Skips any value, bounded in depth.
    public mutating func skipValue() throws(CodecError) {
        try skipValue(depth: 0)
    }

    private mutating func skipValue(depth: Int) throws(CodecError) {
        if depth > JSONReader.maxSkipDepth { throw CodecError("JSON nested deeper than \(JSONReader.maxSkipDepth) levels") }
        switch peek() {
        case UInt8(ascii: "{"):
            try readObject { (reader: inout JSONReader, _) throws(CodecError) in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            try readArray { (reader: inout JSONReader) throws(CodecError) in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""):
            _ = try readRawString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try readBool()
        case UInt8(ascii: "n"):
            _ = try consumeNull()
        case .some(let byte) where byte == UInt8(ascii: "-") || (byte >= 48 && byte <= 57):
            position += 1
            while position < end, (base[position] >= 48 && base[position] <= 57) || [0x2E, 0x65, 0x45, 0x2B, 0x2D].contains(base[position]) {
                position += 1
            }
        default:
            throw unexpected("a value")
        }
    }

    /// Fails unless only whitespace remains.
    public mutating func expectEnd() throws(CodecError) {
        skipWhitespace()
        if position < end { throw CodecError("malformed JSON at byte \(position): unexpected data after the end") }
    }
}

func equals(_ buffer: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
    let count = literal.utf8CodeUnitCount
    guard buffer.count == count else { return false }
    let bytes = literal.utf8Start
    for i in 0..<count where buffer[i] != bytes[i] { return false }
    return true
}
