@testable import CreditScoring
import Foundation
import LeptonIO
import LeptonTestSupport
import XCTest

final class ExportTests: XCTestCase {
    var dir: TemporaryDirectory!
    override func setUpWithError() throws { dir = try TemporaryDirectory("credit-export") }
    override func tearDown() { dir.remove() }

    /// Runs `sql` with sqlite3 on `csv` imported as raw text into table `applicants`; returns id → score.
    func sqliteScores(csv: String, sql: String) throws -> [String: Int] {
        let sqlite = "/usr/bin/sqlite3"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: sqlite), "sqlite3 is not installed (apt-get install sqlite3)")
        let script = try dir.write("run.sql", ".mode csv\n.import \(csv) applicants\n.mode list\n.separator |\n.headers off\n\(sql)\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sqlite)
        process.arguments = [":memory:"]
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: script))
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, errorText)
        var result: [String: Int] = [:]
        for line in String(decoding: out, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "|")
            guard parts.count == 2, let score = Int(parts[1]) else { XCTFail("unexpected sqlite line: \(line)"); continue }
            result[String(parts[0])] = score
        }
        return result
    }

    func testSQLComputesExactlyOurScoresInSQLite() throws {
        let train = try writeApplicants(dir, name: "train.csv", rows: 3000, seed: 2)
        let data = try CreditDataset.load(path: train, target: "outcome", bad: "bad", schema: applicantSchema)
        var config = ScorecardConfig()
        config.selection.minIV = 0
        let card = try ScorecardTrainer.fit(data, config: config).scorecard
        // Sample rows with every rule: missing, special, unseen category, out of range, quoted commas, a quote in an ID.
        let sample = try writeApplicants(dir, name: "sample.csv", rows: 400, seed: 3, extraRows: [
            "X1,,Q-unseen,\"a, b\",good", "X2,-999,,x,bad", "X3,100000,A,x,good", "X4,-50,NA,x,good", "X5,12.5,D,x,bad",
            "\"X6 \"\"quoted\"\"\",30,null,x,good",
        ])
        let ours = try ScoredFile.read(path: sample, scorecard: card, requireOutcome: false)
        XCTAssertEqual(ours.rejected, 0)
        var ids: [String] = []
        try CSVReader(path: sample).forEachRow { ids.append(try $0.string(at: 0)) }
        let sql = ScorecardExport.sql(card)
        XCTAssert(sql.hasPrefix("-- Scorecard"))
        XCTAssert(sql.contains("SELECT \"id\","))
        XCTAssert(sql.contains("FROM \"applicants\";"))
        let theirs = try sqliteScores(csv: sample, sql: sql)
        XCTAssertEqual(theirs.count, ids.count)
        var mismatches = 0
        for (id, score) in zip(ids, ours.scores) where theirs[id] != score {
            mismatches += 1
            if mismatches < 5 { XCTFail("\(id): ours \(score), sqlite \(theirs[id].map(String.init) ?? "none")") }
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssert(ScorecardExport.sql(card, table: "loans").contains("FROM \"loans\";"))
    }

    func testSQLOnGermanCreditMatches() throws {
        let data = try CreditDataset.load(path: germanCreditPath, target: "creditability", bad: "bad")
        var card = try ScorecardTrainer.fit(data).scorecard
        card.idColumn = nil
        // No ID column: the row number (header = 1) is selected, as our outputs do.
        let theirs = try sqliteScores(csv: germanCreditPath, sql: ScorecardExport.sql(card))
        let ours = card.scores(of: data)
        XCTAssertEqual(theirs.count, 1000)
        for (i, score) in ours.enumerated() { XCTAssertEqual(theirs[String(i + 2)], score, "row \(i + 2)") }
    }

    func testCSVAndJSONTables() throws {
        let card = handBuiltScorecard()
        let rows = ScorecardExport.csvRows(card)
        XCTAssertEqual(rows[0].last, "points")
        XCTAssertEqual(rows[1][0], "(base points)")
        XCTAssertEqual(rows[1].last, "500")
        XCTAssertEqual(rows.count, 2 + 5 + 3)
        XCTAssertEqual(rows[2], ["age", "numeric", "(-inf, 25)", "range", "", "25", "", "", "10", "1", "0.1", "0.0", "0.0", "1.0", "-20"])
        let json = try ScorecardExport.json(card)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        XCTAssertEqual(object["base_points"] as? Int, 500)
        let characteristics = object["characteristics"] as! [[String: Any]]
        XCTAssertEqual(characteristics.count, 2)
        let bins = characteristics[1]["bins"] as! [[String: Any]]
        XCTAssertEqual(bins[1]["categories"] as? [String], ["rent", "free"])
        XCTAssertEqual(bins[1]["includes_other"] as? Bool, true)
        XCTAssertEqual(bins.map { $0["points"] as? Int }, [10, -12, 40])
    }

    func testStabilityOfTheSameAndOfAShiftedPopulation() throws {
        let train = try writeApplicants(dir, name: "train.csv", rows: 3000, seed: 4)
        let data = try CreditDataset.load(path: train, target: "outcome", bad: "bad", schema: applicantSchema)
        var config = ScorecardConfig()
        config.selection.minIV = 0
        let card = try ScorecardTrainer.fit(data, config: config).scorecard
        let same = StabilityReport(scorecard: card, scored: try ScoredFile.read(path: train, scorecard: card, requireOutcome: false))
        XCTAssertEqual(same.psi, 0, accuracy: 1e-9)
        XCTAssert(same.csi.allSatisfy { abs($0.value) < 1e-9 })
        // Everyone in grade D: the grade's CSI and the score's PSI call for action.
        var lines = ["id,income,grade"]
        for i in 0..<2000 { lines.append("S\(i),\(20 + i % 70),D") }
        let shifted = try dir.write("shifted.csv", lines.joined(separator: "\n") + "\n")
        let report = StabilityReport(scorecard: card, scored: try ScoredFile.read(path: shifted, scorecard: card, requireOutcome: false))
        XCTAssertGreaterThan(report.psi, 0.25)
        XCTAssertGreaterThan(report.csi.first { $0.name == "grade" }!.value, 0.25)
        XCTAssertEqual(report.actualShares.reduce(0, +), 1, accuracy: 1e-9)
    }
}
