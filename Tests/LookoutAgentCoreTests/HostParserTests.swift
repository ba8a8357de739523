import Foundation
import Logging
import LookoutAgentCore
import LookoutModel
import Testing

/// The host parsers over recorded /proc files of several kernels, and the collector over this
/// machine's live /proc, cross-checked against what the kernel reports at the same moment.
@Suite(.timeLimit(.minutes(1)))
struct HostParserTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    static func fixture(_ name: String) throws -> String {
        try String(contentsOfFile: fixtures + "/" + name, encoding: .utf8)
    }

    static func value(_ metrics: [HostMetric], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        var all = labels
        all[Labels.metricName] = name
        let wanted = Labels(all)
        return metrics.first { $0.labels == wanted }?.value
    }

    @Test func cpuTimesAreJiffiesOverUserHZ() throws {
        let old = try ProcStat.parse(Self.fixture("stat-3.10.txt"))
        #expect(Self.value(old, "node_cpu_seconds_total", ["cpu": "0", "mode": "user"]) == 13932.80)
        #expect(Self.value(old, "node_cpu_seconds_total", ["cpu": "1", "mode": "idle"]) == 134734.76)
        #expect(Self.value(old, "node_cpu_guest_seconds_total", ["cpu": "0", "mode": "user"]) == 239.33)
        #expect(Self.value(old, "node_context_switches_total") == 1990473)
        #expect(Self.value(old, "node_boot_time_seconds") == 1062191376)
        #expect(Self.value(old, "node_intr_total") == 1462898)
        #expect(Self.value(old, "node_procs_running") == 1)
        // No aggregate `cpu` series, as node_exporter.
        #expect(!old.contains { $0.labels["cpu"] == nil && $0.name == "node_cpu_seconds_total" })
        let new = try ProcStat.parse(Self.fixture("stat-6.txt"))
        #expect(new.filter { $0.name == "node_cpu_seconds_total" }.count % 8 == 0)
    }

    @Test func memoryIsKilobytesTimes1024() throws {
        let metrics = try Meminfo.parse("MemTotal:       24684084 kB\nActive(anon):     123 kB\nHugePages_Total:       0\n")
        #expect(Self.value(metrics, "node_memory_MemTotal_bytes") == 25_276_502_016)
        #expect(Self.value(metrics, "node_memory_Active_anon_bytes") == 125_952)
        #expect(Self.value(metrics, "node_memory_HugePages_Total") == 0)
        #expect(try Meminfo.parse(Self.fixture("meminfo-6.txt")).count > 30)
        #expect(throws: HostParseError.self) { try Meminfo.parse("MemTotal: lots kB\n") }
    }

    @Test func disksOfOldAndNewKernels() throws {
        let exclude = try Regex(DiskStats.defaultExclude)
        let old = try DiskStats.parse(Self.fixture("diskstats-4.14.txt")) { (try? exclude.wholeMatch(in: $0)) != nil }
        #expect(Set(old.compactMap { $0.labels["device"] }) == ["sda", "dm-0"], "partitions and loop devices are skipped")
        #expect(Self.value(old, "node_disk_read_bytes_total", ["device": "sda"]) == Double(3_419_950 * 512))
        #expect(Self.value(old, "node_disk_io_time_seconds_total", ["device": "sda"]) == 43.036)
        #expect(Self.value(old, "node_disk_discards_completed_total", ["device": "sda"]) == nil, "no discard fields before 4.18")
        let new = try DiskStats.parse(Self.fixture("diskstats-6.txt")) { (try? exclude.wholeMatch(in: $0)) != nil }
        #expect(Self.value(new, "node_disk_written_bytes_total", ["device": "vda"]) == Double(563_386_880 * 512))
        #expect(Self.value(new, "node_disk_flush_requests_total", ["device": "vda"]) == 947_284)
        #expect(Self.value(new, "node_disk_flush_requests_time_seconds_total", ["device": "vda"]) == 54.214)
        #expect(throws: HostParseError.self) { try DiskStats.parse("8 0 sda 1 2 3\n") { _ in false } }
    }

    @Test func networkCountersByDevice() throws {
        let metrics = try NetDev.parse(Self.fixture("netdev-3.10.txt")) { $0 == "lo" }
        #expect(Self.value(metrics, "node_network_receive_bytes_total", ["device": "eth0"]) == 2_238_467_862)
        #expect(Self.value(metrics, "node_network_receive_multicast_total", ["device": "eth0"]) == 1542)
        #expect(Self.value(metrics, "node_network_transmit_packets_total", ["device": "eth0"]) == 2_773_011)
        #expect(Self.value(metrics, "node_network_receive_drop_total", ["device": "eth0"]) == 16)
        #expect(Self.value(metrics, "node_network_receive_bytes_total", ["device": "docker0"]) == 0)
        #expect(!metrics.contains { $0.labels["device"] == "lo" })
        #expect(try NetDev.parse(Self.fixture("netdev-6.txt")) { _ in false }.contains { $0.labels["device"] == "lo" })
    }

    @Test func mountsAndPressure() throws {
        let mounts = try Mounts.parse(Self.fixture("mountinfo-6.txt"))
        #expect(mounts.contains { $0.mountPoint == "/proc" && $0.fsType == "proc" })
        let escaped = try Mounts.parse("36 35 98:0 /mnt1 /mnt/my\\040disk rw,noatime master:1 - ext3 /dev/root ro,errors=continue\n")
        #expect(escaped == [Mount(device: "/dev/root", mountPoint: "/mnt/my disk", fsType: "ext3", readOnly: false)])
        let pressure = try Pressure.parse("some avg10=5.22 avg60=2.21 avg300=0.75 total=434526026\nfull avg10=4.88 avg60=2.12 avg300=0.70 total=344594756\n",
                                          resource: "io")
        #expect(Self.value(pressure, "node_pressure_io_waiting_seconds_total") == 434.526026)
        #expect(Self.value(pressure, "node_pressure_io_stalled_seconds_total") == 344.594756)
        #expect(try LoadAvg.parse("0.25 0.30 0.54 4/119 12087\n").map(\.value) == [0.25, 0.30, 0.54])
    }

    @Test func liveProcAgreesWithTheKernel() throws {
        let collector = try HostCollector(options: HostCollectorOptions(), logger: Logger(label: "test"))
        let metrics = collector.collect()
        let cpus = Set(metrics.filter { $0.name == "node_cpu_seconds_total" }.compactMap { $0.labels["cpu"] })
        #expect(cpus.count == ProcessInfo.processInfo.activeProcessorCount)
        // MemTotal is fixed: the collector and a direct read now must agree exactly.
        let direct = try Meminfo.parse(String(contentsOfFile: "/proc/meminfo", encoding: .utf8))
        #expect(Self.value(metrics, "node_memory_MemTotal_bytes") == Self.value(direct, "node_memory_MemTotal_bytes"))
        #expect(Self.value(metrics, "node_memory_MemTotal_bytes") == Double(ProcessInfo.processInfo.physicalMemory))
        let boot = try #require(Self.value(metrics, "node_boot_time_seconds"))
        #expect(abs(Date().timeIntervalSince1970 - ProcessInfo.processInfo.systemUptime - boot) < 5)
        #expect(metrics.contains { $0.name == "node_filesystem_size_bytes" && $0.labels["mountpoint"] == "/" })
        #expect(metrics.contains { $0.name == "node_uname_info" && $0.labels["nodename"] == ProcessInfo.processInfo.hostName })
        #expect(metrics.filter { $0.name == "node_scrape_collector_success" }.allSatisfy { $0.value == 1 })
    }

    @Test func aMissingFileFailsOnlyItsCollector() throws {
        var options = HostCollectorOptions()
        options.procPath = Self.fixtures + "/no-such-proc"
        options.disabled = ["filesystem", "uname"]
        let collector = try HostCollector(options: options, logger: Logger(label: "test"))
        let metrics = collector.collect()
        #expect(Self.value(metrics, "node_scrape_collector_success", ["collector": "meminfo"]) == 0)
        #expect(Self.value(metrics, "node_scrape_collector_success", ["collector": "time"]) == 1)
        #expect(metrics.contains { $0.name == "node_time_seconds" })
        #expect(collector.failures["cpu"] == 1)
    }
}
