import Testing
@testable import LookoutTemplate

/// Golden outputs from Prometheus' template/template_test.go and prometheus/common's tests.
@Suite struct PrometheusFunctionTests {
    func each(_ function: String, _ values: TemplateValue) async throws -> String {
        try await render("{{ range . }}{{ \(function) . }}:{{ end }}", values)
    }

    @Test func humanize() async throws {
        #expect(try await each("humanize", list(0, 1, 1234567, 0.12)) == "0:1:1.235M:120m:")
        #expect(try await each("humanize", .list(["0.0", "1.0", "1234567.0", ".12"].map { .string($0) })) == "0:1:1.235M:120m:")
        #expect(try await each("humanize", .list([0, -1, 1, 1234567, Int.max].map { .int($0) })) == "0:-1:1:1.235M:9.223E:")
        #expect(try await each("humanize", list(1e30, 0.000000000000000000000000001, -2500)) == "1e+06Y:0.001y:-2.5k:")
        #expect(await errorMessage(#"{{ humanize "one" }}"#)
                == #"template: test:1:3: executing "test" at <humanize "one">: error calling humanize: strconv.ParseFloat: parsing "one": invalid syntax"#)
        #expect(await errorMessage(#"{{ humanize true }}"#)?.hasSuffix("error calling humanize: can't convert bool to float") == true)
    }

    @Test func humanize1024() async throws {
        #expect(try await each("humanize1024", list(0, 1, 1048576, 0.12)) == "0:1:1Mi:0.12:")
        #expect(try await each("humanize1024", .list([0, -1, 1, 1234567, Int.max].map { .int($0) })) == "0:-1:1:1.177Mi:8Ei:")
        #expect(try await render(#"{{ humanize1024 "1048576.0" }}"#) == "1Mi")
    }

