import LookoutModel

/// What `/api/v2/traces` can filter on, reduced to 64-bit keys in the `trace_terms` index.
/// Each key is scoped to a local service, or to any service (`scope == nil`), because Zipkin
/// requires every filter to be met by spans of `serviceName` when one is given.
enum SearchTerm {
    case service(String)
    case remoteService(scope: String?, String)
    case spanName(scope: String?, String)
    /// A tag key or an annotation value: what a bare `annotationQuery` term matches.
    case key(scope: String?, String)
    case tag(scope: String?, key: String, value: String)

    var key: Int64 {
        var f = Fingerprint()
        func scope(_ s: String?) {
            if let s { f.combine(1); f.combine(s) } else { f.combine(0) }
        }
        switch self {
        case .service(let service):
            f.combine(10); f.combine(service)
        case .remoteService(let s, let remote):
            f.combine(11); scope(s); f.combine(remote)
        case .spanName(let s, let name):
            f.combine(12); scope(s); f.combine(name)
        case .key(let s, let key):
            f.combine(13); scope(s); f.combine(key)
        case .tag(let s, let key, let value):
            f.combine(14); scope(s); f.combine(key); f.combine(value)
        }
        return f.value
    }

    /// The keys a stored span is findable by.
    static func keys(of span: Span, into keys: inout [Int64]) {
        let service = span.localServiceName
        var scopes: [String?] = [nil]
        if let service {
            scopes.append(service)
            keys.append(SearchTerm.service(service).key)
        }
        for scope in scopes {
            if let remote = span.remoteServiceName { keys.append(SearchTerm.remoteService(scope: scope, remote).key) }
            if let name = span.name { keys.append(SearchTerm.spanName(scope: scope, name).key) }
            for (key, value) in span.tags {
                keys.append(SearchTerm.key(scope: scope, key).key)
                keys.append(SearchTerm.tag(scope: scope, key: key, value: value).key)
            }
            for annotation in span.annotations {
                keys.append(SearchTerm.key(scope: scope, annotation.value).key)
            }
        }
    }

    /// The keys a trace must have to match `query` (durations are checked separately).
    static func keys(for query: TraceQuery) -> [Int64] {
        let scope = query.serviceName
        var keys: [Int64] = []
        if let service = scope { keys.append(SearchTerm.service(service).key) }
        if let remote = query.remoteServiceName { keys.append(SearchTerm.remoteService(scope: scope, remote).key) }
        if let name = query.spanName { keys.append(SearchTerm.spanName(scope: scope, name).key) }
        for term in query.annotationQuery.terms {
            if term.value.isEmpty {
                keys.append(SearchTerm.key(scope: scope, term.key).key)
            } else {
                keys.append(SearchTerm.tag(scope: scope, key: term.key, value: term.value).key)
            }
        }
        return keys
    }
}
