public import LookoutModel

/// Converts Zipkin v1 spans to v2 spans with the rules of Zipkin's `V1SpanConverter`.
///
/// A v1 span holds every host's view of one operation; v2 has one span per host. So:
/// - every annotation and binary annotation is filed under the span of the host (service name)
///   that logged it; the first host seen, or data without an endpoint, goes to the first span;
/// - core annotations (those with an endpoint) set the kind: `cs`/`cr` CLIENT, `sr`/`ss` SERVER,
///   `ms` PRODUCER, `mr` CONSUMER; begin/end pairs give timestamp and duration (the v1 span's own
///   timestamp and duration win for the side that reported them); `ws`/`wr` time messaging spans
///   and otherwise stay annotations; all other annotations stay annotations;
/// - when both `cs` and `sr` are present the server side becomes its own `shared` SERVER span (also
///   for loopback calls within one service); a server-only span without a timestamp is `shared`,
///   since v1 reporters omitted the timestamp on spans they did not start;
/// - `ca`, `sa` and `ma` set the remote endpoint of the server, client and messaging side; an
///   address that names the span's own service is ignored; `sa` alone makes a CLIENT span, `ca`
///   alone a SERVER span, and both without `cs`/`sr` a kind-less span from `ca` to `sa`;
/// - other binary annotations become tags; `lc` (local component) gives its endpoint as the local
///   endpoint and is a tag only when its value is not empty.
///
/// Every resulting span is built through `Span.init`, so v2 normalisation applies.
public enum V1SpanConverter {
    public static func convert(_ v1: V1Span) -> [Span] {
        var conversion = Conversion(v1)
        conversion.processAnnotations()
        conversion.processBinaryAnnotations()
        return conversion.spans()
    }

    public static func convert(_ v1Spans: [V1Span]) -> [Span] {
        var result: [Span] = []
        result.reserveCapacity(v1Spans.count)
        for v1 in v1Spans { result.append(contentsOf: convert(v1)) }
        return result
    }
}

/// One v1 span's conversion: the v2 spans so far, one per local service, and the core annotations.
private struct Conversion {
    /// A v2 span being assembled.
    struct Draft {
        var localEndpoint: Endpoint?
        var remoteEndpoint: Endpoint?
        var kind: Span.Kind?
        var timestamp: Int64?
        var duration: Int64?
        var annotations: [Annotation] = []
        var tags: [String: String] = [:]
        var shared = false
    }

    /// A core annotation: its time and the (non-empty) endpoint that logged it.
    struct Core {
        var timestamp: Int64
        var endpoint: Endpoint
    }

    let source: V1Span
    /// The v1 span's timestamp and duration, 0 when absent, as Zipkin's v1 model holds them.
    let sourceTimestamp: Int64
    let sourceDuration: Int64
    /// `drafts[0]` is the first span, which receives data that has no endpoint.
    var drafts = [Draft()]
    var cs: Core?, sr: Core?, ss: Core?, cr: Core?, ms: Core?, mr: Core?, ws: Core?, wr: Core?

    init(_ source: V1Span) {
        self.source = source
        self.sourceTimestamp = max(source.timestamp ?? 0, 0)
        self.sourceDuration = max(source.duration ?? 0, 0)
    }

    /// The draft for the host of `endpoint`: the first span if it has no endpoint yet or the
    /// endpoint is absent, else the span with the same service name, else a new span.
    mutating func draft(for endpoint: Endpoint?) -> Int {
        guard let endpoint = nonEmpty(endpoint) else { return 0 }
        for index in drafts.indices {
            guard let local = drafts[index].localEndpoint else {
                drafts[index].localEndpoint = endpoint
                return index
            }
            if local.serviceName == endpoint.serviceName { return index }
        }
        return newDraft(for: endpoint)
    }

    mutating func newDraft(for endpoint: Endpoint) -> Int {
        drafts.append(Draft(localEndpoint: endpoint))
        return drafts.count - 1
    }

    // MARK: Annotations

