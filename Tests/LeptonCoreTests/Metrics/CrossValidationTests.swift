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
}
