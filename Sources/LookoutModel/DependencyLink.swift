/// An aggregate of calls from one service to another, as Zipkin's dependency linker produces.
public struct DependencyLink: Hashable, Sendable {
    public var parent: String
    public var child: String
    public var callCount: Int64
    public var errorCount: Int64

    public init(parent: String, child: String, callCount: Int64, errorCount: Int64 = 0) {
        self.parent = parent
        self.child = child
        self.callCount = callCount
        self.errorCount = errorCount
    }
}