    mutating func processAnnotations() {
        for annotation in source.annotations {
            let index = draft(for: annotation.endpoint)
            // Core annotations need an endpoint; without one they are ordinary annotations.
            if annotation.value.utf8.count == 2, let endpoint = nonEmpty(annotation.endpoint) {
                let core = Core(timestamp: annotation.timestamp, endpoint: endpoint)
                switch annotation.value {
                case "cs": drafts[index].kind = .client; cs = core; continue
                case "sr": drafts[index].kind = .server; sr = core; continue
                case "ss": drafts[index].kind = .server; ss = core; continue
                case "cr": drafts[index].kind = .client; cr = core; continue
                case "ms": drafts[index].kind = .producer; ms = core; continue
                case "mr": drafts[index].kind = .consumer; mr = core; continue
                case "ws": ws = core; continue
                case "wr": wr = core; continue
                default: break
                }
            }
            drafts[index].annotations.append(Annotation(timestamp: annotation.timestamp, value: annotation.value))
        }

        // Bridged from an event model, a span can lack its start annotation although its
        // timestamp and duration show exactly where it was.
        if cs == nil, let cr, endReflectsSourceDuration(cr) {
            cs = Core(timestamp: sourceTimestamp, endpoint: cr.endpoint)
        }
        if sr == nil, let ss, endReflectsSourceDuration(ss) {
            sr = Core(timestamp: sourceTimestamp, endpoint: ss.endpoint)
        }

        processRPC()
        processMessaging()
    }

    mutating func processRPC() {
        if let cs, let sr {
            // The client owns the shared span's timestamp and duration.
            setTimestampAndDuration(begin: cs, end: cr)
            let client = draft(for: cs.endpoint)
            let server: Int
            if cs.endpoint.serviceName == sr.endpoint.serviceName {
                // Loopback: both sides are one service, yet they are still two v2 spans.
                drafts[client].kind = .client
                server = newDraft(for: sr.endpoint)
                drafts[server].kind = .server
            } else {
                server = draft(for: sr.endpoint)
            }
            drafts[server].shared = true
            drafts[server].timestamp = sr.timestamp
            if let ss { drafts[server].duration = ss.timestamp - sr.timestamp }
        } else if let cs, let cr {
            setTimestampAndDuration(begin: cs, end: cr)
        } else if let sr, let ss {
            setTimestampAndDuration(begin: sr, end: ss)
        } else {
            // An incomplete RPC: keep the start as the timestamp and the end as an annotation.
            for index in drafts.indices {
                switch drafts[index].kind {
                case .client:
                    if let cs { drafts[index].timestamp = cs.timestamp }
                    if let cr { drafts[index].annotations.append(Annotation(timestamp: cr.timestamp, value: "cr")) }
                case .server:
                    if let sr { drafts[index].timestamp = sr.timestamp }
                    if let ss { drafts[index].annotations.append(Annotation(timestamp: ss.timestamp, value: "ss")) }
                default:
                    break
                }
            }
            if sourceTimestamp != 0 {
                drafts[0].timestamp = sourceTimestamp
                drafts[0].duration = sourceDuration
            }
        }

        // v1 had no shared flag: a reporter that did not start the span left out its timestamp
        // (or, having logged `ss`, its duration). Carry that over when only the server side is here.
        if cs == nil, let sr, sourceTimestamp == 0 || (ss != nil && sourceDuration == 0) {
            drafts[draft(for: sr.endpoint)].shared = true
        }
    }

    mutating func processMessaging() {
        if let ms, let mr {
            // Both sides in one v1 span (not expected, but seen): a producer and a consumer span.
            let producer = draft(for: ms.endpoint)
            let consumer: Int
            if ms.endpoint.serviceName == mr.endpoint.serviceName {
                drafts[producer].kind = .producer
                consumer = newDraft(for: mr.endpoint)
                drafts[consumer].kind = .consumer
            } else {
                consumer = draft(for: mr.endpoint)
            }
            drafts[consumer].shared = true
            if let wr {
                drafts[consumer].timestamp = wr.timestamp
                drafts[consumer].duration = mr.timestamp - wr.timestamp
            } else {
                drafts[consumer].timestamp = mr.timestamp
            }
            drafts[producer].timestamp = ms.timestamp
            if let ws { drafts[producer].duration = ws.timestamp - ms.timestamp }
        } else if let ms {
            setTimestampAndDuration(begin: ms, end: ws)
        } else if let mr {
            // A consumer's `wr` (wire receive) precedes its `mr`.
            if let wr {
                setTimestampAndDuration(begin: wr, end: mr)
            } else {
                setTimestampAndDuration(begin: mr, end: nil)
            }
        } else {
            if let ws { drafts[draft(for: ws.endpoint)].annotations.append(Annotation(timestamp: ws.timestamp, value: "ws")) }
            if let wr { drafts[draft(for: wr.endpoint)].annotations.append(Annotation(timestamp: wr.timestamp, value: "wr")) }
        }
    }

