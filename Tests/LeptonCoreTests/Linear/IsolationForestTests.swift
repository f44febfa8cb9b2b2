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
}
