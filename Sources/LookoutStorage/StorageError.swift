/// A storage failure. `message` is safe to show to a client; the underlying error is for logs.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case unavailable, overloaded, corrupt, tooLarge }
        private let base: Base
        public static let unavailable = Code(base: .unavailable)
        /// The store cannot keep up; the client should retry later.
        public static let overloaded = Code(base: .overloaded)
        public static let corrupt = Code(base: .corrupt)
        /// A read would hold more data than the caller allows.
        public static let tooLarge = Code(base: .tooLarge)
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "\(code): \(message)" }
}
