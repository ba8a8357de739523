import Testing
@testable import LookoutTemplate

@Suite struct LanguageTests {
    let data = TemplateValue.map([
        "Name": .string("web"),
        "Labels": .map(["job": .string("api"), "instance": .string("host:9100")]),
        "Items": .list([.string("a"), .string("b"), .string("c")]),
        "Empty": .list([]),
        "Count": .int(3),
        "Value": .number(1.5),
        "Nil": .null,
    ])

    @Test func textAndActions() async throws {
        #expect(try await render("plain text") == "plain text")
        #expect(try await render("{{ 1 }}") == "1")
        #expect(try await render("{{ .Name }}-{{ .Labels.job }}", data) == "web-api")
        #expect(try await render("{{ .Labels.missing }}|", data) == "|")
        #expect(try await render("{{ .Foo }}") == "<no value>")
        #expect(try await render("{{ .Foo.Bar }}") == "<no value>")
        #expect(try await render("{{ . }}", .string("dot")) == "dot")
        #expect(try await render("{{ $ }}", .int(7)) == "7")
        #expect(try await render("{{ true }} {{ false }} {{ 'a' }} {{ 0x1F }} {{ 1e3 }} {{ 1_000 }} {{ -2.5 }}") == "true false 97 31 1000 1000 -2.5")
        #expect(try await render(#"{{ "a\tb\u00e9\x41" }}{{ `raw\n` }}"#) == "a\tbéA" + #"raw\n"#)
    }

    @Test func edgeCases() async throws {
        #expect(try await render("") == "")
        #expect(try await render(#"{{ define "a" }}x{{ end }}"#) == "")
        #expect(try await render("{{- if true -}}\n x \n{{- end -}}|") == "x|")
        #expect(try await render("héllo {{ \"wörld\" }} ✓") == "héllo wörld ✓")
        #expect(try await render("{{ 0x10 }} {{ 0o17 }} {{ 0b101 }} {{ 1.5e3 }} {{ .5 }}") == "16 15 5 1500 0.5")
        #expect(parseError("{{ 08 }}") == #"template: test:1: integer overflow: "08""#)
        #expect(try await render("{{ with $x := 0 }}{{ else }}{{ $x }}{{ end }}") == "0")
    }

    @Test func trimMarkersAndComments() async throws {
        #expect(try await render("a  \n {{- 1 -}} \n  b") == "a1b")
        #expect(try await render("a {{- /* gone */ -}} b") == "ab")
        #expect(try await render("a {{/* gone */}} b") == "a  b")
        #expect(try await render("{{-3}}") == "-3")
        #expect(try await render("x\n{{- range .Items }}\n  {{ . }}\n{{- end }}", data) == "x\n  a\n  b\n  c")
        #expect(try await render("{{ .Name\n  | printf \"%s!\" }}", data) == "web!")
    }

    @Test func pipelinesPassTheLastArgument() async throws {
        #expect(try await render(#"{{ "x" | printf "%s-%s" "y" }}"#) == "y-x")
        #expect(try await render(#"{{ .Value | printf "%.2f" }}"#, data) == "1.50")
        #expect(try await render(#"{{ (printf "%d" 5) | len }}"#) == "1")
        #expect(try await render(#"{{ (index .Items 1) }}"#, data) == "b")
    }

    @Test func variablesAndScopes() async throws {
        #expect(try await render("{{ $x := 1 }}{{ $x }}{{ $x = 2 }}{{ $x }}") == "12")
        #expect(try await render("{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}") == "21")
        #expect(try await render("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}") == "2")
        #expect(try await render("{{ $l := .Labels }}{{ $l.job }}", data) == "api")
        #expect(try await render("{{ range . }}{{ $ }}{{ end }}", .list([.int(1)])) == "[1]")
        #expect(try await render("{{ with $x := .Name }}{{ $x }}{{ . }}{{ end }}", data) == "webweb")
    }

