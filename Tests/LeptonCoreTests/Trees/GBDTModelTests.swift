import Foundation
import LeptonTestSupport
import XCTest
@testable import LeptonCore

final class GBDTModelTests: XCTestCase {
    private func config(rounds: Int = 40) -> GBDTConfig {
        var c = GBDTConfig(objective: .binaryLogLoss, rounds: rounds, learningRate: 0.1, maxLeaves: 15, seed: 5)
        c.threads = 2
        return c
    }

    func testLearnsTheSyntheticTaskAndPredictionsMatchTrainingMargins() throws {
        let (x, y) = syntheticBinary(rows: 3000, seed: 1)
        let (tx, ty) = syntheticBinary(rows: 2000, seed: 2)
        let model = try GBDT(config: config()).fit(x, labels: y)
        XCTAssertEqual(model.trees.count, 40)
        let auc = testAUC(labels: ty, scores: model.predictRaw(tx))
        XCTAssertGreaterThan(auc, 0.85)
        // Batch, single-row and per-tree predictions agree.
        let raw = model.predictRaw(tx, threads: 1)
        XCTAssertEqual(raw, model.predictRaw(tx, threads: 2))
        for i in [0, 1, 999, 1999] {
            let row = tx.row(i)
            XCTAssertEqual(model.predictRaw(row: row), raw[i], accuracy: 1e-12)
            XCTAssertEqual(model.baseScore + model.trees.reduce(0) { $0 + $1.predict(row: row) }, raw[i], accuracy: 1e-12)
        }
        let p = model.predictProbability(tx)
        for i in 0..<10 { XCTAssertEqual(p[i], 1 / (1 + exp(-raw[i])), accuracy: 1e-12) }
    }

    func testTrainingMarginsFromPartitionEqualPredictorOnBinnedRows() throws {
        // With rowSubsample < 1 the boosting loop routes out-of-bag rows through bins; the
        // resulting model must describe the same function on raw values: refit with one more
        // round on the same seed and compare the first rounds' predictions with the model.
        var c = config(rounds: 8)
        c.rowSubsample = 0.7
        c.colSubsample = 0.6
        let (x, y) = syntheticBinary(rows: 2000, seed: 3)
        let a = try GBDT(config: c).fit(x, labels: y)
        c.rounds = 9
        let b = try GBDT(config: c).fit(x, labels: y)
        XCTAssertEqual(Array(b.trees.prefix(8)), a.trees, "round 9 depends only on rounds 1…8")
        XCTAssertNotEqual(b.trees[8], b.trees[7])
    }

    func testDeterministicForSeedAndThreadsAndSeedMatters() throws {
        var c = config(rounds: 10)
        c.rowSubsample = 0.8; c.colSubsample = 0.7
        let (x, y) = syntheticBinary(rows: 20_000, seed: 4)
        c.threads = 1
        let one = try GBDT(config: c).fit(x, labels: y)
        c.threads = 2
        let two = try GBDT(config: c).fit(x, labels: y)
        XCTAssertEqual(one, two)
        c.seed = 6
        XCTAssertNotEqual(try GBDT(config: c).fit(x, labels: y).trees, two.trees)
    }

    func testMonotoneConstraintsHoldOnEverySweep() throws {
        var c = config(rounds: 30)
        c.minDataInLeaf = 5
        c.monotoneConstraints = [1, -1, 0, 0, 0, 0]
        let (x, y) = syntheticBinary(rows: 2000, seed: 8)
        let model = try GBDT(config: c).fit(x, labels: y)
        XCTAssertGreaterThan(model.featureImportance(.splitCount)[0], 0)
        XCTAssertGreaterThan(model.featureImportance(.splitCount)[1], 0)
        let grid = stride(from: -4.0 as Float, through: 4, by: 0.05).map { $0 }
        for i in 0..<100 {
            var row = x.row(i)
            for (feature, sign) in [(0, 1.0), (1, -1.0)] {
                var previous = -Double.infinity * sign
                let saved = row[feature]
                for v in grid {
                    row[feature] = v
                    let f = model.predictRaw(row: row)
                    XCTAssertGreaterThanOrEqual(sign * (f - previous), -1e-12, "row \(i) feature \(feature) at \(v)")
                    previous = f
                }
                row[feature] = saved
            }
        }
        // Without the constraint the same data gives a non-monotone fit somewhere.
        c.monotoneConstraints = []
        let free = try GBDT(config: c).fit(x, labels: y)
        var violations = 0
        for i in 0..<100 {
            var row = x.row(i), previous = -Double.infinity
            for v in grid { row[1] = v; let f = free.predictRaw(row: row); if f > previous + 1e-12 && previous > -.infinity { violations += 1 }; previous = f }
        }
        XCTAssertGreaterThan(violations, 0)
    }

