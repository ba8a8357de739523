#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import LookoutCodecs
import LookoutModel
import LookoutStorage
import NIOCore

/// The storage-level read endpoints of the Prometheus HTTP API (`/api/v1/series`, `labels`,
/// `label/<name>/values`, `metadata`) and `/api/v1/export`, which streams raw samples as JSON
/// lines (`{"metric":{…},"values":[…],"timestamps":[…]}`) for backup and checks.
struct MetricReadController<Context: RequestContext> {
    let store: any MetricStore
    /// Series one request may return; more is a 400 asking for a narrower selector.
    let maxSeries: Int

    func addRoutes(to group: RouterGroup<Context>) {
        group.on("series", method: .get) { request, _ in try await series(request) }
        group.on("series", method: .post) { request, _ in try await series(request) }
        group.on("labels", method: .get) { request, _ in try await labels(request) }
        group.on("labels", method: .post) { request, _ in try await labels(request) }
        group.get("label/:name/values") { request, context in try await labelValues(request, context: context) }
        group.get("metadata") { request, _ in try await metadata(request) }
        group.on("export", method: .get) { request, _ in try await export(request) }
        group.on("export", method: .post) { request, _ in try await export(request) }
    }

    func series(_ request: Request) async throws -> Response {
        let parameters = try await QueryParameters.from(request)
        let selectors = try Self.selectors(parameters, required: true)
        let (from, through) = try Self.range(parameters)
        let found = try await store.series(selectors, from: from, through: through)
        let limit = try Self.limit(parameters)
        return prometheusSuccess { out in
            out.append(UInt8(ascii: "["))
            for (index, labels) in found.prefix(limit ?? found.count).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                PrometheusJSON.writeLabels(labels, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
    }

    func labels(_ request: Request) async throws -> Response {
        let parameters = try await QueryParameters.from(request)
        let selectors = try Self.selectors(parameters, required: false)
        let (from, through) = try Self.range(parameters)
        let names = try await store.labelNames(selectors, from: from, through: through)
        let limit = try Self.limit(parameters)
        return prometheusSuccess { $0.append(contentsOf: JSONWriter.stringArray(Array(names.prefix(limit ?? names.count)))) }
    }

    func labelValues(_ request: Request, context: Context) async throws -> Response {
        let name = context.parameters.get("name").map { percentDecoded($0) } ?? ""
        guard name == Labels.metricName || MetricNames.isValidLabelName(name) else {
            throw PrometheusAPIError.badData("invalid label name: \"\(name)\"")
        }
        let parameters = try await QueryParameters.from(request)
        let selectors = try Self.selectors(parameters, required: false)
        let (from, through) = try Self.range(parameters)
        let values = try await store.labelValues(name, selectors, from: from, through: through)
        let limit = try Self.limit(parameters)
        return prometheusSuccess { $0.append(contentsOf: JSONWriter.stringArray(Array(values.prefix(limit ?? values.count)))) }
    }

    func metadata(_ request: Request) async throws -> Response {
        let parameters = QueryParameters(query: request.uri.query)
        let entries = try await store.metadata(metric: parameters.get("metric"))
        let limit = try Self.limit(parameters)
        return prometheusSuccess { out in
            out.append(UInt8(ascii: "{"))
            for (index, entry) in entries.prefix(limit ?? entries.count).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(entry.metricName, into: &out)
                JSONWriter.writeRaw(#":[{"type":"#, into: &out)
                JSONWriter.writeString(entry.type.rawValue, into: &out)
                JSONWriter.writeRaw(#","help":"#, into: &out)
                JSONWriter.writeString(entry.help, into: &out)
                JSONWriter.writeRaw(#","unit":"#, into: &out)
                JSONWriter.writeString(entry.unit, into: &out)
                JSONWriter.writeRaw("}]", into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    func export(_ request: Request) async throws -> Response {
        let parameters = try await QueryParameters.from(request)
        let selectors = try Self.selectors(parameters, required: true)
        let (from, through) = try Self.range(parameters)
        var out: [UInt8] = []
        var seen = Set<Labels>()
        for selector in selectors {
            let found = try await store.select(selector, from: from, through: through)
            guard found.count <= maxSeries else {
                throw PrometheusAPIError.badData("the selector matches \(found.count) series, more than the \(maxSeries) one request may export")
            }
            for series in found where seen.insert(series.labels).inserted {
                JSONWriter.writeRaw(#"{"metric":"#, into: &out)
                PrometheusJSON.writeLabels(series.labels, into: &out)
                JSONWriter.writeRaw(#","values":["#, into: &out)
                for (index, sample) in series.samples.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    Self.writeNumber(sample.value, into: &out)
                }
                JSONWriter.writeRaw(#"],"timestamps":["#, into: &out)
                for (index, sample) in series.samples.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    JSONWriter.writeInt(sample.timestamp, into: &out)
                }
                JSONWriter.writeRaw("]}\n", into: &out)
            }
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: ByteBuffer(bytes: out)))
    }

    /// JSON has no NaN or infinities: those are written as strings, as Prometheus writes values.
    static func writeNumber(_ value: Double, into out: inout [UInt8]) {
        if value.isNaN {
            JSONWriter.writeRaw(StaleMarker.isStale(value) ? #""StaleNaN""# : #""NaN""#, into: &out)
        } else if value.isInfinite {
            JSONWriter.writeRaw(value > 0 ? #""+Inf""# : #""-Inf""#, into: &out)
        } else {
            out.append(contentsOf: "\(value)".utf8)
        }
    }

    static func selectors(_ parameters: QueryParameters, required: Bool) throws -> [[LabelMatcher]] {
        let texts = parameters.all("match[]")
        if texts.isEmpty && required { throw PrometheusAPIError.badData("no match[] parameter provided") }
        guard texts.count <= 100 else { throw PrometheusAPIError.badData("at most 100 match[] parameters are allowed") }
        return try texts.map { text in
            do { return try SeriesSelectorParser.parse(text) } catch let error as CodecError {
                throw PrometheusAPIError.badData("invalid parameter \"match[]\": \(error.message)")
            }
        }
    }

    static func range(_ parameters: QueryParameters) throws -> (Int64, Int64) {
        let from = try parameters.get("start").map { try time($0, "start") } ?? Int64.min
        let through = try parameters.get("end").map { try time($0, "end") } ?? Int64.max
        guard from <= through else { throw PrometheusAPIError.badData("end timestamp must not be before start time") }
        return (from, through)
    }

    static func limit(_ parameters: QueryParameters) throws -> Int? {
        guard let text = parameters.get("limit") else { return nil }
        guard let value = Int(text), value >= 0 else { throw PrometheusAPIError.badData("invalid limit \"\(text)\"") }
        return value == 0 ? nil : value
    }

    /// Unix seconds (fractions allowed) or RFC 3339, as Prometheus accepts; milliseconds out.
    static func time(_ text: String, _ name: String) throws -> Int64 {
        if let seconds = Double(text), seconds.isFinite {
            return Int64((seconds * 1000).rounded())
        }
        if let date = try? Date(text, strategy: .iso8601) {
            return Int64((date.timeIntervalSince1970 * 1000).rounded())
        }
        throw PrometheusAPIError.badData("invalid parameter \"\(name)\": cannot parse \"\(text)\" to a valid timestamp")
    }
}
