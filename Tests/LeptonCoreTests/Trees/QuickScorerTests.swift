import XCTest
@testable import LeptonCore

/// QuickScorer against the plain walk: the same margin to the bit, on numeric and categorical
/// splits, missing values, unseen codes, infinities and extremes, ties at a threshold, one-leaf
/// trees, and trees of exactly 64 leaves; over 64 the plain walk is used.
final class QuickScorerTests: XCTestCase {
    private func assertWalksAgree(_ model: GBDTModel, _ x: FeatureColumns, file: StaticString = #filePath, line: UInt = #line) {
        let f = model.featureCount
        let columns = (0..<f).map { Array(x.column($0)) }
        var row = [Float](repeating: 0, count: f)
        var checked = 0
        for i in 0..<x.rowCount {
            for j in 0..<f { row[j] = columns[j][i] }
            let (fast, naive) = row.withUnsafeBufferPointer { r in
                model.forest.withPointers { p in (p.sum(row: r.baseAddress!), p.sumNaive(row: r.baseAddress!)) }
            }
            if fast.bitPattern != naive.bitPattern {
                XCTFail("row \(i): QuickScorer \(fast), plain walk \(naive)", file: file, line: line)
                return
            }
            checked += 1
        }
        XCTAssertEqual(checked, x.rowCount, file: file, line: line)
        // The batch path (eight rows in lanes, blocks, threads) and the row-major block API, in
        // blocks of every size from 1 to 19 (partial lanes), agree with the one-row scan.
        let batch = model.predictRaw(x, threads: 2)
        let rowMajor = (0..<x.rowCount).flatMap { i in (0..<f).map { columns[$0][i] } }
        var blocks = [Double](repeating: .nan, count: x.rowCount)
        var start = 0, size = 1
        while start < x.rowCount {
            let n = min(size, x.rowCount - start)
            rowMajor.withUnsafeBufferPointer { r in
                blocks.withUnsafeMutableBufferPointer { b in
                    model.predictRaw(rows: UnsafeBufferPointer(rebasing: r[(start * f)..<((start + n) * f)]),
                                     into: UnsafeMutableBufferPointer(rebasing: b[start..<(start + n)]))
                }
            }
            start += n
            size = size % 19 + 1
        }
        for i in 0..<x.rowCount {
            for j in 0..<f { row[j] = columns[j][i] }
            let one = model.predictRaw(row: row).bitPattern
            XCTAssertEqual(batch[i].bitPattern, one, "row \(i)", file: file, line: line)
            XCTAssertEqual(blocks[i].bitPattern, one, "row \(i) in a block", file: file, line: line)
        }
    }

    func testNumericSplitsWithMissingValuesAndExtremes() throws {
        for (rounds, leaves) in [(1, 2), (7, 31), (8, 15), (13, 64), (5, 90)] {
            var c = GBDTConfig(objective: .binaryLogLoss, rounds: rounds, learningRate: 0.2, maxLeaves: leaves, seed: UInt64(rounds))
            c.minDataInLeaf = 3
            let (x, y) = syntheticBinary(rows: 2000, features: 6, missingRate: 0.1, seed: 50)
            let model = try GBDT(config: c).fit(x, labels: y)
            XCTAssertEqual(model.forest.quick == nil, model.trees.contains { $0.leafCount > 64 }, "QuickScorer up to 64 leaves a tree")
            if leaves == 64 { XCTAssertTrue(model.trees.contains { $0.leafCount == 64 }, "a tree of exactly 64 leaves") }
            if leaves == 90 { XCTAssertNil(model.forest.quick, "the plain walk above 64 leaves") }
            var columns = (0..<6).map { Array(syntheticBinary(rows: 500, features: 6, missingRate: 0.2, seed: 51).x.column($0)) }
            for i in stride(from: 0, to: 500, by: 13) { columns[i % 6][i] = [Float.infinity, -.infinity, .greatestFiniteMagnitude, 0][i % 4] }
            // Values exactly at thresholds (x ≤ t goes left) and at -0.0.
            let thresholds = model.trees.flatMap { $0.nodes.map(\.threshold) }
            for i in stride(from: 5, to: 500, by: 9) where !thresholds.isEmpty {
                let node = model.trees.flatMap(\.nodes)[i % thresholds.count]
                columns[Int(node.feature)][i] = i % 2 == 0 ? node.threshold : -0.0
            }
            assertWalksAgree(model, FeatureColumns(columns: columns))
        }
    }

