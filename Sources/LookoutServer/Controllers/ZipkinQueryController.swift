#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import LookoutCodecs
import LookoutModel
import LookoutStorage
import Synchronization

/// The Zipkin v2 query API: thin handlers that parse parameters, call the store and encode.
public struct ZipkinQueryController<Context: RequestContext>: Sendable {
    let store: any TraceStore
    let autocompleteKeys: [String]
    let defaultLookback: Int64
    /// Name lists are cacheable once a deployment has more than three services, as in Zipkin.
    private let lastServiceCount = NameCount()

    public init(store: any TraceStore, autocompleteKeys: [String], defaultLookbackMillis: Int64) {
        self.store = store
        self.autocompleteKeys = autocompleteKeys
        self.defaultLookback = defaultLookbackMillis
    }

    public func addRoutes(to group: RouterGroup<Context>) {
        group.get("services") { _, _ in
            let names = try await store.serviceNames()
            lastServiceCount.value.store(names.count, ordering: .relaxed)
            return nameList(names, cacheable: names.count > 3)
        }
        group.get("spans") { request, _ in
            let service = try QueryParameters(query: request.uri.query).requireString("serviceName")
            return nameList(try await store.spanNames(service: service), cacheable: lastServiceCount.isMany)
        }
        group.get("remoteServices") { request, _ in
            let service = try QueryParameters(query: request.uri.query).requireString("serviceName")
            return nameList(try await store.remoteServiceNames(service: service), cacheable: lastServiceCount.isMany)
        }
        group.get("autocompleteKeys") { _, _ in
            nameList(autocompleteKeys.sorted(), cacheable: true)
        }
        group.get("autocompleteValues") { request, _ in
            let key = try QueryParameters(query: request.uri.query).requireString("key")
            let values = try await store.autocompleteValues(key: key)
            return nameList(values, cacheable: values.count > 3)
        }
        group.get("traces") { request, _ in
            let query = try traceQuery(QueryParameters(query: request.uri.query))
            return json(ZipkinJSONV2Encoder.encodeTraces(try await store.traces(matching: query)))
        }
        group.get("trace/{traceId}") { _, context in
            let raw = percentDecoded(context.parameters.get("traceId") ?? "")
            let id = try traceID(String(Substring(raw).trimmingCharacters(in: " \t")))
            let spans = try await store.trace(id: id)
            if spans.isEmpty { throw PlainTextError(.notFound, "\(id.hexString) not found") }
            return json(ZipkinJSONV2Encoder.encode(spans))
        }
        group.get("traceMany") { request, _ in
            let ids = try traceIDs(QueryParameters(query: request.uri.query).get("traceIds") ?? "")
            return json(ZipkinJSONV2Encoder.encodeTraces(try await store.traces(ids: ids)))
        }
        group.get("dependencies") { request, _ in
            let parameters = QueryParameters(query: request.uri.query)
            guard let endTs = try parameters.int64("endTs") else { throw PlainTextError(.badRequest, "endTs is required") }
            let lookback = try parameters.int64("lookback") ?? defaultLookback
            do {
                return json(DependencyLinkJSONEncoder.encode(try await store.dependencies(endTs: endTs, lookback: lookback)))
            } catch let error as QueryError {
                throw PlainTextError(.badRequest, error.message)
            }
        }
    }

    func traceQuery(_ parameters: QueryParameters) throws -> TraceQuery {
        let annotationQuery: AnnotationQuery
        do {
            annotationQuery = try AnnotationQuery(parsing: parameters.get("annotationQuery") ?? "")
        } catch {
            throw PlainTextError(.badRequest, error.message)
        }
        let limit = try parameters.int64("limit").map { value -> Int in
            guard value <= 10_000 else { throw PlainTextError(.badRequest, "limit > 10000") }
            return Int(value)
        }
        do {
            return try TraceQuery(
                serviceName: parameters.get("serviceName"),
                remoteServiceName: parameters.get("remoteServiceName"),
                spanName: parameters.get("spanName"),
                annotationQuery: annotationQuery,
                minDuration: try parameters.int64("minDuration"),
                maxDuration: try parameters.int64("maxDuration"),
                endTs: try parameters.int64("endTs") ?? Int64(Date().timeIntervalSince1970 * 1000),
                lookback: try parameters.int64("lookback") ?? defaultLookback,
                limit: limit ?? TraceQuery.defaultLimit)
        } catch let error as QueryError {
            throw PlainTextError(.badRequest, error.message)
        }
    }

    func traceID(_ text: String) throws -> TraceID {
        do {
            return try TraceID(hex: text)
        } catch {
            throw PlainTextError(.badRequest, error.message)
        }
    }

    func traceIDs(_ text: String) throws -> [TraceID] {
        if text.isEmpty { throw PlainTextError(.badRequest, "traceIds parameter is empty") }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        if parts.count > 1000 { throw PlainTextError(.badRequest, "traceIds has more than 1000 IDs") }
        var ids: [TraceID] = []
        var seen = Set<TraceID>()
        for part in parts {
            let id = try traceID(String(part.trimmingCharacters(in: " \t")))
            guard seen.insert(id).inserted else { throw PlainTextError(.badRequest, "redundant traceId: \(id.hexString)") }
            ids.append(id)
        }
        if ids.count == 1 {
            throw PlainTextError(.badRequest, "Use /api/v2/trace/{traceId} endpoint to retrieve a single trace")
        }
        return ids
    }

    func nameList(_ names: [String], cacheable: Bool) -> Response {
        var response = json(JSONWriter.stringArray(names))
        if cacheable { response.headers[.cacheControl] = "max-age=300, must-revalidate" }
        return response
    }
}

func json(_ bytes: [UInt8]) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

final class NameCount: Sendable {
    let value = Atomic<Int>(0)
    var isMany: Bool { value.load(ordering: .relaxed) > 3 }
}

/// Path parameters arrive percent-encoded (`%20` for the trailing space Zipkin tolerates).
func percentDecoded(_ text: String) -> String {
    guard text.contains("%") else { return text }
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
    while let byte = utf8.popFirst() {
        if byte == UInt8(ascii: "%"), utf8.count >= 2,
           let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        } else {
            bytes.append(byte)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
