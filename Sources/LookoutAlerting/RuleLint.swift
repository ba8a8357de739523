/// promtool's duplicate-rules lint: rules with the same name and labels write the same series.
public enum RuleLint {
    public struct Duplicate: Sendable {
        public var name: String
        public var labels: [String: String]
    }

    public static func duplicates(_ file: RuleFile) -> [Duplicate] {
        var seen = Set<String>()
        var found: [Duplicate] = []
        for group in file.groups {
            for rule in group.rules {
                let key = rule.name + "\u{ff}" + rule.labels.sorted { $0.key < $1.key }.map { $0.key + "\u{ff}" + $0.value }.joined(separator: "\u{ff}")
                if !seen.insert(key).inserted { found.append(Duplicate(name: rule.name, labels: rule.labels)) }
            }
        }
        return found
    }
}
