/// Parses Go's RE2 regular expression syntax (regexp/syntax) into a tree. Go's engine runs in
/// linear time, and templates come from users, so Lookout runs its own linear-time matcher
/// instead of a backtracking one that a pattern like `(a+)+$` could stall.
indirect enum RegexNode {
    case empty
    case literal(Unicode.Scalar, fold: Bool)
    case any(matchesNewline: Bool)
    case charClass(RegexClass)
    case assertion(RegexAssertion)
    case capture(RegexNode, index: Int)
    case concat([RegexNode])
    case alternate([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?, greedy: Bool)
}

enum RegexAssertion {
    case beginLine, endLine, beginText, endText, wordBoundary, notWordBoundary
}

struct RegexClass {
    enum Item {
        case range(UInt32, UInt32)
        case category((Unicode.Scalar) -> Bool, negated: Bool)
    }
    var items: [Item] = []
    var negated = false
    var fold = false

    func matches(_ c: Unicode.Scalar) -> Bool {
        var hit = contains(c)
        if !hit && fold {
            hit = contains(RegexCase.lower(c)) || contains(RegexCase.upper(c))
        }
        return hit != negated
    }

    private func contains(_ c: Unicode.Scalar) -> Bool {
        for item in items {
            switch item {
            case .range(let lo, let hi): if c.value >= lo && c.value <= hi { return true }
            case .category(let test, let negated): if test(c) != negated { return true }
            }
        }
        return false
    }
}

enum RegexCase {
    static func lower(_ c: Unicode.Scalar) -> Unicode.Scalar {
        let m = c.properties.lowercaseMapping.unicodeScalars
        return m.count == 1 ? m.first! : c
    }

    static func upper(_ c: Unicode.Scalar) -> Unicode.Scalar {
        let m = c.properties.uppercaseMapping.unicodeScalars
        return m.count == 1 ? m.first! : c
    }
}

struct RegexParser {
    private let source: [Unicode.Scalar]
    private var i = 0
    private var fold = false, multiLine = false, dotNewline = false, ungreedy = false
    private(set) var captureCount = 0
    private(set) var names: [String: Int] = [:]

    static let maxRepeat = 1000

    init(_ pattern: String) {
        source = Array(pattern.unicodeScalars)
    }

    private func error(_ code: String, _ expr: some Sequence<Unicode.Scalar>) -> FunctionError {
        FunctionError("error parsing regexp: \(code): `\(String(String.UnicodeScalarView(expr)))`")
    }

    private var whole: ArraySlice<Unicode.Scalar> { source[...] }

    mutating func parse() throws(FunctionError) -> RegexNode {
        let node = try parseAlternation(depth: 0)
        if i < source.count { throw error("unexpected )", whole) }
        return node
    }

    private mutating func parseAlternation(depth: Int) throws(FunctionError) -> RegexNode {
        if depth > 200 { throw error("expression nests too deeply", whole) }
        var branches = [try parseConcat(depth: depth)]
        while i < source.count && source[i] == "|" {
            i += 1
            branches.append(try parseConcat(depth: depth))
        }
        return branches.count == 1 ? branches[0] : .alternate(branches)
    }

    private mutating func parseConcat(depth: Int) throws(FunctionError) -> RegexNode {
        var items: [RegexNode] = []
        while i < source.count && source[i] != "|" && source[i] != ")" {
            guard var atom = try parseAtom(depth: depth) else { continue }
            atom = try parseRepeats(atom)
            items.append(atom)
        }
        return items.count == 1 ? items[0] : items.isEmpty ? .empty : .concat(items)
    }

    private mutating func parseRepeats(_ atom: RegexNode) throws(FunctionError) -> RegexNode {
        var node = atom
        var previousOp: Int?
        while i < source.count {
            let opStart = i
            var (min, max): (Int, Int?)
            switch source[i] {
            case "*": (min, max) = (0, nil); i += 1
            case "+": (min, max) = (1, nil); i += 1
            case "?": (min, max) = (0, 1); i += 1
            case "{":
                guard let (lo, hi, next) = parseRepeatCount(at: i) else { return node }
                if lo > Self.maxRepeat || (hi ?? 0) > Self.maxRepeat || (hi.map { $0 < lo } ?? false) {
                    throw error("invalid repeat count", source[i..<next])
                }
                (min, max) = (lo, hi)
                i = next
            default:
                return node
            }
            var greedy = true
            if i < source.count && source[i] == "?" {
                greedy = false
                i += 1
            }
            if ungreedy { greedy.toggle() }
            if let previousOp { throw error("invalid nested repetition operator", source[previousOp..<i]) }
            if case .empty = node { throw error("missing argument to repetition operator", source[opStart..<i]) }
            node = .repetition(node, min: min, max: max, greedy: greedy)
            previousOp = opStart
        }
        return node
    }

    /// `{n}`, `{n,}` or `{n,m}`; nil when the brace is a literal.
    private func parseRepeatCount(at start: Int) -> (Int, Int?, Int)? {
        var j = start + 1
        func number() -> Int? {
            let begin = j
            while j < source.count, let d = source[j].properties.numericType, d == .decimal, source[j].isASCII { j += 1 }
            guard j > begin, j - begin <= 8 else { return nil }
            return Int(String(String.UnicodeScalarView(source[begin..<j])))
        }
        guard let lo = number() else { return nil }
        var hi: Int? = lo
        if j < source.count && source[j] == "," {
            j += 1
            hi = j < source.count && source[j] == "}" ? nil : number()
            if hi == nil && !(j < source.count && source[j] == "}") { return nil }
        }
        guard j < source.count && source[j] == "}" else { return nil }
        return (lo, hi, j + 1)
    }

    /// One atom, or nil for a flag group like `(?i)` that only changes state.
    private mutating func parseAtom(depth: Int) throws(FunctionError) -> RegexNode? {
        let c = source[i]
        switch c {
        case "(":
            return try parseGroup(depth: depth)
        case "[":
            return .charClass(try parseClass())
        case ".":
            i += 1
            return .any(matchesNewline: dotNewline)
        case "^":
            i += 1
            return .assertion(multiLine ? .beginLine : .beginText)
        case "$":
            i += 1
            return .assertion(multiLine ? .endLine : .endText)
        case "\\":
            return try parseEscape()
        case "*", "+", "?":
            throw error("missing argument to repetition operator", source[i...i])
        default:
            i += 1
            return .literal(c, fold: fold)
        }
    }

    private mutating func parseGroup(depth: Int) throws(FunctionError) -> RegexNode? {
        let start = i
        i += 1
        var captureIndex: Int?
        if i < source.count && source[i] == "?" {
            // (?P<name>re), (?<name>re), (?flags), (?flags:re)
            if i + 1 < source.count && (source[i + 1] == "P" || source[i + 1] == "<") {
                let nameStart = source[i + 1] == "P" ? i + 3 : i + 2
                if source[i + 1] == "P" && !(i + 2 < source.count && source[i + 2] == "<") {
                    throw error("invalid or unsupported Perl syntax", source[start..<min(i + 3, source.count)])
                }
                guard let close = source[min(nameStart, source.count)...].firstIndex(of: ">") else {
                    throw error("invalid named capture", source[start...])
                }
                let name = String(String.UnicodeScalarView(source[nameStart..<close]))
                guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0 == "_" || $0.properties.isAlphabetic || $0.properties.numericType == .decimal }),
                      names[name] == nil else {
                    throw error(names[name] == nil ? "invalid named capture" : "duplicate capture group name", source[start...close])
                }
                captureCount += 1
                captureIndex = captureCount
                names[name] = captureCount
                i = close + 1
            } else {
                var j = i + 1
                var negate = false
                var flags = (fold, multiLine, dotNewline, ungreedy)
                while j < source.count {
                    switch source[j] {
                    case "i": flags.0 = !negate
                    case "m": flags.1 = !negate
                    case "s": flags.2 = !negate
                    case "U": flags.3 = !negate
                    case "-" where !negate: negate = true
                    case ")", ":":
                        if negate && source[j - 1] == "-" { throw error("invalid or unsupported Perl syntax", source[start...j]) }
                        (fold, multiLine, dotNewline, ungreedy) = flags
                        if source[j] == ")" {
                            i = j + 1
                            return nil
                        }
                        i = j + 1
                        let saved = (fold, multiLine, dotNewline, ungreedy)
                        let inner = try parseAlternation(depth: depth + 1)
                        guard i < source.count && source[i] == ")" else { throw error("missing closing )", whole) }
                        i += 1
                        (fold, multiLine, dotNewline, ungreedy) = saved
                        return inner
                    default:
                        throw error("invalid or unsupported Perl syntax", source[start...j])
                    }
                    j += 1
                }
                throw error("missing closing )", whole)
            }
        } else {
            captureCount += 1
            captureIndex = captureCount
        }
        // Flags set inside a group end with it.
        let saved = (fold, multiLine, dotNewline, ungreedy)
        let inner = try parseAlternation(depth: depth + 1)
        (fold, multiLine, dotNewline, ungreedy) = saved
        guard i < source.count && source[i] == ")" else { throw error("missing closing )", whole) }
        i += 1
        return .capture(inner, index: captureIndex!)
    }

    private mutating func parseEscape() throws(FunctionError) -> RegexNode {
        let start = i
        i += 1
        guard i < source.count else { throw error("trailing backslash at end of expression", [Unicode.Scalar]()) }
        let c = source[i]
        switch c {
        case "A": i += 1; return .assertion(.beginText)
        case "z": i += 1; return .assertion(.endText)
        case "b": i += 1; return .assertion(.wordBoundary)
        case "B": i += 1; return .assertion(.notWordBoundary)
        case "Q":
            i += 1
            var literals: [RegexNode] = []
            while i < source.count {
                if source[i] == "\\" && i + 1 < source.count && source[i + 1] == "E" {
                    i += 2
                    break
                }
                literals.append(.literal(source[i], fold: fold))
                i += 1
            }
            return .concat(literals)
        default:
            i = start
            if let cls = try parseClassEscape() { return .charClass(cls) }
            return .literal(try parseEscapedScalar(), fold: fold)
        }
    }

    /// \d \s \w (and negations), \pL, \p{Greek}-style categories; nil when not a class escape.
    private mutating func parseClassEscape() throws(FunctionError) -> RegexClass? {
        guard i + 1 < source.count, source[i] == "\\" else { return nil }
        let start = i
        let c = source[i + 1]
        var cls = RegexClass()
        switch c {
        case "d", "D": cls.items = [.range(0x30, 0x39)]
        case "s", "S": cls.items = [.range(0x09, 0x0A), .range(0x0C, 0x0D), .range(0x20, 0x20)]
        case "w", "W": cls.items = [.range(0x30, 0x39), .range(0x41, 0x5A), .range(0x61, 0x7A), .range(0x5F, 0x5F)]
        case "p", "P":
            var name: String
            var j = i + 2
            guard j < source.count else { throw error("invalid character class range", source[start...]) }
            if source[j] == "{" {
                guard let close = source[j...].firstIndex(of: "}") else { throw error("invalid character class range", source[start...]) }
                name = String(String.UnicodeScalarView(source[(j + 1)..<close]))
                j = close + 1
            } else {
                name = String(source[j])
                j += 1
            }
            var negated = c == "P"
            if name.hasPrefix("^") {
                negated.toggle()
                name.removeFirst()
            }
            guard let test = RegexCategories.category(name) else {
                throw error("invalid character class range", source[start..<j])
            }
            i = j
            cls.items = [.category(test, negated: false)]
            cls.negated = negated
            return cls
        default:
            return nil
        }
        cls.negated = c.properties.isUppercase
        i += 2
        return cls
    }

    /// A single escaped character: \n, \x41, \x{263a}, \101, \. and friends.
    private mutating func parseEscapedScalar() throws(FunctionError) -> Unicode.Scalar {
        let start = i
        i += 1
        guard i < source.count else { throw error("trailing backslash at end of expression", [Unicode.Scalar]()) }
        let c = source[i]
        i += 1
        switch c {
        case "a": return "\u{07}"
        case "f": return "\u{0C}"
        case "t": return "\t"
        case "n": return "\n"
        case "r": return "\r"
        case "v": return "\u{0B}"
        case "0"..."7":
            // Octal: \0 up to \377, but a lone \1-\7 would be a backreference, which RE2 lacks.
            var digits = String(c)
            if c != "0" && !(i < source.count && ("0"..."7").contains(source[i])) {
                throw error("invalid escape sequence", source[start..<i])
            }
            while digits.count < 3, i < source.count, ("0"..."7").contains(source[i]) {
                digits.unicodeScalars.append(source[i])
                i += 1
            }
            return Unicode.Scalar(UInt32(digits, radix: 8)!) ?? "\u{FFFD}"
        case "x":
            var hex = ""
            if i < source.count && source[i] == "{" {
                guard let close = source[i...].firstIndex(of: "}") else { throw error("invalid escape sequence", source[start...]) }
                hex = String(String.UnicodeScalarView(source[(i + 1)..<close]))
                i = close + 1
            } else {
                guard i + 2 <= source.count else { throw error("invalid escape sequence", source[start...]) }
                hex = String(String.UnicodeScalarView(source[i..<(i + 2)]))
                i += 2
            }
            guard !hex.isEmpty, let v = UInt32(hex, radix: 16), let r = Unicode.Scalar(v) else {
                throw error("invalid escape sequence", source[start..<i])
            }
            return r
        default:
            // Any ASCII punctuation may be escaped.
            if c.isASCII && !(c.properties.isAlphabetic || c.properties.numericType != nil) { return c }
            throw error("invalid escape sequence", source[start..<i])
        }
    }

    private mutating func parseClass() throws(FunctionError) -> RegexClass {
        let start = i
        i += 1
        var cls = RegexClass()
        cls.fold = fold
        if i < source.count && source[i] == "^" {
            cls.negated = true
            i += 1
        }
        var first = true
        while i < source.count && (source[i] != "]" || first) {
            first = false
            // POSIX classes: [:alpha:], [:^alpha:]
            if source[i] == "[" && i + 1 < source.count && source[i + 1] == ":" {
                if let close = findPosixEnd(from: i + 2) {
                    var name = String(String.UnicodeScalarView(source[(i + 2)..<close]))
                    let negated = name.hasPrefix("^")
                    if negated { name.removeFirst() }
                    guard let test = RegexCategories.posix(name) else { throw error("invalid character class range", source[i..<(close + 2)]) }
                    cls.items.append(.category(test, negated: negated))
                    i = close + 2
                    continue
                }
            }
            if source[i] == "\\", let sub = try parseClassEscape() {
                // A negated class inside a class: keep its test as a negated category.
                let test: (Unicode.Scalar) -> Bool = { c in sub.matches(c) }
                cls.items.append(.category(test, negated: false))
                continue
            }
            let lo = try classScalar(start)
            var hi = lo
            if i + 1 < source.count && source[i] == "-" && source[i + 1] != "]" {
                i += 1
                let rangeStart = i - 2
                hi = try classScalar(start)
                if hi.value < lo.value { throw error("invalid character class range", source[max(rangeStart, start)..<i]) }
            }
            cls.items.append(.range(lo.value, hi.value))
        }
        guard i < source.count else { throw error("missing closing ]", source[start...]) }
        i += 1
        return cls
    }

    private func findPosixEnd(from j: Int) -> Int? {
        var k = j
        while k + 1 < source.count {
            if source[k] == ":" && source[k + 1] == "]" { return k }
            if source[k] == "]" { return nil }
            k += 1
        }
        return nil
    }

    private mutating func classScalar(_ classStart: Int) throws(FunctionError) -> Unicode.Scalar {
        guard i < source.count else { throw error("missing closing ]", source[classStart...]) }
        if source[i] == "\\" { return try parseEscapedScalar() }
        defer { i += 1 }
        return source[i]
    }
}

