import Foundation
@testable import LeptonCore
import XCTest

final class IsolationForestTests: XCTestCase {
    /// A 3-D Gaussian cloud with a few far points.
    private func data(n: Int, outliers: Int, seed: UInt64) -> [[Float]] {
        var rng = SeededGenerator(seed: seed)
        var columns = [[Float]](repeating: [], count: 3)
        for i in 0..<n {
            for j in 0..<3 {
                let u1 = Double.random(in: 1e-12..<1, using: &rng), u2 = Double.random(in: 0..<1, using: &rng)
                let gaussian = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
                columns[j].append(Float(i < outliers ? 8 + gaussian : gaussian))
            }
        }
        return columns
    }

    func testAveragePathLength() {
        XCTAssertEqual(IsolationForest.averagePathLength(1), 0)
        XCTAssertEqual(IsolationForest.averagePathLength(2), 1)
        // c(256) = 2(ln 255 + γ) − 2·255/256 ≈ 10.2448
        XCTAssertEqual(IsolationForest.averagePathLength(256), 10.2448, accuracy: 1e-3)
    }

    func testOutliersScoreHighAndInliersLow() throws {
        let train = data(n: 2000, outliers: 10, seed: 1)
        var config = IsolationForestConfig()
        config.seed = 7
        let model = try IsolationForest.fit(train, config: config)
        let scores = try model.scores(train)
        XCTAssertTrue(scores.allSatisfy { $0 > 0 && $0 <= 1 })
        let outlierMin = scores[0..<10].min()!
        let inlierMedian = scores[10...].sorted()[995]
        XCTAssertGreaterThan(outlierMin, 0.6)
        XCTAssertLessThan(inlierMedian, 0.5)
        XCTAssertGreaterThan(outlierMin, scores[10...].sorted()[1980], "every outlier above the 99th inlier percentile")
    }

    func testDeterministicAndThreadIndependent() throws {
        let train = data(n: 1000, outliers: 5, seed: 2)
        var config = IsolationForestConfig()
        config.seed = 3
        config.threads = 1
        let one = try IsolationForest.fit(train, config: config)
        config.threads = 2
        let two = try IsolationForest.fit(train, config: config)
        XCTAssertEqual(one.trees, two.trees)
        XCTAssertEqual(try one.scores(train), try two.scores(train))
        config.seed = 4
        XCTAssertNotEqual(try IsolationForest.fit(train, config: config).trees, two.trees)
    }

    /// A threshold set for a 1% false-alarm rate on reference data gives about 1% on fresh normal data.
    func testFalseAlarmRateThreshold() throws {
        let reference = data(n: 5000, outliers: 0, seed: 5)
        let model = try IsolationForest.fit(reference)
        let threshold = IsolationForestModel.threshold(forFalseAlarmRate: 0.01, referenceScores: try model.scores(reference))
        let fresh = try model.scores(data(n: 20000, outliers: 0, seed: 6))
        let rate = Double(fresh.filter { $0 > threshold }.count) / Double(fresh.count)
        XCTAssertEqual(rate, 0.01, accuracy: 0.005)
        XCTAssertEqual(IsolationForestModel.threshold(forFalseAlarmRate: 0.25, referenceScores: [0.1, 0.4, 0.3, 0.2]), 0.3)
    }

    func testBadInput() {
        XCTAssertThrowsError(try IsolationForest.fit([])) { XCTAssertEqual($0 as? IsolationForestError, .empty) }
        XCTAssertThrowsError(try IsolationForest.fit([[1, 2], [1]]))
        XCTAssertThrowsError(try IsolationForest.fit([[1, .nan, 3]])) {
            XCTAssertEqual($0 as? IsolationForestError, .notFinite(row: 1, column: 0))
        }
        XCTAssertThrowsError(try IsolationForest.fit([[1, 2, 3]]).scores([[1], [2]]))
    }

    func testConstantDataDoesNotCrash() throws {
        let model = try IsolationForest.fit([[Float](repeating: 4, count: 50)])
        let scores = try model.scores([[4, 5]])
        XCTAssertEqual(scores[0], scores[1], "no cut exists, every point ends in the root leaf")
    }

