import Foundation
import Logging
import LookoutModel
import LookoutQuery
import LookoutStorage
import ServiceLifecycle
import Synchronization

/// Request, error and latency metrics of traced services, derived from the spans they send and
/// stored as time series under the names OpenTelemetry's spanmetrics connector uses
/// (`traces_span_metrics_calls_total`, `traces_span_metrics_duration_seconds_*`), so alert rules
/// and dashboards written for it work on Lookout unchanged. Labelled by service, span kind and
/// status only: span names can be unbounded (`get /users/123`).
public final class SpanMetrics: Service, Sendable {
    /// The connector's default histogram buckets, in seconds.
    public static let buckets: [Double] = [0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15]

    struct Key: Hashable {
        var service: String
        var kind: String
        var status: String
    }

    struct Totals {
        var calls = 0
        /// Per bucket, not cumulative; the last one is `+Inf`.
        var bucketCounts = [Int](repeating: 0, count: SpanMetrics.buckets.count + 1)
        var sumSeconds: Double = 0
    }

    struct State {
        var totals: [Key: Totals] = [:]
        var droppedKeys = 0
        /// Keys already written once, and when the last write was.
        var written = Set<Key>()
        var lastWrite: Int64?
    }

    private let state = Mutex(State())
    private let appender: any MetricAppender
    private let interval: Duration
    private let maxKeys: Int
    private let logger: Logger

    public init(appender: any MetricAppender, interval: Duration = .seconds(15), maxKeys: Int = 10_000, logger: Logger) {
        self.appender = appender
        self.interval = interval
        self.maxKeys = maxKeys
        self.logger = logger
    }

    /// Counts spans that were stored. Spans without a duration (fragments of a span reported
    /// in parts) carry no latency and are left out.
    public func observe(_ spans: [Span]) {
        state.withLock { state in
            for span in spans {
                guard let micros = span.duration else { continue }
                let failed = span.tags["error"] != nil || span.tags["otel.status_code"] == "ERROR"
                let key = Key(service: span.localServiceName ?? "unknown",
                              kind: span.kind.map { "SPAN_KIND_" + $0.rawValue } ?? "SPAN_KIND_UNSPECIFIED",
                              status: failed ? "STATUS_CODE_ERROR" : "STATUS_CODE_UNSET")
                if state.totals[key] == nil && state.totals.count >= maxKeys {
                    state.droppedKeys += 1
                    continue
                }
                let seconds = Double(micros) / 1_000_000
                let bucket = Self.buckets.partitioningIndex { $0 >= seconds }
                state.totals[key, default: Totals()].calls += 1
                state.totals[key, default: Totals()].bucketCounts[bucket] += 1
                state.totals[key, default: Totals()].sumSeconds += seconds
            }
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: self.interval) } catch { break }
                await self.write()
            }
        }
        await write()
    }

    /// Appends the running totals, as cumulative counters at the current time.
    func write(at time: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) async {
        let (totals, dropped, written, lastWrite) = state.withLock { state in
            defer {
                state.written.formUnion(state.totals.keys)
                state.lastWrite = time
            }
            return (state.totals, state.droppedKeys, state.written, state.lastWrite)
        }
        guard !totals.isEmpty else { return }
        // A new series starts with a zero at the previous write, when its count was zero, so
        // that rate() and increase() count its first spans.
        let start = min(lastWrite ?? time - interval.wholeMilliseconds, time - 1)
        var batch = MetricBatch()
        for (key, total) in totals {
            let base = [Label("service_name", key.service), Label("span_kind", key.kind), Label("status_code", key.status)]
            let isNew = !written.contains(key)
            func add(_ name: String, _ extra: [Label], _ value: Double) {
                if let labels = Labels(unsorted: base + extra + [Label(Labels.metricName, name)]) {
                    batch.append(labels, isNew ? [MetricSample(start, 0), MetricSample(time, value)] : [MetricSample(time, value)])
                }
            }
            add("traces_span_metrics_calls_total", [], Double(total.calls))
            var cumulative = 0
            for (index, count) in total.bucketCounts.enumerated() {
                cumulative += count
                let bound = index < Self.buckets.count ? PromQLNumber.format(Self.buckets[index]) : "+Inf"
                add("traces_span_metrics_duration_seconds_bucket", [Label("le", bound)], Double(cumulative))
            }
            add("traces_span_metrics_duration_seconds_sum", [], total.sumSeconds)
            add("traces_span_metrics_duration_seconds_count", [], Double(total.calls))
        }
        do {
            _ = try await appender.append(batch, idempotencyKey: nil)
        } catch {
            logger.warning("storing span metrics failed", metadata: ["error": "\(error)"])
        }
        if dropped > 0 {
            logger.notice("span metrics at their series limit", metadata: ["lookout.dropped_spans": "\(dropped)"])
        }
    }
}
