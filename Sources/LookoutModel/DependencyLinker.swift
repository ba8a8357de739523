/// Turns traces into service-to-service call counts, as Zipkin's `DependencyLinker` does.
///
/// Each trace is built into a `SpanTree` and walked breadth-first. The server side of an RPC is
/// preferred (a CLIENT span with children is skipped: its server child links instead); a leaf
/// CLIENT span links to its remote service, which accounts for uninstrumented servers. A span with
/// no kind but both service names counts as a CLIENT. Messaging spans link to and from the broker
/// only. A call is an error when the span (or, for a server that opened its own span ID, the
/// client that called it) has an `error` tag; an annotation named "error" does not count.
public struct DependencyLinker: Sendable {
    private struct Pair: Hashable, Sendable {
        var parent: String
        var child: String
    }

    private struct Counts: Sendable {
        var calls: Int64 = 0
        var errors: Int64 = 0
    }

    private var counts: [Pair: Counts] = [:]

    public init() {}

    /// Adds the links of the traces in `spans`.
    ///
    /// Spans are grouped by the low 64 bits of their trace ID: a trace reported partly with a
    /// 128-bit and partly with a truncated 64-bit ID is one trace, not two (its call would
    /// otherwise be lost or counted twice). Pass every fragment of a trace in the same call.
    public mutating func putTrace(_ spans: [Span]) {
        guard let first = spans.first else { return }
        if spans.allSatisfy({ $0.traceID.low == first.traceID.low }) {
            add(SpanTree(spans))
            return
        }
        var groups: [UInt64: [Span]] = [:]
        for span in spans { groups[span.traceID.low, default: []].append(span) }
        for group in groups.values { add(SpanTree(group)) }
    }

    /// The links so far, sorted by parent then child.
    public var links: [DependencyLink] {
        DependencyLinker.sorted(counts)
    }

    /// Sums links with the same parent and child (e.g. from several days or stores), sorted by
    /// parent then child.
    public static func merge(_ links: some Sequence<DependencyLink>) -> [DependencyLink] {
        var counts: [Pair: Counts] = [:]
        for link in links {
            counts[Pair(parent: link.parent, child: link.child), default: Counts()].calls += link.callCount
            counts[Pair(parent: link.parent, child: link.child), default: Counts()].errors += link.errorCount
        }
        return sorted(counts)
    }

    private static func sorted(_ counts: [Pair: Counts]) -> [DependencyLink] {
        counts.map { DependencyLink(parent: $0.key.parent, child: $0.key.child, callCount: $0.value.calls, errorCount: $0.value.errors) }
            .sorted { $0.parent != $1.parent ? $0.parent < $1.parent : $0.child < $1.child }
    }

    private mutating func addLink(_ parent: String, _ child: String, isError: Bool) {
        counts[Pair(parent: parent, child: child), default: Counts()].calls += 1
        if isError { counts[Pair(parent: parent, child: child), default: Counts()].errors += 1 }
    }

    private mutating func add(_ tree: SpanTree) {
        let order = tree.breadthFirst()
        // Nearest ancestor whose span has a kind (local spans may sit between a span and the RPC
        // that caused it). Filled in breadth-first order, so a parent's entry is ready before its
        // children need it, and each lookup is O(1) however deep the trace.
        var remoteAncestor = [Int?](repeating: nil, count: tree.nodes.count)

        for index in order {
            let node = tree[index]
            if let parent = node.parent {
                remoteAncestor[index] = tree[parent].span?.kind != nil ? parent : remoteAncestor[parent]
            }
            guard let span = node.span else { continue }

            // The server's own view of the call is better; a client with children leaves it to them.
            if span.kind == .client && !node.children.isEmpty { continue }

            let localService = span.localServiceName
            let remoteService = span.remoteServiceName
            let kind: Span.Kind
            if let spanKind = span.kind {
                kind = spanKind
            } else if localService != nil && remoteService != nil {
                kind = .client
            } else {
                continue // a local span: not a call
            }

            var parent: String?
            let child: String?
            switch kind {
            case .server, .consumer:
                child = localService
                parent = remoteService
                // Nobody above the root can name its caller.
                if index == SpanTree.rootIndex && parent == nil { continue }
            case .client, .producer:
                parent = localService
                child = remoteService
            }

            var isError = span.tags["error"] != nil
            if kind == .producer || kind == .consumer {
                // Messaging links only to and from the broker; producer and consumer are not linked.
                if let parent, let child { addLink(parent, child, isError: isError) }
                continue
            }

            if let ancestorIndex = remoteAncestor[index], let ancestor = tree[ancestorIndex].span,
               let ancestorService = ancestor.localServiceName {
                // A client whose service differs from its caller's: some instrumentation puts the
                // remote name on the client side, so add the missing hop (error unknown).
                if kind == .client, let localService, localService != ancestorService {
                    addLink(ancestorService, localService, isError: false)
                }
                if kind == .server || parent == nil { parent = ancestorService }
                // A server with its own span ID under the calling client: the client saw the error.
                if !isError, ancestor.kind == .client, span.parentID == ancestor.id {
                    isError = ancestor.tags["error"] != nil
                }
            }

            guard let parent, let child else { continue }
            addLink(parent, child, isError: isError)
        }
    }
}
