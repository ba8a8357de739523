/// Go's fmt package for template values: `Sprint`, `Sprintln` and `Sprintf` with Go's verbs,
/// flags, width and precision, and Go's error notes (`%!d(string=abc)`, `%!s(MISSING)`,
/// `%!(EXTRA ...)`). Output is bounded by the render's output limit.
struct GoFormatter {
    private var out = ""
    private var bytes = 0
    private let limits: ExecutionLimits
    private var flags = Flags()

    private struct Flags {
        var minus = false, plus = false, sharp = false, space = false, zero = false
        var plusV = false, sharpV = false
        var width: Int?
        var precision: Int?
    }

    private init(limits: ExecutionLimits) {
        self.limits = limits
    }

    // MARK: - Entry points

    /// `fmt.Sprint`: spaces between operands when neither side is a string.
    static func sprint(_ args: [TemplateValue], limits: ExecutionLimits) throws(FunctionError) -> String {
        var f = GoFormatter(limits: limits)
        var previousIsString = false
        for (i, arg) in args.enumerated() {
            let isString = if case .string = arg { true } else { false }
            if i > 0 && !isString && !previousIsString { try f.write(" ") }
            try f.printArg(arg, "v")
            previousIsString = isString
        }
        return f.out
    }

    /// `fmt.Sprintln`: always spaces between operands, and a newline.
    static func sprintln(_ args: [TemplateValue], limits: ExecutionLimits) throws(FunctionError) -> String {
        var f = GoFormatter(limits: limits)
        for (i, arg) in args.enumerated() {
            if i > 0 { try f.write(" ") }
            try f.printArg(arg, "v")
        }
        try f.write("\n")
        return f.out
    }

    static func sprintf(_ format: String, _ args: [TemplateValue], limits: ExecutionLimits) throws(FunctionError) -> String {
        var f = GoFormatter(limits: limits)
        try f.doPrintf(Array(format.unicodeScalars), args)
        return f.out
    }

    // MARK: - Buffer

    private mutating func write(_ s: String) throws(FunctionError) {
        bytes += s.utf8.count
        if bytes > limits.maxOutputBytes { throw FunctionError("formatted value exceeds \(limits.maxOutputBytes) bytes") }
        out += s
    }

    private mutating func writePadding(_ n: Int) throws(FunctionError) {
        guard n > 0 else { return }
        try write(String(repeating: flags.zero ? "0" : " ", count: n))
    }

    /// Pads to the width, counting runes as Go does.
    private mutating func pad(_ s: String) throws(FunctionError) {
        guard let width = flags.width else { return try write(s) }
        let n = width - s.unicodeScalars.count
        if flags.minus {
            try write(s)
            let zero = flags.zero
            flags.zero = false
            try writePadding(n)
            flags.zero = zero
        } else {
            try writePadding(n)
            try write(s)
        }
    }

    // MARK: - Printf

    private static func parseNumber(_ f: [Unicode.Scalar], _ start: Int, _ end: Int) -> (Int, Bool, Int) {
        guard start < end else { return (0, false, end) }
        var num = 0, isNum = false, i = start
        while i < end, let d = f[i].properties.numericType == .decimal ? Int(String(f[i])) : nil, f[i].isASCII {
            if num > 1_000_000 { return (0, false, end) } // Overflow; crazy long number most likely.
            num = num * 10 + d
            isNum = true
            i += 1
        }
        return (num, isNum, i)
    }

