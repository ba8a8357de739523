/// `/proc/pressure/{cpu,io,memory,irq}`: the `total=` stall times (µs) as node_exporter's
/// `node_pressure_*_seconds_total` counters. CPU "full" is not exported, as upstream.
public enum Pressure {
    public static func parse(_ text: String, resource: String) throws -> [HostMetric] {
        var metrics: [HostMetric] = []
        for line in text.split(separator: "\n") {
            let fields = line.fields
            guard let kind = fields.first, let total = fields.first(where: { $0.hasPrefix("total=") }),
                  let micros = Double(total.dropFirst(6)) else {
                throw HostParseError("/proc/pressure/\(resource): bad line \"\(line)\"")
            }
            let seconds = micros / 1_000_000
            switch (resource, kind) {
            case ("cpu", "some"): metrics.append(HostMetric("node_pressure_cpu_waiting_seconds_total", [:], seconds))
            case ("io", "some"): metrics.append(HostMetric("node_pressure_io_waiting_seconds_total", [:], seconds))
            case ("io", "full"): metrics.append(HostMetric("node_pressure_io_stalled_seconds_total", [:], seconds))
            case ("memory", "some"): metrics.append(HostMetric("node_pressure_memory_waiting_seconds_total", [:], seconds))
            case ("memory", "full"): metrics.append(HostMetric("node_pressure_memory_stalled_seconds_total", [:], seconds))
            case ("irq", "full"): metrics.append(HostMetric("node_pressure_irq_stalled_seconds_total", [:], seconds))
            default: break
            }
        }
        return metrics
    }
}
