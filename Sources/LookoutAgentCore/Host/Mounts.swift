/// `/proc/1/mountinfo` (or `/proc/self/mountinfo`): the mounts node_exporter's filesystem
/// collector reports, without pseudo filesystems and system mountpoints.
public struct Mount: Sendable, Equatable {
    public var device: String
    public var mountPoint: String
    public var fsType: String
    public var readOnly: Bool

    public init(device: String, mountPoint: String, fsType: String, readOnly: Bool) {
        self.device = device
        self.mountPoint = mountPoint
        self.fsType = fsType
        self.readOnly = readOnly
    }
}

public enum Mounts {
    /// node_exporter's default excluded filesystem types.
    public static let excludedTypes: Set<String> = [
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts", "devtmpfs", "fusectl",
        "hugetlbfs", "iso9660", "mqueue", "nsfs", "overlay", "proc", "procfs", "pstore", "rpc_pipefs", "securityfs",
        "selinuxfs", "squashfs", "erofs", "sysfs", "tracefs",
    ]
    /// node_exporter's default excluded mountpoints.
    public static let defaultExcludedMountPoints = #"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"#

    public static func parse(_ text: String) throws -> [Mount] {
        var mounts: [Mount] = []
        for line in text.split(separator: "\n") {
            let fields = line.fields
            guard let separator = fields.firstIndex(of: "-"), separator >= 6, fields.count >= separator + 3 else {
                throw HostParseError("mountinfo: bad line \"\(line)\"")
            }
            let options = fields[5].split(separator: ",")
            mounts.append(Mount(device: unescape(fields[separator + 2]), mountPoint: unescape(fields[4]),
                                fsType: String(fields[separator + 1]), readOnly: options.contains("ro")))
        }
        return mounts
    }

    /// mountinfo writes space, tab, newline and backslash as octal escapes (`\040`).
    static func unescape(_ text: Substring) -> String {
        guard text.contains("\\") else { return String(text) }
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count,
               let value = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
