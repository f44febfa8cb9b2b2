import Foundation
import LeptonIO
@testable import LeptonServe
import LeptonTestSupport
import LeptonCore
import XCTest

/// The inline path (``InlineRequestHandler``): answers equal to the responder's, in request
/// order when the two paths mix on one connection, batched per turn of the event loop, and the
/// connection's life (close, idle time-out) kept.
final class InlineAnswerTests: XCTestCase {
    /// Every kind of request the inline path takes, with its answer from both paths.
    func testInlineAnswersEqualTheResponders() throws {
        let keyed = try TemporaryDirectory()
        defer { keyed.remove() }
        let keyFile = try keyed.write("key", "0123456789abcdef0123")
        let requests: [(method: String, path: String, body: String, headers: [String: String])] = [
            ("POST", "/v1/score", #"{"x": 1, "y": 2, "id": "a"}"#, ["Authorization": "Bearer 0123456789abcdef0123"]),
            ("POST", "/v1/score?trace=1", #"[{"x": 1, "y": 2}, {"x": -4, "y": 1}]"#, ["Authorization": "Bearer 0123456789abcdef0123"]),
            ("POST", "/v1/score", #"[]"#, ["Authorization": "Bearer 0123456789abcdef0123"]),
            ("POST", "/v1/score", #"{"x": "a lot", "y": 2}"#, ["Authorization": "Bearer 0123456789abcdef0123"]),
            ("POST", "/v1/score", #"{"x": 1"#, ["Authorization": "Bearer 0123456789abcdef0123"]),
            ("POST", "/v1/score", #"{"x": 1, "y": 2}"#, [:]),
            ("POST", "/v1/score", #"{"x": 1, "y": 2}"#, ["Authorization": "Bearer wrong-key-wrong-key"]),
            ("POST", "/v1/score", #"{"x": 1, "y": 2}"#, ["Authorization": "Bearer 0123456789abcdef0123 \t"]),
            ("POST", "/v1/score", #"{"x": 1, "y": 2}"#, ["Authorization": "bearer   0123456789abcdef0123"]),
            ("GET", "/healthz", "", [:]),
            ("GET", "/readyz", "", [:]),
        ]
        var answers: [[String]] = []
        for inline in [true, false] {
            let h = try ServeHarness(arguments: ["--api-key-file", keyFile] + (inline ? [] : ["--no-inline-answers"]))
            defer { h.stop() }
            answers.append(try requests.map { r in
                let answer = try HTTPTestClient.send(port: h.port, method: r.method, path: r.path,
                                                     headers: r.headers.merging(["Content-Type": "application/json"]) { a, _ in a }, body: Array(r.body.utf8))
                return "\(answer.status) \(answer.headers["www-authenticate"] ?? "-") \(answer.text)"
            })
            XCTAssertEqual(try h.metric(#"lepton_requests_total{path="/v1/score",status="200"}"#), 4, "the key with blanks after it is accepted (field values are trimmed)")
            XCTAssertEqual(try h.metric(#"lepton_requests_total{path="/v1/score",status="401"}"#), 1)
            XCTAssertEqual(try h.metric("lepton_requests_in_flight"), 1, "only the /metrics request itself")
        }
        XCTAssertEqual(answers[0], answers[1])
        XCTAssertTrue(answers[0][0].hasPrefix("200 - {"), answers[0][0])
        XCTAssertTrue(answers[0][3].hasPrefix("400 "), answers[0][3])
        XCTAssertTrue(answers[0][5].hasPrefix("401 Bearer "), answers[0][5])
        XCTAssertTrue(answers[0][6].hasPrefix("403 "), answers[0][6])
    }

    /// Pipelined requests on one connection, some answered inline and some by the responder
    /// (`/v1/model`, `/metrics`, a body sent in two writes), come back in request order.
    func testPipelinedRequestsAreAnsweredInOrderAcrossBothPaths() throws {
        let h = try ServeHarness()
        defer { h.stop() }
        func score(_ x: Int) -> String {
            let body = #"{"x": \#(x), "y": 0}"#
            return "POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        }
        let model = "GET /v1/model HTTP/1.1\r\nHost: x\r\n\r\n"
        let metrics = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
        let last = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let connection = try RawConnection(port: h.port, timeout: 20)
        defer { connection.close() }
        let cut = #"{"x": 6, "y": 0}"#
        try connection.write(Array((score(1) + model + score(2) + metrics + score(3) + score(4) + model + score(5)
                                    + "POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: \(cut.utf8.count)\r\n\r\n{\"x\": ").utf8))
        Thread.sleep(forTimeInterval: 0.1)
        try connection.write(Array(("6, \"y\": 0}" + score(7) + last).utf8))
        let answers = try HTTPTestClient.parseAll(connection.readToEnd())
        XCTAssertEqual(answers.map(\.status), Array(repeating: 200, count: 11), answers.map(\.text).joined(separator: "\n"))
        guard answers.count == 11 else { return }
        let sums = answers.compactMap { answer -> Double? in
            guard let object = try? answer.json() as? [String: Any] else { return nil }
            return (object["sum"] as? Double) ?? (object["sum"] as? String).flatMap(Double.init)
        }
        XCTAssertEqual(sums, [1, 2, 3, 4, 5, 6, 7])
        XCTAssertTrue(answers[1].text.contains(#""version":"v1""#), answers[1].text)
        XCTAssertTrue(answers[3].text.contains("lepton_requests_total"), answers[3].text)
        XCTAssertEqual(answers[10].text, #"{"status":"ok"}"#)
    }

    /// Sixteen requests pipelined in one write arrive in one turn of the loop: one batch.
    func testRequestsArrivingTogetherShareABatch() throws {
        let h = try ServeHarness(arguments: ["--max-batch", "64"])
        defer { h.stop() }
        var text = ""
        for k in 0..<16 {
            let body = #"{"x": \#(k), "y": 1}"#
            text += "POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\(k == 15 ? "\r\nConnection: close" : "")\r\n\r\n\(body)"
        }
        let connection = try RawConnection(port: h.port, timeout: 20)
        defer { connection.close() }
        try connection.write(Array(text.utf8))
        let answers = try HTTPTestClient.parseAll(connection.readToEnd())
        XCTAssertEqual(answers.map(\.status), Array(repeating: 200, count: 16))
        XCTAssertEqual(try h.metric("lepton_batch_records_sum"), 16)
        XCTAssertLessThanOrEqual(try h.metric("lepton_batch_records_count"), 2)
    }

    /// `--max-batch` splits the turn's records; a request is never split.
    func testMaxBatchSplitsATurnsRecords() throws {
        let h = try ServeHarness(arguments: ["--max-batch", "3"])
        defer { h.stop() }
        let bodies = [#"[{"x": 1, "y": 1}, {"x": 2, "y": 1}]"#, #"{"x": 3, "y": 1}"#, #"[{"x": 4, "y": 1}, {"x": 5, "y": 1}, {"x": 6, "y": 1}, {"x": 7, "y": 1}]"#]
        let text = bodies.enumerated().map { k, body in
            "POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\(k == 2 ? "\r\nConnection: close" : "")\r\n\r\n\(body)"
        }.joined()
        let connection = try RawConnection(port: h.port, timeout: 20)
        defer { connection.close() }
        try connection.write(Array(text.utf8))
        let answers = try HTTPTestClient.parseAll(connection.readToEnd())
        XCTAssertEqual(answers.map(\.status), [200, 200, 200])
        XCTAssertEqual(try h.metric("lepton_batch_records_sum"), 7)
        XCTAssertEqual(try h.metric("lepton_batch_records_count"), 2, "3 records, then the 4 of one request whole")
    }

    /// A connection with nothing in progress is closed after the idle time; one in use is not.
    func testIdleConnectionsAreClosedAndBusyOnesKept() throws {
        let h = try ServeHarness(idleTimeout: 1.0)
        defer { h.stop() }
        let busy = try RawConnection(port: h.port, timeout: 5)
        defer { busy.close() }
        let body = #"{"x": 1, "y": 2}"#
        let request = "POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        for _ in 0..<8 {
            try busy.write(Array(request.utf8))
            Thread.sleep(forTimeInterval: 0.25)
        }
        try busy.write(Array("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        XCTAssertEqual(try HTTPTestClient.parseAll(busy.readToEnd()).count, 9, "kept open for 2 s of requests 0.25 s apart")

        let idle = try RawConnection(port: h.port, timeout: 5)
        defer { idle.close() }
        try idle.write(Array(request.utf8))
        let started = Date()
        let answers = try HTTPTestClient.parseAll(idle.readToEnd())
        XCTAssertEqual(answers.map(\.status), [200])
        XCTAssertLessThan(Date().timeIntervalSince(started), 4, "closed after about 1 s idle")
    }

    /// A pipelined request behind one whose body is bigger than the inline limit goes after it.
    func testALargeBodyGoesToTheResponderAndOrderHolds() throws {
        let h = try ServeHarness()
        defer { h.stop() }
        let large = String(repeating: " ", count: InlineRequest.maxBody + 10) + #"{"x": 1, "y": 0}"#
        let small = #"{"x": 2, "y": 0}"#
        let text = "POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: \(large.utf8.count)\r\n\r\n\(large)"
            + "POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: \(small.utf8.count)\r\nConnection: close\r\n\r\n\(small)"
        let connection = try RawConnection(port: h.port, timeout: 20)
        defer { connection.close() }
        try connection.write(Array(text.utf8))
        let answers = try HTTPTestClient.parseAll(connection.readToEnd())
        XCTAssertEqual(answers.map(\.status), [200, 200])
        XCTAssertTrue(answers[0].text.contains(#""sum":1"#) || answers[0].text.contains(#""sum":"1"#), answers[0].text)
        XCTAssertTrue(answers[1].text.contains(#""sum":2"#) || answers[1].text.contains(#""sum":"2"#), answers[1].text)
    }

    /// Random bytes, valid requests cut at random places and pipelined with garbage, on many
    /// connections: the server keeps answering, and counts nothing in flight afterwards.
    func testGarbageAndCutRequestsNeverStopTheServer() throws {
        let h = try ServeHarness(arguments: ["--timeout-ms", "300"], idleTimeout: 0.3)
        defer { h.stop() }
        var random = SeededGenerator(seed: 5)
        let body = #"{"x": 1, "y": 2}"#
        let valid = Array("POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)GET /healthz HTTP/1.1\r\n\r\n".utf8)
        for round in 0..<150 {
            let connection = try RawConnection(port: h.port, timeout: 5)
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes += valid
                case 1: bytes += valid[..<Int.random(in: 0..<valid.count, using: &random)]
                default: bytes += (0..<Int.random(in: 1...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                }
            }
            try? connection.write(bytes)
            if round % 5 == 0 { _ = try? connection.readToEnd() }  // the server answers, closes, or times the connection out
            connection.close()
        }
        XCTAssertEqual(try h.get("/healthz").status, 200)
        XCTAssertEqual(try h.post(body).status, 200)
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(try h.metric("lepton_requests_in_flight"), 1, "only the /metrics request itself")
    }

    /// A client that pipelines thousands of requests before reading a byte gets every answer,
    /// in order (the handler stops reading while the socket is full, then goes on).
    func testAClientThatDoesNotReadGetsEveryAnswerInOrder() throws {
        let h = try ServeHarness()
        defer { h.stop() }
        let count = 5_000
        var text = ""
        for k in 0..<count {
            let body = #"{"x": \#(k), "y": 0}"#
            text += "POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\(k == count - 1 ? "\r\nConnection: close" : "")\r\n\r\n\(body)"
        }
        let connection = try RawConnection(port: h.port, timeout: 30)
        defer { connection.close() }
        let bytes = Array(text.utf8)
        let writer = Thread { try? connection.write(bytes) }
        writer.start()
        Thread.sleep(forTimeInterval: 0.5)  // the answers pile up on the server's side meanwhile
        let answers = try HTTPTestClient.parseAll(connection.readToEnd())
        XCTAssertEqual(answers.count, count)
        let sums = answers.map { ($0.text.split(separator: ",").first { $0.contains("sum") } ?? "").split(separator: ":").last.map(String.init) ?? "" }
        XCTAssertEqual(sums, (0..<count).map(String.init))
    }

    /// `Connection: close` followed by more bytes: the answer arrives whole (the output is
    /// closed after it is written, so unread input cannot reset it away).
    func testAnAnswerBeforeCloseArrivesDespiteUnreadBytes() throws {
        let h = try ServeHarness()
        defer { h.stop() }
        let connection = try RawConnection(port: h.port, timeout: 10)
        defer { connection.close() }
        try connection.write(Array(("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n" + String(repeating: "x", count: 200_000)).utf8))
        let answers = try HTTPTestClient.parseAll(connection.readToEnd())
        XCTAssertEqual(answers.map(\.status), [200])
        XCTAssertEqual(answers.first?.headers["connection"], "close")
    }

    /// The idle time-out does not close a connection while the responder works on its request
    /// (here a body too large for the inline path, scored in 1 s by a slow model, 0.3 s idle limit).
    func testTheIdleTimeOutWaitsForTheResponder() throws {
        let h = try ServeHarness(delay: 1.0, idleTimeout: 0.3)
        defer { h.stop() }
        let answer = try h.post(String(repeating: " ", count: InlineRequest.maxBody + 1) + #"{"x": 1, "y": 2}"#)
        XCTAssertEqual(answer.status, 200, answer.text)
    }
}
