import Foundation
import LeptonTestSupport
import XCTest
@testable import LeptonCore

final class TreeCompressionTests: XCTestCase {
    private func model(rounds: Int = 60) throws -> GBDTModel {
        var c = GBDTConfig(objective: .binaryLogLoss, rounds: rounds, learningRate: 0.1, maxLeaves: 8, seed: 5)
        c.threads = 2
        let (x, y) = syntheticBinary(rows: 3000, seed: 11)
        return try GBDT(config: c).fit(x, labels: y)
    }

    func testFirstTreesAndStagedMarginsAgreeWithPrediction() throws {
        let m = try model()
        let (x, _) = syntheticBinary(rows: 500, seed: 12)
        let staged = m.stagedRaw(x, counts: [0, 1, 30, 60])
        XCTAssertEqual(staged[0], [Double](repeating: m.baseScore, count: 500))
        for (k, count) in [1, 30, 60].enumerated() {
            let direct = m.firstTrees(count).predictRaw(x, threads: 1)
            for i in 0..<500 { XCTAssertEqual(staged[k + 1][i], direct[i], accuracy: 1e-9) }
        }
    }

    func testFewestTreesIsWithinToleranceOfTheBest() throws {
        let m = try model()
        let (vx, vy) = syntheticBinary(rows: 2000, seed: 13)
        let choice = m.fewestTrees(validation: vx, tolerance: 0.005) { rocAUC(labels: vy, scores: $0) ?? .nan }
        XCTAssertGreaterThanOrEqual(choice.metric, choice.best - 0.005)
        XCTAssertLessThan(choice.trees, 60)
        XCTAssertEqual(rocAUC(labels: vy, scores: m.firstTrees(choice.trees).predictRaw(vx))!, choice.metric, accuracy: 1e-9)
    }

    func testCompactFileRoundTripsExactlyAtEveryPrecisionAndIsSmaller() throws {
        let m = try model()
        let (x, _) = syntheticBinary(rows: 800, seed: 14)
        let plainBytes = try { let c = m.modelFileContents(); return try ModelFile.encode(manifest: c.manifest, tensors: c.tensors).count }()
        for precision in LeafPrecision.allCases {
            let (rounded, scale) = m.withLeafPrecision(precision)
            let compression = TreeCompression(trees: 60, originalTrees: 60, leafPrecision: precision, leafScale: scale)
            let c = try rounded.compactModelFileContents(compression: compression)
            let bytes = try ModelFile.encode(manifest: c.manifest, tensors: c.tensors)
            XCTAssertLessThan(bytes.count, plainBytes, "\(precision)")
            let back = try GBDTModel(contents: try ModelFile.decode(bytes))
            XCTAssertEqual(back.predictRaw(x, threads: 1), rounded.predictRaw(x, threads: 1), "\(precision): the file is the model")
            XCTAssertEqual(back.trees.map(\.nodes), m.trees.map(\.nodes), "thresholds and structure are exact")
            let raw = m.predictRaw(x, threads: 1), q = rounded.predictRaw(x, threads: 1)
            let worst = zip(raw, q).map { abs($0 - $1) }.max()!
            switch precision {
            case .float64: XCTAssertEqual(worst, 0)
            case .float16: XCTAssertLessThan(worst, 0.01)
            case .int8: XCTAssertLessThan(worst, Double(m.trees.count) * scale / 2 + 1e-12)
            }
            XCTAssertEqual(GBDTModel.compression(of: c.manifest), compression)
        }
    }

