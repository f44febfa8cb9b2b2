@testable import CreditScoring
import LeptonIO
import XCTest

/// Batch scoring's fast path (``ScoreFormatter/appendFields(bins:to:scratch:)`` and the row
/// scorers' `appendFields`) writes exactly the fields of the plain path, CSV-encoded.
final class ScoringLineTests: XCTestCase {
    /// `fields` as CSVWriter would write them.
    func encoded(_ fields: [String]) -> String {
        var line = CSVLine()
        defer { line.deallocate() }
        for field in fields { line.appendField(field) }
        return String(decoding: line.bytes, as: UTF8.self)
    }

    func testFormatterFastPathEqualsFieldsForEveryBinCombination() {
        let card = handBuiltScorecard()
        for reasons in [0, 1, 2, 4] {
            let formatter = ScoreFormatter(scorecard: card, reasonCount: reasons)
            let scratch = UnsafeMutablePointer<(entry: Int, lost: Int)>.allocate(capacity: 2)
            defer { scratch.deallocate() }
            for a in 0..<5 {
                for h in 0..<3 {
                    var line = CSVLine()
                    defer { line.deallocate() }
                    line.appendField("A,\(a)")
                    [a, h].withUnsafeBufferPointer { formatter.appendFields(bins: $0, to: &line, scratch: scratch) }
                    XCTAssertEqual(String(decoding: line.bytes, as: UTF8.self),
                                   encoded(formatter.fields(id: "A,\(a)", bins: [a, h])), "bins \(a), \(h), \(reasons) reasons")
                }
            }
        }
    }

    /// Every German credit applicant through a trained scorecard's row scorer (20-odd
    /// characteristics, ties in points lost included): fast line = plain fields.
    func testRowScorerLinesEqualFieldsOnGermanCredit() throws {
        let data = try CreditDataset.load(path: germanCreditPath, target: "creditability", bad: "bad")
        let card = try ScorecardTrainer.fit(data).scorecard
        let reader = try CSVReader(path: germanCreditPath)
        for reasons in [4, 9] {
            let plain = try CreditModel.scorecard(card).rowScorer(columns: reader.columns, path: germanCreditPath, reasonCount: reasons)
            let fast = try CreditModel.scorecard(card).rowScorer(columns: reader.columns, path: germanCreditPath, reasonCount: reasons)
            var line = CSVLine()
            defer { line.deallocate() }
            var declined = 0
            try reader.forEachRow { row in
                let fields = try plain.fields(row)
                if fields[3] == "decline" { declined += 1 }
                line.clear()
                try fast.appendFields(row, to: &line)
                XCTAssertEqual(String(decoding: line.bytes, as: UTF8.self), encoded(fields), "row \(row.number)")
            }
            XCTAssertGreaterThan(declined, 100, "reasons are exercised")
            XCTAssertEqual(fast.unseenCategories, plain.unseenCategories)
            XCTAssertEqual(fast.outOfRange, plain.outOfRange)
        }
    }
}
