/// Go's regexp for `match` and `reReplaceAll`: RE2 syntax, leftmost-first submatches, and a
/// Pike VM whose running time is linear in the input, whatever the pattern.
struct GoRegexp {
    private enum Inst {
        case char(Unicode.Scalar, fold: Bool)
        case any(matchesNewline: Bool)
        case charClass(RegexClass)
        case assertion(RegexAssertion)
        case split(Int, Int)   // the first branch has priority
        case jump(Int)
        case save(Int)
        case match
    }

    private var program: [Inst] = []
    private let slotCount: Int
    private let names: [String: Int]
    /// Bounds the compiled size, as Go refuses "expression too large".
    static let maxProgram = 100_000
    /// Bounds input × program work, so one call cannot stall a render.
    static let maxWork = 200_000_000

    init(_ pattern: String) throws(FunctionError) {
        var parser = RegexParser(pattern)
        let tree = try parser.parse()
        slotCount = 2 * (parser.captureCount + 1)
        names = parser.names
        program.append(.save(0))
        try compile(tree)
        program.append(.save(1))
        program.append(.match)
    }

    // MARK: - Compiling

    private mutating func emit(_ inst: Inst) throws(FunctionError) -> Int {
        guard program.count < Self.maxProgram else {
            throw FunctionError("error parsing regexp: expression too large")
        }
        program.append(inst)
        return program.count - 1
    }

    private mutating func compile(_ node: RegexNode) throws(FunctionError) {
        switch node {
        case .empty:
            break
        case .literal(let c, let fold):
            _ = try emit(.char(c, fold: fold))
        case .any(let nl):
            _ = try emit(.any(matchesNewline: nl))
        case .charClass(let cls):
            _ = try emit(.charClass(cls))
        case .assertion(let a):
            _ = try emit(.assertion(a))
        case .capture(let inner, let index):
            _ = try emit(.save(2 * index))
            try compile(inner)
            _ = try emit(.save(2 * index + 1))
        case .concat(let items):
            for item in items { try compile(item) }
        case .alternate(let branches):
            var jumps: [Int] = []
            for (n, branch) in branches.enumerated() {
                if n < branches.count - 1 {
                    let split = try emit(.split(0, 0))
                    try compile(branch)
                    jumps.append(try emit(.jump(0)))
                    program[split] = .split(split + 1, program.count)
                } else {
                    try compile(branch)
                }
            }
            for j in jumps { program[j] = .jump(program.count) }
        case .repetition(let inner, let min, let max, let greedy):
            for _ in 0..<min { try compile(inner) }
            if let max {
                // x{n,m}: m-n nested optional copies.
                var splits: [Int] = []
                for _ in min..<max {
                    splits.append(try emit(.split(0, 0)))
                    try compile(inner)
                }
                for s in splits { program[s] = greedy ? .split(s + 1, program.count) : .split(program.count, s + 1) }
            } else {
                let loop = try emit(.split(0, 0))
                try compile(inner)
                _ = try emit(.jump(loop))
                program[loop] = greedy ? .split(loop + 1, program.count) : .split(program.count, loop + 1)
            }
        }
    }

    // MARK: - Matching

    private struct Thread {
        var pc: Int
        var slots: [Int]
    }

    private static func isWord(_ c: Unicode.Scalar?) -> Bool {
        guard let c, c.isASCII else { return false }
        return c == "_" || (c >= "0" && c <= "9") || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
    }

    private func holds(_ a: RegexAssertion, _ input: [Unicode.Scalar], _ pos: Int) -> Bool {
        let before = pos > 0 ? input[pos - 1] : nil
        let after = pos < input.count ? input[pos] : nil
        switch a {
        case .beginText: return pos == 0
        case .endText: return pos == input.count
        case .beginLine: return pos == 0 || before == "\n"
        case .endLine: return pos == input.count || after == "\n"
        case .wordBoundary: return Self.isWord(before) != Self.isWord(after)
        case .notWordBoundary: return Self.isWord(before) == Self.isWord(after)
        }
    }

    /// Follows jumps, splits, saves and assertions from `pc`, adding runnable threads in priority order.
    private func addThread(_ list: inout [Thread], _ onList: inout [Int], _ generation: Int, _ pc: Int, _ slots: [Int], _ input: [Unicode.Scalar], _ pos: Int) {
        var stack: [(Int, [Int])] = [(pc, slots)]
        while let (pc, slots) = stack.popLast() {
            guard onList[pc] != generation else { continue }
            onList[pc] = generation
            switch program[pc] {
            case .jump(let target):
                stack.append((target, slots))
            case .split(let first, let second):
                stack.append((second, slots))
                stack.append((first, slots))
            case .save(let n):
                var s = slots
                if n < s.count { s[n] = pos }
                stack.append((pc + 1, s))
            case .assertion(let a):
                if holds(a, input, pos) { stack.append((pc + 1, slots)) }
            default:
                list.append(Thread(pc: pc, slots: slots))
            }
        }
    }

