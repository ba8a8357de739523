/// `stripPort` and `stripDomain`, on Go's net.SplitHostPort / JoinHostPort / ParseIP rules.
enum HostPort {
    static func stripPort(_ hostPort: String) -> String {
        splitHostPort(hostPort)?.host ?? hostPort
    }

    /// Drops the domain of a host name, keeping any port; IP addresses stay as they are.
    static func stripDomain(_ hostPort: String) -> String {
        let split = splitHostPort(hostPort)
        let host = split?.host ?? hostPort
        if isIP(host) { return hostPort }
        let short = String(host.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        guard let port = split?.port, !port.isEmpty else { return short }
        return short.contains(":") ? "[\(short)]:\(port)" : "\(short):\(port)"
    }

    /// Go's net.SplitHostPort; nil where Go returns an error.
    static func splitHostPort(_ s: String) -> (host: String, port: String)? {
        let b = Array(s.utf8)
        guard let i = b.lastIndex(of: UInt8(ascii: ":")) else { return nil }
        var host: ArraySlice<UInt8>
        var (j, k) = (0, 0)
        if b.first == UInt8(ascii: "[") {
            guard let end = b.firstIndex(of: UInt8(ascii: "]")), end + 1 == i else { return nil }
            host = b[1..<end]
            (j, k) = (1, end + 1)
        } else {
            host = b[..<i]
            if host.contains(UInt8(ascii: ":")) { return nil }
        }
        if b[j...].contains(UInt8(ascii: "[")) || b[k...].contains(UInt8(ascii: "]")) { return nil }
        return (String(decoding: host, as: UTF8.self), String(decoding: b[(i + 1)...], as: UTF8.self))
    }

    /// Go's net.ParseIP succeeds: dotted IPv4 (no leading zeros) or IPv6 (with ::, maybe a trailing IPv4).
    static func isIP(_ s: String) -> Bool {
        isIPv4(Substring(s)) || isIPv6(s)
    }

    private static func isIPv4(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCII) && p.allSatisfy(\.isNumber)
                && (p.count == 1 || p.first != "0") && (Int(p) ?? 256) <= 255
        }
    }

    private static func isIPv6(_ s: String) -> Bool {
        guard s.contains(":") else { return false }
        var text = Substring(s)
        var groups = 0
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard isIPv4(text[text.index(after: lastColon)...]) else { return false }
            groups += 2
            text = text[...lastColon]
            if !text.hasSuffix("::") { text = text.dropLast() }
        }
        let halves = split(text, on: "::")
        guard halves.count <= 2 else { return false }
        for half in halves where !half.isEmpty {
            for group in half.split(separator: ":", omittingEmptySubsequences: false) {
                guard !group.isEmpty, group.count <= 4, group.allSatisfy(\.isHexDigit) else { return false }
                groups += 1
            }
        }
        return halves.count == 2 ? groups < 8 : groups == 8
    }

    private static func split(_ s: Substring, on separator: String) -> [Substring] {
        var parts: [Substring] = []
        var rest = s
        while let range = rest.firstRange(of: separator) {
            parts.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        parts.append(rest)
        return parts
    }
}
