/// Prometheus' `title`: golang.org/x/text cases.Title with NoLower, which upper-cases the
/// first letter of each word and leaves the rest alone.
enum TextCase {
    static func title(_ s: String) -> String {
        var out = ""
        var inWord = false
        var previous: Character?
        for c in s {
            let isWordChar = c.isLetter || c.isNumber || c == "_" || (c == "'" && inWord) || c.unicodeScalars.first.map { $0.properties.generalCategory == .nonspacingMark } == true
            if c.isLetter && !inWord {
                out += String(c).uppercased()
            } else {
                out.append(c)
            }
            // An apostrophe continues a word only between letters, as in "it's".
            inWord = isWordChar && !(c == "'" && previous?.isLetter != true)
            previous = c
        }
        return out
    }
}
