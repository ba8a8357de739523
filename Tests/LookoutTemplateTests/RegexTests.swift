import Testing
@testable import LookoutTemplate

@Suite struct RegexTests {
    func matches(_ pattern: String, _ text: String) throws -> Bool {
        try GoRegexp(pattern).matches(text)
    }

    func replace(_ pattern: String, _ replacement: String, _ text: String) throws -> String {
        try GoRegexp(pattern).replaceAll(text, with: replacement, limit: 1 << 20)
    }

    @Test func matching() throws {
        #expect(try matches("^ab+c$", "abbbc"))
        #expect(try !matches("^ab+c$", "ac"))
        #expect(try matches("(?i)HELLO", "say hello"))
        #expect(try matches(#"\d{3}-\d{4}"#, "call 555-1234"))
        #expect(try !matches(#"^\d{3}$"#, "1234"))
        #expect(try matches("[^a-c]", "abcd"))
        #expect(try matches(#"\bfoo\b"#, "a foo b"))
        #expect(try !matches(#"\bfoo\b"#, "afoob"))
        #expect(try matches("(?s)a.b", "a\nb"))
        #expect(try !matches("a.b", "a\nb"))
        #expect(try matches("(?m)^b$", "a\nb\nc"))
        #expect(try !matches("^b$", "a\nb\nc"))
        #expect(try matches(#"\pL+"#, "é"))
        #expect(try matches("[[:upper:]][[:digit:]]", "xA1"))
        #expect(try matches(#"\Qa.b\E"#, "a.b"))
        #expect(try !matches(#"\Qa.b\E"#, "axb"))
        #expect(try matches("x{2,3}", "axxb"))
        #expect(try matches("", "anything"))
    }

    @Test func leftmostFirstSubmatches() throws {
        #expect(try replace("a|ab", "[$0]", "ab") == "[a]b")
        #expect(try replace("(a+?)(a*)", "$1|$2", "aaa") == "a|aa")
        #expect(try replace("(a*)+", "<$1>", "b") == "<>b<>")
        #expect(try replace("(?U)a+", "x", "aaa") == "xxx")
        #expect(try replace(#"(\w+)\s(\w+)"#, "$2 $1", "hello world") == "world hello")
        #expect(try replace("(?P<first>\\w+) (?<second>\\w+)", "${second}-${first}", "a b") == "b-a")
        #expect(try replace("a", "$$", "aba") == "$b$")
        #expect(try replace("(a)", "$1x", "a") == "") // $1x names a group "1x", which does not exist
        #expect(try replace("", "-", "abc") == "-a-b-c-")
        #expect(try replace("b*", "-", "abc") == "-a-c-")
    }

    @Test func syntaxErrors() {
        let cases = [
            ("(", "error parsing regexp: missing closing ): `(`"),
            ("a)", "error parsing regexp: unexpected ): `a)`"),
            ("[a", "error parsing regexp: missing closing ]: `[a`"),
            ("*", "error parsing regexp: missing argument to repetition operator: `*`"),
            ("a**", "error parsing regexp: invalid nested repetition operator: `**`"),
            ("a{1001}", "error parsing regexp: invalid repeat count: `{1001}`"),
            (#"\q"#, #"error parsing regexp: invalid escape sequence: `\q`"#),
            (#"\1"#, #"error parsing regexp: invalid escape sequence: `\1`"#),
            ("[z-a]", "error parsing regexp: invalid character class range: `z-a`"),
            ("a\\", "error parsing regexp: trailing backslash at end of expression: ``"),
        ]
        for (pattern, message) in cases {
            #expect(throws: FunctionError.self) { try GoRegexp(pattern) }
            do {
                _ = try GoRegexp(pattern)
            } catch {
                #expect(error.message == message, "\(pattern)")
            }
        }
    }
}