    private mutating func doPrintf(_ f: [Unicode.Scalar], _ args: [TemplateValue]) throws(FunctionError) {
        let end = f.count
        var argNum = 0
        var reordered = false
        var i = 0

        // "[n]" explicit argument indexes; returns the new index and whether one was found.
        func argNumber(_ argNum: Int, _ i: Int, _ goodArgNum: inout Bool) -> (Int, Int, Bool) {
            guard i < end, f[i] == "[" else { return (argNum, i, false) }
            reordered = true
            var j = i + 1
            while j < end && f[j] != "]" { j += 1 }
            guard j < end, end - i >= 3 else {
                goodArgNum = false
                return (argNum, i + 1, false)
            }
            let (n, ok, newi) = Self.parseNumber(f, i + 1, j)
            guard ok, newi == j else {
                goodArgNum = false
                return (argNum, j + 1, false)
            }
            if n - 1 >= 0 && n - 1 < args.count { return (n - 1, j + 1, true) }
            goodArgNum = false
            return (argNum, j + 1, true)
        }

        func intFromArg(_ argNum: Int) -> (Int?, Int) {
            guard argNum < args.count else { return (nil, argNum) }
            if case .int(let n) = args[argNum], abs(n) <= 1_000_000 { return (n, argNum + 1) }
            return (nil, argNum + 1)
        }

        while i < end {
            var goodArgNum = true
            let last = i
            while i < end && f[i] != "%" { i += 1 }
            if i > last { try write(String(String.UnicodeScalarView(f[last..<i]))) }
            if i >= end { break }
            i += 1
            flags = Flags()
            flagLoop: while i < end {
                switch f[i] {
                case "#": flags.sharp = true
                case "0": flags.zero = !flags.minus
                case "+": flags.plus = true
                case "-": flags.minus = true; flags.zero = false
                case " ": flags.space = true
                default: break flagLoop
                }
                i += 1
            }
            var afterIndex: Bool
            (argNum, i, afterIndex) = argNumber(argNum, i, &goodArgNum)
            if i < end && f[i] == "*" {
                i += 1
                let (w, next) = intFromArg(argNum)
                argNum = next
                if let w {
                    flags.width = abs(w)
                    if w < 0 { flags.minus = true; flags.zero = false }
                } else {
                    try write("%!(BADWIDTH)")
                }
                afterIndex = false
            } else {
                let (w, ok, next) = Self.parseNumber(f, i, end)
                i = next
                if ok {
                    flags.width = w
                    if afterIndex { goodArgNum = false }
                }
            }
            if i + 1 < end && f[i] == "." {
                i += 1
                if afterIndex { goodArgNum = false }
                (argNum, i, afterIndex) = argNumber(argNum, i, &goodArgNum)
                if i < end && f[i] == "*" {
                    i += 1
                    let (p, next) = intFromArg(argNum)
                    argNum = next
                    if let p {
                        flags.precision = p < 0 ? nil : p
                    } else {
                        try write("%!(BADPREC)")
                    }
                    afterIndex = false
                } else {
                    let (p, ok, next) = Self.parseNumber(f, i, end)
                    i = next
                    flags.precision = ok ? p : 0
                }
            }
            if !afterIndex { (argNum, i, afterIndex) = argNumber(argNum, i, &goodArgNum) }
            guard i < end else {
                try write("%!(NOVERB)")
                break
            }
            let verb = f[i]
            i += 1
            if verb == "%" {
                try write("%")
            } else if !goodArgNum {
                try write("%!\(verb)(BADINDEX)")
            } else if argNum >= args.count {
                try write("%!\(verb)(MISSING)")
            } else {
                if verb == "v" {
                    flags.sharpV = flags.sharp
                    flags.sharp = false
                    flags.plusV = flags.plus
                    flags.plus = false
                }
                try printArg(args[argNum], verb)
                argNum += 1
            }
        }
        if !reordered && argNum < args.count {
            flags = Flags()
            try write("%!(EXTRA ")
            for (n, arg) in args[argNum...].enumerated() {
                if n > 0 { try write(", ") }
                if case .null = arg {
                    try write("<nil>")
                } else {
                    try write(arg.goTypeName + "=")
                    try printArg(arg, "v")
                }
            }
            try write(")")
        }
    }

    // MARK: - Values

