@testable import CreditScoring
import LeptonCore
import LeptonIO
import LeptonTestSupport
import XCTest

/// A seeded applicant file: `id`, `income` (numeric; −999 "no record", some missing), `grade`
/// (categorical A–D and one rare level), `note` (text with commas), `outcome` (good/bad).
func writeApplicants(_ dir: TemporaryDirectory, name: String, rows: Int, seed: UInt64, extraRows: [String] = []) throws -> String {
    var rng = SeededGenerator(seed: seed)
    var lines = ["id,income,grade,note,outcome"]
    let grades = ["A", "B", "C", "D"]
    for i in 0..<rows {
        let g = Int(rng.next() % 4)
        let special = rng.next() % 20 == 0, missing = rng.next() % 25 == 0
        let income = 10 + Double(rng.next() % 90)
        let risk = 0.05 + 0.1 * Double(g) + 0.3 * (1 - income / 100) + (special ? 0.3 : 0)
        let bad = rng.uniform() < risk
        let grade = i % 700 == 3 ? "Z-rare" : grades[g]
        let incomeText = special ? "-999" : (missing ? "" : OptimalBinning.formatNumber(income))
        lines.append("C\(i),\(incomeText),\(grade),\"Main St, No. \(i % 9)\",\(bad ? "bad" : "good")")
    }
    return try dir.write(name, (lines + extraRows).joined(separator: "\n") + "\n")
}

let applicantSchema = CreditSchema(id: "id", columns: ["income": .init(type: "numeric", specialValues: ["-999"]),
                                                       "note": .init(type: "exclude")])