    /// The complete-tree layout (branch-free walk) scores exactly as the pointer walk, for
    /// several sample sizes, ties and constant columns, and rows to score with NaN and ±inf.
    func testCompleteTreeLayoutEqualsThePointerWalk() throws {
        var rng = SeededGenerator(seed: 9)
        for sampleSize in [2, 3, 17, 256, 1000] {
            var columns = data(n: 3000, outliers: 30, seed: UInt64(sampleSize))
            columns.append([Float](repeating: 4, count: 3000))                          // constant
            columns.append((0..<3000).map { _ in Float(Int.random(in: 0..<3, using: &rng)) })  // three values, ties
            var config = IsolationForestConfig()
            (config.trees, config.sampleSize, config.seed, config.threads) = (37, sampleSize, 3, 2)
            let model = try IsolationForest.fit(columns, config: config)
            XCTAssertNotNil(model.layout, "ψ = \(sampleSize)")
            var probe = columns.map { Array($0.prefix(603)) }
            probe[0][5] = .nan; probe[1][6] = .infinity; probe[2][7] = -.infinity; probe[3][8] = .nan
            XCTAssertEqual(try model.scores(probe, useLayout: true), try model.scores(probe, useLayout: false), "ψ = \(sampleSize)")
        }
        // Too tall for the layout (ψ = 10,000: height 14): the pointer walk serves.
        let big = data(n: 10_000, outliers: 0, seed: 1)
        var config = IsolationForestConfig()
        (config.trees, config.sampleSize) = (2, 10_000)
        let model = try IsolationForest.fit(big, config: config)
        XCTAssertNil(model.layout)
        XCTAssertEqual(try model.scores(big).count, 10_000)
    }

    func testSamplingWithoutReplacementIsDistinctAndCoversTheRange() {
        var rng = SeededGenerator(seed: 4)
        var seen = Set<Int>()
        for _ in 0..<200 {
            let sample = IsolationForest.sampleWithoutReplacement(5, from: 8, using: &rng)
            XCTAssertEqual(Set(sample).count, 5)
            XCTAssertTrue(sample.allSatisfy { (0..<8).contains($0) })
            seen.formUnion(sample)
        }
        XCTAssertEqual(seen, Set(0..<8))
        XCTAssertEqual(IsolationForest.sampleWithoutReplacement(3, from: 3, using: &rng).sorted(), [0, 1, 2])
    }

    /// A model written and read back scores the same (the layout is rebuilt, not stored).
    func testCodableRoundTripRebuildsTheLayout() throws {
        let columns = data(n: 500, outliers: 5, seed: 2)
        let model = try IsolationForest.fit(columns, config: IsolationForestConfig())
        let back = try JSONDecoder().decode(IsolationForestModel.self, from: try JSONEncoder().encode(model))
        XCTAssertEqual(back, model)
        XCTAssertEqual(try back.scores(columns), try model.scores(columns))
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(model), as: UTF8.self).contains("layout"))
    }

    /// A model file whose trees point outside their arrays or the row is refused when read.
    func testCorruptTreesAreRefusedWhenDecoded() throws {
        let model = try IsolationForest.fit(data(n: 300, outliers: 3, seed: 5), config: IsolationForestConfig())
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: try JSONEncoder().encode(model)) as? [String: Any])
        var trees = try XCTUnwrap(json["trees"] as? [[String: Any]])
        for (key, value) in [("feature", 7), ("left", 100_000), ("right", 0)] {
            var tree = trees[0]
            var values = try XCTUnwrap(tree[key] as? [Int])
            values[0] = value
            tree[key] = values
            trees[0] = tree
            json["trees"] = trees
            let bytes = try JSONSerialization.data(withJSONObject: json)
            XCTAssertThrowsError(try JSONDecoder().decode(IsolationForestModel.self, from: bytes), key)
            trees = try XCTUnwrap((try JSONSerialization.jsonObject(with: try JSONEncoder().encode(model)) as? [String: Any])?["trees"] as? [[String: Any]])
        }
    }
}