    @Test func ifElse() async throws {
        #expect(try await render("{{ if .Count }}yes{{ else }}no{{ end }}", data) == "yes")
        #expect(try await render("{{ if .Empty }}yes{{ else }}no{{ end }}", data) == "no")
        #expect(try await render("{{ if eq .Name \"x\" }}1{{ else if eq .Name \"web\" }}2{{ else }}3{{ end }}", data) == "2")
        for falsy in ["false", "0", "0.0", "\"\"", ".Nil", ".Missing", ".Empty"] {
            #expect(try await render("{{ if \(falsy) }}t{{ else }}f{{ end }}", data) == "f", "\(falsy)")
        }
        for truthy in ["true", "1", "-1", "\"a\"", ".Items", ".Labels", "(toTime 0)"] {
            #expect(try await render("{{ if \(truthy) }}t{{ else }}f{{ end }}", data) == "t", "\(truthy)")
        }
    }

    @Test func with() async throws {
        #expect(try await render("{{ with .Labels }}{{ .job }}{{ end }}", data) == "api")
        #expect(try await render("{{ with .Empty }}x{{ else }}empty{{ end }}", data) == "empty")
        #expect(try await render("{{ with .Empty }}x{{ else with .Name }}{{ . }}{{ end }}", data) == "web")
    }

    @Test func range() async throws {
        #expect(try await render("{{ range .Items }}{{ . }}{{ end }}", data) == "abc")
        #expect(try await render("{{ range $i, $e := .Items }}{{ $i }}={{ $e }} {{ end }}", data) == "0=a 1=b 2=c ")
        #expect(try await render("{{ range $e := .Items }}{{ $e }}{{ end }}", data) == "abc")
        #expect(try await render("{{ range $k, $v := .Labels }}{{ $k }}:{{ $v }};{{ end }}", data) == "instance:host:9100;job:api;")
        #expect(try await render("{{ range .Empty }}x{{ else }}none{{ end }}", data) == "none")
        #expect(try await render("{{ range .Nil }}x{{ else }}none{{ end }}", data) == "none")
        #expect(try await render("{{ range 3 }}{{ . }}{{ end }}") == "012")
        #expect(try await render("{{ range .Items }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}", data) == "a")
        #expect(try await render("{{ range .Items }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}", data) == "ac")
        #expect(try await render("{{ $n := 0 }}{{ range .Items }}{{ $n = . }}{{ end }}{{ $n }}", data) == "c")
        #expect(await errorMessage("{{ range .Name }}{{ end }}", data) == #"template: test:1:9: executing "test" at <.Name>: range can't iterate over web"#)
    }

    @Test func defineTemplateAndBlock() async throws {
        #expect(try await render(#"{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" "a" }}{{ template "x" }}"#) == "[a][<no value>]")
        #expect(try await render(#"{{ block "b" .Name }}<{{ . }}>{{ end }}"#, data) == "<web>")
        #expect(try await render(#"{{ define "x" }}{{ .arg0 }} {{ .arg1 }}{{ end }}{{ template "x" (args 1 "2") }}"#) == "1 2")
        #expect(try await render(#"{{ define "a" }}x{{ end }}{{ $name := "a" }}{{ tmpl $name . }}"#) == "x")
        #expect(await errorMessage(#"{{ template "nope" }}"#) == #"template: test:1:12: executing "test" at <{{template "nope"}}>: template "nope" not defined"#)
    }

    @Test func andOrNot() async throws {
        #expect(try await render("{{ and 1 0 2 }} {{ and 1 2 }} {{ or 0 \"\" }} {{ or 0 3 1 }} {{ not 0 }} {{ not .Items }}", data) == "0 2  3 true false")
        // Short-circuit: the failing call is never made.
        #expect(try await render("{{ or 1 (index .Items 10) }} {{ and 0 (index .Items 10) }}", data) == "1 0")
        #expect(try await render("{{ 1 | and 2 }} {{ 0 | or 0 }}") == "1 0")
    }

