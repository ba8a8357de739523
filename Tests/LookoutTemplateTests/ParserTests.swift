import Testing
@testable import LookoutTemplate

@Suite struct ParserTests {
    @Test func unknownFunctionIsAParseError() {
        #expect(parseError("{{ foo }}", name: "__alert_X") == #"template: __alert_X:1: function "foo" not defined"#)
        #expect(parseError("line one\n{{ humanize .Value | bogus }}") == #"template: test:2: function "bogus" not defined"#)
    }

    @Test func unexpectedTokens() {
        #expect(parseError("{{ humanize .Value }") == #"template: test:1: unexpected "}" in operand"#)
        #expect(parseError("{{ end }}") == "template: test:1: unexpected {{end}}")
        #expect(parseError("{{ else }}") == "template: test:1: unexpected {{else}}")
        #expect(parseError("{{ if 1 }}x") == "template: test:1: unexpected EOF")
        #expect(parseError("{{ ) }}") == #"template: test:1: unexpected ")" in command"#)
        #expect(parseError("{{ 1) }}") == #"template: test:1: unexpected ")" in command"#)
        #expect(parseError("{{ (1 }}") == "template: test:1: unclosed left paren")
        #expect(parseError("{{ | }}") == #"template: test:1: unexpected "|" in command"#)
        #expect(parseError("{{ }}") == "template: test:1: missing value for command")
        #expect(parseError("{{ 1 | 2 }}") == "template: test:1: non executable command in pipeline stage 2")
        #expect(parseError("{{ .A.B 1 | . }}") == "template: test:1: non executable command in pipeline stage 2")
        #expect(parseError("{{ \"x\".y }}") == #"template: test:1: unexpected . after term "\"x\"""#)
        #expect(parseError("{{ if }}{{ end }}") == "template: test:1: missing value for if")
    }

    @Test func unclosedThings() {
        #expect(parseError("{{") == "template: test:1: unclosed action")
        #expect(parseError("a\nb {{ .X\n\n") == "template: test:4: unclosed action started at test:2")
        #expect(parseError("{{ \"abc }}") == "template: test:1: unterminated quoted string")
        #expect(parseError("{{ `abc }}") == "template: test:1: unterminated raw quoted string")
        #expect(parseError("{{/* abc }}") == "template: test:1: unclosed comment")
        #expect(parseError("{{/* abc */ x }}") == "template: test:1: comment ends before closing delimiter")
        #expect(parseError("{{ \u{A0} }}") == "template: test:1: unrecognized character in action: U+00A0")
        #expect(parseError("{{ 3x }}") == #"template: test:1: bad number syntax: "3x""#)
        #expect(parseError("{{ $x+2 }}") == "template: test:1: bad character U+002B '+'")
    }

    @Test func variablesMustBeDeclared() {
        #expect(parseError("{{ $x }}") == #"template: test:1: undefined variable "$x""#)
        #expect(parseError("{{ if 1 }}{{ $x := 1 }}{{ end }}{{ $x }}") == #"template: test:1: undefined variable "$x""#)
        #expect(parseError("{{ define \"a\" }}{{ $y }}{{ end }}") == #"template: test:1: undefined variable "$y""#)
        #expect(parseError("{{ $x := 1 }}{{ $x }}") == nil)
        #expect(parseError("{{ range $i, $e := . }}{{ $i }}{{ $e }}{{ end }}") == nil)
        #expect(parseError("{{ range $i, $e, $f := . }}{{ end }}") == "template: test:1: too many declarations in range")
        #expect(parseError("{{ $a, $b := 1 }}") == "template: test:1: too many declarations in command")
    }

    @Test func controlStructureErrors() {
        #expect(parseError("{{ break }}") == "template: test:1: {{break}} outside {{range}}")
        #expect(parseError("{{ continue }}") == "template: test:1: {{continue}} outside {{range}}")
        #expect(parseError("{{ if 1 }}{{ else }}{{ else }}{{ end }}") == "template: test:1: expected end; found {{else}}")
        #expect(parseError("{{ if 1 }}{{ define \"x\" }}{{ end }}{{ end }}") == "template: test:1: unexpected <define> in command")
        #expect(parseError("{{ template x }}") == #"template: test:1: unexpected "x" in template clause"#)
        #expect(parseError("{{ define \"a\" }}1{{ end }}{{ define \"a\" }}2{{ end }}")
                == #"template: test:1: template: multiple definition of template "a""#)
    }

    @Test func errorsReportTheirLine() {
        #expect(parseError("one\ntwo\n{{ if .X }}\nthree {{ nope }}\n{{ end }}") == #"template: test:4: function "nope" not defined"#)
        #expect(parseError("{{/* a\ncomment */}}\n{{ .X | 1 }}") == "template: test:3: non executable command in pipeline stage 2")
        #expect(parseError("{{ .X | }}") == nil) // Go accepts a trailing pipe
        #expect(parseError("x {{ if .A\n}}{{ end") == "template: test:2: unclosed action")
        #expect(parseError("x {{ if .A\n}}{{ end\n") == "template: test:3: unclosed action started at test:2")
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "{{ if 1 }}", count: 500) + String(repeating: "{{ end }}", count: 500)
        #expect(parseError(deep)?.contains("max expression depth exceeded") == true)
        let parens = "{{ " + String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500) + " }}"
        #expect(parseError(parens)?.contains("max expression depth exceeded") == true)
    }
}
