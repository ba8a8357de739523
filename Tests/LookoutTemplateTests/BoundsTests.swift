import Testing
@testable import LookoutTemplate

@Suite struct BoundsTests {
    func limited(_ text: String, _ adjust: (inout ExecutionLimits) -> Void) async -> String? {
        do {
            var template = try Template(name: "test", text: text)
            adjust(&template.limits)
            _ = try await template.render(data: .null)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func outputIsBounded() async {
        let message = await limited("{{ range 100000 }}0123456789{{ end }}") { $0.maxOutputBytes = 1000 }
        #expect(message?.contains("output exceeds 1000 bytes") == true)
        // The default limit is 1 MB.
        let big = await errorMessage(#"{{ range 200 }}{{ printf "%10000d" 1 }}{{ end }}"#)
        #expect(big?.contains("output exceeds 1048576 bytes") == true)
    }

    @Test func templateRecursionIsBounded() async {
        let message = await errorMessage(#"{{ define "loop" }}x{{ template "loop" . }}{{ end }}{{ template "loop" }}"#)
        #expect(message?.contains("exceeded maximum template depth (100)") == true)
        let viaTmpl = await errorMessage(#"{{ define "t" }}{{ tmpl "t" . }}{{ end }}{{ tmpl "t" 1 }}"#)
        #expect(viaTmpl?.contains("exceeded maximum template depth (100)") == true)
    }

    @Test func stepsAreBounded() async {
        let message = await limited("{{ range 1000000 }}{{ range 1000000 }}{{ end }}{{ end }}") { $0.maxSteps = 10000 }
        #expect(message?.contains("exceeded maximum of 10000 execution steps") == true)
    }

    @Test func growingValuesAreBounded() async {
        // Doubling a string each iteration would reach gigabytes.
        let doubling = await errorMessage(#"{{ $s := "ab" }}{{ range 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}"#)
        #expect(doubling?.contains("exceeds 1048576 bytes") == true)
        // Nesting args without bound would make values too deep to print or free.
        let nesting = await errorMessage(#"{{ $x := 1 }}{{ range 5000 }}{{ $x = args $x $x }}{{ end }}{{ $x }}"#)
        #expect(nesting?.contains("calls building nested values") == true)
        let wide = await errorMessage(#"{{ $x := 1 }}{{ range 60 }}{{ $x = args $x $x }}{{ end }}{{ $x }}"#)
        #expect(wide?.contains("exceeds") == true || wide?.contains("nested more than") == true)
    }

    @Test func regexRunsInLinearTime() async throws {
        let text = String(repeating: "a", count: 5000) + "b"
        let start = ContinuousClock.now
        #expect(try await render(#"{{ match "(a+)+$" . }}"#, .string(text)) == "false")
        #expect(try await render(#"{{ match "(a|a)*c" . }}"#, .string(text)) == "false")
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    /// Random and mutated templates must parse or fail cleanly, and render or fail cleanly.
    @Test func fuzzNeverCrashes() async {
        let seeds = [
            #"{{ $labels.instance }} is down {{ $value | humanize }}"#,
            #"{{ range $i, $e := .Items }}{{ if eq $i 1 }}{{ break }}{{ end }}{{ printf "%5.2f|%s" $e "x" }}{{ end }}"#,
            #"{{ define "x" }}{{ template "x" . }}{{ end }}{{ block "y" . }}{{ with .A }}{{ . }}{{ else }}-{{ end }}{{ end }}"#,
            #"{{- /* c */ -}}{{ and (or 0 "") (not 1) | print }}{{ index .Items 0 | len }}{{ slice "abc" 1 }}"#,
            #"{{ reReplaceAll "(\w+)@(\w+)" "$2 ${1}" "a@b" }}{{ match "[[:alpha:]]+|\\d{2,5}?" "x" }}{{ humanizeDuration 3.5 }}"#,
        ]
        let alphabet = Array("{}()|$.,:=\"'`-+*/ abcdefxyz0123456789\n\\[]%!@#ifendrangewithdefinetemplateelse".unicodeScalars)
        var rng = SplitMix(seed: 0x5EED)
        let data = TemplateValue.map(["Items": .list([.int(1), .string("two"), .number(3.5)]), "A": .map(["b": .bool(true)])])
        for round in 0..<1500 {
            var scalars = Array(seeds[round % seeds.count].unicodeScalars)
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let position = scalars.isEmpty ? 0 : Int(rng.next() % UInt64(scalars.count))
                switch rng.next() % 3 {
                case 0 where !scalars.isEmpty: scalars.remove(at: position)
                case 1: scalars.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: position)
                default:
                    if !scalars.isEmpty { scalars[position] = alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                }
            }
            if round % 5 == 0 {
                scalars = (0..<Int(rng.next() % 40)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            }
            let text = String(String.UnicodeScalarView(scalars))
            guard var template = try? Template(name: "fuzz", text: text) else { continue }
            template.limits.maxSteps = 20_000
            template.limits.maxOutputBytes = 100_000
            _ = try? await template.render(data: data)
        }
    }
}

/// A small deterministic generator, so fuzz failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