    @Test func comparisons() async throws {
        #expect(try await render("{{ eq 1 1 }} {{ eq 1 2 }} {{ eq 1 2 3 1 }} {{ eq \"a\" \"a\" }} {{ ne 1 2 }}") == "true false true true true")
        #expect(try await render("{{ lt 1 2 }} {{ le 2 2 }} {{ gt 3 2 }} {{ ge 1 2 }} {{ lt \"a\" \"b\" }}") == "true true true false true")
        // Ints and floats compare by value here (Go would refuse).
        #expect(try await render("{{ gt .Value 1 }} {{ eq 2 2.0 }} {{ lt 1 1.5 }}", data) == "true true true")
        #expect(try await render("{{ eq nil nil }} {{ eq .Nil 1 }}", data) == "true false")
        #expect(await errorMessage("{{ eq 1 \"a\" }}") == #"template: test:1:3: executing "test" at <eq 1 "a">: error calling eq: incompatible types for comparison"#)
        #expect(await errorMessage("{{ lt true false }}")?.hasSuffix("error calling lt: invalid type for comparison") == true)
        #expect(await errorMessage("{{ eq .Items .Items }}", data)?.contains("non-comparable") == true)
        #expect(await errorMessage("{{ eq 1 }}")?.hasSuffix("missing argument for comparison") == true)
    }

    @Test func lenIndexSlice() async throws {
        #expect(try await render("{{ len .Items }} {{ len .Labels }} {{ len \"héllo\" }}", data) == "3 2 6")
        #expect(try await render("{{ index .Items 0 }} {{ index .Labels \"job\" }} {{ index \"abc\" 1 }} {{ index .Labels \"x\" }}|", data) == "a api 98 |")
        #expect(try await render("{{ index (args (args 5)) \"arg0\" \"arg0\" }}") == "5")
        #expect(try await render("{{ slice .Items 1 }} {{ slice .Items 1 2 }} {{ slice \"hello\" 1 3 }} {{ slice .Items }}", data) == "[b c] [b] el [a b c]")
        #expect(await errorMessage("{{ index .Items 5 }}", data)?.hasSuffix("error calling index: index out of range: 5") == true)
        #expect(await errorMessage("{{ index .Items \"a\" }}", data)?.hasSuffix("cannot index slice/array with type string") == true)
        #expect(await errorMessage("{{ slice .Items 2 1 }}", data)?.hasSuffix("invalid slice index: 2 > 1") == true)
        #expect(await errorMessage("{{ len 3 }}")?.hasSuffix("error calling len: len of type int") == true)
        #expect(await errorMessage("{{ index nil 1 }}")?.hasSuffix("index of untyped nil") == true)
    }

    @Test func printAndEscapers() async throws {
        #expect(try await render(#"{{ print 1 2 "a" "b" 3 }}"#) == "1 2ab3")
        #expect(try await render(#"{{ println 1 "a" }}"#) == "1 a\n")
        #expect(try await render(#"{{ print nil .Items }}"#, data) == "<nil> [a b c]")
        #expect(try await render(#"{{ html "<a href='x'>&\"" }}"#) == "&lt;a href=&#39;x&#39;&gt;&amp;&#34;")
        #expect(try await render(#"{{ js "it's <b> \"q\" = \\ \n" }}"#) == #"it\'s \u003Cb\u003E \"q\" \u003D \\ \u000A"#)
        #expect(try await render(#"{{ urlquery "a b&c=d/é" }}"#) == "a+b%26c%3Dd%2F%C3%A9")
        #expect(try await render(#"{{ html 1 "<" }}"#) == "1&lt;")
        #expect(await errorMessage(#"{{ call "x" }}"#)?.hasSuffix("error calling call: non-function of type string") == true)
    }