    /// The leftmost-first match at or after `start`, as scalar offsets per slot (-1 if unset).
    private func execute(_ input: [Unicode.Scalar], from start: Int) -> [Int]? {
        var current: [Thread] = []
        var next: [Thread] = []
        var onList = [Int](repeating: -1, count: program.count)
        var generation = 0
        var matched: [Int]?
        let empty = [Int](repeating: -1, count: slotCount)
        var pos = start
        while true {
            if matched == nil {
                // A new attempt starting here ranks below every thread already running.
                addThread(&current, &onList, generation, 0, empty, input, pos)
            }
            if current.isEmpty && matched != nil { break }
            generation += 1
            let c = pos < input.count ? input[pos] : nil
            threads: for thread in current {
                var advances = false
                switch program[thread.pc] {
                case .char(let lit, let fold):
                    if let c { advances = c == lit || (fold && RegexCase.lower(c) == RegexCase.lower(lit)) }
                case .any(let nl):
                    if let c { advances = nl || c != "\n" }
                case .charClass(let cls):
                    if let c { advances = cls.matches(c) }
                case .match:
                    matched = thread.slots
                    break threads // lower-priority threads lose to this match
                default:
                    break
                }
                if advances { addThread(&next, &onList, generation, thread.pc + 1, thread.slots, input, pos + 1) }
            }
            if pos >= input.count { break }
            swap(&current, &next)
            next.removeAll(keepingCapacity: true)
            pos += 1
        }
        // Threads parked on `match` at the end of input still count.
        return matched
    }

    private func checkWork(_ input: [Unicode.Scalar]) throws(FunctionError) {
        if (input.count + 1) * program.count > Self.maxWork {
            throw FunctionError("regular expression too expensive for a \(input.count)-character input")
        }
    }

    func matches(_ text: String) throws(FunctionError) -> Bool {
        let input = Array(text.unicodeScalars)
        try checkWork(input)
        return execute(input, from: 0) != nil
    }

    /// Go's `Regexp.ReplaceAllString`: `$1`, `${1}`, `${name}` expand; an empty match right
    /// after a previous match is not replaced.
    func replaceAll(_ text: String, with template: String, limit: Int) throws(FunctionError) -> String {
        let input = Array(text.unicodeScalars)
        try checkWork(input)
        var out: [Unicode.Scalar] = []
        var lastEnd = 0
        var searchPos = 0
        while searchPos <= input.count {
            guard let m = execute(input, from: searchPos) else { break }
            out.append(contentsOf: input[lastEnd..<m[0]])
            if m[1] > lastEnd || m[0] == 0 {
                expand(template, m, input, into: &out)
            }
            if out.count > limit { throw FunctionError("result exceeds \(limit) bytes") }
            lastEnd = m[1]
            searchPos = max(searchPos + 1, m[1])
        }
        out.append(contentsOf: input[lastEnd...])
        return String(String.UnicodeScalarView(out))
    }

    /// Go's `Regexp.Expand`: `$name` takes the longest run of name characters; `$$` is "$".
    private func expand(_ template: String, _ m: [Int], _ input: [Unicode.Scalar], into out: inout [Unicode.Scalar]) {
        let t = Array(template.unicodeScalars)
        var i = 0
        func isNameChar(_ c: Unicode.Scalar) -> Bool {
            c == "_" || c.properties.isAlphabetic || c.properties.numericType == .decimal
        }
        while i < t.count {
            guard t[i] == "$", i + 1 < t.count else {
                out.append(t[i])
                i += 1
                continue
            }
            if t[i + 1] == "$" {
                out.append("$")
                i += 2
                continue
            }
            var name: String
            var next: Int
            if t[i + 1] == "{" {
                guard let close = t[(i + 2)...].firstIndex(of: "}") else {
                    out.append(t[i])
                    i += 1
                    continue
                }
                name = String(String.UnicodeScalarView(t[(i + 2)..<close]))
                next = close + 1
                if name.isEmpty || !name.unicodeScalars.allSatisfy(isNameChar) {
                    out.append(t[i])
                    i += 1
                    continue
                }
            } else {
                var j = i + 1
                while j < t.count && isNameChar(t[j]) { j += 1 }
                guard j > i + 1 else {
                    out.append(t[i])
                    i += 1
                    continue
                }
                name = String(String.UnicodeScalarView(t[(i + 1)..<j]))
                next = j
            }
            let group: Int? = if let n = Int(name), name.allSatisfy(\.isASCII) { n } else { names[name] }
            if let group, 2 * group + 1 < m.count, m[2 * group] >= 0, m[2 * group + 1] >= m[2 * group] {
                out.append(contentsOf: input[m[2 * group]..<m[2 * group + 1]])
            }
            i = next
        }
    }
}
