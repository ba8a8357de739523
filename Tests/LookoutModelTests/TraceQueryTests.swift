import LookoutModel
import Testing

struct AnnotationQueryTests {
    func terms(_ text: String) throws -> [String] {
        try AnnotationQuery(parsing: text).terms.map { "\($0.key)=\($0.value)" }
    }

    @Test func parsesTermsAsZipkinDoes() throws {
        #expect(try terms("http.method=GET and error") == ["http.method=GET", "error="])
        #expect(try terms("a=123 and a") == ["a=123"])
        #expect(try terms("a and a=123 and a=456") == ["a=456"])
        #expect(try terms("L O L and http.path = /a") == ["L O L=", "http.path=/a"])
        #expect(try terms("http.method=") == ["http.method="])
        #expect(try AnnotationQuery(parsing: "http.method=GET and error").description == "http.method=GET and error")
    }

    @Test func boundsTheNumberOfTerms() {
        let text = (0...AnnotationQuery.maxTerms).map { "k\($0)" }.joined(separator: " and ")
        #expect(throws: QueryError("annotationQuery has more than 100 terms")) { try AnnotationQuery(parsing: text) }
    }
}

struct TraceQueryTests {
    @Test func validatesWithZipkinMessages() {
        #expect(throws: QueryError("endTs <= 0")) { try TraceQuery(endTs: 0) }
        #expect(throws: QueryError("lookback <= 0")) { try TraceQuery(endTs: 1, lookback: 0) }
        #expect(throws: QueryError("limit <= 0")) { try TraceQuery(endTs: 1, limit: 0) }
        #expect(throws: QueryError("minDuration <= 0")) { try TraceQuery(minDuration: 0, endTs: 1) }
        #expect(throws: QueryError("maxDuration is only valid with minDuration")) { try TraceQuery(maxDuration: 5, endTs: 1) }
        #expect(throws: QueryError("maxDuration < minDuration")) { try TraceQuery(minDuration: 5, maxDuration: 4, endTs: 1) }
    }

    @Test func normalisesNames() throws {
        let query = try TraceQuery(serviceName: "FrontEnd", remoteServiceName: "", spanName: "all", endTs: 1)
        #expect(query.serviceName == "frontend")
        #expect(query.remoteServiceName == nil)
        #expect(query.spanName == nil)
    }

    @Test func referenceTimestampIsTheRootsElseTheEarliest() {
        let id = TraceID(low: 1)
        #expect(TraceQuery.referenceTimestamp(of: [Span(traceID: id, parentID: 1, id: 2, timestamp: 5),
                                                   Span(traceID: id, id: 1, timestamp: 9)]) == 9)
        #expect(TraceQuery.referenceTimestamp(of: [Span(traceID: id, parentID: 1, id: 2, timestamp: 5),
                                                   Span(traceID: id, parentID: 1, id: 3, timestamp: 3)]) == 3)
        #expect(TraceQuery.referenceTimestamp(of: [Span(traceID: id, id: 1)]) == nil)
    }

    @Test func serviceNameScopesOtherFilters() throws {
        let id = TraceID(low: 1)
        let trace = [
            Span(traceID: id, id: 1, timestamp: 1_000_000, localEndpoint: Endpoint(serviceName: "a"), tags: ["x": "1"]),
            Span(traceID: id, parentID: 1, id: 2, timestamp: 1_000_001, duration: 50, localEndpoint: Endpoint(serviceName: "b"),
                 annotations: [Annotation(timestamp: 1_000_002, value: "y")]),
        ]
        #expect(try TraceQuery(serviceName: "a", annotationQuery: AnnotationQuery(["x": "1"]), endTs: 2000).matches(trace))
        #expect(try !TraceQuery(serviceName: "a", annotationQuery: AnnotationQuery(["y": ""]), endTs: 2000).matches(trace))
        #expect(try TraceQuery(annotationQuery: AnnotationQuery(["y": "", "x": ""]), endTs: 2000).matches(trace))
        #expect(try !TraceQuery(serviceName: "a", minDuration: 50, endTs: 2000).matches(trace))
        #expect(try TraceQuery(serviceName: "b", minDuration: 50, maxDuration: 50, endTs: 2000).matches(trace))
        #expect(try !TraceQuery(endTs: 999).matches(trace))
    }
}

struct TraceIDTests {
    @Test func normalisesAsZipkinDoes() throws {
        #expect(try TraceID(hex: "a").hexString == "000000000000000a")
        #expect(try TraceID(hex: "1234567890abcdef1").hexString == "0000000000000001234567890abcdef1")
        #expect(try TraceID(hex: "0000000000000000000000000000000a") == TraceID(low: 0xa))
        #expect(throws: IDError(field: "traceId", message: "traceId is all zeros")) { try TraceID(hex: "0000") }
        #expect(throws: IDError(field: "traceId", message: "0e8b46e1-81b should be lower-hex encoded with no prefix")) {
            try TraceID(hex: "0e8b46e1-81b")
        }
        #expect(throws: IDError(field: "traceId", message: "traceId.length > 32")) { try TraceID(hex: String(repeating: "a", count: 33)) }
    }
}
