import Testing
@testable import LookoutTemplate

@Suite struct PrintfTests {
    func printf(_ format: String, _ args: TemplateValue...) throws -> String {
        try GoFormatter.sprintf(format, args, limits: .default)
    }

    @Test func integers() throws {
        #expect(try printf("%d|%5d|%-5d|%05d|%+d|% d", .int(42), .int(42), .int(42), .int(-42), .int(42), .int(42)) == "42|   42|42   |-0042|+42| 42")
        #expect(try printf("%x %X %#x %o %#o %O %b %#b", .int(255), .int(255), .int(255), .int(8), .int(8), .int(8), .int(5), .int(5)) == "ff FF 0xff 10 010 0o10 101 0b101")
        #expect(try printf("%.3d|%8.3d|%.0d|%c|%q|%U|%#U", .int(7), .int(-7), .int(0), .int(65), .int(65), .int(0x1F600), .int(65)) == "007|    -007||A|'A'|U+1F600|U+0041 'A'")
        #expect(try printf("%v %T", .int(3), .int(3)) == "3 int")
    }

    @Test func floats() throws {
        #expect(try printf("%f|%.2f|%8.3f|%-8.1f|%+.1f|%08.2f", .number(3.14159), .number(3.14159), .number(3.14159), .number(2.5), .number(2.5), .number(-3.14159)) == "3.141590|3.14|   3.142|2.5     |+2.5|-0003.14")
        #expect(try printf("%e|%E|%.2e|%g|%G|%.3g|%g", .number(1234.5678), .number(1234.5678), .number(1234.5678), .number(1234.5678), .number(1e-7), .number(1234.5678), .number(1e21)) == "1.234568e+03|1.234568E+03|1.23e+03|1234.5678|1E-07|1.23e+03|1e+21")
        #expect(try printf("%.4g|%.4g|%.4g|%.4g", .number(1), .number(100), .number(0.12), .number(1234567)) == "1|100|0.12|1.235e+06")
        #expect(try printf("%v|%.1f|%5.1f|%f", .number(.infinity), .number(-.infinity), .number(.nan), .number(.infinity)) == "+Inf|-Inf|  NaN|+Inf")
        #expect(try printf("%#g|%#.3g|%#.0f", .number(1.0), .number(2.0), .number(3.0)) == "1.00000|2.00|3.")
        #expect(try printf("%b|%x", .number(1.0), .number(1.5)) == "4503599627370496p-52|0x1.8p+00")
        #expect(try printf("%.2f%%", .number(99.5)) == "99.50%")
        #expect(try printf("%F", .number(1.5)) == "1.500000")
    }

    @Test func stringsAndBools() throws {
        #expect(try printf("%s|%10s|%-10s|%.2s|%q|%x|% x|%#x|%X", .string("héllo"), .string("abc"), .string("abc"), .string("héllo"), .string("a\"b\n"), .string("hi"), .string("hi"), .string("hi"), .string("hi")) == "héllo|       abc|abc       |hé|\"a\\\"b\\n\"|6869|68 69|0x6869|6869")
        #expect(try printf("%#q|%+q|%t|%v|%5t", .string("back`"), .string("é"), .bool(true), .bool(false), .bool(true)) == "\"back`\"|\"\\u00e9\"|true|false| true")
        #expect(try printf("%#q", .string("raw")) == "`raw`")
    }

    @Test func containers() throws {
        #expect(try printf("%v %d %s", .list([.int(1), .int(2)]), .list([.int(1), .int(2)]), .list([.string("a"), .int(1)])) == "[1 2] [1 2] [a %!s(int=1)]")
        #expect(try printf("%v", .map(["b": .string("x"), "a": .list([])])) == "map[a:[] b:x]")
        #expect(try printf("%v %s", .null, .time(0)) == "<nil> 1970-01-01 00:00:00 +0000 UTC")
        #expect(try printf("%v %d %T", .duration(1.5), .duration(1.5), .duration(1)) == "1.5s 1500000000 time.Duration")
    }

    @Test func goErrorNotes() throws {
        #expect(try printf("%d", .string("abc")) == "%!d(string=abc)")
        #expect(try printf("%d", .number(1.5)) == "%!d(float64=1.5)")
        #expect(try printf("%s", .int(3)) == "%!s(int=3)")
        #expect(try printf("%f", .int(3)) == "%!f(int=3)")
        #expect(try printf("%t", .int(1)) == "%!t(int=1)")
        #expect(try printf("%d", .null) == "%!d(<nil>)")
        #expect(try printf("%s %s", .string("a")) == "a %!s(MISSING)")
        #expect(try printf("%s", .string("a"), .int(1), .string("b")) == "a%!(EXTRA int=1, string=b)")
        #expect(try printf("%", .int(1)) == "%!(NOVERB)%!(EXTRA int=1)")
        #expect(try printf("%z", .int(1)) == "%!z(int=1)")
        #expect(try printf("100%%") == "100%")
    }

    @Test func starWidthAndIndexes() throws {
        #expect(try printf("%*d|%-*d|%.*f", .int(5), .int(42), .int(4), .int(7), .int(2), .number(3.14159)) == "   42|7   |3.14")
        #expect(try printf("%*d", .int(-4), .int(1)) == "1   ")
        #expect(try printf("%*d", .string("x"), .int(1)) == "%!(BADWIDTH)1")
        #expect(try printf("%[2]d %[1]d", .int(1), .int(2)) == "2 1")
        #expect(try printf("%[3]d", .int(1)) == "%!d(BADINDEX)")
    }

    @Test func throughTemplates() async throws {
        #expect(try await render(#"{{ printf "%.2f" 1.234 }} {{ printf "%d" 3 }} {{ printf "%f" 3 }} {{ printf "%s=%v" "a" 1.5 }}"#) == "1.23 3 %!f(int=3) a=1.5")
        // Go formats the value inside the note with the verb's flags.
        #expect(try await render(#"{{ printf "%.2f" 3 }}"#) == "%!f(int=03)")
        #expect(await errorMessage(#"{{ printf 3 }}"#)?.hasSuffix("expected string; found 3") == true)
    }

    @Test func hugeWidthsAreRefused() throws {
        #expect(try printf("%99999999d", .int(1)) == "%!(NOVERB)%!(EXTRA int=1)")
        #expect(throws: FunctionError.self) { try GoFormatter.sprintf("%1000000d%1000000d", [.int(1), .int(2)], limits: .default) }
    }
}