    func testAnOlderReaderRefusesACompressedFileWithAVersionError() throws {
        let m = try model(rounds: 5)
        let c = try m.compactModelFileContents(compression: TreeCompression(trees: 5, originalTrees: 5, leafPrecision: .float64))
        let bytes = try ModelFile.encode(manifest: c.manifest, tensors: c.tensors)
        XCTAssertEqual(bytes[8], 2, "compressed files are major version 2")
        XCTAssertThrowsError(try ModelFile.decode(bytes, path: "small.lepton", readerMajorVersion: 1)) { error in
            XCTAssertEqual("\(error)", "model file format 2.0 is not supported (this tool reads major versions 1 to 1); upgrade Lepton")
        }
        let plain = m.modelFileContents()
        XCTAssertEqual(try ModelFile.encode(manifest: plain.manifest, tensors: plain.tensors)[8], 1, "uncompressed files stay version 1")
    }

    func testDamagedCompactTensorsAreRefusedNotTrapped() throws {
        let m = try model(rounds: 5)
        let (rounded, scale) = m.withLeafPrecision(.int8)
        let c = try rounded.compactModelFileContents(compression: TreeCompression(trees: 5, originalTrees: 5, leafPrecision: .int8, leafScale: scale))
        var rng = SeededGenerator(seed: 2)
        for _ in 0..<300 {
            var tensors = c.tensors
            let k = rng.nextInt(below: tensors.count)
            var scalars = tensors[k].tensor.scalars
            guard !scalars.isEmpty else { continue }
            let i = rng.nextInt(below: scalars.count)
            scalars[i] = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            tensors[k].tensor = Tensor(shape: tensors[k].tensor.shape, scalars: scalars)
            _ = try? GBDTModel(contents: ModelFileContents(manifest: c.manifest, tensors: tensors))
        }
    }
}

final class LeafPruningTests: XCTestCase {
    func testMergingWeakSplitsKeepsStructureValidAndPredictionsClose() throws {
        var c = GBDTConfig(objective: .binaryLogLoss, rounds: 30, learningRate: 0.1, maxLeaves: 15, seed: 5)
        c.threads = 1
        c.monotoneConstraints = [1, -1, 0, 0, 0, 0]
        let (x, y) = syntheticBinary(rows: 2000, seed: 21)
        let model = try GBDT(config: c).fit(x, labels: y)
        let same = model.prunedLeaves(minGain: 0)
        XCTAssertEqual(same.leafCount, model.leafCount, "gain 0 merges nothing")
        XCTAssertEqual(same.predictRaw(x, threads: 1), model.predictRaw(x, threads: 1), "renumbered in pre-order, the same function")
        let gains = model.trees.flatMap(\.splitGains).sorted()
        let pruned = model.prunedLeaves(minGain: gains[gains.count / 2])
        XCTAssertLessThan(pruned.leafCount, model.leafCount)
        // Each tree's average prediction over the training rows is unchanged (merged leaves are cover means).
        for (a, b) in zip(model.trees, pruned.trees) { XCTAssertEqual(a.expectedValue, b.expectedValue, accuracy: 1e-9) }
        // The file round trip validates the renumbered trees.
        let contents = pruned.modelFileContents()
        let back = try GBDTModel(contents: try ModelFile.decode(try ModelFile.encode(manifest: contents.manifest, tensors: contents.tensors)))
        XCTAssertEqual(back.predictRaw(x, threads: 1), pruned.predictRaw(x, threads: 1))
        // Monotone constraints still hold on sweeps of the constrained features.
        let grid = stride(from: -4.0 as Float, through: 4, by: 0.1).map { $0 }
        for i in 0..<50 {
            var row = x.row(i)
            for (j, sign) in [(0, 1.0), (1, -1.0)] {
                var previous = -Double.infinity * sign
                for v in grid {
                    row[j] = v
                    let f = pruned.predictRaw(row: row)
                    XCTAssert(sign > 0 ? f >= previous - 1e-12 : f <= previous + 1e-12)
                    previous = f
                }
                row = x.row(i)
            }
        }
        let everything = model.prunedLeaves(minGain: .infinity)
        XCTAssert(everything.trees.allSatisfy { $0.leafCount == 1 }, "an infinite bar leaves stumps of one leaf")
    }
}
