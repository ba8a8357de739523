import LookoutModel

/// What `/api/v2/traces` can filter on, reduced to 64-bit keys in the `trace_terms` index.
/// Each key is scoped to the span's local service (or to "no service"), because Zipkin requires
/// every filter to be met by spans of `serviceName` when one is given. A query without a service
/// looks each term up under every known service instead, which keeps the index half the size.
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
        let scope = span.localServiceName
        if let scope { keys.append(SearchTerm.service(scope).key) }
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

    /// For each condition of `query` (durations are checked separately), the keys of which a
    /// matching trace has at least one. Without `serviceName`, `scopes` lists every known service
    /// plus `nil` (spans without a service).
    static func conditions(for query: TraceQuery, scopes: [String?]) -> [[Int64]] {
        let scopes: [String?] = query.serviceName.map { [$0] } ?? scopes
        var conditions: [[Int64]] = []
        if let service = query.serviceName { conditions.append([SearchTerm.service(service).key]) }
        if let remote = query.remoteServiceName {
            conditions.append(scopes.map { SearchTerm.remoteService(scope: $0, remote).key })
        }
        if let name = query.spanName {
            conditions.append(scopes.map { SearchTerm.spanName(scope: $0, name).key })
        }
        for term in query.annotationQuery.terms {
            if term.value.isEmpty {
                conditions.append(scopes.map { SearchTerm.key(scope: $0, term.key).key })
            } else {
                conditions.append(scopes.map { SearchTerm.tag(scope: $0, key: term.key, value: term.value).key })
            }
        }
        return conditions
    }
}
