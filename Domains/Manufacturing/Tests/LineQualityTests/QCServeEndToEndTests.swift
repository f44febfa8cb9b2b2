import Foundation
import LeptonIO
import LeptonTestSupport
import XCTest

/// `lepton-qc serve` as a process: a line controller posts readings (column names with units,
/// derived features applied) and gets what batch scoring writes: score, alert, top readings.
final class QCServeEndToEndTests: XCTestCase {
    let qc = BuiltExecutable("lepton-qc")
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("qc-serve") }
    override func tearDown() { dir.remove() }

    func testAnswersEqualBatchScoring() throws {
        let train = dir.file("train.csv"), log = dir.file("log.csv")
        XCTAssertEqual(try qc.run(["synth", "--kind", "parts", "--rows", "3000", "--seed", "1", "--out", train, "--quiet"]).status, 0)
        XCTAssertEqual(try qc.run(["synth", "--kind", "parts", "--rows", "300", "--seed", "2", "--out", log, "--quiet"]).status, 0)
        let model = dir.file("m.lepton")
        let t = try qc.run(["train", "--data", train, "--target", "Machine failure", "--positive", "1", "--drop", "UDI,Product ID,TWF,HDF,PWF,OSF,RNF",
                            "--id", "UDI", "--out", model, "--quiet"] + QCEndToEndTests.physics.flatMap { ["--feature", $0] })
        XCTAssertEqual(t.status, 0, t.err)
        XCTAssertEqual(try qc.run(["score", "--model", model, "--input", log, "--output", dir.file("alerts.csv"), "--quiet"]).status, 0)
        let alerts = try CSVReader(path: dir.file("alerts.csv"))
        var expected: [[String]] = []
        try alerts.forEachRow { expected.append($0.rawFields) }
        let reader = try CSVReader(path: log)
        var records: [String] = []
        try reader.forEachRow { row in
            records.append("{" + zip(reader.columns, row.rawFields).map { name, value in
                "\(JSONValue.quoted(name)): " + (Double(value) != nil ? value : JSONValue.quoted(value))
            }.joined(separator: ", ") + "}")
        }

        let server = try ServingProcess(qc, ["--model", model, "--no-access-log"])
        let answer = try HTTPTestClient.post(port: server.port, path: "/v1/score", json: "[" + records.joined(separator: ",") + "]")
        XCTAssertEqual(answer.status, 200, answer.text)
        let answers = try XCTUnwrap(answer.json() as? [[String: Any]])
        XCTAssertEqual(answers.count, expected.count)
        XCTAssertEqual(alerts.columns, ["UDI", "score", "alert", "top_1", "top_2", "top_3"])
        for (got, want) in zip(answers, expected) {
            XCTAssertEqual(got["UDI"] as? String, want[0])
            XCTAssertEqual(got["score"] as? Double ?? -1, Double(want[1])!, accuracy: 1e-12)
            XCTAssertEqual(got["alert"] as? Double, Double(want[2]))
            for k in 0..<3 { XCTAssertEqual(got["top_\(k + 1)"] as? String ?? "", want[3 + k]) }
        }
        XCTAssertGreaterThan(expected.filter { $0[2] == "1" }.count, 0, "the log should raise some alerts")
        // A reading sent as text is refused, naming the column with its unit.
        let bad = records[0].replacingOccurrences(of: #""Torque [Nm]": "#, with: #""Torque [Nm]": "high", "ignored": "#)
        let refused = try HTTPTestClient.post(port: server.port, path: "/v1/score", json: bad)
        XCTAssertEqual(refused.status, 400, refused.text)
        XCTAssertEqual((try refused.json() as? [String: Any])?["field"] as? String, "Torque [Nm]")
        server.send(SIGTERM)
        XCTAssertEqual(server.waitForExit().status, 0)
    }
}