    func testSHAPContributionsAddUpToTheMargin() throws {
        var c = config(rounds: 25)
        c.categoricalFeatures = [5]
        let (x0, y) = syntheticBinary(rows: 1500, seed: 10)
        // Make feature 5 a categorical code 0…7.
        var values = x0.values
        for i in 0..<x0.rowCount { let v = values[5 * x0.rowCount + i]; values[5 * x0.rowCount + i] = v.isNaN ? .nan : Float(Int((v + 4) * 1)) }
        let x = FeatureColumns(columnMajor: values, rowCount: x0.rowCount, names: x0.names)
        let model = try GBDT(config: c).fit(x, labels: y)
        let (tx, _) = syntheticBinary(rows: 300, seed: 11)
        let phi = model.shap(tx)
        let raw = model.predictRaw(tx)
        let w = model.featureCount + 1
        for i in 0..<tx.rowCount {
            let s = phi[(i * w)..<((i + 1) * w)].reduce(0, +)
            XCTAssertEqual(s, raw[i], accuracy: 1e-9, "row \(i)")
        }
        // The expected value is the mean margin over the training rows (cover-weighted).
        let meanTrain = model.predictRaw(x).reduce(0, +) / Double(x.rowCount)
        XCTAssertEqual(phi[w - 1], meanTrain, accuracy: 0.02)
        // Single tree, single split: φ is exact by hand. Leaves a (n_a rows), b (n_b): for a row
        // going to a, φ = v_a − (n_a v_a + n_b v_b)/(n_a + n_b).
        let t = model.trees[0]
        var root = t.nodes[0]
        root.left = ~0; root.right = ~1
        let stump = GBDTModel(objective: .binaryLogLoss, baseScore: 0.1,
                              trees: [GBDTTree(nodes: [root], leafValues: [1, -3], categoryBits: t.categoryBits,
                                               splitGains: [1], nodeCounts: [4], leafCounts: [3, 1])],
                              featureNames: model.featureNames, featureKinds: model.featureKinds)
        let one = stump.shap(FeatureColumns(rows: [tx.row(0)]))
        let wentLeft = stump.trees[0].leafIndex(row: tx.row(0)) == 0
        let feature = Int(t.nodes[0].feature)
        XCTAssertEqual(one[feature], (wentLeft ? 1 : -3) - 0, accuracy: 1e-12)
        XCTAssertEqual(one[w - 1], 0.1 + 0, accuracy: 1e-12)  // (3·1 + 1·(−3))/4 = 0
    }

    func testEarlyStoppingKeepsTheBestRound() throws {
        var c = config(rounds: 400)
        c.learningRate = 0.3
        c.maxLeaves = 31; c.minDataInLeaf = 2
        c.earlyStoppingRounds = 5
        let (x, y) = syntheticBinary(rows: 800, seed: 12)
        let (vx, vy) = syntheticBinary(rows: 800, seed: 13)
        let model = try GBDT(config: c).fit(x, labels: y, validation: GBDTValidationSet(features: vx, labels: vy))
        let best = try XCTUnwrap(model.history.bestRound)
        XCTAssertLessThan(model.history.roundsRun, 400)
        XCTAssertEqual(model.trees.count, best + 1)
        XCTAssertEqual(model.history.validationLoss.count, best + 1 + 5)
        XCTAssertEqual(model.history.validationLoss.min(), model.history.validationLoss[best])
        let loss = GBDTObjective.binaryLogLoss.loss(labels: vy, scores: model.predictRaw(vx), weights: vy.map { _ in 1 })
        XCTAssertEqual(loss, model.history.validationLoss[best], accuracy: 1e-9)
        XCTAssertThrowsError(try GBDT(config: c).fit(x, labels: y), "early stopping needs a validation set")
    }

