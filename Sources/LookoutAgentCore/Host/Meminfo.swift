import Foundation

/// `/proc/meminfo`: `node_memory_<Field>_bytes` gauges (kB × 1024); fields without a unit
/// (HugePages_Total, …) keep their name without `_bytes`. `Active(anon)` becomes `Active_anon`.
public enum Meminfo {
    public static func parse(_ text: String) throws -> [HostMetric] {
        var metrics: [HostMetric] = []
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            var name = String(line[..<colon])
            let rest = line[line.index(after: colon)...].fields
            guard let first = rest.first, let number = Double(first) else {
                throw HostParseError("/proc/meminfo: bad line \"\(line)\"")
            }
            name = name.replacingOccurrences(of: "(", with: "_").replacingOccurrences(of: ")", with: "")
            if rest.count > 1 && rest[1] == "kB" {
                metrics.append(HostMetric("node_memory_\(name)_bytes", [:], number * 1024))
            } else {
                metrics.append(HostMetric("node_memory_\(name)", [:], number))
            }
        }
        guard !metrics.isEmpty else { throw HostParseError("/proc/meminfo: empty") }
        return metrics
    }
}
