import Foundation
import Synchronization
import LeptonIO
@testable import LeptonServe
import LeptonTestSupport
import XCTest

/// The scoring server end to end over loopback, with a toy tabular model: answers, refusals
/// with the right status, the API key, limits, time limits, reloads, metrics and concurrency.
final class ScoringServerTests: XCTestCase {
    func testScoresOneRecordAsAnObjectAndAListInRequestOrder() throws {
        let h = try ServeHarness()
        defer { h.stop() }
        let one = try h.post(#"{"x": 1.5, "y": 2, "unused": [1, 2]}"#)
        XCTAssertEqual(one.status, 200, one.text)
        XCTAssertEqual(one.text, #"{"row":"1","sum":3.5,"decision":"high"}"#)
        // A JSON number for the text ID is its text; null is a missing value; order is kept.
        let list = try h.post(#"[{"x": 1, "y": 1, "id": 1007}, {"x": -5, "y": null}, {"x": "2", "y": "0", "id": "A-9"}]"#)
        XCTAssertEqual(list.status, 200, list.text)
        XCTAssertEqual(list.text, #"[{"id":"1007","sum":2,"decision":"high"},{"row":"2","sum":-5,"decision":"low"},{"id":"A-9","sum":2,"decision":"high"}]"#)
        XCTAssertEqual(try h.metric("lepton_records_scored_total"), 4)
    }

    func testRefusalsNameTheFieldWithStatus400() throws {
        let h = try ServeHarness()
        defer { h.stop() }
        let cases: [(String, Int, String?)] = [
            (#"{"x": 1}"#, 400, "y"),                                  // a missing field
            (#"{"x": "abc", "y": 1}"#, 400, "x"),                      // text where a number belongs
            (#"{"x": {"a": 1}, "y": 1}"#, 400, "x"),                   // an object where a value belongs
            (#"{"x": 1, "y": 1, "x": 2}"#, 400, "x"),                   // a field twice
            (#"{"x": 1, "y": "#, 400, nil),                             // truncated JSON
            (#"[{"x": 1, "y": 2}, 7]"#, 400, nil),                      // not an object in the list
            ("\"just text\"", 400, nil),
            (String(repeating: "[", count: 50_000), 400, nil),          // deep nesting
        ]
        for (body, status, field) in cases {
            let answer = try h.post(body)
            XCTAssertEqual(answer.status, status, "\(body.prefix(40)): \(answer.text)")
            let json = try XCTUnwrap(answer.json() as? [String: Any])
            XCTAssertEqual(json["field"] as? String, field, answer.text)
            XCTAssertFalse((json["error"] as? String ?? "").isEmpty)
        }
        let inList = try h.post(#"[{"x": 1, "y": 2}, {"x": 1, "y": "z"}]"#)
        XCTAssertEqual(inList.status, 400)
        XCTAssertTrue(inList.text.contains("record 2"), inList.text)
        XCTAssertGreaterThanOrEqual(try h.metric(#"lepton_requests_total{path="/v1/score",status="400"}"#), Double(cases.count + 1))
        // Still serving after all of that.
        XCTAssertEqual(try h.post(#"{"x": 1, "y": 2}"#).status, 200)
    }

    func testAHundredRecordsOfThirtyFieldsAreOrdinary() throws {
        let h = try ServeHarness()
        defer { h.stop() }
        let record = "{" + (0..<28).map { "\"f\($0)\": \($0)" }.joined(separator: ", ") + ", \"x\": 1, \"y\": 2}"
        let answer = try h.post("[" + Array(repeating: record, count: 100).joined(separator: ",") + "]")
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual((try answer.json() as? [Any])?.count, 100)
        // Over the per-record field limit: 413.
        let wide = "{" + (0..<40).map { "\"f\($0)\": \($0)" }.joined(separator: ", ") + ", \"x\": 1, \"y\": 2}"
        let h2 = try ServeHarness(arguments: ["--max-fields", "30"])
        defer { h2.stop() }
        XCTAssertEqual(try h2.post(wide).status, 413)
    }

    func testAPIKeyGuardsV1PathsOnly() throws {
        let folder = try TemporaryDirectory()
        let keyFile = try folder.write("key", "0123456789abcdef0123456789abcdef\n")
        let h = try ServeHarness(arguments: ["--api-key-file", keyFile])
        defer { h.stop() }
        let body = #"{"x": 1, "y": 2}"#
        let without = try h.post(body)
        XCTAssertEqual(without.status, 401)
        XCTAssertEqual(without.headers["www-authenticate"], "Bearer")
        XCTAssertEqual(try h.post(body, headers: ["Authorization": "Bearer 0123456789abcdef0123456789abcdeX"]).status, 403)
        XCTAssertEqual(try h.post(body, headers: ["Authorization": "Bearer 0123456789abcdef0123456789abcdef"]).status, 200)
        XCTAssertEqual(try h.get("/v1/model").status, 401)
        XCTAssertEqual(try h.get("/v1/model", headers: ["Authorization": "Bearer 0123456789abcdef0123456789abcdef"]).status, 200)
        for open in ["/healthz", "/readyz", "/metrics"] { XCTAssertEqual(try h.get(open).status, 200, open) }
        XCTAssertEqual(try h.metric(#"lepton_requests_total{path="/v1/score",status="401"}"#), 1)
        XCTAssertEqual(try h.metric(#"lepton_requests_total{path="/v1/score",status="403"}"#), 1)
    }

    func testKeysCompareInConstantTimeAndShortKeysAreRefused() throws {
        XCTAssertTrue(APIKey.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        XCTAssertFalse(APIKey.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        XCTAssertFalse(APIKey.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
        XCTAssertFalse(APIKey.constantTimeEqual([], Array("a".utf8)))
        XCTAssertThrowsError(try APIKey(key: "short"))
        let key = try APIKey(key: "  0123456789abcdef  ")
        XCTAssertEqual(key.check(authorization: "bearer 0123456789abcdef"), .accepted)
        XCTAssertEqual(key.check(authorization: "Basic 0123456789abcdef"), .missing)
        XCTAssertEqual(key.check(authorization: nil), .missing)
        XCTAssertEqual(key.check(authorization: "Bearer 0123456789abcdeF"), .wrong)
    }

    func testRefusesToListenBeyondLoopbackWithoutAKey() {
        XCTAssertThrowsError(try ServeOptions.parse(["--model", "m", "--host", "0.0.0.0"]))
        XCTAssertNoThrow(try ServeOptions.parse(["--model", "m", "--host", "127.0.0.1"]))
        XCTAssertNoThrow(try ServeOptions.parse(["--model", "m", "--host", "0.0.0.0", "--api-key-file", "k"]))
        XCTAssertNoThrow(try ServeOptions.parse(["--model", "m", "--host", "127.1.2.3"]))
        XCTAssertNoThrow(try ServeOptions.parse(["--model", "m", "--host", "::1"]))
        for outside in ["127.example.com", "1270.0.0.1", "127.0.0.1.nip.io", "10.0.0.1"] {
            XCTAssertThrowsError(try ServeOptions.parse(["--model", "m", "--host", outside]), outside)
        }
    }

    func testAnOverLongBodyIsAnswered413AndTheClientReadsIt() throws {
        let h = try ServeHarness(arguments: ["--max-body-bytes", "1000000"])
        defer { h.stop() }
        let big = [UInt8](repeating: UInt8(ascii: "7"), count: 100_000_000)  // 100 MB
        let answer = try HTTPTestClient.send(port: h.port, method: "POST", path: "/v1/score", headers: ["Content-Type": "application/json"], body: big)
        XCTAssertEqual(answer.status, 413, answer.text)
        XCTAssertEqual(try h.metric(#"lepton_requests_total{path="/v1/score",status="413"}"#), 1)
        XCTAssertEqual(try h.post(#"{"x": 1, "y": 2}"#).status, 200)
    }

    func testASlowClientGets408AndOthersAreServedMeanwhile() throws {
        let h = try ServeHarness(arguments: ["--timeout-ms", "500"])
        defer { h.stop() }
        let slow = try RawConnection(port: h.port, timeout: 10)
        defer { slow.close() }
        try slow.write(Array("POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"x\"".utf8))
        XCTAssertEqual(try h.post(#"{"x": 1, "y": 2}"#).status, 200)
        let started = Date()
        let answer = try HTTPTestClient.parse(slow.readToEnd())
        XCTAssertEqual(answer.status, 408, answer.text)
        XCTAssertLessThan(Date().timeIntervalSince(started), 8)
    }

    /// One scoring thread busy for 2 s with the first request: the second, queued behind it, is
    /// answered 504 at its 200 ms limit (not after the first finishes); the first, completed late,
    /// still gets its answer.
    func testARequestQueuedPastTheTimeLimitIs504Promptly() throws {
        // The responder's path: inline answers are scored on the event loop, with no queue to leave.
        let h = try ServeHarness(arguments: ["--timeout-ms", "200", "--no-inline-answers"], delay: 2.0, threads: 1)
        defer { h.stop() }
        let port = h.port
        let results = onThreads(2) { k -> (Int, Double) in
            if k == 1 { Thread.sleep(forTimeInterval: 0.1) }
            let started = Date()
            let status = (try? HTTPTestClient.post(port: port, path: "/v1/score", json: #"{"x": 1, "y": 2}"#).status) ?? -1
            return (status, Date().timeIntervalSince(started))
        }
        XCTAssertEqual(results[0].0, 200, "the leader's own answer, completed, is sent")
        XCTAssertEqual(results[1].0, 504)
        XCTAssertLessThan(results[1].1, 1.5, "answered at its limit, not after the 2 s batch ahead of it")
        XCTAssertEqual(try h.metric(#"lepton_requests_total{path="/v1/score",status="504"}"#), 1)
    }

    /// The server-wide budget of body bytes: while one slow client holds most of it, another
    /// request is answered 503 instead of adding to memory.
    func testBodiesInFlightAreBoundedServerWide() throws {
        let h = try ServeHarness(arguments: ["--max-body-bytes", "1000", "--max-body-bytes-in-flight", "1000"])
        defer { h.stop() }
        let slow = try RawConnection(port: h.port, timeout: 10)
        defer { slow.close() }
        let padding = String(repeating: " ", count: 800)
        try slow.write(Array("POST /v1/score HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(padding.utf8.count + 16)\r\n\r\n\(padding)".utf8))
        Thread.sleep(forTimeInterval: 0.2)
        let refused = try h.post(String(repeating: " ", count: 500) + #"{"x": 1, "y": 2}"#)
        XCTAssertEqual(refused.status, 503, refused.text)
        try slow.write(Array(#"{"x": 1, "y": 2}"#.utf8))
        XCTAssertEqual(try HTTPTestClient.parse(slow.readToEnd()).status, 200)
        XCTAssertEqual(try h.post(#"{"x": 1, "y": 2}"#).status, 200, "the budget is given back")
    }

    func testReloadSwapsTheModelAndRefusesABadFileKeepingTheOld() throws {
        let h = try ServeHarness()
        defer { h.stop() }
        XCTAssertTrue(try h.get("/v1/model").text.contains(#""version":"v1""#))
        try "bad".write(toFile: h.modelPath, atomically: true, encoding: .utf8)
        let refused = try HTTPTestClient.send(port: h.port, method: "POST", path: "/v1/admin/reload")
        XCTAssertEqual(refused.status, 422, refused.text)
        XCTAssertTrue(try h.get("/v1/model").text.contains(#""version":"v1""#))
        XCTAssertEqual(try h.post(#"{"x": 1, "y": 2}"#).status, 200)
        try "v2".write(toFile: h.modelPath, atomically: true, encoding: .utf8)
        XCTAssertEqual(try HTTPTestClient.send(port: h.port, method: "POST", path: "/v1/admin/reload").status, 200)
        XCTAssertTrue(try h.get("/v1/model").text.contains(#""version":"v2""#))
        XCTAssertEqual(try h.metric(#"lepton_model_reloads_total{result="refused"}"#), 1)
        XCTAssertEqual(try h.metric(#"lepton_model_reloads_total{result="ok"}"#), 1)
        XCTAssertEqual(try h.metric(#"lepton_model_info{kind="sum",version="v2"}"#), 1)
    }

    func testUnknownPathsAndMethods() throws {
        let h = try ServeHarness()
        defer { h.stop() }
        XCTAssertEqual(try h.get("/v1/score").status, 405)
        XCTAssertEqual(try h.get("/etc/passwd").status, 404)
        XCTAssertEqual(try h.get("/v1/../../etc/passwd").status, 404)
        XCTAssertEqual(try h.metric(#"lepton_requests_total{path="other",status="404"}"#), 2)
    }

    func testConcurrentRequestsAreBatchedTogether() throws {
        let h = try ServeHarness(arguments: ["--max-wait-ms", "200", "--max-batch", "16", "--no-inline-answers"])
        defer { h.stop() }
        let port = h.port
        let statuses = onThreads(16) { k in (try? HTTPTestClient.post(port: port, path: "/v1/score", json: #"{"x": \#(k), "y": 1}"#).status) ?? -1 }
        XCTAssertEqual(statuses, Array(repeating: 200, count: 16))
        // 16 records in fewer than 16 batches: concurrent requests shared a batch.
        XCTAssertEqual(try h.metric("lepton_batch_records_sum"), 16)
        XCTAssertLessThan(try h.metric("lepton_batch_records_count"), 16)
    }

    func testAThousandConcurrentConnectionsAreAllAnswered() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 2_600 {
            limit.rlim_cur = min(limit.rlim_max, 4_096)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        try XCTSkipIf(limit.rlim_cur < 2_600, "needs 2,600 open files (client and server share this process); the limit is \(limit.rlim_cur)")
        let h = try ServeHarness()
        defer { h.stop() }
        let connections = try (0..<1_000).map { _ in try RawConnection(port: h.port, timeout: 60) }
        defer { connections.forEach { $0.close() } }
        let body = #"{"x": 1, "y": 2}"#
        for c in connections {
            try c.write(Array("POST /v1/score HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        }
        var ok = 0
        for c in connections where try HTTPTestClient.parse(c.readToEnd()).status == 200 { ok += 1 }
        XCTAssertEqual(ok, 1_000)
    }

    /// Every route the server answers, and only those, is in openapi.yaml.
    func testOpenAPIDescribesEveryRoute() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let spec = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var documented = Set<String>()
        for line in spec.split(separator: "\n") where line.hasPrefix("  /") && line.hasSuffix(":") {
            documented.insert(String(line.dropFirst(2).dropLast()))
        }
        XCTAssertEqual(documented, ServeMetrics.routes)
        for status in ["200", "400", "401", "403", "405", "500", "408", "413", "422", "503", "504"] {
            XCTAssertTrue(spec.contains("\"\(status)\":"), "openapi.yaml does not document status \(status)")
        }
    }
}