    func testRegressionWithCategoricalFeatureAndWeights() throws {
        var c = GBDTConfig(objective: .l2Regression, rounds: 60, learningRate: 0.2, maxLeaves: 8, seed: 1)
        c.minDataPerCategory = 5
        let (x, y) = syntheticRegression(rows: 2000, seed: 14)
        let model = try GBDT(config: c).fit(x, labels: y)
        let (tx, ty) = syntheticRegression(rows: 1000, seed: 15)
        let mse = GBDTObjective.l2Regression.loss(labels: ty, scores: model.predict(tx), weights: ty.map { _ in 1 })
        XCTAssertLessThan(mse, 0.1)
        XCTAssertGreaterThan(model.featureImportance(.gain)[2], 0, "the categorical code matters")
        XCTAssertTrue(model.trees.contains { $0.nodes.contains { $0.isCategorical } })
        // Unseen code 99 and missing codes predict without trapping.
        _ = model.predictRaw(row: [0, 0, 99])
        _ = model.predictRaw(row: [0, 0, .nan])
        // Zero weight on half the rows = training on the other half.
        let half = (0..<2000).map { $0 % 2 == 0 ? 1.0 : 0.0 }
        let weighted = try GBDT(config: c).fit(x, labels: y, weights: half)
        XCTAssertEqual(weighted.baseScore, zip(y, half).reduce(0) { $0 + $1.0 * $1.1 } / 1000, accuracy: 1e-12)
    }

    func testMissingValuesLearnADefaultDirection() throws {
        // y depends only on whether x is missing.
        var rng = SeededGenerator(seed: 16)
        var col = [Float](), y = [Double]()
        for _ in 0..<1000 { let missing = rng.nextUniform() < 0.3; col.append(missing ? .nan : rng.nextNormal()); y.append(missing ? 1 : 0) }
        var c = config(rounds: 20); c.maxLeaves = 2
        let model = try GBDT(config: c).fit(FeatureColumns(columns: [col]), labels: y)
        XCTAssertGreaterThan(model.predictProbability(FeatureColumns(columns: [[.nan]]))[0], 0.9)
        XCTAssertLessThan(model.predictProbability(FeatureColumns(columns: [[0.3]]))[0], 0.1)
    }

    func testFeatureImportanceAndConfigValidation() throws {
        let (x, y) = syntheticBinary(rows: 1500, seed: 17)
        let model = try GBDT(config: config(rounds: 20)).fit(x, labels: y)
        let gain = model.featureImportance(.gain), splits = model.featureImportance(.splitCount)
        XCTAssertEqual(splits.reduce(0, +), Double(model.trees.reduce(0) { $0 + $1.nodes.count }))
        XCTAssertEqual(gain.indices.max { gain[$0] < gain[$1] }, 0, "x₀ carries the most signal")
        var bad = config(); bad.maxLeaves = 1
        XCTAssertThrowsError(try GBDT(config: bad).fit(x, labels: y))
        bad = config(); bad.monotoneConstraints = [1]
        XCTAssertThrowsError(try GBDT(config: bad).fit(x, labels: y))
        bad = config(); bad.categoricalFeatures = [0]; bad.monotoneConstraints = [1, 0, 0, 0, 0, 0]
        XCTAssertThrowsError(try GBDT(config: bad).fit(x, labels: y))
        XCTAssertThrowsError(try GBDT(config: config()).fit(x, labels: Array(y.prefix(10))))
    }