    /// The v1 span's own timestamp and duration when it has both, else those of the annotations.
    mutating func setTimestampAndDuration(begin: Core, end: Core?) {
        let index = draft(for: begin.endpoint)
        if sourceTimestamp != 0 && sourceDuration != 0 {
            drafts[index].timestamp = sourceTimestamp
            drafts[index].duration = sourceDuration
        } else {
            drafts[index].timestamp = begin.timestamp
            if let end { drafts[index].duration = end.timestamp - begin.timestamp }
        }
    }

    func endReflectsSourceDuration(_ end: Core) -> Bool {
        sourceTimestamp != 0 && sourceDuration != 0 && sourceTimestamp + sourceDuration == end.timestamp
    }

    // MARK: Binary annotations

    mutating func processBinaryAnnotations() {
        var ca: Endpoint?, sa: Endpoint?, ma: Endpoint?
        for binary in source.binaryAnnotations {
            // Address annotations are known by key: some tracers sent "1" or "true" instead of true.
            switch binary.key {
            case "ca": ca = nonEmpty(binary.endpoint); continue
            case "sa": sa = nonEmpty(binary.endpoint); continue
            case "ma": ma = nonEmpty(binary.endpoint); continue
            default: break
            }
            let index = draft(for: binary.endpoint)
            // An empty "lc" only marks a local span; its endpoint is what matters.
            if binary.key == "lc" && binary.value.isEmpty { continue }
            drafts[index].tags[binary.key] = binary.value
        }

        // No start annotation on either side, but both addresses: a span from ca to sa.
        if cs == nil && sr == nil, let ca, let sa {
            drafts[draft(for: ca)].remoteEndpoint = sa
            return
        }
        if let sa {
            if let client = cs ?? cr {
                if !sameService(sa, client.endpoint) { drafts[draft(for: client.endpoint)].remoteEndpoint = sa }
            } else if sr == nil && ss == nil {
                // Only the server's address: the client side, without its annotations.
                drafts[0].kind = .client
                drafts[0].remoteEndpoint = sa
            }
        }
        if let ca {
            if let server = sr ?? ss {
                if !sameService(ca, server.endpoint) { drafts[draft(for: server.endpoint)].remoteEndpoint = ca }
            } else if cs == nil && cr == nil {
                drafts[0].kind = .server
                drafts[0].remoteEndpoint = ca
            }
        }
        if let ma {
            if let ms, !sameService(ma, ms.endpoint) { drafts[draft(for: ms.endpoint)].remoteEndpoint = ma }
            if let mr, !sameService(ma, mr.endpoint) { drafts[draft(for: mr.endpoint)].remoteEndpoint = ma }
        }
    }

    // MARK: Result

    func spans() -> [Span] {
        drafts.map { draft in
            Span(
                traceID: source.traceID, parentID: source.parentID, id: source.id, kind: draft.kind,
                name: source.name, timestamp: draft.timestamp, duration: draft.duration,
                localEndpoint: draft.localEndpoint, remoteEndpoint: draft.remoteEndpoint,
                annotations: draft.annotations, tags: draft.tags, debug: source.debug, shared: draft.shared
            )
        }
    }

    /// Zipkin matches hosts by service name only (two endpoints without one match).
    func sameService(_ a: Endpoint, _ b: Endpoint) -> Bool {
        a.serviceName == b.serviceName
    }

    func nonEmpty(_ endpoint: Endpoint?) -> Endpoint? {
        guard let endpoint, !endpoint.isEmpty else { return nil }
        return endpoint
    }
}
