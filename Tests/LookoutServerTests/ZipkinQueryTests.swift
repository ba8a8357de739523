import Foundation
import LookoutCodecs
import LookoutModel
import LookoutServer
import LookoutTestSupport
import NIOHTTP1
import LookoutStorageSQLite
import LookoutStorage
import Testing

@Suite(.timeLimit(.minutes(2)))
struct ZipkinQueryTests {
    @Test func answersEveryQueryEndpoint() async throws {
        try await LiveServer.with(configuration: .test { $0.autocompleteKeys = ["http.path"] }, options: TraceStoreOptions(autocompleteKeys: ["http.path"])) { server async throws in
            let trace = Fixtures.newTrace()
            let rootTs = trace[0].timestamp! / 1000
            #expect(try await server.post("/api/v2/spans", ZipkinJSONV2Encoder.encode(trace)).status == 202)

            #expect(try await server.get("/api/v2/services").json() as? [String] == ["backend", "frontend"])
            #expect(try await server.get("/api/v2/spans?serviceName=backend").json() as? [String] == ["get", "query"])
            #expect(try await server.get("/api/v2/remoteServices?serviceName=FRONTEND").json() as? [String] == ["backend"])
            #expect(try await server.get("/api/v2/autocompleteKeys").json() as? [String] == ["http.path"])
            #expect(try await server.get("/api/v2/autocompleteValues?key=http.path").json() as? [String] == ["/api"])

            let end = rootTs + 1000
            let found = try await server.get("/api/v2/traces?serviceName=backend&annotationQuery=error&endTs=\(end)")
            #expect(found.status == 200)
            let traces = try ZipkinJSONV2Decoder.decodeTraces(found.body)
            #expect(traces.map(Fixtures.sorted) == [Fixtures.sorted(trace)])
            let none = try await server.get("/api/v2/traces?serviceName=frontend&annotationQuery=error&endTs=\(end)")
            #expect(none.text == "[]")

            let deps = try await server.get("/api/v2/dependencies?endTs=\(end)&lookback=86400000")
            #expect(deps.text == #"[{"parent":"backend","child":"db","callCount":1,"errorCount":1},{"parent":"frontend","child":"backend","callCount":1}]"#)

            let other = Fixtures.newTrace()
            #expect(try await server.post("/api/v2/spans", ZipkinJSONV2Encoder.encode(other)).status == 202)
            let many = try await server.get("/api/v2/traceMany?traceIds=\(trace[0].traceID.hexString),\(other[0].traceID.hexString)")
            #expect(Set(try ZipkinJSONV2Decoder.decodeTraces(many.body).map(Fixtures.sorted)) == [Fixtures.sorted(trace), Fixtures.sorted(other)])
        }
    }

