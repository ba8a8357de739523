import Dispatch
import Foundation
import Logging
import LookoutModel
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Which host collectors run and where they read. Paths can point at a host's trees from a container.
public struct HostCollectorOptions: Sendable {
    public var procPath = "/proc"
    public var disabled: Set<String> = []
    public var diskExclude = DiskStats.defaultExclude
    public var networkExclude = "^lo$"
    public var mountPointExclude = Mounts.defaultExcludedMountPoints
    /// A filesystem whose statfs takes longer is reported with an error and not asked again.
    public var mountTimeout: Duration = .seconds(5)

    public init() {}

    public static let all = ["cpu", "stat", "meminfo", "loadavg", "diskstats", "netdev", "filesystem", "pressure", "uname", "time"]
}

/// Reads node_exporter's core metrics from /proc and statfs. Each collector runs on its own:
/// one that fails (a missing file, no permission) is logged and counted, the others still report.
public final class HostCollector: Sendable {
    struct State {
        /// The kernel's iowait can go backwards; counters are kept monotonic as node_exporter does.
        var cpu: [Labels: Double] = [:]
        var stuckMounts = Set<String>()
        var failures: [String: Int] = [:]
    }

    public let options: HostCollectorOptions
    private let state = Mutex(State())
    private let logger: Logger
    // Label matchers: RE2 syntax like node_exporter's flags, anchored at both ends.
    private let diskExclude: LabelMatcher
    private let networkExclude: LabelMatcher
    private let mountPointExclude: LabelMatcher

    public init(options: HostCollectorOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
        diskExclude = try LabelMatcher("device", .regexMatch, options.diskExclude)
        networkExclude = try LabelMatcher("device", .regexMatch, options.networkExclude)
        // node_exporter's mountpoint pattern matches a prefix.
        mountPointExclude = try LabelMatcher("mountpoint", .regexMatch, "(?:" + options.mountPointExclude + ").*")
    }

    /// Failed collections per collector since start.
    public var failures: [String: Int] { state.withLock { $0.failures } }

    /// Everything the enabled collectors read now, plus `node_scrape_collector_success` per collector.
    public func collect(now: Date = Date()) -> [HostMetric] {
        var metrics: [HostMetric] = []
        for name in HostCollectorOptions.all where !options.disabled.contains(name) {
            do {
                metrics += try collect(name, now: now)
                metrics.append(HostMetric("node_scrape_collector_success", ["collector": name], 1))
            } catch {
                let count = state.withLock { state -> Int in
                    state.failures[name, default: 0] += 1
                    return state.failures[name]!
                }
                if count == 1 || count % 100 == 0 {
                    logger.warning("host collector failed", metadata: ["lookout.collector": "\(name)", "error": "\(error)",
                                                                       "lookout.failures": "\(count)"])
                }
                metrics.append(HostMetric("node_scrape_collector_success", ["collector": name], 0))
            }
        }
        return metrics
    }

    private func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: options.procPath + path) else {
            throw HostParseError("cannot read \(options.procPath + path)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private func collect(_ name: String, now: Date) throws -> [HostMetric] {
        switch name {
        case "cpu":
            let metrics = try ProcStat.parse(read("/stat")).filter { $0.name.hasPrefix("node_cpu_") }
            return state.withLock { state in
                metrics.map { metric in
                    var metric = metric
                    let previous = state.cpu[metric.labels] ?? 0
                    metric.value = max(previous, metric.value)
                    state.cpu[metric.labels] = metric.value
                    return metric
                }
            }
        case "stat": return try ProcStat.parse(read("/stat")).filter { !$0.name.hasPrefix("node_cpu_") }
        case "meminfo": return try Meminfo.parse(read("/meminfo"))
        case "loadavg": return try LoadAvg.parse(read("/loadavg"))
        case "diskstats": return try DiskStats.parse(read("/diskstats")) { self.matches(self.diskExclude, $0) }
        case "netdev": return try NetDev.parse(read("/net/dev")) { self.matches(self.networkExclude, $0) }
        case "pressure":
            var metrics: [HostMetric] = []
            for resource in ["cpu", "io", "memory", "irq"] {
                guard FileManager.default.fileExists(atPath: options.procPath + "/pressure/" + resource) else { continue }
                metrics += try Pressure.parse(read("/pressure/" + resource), resource: resource)
            }
            return metrics
        case "filesystem": return try filesystems()
        case "uname": return try uname()
        default: return [HostMetric("node_time_seconds", [:], now.timeIntervalSince1970)]
        }
    }

    private func matches(_ matcher: LabelMatcher, _ text: String) -> Bool {
        matcher.matches(text)
    }

    private func filesystems() throws -> [HostMetric] {
        let text = try (try? read("/1/mountinfo")) ?? read("/self/mountinfo")
        var metrics: [HostMetric] = []
        var seen = Set<String>()
        for mount in try Mounts.parse(text) {
            guard !Mounts.excludedTypes.contains(mount.fsType), !mountPointExclude.matches(mount.mountPoint),
                  seen.insert(mount.mountPoint).inserted else { continue }
            let labels = ["device": mount.device, "mountpoint": mount.mountPoint, "fstype": mount.fsType]
            metrics.append(HostMetric("node_filesystem_readonly", labels, mount.readOnly ? 1 : 0))
            guard let stats = statfs(mount.mountPoint) else {
                metrics.append(HostMetric("node_filesystem_device_error", labels, 1))
                continue
            }
            metrics.append(HostMetric("node_filesystem_device_error", labels, 0))
            let blockSize = Double(stats.f_bsize)
            metrics.append(HostMetric("node_filesystem_size_bytes", labels, Double(stats.f_blocks) * blockSize))
            metrics.append(HostMetric("node_filesystem_free_bytes", labels, Double(stats.f_bfree) * blockSize))
            metrics.append(HostMetric("node_filesystem_avail_bytes", labels, Double(stats.f_bavail) * blockSize))
            metrics.append(HostMetric("node_filesystem_files", labels, Double(stats.f_files)))
            metrics.append(HostMetric("node_filesystem_files_free", labels, Double(stats.f_ffree)))
        }
        return metrics
    }

    /// statfs on a worker thread: a hung network mount must not hang the agent.
    private func statfs(_ path: String) -> statvfs? {
        if state.withLock({ $0.stuckMounts.contains(path) }) { return nil }
        let result = Mutex<statvfs?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var stats = statvfs()
            if statvfs(path, &stats) == 0 { result.withLock { $0 = stats } }
            done.signal()
        }
        let (seconds, attoseconds) = options.mountTimeout.components
        let timeout = DispatchTime.now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
        if done.wait(timeout: timeout) == .timedOut {
            state.withLock { _ = $0.stuckMounts.insert(path) }
            logger.warning("filesystem does not answer statfs; skipping it from now on", metadata: ["lookout.mountpoint": "\(path)"])
            return nil
        }
        return result.withLock { $0 }
    }

    private func uname() throws -> [HostMetric] {
        var names = utsname()
        guard Glibc.uname(&names) == 0 else { throw HostParseError("uname failed") }
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return [HostMetric("node_uname_info", [
            "sysname": field(names.sysname), "release": field(names.release), "version": field(names.version),
            "machine": field(names.machine), "nodename": field(names.nodename), "domainname": field(names.__domainname),
        ], 1)]
    }
}