    func testCategoricalSplitsUnseenCodesAndConstantTrees() throws {
        var c = GBDTConfig(objective: .l2Regression, rounds: 21, learningRate: 0.3, maxLeaves: 16, seed: 4)
        c.minDataPerCategory = 5
        let (x, y) = syntheticRegression(rows: 2000, seed: 42)
        let model = try GBDT(config: c).fit(x, labels: y)
        var columns = (0..<3).map { Array(syntheticRegression(rows: 300, seed: 43).x.column($0)) }
        for i in stride(from: 0, to: 300, by: 7) { columns[2][i] = [9, -1, 1e9, .nan][i % 4] }
        for i in stride(from: 3, to: 300, by: 11) { for j in 0..<3 { columns[j][i] = .nan } }
        assertWalksAgree(model, FeatureColumns(columns: columns, names: x.names, kinds: x.kinds))

        // A constant label: boosting stops at once (an empty forest, the base score alone).
        let constant = try GBDT(config: GBDTConfig(objective: .l2Regression, rounds: 9, learningRate: 0.3, maxLeaves: 8, seed: 1))
            .fit(x, labels: [Double](repeating: 2, count: 2000))
        XCTAssertTrue(constant.trees.allSatisfy { $0.nodes.isEmpty }, "no tree has a split")
        assertWalksAgree(constant, FeatureColumns(columns: columns, names: x.names, kinds: x.kinds))
    }

    /// A hand-built tree: `splits` are (feature, threshold, flags, left, right), leaves get values 1, 2, 3 …
    private func tree(_ splits: [(Int32, Float, UInt8, Int32, Int32)], bits: [UInt32] = [], words: Int32 = 0) -> GBDTTree {
        let nodes = splits.map { GBDTTree.Node(feature: $0.0, flags: $0.2, threshold: $0.1, left: $0.3, right: $0.4,
                                               categoryStart: 0, categoryWordCount: $0.2 & 2 != 0 ? words : 0) }
        let leaves = nodes.count + 1
        return GBDTTree(nodes: nodes, leafValues: (0..<leaves).map { Double($0 + 1) * 0.5 }, categoryBits: bits,
                        splitGains: [Double](repeating: 1, count: nodes.count), nodeCounts: [Int](repeating: 10, count: nodes.count),
                        leafCounts: [Int](repeating: 5, count: leaves))
    }

    /// One-leaf trees among others, a NaN threshold, a 0.0 threshold met by -0.0, a categorical
    /// split with a missing default to the left, and leaves numbered out of left-to-right order.
    func testHandBuiltTreesWithEdgeCases() {
        let trees = [
            tree([]),                                                   // one leaf
            tree([(0, 0.0, 0, ~1, ~0)]),                                // leaves out of order; x ≤ 0 (−0.0 too) left
            tree([(1, .nan, 1, 1, ~0), (0, -1, 0, ~2, ~1)]),            // a NaN threshold: always right, missing left
            tree([(2, 0, 3, ~0, 1), (0, 2.5, 1, ~1, ~2)], bits: [0b1010], words: 1),  // categorical {1, 3} left, missing left
            tree([]),
        ]
        let model = GBDTModel(objective: .l2Regression, baseScore: 0.25, trees: trees, featureNames: ["a", "b", "c"],
                              featureKinds: [.numeric, .numeric, .categorical])
        XCTAssertNotNil(model.forest.quick)
        let values: [Float] = [-0.0, 0, 2.5, -1, 1e30, -.infinity, .infinity, .nan, 1, 3, 2, -.greatestFiniteMagnitude]
        var rows: [[Float]] = []
        for a in values { for b in values { for c in [Float(0), 1, 2, 3, 7, .nan, -1] { rows.append([a, b, c]) } } }
        let x = FeatureColumns(columns: (0..<3).map { j in rows.map { $0[j] } }, names: model.featureNames, kinds: model.featureKinds)
        assertWalksAgree(model, x)
    }

    /// A node reached from two parents is not a tree: QuickScorer declines it (the plain walk
    /// scores it), and the model file refuses it.
    func testAGraphIsLeftToThePlainWalkAndRefusedByTheFile() throws {
        // Node 0 sends both ways to node 1; leaf 2 is unreachable.
        let shared = tree([(0, 0, 0, 1, 1), (1, 0, 0, ~0, ~1)])
        let model = GBDTModel(objective: .l2Regression, baseScore: 0, trees: [shared], featureNames: ["a", "b"], featureKinds: [.numeric, .numeric])
        XCTAssertNil(model.forest.quick)
        XCTAssertFalse(shared.isTree)
        XCTAssertTrue(tree([(0, 0, 0, 1, ~0), (1, 0, 0, ~1, ~2)]).isTree)
        XCTAssertEqual(model.predictRaw(row: [-1, 1]), 1.0)
        XCTAssertThrowsError(try GBDTModel(contents: model.modelFileContents())) { XCTAssertTrue("\($0)".contains("more than one parent"), "\($0)") }
    }
}
