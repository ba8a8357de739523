/// The network context of a span's local or remote side.
public struct Endpoint: Hashable, Sendable {
    /// Lower-cased, as Zipkin does; `nil` when absent or empty.
    public var serviceName: String?
    public var ipv4: String?
    public var ipv6: String?
    public var port: Int32?

    public init(serviceName: String? = nil, ipv4: String? = nil, ipv6: String? = nil, port: Int32? = nil) {
        self.serviceName = serviceName.flatMap { $0.isEmpty ? nil : $0.lowercasedForZipkin }
        self.ipv4 = ipv4.flatMap { $0.isEmpty ? nil : $0 }
        self.ipv6 = ipv6.flatMap { $0.isEmpty ? nil : $0 }
        self.port = port.flatMap { $0 == 0 ? nil : $0 }
    }

    /// An endpoint without any field is treated as absent.
    public var isEmpty: Bool { serviceName == nil && ipv4 == nil && ipv6 == nil && port == nil }
}
