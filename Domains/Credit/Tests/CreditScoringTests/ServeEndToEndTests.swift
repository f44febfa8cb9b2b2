import Foundation
import LeptonIO
import LeptonTestSupport
import XCTest

/// `lepton-credit serve` as a process: answers equal to batch scoring's, SIGHUP reloads (a bad
/// file refused, the old model kept), SIGTERM lets an in-flight request finish and exits 0.
final class ServeEndToEndTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("credit-serve") }
    override func tearDown() { dir.remove() }
    let credit = BuiltExecutable("lepton-credit")

    func train(_ out: String, _ extra: [String] = []) throws {
        let r = try credit.run(["train", "--data", germanCreditPath, "--target", "creditability", "--bad", "bad", "--out", out, "--quiet"] + extra)
        XCTAssertEqual(r.status, 0, r.err)
    }

    func testAnswersEqualBatchScoring() throws {
        let model = dir.file("card.lepton")
        try train(model)
        let reader = try CSVReader(path: germanCreditPath)
        var rows: [[String]] = []
        try reader.forEachRow { if rows.count < 150 { rows.append($0.rawFields) } }
        let input = dir.file("some.csv")
        let writer = try CSVWriter(path: input)
        try writer.writeRow(reader.columns)
        for row in rows { try writer.writeRow(row) }
        try writer.commit()
        let scored = try credit.run(["score", "--model", model, "--input", input, "--output", dir.file("scores.csv"), "--quiet"])
        XCTAssertEqual(scored.status, 0, scored.err)
        let batch = try CSVReader(path: dir.file("scores.csv"))
        var expected: [[String]] = []
        try batch.forEachRow { expected.append($0.rawFields) }

        let server = try ServingProcess(credit, ["--model", model, "--no-access-log"])
        // Numbers as JSON numbers where the CSV holds digits, as a client would send them.
        let records = rows.map { row in
            "{" + zip(reader.columns, row).map { name, value in
                "\(JSONValue.quoted(name)): " + (Int(value) != nil ? value : JSONValue.quoted(value))
            }.joined(separator: ", ") + "}"
        }
        let answer = try HTTPTestClient.post(port: server.port, path: "/v1/score", json: "[" + records.joined(separator: ",") + "]")
        XCTAssertEqual(answer.status, 200, answer.text)
        let answers = try XCTUnwrap(answer.json() as? [[String: Any]])
        XCTAssertEqual(answers.count, expected.count)
        let columns = batch.columns
        for (got, want) in zip(answers, expected) {
            XCTAssertEqual(got["pd"] as? Double ?? -1, Double(want[columns.firstIndex(of: "pd")!])!, accuracy: 1e-12)
            XCTAssertEqual(got["score"] as? Double, Double(want[columns.firstIndex(of: "score")!]))
            XCTAssertEqual(got["decision"] as? String, want[columns.firstIndex(of: "decision")!])
            for (k, name) in columns.enumerated() where name.hasPrefix("reason_") {
                XCTAssertEqual(got[name] as? String ?? "", want[k], name)
            }
        }
        // One record alone is answered as one object.
        let one = try HTTPTestClient.post(port: server.port, path: "/v1/score", json: records[1])
        XCTAssertEqual((try one.json() as? [String: Any])?["decision"] as? String, expected[1][columns.firstIndex(of: "decision")!])
        server.send(SIGTERM)
        XCTAssertEqual(server.waitForExit().status, 0)
    }

    func testHangupReloadsAndABadFileKeepsTheOldModel() throws {
        let model = dir.file("card.lepton")
        try train(model)
        let server = try ServingProcess(credit, ["--model", model])
        func version() throws -> String {
            let json = try HTTPTestClient.send(port: server.port, path: "/v1/model").json() as? [String: Any]
            return json?["version"] as? String ?? ""
        }
        let first = try version()
        XCTAssertTrue(first.hasPrefix("crc32:"), first)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: model))
        server.send(SIGHUP)
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(try version(), first)
        let metrics = try HTTPTestClient.send(port: server.port, path: "/metrics").text
        XCTAssertTrue(metrics.contains(#"lepton_model_reloads_total{result="refused"} 1"#), metrics)
        // A different model (boosted) replaces the file atomically; SIGHUP serves it.
        try train(dir.file("boosted.lepton"), ["--kind", "gbdt"])
        XCTAssertEqual(rename(dir.file("boosted.lepton"), model), 0)
        server.send(SIGHUP)
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertNotEqual(try version(), first)
        server.send(SIGTERM)
        XCTAssertEqual(server.waitForExit().status, 0)
    }

    /// SIGTERM while a request's body is still arriving: the request is answered 200 once its body
    /// is complete, no new connection is accepted meanwhile, and the process exits 0.
    func testTerminationFinishesInFlightRequestsAndExitsZero() throws {
        let model = dir.file("card.lepton")
        try train(model)
        let server = try ServingProcess(credit, ["--model", model])
        let record = try XCTUnwrap(try HTTPTestClient.send(port: server.port, path: "/v1/model").json() as? [String: Any])
        let features = ((record["manifest"] as? [String: Any])?["features"] as? [String]) ?? []
        let body = Array(("{" + features.map { "\(JSONValue.quoted($0)): null" }.joined(separator: ", ") + "}").utf8)
        let inFlight = try RawConnection(port: server.port, timeout: 20)
        defer { inFlight.close() }
        try inFlight.write(Array("POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
                           + body.prefix(10))
        Thread.sleep(forTimeInterval: 0.3)
        server.send(SIGTERM)
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertThrowsError(try HTTPTestClient.send(port: server.port, path: "/healthz", timeout: 2), "no new connections after SIGTERM")
        try inFlight.write(Array(body.dropFirst(10)))
        let answer = try HTTPTestClient.parse(inFlight.readToEnd())
        XCTAssertEqual(answer.status, 200, answer.text)
        let exit = server.waitForExit(timeout: 30)
        XCTAssertFalse(exit.killed, exit.err)
        XCTAssertEqual(exit.status, 0, exit.err)
    }
}