    private mutating func printArg(_ arg: TemplateValue, _ verb: Unicode.Scalar, depth: Int = 0) throws(FunctionError) {
        if depth > limits.maxPrintDepth { throw FunctionError("value nested more than \(limits.maxPrintDepth) levels deep") }
        if verb == "T" {
            return try pad(arg.goTypeName)
        }
        switch arg {
        case .null:
            if verb == "v" || depth > 0 { return try pad("<nil>") }
            try badVerb(verb, arg)
        case .bool(let b):
            guard verb == "t" || verb == "v" else { return try badVerb(verb, arg) }
            try pad(b ? "true" : "false")
        case .int(let n):
            try formatInteger(n, verb, arg)
        case .number(let d):
            try formatFloat(d, verb, arg)
        case .string(let s):
            try formatString(s, verb, arg)
        case .time:
            guard "vsxXq".unicodeScalars.contains(verb) else { return try badVerb(verb, arg) }
            try formatString(GoTime.string(arg), verb, arg)
        case .duration(let seconds):
            if "vsxXq".unicodeScalars.contains(verb) {
                try formatString(GoDuration.string(seconds), verb, arg)
            } else {
                try formatInteger(Int(GoDuration.nanoseconds(seconds)), verb, arg)
            }
        case .list(let items):
            try write("[")
            for (i, item) in items.enumerated() {
                if i > 0 { try write(" ") }
                try printArg(item, verb, depth: depth + 1)
            }
            try write("]")
        case .map(let map):
            try write("map[")
            for (i, key) in map.keys.sorted(by: { $0.goLess($1) }).enumerated() {
                if i > 0 { try write(" ") }
                try printArg(.string(key), verb, depth: depth + 1)
                try write(":")
                try printArg(map[key]!, verb, depth: depth + 1)
            }
            try write("]")
        }
    }

    private mutating func badVerb(_ verb: Unicode.Scalar, _ arg: TemplateValue) throws(FunctionError) {
        try write("%!\(verb)(")
        if case .null = arg {
            try write("<nil>")
        } else {
            try write(arg.goTypeName + "=")
            try printArg(arg, "v")
        }
        try write(")")
    }

    private mutating func formatString(_ s: String, _ verb: Unicode.Scalar, _ arg: TemplateValue) throws(FunctionError) {
        var s = s
        switch verb {
        case "v" where flags.sharpV, "q":
            if let p = flags.precision { s = String(String.UnicodeScalarView(s.unicodeScalars.prefix(p))) }
            if flags.sharp && GoQuote.canBackquote(s) { return try pad("`" + s + "`") }
            try pad(GoQuote.quote(s, asciiOnly: flags.plus))
        case "v", "s":
            if let p = flags.precision { s = String(String.UnicodeScalarView(s.unicodeScalars.prefix(p))) }
            try pad(s)
        case "x", "X":
            var bytes = Array(s.utf8)
            if let p = flags.precision { bytes = Array(bytes.prefix(p)) }
            var hex = ""
            for (i, b) in bytes.enumerated() {
                if flags.space && i > 0 { hex += " " }
                if flags.sharp && (flags.space || i == 0) { hex += verb == "X" ? "0X" : "0x" }
                hex += GoQuote.hex(UInt32(b), width: 2, upper: verb == "X")
            }
            try pad(hex)
        default:
            try badVerb(verb, arg)
        }
    }

    private mutating func formatInteger(_ n: Int, _ verb: Unicode.Scalar, _ arg: TemplateValue) throws(FunctionError) {
        switch verb {
        case "v", "d": try formatInteger(n, base: 10, verb: verb)
        case "b": try formatInteger(n, base: 2, verb: verb)
        case "o", "O": try formatInteger(n, base: 8, verb: verb)
        case "x", "X": try formatInteger(n, base: 16, verb: verb)
        case "c":
            try pad(String(Unicode.Scalar(UInt32(clamping: max(n, 0))) ?? "\u{FFFD}"))
        case "q":
            let r = Unicode.Scalar(UInt32(clamping: max(n, 0))) ?? "\u{FFFD}"
            try pad(GoQuote.quoteRune(r, asciiOnly: flags.plus))
        case "U":
            var s = "U+" + GoQuote.hex(UInt32(clamping: max(n, 0)), width: max(flags.precision ?? 4, 4), upper: true)
            if flags.sharp, let r = Unicode.Scalar(UInt32(clamping: max(n, 0))), GoQuote.isPrint(r) { s += " '\(r)'" }
            try pad(s)
        default:
            try badVerb(verb, arg)
        }
    }

