@testable import CreditScoring
import LeptonCore
import LeptonTestSupport
import XCTest

/// The embedded German credit file (data/credit), found from this source file's location.
let germanCreditPath: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<5 { url.deleteLastPathComponent() }
    return url.path + "/data/credit/germancredit.csv"
}()

/// A hand-built scorecard: two characteristics with known points.
func handBuiltScorecard() -> Scorecard {
    func bin(_ kind: Bin.Kind, _ label: String, lower: Double? = nil, upper: Double? = nil, categories: [String]? = nil,
             other: Bool? = nil, special: String? = nil, count: Int = 10) -> Bin {
        Bin(kind: kind, label: label, lower: lower, upper: upper, categories: categories, includesOther: other, special: special,
            count: count, bads: 1, woe: 0, iv: 0)
    }
    let age = CharacteristicBinning(name: "age", kind: .numeric, trend: .descending, bins: [
        bin(.range, "(-inf, 25)", upper: 25), bin(.range, "[25, 40)", lower: 25, upper: 40), bin(.range, "[40, +inf)", lower: 40),
        bin(.missing, "Missing"), bin(.special, "Special -1", special: "-1"),
    ], iv: 0.2, observedMin: 18, observedMax: 75)
    let housing = CharacteristicBinning(name: "housing", kind: .categorical, trend: .ascending, bins: [
        bin(.categories, "own", categories: ["own"]), bin(.categories, "rent | free (and other)", categories: ["rent", "free"], other: true),
        bin(.missing, "Missing", count: 0),
    ], iv: 0.1, observedMin: nil, observedMax: nil)
    var config = ScorecardConfig()
    config.reasonCount = 2
    return Scorecard(outcome: OutcomeDefinition(column: "y", badValue: "bad", goodValue: "good"), idColumn: "id", config: config,
                     entries: [ScorecardEntry(binning: age, coefficient: 1, points: [-20, 0, 15, -5, -30]),
                               ScorecardEntry(binning: housing, coefficient: 1, points: [10, -12, 40])],
                     intercept: 0, basePoints: 500, cutoff: 500, excluded: [], trainingBands: ScoreBands(scores: [480, 500, 520]),
                     trainingRows: 100, trainingBads: 20)
}

final class ScorecardTests: XCTestCase {
    func testScoreIsBasePlusPointsExactly() {
        let card = handBuiltScorecard()
        XCTAssertEqual(card.score(bins: [0, 0]), 500 - 20 + 10)
        XCTAssertEqual(card.score(bins: [2, 1]), 500 + 15 - 12)
        XCTAssertEqual(card.score(bins: [4, 2]), 500 - 30 + 40)
        XCTAssertEqual(card.scoreRange, (500 - 30 - 12)...(500 + 15 + 40))
    }

    func testReasonCodesAgainstBestAttainableBin() {
        let card = handBuiltScorecard()
        // Best attainable: age 15 ([40, +inf)); housing 10 ("own": the missing bin's 40 has no training rows).
        XCTAssertEqual(card.entries[1].bestPoints, 10)
        let reasons = card.reasons(bins: [0, 1], count: 4)  // age < 25 loses 35, renting loses 22
        XCTAssertEqual(reasons.map(\.entry), [0, 1])
        XCTAssertEqual(reasons.map(\.lost), [35, 22])
        XCTAssertEqual(card.reasonText(entry: 0, bin: 0, lost: 35), "age in (-inf, 25): 35 points below the best bin")
        XCTAssertEqual(card.reasons(bins: [2, 0], count: 4).count, 0, "best bins everywhere: no reason")
        XCTAssertEqual(card.reasons(bins: [4, 0], count: 1).map(\.lost), [45])
        XCTAssertEqual(card.reasonText(entry: 0, bin: 4, lost: 45), "age is the special value -1: 45 points below the best bin")
        // Ties keep scorecard order.
        let tie = card.reasons(bins: [1, 1], count: 4)
        XCTAssertEqual(tie.map(\.lost), [22, 15])

        let formatter = ScoreFormatter(scorecard: card)
        XCTAssertEqual(formatter.columns, ["id", "pd", "score", "decision", "reason_1", "reason_2"])
        let declined = formatter.fields(id: "A7", bins: [0, 1])
        XCTAssertEqual(declined[2], "468")
        XCTAssertEqual(declined[3], "decline")
        XCTAssertEqual(declined[4], "age in (-inf, 25): 35 points below the best bin")
        XCTAssertEqual(declined[5], "housing is rent | free (and other): 22 points below the best bin")
        let approved = formatter.fields(id: "A8", bins: [2, 0])
        XCTAssertEqual(Array(approved[2...]), ["525", "approve", "", ""])
    }

    func testPointsScaling() {
        var config = ScorecardConfig()
        config.pdo = 20; config.baseScore = 600; config.baseOdds = 50
        let card = Scorecard(outcome: OutcomeDefinition(column: "y", badValue: "1", goodValue: "0"), idColumn: nil, config: config,
                             entries: [], intercept: 0, basePoints: 600, cutoff: 0, excluded: [], trainingBands: ScoreBands(scores: []),
                             trainingRows: 0, trainingBads: 0)
        // 600 points: odds 50:1, pd = 1/51; 620 points: odds 100:1.
        XCTAssertEqual(card.probabilityOfDefault(score: 600), 1.0 / 51, accuracy: 1e-12)
        XCTAssertEqual(card.probabilityOfDefault(score: 620), 1.0 / 101, accuracy: 1e-12)
        XCTAssertEqual(config.factor, 20 / log(2.0), accuracy: 1e-12)
    }

