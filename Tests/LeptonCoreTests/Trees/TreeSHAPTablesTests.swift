import XCTest
@testable import LeptonCore

/// The tabulated TreeSHAP against the recursive one (itself checked against Shapley values by
/// enumeration in `GBDTSHAPBruteForceTests`).
final class TreeSHAPTablesTests: XCTestCase {
    private func assertSameAsRecursive(_ model: GBDTModel, _ x: FeatureColumns, file: StaticString = #filePath, line: UInt = #line) throws {
        let tables = try XCTUnwrap(TreeSHAPTables(model: model), file: file, line: line)
        let fast = tables.shap(x, threads: 2), slow = model.shap(x, threads: 2)
        XCTAssertEqual(fast.count, slow.count, file: file, line: line)
        var worst = 0.0
        for (a, b) in zip(fast, slow) { worst = max(worst, abs(a - b) / max(1, abs(b))) }
        XCTAssertLessThan(worst, 1e-9, "largest relative difference", file: file, line: line)
    }

    func testEqualsRecursiveTreeSHAPWithMissingValuesAndDeepRepeatedSplits() throws {
        // Deep trees on five features: most paths split on one feature several times.
        var c = GBDTConfig(objective: .binaryLogLoss, rounds: 40, learningRate: 0.2, maxLeaves: 63, seed: 3)
        c.minDataInLeaf = 3
        let (x, y) = syntheticBinary(rows: 3000, features: 5, missingRate: 0.1, seed: 40)
        let model = try GBDT(config: c).fit(x, labels: y)
        XCTAssertGreaterThan(model.trees.map(\.depth).max() ?? 0, 5)
        let (tx, _) = syntheticBinary(rows: 400, features: 5, missingRate: 0.1, seed: 41)
        try assertSameAsRecursive(model, tx)
    }

    func testEqualsRecursiveTreeSHAPWithCategoricalSplitsAndUnseenCodes() throws {
        var c = GBDTConfig(objective: .l2Regression, rounds: 30, learningRate: 0.3, maxLeaves: 16, seed: 4)
        c.minDataPerCategory = 5
        let (x, y) = syntheticRegression(rows: 2000, seed: 42)
        let model = try GBDT(config: c).fit(x, labels: y)
        var (tx, _) = syntheticRegression(rows: 300, seed: 43)
        // Unseen category codes and missing values in every column.
        var columns = (0..<3).map { Array(tx.column($0)) }
        for i in stride(from: 0, to: 300, by: 7) { columns[2][i] = 9 }
        for i in stride(from: 3, to: 300, by: 11) { for j in 0..<3 { columns[j][i] = .nan } }
        tx = FeatureColumns(columns: columns, names: tx.names, kinds: tx.kinds)
        try assertSameAsRecursive(model, tx)
    }

    func testSumOfContributionsIsTheMarginAndStumpsAndConstantTreesWork() throws {
        // A one-leaf tree and a stump with an empty child (zero cover).
        let stump = GBDTTree(nodes: [GBDTTree.Node(feature: 1, flags: 0, threshold: 0.5, left: ~0, right: ~1)],
                             leafValues: [2, -1], categoryBits: [], splitGains: [1], nodeCounts: [5], leafCounts: [5, 0])
        let constant = GBDTTree(nodes: [], leafValues: [0.25], categoryBits: [], splitGains: [], nodeCounts: [], leafCounts: [9])
        let model = GBDTModel(objective: .binaryLogLoss, baseScore: -0.5, trees: [stump, constant],
                              featureNames: ["a", "b"], featureKinds: [.numeric, .numeric])
        let x = FeatureColumns(columns: [[0, 1, .nan], [0, 1, .nan]])
        try assertSameAsRecursive(model, x)
        let phi = try XCTUnwrap(TreeSHAPTables(model: model)).shap(x)
        let raw = model.predictRaw(x)
        for i in 0..<3 { XCTAssertEqual(phi[(i * 3)..<(i * 3 + 3)].reduce(0, +), raw[i], accuracy: 1e-12) }
        XCTAssertEqual(phi[1], 0, accuracy: 1e-12, "b ≤ 0.5 reaches the leaf every training row reached")
        XCTAssertEqual(phi[4], -3, accuracy: 1e-12, "b > 0.5 reaches the empty leaf: −1 − 2")
    }

    func testRefusesPathsWithTooManyFeatures() throws {
        var c = GBDTConfig(objective: .binaryLogLoss, rounds: 5, learningRate: 0.3, maxLeaves: 31, seed: 5)
        c.minDataInLeaf = 3
        let (x, y) = syntheticBinary(rows: 1000, features: 6, seed: 44)
        let model = try GBDT(config: c).fit(x, labels: y)
        XCTAssertNil(TreeSHAPTables(model: model, maxPathFeatures: 1))
        XCTAssertNil(TreeSHAPTables(model: model, maxTableEntries: 10))
        XCTAssertNotNil(TreeSHAPTables(model: model))
    }

    func testExplainerGivesTheSameValuesThroughTablesAndThroughTheRecursiveWalk() throws {
        var c = GBDTConfig(objective: .binaryLogLoss, rounds: 20, learningRate: 0.3, maxLeaves: 15, seed: 6)
        c.minDataInLeaf = 3
        let (x, y) = syntheticBinary(rows: 1500, features: 6, seed: 45)
        let model = try GBDT(config: c).fit(x, labels: y)
        let tabulated = SHAPExplainer(model: model), recursive = SHAPExplainer(model: model, maxPathFeatures: 0)
        XCTAssertNotNil(tabulated.tables)
        XCTAssertNil(recursive.tables)
        for i in 0..<50 {
            let row = x.row(i)
            let a = tabulated.contributions(row: row), b = recursive.contributions(row: row)
            for (p, q) in zip(a, b) { XCTAssertEqual(p, q, accuracy: 1e-9 * max(1, abs(q))) }
            XCTAssertEqual(a.reduce(0, +), model.predictRaw(row: row), accuracy: 1e-9)
        }
    }
}
