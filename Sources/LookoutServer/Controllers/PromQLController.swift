#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import LookoutCodecs
import LookoutModel
import LookoutQuery
import LookoutStorage
import NIOCore

/// `/api/v1/query`, `/api/v1/query_range`, `/api/v1/query_exemplars`, `/api/v1/format_query`
/// and `/api/v1/status/buildinfo`, with the Prometheus HTTP API's envelope, shapes and error
/// types, so Grafana's Prometheus data source works unchanged.
struct PromQLController<Context: RequestContext> {
    let engine: Engine
    let store: any MetricStore
    static var version: String { "0.3.0" }

    func addRoutes(to group: RouterGroup<Context>) {
        for method in [HTTPRequest.Method.get, .post] {
            group.on("query", method: method) { request, _ in try await query(request) }
            group.on("query_range", method: method) { request, _ in try await queryRange(request) }
            group.on("query_exemplars", method: method) { request, _ in try await exemplars(request) }
            group.on("format_query", method: method) { request, _ in try await formatQuery(request) }
        }
        group.get("status/buildinfo") { _, _ in
            // No "features" map: Grafana would take Lookout for Mimir and expect its ruler API.
            prometheusSuccess { out in
                JSONWriter.writeRaw(#"{"version":"#, into: &out)
                JSONWriter.writeString(Self.version, into: &out)
                JSONWriter.writeRaw(#","revision":"","branch":"main","buildUser":"","buildDate":"","goVersion":"swift"}"#, into: &out)
            }
        }
    }

    func query(_ request: Request) async throws -> Response {
        let parameters = try await QueryParameters.from(request)
        let text = try Self.required(parameters, "query")
        let time = try parameters.get("time").map { try MetricReadController<Context>.time($0, "time") }
            ?? Int64(Date().timeIntervalSince1970 * 1000)
        let limit = try MetricReadController<Context>.limit(parameters)
        let result = try await run { try await engine(parameters).instant(text, at: time) }
        return prometheusSuccess { PrometheusJSON.writeResult(result, limit: limit, into: &$0) }
    }

    func queryRange(_ request: Request) async throws -> Response {
        let parameters = try await QueryParameters.from(request)
        let text = try Self.required(parameters, "query")
        let start = try MetricReadController<Context>.time(try Self.required(parameters, "start"), "start")
        let end = try MetricReadController<Context>.time(try Self.required(parameters, "end"), "end")
        let step = try Self.duration(try Self.required(parameters, "step"), "step")
        let limit = try MetricReadController<Context>.limit(parameters)
        let result = try await run { try await engine(parameters).range(text, start: start, end: end, step: step) }
        return prometheusSuccess { PrometheusJSON.writeResult(result, limit: limit, into: &$0) }
    }

    func exemplars(_ request: Request) async throws -> Response {
        let parameters = try await QueryParameters.from(request)
        let text = try Self.required(parameters, "query")
        let (from, through) = try MetricReadController<Context>.range(parameters)
        let expr: Expr
        do { expr = try Parser.parse(text) } catch {
            throw PrometheusAPIError.badData("invalid parameter \"query\": \(error.describe(in: text))")
        }
        let found = try await store.exemplars(expr.selectors.map(\.matchers), from: from, through: through)
        return prometheusSuccess { out in
            out.append(UInt8(ascii: "["))
            for (index, entry) in found.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeRaw(#"{"seriesLabels":"#, into: &out)
                PrometheusJSON.writeLabels(entry.labels, into: &out)
                JSONWriter.writeRaw(#","exemplars":["#, into: &out)
                for (position, exemplar) in entry.exemplars.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    JSONWriter.writeRaw(#"{"labels":"#, into: &out)
                    PrometheusJSON.writeLabels(exemplar.labels, into: &out)
                    JSONWriter.writeRaw(#","value":"#, into: &out)
                    PrometheusJSON.writeValue(exemplar.value, into: &out)
                    JSONWriter.writeRaw(#","timestamp":"#, into: &out)
                    PrometheusJSON.writeTime(exemplar.timestamp ?? 0, into: &out)
                    out.append(UInt8(ascii: "}"))
                }
                JSONWriter.writeRaw("]}", into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
    }

    func formatQuery(_ request: Request) async throws -> Response {
        let parameters = try await QueryParameters.from(request)
        let text = try Self.required(parameters, "query")
        do {
            let formatted = try Parser.parse(text).description
            return prometheusSuccess { JSONWriter.writeString(formatted, into: &$0) }
        } catch {
            throw PrometheusAPIError.badData("invalid parameter \"query\": \(error.describe(in: text))")
        }
    }

    /// The engine with this request's `lookback_delta` and `timeout`, when given.
    private func engine(_ parameters: QueryParameters) throws -> Engine {
        var options = engine.options
        if let text = parameters.get("lookback_delta") { options.lookbackMillis = try Self.duration(text, "lookback_delta") }
        if let text = parameters.get("timeout") {
            let millis = try Self.duration(text, "timeout")
            options.timeout = min(options.timeout, .milliseconds(millis))
        }
        return Engine(store: store, options: options)
    }

    private func run(_ body: () async throws -> QueryResult) async throws -> QueryResult {
        do {
            return try await body()
        } catch let error as PromQLError {
            switch error.kind {
            case .badData: throw PrometheusAPIError(status: .badRequest, errorType: "bad_data", message: error.message)
            case .execution: throw PrometheusAPIError(status: .unprocessableContent, errorType: "execution", message: error.message)
            case .timeout: throw PrometheusAPIError(status: .serviceUnavailable, errorType: "timeout", message: error.message)
            case .canceled: throw PrometheusAPIError(status: .init(code: 499), errorType: "canceled", message: error.message)
            }
        } catch let error as StorageError {
            throw PrometheusAPIError(status: .serviceUnavailable, errorType: "unavailable", message: error.message)
        }
    }

    static func required(_ parameters: QueryParameters, _ name: String) throws -> String {
        guard let value = parameters.get(name), !value.isEmpty else {
            throw PrometheusAPIError.badData("invalid parameter \"\(name)\": parameter is missing")
        }
        return value
    }

    /// A Prometheus duration (`5m`, `1h30m`) or float seconds, in milliseconds.
    static func duration(_ text: String, _ name: String) throws -> Int64 {
        if let seconds = Double(text), seconds.isFinite, seconds > 0, seconds < 9.2e15 {
            return Int64((seconds * 1000).rounded())
        }
        if let duration = PrometheusDuration.parse(text), duration > .zero {
            return duration.wholeMilliseconds
        }
        throw PrometheusAPIError.badData("invalid parameter \"\(name)\": cannot parse \"\(text)\" to a valid duration")
    }
}
