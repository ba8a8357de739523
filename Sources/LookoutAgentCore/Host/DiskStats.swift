/// `/proc/diskstats`: whole disks only (partitions, loop and ram devices are skipped by the
/// exclude pattern), node_exporter's names: sectors × 512 as bytes, milliseconds ÷ 1000.
/// Discard (kernel ≥ 4.18) and flush (≥ 5.5) fields appear when the kernel writes them.
public enum DiskStats {
    /// node_exporter's default `--collector.diskstats.device-exclude`.
    public static let defaultExclude = #"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$"#

    public static func parse(_ text: String, exclude: (String) -> Bool) throws -> [HostMetric] {
        var metrics: [HostMetric] = []
        for line in text.split(separator: "\n") {
            let fields = line.fields
            guard fields.count >= 14 else { throw HostParseError("/proc/diskstats: short line \"\(line)\"") }
            let device = String(fields[2])
            if exclude(device) { continue }
            let values = fields.dropFirst(3).map { Double($0) }
            guard values.allSatisfy({ $0 != nil }) else { throw HostParseError("/proc/diskstats: bad line \"\(line)\"") }
            let v = values.map { $0! }
            let labels = ["device": device]
            func add(_ name: String, _ value: Double) { metrics.append(HostMetric(name, labels, value)) }
            add("node_disk_reads_completed_total", v[0])
            add("node_disk_reads_merged_total", v[1])
            add("node_disk_read_bytes_total", v[2] * 512)
            add("node_disk_read_time_seconds_total", v[3] / 1000)
            add("node_disk_writes_completed_total", v[4])
            add("node_disk_writes_merged_total", v[5])
            add("node_disk_written_bytes_total", v[6] * 512)
            add("node_disk_write_time_seconds_total", v[7] / 1000)
            add("node_disk_io_now", v[8])
            add("node_disk_io_time_seconds_total", v[9] / 1000)
            add("node_disk_io_time_weighted_seconds_total", v[10] / 1000)
            if v.count >= 15 {
                add("node_disk_discards_completed_total", v[11])
                add("node_disk_discards_merged_total", v[12])
                add("node_disk_discarded_sectors_total", v[13])
                add("node_disk_discard_time_seconds_total", v[14] / 1000)
            }
            if v.count >= 17 {
                add("node_disk_flush_requests_total", v[15])
                add("node_disk_flush_requests_time_seconds_total", v[16] / 1000)
            }
        }
        return metrics
    }
}
