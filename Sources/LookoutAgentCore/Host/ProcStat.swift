/// `/proc/stat`: per-CPU time by mode, interrupts, context switches, forks, boot time and
/// process counts, under node_exporter's names. CPU times are jiffies ÷ USER_HZ (100, as
/// node_exporter hard-codes it).
public enum ProcStat {
    static let modes = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
    static let userHZ = 100.0

    public static func parse(_ text: String) throws -> [HostMetric] {
        var metrics: [HostMetric] = []
        for line in text.split(separator: "\n") {
            let fields = line.fields
            guard let key = fields.first else { continue }
            if key.hasPrefix("cpu") && key.count > 3 {
                let cpu = String(key.dropFirst(3))
                guard Int(cpu) != nil else { throw HostParseError("/proc/stat: bad cpu line \"\(line)\"") }
                let values = fields.dropFirst().map { Double($0) }
                guard values.count >= 4, values.allSatisfy({ $0 != nil }) else {
                    throw HostParseError("/proc/stat: bad cpu line \"\(line)\"")
                }
                for (index, mode) in modes.enumerated() where index < values.count {
                    metrics.append(HostMetric("node_cpu_seconds_total", ["cpu": cpu, "mode": mode], values[index]! / userHZ))
                }
                // guest and guest_nice are also counted in user and nice, as the kernel does.
                if values.count > 8 {
                    metrics.append(HostMetric("node_cpu_guest_seconds_total", ["cpu": cpu, "mode": "user"], values[8]! / userHZ))
                }
                if values.count > 9 {
                    metrics.append(HostMetric("node_cpu_guest_seconds_total", ["cpu": cpu, "mode": "nice"], values[9]! / userHZ))
                }
                continue
            }
            guard fields.count >= 2, let value = Double(fields[1]) else { continue }
            switch key {
            case "intr": metrics.append(HostMetric("node_intr_total", [:], value))
            case "ctxt": metrics.append(HostMetric("node_context_switches_total", [:], value))
            case "processes": metrics.append(HostMetric("node_forks_total", [:], value))
            case "btime": metrics.append(HostMetric("node_boot_time_seconds", [:], value))
            case "procs_running": metrics.append(HostMetric("node_procs_running", [:], value))
            case "procs_blocked": metrics.append(HostMetric("node_procs_blocked", [:], value))
            default: break
            }
        }
        guard metrics.contains(where: { $0.name == "node_cpu_seconds_total" }) else {
            throw HostParseError("/proc/stat: no per-cpu lines")
        }
        return metrics
    }
}