final class DataTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("credit-data") }
    override func tearDown() { dir.remove() }

    func load(_ text: String, target: String = "outcome", bad: String = "bad", schema: CreditSchema = CreditSchema()) throws -> CreditDataset {
        try CreditDataset.load(path: try dir.write("in.csv", text), target: target, bad: bad, schema: schema)
    }

    func assertMessage(_ text: String, target: String = "outcome", contains fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(text, target: target), file: file, line: line) { error in
            XCTAssert(error is DataError || error is CSVFileError, "\(error)", file: file, line: line)
            XCTAssert("\(error)".contains(fragment), "message: \(error)", file: file, line: line)
            XCTAssert("\(error)".contains("Hint:"), "message: \(error)", file: file, line: line)
        }
    }

    func testBadInputsFailWithClearMessages() {
        assertMessage("", contains: "empty")
        assertMessage("a,outcome\n", contains: "no data rows")
        assertMessage("a,b\n1,2\n", contains: "no target column 'outcome'")
        assertMessage("a,outcome\n1,good\n2,bad\n3,unknown\n", contains: "3 values")
        assertMessage("a,outcome\n1,good\n2,\n", contains: "missing in 1 rows")
        assertMessage("a,outcome\n1,good\n2,good\n", contains: "never takes the value 'bad'")
        assertMessage("a,outcome\n,good\n,bad\n", contains: "no column other than the target")
    }

    func testInferredTypesSchemaOverridesAndRejects() throws {
        // "amount" holds a text value: inferred categorical; declared numeric, that row is rejected and counted.
        let text = "id,amount,purpose,empty,outcome\n1,100,\"car, used\",,good\n2,250,\"car, used\",,bad\n3,n/a-text,tv,,good\n4,90,tv,,bad\n"
        let inferred = try load(text)
        XCTAssertEqual(inferred.characteristics.first { $0.name == "amount" }?.kind, .categorical)
        XCTAssertNil(inferred.characteristics.first { $0.name == "empty" }, "an all-missing column is left out")
        XCTAssertEqual(inferred.allMissing, ["empty"])
        if case let .categorical(_, levels) = inferred.characteristics.first(where: { $0.name == "purpose" })!.values {
            XCTAssertEqual(levels, ["car, used", "tv"], "quoted commas stay inside the field")
        } else {
            XCTFail("purpose should be categorical")
        }
        let declared = try load(text, schema: CreditSchema(id: "id", columns: ["amount": .init(type: "numeric")]))
        XCTAssertEqual(declared.count, 3)
        XCTAssertEqual(declared.rejected.count, 1)
        XCTAssert(declared.rejected[0].description.contains("'n/a-text' is not a number"), declared.rejected[0].description)
        XCTAssertEqual(declared.ids, ["1", "2", "4"])
        XCTAssertNil(declared.characteristics.first { $0.name == "id" }, "the ID is never a characteristic")
    }

    func testSchemaFileParsing() throws {
        let path = try dir.write("schema.json", #"{"id": "id", "columns": {"income": {"type": "numeric", "special_values": ["-999"], "trend": "descending"}}}"#)
        let schema = try CreditSchema.read(path: path)
        XCTAssertEqual(schema.id, "id")
        XCTAssertEqual(schema.columns["income"]?.specialValues, ["-999"])
        XCTAssertEqual(schema.columns["income"]?.trend, .descending)
        let bad = try dir.write("bad.json", #"{"columns": {"income": {"type": "number"}}}"#)
        XCTAssertThrowsError(try CreditSchema.read(path: bad)) { XCTAssert("\($0)".contains("numeric, categorical or exclude")) }
        let notJSON = try dir.write("nojson.json", "{")
        XCTAssertThrowsError(try CreditSchema.read(path: notJSON)) { XCTAssert("\($0)".contains("not valid")) }
    }

    func testGermanCreditLoadsWithQuotedCommas() throws {
        let data = try CreditDataset.load(path: germanCreditPath, target: "creditability", bad: "bad")
        XCTAssertEqual(data.count, 1000)
        XCTAssertEqual(data.rejected.count, 0)
        XCTAssertEqual(data.outcome.goodValue, "good")
        XCTAssertEqual(data.characteristics.count, 20)
        XCTAssertEqual(data.characteristics.filter { $0.kind == .numeric }.count, 7)
    }

    func testScoringRulesForUnseenOutOfRangeAndText() throws {
        let train = try writeApplicants(dir, name: "train.csv", rows: 3000, seed: 1)
        let data = try CreditDataset.load(path: train, target: "outcome", bad: "bad", schema: applicantSchema)
        var config = ScorecardConfig()
        config.selection.minIV = 0
        let card = try ScorecardTrainer.fit(data, config: config).scorecard
        XCTAssertEqual(Set(card.characteristicNames), ["income", "grade"])
        let newFile = try dir.write("new.csv", """
            outcome,grade,income,id,unused
            good,A,5000,N1,x
            bad,Q-unseen,-3,N2,y
            good,B,-999,N3,z
            bad,C,lots,N4,w
            good,,NA,N5,v

            """)
        let scored = try ScoredFile.read(path: newFile, scorecard: card, requireOutcome: true)
        XCTAssertEqual(scored.rowsRead, 5)
        XCTAssertEqual(scored.rejected, 1, "text in the numeric column")
        XCTAssert(scored.rejectExamples[0].contains("'lots' is not a number"), scored.rejectExamples[0])
        XCTAssertEqual(scored.unseenCategories, 1)
        XCTAssertEqual(scored.outOfRange, 2, "5000 above and −3 below the training range")
        XCTAssertEqual(scored.labels, [0, 1, 0, 0])
        // A third outcome value is an error, not a silent reject.
        let third = try dir.write("third.csv", "outcome,grade,income\nmaybe,A,20\n")
        XCTAssertThrowsError(try ScoredFile.read(path: third, scorecard: card, requireOutcome: true)) {
            XCTAssert("\($0)".contains("neither 'bad'"), "\($0)")
        }
        let lacking = try dir.write("lacking.csv", "outcome,grade\ngood,A\n")
        XCTAssertThrowsError(try ScoredFile.read(path: lacking, scorecard: card, requireOutcome: true)) {
            XCTAssert("\($0)".contains("lacks 1 column(s) the model uses: income"), "\($0)")
        }
    }
}
