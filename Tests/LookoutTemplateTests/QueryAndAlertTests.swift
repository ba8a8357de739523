import Testing
@testable import LookoutTemplate

@Suite struct QueryAndAlertTests {
    let samples: TemplateQuery = { query in
        switch query {
        case "up":
            return [TemplateSample(labels: ["__name__": "up", "instance": "b"], value: 1234567),
                    TemplateSample(labels: ["__name__": "up", "instance": "a", "__value__": "x"], value: 0)]
        case "fail":
            throw TemplateError(message: "bad query")
        default:
            return []
        }
    }

    var functions: TemplateFunctions { .prometheus(query: samples) }

    @Test func queryFirstValue() async throws {
        #expect(try await render(#"{{ with query "up" }}{{ . | first | value | humanize }}{{ end }}"#, functions: functions) == "1.235M")
        #expect(try await render(#"{{ query "up" | first | label "instance" }}"#, functions: functions) == "b")
        #expect(try await render(#"{{ query "up" | first | label "nope" }}|"#, functions: functions) == "|")
        #expect(try await render(#"{{ $x := query "up" | first }}{{ $x.Labels.foo }}|{{ $x.Value }}"#, functions: functions) == "|1.234567e+06")
        #expect(try await render(#"{{ range query "up" | sortByLabel "instance" }}{{ .Labels.instance }}:{{ .Value }} {{ end }}"#, functions: functions) == "a:0 b:1.234567e+06 ")
        #expect(try await render(#"{{ (query "up" | sortByLabel "instance" | first) | strvalue }}"#, functions: functions) == "x")
        #expect(try await render(#"{{ with query "none" }}x{{ else }}no data{{ end }}"#, functions: functions) == "no data")
    }

    @Test func queryErrors() async throws {
        #expect(await errorMessage(#"{{ query "none" | first }}"#, functions: functions)
                == #"template: test:1:18: executing "test" at <first>: error calling first: first() called on vector with no elements"#)
        #expect(await errorMessage(#"{{ query "fail" }}"#, functions: functions)?.hasSuffix("error calling query: bad query") == true)
        #expect(await errorMessage(#"{{ query "up" }}"#)?.hasSuffix("error calling query: query function not available") == true)
        #expect(await errorMessage(#"{{ (query "none").banana }}"#, functions: functions)?.hasSuffix("can't evaluate field banana in type []interface {}") == true)
        #expect(await errorMessage(#"{{ 1 | first }}"#)?.hasSuffix("wrong type for value; expected template.queryResult; got int") == true)
    }

    @Test func alertPrelude() async throws {
        let data = AlertTemplate.data(labels: ["instance": "web-1:9100", "job": "node"], externalLabels: ["cluster": "eu-1"],
                                      externalURL: "http://prom:9090", value: 0.5)
        func expand(_ text: String) async throws -> String {
            try await Template(name: "__alert_InstanceDown", text: AlertTemplate.prelude + text).render(data: data)
        }
        #expect(try await expand("{{ $labels.instance }} is down, value {{ $value }}") == "web-1:9100 is down, value 0.5")
        #expect(try await expand("{{ $externalLabels.cluster }} {{ $externalURL }} {{ $labels.missing }}|") == "eu-1 http://prom:9090 |")
        #expect(try await expand("{{ $value | humanizePercentage }} on {{ $labels.instance | stripPort }}") == "50% on web-1")
        #expect(try await expand(#"{{ if gt $value 0.4 }}high{{ end }} {{ printf "%.2f" $value }}"#) == "high 0.50")
        #expect(try await expand("{{ .Labels.job }} {{ .Value }}") == "node 0.5")
        #expect(AlertTemplate.prelude == "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}")
        #expect(throws: TemplateError.self) { try Template(name: "__alert_X", text: AlertTemplate.prelude + "{{ $nope }}") }
    }
}
