/// An event on a span's timeline: epoch microseconds and a value.
public struct Annotation: Hashable, Comparable, Sendable {
    public var timestamp: Int64
    public var value: String

    public init(timestamp: Int64, value: String) {
        self.timestamp = timestamp
        self.value = value
    }

    public static func < (lhs: Annotation, rhs: Annotation) -> Bool {
        lhs.timestamp != rhs.timestamp ? lhs.timestamp < rhs.timestamp : lhs.value < rhs.value
    }
}
