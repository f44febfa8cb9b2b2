import LeptonCore
import XCTest

final class CrossValidationTests: XCTestCase {
    func testFoldsAreStratifiedSeededAndCoverEveryRow() {
        let labels = (0..<103).map { Double($0 % 10 < 3 ? 1 : 0) }
        let folds = stratifiedFolds(labels: labels, folds: 5, seed: 4)
        XCTAssertEqual(folds, stratifiedFolds(labels: labels, folds: 5, seed: 4))
        XCTAssertNotEqual(folds, stratifiedFolds(labels: labels, folds: 5, seed: 5))
        for k in 0..<5 {
            let members = folds.indices.filter { folds[$0] == k }
            let positives = members.filter { labels[$0] == 1 }.count
            XCTAssertTrue((20...21).contains(members.count), "fold \(k): \(members.count) rows")
            XCTAssertTrue((6...7).contains(positives), "fold \(k): \(positives) positives of 31")
        }
    }
}

final class CrossValidateTests: XCTestCase {
    func testOutOfFoldScoresCoverEveryRowOnce() {
        let labels = (0..<53).map { Double($0 % 4 == 0 ? 1 : 0) }
        var testRows: [Int] = []
        let result = crossValidate(labels: labels, folds: 4, seed: 9, fitAndScore: { train, test in
            XCTAssertEqual(train, train.sorted())
            XCTAssertEqual(test, test.sorted())
            XCTAssertEqual(Set(train).intersection(test), [])
            XCTAssertEqual(train.count + test.count, labels.count)
            testRows += test
            // A "model" that scores each row by its index: easy to check where the scores land.
            return test.map { Double($0) }
        }, metric: { labels, scores, _ in
            XCTAssertEqual(labels.count, scores.count)
            return Double(labels.count)
        })
        XCTAssertEqual(testRows.sorted(), Array(0..<53), "every row is tested exactly once")
        XCTAssertEqual(result.outOfFoldScores, (0..<53).map(Double.init))
        let folds = stratifiedFolds(labels: labels, folds: 4, seed: 9)
        XCTAssertEqual(result.foldValues, (0..<4).map { k in Double(folds.filter { $0 == k }.count) })
        XCTAssertEqual(result.mean, 53.0 / 4)
    }

    func testMetricPerFoldWithWeightsAndNilAsNaN() throws {
        var rng = SeededGenerator(seed: 10)
        let labels = (0..<80).map { _ in Double(rng.nextInt(below: 2)) }
        let signal = labels.map { $0 + Double(rng.nextNormal()) }
        let weights = (0..<80).map { Double($0 % 3 + 1) }
        let result = crossValidate(labels: labels, weights: weights, folds: 5, seed: 3, fitAndScore: { _, test in
            test.map { signal[$0] }
        }, metric: { rocAUC(labels: $0, scores: $1, weights: $2) })
        let folds = stratifiedFolds(labels: labels, folds: 5, seed: 3)
        for k in 0..<5 {
            let rows = labels.indices.filter { folds[$0] == k }
            let expected = rocAUC(labels: rows.map { labels[$0] }, scores: rows.map { signal[$0] }, weights: rows.map { weights[$0] })!
            XCTAssertEqual(result.foldValues[k], expected)
        }
        XCTAssertEqual(result.mean, result.foldValues.reduce(0, +) / 5, accuracy: 1e-15)
        // More folds than positives: some test folds hold one class, their AUC is nil → NaN.
        let sparse = crossValidate(labels: [1, 0, 0, 0, 0, 0], folds: 3, seed: 1, fitAndScore: { _, test in test.map { _ in 0.5 } },
                                   metric: { rocAUC(labels: $0, scores: $1, weights: $2) })
        XCTAssertEqual(sparse.foldValues.filter(\.isNaN).count, 2)
        XCTAssertTrue(sparse.mean.isNaN)
        // Errors from fitting propagate.
        struct FitFailed: Error {}
        XCTAssertThrowsError(try crossValidate(labels: labels, folds: 2, seed: 1, fitAndScore: { _, _ in throw FitFailed() },
                                               metric: { _, _, _ in 0 }))
    }

    /// Over generated shapes (one group, one row per group, a few huge groups, one class), no
    /// group is split across folds, every fold index is valid, the same seed gives the same
    /// folds, and with many small groups the folds are near equal in rows.
    func testGroupedFoldsNeverSplitAGroup() {
        var rng = SeededGenerator(seed: 11)
        for shape in 0..<40 {
            let n = [1, 2, 7, 50, 500][shape % 5]
            let groupCount = max(1, [1, n, 3, n / 4 + 1][shape % 4])
            let groups = (0..<n).map { _ in "p\(Int(rng.next() % UInt64(groupCount)))" }
            let labels = (0..<n).map { _ in shape % 7 == 0 ? 1.0 : Double(rng.next() % 2) }
            let k = [2, 3, 5][shape % 3]
            let folds = groupedFolds(labels: labels, groups: groups, folds: k, seed: UInt64(shape))
            XCTAssertEqual(folds, groupedFolds(labels: labels, groups: groups, folds: k, seed: UInt64(shape)))
            XCTAssertTrue(folds.allSatisfy { (0..<k).contains($0) })
            var foldOf: [String: Int] = [:]
            for (g, f) in zip(groups, folds) {
                XCTAssertEqual(foldOf[g, default: f], f, "group \(g) is in two folds")
                foldOf[g] = f
            }
        }
        // One row per group: every fold gets each class's share ±1 (11 negatives, 4 positives, k = 5).
        let single = (0..<15).map { "r\($0)" }, imbalanced = (0..<15).map { $0 < 4 ? 1.0 : 0 }
        for seed in 0..<20 as Range<UInt64> {
            let folds = groupedFolds(labels: imbalanced, groups: single, folds: 5, seed: seed)
            for f in 0..<5 {
                let positives = (0..<15).filter { folds[$0] == f && imbalanced[$0] == 1 }.count
                let negatives = (0..<15).filter { folds[$0] == f && imbalanced[$0] == 0 }.count
                XCTAssertTrue((0...1).contains(positives) && (2...3).contains(negatives), "seed \(seed) fold \(f): \(positives)+\(negatives)")
            }
            XCTAssertEqual(Set((0..<15).filter { imbalanced[$0] == 1 }.map { folds[$0] }).count, 4)
        }
        let many = (0..<1000).map { "patient\($0 / 2)" }
        let labels = (0..<1000).map { Double(($0 / 2) % 2) }
        let sizes = Dictionary(grouping: groupedFolds(labels: labels, groups: many, folds: 5, seed: 1), by: { $0 }).mapValues(\.count)
        XCTAssertEqual(sizes.count, 5)
        XCTAssertTrue(sizes.values.allSatisfy { abs($0 - 200) <= 2 }, "\(sizes)")
    }
}
