import ArgumentParser
import AsyncHTTPClient
import Foundation
import LookoutModel
import LookoutServer
import NIOCore
import NIOHTTP1

/// `lookout query 'EXPR'`: runs a PromQL query against a collector and prints a table.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a PromQL query against a running collector and print the result as a table.")

    @Argument(help: "The PromQL expression.")
    var expression: String

    @Option(name: .long, help: "The collector's base URL.")
    var server = "http://127.0.0.1:9411"

    @Option(name: .long, help: "Evaluate over this much time up to now (a range query), e.g. 1h.")
    var range: String?

    @Option(name: .long, help: "Step of a range query (default: the range / 60, at least 1s).")
    var step: String?

    @Option(name: .long, help: "Evaluation time of an instant query: Unix seconds or RFC 3339 (default now).")
    var time: String?

    @Option(name: .long, help: "Bearer token, when the collector requires one for queries.")
    var token: String?

    @concurrent func run() async throws {
        var components = URLComponents(string: server)
        var items = [URLQueryItem(name: "query", value: expression)]
        if let range {
            guard let rangeSeconds = Self.seconds(range) else { fail("--range: \"\(range)\" is not a duration like 1h or 90s") }
            let stepSeconds: Double
            if let step {
                guard let parsed = Self.seconds(step) else { fail("--step: \"\(step)\" is not a duration like 15s") }
                stepSeconds = parsed
            } else {
                stepSeconds = max(1, (rangeSeconds / 60).rounded())
            }
            let end = Date().timeIntervalSince1970
            components?.path = "/api/v1/query_range"
            items += [URLQueryItem(name: "start", value: String(end - rangeSeconds)), URLQueryItem(name: "end", value: String(end)),
                      URLQueryItem(name: "step", value: String(stepSeconds))]
        } else {
            components?.path = "/api/v1/query"
            if let time { items.append(URLQueryItem(name: "time", value: time)) }
        }
        components?.queryItems = items
        // URLComponents leaves "+" alone, but servers read it as a space in a query string.
        let encoded = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components?.percentEncodedQuery = encoded
        guard let url = components?.url?.absoluteString else { fail("--server: \"\(server)\" is not a URL") }
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let body: Data
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(130))
            body = Data(Array(buffer: try await response.body.collect(upTo: 256 << 20)))
        } catch {
            fail("cannot reach \(server): \(error)")
        }
        guard let reply = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            fail("the collector answered something that is not JSON")
        }
        guard reply["status"] as? String == "success", let data = reply["data"] as? [String: Any] else {
            fail((reply["error"] as? String) ?? "the query failed")
        }
        print(Self.table(data), terminator: "")
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("lookout query: \(message)\n".utf8))
        Foundation.exit(1)
    }

    /// `5m`, `1h30m`, or plain seconds.
    static func seconds(_ text: String) -> Double? {
        if let value = Double(text), value > 0 { return value }
        guard let duration = PrometheusDuration.parse(text), duration > .zero else { return nil }
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func labelsText(_ metric: [String: Any]) -> String {
        let name = metric["__name__"] as? String ?? ""
        let rest = metric.filter { $0.key != "__name__" }.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
        if rest.isEmpty { return name.isEmpty ? "{}" : name }
        return name + "{" + rest.joined(separator: ", ") + "}"
    }

    static func timeText(_ value: Any?) -> String {
        guard let seconds = value as? Double else { return "?" }
        let date = Date(timeIntervalSince1970: seconds)
        return date.formatted(.iso8601)
    }

    static func table(_ data: [String: Any]) -> String {
        let type = data["resultType"] as? String ?? ""
        var rows: [[String]] = []
        switch type {
        case "scalar", "string":
            let point = data["result"] as? [Any] ?? []
            rows = [["VALUE", "TIME"], ["\(point.count > 1 ? point[1] : "")", timeText(point.first)]]
        case "vector":
            rows = [["SERIES", "VALUE", "TIME"]]
            for entry in data["result"] as? [[String: Any]] ?? [] {
                let point = entry["value"] as? [Any] ?? []
                rows.append([labelsText(entry["metric"] as? [String: Any] ?? [:]), "\(point.count > 1 ? point[1] : "")", timeText(point.first)])
            }
        default:
            rows = [["SERIES", "TIME", "VALUE"]]
            for entry in data["result"] as? [[String: Any]] ?? [] {
                let labels = labelsText(entry["metric"] as? [String: Any] ?? [:])
                for (index, point) in (entry["values"] as? [[Any]] ?? []).enumerated() {
                    rows.append([index == 0 ? labels : "", timeText(point.first), "\(point.count > 1 ? point[1] : "")"])
                }
            }
        }
        if rows.count == 1 { return "(no data)\n" }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) } }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