    @Test func humanizeDuration() async throws {
        #expect(try await each("humanizeDuration", list(0, 1, 60, 3600, 86400, 86400 + 3600, -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), 899.99))
                == "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:")
        #expect(try await each("humanizeDuration", list(0.1, 0.0001, 0.12345, 60.1, 60.5, 1.2345, 12.345))
                == "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:")
        #expect(try await each("humanizeDuration", .list(["0", "1", "60", "3600", "86400", ".1", "1.2345"].map { .string($0) }))
                == "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:100ms:1.234s:")
        #expect(try await each("humanizeDuration", .list([0, -1, 1, 1234567].map { .int($0) })) == "0s:-1s:1s:14d 6h 56m 7s:")
        #expect(try await render("{{ humanizeDuration (toDuration 90) }}") == "1m 30s")
    }

    @Test func infinitiesAndNaN() async throws {
        let text = "{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{ humanizeTimestamp . }}:{{ end }}"
        let expected = "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:"
        #expect(try await render(text, list(.infinity, -.infinity, .nan)) == expected)
        #expect(try await render(text, .list(["+Inf", "-Inf", "NaN"].map { .string($0) })) == expected)
    }

    @Test func humanizePercentage() async throws {
        #expect(try await render("{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}")
                == "-22.22%:0%:12.35%:123.5%")
        #expect(try await each("humanizePercentage", .list([0, -1, 1, 1234567, Int.max].map { .int($0) })) == "0%:-100%:100%:1.235e+08%:9.223e+20%:")
        #expect(await errorMessage(#"{{ "one" | humanizePercentage }}"#)
                == #"template: test:1:11: executing "test" at <humanizePercentage>: error calling humanizePercentage: strconv.ParseFloat: parsing "one": invalid syntax"#)
    }

    @Test func humanizeTimestamp() async throws {
        #expect(try await each("humanizeTimestamp", .list([0, -1, 1, 1234567, 9223372036].map { .int($0) }))
                == "1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:")
        #expect(try await render("{{ 1435065584.128 | humanizeTimestamp }}") == "2015-06-23 13:19:44.128 +0000 UTC")
        #expect(try await render(#"{{ "1435065584.128" | humanizeTimestamp }}"#) == "2015-06-23 13:19:44.128 +0000 UTC")
        #expect(await errorMessage("{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", .list([.int(Int.min), .int(Int.max)]))
                == #"template: test:1:16: executing "test" at <humanizeTimestamp .>: error calling humanizeTimestamp: -9.223372036854776e+18 cannot be represented as a nanoseconds timestamp since it overflows int64"#)
    }

    @Test func timesAndDurations() async throws {
        #expect(try await render("{{ toTime 1657155181 }}") == "2022-07-07 00:53:01 +0000 UTC")
        #expect(try await render("{{ toDuration 90.5 }} {{ toDuration \"3600\" }}") == "1m30.5s 1h0m0s")
        #expect(await errorMessage("{{ toTime 1e300 }}")?.hasSuffix("1e+300 cannot be represented as a nanoseconds timestamp since it overflows int64") == true)
        #expect(await errorMessage("{{ toDuration \"NaN\" }}")?.hasSuffix("error calling toDuration: value is NaN or Inf") == true)
        #expect(try await render("{{ now }}", functions: .prometheus(now: 1700000000.5)) == "1.7000000005e+09")
        #expect(try await render("{{ now | humanizeTimestamp }}", functions: .prometheus(now: 1700000000.5)) == "2023-11-14 22:13:20.5 +0000 UTC")
    }

    @Test func strings() async throws {
        #expect(try await render(#"{{ "aa bb CC" | title }}|{{ "aa bb CC" | toUpper }}|{{ "aA bB CC" | toLower }}"#) == "Aa Bb CC|AA BB CC|aa bb cc")
        #expect(try await render(#"{{ "it's foo-bar baz_qux" | title }}"#) == "It's Foo-Bar Baz_qux")
        #expect(try await render(#"{{ match "a+" "aa" }} {{ match "a+" "b" }} {{ match "^b" "ab" }}"#) == "true false false")
        #expect(try await render(#"{{ reReplaceAll "(a)b" "x$1" "ab" }}"#) == "xa")
        #expect(try await render(#"{{ reReplaceAll `(?P<host>[^:]+):(\d+)` "${host} port $2" "web:9100" }}"#) == "web port 9100")
        #expect(try await render(#"{{ reReplaceAll "a*" "-" "baaac" }}"#) == "-b-c-")
        #expect(try await render(#"{{ reReplaceAll "x" "$1w" "axb" }}"#) == "ab")
        #expect(await errorMessage(#"{{ match "(" "x" }}"#)?.hasSuffix("error calling match: error parsing regexp: missing closing ): `(`") == true)
        #expect(await errorMessage(#"{{ reReplaceAll "[a" "" "x" }}"#)?.hasSuffix("error calling reReplaceAll: regexp: Compile(\"[a\"): error parsing regexp: missing closing ]: `[a`") == true)
        #expect(try await render(#"{{ graphLink "up" }} {{ tableLink "rate(x[5m]) > 1" }}"#) == "/graph?g0.expr=up&g0.tab=0 /graph?g0.expr=rate%28x%5B5m%5D%29+%3E+1&g0.tab=1")
        #expect(try await render(#"{{ urlQueryEscape "a b/c" }} {{ "<b>" | safeHtml }}"#) == "a+b%2Fc <b>")
        #expect(try await render(#"{{ printf "%0.2f" (parseDuration "1h2m10ms") }} {{ parseDuration "1d" }} {{ parseDuration "0" }}"#) == "3720.01 86400 0")
        #expect(await errorMessage(#"{{ parseDuration "1x" }}"#)?.hasSuffix(#"unknown unit "x" in duration "1x""#) == true)
        #expect(await errorMessage(#"{{ parseDuration "1m1h" }}"#)?.hasSuffix(#"not a valid duration string: "1m1h""#) == true)
        #expect(await errorMessage(#"{{ parseDuration "" }}"#)?.hasSuffix("empty duration string") == true)
    }

    @Test func hostsAndPorts() async throws {
        let stripPort = [
            ("foo.example.com", "foo.example.com"), ("foo.example.com:12345", "foo.example.com"),
            ("192.0.2.1", "192.0.2.1"), ("192.0.2.1:12345", "192.0.2.1"), ("2001:0DB8::1", "2001:0DB8::1"),
            ("[2001:0DB8::1]:12345", "2001:0DB8::1"), ("[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345"),
        ]
        for (input, expected) in stripPort {
            #expect(try await render("{{ . | stripPort }}", .string(input)) == expected)
        }
        let stripDomain = [
            ("foo.example.com", "foo"), ("foo.example.com:12345", "foo:12345"), ("192.0.2.1", "192.0.2.1"),
            ("192.0.2.1:12345", "192.0.2.1:12345"), ("2001:0DB8::1", "2001:0DB8::1"),
            ("[2001:0DB8::1]:12345", "[2001:0DB8::1]:12345"), ("[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345"),
        ]
        for (input, expected) in stripDomain {
            #expect(try await render("{{ . | stripDomain }}", .string(input)) == expected)
        }
    }

    @Test func urlsAndArgs() async throws {
        let functions = TemplateFunctions.prometheus(externalURL: "http://testhost:9090/path/prefix", pathPrefix: "/path/prefix")
        #expect(try await render("{{ externalURL }} {{ pathPrefix }}", functions: functions) == "http://testhost:9090/path/prefix /path/prefix")
        #expect(try await render(#"{{ args 1 "a" }}"#) == "map[arg0:1 arg1:a]")
    }

    @Test func everyPrometheusFunctionIsKnown() {
        let names = TemplateFunctions.prometheus().names
        for name in ["query", "first", "label", "value", "strvalue", "sortByLabel", "humanize", "humanize1024",
                     "humanizeDuration", "humanizePercentage", "humanizeTimestamp", "toTime", "toDuration", "now",
                     "title", "toUpper", "toLower", "stripPort", "stripDomain", "match", "reReplaceAll", "graphLink",
                     "tableLink", "parseDuration", "urlQueryEscape", "args", "tmpl", "safeHtml", "externalURL", "pathPrefix",
                     "and", "or", "not", "len", "index", "slice", "eq", "ne", "lt", "le", "gt", "ge",
                     "print", "printf", "println", "html", "js", "urlquery", "call"] {
            #expect(names.contains(name), "\(name)")
        }
    }
}