    @Test func valuesPrintLikeGo() async throws {
        let cases: [(TemplateValue, String)] = [
            (.number(1e6), "1e+06"), (.number(123456), "123456"), (.number(1234567), "1.234567e+06"),
            (.number(0.0001), "0.0001"), (.number(1e-05), "1e-05"), (.number(1.5), "1.5"),
            (.number(0), "0"), (.number(-0.25), "-0.25"), (.number(100), "100"),
            (.number(.infinity), "+Inf"), (.number(-.infinity), "-Inf"), (.number(.nan), "NaN"),
            (.number(1e21), "1e+21"), (.number(0.1 + 0.2), "0.30000000000000004"),
            (.int(-42), "-42"), (.bool(true), "true"),
            (.map(["b": .int(2), "a": .int(1)]), "map[a:1 b:2]"),
            (.list([.string("a"), .string("b")]), "[a b]"),
            (.list([.null, .number(2.5)]), "[<nil> 2.5]"),
            (.time(1_234_567), "1970-01-15 06:56:07 +0000 UTC"),
            (.time(1435065584.128), "2015-06-23 13:19:44.128 +0000 UTC"),
            (.duration(90), "1m30s"), (.duration(0), "0s"), (.duration(0.0015), "1.5ms"),
            (.duration(3725.5), "1h2m5.5s"), (.duration(-2), "-2s"), (.duration(0.000002), "2µs"),
            (.null, "<no value>"),
        ]
        for (value, expected) in cases {
            #expect(try await render("{{ . }}", value) == expected)
        }
    }

    @Test func methodsOnTimesAndDurations() async throws {
        #expect(try await render(#"{{ (1435065584.128 | toTime).Format "2006" }}"#) == "2015")
        #expect(try await render(#"{{ (toTime 1435065584.128).Format "2006-01-02T15:04:05.000Z07:00 Mon Jan _2 3PM" }}"#)
                == "2015-06-23T13:19:44.128Z Tue Jun 23 1PM")
        #expect(try await render("{{ (toTime 1435065584.128).Unix }}") == "1435065584")
        #expect(try await render("{{ (toDuration 90).Seconds }} {{ (toDuration 5400).Hours }}") == "90 1.5")
    }

    @Test func executionErrorsNameTheCall() async throws {
        #expect(await errorMessage(#"{{ humanize "x" }}"#, name: "__alert_X")
                == #"template: __alert_X:1:3: executing "__alert_X" at <humanize "x">: error calling humanize: strconv.ParseFloat: parsing "x": invalid syntax"#)
        #expect(await errorMessage("a\nb {{ .Name.Foo }}", data)
                == #"template: test:2:5: executing "test" at <.Name.Foo>: can't evaluate field Foo in type string"#)
        #expect(await errorMessage(#"{{ define "t" }}{{ len 1 }}{{ end }}{{ template "t" }}"#)
                == #"template: test:1:19: executing "t" at <len 1>: error calling len: len of type int"#)
        #expect(await errorMessage(#"{{ humanize }}"#) == #"template: test:1:3: executing "test" at <humanize>: wrong number of args for humanize: want 1 got 0"#)
        #expect(await errorMessage(#"{{ title 1 }}"#) == #"template: test:1:9: executing "test" at <1>: expected string; found 1"#)
        #expect(await errorMessage(#"{{ title .Value }}"#, data) == #"template: test:1:9: executing "test" at <.Value>: wrong type for value; expected string; got float64"#)
        #expect(await errorMessage(#"{{ "a" "b" }}"#) == #"template: test:1:3: executing "test" at <"a">: can't give argument to non-function "a""#)
        #expect(await errorMessage(#"{{ nil }}"#) == #"template: test:1:3: executing "test" at <nil>: nil is not a command"#)
        #expect(await errorMessage(#"{{ $x := 1 }}{{ $x = 2 }}{{ .Labels.job 1 }}"#, data)?.hasSuffix("job is not a method but has arguments") == true)
    }

    @Test func customFunctions() async throws {
        let functions = TemplateFunctions.prometheus().adding("double") { args in
            guard case .int(let n) = args.first else { throw TemplateError(message: "want an int") }
            return .int(2 * n)
        }
        #expect(try await render("{{ 21 | double }}", functions: functions) == "42")
        #expect(await errorMessage(#"{{ double "x" }}"#, functions: functions)?.hasSuffix("error calling double: want an int") == true)
        #expect(functions.names.contains("double"))
        #expect(functions.names.contains("humanize"))
        #expect(functions.names == functions.names.sorted())
        #expect(parseError("{{ double 1 }}") == #"template: test:1: function "double" not defined"#)
    }
}