    /// Go's fmtInteger: precision or zero padding, then prefixes, then sign.
    private mutating func formatInteger(_ n: Int, base: Int, verb: Unicode.Scalar) throws(FunctionError) {
        let negative = n < 0
        var digits = String(n.magnitude, radix: base, uppercase: verb == "X")
        var minDigits = 0
        if let p = flags.precision {
            minDigits = p
            if p == 0 && n == 0 {
                let zero = flags.zero
                flags.zero = false
                try writePadding(flags.width ?? 0)
                flags.zero = zero
                return
            }
        } else if flags.zero && !flags.minus, let w = flags.width {
            minDigits = w
            if negative || flags.plus || flags.space { minDigits -= 1 }
        }
        if digits.count < minDigits { digits = String(repeating: "0", count: minDigits - digits.count) + digits }
        if flags.sharp {
            switch base {
            case 2: digits = "0b" + digits
            case 8: if !digits.hasPrefix("0") { digits = "0" + digits }
            case 16: digits = (verb == "X" ? "0X" : "0x") + digits
            default: break
            }
        }
        if verb == "O" { digits = "0o" + digits }
        if negative { digits = "-" + digits } else if flags.plus { digits = "+" + digits } else if flags.space { digits = " " + digits }
        let zero = flags.zero
        flags.zero = false
        try pad(digits)
        flags.zero = zero
    }

    /// Go's fmtFloat: the sign goes before zero padding; Inf and NaN are never zero padded.
    private mutating func formatFloat(_ d: Double, _ verb: Unicode.Scalar, _ arg: TemplateValue) throws(FunctionError) {
        let strconvVerb: Character
        var precision: Int
        switch verb {
        case "v": (strconvVerb, precision) = ("g", -1)
        case "b", "g", "G", "x", "X": (strconvVerb, precision) = (Character(verb), -1)
        case "f", "e", "E", "F": (strconvVerb, precision) = (Character(verb), 6)
        default: return try badVerb(verb, arg)
        }
        if let p = flags.precision { precision = p }
        var num = GoFloat.format(d, verb: strconvVerb, precision: precision)
        if flags.sharp && verb != "b" && d.isFinite {
            num = Self.sharpFloat(num, verb: strconvVerb, precision: precision)
        }
        if !num.hasPrefix("-") && !num.hasPrefix("+") { num = "+" + num }
        if flags.space && num.hasPrefix("+") && !flags.plus { num = " " + num.dropFirst() }
        if !d.isFinite {
            if d.isNaN && !flags.space && !flags.plus { num = String(num.dropFirst()) }
            let zero = flags.zero
            flags.zero = false
            try pad(num)
            flags.zero = zero
            return
        }
        if flags.plus || !num.hasPrefix("+") {
            if flags.zero && !flags.minus, let w = flags.width, w > num.count {
                try write(String(num.prefix(1)))
                try writePadding(w - num.count)
                try write(String(num.dropFirst()))
                return
            }
            return try pad(num)
        }
        try pad(String(num.dropFirst()))
    }

    /// The # flag: always a decimal point, and for %g/%v trailing zeros up to the precision.
    private static func sharpFloat(_ num: String, verb: Character, precision: Int) -> String {
        var mantissa = num
        var tail = ""
        if let e = num.firstIndex(where: { $0 == "e" || $0 == "E" || $0 == "p" || $0 == "P" }) {
            mantissa = String(num[..<e])
            tail = String(num[e...])
        }
        if !mantissa.contains(".") { mantissa += "." }
        if verb == "g" || verb == "G" {
            let want = precision < 0 ? 6 : max(precision, 1)
            let significant = mantissa.drop { $0 == "-" || $0 == "0" || $0 == "." }.filter(\.isNumber).count
            let have = significant == 0 ? mantissa.filter(\.isNumber).count : significant
            if have < want { mantissa += String(repeating: "0", count: want - have) }
        }
        return mantissa + tail
    }
}