    @Test func rejectsBadParametersWithZipkinMessages() async throws {
        try await LiveServer.with { server async throws in
            let cases: [(String, Int, String)] = [
                ("/api/v2/traces?endTs=0", 400, "endTs <= 0"),
                ("/api/v2/traces?lookback=0", 400, "lookback <= 0"),
                ("/api/v2/traces?limit=0", 400, "limit <= 0"),
                ("/api/v2/traces?minDuration=0", 400, "minDuration <= 0"),
                ("/api/v2/traces?maxDuration=5", 400, "maxDuration is only valid with minDuration"),
                ("/api/v2/traces?minDuration=5&maxDuration=4", 400, "maxDuration < minDuration"),
                ("/api/v2/traces?limit=ten", 400, #"limit must be an integer, not "ten""#),
                ("/api/v2/trace/0e8b46e1-81b", 400, "0e8b46e1-81b should be lower-hex encoded with no prefix"),
                ("/api/v2/trace/463ac35c9f6413ad", 404, "463ac35c9f6413ad not found"),
                ("/api/v2/trace/463ac35c9f6413ad%20", 404, "463ac35c9f6413ad not found"),
                ("/api/v2/traceMany?traceIds=", 400, "traceIds parameter is empty"),
                ("/api/v2/traceMany?traceIds=463ac35c9f6413ad", 400, "Use /api/v2/trace/{traceId} endpoint to retrieve a single trace"),
                ("/api/v2/traceMany?traceIds=463ac35c9f6413ad,0463ac35c9f6413ad", 400, "redundant traceId: 463ac35c9f6413ad"),
                ("/api/v2/dependencies?endTs=0", 400, "endTs <= 0"),
                ("/api/v2/dependencies?endTs=1&lookback=0", 400, "lookback <= 0"),
                ("/api/v2/dependencies", 400, "endTs is required"),
                ("/api/v2/spans", 400, "serviceName is required"),
                ("/api/v2/traces?lookback=", 400, #"lookback must be an integer, not """#),
                ("/api/v2/dependencies?endTs=9223372036854775806&lookback=1647512036510", 200, "[]"),
                ("/api/v2/traces?endTs=9223372036854775807&lookback=9223372036854775807", 200, "[]"),
            ]
            for (path, status, message) in cases {
                let reply = try await server.get(path)
                #expect(reply.status == status, "\(path)")
                #expect(reply.text == message, "\(path)")
            }
            #expect(try await server.get("/api/v2/spans?serviceName=").text == "[]")
        }
    }

    @Test func decodesPlusAsSpaceInQueries() async throws {
        try await LiveServer.with { server async throws in
            let span = Span(traceID: Fixtures.randomTraceID(), id: 1, name: "authorize card", timestamp: Fixtures.today * 1000,
                            localEndpoint: Endpoint(serviceName: "payments"), tags: ["note": "a+b"])
            #expect(try await server.post("/api/v2/spans", ZipkinJSONV2Encoder.encode([span])).status == 202)
            let end = Fixtures.today + 1000
            let byName = try await server.get("/api/v2/traces?spanName=authorize+card&endTs=\(end)")
            #expect(try ZipkinJSONV2Decoder.decodeTraces(byName.body) == [[span]])
            let byTag = try await server.get("/api/v2/traces?annotationQuery=note%3Da%2Bb&endTs=\(end)")
            #expect(try ZipkinJSONV2Decoder.decodeTraces(byTag.body) == [[span]])
        }
    }

    @Test func refusesTheTraceMethod() async throws {
        try await LiveServer.with { server async throws in
            #expect(try await server.request(.TRACE, "/api/v2/services").status == 405)
            #expect(try await server.request(.TRACE, "/health").status == 405)
        }
    }

    @Test func allowsAnyOriginOnTheAPI() async throws {
        try await LiveServer.with { server async throws in
            let reply = try await server.get("/api/v2/services", headers: [("Origin", "http://example.com")])
            #expect(reply.headers.first(name: "access-control-allow-origin") == "*")
            #expect(reply.headers.first(name: "access-control-allow-credentials") == nil)
        }
    }

    @Test func setsCacheControlOnceThereAreMoreThanThreeServices() async throws {
        try await LiveServer.with { server async throws in
            var spans: [Span] = []
            for (index, name) in ["a", "b", "c"].enumerated() {
                spans.append(Span(traceID: Fixtures.randomTraceID(), id: UInt64(index + 1), timestamp: 1,
                                  localEndpoint: Endpoint(serviceName: name)))
            }
            #expect(try await server.post("/api/v2/spans", ZipkinJSONV2Encoder.encode(spans)).status == 202)
            #expect(try await server.get("/api/v2/services").headers.first(name: "cache-control") == nil)
            let fourth = Span(traceID: Fixtures.randomTraceID(), id: 9, timestamp: 1, localEndpoint: Endpoint(serviceName: "d"))
            #expect(try await server.post("/api/v2/spans", ZipkinJSONV2Encoder.encode([fourth])).status == 202)
            #expect(try await server.get("/api/v2/services").headers.first(name: "cache-control") == "max-age=300, must-revalidate")
            #expect(try await server.get("/api/v2/spans?serviceName=a").headers.first(name: "cache-control") == "max-age=300, must-revalidate")
        }
    }

    @Test func healthHasZipkinsShape() async throws {
        try await LiveServer.with { server async throws in
            let reply = try await server.get("/health")
            let body = try #require(try reply.json() as? [String: Any])
            #expect(body["status"] as? String == "UP")
        }
    }
}
