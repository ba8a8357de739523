import LookoutAlerting
import Testing

@Suite(.timeLimit(.minutes(1)))
struct RuleFileParserTests {
    @Test func readsEveryField() throws {
        let yaml = """
            groups:
              - name: example
                interval: 30s
                limit: 10
                query_offset: 1m
                labels:
                  team: db
                rules:
                  - record: job:up:sum
                    expr: sum by (job) (up)
                    labels:
                      kind: recorded
                  - alert: Down
                    expr: up == 0
                    for: 5m
                    keep_firing_for: 1m
                    labels:
                      severity: page
                    annotations:
                      summary: "{{ $labels.instance }} down"
            """
        let file = try RuleFileParser().parse(yaml: yaml, path: "r.yml")
        let group = try #require(file.groups.first)
        #expect(group.name == "example" && group.interval == 30_000 && group.limit == 10 && group.queryOffset == 60_000)
        #expect(group.labels == ["team": "db"])
        #expect(group.rules.map(\.kind) == [.recording("job:up:sum"), .alerting("Down")])
        #expect(group.rules[1].holdDuration == 300_000 && group.rules[1].keepFiringFor == 60_000)
        #expect(group.rules[1].annotations == ["summary": "{{ $labels.instance }} down"])
        #expect(group.rules[0].line == 9 && group.rules[1].line == 13)
    }

    static let invalid: [(String, String)] = [
        ("groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: 'sum('\n",
         #"r.yml:5:15: group "a", rule 1, "A": could not parse expression: 1:5: parse error: unexpected end of input"#),
        ("groups:\n  - name: a\n    ownership: x\n", "r.yml:3:5: field ownership not found in group"),
        ("groups:\n  - name: a\n  - name: a\n", "r.yml:3:5: a: repeated in the same file"),
        ("groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up\n        for: 5 minutes\n",
         #"r.yml:6:14: for: not a valid duration string: "5 minutes""#),
        ("groups:\n  - name: a\n    rules:\n      - record: r\n        alert: A\n        expr: up\n",
         #"group "a", rule 1, "r": only one of 'record' and 'alert' must be set"#),
        ("groups:\n  - name: a\n    rules:\n      - record: r\n        expr: up\n        for: 1m\n",
         "invalid field 'for' in recording rule"),
        ("groups:\n  - name: a\n    rules:\n      - record: r\n        expr: up\n        annotations: {a: b}\n",
         "invalid field 'annotations' in recording rule"),
        ("groups:\n  - name: a\n    rules:\n      - record: 'r{a=\"b\"}'\n        expr: up\n",
         "braces present in the recording rule name"),
        ("groups:\n  - name: a\n    rules:\n      - alert: A\n", "field 'expr' must be set in rule"),
        ("groups:\n  - name: a\n    rules:\n      - expr: up\n", "one of 'record' or 'alert' must be set"),
        ("groups:\n  - rules: []\n", "r.yml:2:5: groupname must not be empty"),
        ("groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up[5m]\n",
         "the expression must return an instant vector or a scalar, not a range vector"),
        ("groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up\n        annotations:\n          s: '{{ $label.x }}'\n",
         #"annotation "s" must be a valid template: template: __alert_A:1: undefined variable "$label""#),
        ("groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up\n        labels:\n          s: '{{ nosuch }}'\n",
         #"function "nosuch" not defined"#),
        ("groups: [\n", "r.yml:2:1: yaml:"),
        ("groups:\n  - name: a\n\tbad\n", "r.yml:3:"),
    ]

    @Test(arguments: invalid)
    func reportsWhatIsWrongAndWhere(yaml: String, expected: String) {
        do {
            _ = try RuleFileParser().parse(yaml: yaml, path: "r.yml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.description.firstRange(of: expected) != nil, "\(error.description)")
        }
    }

    @Test func unknownFieldsCanBeIgnored() throws {
        let file = try RuleFileParser(ignoreUnknownFields: true).parse(yaml: "groups:\n  - name: a\n    namespace: x\n    rules: []\n", path: "r.yml")
        #expect(file.groups.map(\.name) == ["a"])
    }

    @Test func duplicateRulesAreLinted() throws {
        let yaml = "groups:\n  - name: a\n    rules:\n      - record: r\n        expr: up\n      - record: r\n        expr: up\n  - name: b\n    rules:\n      - record: s\n        expr: up\n"
        let file = try RuleFileParser().parse(yaml: yaml, path: "r.yml")
        #expect(RuleLint.duplicates(file).map(\.name) == ["r"])
    }
}
