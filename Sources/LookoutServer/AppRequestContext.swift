import Hummingbird

/// Per-request state.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Span payloads are bounded by the configured limit in the ingest controller instead.
    public var maxUploadSize: Int { 256 << 20 }
}
