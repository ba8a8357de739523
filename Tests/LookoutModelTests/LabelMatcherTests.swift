import LookoutModel
import Testing

/// Label regexes follow Prometheus (RE2, fully anchored, dot matches newline); Swift's regex
/// engine runs them, so the places where the two engines differ are pinned down here.
@Suite struct LabelMatcherTests {
    func matches(_ pattern: String, _ value: String) throws -> Bool {
        try LabelMatcher("l", .regexMatch, pattern).matches(value)
    }

    @Test func anchoredAtBothEnds() throws {
        #expect(try matches("foo", "foo"))
        #expect(try !matches("foo", "foobar"))
        #expect(try !matches("foo", "xfoo"))
        #expect(try matches("a|b", "a") && matches("a|b", "b"))
        #expect(try !matches("a|b", "ab"))
    }

    @Test func flagsAndClassesLikeRE2() throws {
        #expect(try matches("(?i)prod.*", "PRODUCTION"))
        #expect(try matches("(?i:PRO).*", "production"))
        #expect(try !matches("(?i:PRO)d.*", "proD"))
        #expect(try matches(#"\d+\.\d+"#, "12.5"))
        // RE2's one-letter Unicode classes, which Swift spells with braces.
        #expect(try matches(#"\pL+"#, "überall"))
        #expect(try matches(#"\p{Lu}\PL"#, "Ä1"))
        #expect(try matches("[^a-c]x", "dx"))
        // Dot matches a newline, as Prometheus' (?s) wrapper makes it.
        #expect(try matches("a.b", "a\nb"))
        #expect(try matches(".*", ""))
    }

    @Test func constructsRE2LacksAreRefused() {
        for pattern in ["a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", #"(a)\1"#, "(?>a)", "a++"] {
            #expect(throws: LabelMatcherError.self, "\(pattern) should be refused") { try LabelMatcher("l", .regexMatch, pattern) }
        }
        // Escaped lookalikes and class contents are fine.
        #expect(throws: Never.self) { try LabelMatcher("l", .regexMatch, #"\(\?=x\)"#) }
        #expect(throws: Never.self) { try LabelMatcher("l", .regexMatch, "[(?=]") }
    }

    @Test func invalidPatternsAreErrors() {
        #expect(throws: LabelMatcherError.self) { try LabelMatcher("l", .regexMatch, "(") }
        #expect(throws: LabelMatcherError.self) { try LabelMatcher("l", .regexNoMatch, "[z-a]") }
    }

    @Test func emptyMatchingDecidesSelectorValidity() throws {
        #expect(try LabelMatcher("l", .regexMatch, ".*").matchesEmpty)
        #expect(try !LabelMatcher("l", .regexMatch, ".+").matchesEmpty)
        #expect(try LabelMatcher("l", .notEqual, "x").matchesEmpty)
        #expect(try !LabelMatcher("l", .equal, "x").matchesEmpty)
    }
}
