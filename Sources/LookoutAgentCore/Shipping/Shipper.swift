import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// How batches travel to the collector. Durations in milliseconds.
public struct ShipperOptions: Sendable {
    /// The collector's base URL, e.g. `http://collector:9411`.
    public var collector: String
    public var token: String?
    public var timeout: Int64 = 10_000
    /// Backoff after a failure: full jitter over an exponential from `backoffBase` to `backoffMax`.
    public var backoffBase: Int64 = 500
    public var backoffMax: Int64 = 30_000
    /// After this many failures in a row the circuit opens: one probe per `probeInterval` until one succeeds.
    public var failuresToOpen = 5
    public var probeInterval: Int64 = 15_000

    public init(collector: String) {
        self.collector = collector.hasSuffix("/") ? String(collector.dropLast()) : collector
    }
}

/// Sends the spool's batches to the collector, oldest first, and removes each once the
/// collector has it. A batch keeps its idempotency key across retries and restarts, so the
/// collector applies it once. Refusals that a retry cannot fix (400, 413, 415) drop the batch
/// and count it; everything else (network errors, timeouts, 429, 5xx) is retried with backoff.
public final class Shipper: Service, Sendable {
    public struct Statistics: Sendable, Equatable {
        public var sent = 0
        public var refused = 0
        public var failures = 0
        public var circuitOpen = false
        /// Seconds the last successful send took.
        public var lastLatency: Double = 0
    }

    enum Outcome: Equatable {
        case delivered
        case refused(String)
        case failed(String)
    }

    public let options: ShipperOptions
    private let spool: Spool
    private let client: HTTPClient
    private let logger: Logger
    private let statistics = Mutex(Statistics())

    public init(spool: Spool, options: ShipperOptions, logger: Logger) {
        self.spool = spool
        self.options = options
        self.logger = logger
        // Connection attempts are retried by the client until the request's deadline: a collector
        // that is down shows up as one failure per timeout, which drives the backoff.
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(min(options.timeout, 2_000)))
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public var current: Statistics { statistics.withLock { $0 } }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
        try? await client.shutdown()
    }

    private func loop() async {
        var failures = 0
        while !Task.isCancelled {
            let record: Spool.Record?
            do {
                record = try spool.oldest()
            } catch {
                logger.error("reading the spool failed", metadata: ["error": "\(error)"])
                record = nil
            }
            guard let record else {
                // Nothing waiting: look again shortly (batches are spooled every few seconds at most).
                do { try await Task.sleep(for: .milliseconds(200)) } catch { return }
                continue
            }
            let started = ContinuousClock.now
            switch await send(record) {
            case .delivered:
                failures = 0
                let elapsed = started.duration(to: .now)
                statistics.withLock {
                    $0.sent += 1
                    $0.circuitOpen = false
                    $0.lastLatency = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                }
                try? spool.acknowledge(record)
            case .refused(let reason):
                failures = 0
                statistics.withLock { $0.refused += 1 }
                logger.error("the collector refused a batch; dropped", metadata: ["lookout.batch": "\(record.key)", "error": "\(reason)"])
                try? spool.acknowledge(record)
            case .failed(let reason):
                failures += 1
                let open = failures >= options.failuresToOpen
                statistics.withLock {
                    $0.failures += 1
                    $0.circuitOpen = open
                }
                // Full jitter: anywhere between 0 and the exponential bound; an open circuit only probes.
                let bound = min(options.backoffMax, options.backoffBase << min(failures - 1, 20))
                let delay = open ? options.probeInterval : Int64.random(in: 0...max(1, bound))
                if failures == 1 || failures == options.failuresToOpen || failures % 20 == 0 {
                    logger.warning("sending to the collector failed; retrying", metadata: [
                        "error": "\(reason)", "lookout.failures": "\(failures)", "lookout.retry_in_ms": "\(delay)",
                    ])
                }
                do { try await Task.sleep(for: .milliseconds(delay)) } catch { return }
            }
        }
    }

    func send(_ record: Spool.Record) async -> Outcome {
        var request: HTTPClientRequest
        switch record.kind {
        case .metrics:
            request = HTTPClientRequest(url: options.collector + "/api/v1/write")
            request.headers.add(name: "Content-Type", value: "application/x-protobuf")
            request.headers.add(name: "Content-Encoding", value: "snappy")
            request.headers.add(name: "X-Prometheus-Remote-Write-Version", value: "0.1.0")
        case .spans:
            request = HTTPClientRequest(url: options.collector + "/api/v2/spans")
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        request.method = .POST
        request.headers.add(name: "Idempotency-Key", value: record.key)
        request.headers.add(name: "User-Agent", value: "lookout-agent")
        if let token = options.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: record.payload))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(options.timeout))
            let body = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
            switch response.status.code {
            case 200..<300: return .delivered
            case 400, 413, 415: return .refused("HTTP \(response.status.code): \(body.prefix(200))")
            default: return .failed("HTTP \(response.status.code): \(body.prefix(200))")
            }
        } catch {
            return .failed("\(error)")
        }
    }
}
