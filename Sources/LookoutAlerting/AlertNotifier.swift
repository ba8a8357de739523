import AsyncHTTPClient
import Foundation
import Logging
import LookoutModel
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Where alerts go. Durations in ms.
public struct NotifierOptions: Sendable {
    public struct Webhook: Sendable, Equatable {
        public var url: String
        /// Alerts sharing these labels' values travel in one notification.
        public var groupBy: [String]
        public var receiver: String

        public init(url: String, groupBy: [String] = ["alertname"], receiver: String = "webhook") {
            self.url = url
            self.groupBy = groupBy
            self.receiver = receiver
        }
    }

    /// Base URLs; alerts are POSTed to `<url>/api/v2/alerts`.
    public var alertmanagers: [String] = []
    public var webhooks: [Webhook] = []
    public var externalLabels: [String: String] = [:]
    public var externalURL = ""
    /// Notifications waiting per destination; past it the oldest are dropped (and counted).
    public var queueCapacity = 10_000
    /// Webhook retries: exponential from `retryBase` up to `retryMax`, with jitter, at most `maxAttempts` tries.
    public var retryBase: Int64 = 500
    public var retryMax: Int64 = 30_000
    public var maxAttempts = 8
    public var timeout: Int64 = 10_000

    public init() {}
}

/// Delivers alerts to Alertmanagers and webhooks. Each destination has its own bounded queue and
/// task, so a receiver that is down never blocks rule evaluation or the other receivers.
public final class AlertNotifier: Service, Sendable {
    struct Destination: Sendable {
        enum Kind: Sendable {
            case alertmanager
            case webhook(NotifierOptions.Webhook)
        }

        var name: String
        var url: String
        var kind: Kind
    }

    struct Counters: Sendable {
        var sent = 0
        var errors = 0
        var dropped = 0
    }

    struct Queue {
        var bodies: [[UInt8]] = []
        var waiter: CheckedContinuation<Void, Never>?
        var counters = Counters()
    }

    public let options: NotifierOptions
    let destinations: [Destination]
    private let queues: Mutex<[Queue]>
    private let client: HTTPClient
    private let logger: Logger

    public init(options: NotifierOptions, logger: Logger) {
        self.options = options
        var destinations: [Destination] = []
        for url in options.alertmanagers {
            let base = url.hasSuffix("/") ? String(url.dropLast()) : url
            destinations.append(Destination(name: url, url: base + "/api/v2/alerts", kind: .alertmanager))
        }
        for webhook in options.webhooks {
            destinations.append(Destination(name: webhook.url, url: webhook.url, kind: .webhook(webhook)))
        }
        self.destinations = destinations
        self.queues = Mutex(destinations.map { _ in Queue() })
        self.client = HTTPClient(eventLoopGroupProvider: .singleton)
        self.logger = logger
    }

    public var isEmpty: Bool { destinations.isEmpty }

    /// Queues the alerts for every destination; returns at once.
    public func send(_ alerts: [OutgoingAlert], now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) {
        guard !alerts.isEmpty else { return }
        let labelled = alerts.map { alert -> OutgoingAlert in
            var alert = alert
            let missing = options.externalLabels.filter { alert.labels[$0.key] == nil }
            if !missing.isEmpty { alert.labels = applying(missing, to: alert.labels) }
            return alert
        }
        for (index, destination) in destinations.enumerated() {
            var bodies: [[UInt8]] = []
            switch destination.kind {
            case .alertmanager:
                var start = 0
                while start < labelled.count {
                    let end = min(labelled.count, start + 256)
                    bodies.append(AlertPayloads.alertmanager(Array(labelled[start..<end])))
                    start = end
                }
            case .webhook(let webhook):
                var groups: [Labels: [OutgoingAlert]] = [:]
                for alert in labelled {
                    let key = Labels(sorted: alert.labels.pairs.filter { webhook.groupBy.contains($0.name) })
                    groups[key, default: []].append(alert)
                }
                for (groupLabels, alerts) in groups.sorted(by: { $0.key < $1.key }) {
                    bodies.append(AlertPayloads.webhook(receiver: webhook.receiver, groupLabels: groupLabels, alerts: alerts,
                                                        externalURL: options.externalURL, now: now))
                }
            }
            let waiter = queues.withLock { queues -> CheckedContinuation<Void, Never>? in
                queues[index].bodies.append(contentsOf: bodies)
                let excess = queues[index].bodies.count - options.queueCapacity
                if excess > 0 {
                    queues[index].bodies.removeFirst(excess)
                    queues[index].counters.dropped += excess
                }
                defer { queues[index].waiter = nil }
                return queues[index].waiter
            }
            waiter?.resume()
        }
    }

