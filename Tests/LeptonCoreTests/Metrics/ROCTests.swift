import LeptonCore
import XCTest

final class ROCTests: XCTestCase {
    func testKnownValues() {
        XCTAssertEqual(rocAUC(labels: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8]), 0.75)
        XCTAssertEqual(rocAUC(labels: [0, 1], scores: [0.5, 0.5]), 0.5, "a tie counts one half")
        XCTAssertEqual(rocAUC(labels: [1, 1, 0, 0], scores: [4, 3, 2, 1]), 1)
        XCTAssertNil(rocAUC(labels: [1, 1], scores: [0.2, 0.3]))
    }

    func testMatchesNaiveTwinWithTiesAndWeights() {
        var state: UInt64 = 9
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        for _ in 0..<50 {
            let n = Int(next() % 60) + 2
            let labels = (0..<n).map { _ in Double(next() % 2) }
            let scores = (0..<n).map { _ in Double(next() % 7) / 7 }
            let weights = (0..<n).map { _ in Double(next() % 5 + 1) / 2 }
            let fast = rocAUC(labels: labels, scores: scores, weights: weights)
            let naive = rocAUCNaive(labels: labels, scores: scores, weights: weights)
            XCTAssertEqual(fast == nil, naive == nil)
            if let fast, let naive { XCTAssertEqual(fast, naive, accuracy: 1e-12) }
        }
    }

    /// Invariant to any strictly increasing transform of the scores and to scaling all weights.
    func testInvariances() {
        let labels: [Double] = [0, 1, 0, 1, 1, 0, 0, 1]
        let scores: [Double] = [0.3, 0.7, 0.2, 0.1, 0.9, 0.5, 0.5, 0.5]
        let base = rocAUC(labels: labels, scores: scores)!
        XCTAssertEqual(rocAUC(labels: labels, scores: scores.map { exp(3 * $0) })!, base, accuracy: 1e-12)
        XCTAssertEqual(rocAUC(labels: labels, scores: scores, weights: [Double](repeating: 2.5, count: 8))!, base, accuracy: 1e-12)
    }
}

final class ROCMetricTests: XCTestCase {
    func testSoftmaxAndLogitFormsMatchRocAUC() {
        // Three classes; class 2 against the rest, scored by its softmax probability.
        let logits = Tensor(shape: [5, 3], scalars: [0, 1, 2, 2, 1, 0, 0, 0, 0, 1, 3, 1, -1, 0, 4])
        let targets = Tensor([2, 0, 2, 1, 0])
        let p = Softmax.rows(logits)
        let expected = rocAUC(labels: [1, 0, 1, 0, 0], scores: (0..<5).map { Double(p[$0, 2]) })!
        XCTAssertEqual(Metric.rocAUC(positiveClass: 2).evaluate(logits, targets), expected, accuracy: 1e-12)
        XCTAssertEqual(Metric.rocAUC(positiveClass: 2).evaluate(logits, targets), 2.0 / 3.0, accuracy: 1e-12)
        // One logit per sample with 0/1 targets.
        let z = Tensor(shape: [4, 1], scalars: [-2, 3, 0.5, 1])
        XCTAssertEqual(Metric.rocAUC().evaluate(z, Tensor([0, 1, 1, 0])), 0.75, accuracy: 1e-12)
        XCTAssertEqual(Metric.rocAUC().evaluate(z, Tensor([1, 1, 1, 1])), 0.5, "one class only: no ranking")
        XCTAssertTrue(Metric.rocAUC().higherIsBetter)
    }
}

final class ROCCurveTests: XCTestCase {
    /// scikit-learn's roc_curve example (drop_intermediate=False): y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8].
    func testKnownCurve() {
        let curve = rocCurve(labels: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8])!
        XCTAssertEqual(curve.thresholds, [.infinity, 0.8, 0.4, 0.35, 0.1])
        XCTAssertEqual(curve.falsePositiveRates, [0, 0, 0.5, 0.5, 1])
        XCTAssertEqual(curve.truePositiveRates, [0, 0.5, 0.5, 1, 1])
        XCTAssertEqual(curve, rocCurveNaive(labels: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8]))
        // Ties form one point; weights count as repeated rows.
        let tied = rocCurve(labels: [1, 0, 1], scores: [0.5, 0.5, 0.2], weights: [1, 3, 1])!
        XCTAssertEqual(tied.thresholds, [.infinity, 0.5, 0.2])
        XCTAssertEqual(tied.falsePositiveRates, [0, 1, 1])
        XCTAssertEqual(tied.truePositiveRates, [0, 0.5, 1])
        XCTAssertNil(rocCurve(labels: [1, 1], scores: [0.2, 0.3]))
        XCTAssertNil(rocCurve(labels: [1, 0], scores: [0.2, .nan]))
        XCTAssertNil(rocCurve(labels: [], scores: []))
    }

    /// The curve matches its naive twin point for point and its trapezoid area is rocAUC.
    func testCurveMatchesNaiveTwinAndAUC() {
        for sample in MetricSample.all(seed: 21) {
            for w in [nil, sample.weights] {
                let fast = rocCurve(labels: sample.labels, scores: sample.scores, weights: w)!
                let naive = rocCurveNaive(labels: sample.labels, scores: sample.scores, weights: w)!
                XCTAssertEqual(fast.thresholds, naive.thresholds)
                for k in fast.thresholds.indices {
                    XCTAssertEqual(fast.falsePositiveRates[k], naive.falsePositiveRates[k], accuracy: 1e-12)
                    XCTAssertEqual(fast.truePositiveRates[k], naive.truePositiveRates[k], accuracy: 1e-12)
                }
                XCTAssertEqual(fast.falsePositiveRates.last, 1)
                XCTAssertEqual(fast.truePositiveRates.last, 1)
                XCTAssertEqual(trapezoidArea(fast), rocAUC(labels: sample.labels, scores: sample.scores, weights: w)!, accuracy: 1e-12)
            }
        }
    }
}
