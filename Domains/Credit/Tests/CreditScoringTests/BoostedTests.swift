@testable import CreditScoring
import LeptonCore
import LeptonIO
import LeptonTestSupport
import XCTest

/// Loans whose bad rate rises with `x` except for a dip on [60, 70), falls with `w`, and does
/// not depend on the category `c`.
func trendData(rows n: Int = 3000, seed: UInt64 = 7) -> CreditDataset {
    var rng = SeededGenerator(seed: seed)
    var x: [Double] = [], w: [Double] = [], codes: [Int32] = [], labels: [Double] = []
    for _ in 0..<n {
        let a = rng.uniform() * 100, b = rng.uniform() * 100
        let p = (a >= 60 && a < 70 ? 0.08 : 0.1 + 0.5 * a / 100) * (1.3 - 0.6 * b / 100)
        x.append(a)
        w.append(b)
        codes.append(Int32(rng.next() % 3))
        labels.append(rng.uniform() < p ? 1 : 0)
    }
    return CreditDataset(path: "trend.csv", outcome: OutcomeDefinition(column: "y", badValue: "bad", goodValue: "good"),
                         labels: labels,
                         characteristics: [
                             Characteristic(name: "x", kind: .numeric, values: .numeric(x), specialValues: [], trend: nil),
                             Characteristic(name: "w", kind: .numeric, values: .numeric(w), specialValues: [], trend: nil),
                             Characteristic(name: "c", kind: .categorical, values: .categorical(codes: codes, levels: ["p", "q", "r"]),
                                            specialValues: [], trend: nil),
                         ],
                         idColumn: nil, ids: [], rowsRead: n, rejected: [])
}

final class BoostedTests: XCTestCase {
    /// PDs of hand-built rows (the other features fixed) as feature `j` sweeps `values`.
    func sweep(_ trees: GBDTModel, feature j: Int, values: [Float], base: [Float]) -> [Double] {
        values.map { v in
            var row = base
            row[j] = v
            return 1 / (1 + exp(-trees.predictRaw(row: row)))
        }
    }

    func testConstraintsFollowTheBinningTrendsAndThePDIsMonotone() throws {
        let data = trendData()
        let result = try BoostedTrainer.fit(data, threads: 2)
        let model = result.model
        XCTAssertEqual(model.spec.features.map(\.binning.trend), [.ascending, .descending, .ascending])
        XCTAssertEqual(model.spec.features.map(\.constraint), [1, -1, 0], "categorical characteristics stay free")

        let grid = stride(from: Float(0), through: 100, by: 0.5).map { $0 }
        for base: [Float] in [[0, 20, 0], [0, 80, 2], [0, .nan, 1]] {
            let pd = sweep(model.trees, feature: 0, values: grid, base: base)
            for k in 1..<pd.count { XCTAssertGreaterThanOrEqual(pd[k], pd[k - 1] - 1e-12, "x = \(grid[k]), row \(base)") }
            XCTAssertGreaterThan(pd.last! - pd.first!, 0.1, "the PD does rise with x")
        }
        for base: [Float] in [[10, 0, 0], [90, 0, 1]] {
            let pd = sweep(model.trees, feature: 1, values: grid, base: base)
            for k in 1..<pd.count { XCTAssertLessThanOrEqual(pd[k], pd[k - 1] + 1e-12, "w = \(grid[k]), row \(base)") }
        }
        // The dip is real: the same trees without constraints predict a lower PD inside it.
        let free = try GBDT(config: model.spec.boosting.gbdtConfig(constraints: [0, 0, 0], threads: 2))
            .fit(model.encode(data).features, labels: data.labels)
        let unconstrained = sweep(free, feature: 0, values: grid, base: [0, 50, 0])
        XCTAssertLessThan(unconstrained[grid.firstIndex(of: 65)!], unconstrained[grid.firstIndex(of: 55)!] - 0.02)
    }

    func testOneRangeOrCategoricalGetsNoConstraint() {
        let one = CharacteristicBinning(name: "n", kind: .numeric, trend: .ascending, bins: [
            Bin(kind: .range, label: "(-inf, +inf)", lower: nil, upper: nil, categories: nil, includesOther: nil, special: nil,
                count: 10, bads: 2, woe: 0, iv: 0),
            Bin(kind: .missing, label: "Missing", lower: nil, upper: nil, categories: nil, includesOther: nil, special: nil,
                count: 0, bads: 0, woe: 0, iv: 0),
        ], iv: 0, observedMin: 0, observedMax: 1)
        XCTAssertEqual(BoostedFeature.constraint(for: one), 0)
        let card = handBuiltScorecard()
        XCTAssertEqual(BoostedFeature.constraint(for: card.entries[0].binning), -1, "descending age")
        XCTAssertEqual(BoostedFeature.constraint(for: card.entries[1].binning), 0, "categorical housing")
    }

    func testReasonRankingKeepsPositiveContributionsLargestFirst() {
        let phi = [0.2, -0.5, 0.7, 0.2, 0]
        let top = phi.withUnsafeBufferPointer { BoostedCreditModel.reasons(phi: $0, count: 3) }
        XCTAssertEqual(top.map(\.feature), [2, 0, 3], "ties in feature order")
        let all = phi.withUnsafeBufferPointer { BoostedCreditModel.reasons(phi: $0, count: 10) }
        XCTAssertEqual(all.map(\.feature), [2, 0, 3], "no reason for a contribution toward repayment or none")
    }