    func testSaveAndLoadThroughTheModelFile() throws {
        var c = config(rounds: 15)
        c.categoricalFeatures = [2]
        let (x0, y) = syntheticBinary(rows: 1500, seed: 18)
        var values = x0.values
        for i in 0..<x0.rowCount { let v = values[2 * 1500 + i]; values[2 * 1500 + i] = v.isNaN ? .nan : Float(Int(abs(v) * 3)) }
        let x = FeatureColumns(columnMajor: values, rowCount: 1500, names: x0.names)
        let model = try GBDT(config: c).fit(x, labels: y)
        let dir = try TemporaryDirectory("gbdt")
        defer { dir.remove() }
        let path = dir.path + "/gbdt.lepton"
        try model.write(to: path, domain: "credit", metrics: ["auc": 0.9])
        let loaded = try GBDTModel.read(path: path)
        XCTAssertEqual(loaded.trees, model.trees)
        XCTAssertEqual(loaded.baseScore.bitPattern, model.baseScore.bitPattern)
        XCTAssertEqual(loaded.featureKinds, model.featureKinds)
        XCTAssertEqual(loaded.predictRaw(x), model.predictRaw(x))
        // A corrupted structure is rejected with a message, not a crash.
        var contents = model.modelFileContents()
        if let k = contents.tensors.firstIndex(where: { $0.name == "node_int" }) {
            var s = contents.tensors[k].tensor.scalars
            s[2] = Float(bitPattern: UInt32(bitPattern: 0))  // node 0's left child → itself
            contents.tensors[k].tensor = Tensor(shape: contents.tensors[k].tensor.shape, scalars: s)
        }
        XCTAssertThrowsError(try GBDTModel(contents: contents)) { XCTAssertTrue("\($0)".contains("child")) }
        XCTAssertThrowsError(try GBDTModel.read(path: dir.path + "/missing.lepton"))
    }
}

final class GBDTSHAPBruteForceTests: XCTestCase {
    /// v(S) of one tree: features in S follow the row, the others average over children by cover.
    private func value(_ t: GBDTTree, _ c: Int32, _ row: [Float], _ known: Set<Int>) -> Double {
        if c < 0 { return t.leafValues[Int(~c)] }
        let n = t.nodes[Int(c)]
        func cover(_ k: Int32) -> Double { Double(k >= 0 ? t.nodeCounts[Int(k)] : t.leafCounts[Int(~k)]) }
        if known.contains(Int(n.feature)) {
            return value(t, t.predictChild(n, row), row, known)
        }
        return (cover(n.left) * value(t, n.left, row, known) + cover(n.right) * value(t, n.right, row, known)) / cover(c)
    }

    func testTreeSHAPEqualsShapleyValuesByEnumeration() throws {
        var c = GBDTConfig(objective: .binaryLogLoss, rounds: 3, learningRate: 0.5, maxLeaves: 12, seed: 2)
        c.minDataInLeaf = 5
        let (x, y) = syntheticBinary(rows: 600, features: 5, seed: 30)
        let model = try GBDT(config: c).fit(x, labels: y)
        let f = 5
        let phi = model.shap(x.selecting(rows: [0, 1, 2, 3]))
        func factorial(_ k: Int) -> Double { k <= 1 ? 1 : Double(k) * factorial(k - 1) }
        for i in 0..<4 {
            let row = x.row(i)
            for j in 0..<f {
                var exact = 0.0
                for mask in 0..<(1 << f) where mask & (1 << j) == 0 {
                    let s = Set((0..<f).filter { mask & (1 << $0) != 0 })
                    let weight = factorial(s.count) * factorial(f - s.count - 1) / factorial(f)
                    for t in model.trees where !t.nodes.isEmpty {
                        exact += weight * (value(t, 0, row, s.union([j])) - value(t, 0, row, s))
                    }
                }
                XCTAssertEqual(phi[i * (f + 1) + j], exact, accuracy: 1e-9, "row \(i) feature \(j)")
            }
        }
    }
}

extension GBDTTree {
    /// The child a row takes at node `n` (test helper).
    func predictChild(_ n: Node, _ row: [Float]) -> Int32 {
        categoryBits.withUnsafeBufferPointer { b in
            GBDTTree.goesLeft(n, row[Int(n.feature)], b.baseAddress ?? UnsafePointer(bitPattern: 64)!) ? n.left : n.right
        }
    }
}
