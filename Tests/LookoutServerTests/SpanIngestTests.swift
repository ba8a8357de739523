import CompressNIO
import Foundation
import LookoutCodecs
import LookoutModel
import LookoutServer
import LookoutTestSupport
import NIOCore
import NIOHTTP1
import LookoutStorageSQLite
import Testing

@Suite(.timeLimit(.minutes(2)))
struct SpanIngestTests {
    let trace = Fixtures.newTrace()

    func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        let compressed = try buffer.compress(with: .gzip())
        return Array(buffer: compressed)
    }

    @Test func storesJSONAndReturnsItByID() async throws {
        try await LiveServer.with { server async throws in
            let reply = try await server.post("/api/v2/spans", ZipkinJSONV2Encoder.encode(trace))
            #expect(reply.status == 202)
            #expect(reply.body.isEmpty)
            let read = try await server.get("/api/v2/trace/\(trace[0].traceID.hexString)")
            #expect(read.status == 200)
            #expect(read.headers.first(name: "content-type") == "application/json")
            #expect(Fixtures.sorted(try ZipkinJSONV2Decoder.decodeSpans(read.body)) == Fixtures.sorted(trace))
        }
    }

    @Test func acceptsProto3AndGzip() async throws {
        try await LiveServer.with { server async throws in
            var proto: [UInt8] = []
            ZipkinProto3.encode(trace, into: &proto)
            #expect(try await server.post("/api/v2/spans", try gzip(proto), contentType: "application/x-protobuf",
                                          headers: [("Content-Encoding", "gzip")]).status == 202)
            let stored = try await server.store.trace(id: trace[0].traceID)
            #expect(Fixtures.sorted(stored) == Fixtures.sorted(trace))
        }
    }

    @Test func retriedBatchIsStoredOnce() async throws {
        try await LiveServer.with { server async throws in
            let payload = ZipkinJSONV2Encoder.encode(trace)
            #expect(try await server.post("/api/v2/spans", payload).status == 202)
            #expect(try await server.post("/api/v2/spans", payload).status == 202)
            #expect(try await server.store.trace(id: trace[0].traceID).count == trace.count)
        }
    }

    @Test func acceptsEmptyBodiesOnEveryRoute() async throws {
        try await LiveServer.with { server async throws in
            for path in ["/api/v2/spans", "/api/v1/spans"] {
                for payload in [[UInt8](), Array("[]".utf8), Array(" [ ] ".utf8)] {
                    #expect(try await server.post(path, payload).status == 202)
                    #expect(try await server.post(path, try gzip(payload), headers: [("Content-Encoding", "gzip")]).status == 202)
                }
            }
            #expect(try await server.post("/api/v2/spans", [], contentType: "application/x-protobuf").status == 202)
            #expect(try await server.post("/api/v2/spans", Array("[]".utf8), contentType: nil).status == 202)
        }
    }

    @Test func rejectsBadInputWithClearErrorsAndKeepsServing() async throws {
        try await LiveServer.with(configuration: .test { $0.maxRequestBytes = 64 << 10 }) { server async throws in
            let cases: [(body: [UInt8], contentType: String?, headers: [(String, String)], status: Int, message: String)] = [
                (Array(#"[{"traceId":"1","id":"1"},{"traceId":"XYZ","id":"2"}]"#.utf8), "application/json", [], 400,
                 "span 1: traceId: XYZ should be lower-hex encoded with no prefix"),
                (Array(#"[{"traceId":"1","#.utf8), "application/json", [], 400, "span 0: unexpected end of input, expected a string"),
                ([1, 2, 3, 4], "application/json", [], 400, "Expected a JSON_V2 encoded list"),
                ([1, 2, 3, 4], "application/json", [("Content-Encoding", "gzip")], 400, "Cannot gunzip spans"),
                (Array(#"[{"traceId":"1","id":"1","binaryAnnotations":[]}]"#.utf8), "application/json", [], 400,
                 "Expected a JSON_V2 encoded list, but received: JSON_V1"),
                ([0x0A, 0xFF], "application/x-protobuf", [], 400, "span 0: truncated input"),
                // Not whitespace in proto3: 0x0A is the ListOfSpans field tag.
                ([0x0A, 0x0A], "application/x-protobuf", [], 400, "span 0: truncated input"),
                (Array("[]".utf8), "text/plain", [], 415,
                 #"unsupported Content-Type "text/plain"; expected application/json or application/x-protobuf"#),
                ([UInt8](repeating: 0x20, count: 70_000), "application/json", [], 413,
                 "request body of 70000 bytes exceeds the limit of 65536 bytes"),
                (try gzip(Array("[".utf8) + [UInt8](repeating: 0x20, count: 10_000_000) + Array("]".utf8)), "application/json",
                 [("Content-Encoding", "gzip")], 413, "gzip body inflates past the limit of 65536 bytes"),
                // One byte over the limit once inflated.
                (try gzip(Array("[".utf8) + [UInt8](repeating: 0x20, count: 65_535) + Array("]".utf8)), "application/json",
                 [("Content-Encoding", "gzip")], 413, "gzip body inflates past the limit of 65536 bytes"),
            ]
            for item in cases {
                let reply = try await server.post("/api/v2/spans", item.body, contentType: item.contentType, headers: item.headers)
                #expect(reply.status == item.status, "\(item.message)")
                if item.message.hasPrefix("span 0: truncated") {
                    #expect(reply.text.hasPrefix("span 0:"), "proto error names the span: \(reply.text)")
                } else {
                    #expect(reply.text == item.message)
                }
            }
            // The first valid span of the rejected batch was not half-stored.
            #expect(try await server.store.trace(id: TraceID(low: 1)).isEmpty)
            #expect(try await server.get("/health").status == 200)
            #expect(try await server.post("/api/v2/spans", ZipkinJSONV2Encoder.encode(trace)).status == 202)
        }
    }

    @Test func v1RouteGuardsAgainstV2Bodies() async throws {
        try await LiveServer.with { server async throws in
            let reply = try await server.post("/api/v1/spans", ZipkinJSONV2Encoder.encode(trace))
            #expect(reply.status == 400)
            #expect(reply.text == "Expected a JSON_V1 encoded list, but received: JSON_V2")
            #expect(try await server.post("/api/v1/spans", Array("[]".utf8), contentType: "application/x-thrift").status == 415)
            // A bare span is valid in both formats.
            let bare = Array(#"[{"traceId":"1","id":"1","name":"test"}]"#.utf8)
            #expect(try await server.post("/api/v1/spans", bare).status == 202)
        }
    }

    @Test func countsWhatItReceivesInMetrics() async throws {
        try await LiveServer.with { server async throws in
            #expect(try await server.post("/api/v2/spans", ZipkinJSONV2Encoder.encode(trace)).status == 202)
            #expect(try await server.post("/api/v2/spans", Array("[{".utf8)).status == 400)
            let text = try await server.get("/metrics").text
            #expect(text.contains(#"lookout_spans_received_total{format="json_v2"} 4"#))
            #expect(text.contains(#"lookout_span_requests_malformed_total{format="json_v2"} 1"#))
            #expect(text.contains(#"lookout_http_request_duration_seconds_count{route="/api/v2/spans",method="POST",status="202"} 1"#))
        }
    }

    @Test func requiresBearerTokensWhenConfigured() async throws {
        try await LiveServer.with(configuration: .test { $0.ingestTokens = ["in-secret"]; $0.queryTokens = ["q-secret"] }) { server async throws in
            let payload = ZipkinJSONV2Encoder.encode(trace)
            #expect(try await server.post("/api/v2/spans", payload).status == 401)
            #expect(try await server.post("/api/v2/spans", payload, headers: [("Authorization", "Bearer q-secret")]).status == 401)
            #expect(try await server.post("/api/v2/spans", payload, headers: [("Authorization", "Bearer in-secret")]).status == 202)
            #expect(try await server.get("/api/v2/services").status == 401)
            #expect(try await server.get("/api/v2/services", headers: [("Authorization", "Bearer q-secret")]).status == 200)
        }
    }
}
