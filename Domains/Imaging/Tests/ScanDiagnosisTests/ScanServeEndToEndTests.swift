import Foundation
import LeptonIO
import LeptonTestSupport
import XCTest

/// `lepton-scan serve` as a process: a PNG body or a JSON list of base64 PNGs is answered with
/// what `classify` writes; a truncated PNG is 400, one over the pixel limit 422.
final class ScanServeEndToEndTests: XCTestCase {
    let scan = BuiltExecutable("lepton-scan")
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("scan-serve") }
    override func tearDown() { dir.remove() }

    func testAnswersEqualClassifyAndRefusesBadImages() throws {
        let train = dir.file("train"), test = dir.file("test")
        XCTAssertEqual(try scan.run(["synth", "--count", "120", "--size", "16", "--seed", "1", "--out", train, "--quiet"]).status, 0)
        XCTAssertEqual(try scan.run(["synth", "--count", "12", "--size", "16", "--seed", "2", "--out", test, "--quiet"]).status, 0)
        let model = dir.file("m.lepton")
        let t = try scan.run(["train", "--data", train, "--model", "cnn-small", "--epochs", "2", "--batch-size", "32", "--positive", "finding",
                              "--out", model, "--quiet"])
        XCTAssertEqual(t.status, 0, t.err)
        let c = try scan.run(["classify", "--model", model, "--input", test, "--output", dir.file("out.csv"), "--quiet"])
        XCTAssertEqual(c.status, 0, c.err)
        let classified = try CSVReader(path: dir.file("out.csv"))
        var expected: [[String]] = []
        try classified.forEachRow { expected.append($0.rawFields) }
        XCTAssertEqual(expected.count, 12)

        let server = try ServingProcess(scan, ["--model", model, "--no-access-log", "--max-pixels", "10000"])
        let pngs = try expected.map { try Data(contentsOf: URL(fileURLWithPath: $0[0].hasPrefix("/") ? $0[0] : test + "/" + $0[0])) }
        // One PNG as the body (float32 sums differ in the last bits between batch sizes: 1e-6).
        let one = try HTTPTestClient.send(port: server.port, method: "POST", path: "/v1/score", headers: ["Content-Type": "image/png"], body: [UInt8](pngs[0]))
        XCTAssertEqual(one.status, 200, one.text)
        let single = try XCTUnwrap(one.json() as? [String: Any])
        XCTAssertEqual(single["probability"] as? Double ?? -1, Double(expected[0][1])!, accuracy: 1e-6)
        XCTAssertEqual(single["decision"] as? String, expected[0][2])
        // A list of base64 PNGs, answered in order.
        let list = "[" + pngs.map { "\"\($0.base64EncodedString())\"" }.joined(separator: ",") + "]"
        let many = try HTTPTestClient.post(port: server.port, path: "/v1/score", json: list)
        XCTAssertEqual(many.status, 200, many.text)
        let answers = try XCTUnwrap(many.json() as? [[String: Any]])
        for (got, want) in zip(answers, expected) {
            XCTAssertEqual(got["probability"] as? Double ?? -1, Double(want[1])!, accuracy: 1e-6)
            XCTAssertEqual(got["decision"] as? String, want[2])
            XCTAssertEqual(got["flag"] as? String ?? "", want[3])
        }
        // A truncated PNG: 400; an image over --max-pixels (10,000): 422.
        let truncated = try HTTPTestClient.send(port: server.port, method: "POST", path: "/v1/score", headers: ["Content-Type": "image/png"],
                                                body: [UInt8](pngs[0].prefix(pngs[0].count / 2)))
        XCTAssertEqual(truncated.status, 400, truncated.text)
        let large = try PNG.encode(Raster<UInt8>(width: 200, height: 200, layout: .gray, repeating: 9))
        let tooLarge = try HTTPTestClient.send(port: server.port, method: "POST", path: "/v1/score", headers: ["Content-Type": "image/png"], body: large)
        XCTAssertEqual(tooLarge.status, 422, tooLarge.text)
        XCTAssertEqual(try HTTPTestClient.send(port: server.port, method: "POST", path: "/v1/score", body: Array("not a png".utf8)).status, 400)
        server.send(SIGTERM)
        XCTAssertEqual(server.waitForExit().status, 0)
    }
}
