import LookoutModel
import LookoutStorage

/// Makes a fresh, empty store with the given options (a new temp-file database, a new schema…).
public typealias TraceStoreFactory = @Sendable (TraceStoreOptions) async throws -> any TraceStore

/// One storage-agnostic case, named after the Zipkin storage test it ports. Backends run every
/// case with `@Test(arguments: TraceStoreConformance.allCases)`.
public struct TraceStoreConformanceCase: Sendable, CustomStringConvertible {
    public let name: String
    public let run: @Sendable (TraceStoreFactory) async throws -> Void

    public init(_ name: String, _ run: @escaping @Sendable (TraceStoreFactory) async throws -> Void) {
        self.name = name
        self.run = run
    }

    public var description: String { name }
}

public enum TraceStoreConformance {
    /// Every case: span store queries, ID lookups, names, autocomplete, strict/non-strict IDs
    /// and dependency links.
    public static var allCases: [TraceStoreConformanceCase] {
        spanStoreCases + dependencyCases
    }
}
