@testable import LookoutServer
import Testing

@Suite struct PrometheusJSONTests {
    @Test(arguments: [
        (1.0, "1"), (0.5, "0.5"), (-2.25, "-2.25"), (100.0, "100"), (1e-05, "0.00001"), (1.5e-07, "1.5e-07"),
        (1e21, "1e+21"), (1e16, "10000000000000000"), (123456789.125, "123456789.125"), (Double.nan, "NaN"),
        (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (0.0, "0"), (-0.0, "-0"), (0.1 + 0.2, "0.30000000000000004"),
    ])
    func valuesAreFormattedAsPrometheusDoes(value: Double, text: String) {
        #expect(PrometheusJSON.format(value) == text)
    }

    @Test func writtenValuesMatchTheFormatterOnTheIntegerFastPath() {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 1, -1, 9_007_199_254_740_991, 9_007_199_254_740_992, -9_007_199_254_740_994, 1e15, 1e16, 1e21, 0.5]
        for _ in 0..<2000 {
            values.append(Double(Int64.random(in: -1 << 60...1 << 60, using: &generator)))
            values.append(Double(Int32.random(in: .min ... .max, using: &generator)))
            values.append(Double.random(in: -1e6...1e6, using: &generator))
        }
        for value in values {
            var out: [UInt8] = []
            PrometheusJSON.writeValue(value, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == "\"" + PrometheusJSON.format(value) + "\"", "\(value)")
        }
    }

    @Test func timesAreSecondsWithMillisecondsOnlyWhenNeeded() {
        func text(_ milliseconds: Int64) -> String {
            var out: [UInt8] = []
            PrometheusJSON.writeTime(milliseconds, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(text(60_000) == "60")
        #expect(text(1_500) == "1.500")
        #expect(text(1_050) == "1.050")
        #expect(text(1_435_781_451_781) == "1435781451.781")
        #expect(text(0) == "0")
    }
}
