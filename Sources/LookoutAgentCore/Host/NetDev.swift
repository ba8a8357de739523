/// `/proc/net/dev`: `node_network_{receive,transmit}_<field>_total` counters by `device`.
public enum NetDev {
    static let receive = ["bytes", "packets", "errs", "drop", "fifo", "frame", "compressed", "multicast"]
    static let transmit = ["bytes", "packets", "errs", "drop", "fifo", "colls", "carrier", "compressed"]

    public static func parse(_ text: String, exclude: (String) -> Bool) throws -> [HostMetric] {
        var metrics: [HostMetric] = []
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let device = String(line[..<colon].drop { $0 == " " })
            let values = line[line.index(after: colon)...].fields.map { Double($0) }
            guard values.count >= 16, values.allSatisfy({ $0 != nil }) else {
                if line.hasPrefix("Inter-") || line.contains("|") { continue }
                throw HostParseError("/proc/net/dev: bad line \"\(line)\"")
            }
            if exclude(device) { continue }
            for (index, field) in receive.enumerated() {
                metrics.append(HostMetric("node_network_receive_\(field)_total", ["device": device], values[index]!))
            }
            for (index, field) in transmit.enumerated() {
                metrics.append(HostMetric("node_network_transmit_\(field)_total", ["device": device], values[8 + index]!))
            }
        }
        return metrics
    }
}
