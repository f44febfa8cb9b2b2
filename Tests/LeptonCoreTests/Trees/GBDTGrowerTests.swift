import XCTest
@testable import LeptonCore

final class GBDTGrowerTests: XCTestCase {
    private func grow(_ config: GBDTConfig, rows: Int = 3000, used: [Bool]? = nil)
        -> (GrownTree, TreeGrower, [Float], [Float]) {
        let (x, y) = syntheticBinary(rows: rows, seed: 21)
        let mappers = BinnedData.mappers(for: x, categorical: [Bool](repeating: false, count: x.columnCount),
                                         maxBins: config.maxBins, maxCategories: 10, minCategoryCount: 1,
                                         sampleSize: rows, seed: 0, threads: 1)
        let data = BinnedData(x, mappers: mappers, threads: 1)
        let grower = TreeGrower(data: data, config: config, threads: 2)
        // Log-loss derivatives at margin 0, with varying weights so hessians differ.
        let g = (0..<rows).map { Float((0.5 - y[$0]) * (1 + Double($0 % 3))) }
        let h = (0..<rows).map { Float(0.25 * (1 + Double($0 % 3))) }
        let d = zip(g, h).map { SIMD2($0, $1) }
        let tree = d.withUnsafeBufferPointer { dp in
            grower.grow(rows: (0..<rows).map { Int32($0) }, derivatives: dp.baseAddress!,
                        used: used ?? [Bool](repeating: true, count: x.columnCount))
        }
        return (tree, grower, g, h)
    }

    func testRespectsMaxLeavesAndPartitionsEveryRowOnce() {
        var c = GBDTConfig(); c.maxLeaves = 7; c.minDataInLeaf = 5
        let (t, grower, _, _) = grow(c)
        XCTAssertEqual(t.leafOutputs.count, 7)
        XCTAssertEqual(t.splits.count, 6)
        var seen = Set<Int32>()
        for (leaf, seg) in t.leafSegments.enumerated() {
            let rows = Array(grower.partition(seg.begin, seg.count))
            XCTAssertEqual(rows, rows.sorted(), "partition is stable")
            for r in rows {
                XCTAssertTrue(seen.insert(r).inserted)
                grower.data.bins.withUnsafeBufferPointer { b in
                    XCTAssertEqual(t.routing.leaf(rowBins: b.baseAddress! + Int(r) * grower.data.rowStride), leaf)
                }
            }
        }
        XCTAssertEqual(seen.count, 3000)
    }

    func testRespectsMaxDepth() {
        for depth in [1, 2, 3] {
            var c = GBDTConfig(); c.maxLeaves = 31; c.maxDepth = depth; c.minDataInLeaf = 1
            let (t, _, _, _) = grow(c)
            XCTAssertLessThanOrEqual(t.leafDepths.max()!, depth)
            XCTAssertEqual(t.leafOutputs.count, 1 << depth, "a rich problem fills every level")
        }
    }

    func testRespectsMinDataAndMinHessianAndLeafOutputsAreRegularisedMeans() {
        var c = GBDTConfig(); c.maxLeaves = 31; c.minDataInLeaf = 150; c.minHessianInLeaf = 60; c.lambdaL2 = 3
        let (t, grower, g, h) = grow(c)
        XCTAssertGreaterThan(t.leafOutputs.count, 2)
        for (leaf, seg) in t.leafSegments.enumerated() {
            XCTAssertGreaterThanOrEqual(seg.count, 150)
            var sg = 0.0, sh = 0.0
            for r in grower.partition(seg.begin, seg.count) { sg += Double(g[Int(r)]); sh += Double(h[Int(r)]) }
            XCTAssertGreaterThanOrEqual(sh, 60)
            XCTAssertEqual(t.leafOutputs[leaf], -sg / (sh + 3), accuracy: 1e-9)
        }
    }

    func testMinSplitGainStopsGrowthAndUnusedFeaturesAreNeverSplit() {
        var c = GBDTConfig(); c.minSplitGain = 1e12
        XCTAssertEqual(grow(c).0.leafOutputs.count, 1)
        let used = [false, true, true, false, true, true]
        let (t, _, _, _) = grow(GBDTConfig(), used: used)
        XCTAssertFalse(t.splits.isEmpty)
        for s in t.splits { XCTAssertTrue(used[s.feature]) }
        // Gains are positive and leaves are picked best-first: the root split has the largest gain.
        XCTAssertEqual(t.splits.map(\.gain).max(), t.splits[0].gain)
    }
}
