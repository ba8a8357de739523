/// One node of a `SpanTree`. Nodes refer to each other by index into `SpanTree.nodes`.
public struct SpanNode: Hashable, Sendable {
    /// `nil` only for a synthetic root.
    public let span: Span?
    /// `nil` for the root, and for a span that could not be placed (see `SpanTree`).
    public fileprivate(set) var parent: Int?
    /// Ordered by span timestamp, absent timestamps first; ties keep span order.
    public fileprivate(set) var children: [Int] = []

    init(span: Span?) {
        self.span = span
    }
}

/// The tree of one trace, built the way Zipkin's `SpanNode.Builder` builds it.
///
/// Fragments are merged first (`Trace.merge`). A shared (server) span is the child of the client
/// span with the same ID; a span whose parent is a shared span on its own host hangs off that
/// server half rather than the client. The first span without a parent is the root, else an empty
/// synthetic root is made; spans whose parent is missing ("headless") hang off the root.
///
/// Nodes live in one array and point at each other by index, so the tree is a `Sendable` value and
/// building, walking and freeing a 10,000-span trace needs no recursion.
public struct SpanTree: Sendable {
    /// `nodes[0]` is the root. A span is left unattached (never visited by `breadthFirst()`) only
    /// when its key was claimed by another span, e.g. two unmergeable spans with the same ID.
    public private(set) var nodes: [SpanNode]

    public static let rootIndex = 0

    public var root: SpanNode { nodes[SpanTree.rootIndex] }

    public subscript(index: Int) -> SpanNode { nodes[index] }

    /// How a span is addressed while building. Shared spans also carry their local endpoint, since
    /// several servers may (wrongly) answer one client span ID.
    private enum Key: Hashable {
        case id(UInt64)
        case shared(UInt64, Endpoint?)
    }

    public init(_ spans: [Span]) {
        let merged = Trace.merge(spans)

        // Child key -> parent key, in span order (which later orders siblings with equal timestamps).
        var edges: [(child: Key, parent: Key?)] = []
        var edgeIndex: [Key: Int] = [:]
        var removed = Set<Int>()
        func put(_ child: Key, _ parent: Key?) {
            if let index = edgeIndex[child] {
                edges[index].parent = parent
            } else {
                edgeIndex[child] = edges.count
                edges.append((child, parent))
            }
        }

        for span in merged {
            if span.shared {
                put(.shared(span.id, span.localEndpoint), .id(span.id))
            } else {
                put(.id(span.id), span.parentID.map(Key.id))
            }
        }

        // Second pass, now every key is known: prefer a shared parent on the same host, and pick
        // the root. `spanFor` maps keys to positions in `merged`.
        var spanFor: [Key: Int] = [:]
        var rootSpan: Int?
        for (position, span) in merged.enumerated() {
            let key: Key = span.shared ? .shared(span.id, span.localEndpoint) : .id(span.id)
            let bareKey: Key = span.shared ? .shared(span.id, nil) : .id(span.id)
            var hasParent = span.shared
            if !span.shared, let parentID = span.parentID {
                hasParent = true
                let sharedParent = Key.shared(parentID, span.localEndpoint)
                if edgeIndex[sharedParent] != nil { put(bareKey, sharedParent) }
            }
            if !hasParent && rootSpan == nil {
                rootSpan = position
                if let index = edgeIndex.removeValue(forKey: bareKey) { removed.insert(index) }
            } else {
                // A shared span is reachable both ways, in case children lack endpoint details.
                spanFor[key] = position
                spanFor[bareKey] = position
            }
        }

        // Node 0 is the root; the other spans follow in merged order.
        func node(_ position: Int) -> Int {
            guard let rootSpan else { return position + 1 }
            return position == rootSpan ? 0 : (position < rootSpan ? position + 1 : position)
        }
        var nodes = [SpanNode](repeating: SpanNode(span: nil), count: merged.count + (rootSpan == nil ? 1 : 0))
        for (position, span) in merged.enumerated() {
            nodes[node(position)] = SpanNode(span: span)
        }

        for (index, edge) in edges.enumerated() where !removed.contains(index) {
            guard let childPosition = spanFor[edge.child] else { continue }
            let child = node(childPosition)
            // One parent per node, so no cycle is reachable from the root and walks terminate.
            if nodes[child].parent != nil { continue }
            var parent = edge.parent.flatMap { spanFor[$0] }.map(node) ?? SpanTree.rootIndex
            if parent == child { parent = SpanTree.rootIndex }
            nodes[parent].children.append(child)
            nodes[child].parent = parent
        }

        for index in nodes.indices where nodes[index].children.count > 1 {
            let children = nodes[index].children
            nodes[index].children = children.enumerated().sorted { lhs, rhs in
                let left = nodes[lhs.element].span?.timestamp ?? 0
                let right = nodes[rhs.element].span?.timestamp ?? 0
                return left != right ? left < right : lhs.offset < rhs.offset
            }.map(\.element)
        }
        self.nodes = nodes
    }

    /// Node indices breadth-first from the root. A synthetic root is not listed (its children
    /// are), so every index refers to a real span.
    public func breadthFirst() -> [Int] {
        var order: [Int] = []
        order.reserveCapacity(nodes.count)
        if root.span == nil {
            order.append(contentsOf: root.children)
        } else {
            order.append(SpanTree.rootIndex)
        }
        // `order` doubles as the queue.
        var head = 0
        while head < order.count {
            order.append(contentsOf: nodes[order[head]].children)
            head += 1
        }
        return order
    }
}