    /// Two one-split trees on the hand-built scorecard's characteristics: age ≤ 25 adds 1.0
    /// (30 training rows) and otherwise −0.5 (70 rows); housing "own" adds −0.2 (60 rows) and
    /// any other category 0.4 (40 rows). E[f] = −0.05 + 0.04 = −0.01.
    func handBuiltBoosted() -> BoostedCreditModel {
        let card = handBuiltScorecard()
        let age = GBDTTree(nodes: [.init(feature: 0, flags: 0, threshold: 25, left: ~0, right: ~1)], leafValues: [1.0, -0.5],
                           categoryBits: [], splitGains: [3], nodeCounts: [100], leafCounts: [30, 70])
        let housing = GBDTTree(nodes: [.init(feature: 1, flags: 2, threshold: 0, left: ~0, right: ~1, categoryStart: 0, categoryWordCount: 1)],
                               leafValues: [-0.2, 0.4], categoryBits: [1], splitGains: [1], nodeCounts: [100], leafCounts: [60, 40])
        let trees = GBDTModel(objective: .binaryLogLoss, baseScore: 0, trees: [age, housing], featureNames: ["age", "housing"],
                              featureKinds: [.numeric, .categorical])
        let spec = BoostedModelSpec(outcome: card.outcome, idColumn: "id", config: card.config, boosting: BoostingConfig(),
                                    features: [BoostedFeature(binning: card.entries[0].binning, levels: [], constraint: -1),
                                               BoostedFeature(binning: card.entries[1].binning, levels: ["own", "rent", "free"], constraint: 0)],
                                    cutoff: 500, trainingBands: card.trainingBands, trainingRows: 100, trainingBads: 20)
        return BoostedCreditModel(spec: spec, trees: trees)
    }

    func testScoresAndReasonCodesOfHandBuiltApplicants() throws {
        let model = handBuiltBoosted()
        let dir = try TemporaryDirectory("credit-boosted")
        defer { dir.remove() }
        let path = try dir.write("a.csv", "id,age,housing,y\nA,20,rent,good\nB,30,own,bad\nC,20,own,good\nD,-1,castle,good\n")
        let reader = try CSVReader(path: path)
        let scorer = try CreditModel.boosted(model).rowScorer(columns: reader.columns, path: path, reasonCount: nil)
        XCTAssertEqual(scorer.columns, ["id", "pd", "score", "decision", "reason_1", "reason_2"])
        var rows: [[String]] = []
        try reader.forEachRow { rows.append(try scorer.fields($0)) }
        let factor = 20 / log(2.0), offset = 600 - factor * log(50.0)
        // A: f = 1.0 + 0.4; φ_age = 1.0 − (−0.05) = 1.05, φ_housing = 0.4 − 0.04 = 0.36.
        XCTAssertEqual(rows[0], ["A", fixed(1 / (1 + exp(-1.4)), 6), String(Int((offset - factor * 1.4).rounded())), "decline",
                                 "age in (-inf, 25): +1.050 log-odds of default (30 points)",
                                 "housing is rent | free (and other): +0.360 log-odds of default (10 points)"])
        // B: f = −0.5 − 0.2, score 507 ≥ 500: approved, no reasons.
        XCTAssertEqual(rows[1], ["B", fixed(1 / (1 + exp(0.7)), 6), "507", "approve", "", ""])
        // C: f = 0.8; housing "own" pulls toward repayment (φ = −0.24), so one reason only.
        XCTAssertEqual(Array(rows[2][3...]), ["decline", "age in (-inf, 25): +1.050 log-odds of default (30 points)", ""])
        // D: the special value −1 enters the trees as missing (right branch, −0.5; φ_age = −0.45) and
        // is labelled with its own bin; "castle" was never seen: the trees' unseen branch (0.4).
        XCTAssertEqual(rows[3][2], String(Int((offset - factor * (-0.1)).rounded())))
        XCTAssertEqual(rows[3][3], "decline")
        XCTAssertEqual(rows[3][4], "housing is rent | free (and other): +0.360 log-odds of default (10 points)")
        XCTAssertEqual(scorer.unseenCategories, 1)

        // The model file round trip keeps the trees, the characteristics and the cut-off.
        let file = dir.file("m.lepton")
        try BoostedModelFile.write(model, to: file, metrics: ["auc": 0.7])
        guard case let .boosted(back) = try CreditModel.read(path: file) else { return XCTFail("not read as a boosted model") }
        XCTAssertEqual(back.trees, model.trees)
        XCTAssertEqual(back.spec.cutoff, 500)
        XCTAssertEqual(back.spec.features.map(\.levels), [[], ["own", "rent", "free"]])
        XCTAssertEqual(try ModelFile.read(path: file).manifest.domain, "credit")
        let cardFile = dir.file("card.lepton")
        try ScorecardFile.write(handBuiltScorecard(), to: cardFile)
        guard case .scorecard = try CreditModel.read(path: cardFile) else { return XCTFail("not read as a scorecard") }
        let plain = dir.file("plain.lepton")
        try model.trees.write(to: plain)
        XCTAssertThrowsError(try CreditModel.read(path: plain)) { XCTAssert("\($0)".contains("without the credit part"), "\($0)") }
    }
}
