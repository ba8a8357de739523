/// A payload that cannot be decoded; `message` names what is wrong and is safe to show a client.
public struct CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
