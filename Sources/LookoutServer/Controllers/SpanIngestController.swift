import CompressNIO
import Hummingbird
import Logging
import LookoutCodecs
import LookoutModel
import LookoutStorage
import Prometheus

/// `POST /api/v2/spans` (JSON v2, proto3) and `POST /api/v1/spans` (JSON v1), gzip or not.
/// Answers 202 only once the spans are durable; nothing of a rejected request is stored.
public struct SpanIngestController<Context: RequestContext>: Sendable {
    let store: any TraceStore
    let maxBodyBytes: Int
    let metrics: ServerMetrics
    let spanMetrics: SpanMetrics?
    let logger: Logger

    public init(store: any TraceStore, maxBodyBytes: Int, metrics: ServerMetrics, spanMetrics: SpanMetrics? = nil, logger: Logger) {
        self.store = store
        self.maxBodyBytes = maxBodyBytes
        self.metrics = metrics
        self.spanMetrics = spanMetrics
        self.logger = logger
    }

    public func addRoutes(to group: RouterGroup<Context>) {
        group.post("api/v2/spans") { request, _ in try await ingest(request, v1: false) }
        group.post("api/v1/spans") { request, _ in try await ingest(request, v1: true) }
    }

    func ingest(_ request: Request, v1: Bool) async throws -> Response {
        let format = try SpanPayload.format(contentType: request.headers[.contentType], v1: v1)
        var body = try await collect(request)
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding.contains("gzip") {
            body = try gunzip(&body)
        }
        metrics.bytesReceived[format]?.increment(by: Double(body.readableBytes))
        let spans: [Span]
        do {
            spans = try body.withUnsafeReadableBytes { raw in
                try SpanPayload.decode(raw.bindMemory(to: UInt8.self), format: format)
            }
        } catch let error as CodecError {
            metrics.spansRejected[format]?.increment()
            metrics.requestsRejected.increment()
            logger.debug("rejected spans", metadata: ["lookout.ingest.error": "\(error.message)"])
            throw PlainTextError(.badRequest, error.message)
        }
        if !spans.isEmpty {
            do {
                try await store.accept(spans)
            } catch let error as StorageError where error.code == .overloaded {
                metrics.spansDropped.increment(by: Int64(spans.count))
                throw PlainTextError(.serviceUnavailable, "Lookout is busy storing spans; retry later",
                                     headers: [.retryAfter: "1"])
            } catch {
                metrics.spansDropped.increment(by: Int64(spans.count))
                logger.error("storing spans failed", metadata: ["error": "\(error)"])
                throw PlainTextError(.serviceUnavailable, "spans could not be stored; retry later", headers: [.retryAfter: "5"])
            }
            metrics.spansReceived[format]?.increment(by: Int64(spans.count))
            spanMetrics?.observe(spans)
        }
        return Response(status: .accepted)
    }

    private func collect(_ request: Request) async throws -> ByteBuffer {
        try await RequestBody.collect(request, maxBytes: maxBodyBytes) { metrics.requestsRejected.increment() }
    }

    private func gunzip(_ body: inout ByteBuffer) throws -> ByteBuffer {
        try RequestBody.gunzip(body, maxBytes: maxBodyBytes, what: "spans") { metrics.requestsRejected.increment() }
    }
}

/// Which decoder a request needs, and the format checks Zipkin makes before decoding.
enum SpanPayload {
    static func format(contentType: String?, v1: Bool) throws -> ServerMetrics.SpanFormat {
        let mediaType = contentType.map { $0.split(separator: ";", maxSplits: 1)[0].trimmingCharacters(in: " \t").lowercased() }
        switch (mediaType, v1) {
        case (nil, false), ("application/json", false): return .jsonV2
        case ("application/x-protobuf", false), ("application/protobuf", false): return .proto3
        case (nil, true), ("application/json", true): return .jsonV1
        case ("application/x-thrift", true):
            throw PlainTextError(.unsupportedMediaType, "Thrift is not supported; send Zipkin v1 JSON or use /api/v2/spans")
        default:
            let accepted = v1 ? "application/json" : "application/json or application/x-protobuf"
            throw PlainTextError(.unsupportedMediaType, "unsupported Content-Type \"\(contentType ?? "")\"; expected \(accepted)")
        }
    }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, format: ServerMetrics.SpanFormat) throws(CodecError) -> [Span] {
        if bytes.isEmpty { return [] }
        // Whitespace means nothing only in JSON; in proto3, 0x0A is the ListOfSpans field tag.
        var start = 0
        if format != .proto3 {
            while start < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[start]) { start += 1 }
            if start == bytes.count { return [] }
        }
        switch format {
        case .jsonV2, .jsonV1:
            let name = format == .jsonV2 ? "JSON_V2" : "JSON_V1"
            guard bytes[start] == UInt8(ascii: "[") else { throw CodecError("Expected a \(name) encoded list") }
            if isEmptyList(bytes, from: start) { return [] }
            if format == .jsonV2, contains(bytes, "yAnnotations\"") {
                throw CodecError("Expected a JSON_V2 encoded list, but received: JSON_V1")
            }
            if format == .jsonV1, contains(bytes, "Endpoint\"") || contains(bytes, "\"tags\"") {
                throw CodecError("Expected a JSON_V1 encoded list, but received: JSON_V2")
            }
            return format == .jsonV2 ? try ZipkinJSONV2Decoder.decodeSpans(bytes) : try ZipkinJSONV1Decoder.decodeSpans(bytes)
        case .proto3:
            guard bytes[0] == 0x0A else { throw CodecError("Expected a PROTO3 encoded list") }
            return try ZipkinProto3.decodeSpans(bytes)
        }
    }

    private static func isEmptyList(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        var i = start + 1
        while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "]") else { return false }
        i += 1
        while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
        return i == bytes.count
    }

    static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        let pattern = needle.utf8Start
        guard bytes.count >= n else { return false }
        var i = 0
        let last = bytes.count - n
        while i <= last {
            if bytes[i] == pattern[0] {
                var k = 1
                while k < n, bytes[i + k] == pattern[k] { k += 1 }
                if k == n { return true }
            }
            i += 1
        }
        return false
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return s
    }
}