    public func run() async throws {
        if destinations.isEmpty {
            // Nothing to deliver to; a service that returned early would stop the whole group.
            try? await gracefulShutdown()
            try? await client.shutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { tasks in
                for index in self.destinations.indices {
                    tasks.addTask { await self.deliver(index) }
                }
            }
        }
        try? await client.shutdown()
    }

    private func deliver(_ index: Int) async {
        let destination = destinations[index]
        while !Task.isCancelled {
            let body = await next(index)
            guard let body else { continue }
            let retries: Bool
            if case .webhook = destination.kind { retries = true } else { retries = false }
            var attempt = 0
            while true {
                attempt += 1
                let outcome = await post(body, to: destination.url, alertmanager: !retries)
                switch outcome {
                case .success:
                    queues.withLock { $0[index].counters.sent += 1 }
                case .permanentFailure(let reason):
                    queues.withLock { $0[index].counters.errors += 1; $0[index].counters.dropped += 1 }
                    logger.warning("alert notification refused", metadata: ["lookout.receiver": "\(destination.name)", "error": "\(reason)"])
                case .temporaryFailure(let reason):
                    queues.withLock { $0[index].counters.errors += 1 }
                    if retries && attempt < options.maxAttempts && !Task.isCancelled {
                        let backoff = min(options.retryMax, options.retryBase << min(attempt - 1, 20))
                        let jittered = backoff / 2 + Int64.random(in: 0...max(1, backoff / 2))
                        logger.notice("alert notification failed; retrying", metadata: [
                            "lookout.receiver": "\(destination.name)", "lookout.attempt": "\(attempt)",
                            "lookout.retry_in_ms": "\(jittered)", "error": "\(reason)",
                        ])
                        do { try await Task.sleep(for: .milliseconds(jittered)) } catch { return }
                        continue
                    }
                    queues.withLock { $0[index].counters.dropped += 1 }
                    logger.warning("alert notification failed", metadata: ["lookout.receiver": "\(destination.name)", "error": "\(reason)"])
                }
                break
            }
        }
    }

    /// The next queued body, waiting for one; nil when woken without work (shutdown).
    private func next(_ index: Int) async -> [UInt8]? {
        if let body = queues.withLock({ $0[index].bodies.isEmpty ? nil : $0[index].bodies.removeFirst() }) { return body }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = queues.withLock { queues -> Bool in
                    if !queues[index].bodies.isEmpty || Task.isCancelled { return true }
                    queues[index].waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = queues.withLock { queues -> CheckedContinuation<Void, Never>? in
                defer { queues[index].waiter = nil }
                return queues[index].waiter
            }
            waiter?.resume()
        }
        return queues.withLock { $0[index].bodies.isEmpty ? nil : $0[index].bodies.removeFirst() }
    }

    enum Outcome {
        case success
        case temporaryFailure(String)
        case permanentFailure(String)
    }

    private func post(_ body: [UInt8], to url: String, alertmanager: Bool) async -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Lookout")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(options.timeout))
            _ = try? await response.body.collect(upTo: 1 << 16)
            switch response.status.code {
            case 200..<300: return .success
            case 400..<500: return .permanentFailure("HTTP \(response.status.code)")
            default: return .temporaryFailure("HTTP \(response.status.code)")
            }
        } catch {
            return .temporaryFailure("\(error)")
        }
    }

    /// Prometheus text lines for /metrics.
    public func exposition() -> String {
        guard !destinations.isEmpty else { return "" }
        let rows = destinations.indices.map { index in
            (destinations[index], queues.withLock { ($0[index].counters, $0[index].bodies.count) })
        }
        var text = ""
        func family(_ name: String, _ type: String, _ help: String, _ value: (Counters, Int) -> Int) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (destination, (counters, queued)) in rows {
                text += "\(name){receiver=\"\(LabelText.escape(destination.name))\"} \(value(counters, queued))\n"
            }
        }
        family("lookout_notifications_sent_total", "counter", "Notifications delivered.") { counters, _ in counters.sent }
        family("lookout_notifications_errors_total", "counter", "Failed delivery attempts.") { counters, _ in counters.errors }
        family("lookout_notifications_dropped_total", "counter", "Notifications given up on or pushed out of a full queue.") { counters, _ in counters.dropped }
        family("lookout_notifications_queue_length", "gauge", "Notifications waiting.") { _, queued in queued }
        return text
    }
}