/// Unicode general categories (\pL, \p{Lu}) and POSIX classes ([:alpha:]).
enum RegexCategories {
    static func category(_ name: String) -> ((Unicode.Scalar) -> Bool)? {
        if name == "Any" { return { _ in true } }
        let groups: [String: Set<Unicode.GeneralCategory>] = [
            "L": [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter],
            "Lu": [.uppercaseLetter], "Ll": [.lowercaseLetter], "Lt": [.titlecaseLetter],
            "Lm": [.modifierLetter], "Lo": [.otherLetter],
            "M": [.nonspacingMark, .spacingMark, .enclosingMark], "Mn": [.nonspacingMark],
            "Mc": [.spacingMark], "Me": [.enclosingMark],
            "N": [.decimalNumber, .letterNumber, .otherNumber], "Nd": [.decimalNumber],
            "Nl": [.letterNumber], "No": [.otherNumber],
            "P": [.connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                  .initialPunctuation, .finalPunctuation, .otherPunctuation],
            "Pc": [.connectorPunctuation], "Pd": [.dashPunctuation], "Ps": [.openPunctuation],
            "Pe": [.closePunctuation], "Pi": [.initialPunctuation], "Pf": [.finalPunctuation],
            "Po": [.otherPunctuation],
            "S": [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol], "Sm": [.mathSymbol],
            "Sc": [.currencySymbol], "Sk": [.modifierSymbol], "So": [.otherSymbol],
            "Z": [.spaceSeparator, .lineSeparator, .paragraphSeparator], "Zs": [.spaceSeparator],
            "Zl": [.lineSeparator], "Zp": [.paragraphSeparator],
            "C": [.control, .format, .surrogate, .privateUse], "Cc": [.control], "Cf": [.format],
            "Co": [.privateUse], "Cs": [.surrogate],
        ]
        guard let set = groups[name] else { return nil }
        return { set.contains($0.properties.generalCategory) }
    }

    static func posix(_ name: String) -> ((Unicode.Scalar) -> Bool)? {
        func within(_ ranges: [ClosedRange<UInt32>]) -> (Unicode.Scalar) -> Bool {
            { c in ranges.contains { $0.contains(c.value) } }
        }
        switch name {
        case "alnum": return within([0x30...0x39, 0x41...0x5A, 0x61...0x7A])
        case "alpha": return within([0x41...0x5A, 0x61...0x7A])
        case "ascii": return within([0x00...0x7F])
        case "blank": return within([0x09...0x09, 0x20...0x20])
        case "cntrl": return within([0x00...0x1F, 0x7F...0x7F])
        case "digit": return within([0x30...0x39])
        case "graph": return within([0x21...0x7E])
        case "lower": return within([0x61...0x7A])
        case "print": return within([0x20...0x7E])
        case "punct": return within([0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E])
        case "space": return within([0x09...0x0D, 0x20...0x20])
        case "upper": return within([0x41...0x5A])
        case "word": return within([0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F...0x5F])
        case "xdigit": return within([0x30...0x39, 0x41...0x46, 0x61...0x66])
        default: return nil
        }
    }
}
