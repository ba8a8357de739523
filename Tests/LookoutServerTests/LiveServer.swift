import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import LookoutServer
import LookoutStorage
import LookoutStorageSQLite
import LookoutTSDB
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// A real `lookout` HTTP server on 127.0.0.1 with an ephemeral port over a temp-file SQLite
/// store, shut down gracefully when the body returns.
struct LiveServer {
    let baseURL: String
    let store: SQLiteTraceStore
    let tsdb: TSDB
    let metrics: ServerMetrics

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }
    }

    static func with<T: Sendable>(
        configuration: ServerConfiguration = .test(),
        options: TraceStoreOptions = TraceStoreOptions(),
        maxQueuedSpans: Int = 200_000,
        _ body: (LiveServer) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lookout-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var logger = Logger(label: "lookout.test")
        logger.logLevel = .warning
        let store = try SQLiteTraceStore(path: directory.appendingPathComponent("traces.sqlite").path, options: options,
                                         maxQueuedSpans: maxQueuedSpans, logger: logger)
        let metrics = ServerMetrics()
        var tsdbOptions = TSDBOptions()
        tsdbOptions.maxSeries = configuration.maxSeries
        tsdbOptions.maxLabelsPerSeries = configuration.maxLabelsPerSeries
        let tsdb = try TSDB(store: try SQLiteChunkStore(path: directory.appendingPathComponent("metrics.sqlite").path),
                            walDirectory: directory.appendingPathComponent("metrics-wal").path, options: tsdbOptions, logger: logger)
        let backend = MetricsBackend(store: tsdb, appender: tsdb, statistics: tsdb.statistics)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(configuration: configuration, traceStore: store, metricsBackend: backend, metrics: metrics,
                                   services: [store, tsdb], logger: logger) { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let server = LiveServer(baseURL: "http://127.0.0.1:\(port)", store: store, tsdb: tsdb, metrics: metrics)
            do {
                let result = try await body(server)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    func request(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(buffer: bytes))
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> Reply {
        try await request(.GET, path, headers: headers)
    }

    func post(_ path: String, _ body: [UInt8], contentType: String? = "application/json",
              headers: [(String, String)] = []) async throws -> Reply {
        var all = headers
        if let contentType { all.append(("Content-Type", contentType)) }
        return try await request(.POST, path, headers: all, body: body)
    }
}

extension ServerConfiguration {
    /// 127.0.0.1 with an ephemeral port, plus any changes a test needs.
    static func test(_ modify: (inout ServerConfiguration) -> Void = { _ in }) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.listenHost = "127.0.0.1"
        configuration.listenPort = 0
        modify(&configuration)
        return configuration
    }
}
