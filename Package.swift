// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "lookout",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lookout", targets: ["LookoutCollector"]),
        .executable(name: "lookout-agent", targets: ["LookoutAgent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // L0: the span model, ID rules, trace merging and the dependency linker. No dependencies.
        .target(name: "LookoutModel"),
        // L1: byte-level codecs (Zipkin JSON v1/v2, proto3). Work on [UInt8]; no dependencies.
        .target(name: "LookoutCodecs", dependencies: ["LookoutModel"]),
        // L1: storage protocols only.
        .target(name: "LookoutStorage", dependencies: ["LookoutModel"]),
        // L2: the SQLite implementation of the storage protocols.
        .target(name: "LookoutStorageSQLite", dependencies: [
            "LookoutStorage", "LookoutCodecs",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // L2: the time-series engine: head, write-ahead log, flushing to any MetricChunkStore.
        .target(name: "LookoutTSDB", dependencies: [
            "LookoutStorage", "LookoutCodecs",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // L2: PromQL: lexer, parser and (next) the evaluator, reading through MetricStore.
        .target(name: "LookoutQuery", dependencies: ["LookoutModel", "LookoutStorage"]),
        // L0: Go's text/template language and Prometheus' template functions, for alert labels and annotations.
        .target(name: "LookoutTemplate"),
        // L3: rules files, recording and alerting rules on their intervals, alert delivery.
        .target(name: "LookoutAlerting", dependencies: [
            "LookoutModel", "LookoutCodecs", "LookoutStorage", "LookoutQuery", "LookoutTemplate",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // L4: the host agent's parts: host collectors (node_exporter's metrics from /proc).
        .target(name: "LookoutAgentCore", dependencies: [
            "LookoutModel", "LookoutCodecs",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // L5: the `lookout-agent` executable.
        .executableTarget(name: "LookoutAgent", dependencies: [
            "LookoutAgentCore", "LookoutModel",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        // L4: HTTP routes, configuration and the application builder.
        .target(name: "LookoutServer", dependencies: [
            "LookoutCodecs", "LookoutStorage", "LookoutQuery", "LookoutAlerting",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // L5: the `lookout` executable: the only place that picks a storage backend.
        .executableTarget(name: "LookoutCollector", dependencies: [
            "LookoutServer", "LookoutStorageSQLite", "LookoutTSDB", "LookoutAlerting", "LookoutQuery", "LookoutModel",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Fixtures and the storage-agnostic conformance suites every backend runs.
        .target(name: "LookoutTestSupport", dependencies: ["LookoutModel", "LookoutStorage", "LookoutCodecs"]),

        .testTarget(name: "LookoutModelTests", dependencies: ["LookoutModel", "LookoutTestSupport"]),
        .testTarget(name: "LookoutCodecsTests", dependencies: ["LookoutCodecs", "LookoutTestSupport"]),
        .testTarget(name: "LookoutStorageSQLiteTests", dependencies: [
            "LookoutStorageSQLite", "LookoutTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "LookoutTSDBTests", dependencies: [
            "LookoutTSDB", "LookoutStorageSQLite", "LookoutTestSupport",
        ]),
        .testTarget(name: "LookoutQueryTests", dependencies: ["LookoutQuery", "LookoutTSDB", "LookoutStorageSQLite"]),
        .testTarget(name: "LookoutTemplateTests", dependencies: ["LookoutTemplate"]),
        .testTarget(name: "LookoutAgentCoreTests", dependencies: ["LookoutAgentCore"], exclude: ["Fixtures"]),
        .testTarget(name: "LookoutAlertingTests", dependencies: [
            "LookoutAlerting", "LookoutTSDB", "LookoutStorageSQLite",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .testTarget(name: "LookoutServerTests", dependencies: [
            "LookoutServer", "LookoutStorageSQLite", "LookoutTSDB", "LookoutTestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
    ]
)

for target in package.targets where [.executable, .test, .regular].contains(target.type) {
    var settings = target.swiftSettings ?? []
    for feature in ["ExistentialAny", "MemberImportVisibility", "NonisolatedNonsendingByDefault"] {
        settings.append(.enableUpcomingFeature(feature))
    }
    target.swiftSettings = settings
}
