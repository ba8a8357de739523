#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import Logging
import LookoutCodecs
import LookoutModel
import LookoutStorage
import NIOCore
import Prometheus

/// `POST /api/v1/write` (Prometheus remote write 1.0) and `POST /api/v1/import/prometheus`
/// (text exposition 0.0.4 and OpenMetrics). Answers as Prometheus' receiver does: 204 when all
/// was stored, 400 naming what was refused (the rest is stored), 413/415 for bodies it will not
/// read, and 429/503 only when a retry will help.
struct MetricIngestController<Context: RequestContext> {
    let appender: any MetricAppender
    let maxBodyBytes: Int
    let maxSamplesPerRequest: Int
    let maxLabelsPerSeries: Int
    let metrics: MetricIngestMetrics
    let logger: Logger

    /// Remote-write bodies inflate about 5-10x; the decoded form may be this many times the limit.
    static var maxInflation: Int { 8 }

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("api/v1/write") { request, _ in try await remoteWrite(request) }
        group.post("api/v1/import/prometheus") { request, _ in try await importText(request) }
    }

    func remoteWrite(_ request: Request) async throws -> Response {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-protobuf") else {
            metrics.requestsRejected.increment()
            throw PlainTextError(.unsupportedMediaType, "remote write needs Content-Type application/x-protobuf, not \"\(contentType)\"")
        }
        if contentType.contains("proto=io.prometheus.write.v2") {
            metrics.requestsRejected.increment()
            throw PlainTextError(.unsupportedMediaType, "remote write 2.0 is not supported; send remote write 1.0 (prometheus.WriteRequest)")
        }
        let encoding = request.headers[.contentEncoding]?.lowercased() ?? ""
        guard encoding == "snappy" else {
            metrics.requestsRejected.increment()
            throw PlainTextError(.unsupportedMediaType, "remote write needs Content-Encoding snappy, not \"\(encoding)\"")
        }
        let body = try await RequestBody.collect(request, maxBytes: maxBodyBytes) { metrics.requestsRejected.increment() }
        let batch: MetricBatch
        do {
            batch = try body.withUnsafeReadableBytes { raw in
                try RemoteWriteDecoder.decode(snappy: raw, maxDecodedBytes: maxBodyBytes * Self.maxInflation,
                                              maxSamples: maxSamplesPerRequest)
            }
        } catch let error as CodecError {
            metrics.requestsRejected.increment()
            throw PlainTextError(.badRequest, "cannot decode the remote write request: \(error.message)")
        }
        return try await store(batch, request: request, format: .remoteWrite)
    }

    func importText(_ request: Request) async throws -> Response {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let format: PrometheusTextParser.Format
        if contentType.hasPrefix("application/openmetrics-text") {
            format = .openMetrics
        } else if contentType.isEmpty || contentType.hasPrefix("text/plain")
                    || contentType.hasPrefix("application/x-www-form-urlencoded") {
            // curl's --data-binary sends the form type; the text format is the only one that fits.
            format = .text004
        } else {
            metrics.requestsRejected.increment()
            throw PlainTextError(.unsupportedMediaType,
                                 "import needs text/plain (exposition format 0.0.4) or application/openmetrics-text, not \"\(contentType)\"")
        }
        var body = try await RequestBody.collect(request, maxBytes: maxBodyBytes) { metrics.requestsRejected.increment() }
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding.contains("gzip") {
            body = try RequestBody.gunzip(body, maxBytes: maxBodyBytes * Self.maxInflation, what: "the exposition") {
                metrics.requestsRejected.increment()
            }
        }
        let parsed: PrometheusTextParser.Result
        do {
            parsed = try PrometheusTextParser(format: format, maxLabelsPerSeries: maxLabelsPerSeries)
                .parse(Array(body.readableBytesView))
        } catch {
            metrics.requestsRejected.increment()
            throw PlainTextError(.badRequest, "cannot parse the exposition: \(error.message)")
        }
        guard parsed.samples.count <= maxSamplesPerRequest else {
            metrics.requestsRejected.increment()
            throw PlainTextError(.contentTooLarge, "the exposition holds \(parsed.samples.count) samples, more than the limit of \(maxSamplesPerRequest) per request")
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var batch = MetricBatch()
        var positions: [Labels: Int] = [:]
        var grouped: [(Labels, [MetricSample], [Exemplar])] = []
        for sample in parsed.samples {
            let point = MetricSample(sample.timestamp ?? now, sample.value)
            if let position = positions[sample.labels] {
                grouped[position].1.append(point)
                if let exemplar = sample.exemplar { grouped[position].2.append(exemplar) }
            } else {
                positions[sample.labels] = grouped.count
                grouped.append((sample.labels, [point], sample.exemplar.map { [$0] } ?? []))
            }
        }
        for (position, entry) in grouped.enumerated() {
            batch.append(entry.0, entry.1.sorted { $0.timestamp < $1.timestamp })
            for var exemplar in entry.2 {
                if exemplar.timestamp == nil { exemplar.timestamp = now }
                batch.exemplars.append(.init(series: position, exemplar: exemplar))
            }
        }
        batch.metadata = parsed.metadata
        return try await store(batch, request: request, format: .text)
    }

    private func store(_ batch: MetricBatch, request: Request, format: MetricIngestMetrics.IngestFormat) async throws -> Response {
        let key = request.headers.first { $0.name.canonicalName == "idempotency-key" }?.value
        if let key, key.utf8.count > 256 {
            metrics.requestsRejected.increment()
            throw PlainTextError(.badRequest, "Idempotency-Key is longer than 256 bytes")
        }
        let report: AppendReport
        do {
            report = try await appender.append(batch, idempotencyKey: key)
        } catch let error as StorageError where error.code == .overloaded {
            throw PlainTextError(.tooManyRequests, error.message, headers: [.retryAfter: "1"])
        } catch {
            logger.error("storing samples failed", metadata: ["error": "\(error)"])
            throw PlainTextError(.serviceUnavailable, "samples could not be stored; retry later", headers: [.retryAfter: "5"])
        }
        metrics.record(report, format: format)
        guard report.rejectedTotal == 0 else {
            metrics.requestsRejected.increment()
            let stored = "\(report.accepted) sample(s) stored, \(report.rejectedTotal) refused"
            throw PlainTextError(.badRequest, stored + ": " + report.messages.joined(separator: "; "))
        }
        return Response(status: .noContent)
    }
}
