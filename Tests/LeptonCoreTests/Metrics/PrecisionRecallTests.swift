import LeptonCore
import XCTest

final class PrecisionRecallTests: XCTestCase {
    /// scikit-learn's average_precision_score example: AP = ½·1 + ½·⅔ = 0.8333….
    func testKnownValues() {
        let labels: [Double] = [0, 0, 1, 1], scores = [0.1, 0.4, 0.35, 0.8]
        XCTAssertEqual(averagePrecision(labels: labels, scores: scores)!, 0.5 + 0.5 * 2 / 3, accuracy: 1e-15)
        XCTAssertEqual(averagePrecisionNaive(labels: labels, scores: scores)!, 0.8333333333333333, accuracy: 1e-15)
        let curve = precisionRecallCurve(labels: labels, scores: scores)!
        XCTAssertEqual(curve.thresholds, [0.8, 0.4, 0.35, 0.1])
        XCTAssertEqual(curve.recalls, [0.5, 0.5, 1, 1])
        XCTAssertEqual(curve.precisions[0], 1)
        XCTAssertEqual(curve.precisions[1], 0.5)
        XCTAssertEqual(curve.precisions[2], 2.0 / 3.0, accuracy: 1e-15)
        XCTAssertEqual(curve.precisions[3], 0.5)
        // A tied group is one step: both rows at 0.5 flagged together, precision ½ at recall ½.
        XCTAssertEqual(averagePrecision(labels: [1, 0, 1], scores: [0.5, 0.5, 0.2])!, 0.5 * 0.5 + 0.5 * 2 / 3, accuracy: 1e-15)
        XCTAssertEqual(averagePrecision(labels: [1, 1, 0, 0], scores: [4, 3, 2, 1]), 1)
        // Weighted: the positive (weight 2) ranks first, precision 1 at recall 1.
        XCTAssertEqual(averagePrecision(labels: [1, 0], scores: [0.9, 0.1], weights: [2, 5]), 1)
        XCTAssertNil(averagePrecision(labels: [0, 0], scores: [0.1, 0.2]))
        XCTAssertNil(averagePrecision(labels: [1, 0], scores: [.nan, 0.2]))
        XCTAssertNil(precisionRecallCurve(labels: [], scores: []))
    }

    /// Zero-weight rows at the top leave precision defined (1) and add nothing to AP.
    func testZeroWeightRows() {
        let labels: [Double] = [0, 1, 0, 1], scores = [0.9, 0.8, 0.3, 0.2], weights: [Double] = [0, 1, 1, 1]
        let curve = precisionRecallCurve(labels: labels, scores: scores, weights: weights)!
        XCTAssertEqual(curve.precisions[0], 1)
        XCTAssertEqual(averagePrecision(labels: labels, scores: scores, weights: weights)!,
                       averagePrecision(labels: [1, 0, 1], scores: [0.8, 0.3, 0.2])!, accuracy: 1e-15)
        XCTAssertEqual(averagePrecisionNaive(labels: labels, scores: scores, weights: weights)!,
                       averagePrecision(labels: [1, 0, 1], scores: [0.8, 0.3, 0.2])!, accuracy: 1e-15)
    }
}
