import Hummingbird
import Logging
import LookoutAlerting
import LookoutModel
import LookoutQuery
import LookoutStorage
import NIOCore
import Prometheus
import ServiceLifecycle

/// Builds the collector's HTTP application around already-opened storage. The executable picks
/// the backend; tests build the same application over a temp-file store.
public func buildApplication(
    configuration: ServerConfiguration,
    traceStore: any TraceStore,
    metricsBackend: MetricsBackend? = nil,
    ruleManager: RuleManager? = nil,
    notifier: AlertNotifier? = nil,
    spanMetrics: SpanMetrics? = nil,
    metrics: ServerMetrics = ServerMetrics(),
    services: [any Service] = [],
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        RequestMetricsMiddleware(metrics: metrics)
        MethodGuardMiddleware()
    }
    router.get("health") { _, _ in
        json(Array(#"{"status":"UP","zipkin":{"status":"UP","details":{"TraceStore":{"status":"UP"}}}}"#.utf8))
    }
    router.get("metrics") { _, _ in
        if let metricsBackend {
            let statistics = metricsBackend.statistics()
            metrics.metricIngest.headSeries.set(Double(statistics.headSeries))
            metrics.metricIngest.headChunks.set(Double(statistics.headChunks))
            metrics.metricIngest.pendingChunks.set(Double(statistics.pendingChunks))
            metrics.metricIngest.walBytes.set(Double(statistics.walBytes))
            metrics.metricIngest.storeBytes.set(Double(statistics.storeBytes))
        }
        var bytes: [UInt8] = []
        metrics.registry.emit(into: &bytes)
        if let ruleManager { bytes.append(contentsOf: ruleManager.exposition().utf8) }
        if let notifier { bytes.append(contentsOf: notifier.exposition().utf8) }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // Zipkin allows any origin on its API so browser tools work; credentials are never allowed.
    let cors = CORSMiddleware<AppRequestContext>(allowOrigin: .all, allowMethods: [.get, .post, .head, .options])

    let ingest = router.group()
        .add(middleware: cors)
        .add(middleware: BearerTokenMiddleware(tokens: Set(configuration.ingestTokens)))
    SpanIngestController<AppRequestContext>(store: traceStore, maxBodyBytes: configuration.maxRequestBytes,
                                            metrics: metrics, spanMetrics: spanMetrics, logger: logger)
        .addRoutes(to: ingest)
    if let metricsBackend {
        MetricIngestController<AppRequestContext>(
            appender: metricsBackend.appender, maxBodyBytes: configuration.maxRequestBytes,
            maxSamplesPerRequest: configuration.maxSamplesPerRequest, maxLabelsPerSeries: configuration.maxLabelsPerSeries,
            metrics: metrics.metricIngest, logger: logger)
            .addRoutes(to: ingest)
        let metricQuery = router.group("api/v1")
            .add(middleware: cors)
            .add(middleware: BearerTokenMiddleware(tokens: Set(configuration.queryTokens)))
        MetricReadController<AppRequestContext>(store: metricsBackend.store, maxSeries: 100_000)
            .addRoutes(to: metricQuery)
        PromQLController<AppRequestContext>(engine: Engine(store: metricsBackend.store), store: metricsBackend.store)
            .addRoutes(to: metricQuery)
        if let ruleManager {
            RulesController<AppRequestContext>(manager: ruleManager).addRoutes(to: metricQuery)
        }
    }

    if let ruleManager {
        // Prometheus' lifecycle endpoint: re-read the rules files; a bad file keeps the running rules.
        let admin = router.group("-").add(middleware: BearerTokenMiddleware(tokens: Set(configuration.queryTokens)))
        for method in [HTTPRequest.Method.post, .put] {
            admin.on("reload", method: method) { _, _ in
                if let error = ruleManager.reload() {
                    return Response(status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: "failed to reload config: \(error)\n")))
                }
                return Response(status: .ok)
            }
        }
    }

    let query = router.group("api/v2")
        .add(middleware: cors)
        .add(middleware: BearerTokenMiddleware(tokens: Set(configuration.queryTokens)))
    ZipkinQueryController<AppRequestContext>(store: traceStore, autocompleteKeys: configuration.autocompleteKeys,
                                             defaultLookbackMillis: max(1, configuration.defaultLookback.wholeMilliseconds))
        .addRoutes(to: query)

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.listenHost, port: configuration.listenPort),
                             serverName: "Lookout"),
        onServerRunning: onServerRunning,
        logger: logger)
    app.addServices(services)
    return app
}
