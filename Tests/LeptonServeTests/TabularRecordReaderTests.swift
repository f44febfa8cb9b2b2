import LeptonCore
import LeptonIO
@testable import LeptonServe
import XCTest

/// The quick reader of tabular bodies against the thorough decode: whatever it reads, it reads
/// as the thorough way does; what it leaves out, the thorough way decides.
final class TabularRecordReaderTests: XCTestCase {
    func testReadsPlainBodiesAsTheThoroughWay() throws {
        let model = try makeSumModel(version: "v1")
        let body = Array(#"[{"x": 1, "y": -2.5e3, "id": "a7"}, {"y": null, "note": "ignored", "x": true, "z": 0}]"#.utf8)
        let quick = try XCTUnwrap(model.reader.read(body, limits: RequestLimits()))
        let thorough = try model.decodeThoroughly(ScoreRequestBody(bytes: body, contentType: nil))
        XCTAssertEqual(quick.records, thorough.records)
        XCTAssertFalse(quick.single)
        XCTAssertEqual(quick.records.map(\.withID), [true, false])
    }

    func testLeavesTheRestToTheThoroughWay() throws {
        let model = try makeSumModel(version: "v1")
        for text in [#"{"x": 1}"#, #"{"x": 1, "y": 2, "x": 3}"#, #"{"x": "\u0031", "y": 2}"#, #"{"x": "é", "y": 2}"#,
                     #"{"x": 1, "y": 2, "z": {"deep": 1}}"#, #"{"x": [1], "y": 2}"#, #"{"x": 01, "y": 2}"#, #"{"x": 1, "y": 2} x"#,
                     #"[{"x": 1, "y": 2},]"#, "", "3", #"{"x": 1, "y": 2"#] {
            XCTAssertNil(model.reader.read(Array(text.utf8), limits: RequestLimits()), text)
        }
        let many = "[" + Array(repeating: #"{"x": 1, "y": 2}"#, count: 4).joined(separator: ",") + "]"
        XCTAssertNil(model.reader.read(Array(many.utf8), limits: RequestLimits(maxRecords: 3)), "over --max-records")
        XCTAssertNil(model.reader.read(Array(#"{"x": 1, "y": 2, "a": 3}"#.utf8), limits: RequestLimits(maxFields: 2)), "over --max-fields")
    }

    /// Generated bodies (fields in any order, extra and missing fields, every kind of value,
    /// objects or lists) and single-byte mutations of them: whenever the quick reader reads
    /// one, the thorough way reads the same records; and it reads most of the plain ones.
    func testAgreesWithTheThoroughWayOnGeneratedBodies() throws {
        let model = try makeSumModel(version: "v1")
        var random = SeededGenerator(seed: 11)
        let values = ["1", "-0", "2.5", "1e9", "-3.25E-2", "0.0", "\"7\"", "\"a b\"", "null", "true", "false", "\"\"", "\"é\"",
                      "\"a\\\"b\"", "[1]", "{\"k\": 1}", "01", "1.", "\"\\u00e9\""]
        let names = ["x", "y", "id", "z", "note", "x", "Y"]
        var quickPlain = 0, plain = 0
        for round in 0..<4_000 {
            var records: [String] = []
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                var members: [String] = []
                for name in names.shuffled(using: &random).prefix(Int.random(in: 0...5, using: &random)) {
                    members.append("\"\(name)\":\(Bool.random(using: &random) ? " " : "")\(values.randomElement(using: &random)!)")
                }
                if Bool.random(using: &random) { members.insert("\"x\": 1", at: 0); members.append("\"y\": 2") }
                records.append("{" + members.joined(separator: ",") + "}")
            }
            var text = records.count == 1 && Bool.random(using: &random) ? records[0] : "[" + records.joined(separator: ", ") + "]"
            if round % 3 == 0, !text.isEmpty {
                var bytes = Array(text.utf8)
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = Array(" {}[]\",:0a\\".utf8).randomElement(using: &random)!
                text = String(decoding: bytes, as: UTF8.self)
            }
            let body = Array(text.utf8)
            let thorough = try? model.decodeThoroughly(ScoreRequestBody(bytes: body, contentType: nil))
            let isPlain = round % 3 != 0 && !text.contains("\\") && !text.contains("é") && !text.contains("[1]") && !text.contains("{\"k\"")
                && !text.contains(" 01") && !text.contains(":01") && !text.contains("1.,") && !text.contains("1.}")
            if isPlain, thorough != nil { plain += 1 }
            guard let quick = model.reader.read(body, limits: RequestLimits()) else { continue }
            if isPlain { quickPlain += 1 }
            guard let thorough else { return XCTFail("the quick reader read what the thorough way refuses: \(text)") }
            XCTAssertEqual(quick.records, thorough.records, text)
            XCTAssertEqual(quick.single, thorough.single, text)
        }
        XCTAssertGreaterThan(plain, 100)
        XCTAssertEqual(quickPlain, plain, "every plain body the thorough way reads, the quick reader reads too")
    }
}
