import Dispatch
import Logging
import LookoutAlerting
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Re-reads the rules files on SIGHUP, as Prometheus does.
struct SignalReloader: Service {
    let manager: RuleManager
    let logger: Logger

    func run() async throws {
        signal(SIGHUP, SIG_IGN)
        let (hangups, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { continuation.yield() }
        source.resume()
        defer { source.cancel() }
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                logger.info("SIGHUP: reloading rules")
                manager.reload()
            }
        }
    }
}
