import Foundation
import Hummingbird
import Logging
import LookoutAlerting
import LookoutModel
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

/// Delivery over real HTTP: a Hummingbird receiver on 127.0.0.1 that fails as told.
@Suite(.timeLimit(.minutes(1)))
struct AlertNotifierTests {
    final class Receiver: Sendable {
        let bodies = Mutex<[Data]>([])
        /// Status codes to answer, in order; 200 once they run out.
        let script: Mutex<[Int]>

        init(script: [Int]) { self.script = Mutex(script) }

        /// What arrived with 200, decoded; an Alertmanager batch (an array) as `["alertmanager": batch]`.
        var received: [[String: Any]] {
            bodies.withLock { $0 }.compactMap { data in
                let json = try? JSONSerialization.jsonObject(with: data)
                if let object = json as? [String: Any] { return object }
                if let array = json as? [[String: Any]] { return ["alertmanager": array] }
                return nil
            }
        }
    }

    static let alert = OutgoingAlert(labels: Labels(["alertname": "Down", "instance": "a", "severity": "page"]),
                                     annotations: Labels(["summary": "a is down"]), startsAt: 1_700_000_000_000,
                                     endsAt: 1_700_000_240_000, generatorURL: "http://x/graph?g0.expr=up&g0.tab=1")

    /// Runs a receiver and a notifier pointed at it; `body` gets the notifier and the receiver.
    static func withReceiver(script: [Int], configure: (inout NotifierOptions, String) -> Void,
                             _ body: (AlertNotifier, Receiver) async throws -> Void) async throws {
        var logger = Logger(label: "lookout.test.notifier")
        logger.logLevel = .critical
        let receiver = Receiver(script: script)
        let router = Router()
        router.post("/**") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let status = receiver.script.withLock { $0.isEmpty ? 200 : $0.removeFirst() }
            if status == 200 {
                let data = Data(Array(buffer: bytes))
                receiver.bodies.withLock { $0.append(data) }
            }
            return Response(status: .init(code: status))
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  portContinuation.yield(channel.localAddress?.port ?? 0)
                                  portContinuation.finish()
                              }, logger: logger)
        let appGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await appGroup.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            var options = NotifierOptions()
            options.retryBase = 20
            options.retryMax = 100
            configure(&options, "http://127.0.0.1:\(port)")
            let notifier = AlertNotifier(options: options, logger: logger)
            let notifierGroup = ServiceGroup(configuration: .init(services: [notifier], logger: logger))
            tasks.addTask { try await notifierGroup.run() }
            do {
                try await body(notifier, receiver)
            } catch {
                await notifierGroup.triggerGracefulShutdown()
                await appGroup.triggerGracefulShutdown()
                throw error
            }
            await notifierGroup.triggerGracefulShutdown()
            await appGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    static func waitFor(_ condition: () -> Bool) async throws {
        for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(25)) }
    }

    @Test func webhookRetriesServerErrorsUntilDelivered() async throws {
        try await Self.withReceiver(script: [503, 502, 500]) { options, base in
            options.webhooks = [.init(url: base + "/hook", groupBy: ["alertname"], receiver: "team")]
            options.externalLabels = ["cluster": "c1"]
            options.externalURL = "http://lookout"
        } _: { notifier, receiver in
            notifier.send([Self.alert], now: 1_700_000_100_000)
            try await Self.waitFor { !receiver.received.isEmpty }
            let payload = try #require(receiver.received.first)
            #expect(payload["receiver"] as? String == "team" && payload["status"] as? String == "firing")
            #expect(payload["groupKey"] as? String == #"{}:{alertname="Down"}"#)
            let alerts = try #require(payload["alerts"] as? [[String: Any]])
            #expect(alerts.first?["labels"] as? [String: String] == ["alertname": "Down", "instance": "a", "severity": "page", "cluster": "c1"])
            #expect(alerts.first?["startsAt"] as? String == "2023-11-14T22:13:20Z")
            #expect(alerts.first?["endsAt"] as? String == "0001-01-01T00:00:00Z")
            // The receiver has the body before the notifier has read the answer: wait for the count.
            let sent = "lookout_notifications_sent_total{receiver=\"\(notifier.options.webhooks[0].url)\"} 1"
            try await Self.waitFor { notifier.exposition().firstRange(of: sent) != nil }
            let metrics = notifier.exposition()
            #expect(metrics.firstRange(of: "lookout_notifications_errors_total{receiver=\"\(notifier.options.webhooks[0].url)\"} 3") != nil, "\(metrics)")
            #expect(metrics.firstRange(of: sent) != nil, "\(metrics)")
        }
    }

    @Test func clientErrorsAreNotRetried() async throws {
        try await Self.withReceiver(script: [400]) { options, base in
            options.webhooks = [.init(url: base + "/hook")]
        } _: { notifier, receiver in
            notifier.send([Self.alert], now: 1_700_000_100_000)
            try await Self.waitFor { notifier.exposition().firstRange(of: "dropped_total{receiver=\"\(notifier.options.webhooks[0].url)\"} 1") != nil }
            try await Task.sleep(for: .milliseconds(300))
            #expect(receiver.received.isEmpty)
            #expect(notifier.exposition().firstRange(of: "errors_total{receiver=\"\(notifier.options.webhooks[0].url)\"} 1") != nil)
        }
    }

    @Test func resolvedAlertsAndGroupsByLabels() async throws {
        try await Self.withReceiver(script: []) { options, base in
            options.webhooks = [.init(url: base + "/hook", groupBy: ["severity"])]
        } _: { notifier, receiver in
            var other = Self.alert
            other.labels = Labels(["alertname": "Other", "severity": "page"])
            var resolved = Self.alert
            resolved.endsAt = 1_700_000_050_000
            notifier.send([resolved, other], now: 1_700_000_100_000)
            try await Self.waitFor { !receiver.received.isEmpty }
            let payload = try #require(receiver.received.first)
            #expect(payload["status"] as? String == "firing")
            #expect(payload["groupLabels"] as? [String: String] == ["severity": "page"])
            #expect(payload["commonLabels"] as? [String: String] == ["severity": "page"])
            let alerts = try #require(payload["alerts"] as? [[String: Any]])
            #expect(alerts.map { $0["status"] as? String } == ["resolved", "firing"])
            #expect(alerts.first?["endsAt"] as? String == "2023-11-14T22:14:10Z")
        }
    }

    @Test func alertmanagerGetsTheV2Body() async throws {
        try await Self.withReceiver(script: []) { options, base in
            options.alertmanagers = [base]
        } _: { notifier, receiver in
            notifier.send([Self.alert], now: 1_700_000_100_000)
            try await Self.waitFor { !receiver.received.isEmpty }
            let batch = try #require(receiver.received.first?["alertmanager"] as? [[String: Any]])
            #expect(batch.count == 1)
            #expect(batch[0]["startsAt"] as? String == "2023-11-14T22:13:20.000Z")
            #expect(batch[0]["endsAt"] as? String == "2023-11-14T22:17:20.000Z")
            #expect(batch[0]["generatorURL"] as? String == "http://x/graph?g0.expr=up&g0.tab=1")
            #expect(Set((batch[0] as [String: Any]).keys) == ["labels", "annotations", "startsAt", "endsAt", "generatorURL"])
        }
    }
}