    func testTrainedScorecardOnGermanCredit() throws {
        let data = try CreditDataset.load(path: germanCreditPath, target: "creditability", bad: "bad")
        XCTAssertEqual(data.count, 1000)
        XCTAssertEqual(data.badCount, 300)
        let result = try ScorecardTrainer.fit(data)
        let card = result.scorecard
        XCTAssertGreaterThanOrEqual(card.entries.count, 5)
        // Every coefficient positive (WOE = ln(bad share / good share) rises with risk).
        XCTAssert(card.entries.allSatisfy { $0.coefficient > 0 })
        // Points are exactly round(−factor·β·WOE) and the score is base + Σ points of each row's bins.
        let factor = card.config.factor
        for entry in card.entries {
            XCTAssertEqual(entry.points, entry.binning.bins.map { Int((-factor * entry.coefficient * $0.woe).rounded()) })
        }
        XCTAssertEqual(card.basePoints, Int((card.config.offset - factor * result.regression.intercept).rounded()))
        let byName = Dictionary(uniqueKeysWithValues: data.characteristics.map { ($0.name, $0) })
        let bins = card.entries.map { $0.binning.binIndices(byName[$0.binning.name]!.values) }
        for i in 0..<data.count {
            var total = card.basePoints
            for j in card.entries.indices { total += card.entries[j].points[Int(bins[j][i])] }
            XCTAssertEqual(result.scores[i], total)
        }
        let auc = rocAUC(labels: data.labels, scores: result.scores.map { -Double($0) })!
        XCTAssertGreaterThan(auc, 0.8)
        // Same data, same scorecard.
        let again = try ScorecardTrainer.fit(data).scorecard
        XCTAssertEqual(again.entries.map(\.points), card.entries.map(\.points))
        XCTAssertEqual(again.cutoff, card.cutoff)
    }

    func testCrossValidatedAUCMeetsTheGate() throws {
        let data = try CreditDataset.load(path: germanCreditPath, target: "creditability", bad: "bad")
        let cv = try CreditCrossValidation.run(data, kind: .scorecard, folds: 5, seed: 0)
        XCTAssertEqual(cv.foldAUCs.count, 5)
        XCTAssertGreaterThanOrEqual(cv.meanAUC, 0.78, "folds \(cv.foldAUCs)")
    }

    func testModelFileRoundTrip() throws {
        let dir = try TemporaryDirectory("credit-model")
        defer { dir.remove() }
        let data = try CreditDataset.load(path: germanCreditPath, target: "creditability", bad: "bad")
        let card = try ScorecardTrainer.fit(data).scorecard
        try ScorecardFile.write(card, to: dir.file("m.lepton"), metrics: ["auc": 0.8])
        let (back, manifest) = try ScorecardFile.read(path: dir.file("m.lepton"))
        XCTAssertEqual(manifest.kind, "credit-scorecard")
        XCTAssertEqual(manifest.domain, "credit")
        XCTAssertEqual(back.entries.map(\.points), card.entries.map(\.points))
        XCTAssertEqual(back.entries.map(\.binning.bins), card.entries.map(\.binning.bins))
        XCTAssertEqual(back.scores(of: data), card.scores(of: data))
        XCTAssertEqual(back.trainingBands, card.trainingBands)
        // Damaged file: a clear error, no crash.
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: dir.file("m.lepton"))))
        bytes[bytes.count / 2] ^= 0xFF
        try dir.write("bad.lepton", bytes: bytes)
        XCTAssertThrowsError(try ScorecardFile.read(path: dir.file("bad.lepton"))) { error in
            XCTAssert("\(error)".contains("checksum"), "\(error)")
        }
    }

    func testSelectionDropsWeakAndCorrelatedCharacteristics() {
        let x = (0..<500).map { Double($0 % 7) }
        let twin = x.map { $0 * 2 + 1 }  // perfectly correlated
        let other = (0..<500).map { Double(($0 * 31) % 11) }
        let (kept, excluded) = CharacteristicSelection.select(ivs: [0.3, 0.2, 0.01, 0.1], names: ["x", "twin", "weak", "other"],
                                                              woe: [x, twin, other, other.reversed()], config: SelectionConfig())
        XCTAssertEqual(kept, [0, 3])
        XCTAssertEqual(Set(excluded.map(\.name)), ["twin", "weak"])
        XCTAssert(excluded.first { $0.name == "twin" }!.reason.contains("correlation"))
        // VIF of independent columns is about 1; of a column made of two others, large.
        let a = (0..<400).map { Double($0 % 13) }, b = (0..<400).map { Double(($0 * 7) % 17) }
        let vif = CharacteristicSelection.varianceInflation([a, b, zip(a, b).map { $0 + $1 + Double(Int($0) % 2) * 0.01 }])
        XCTAssertGreaterThan(vif[2], 100)
        XCTAssertEqual(CharacteristicSelection.varianceInflation([a, b])[0], 1, accuracy: 0.05)
    }
}
