/// `/proc/loadavg`: `node_load1`, `node_load5`, `node_load15`.
public enum LoadAvg {
    public static func parse(_ text: String) throws -> [HostMetric] {
        let fields = Substring(text).fields
        guard fields.count >= 3, let one = Double(fields[0]), let five = Double(fields[1]), let fifteen = Double(fields[2]) else {
            throw HostParseError("/proc/loadavg: bad content \"\(text.prefix(80))\"")
        }
        return [HostMetric("node_load1", [:], one), HostMetric("node_load5", [:], five), HostMetric("node_load15", [:], fifteen)]
    }
}
