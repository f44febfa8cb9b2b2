import LeptonCore
import XCTest

final class ThresholdTests: XCTestCase {
    // From the highest score: 0.9 (+), 0.8 (+), 0.6 (−), 0.4 (−), 0.35 (+), 0.1 (−); P = N = 3.
    let labels: [Double] = [0, 0, 1, 1, 0, 1]
    let scores = [0.1, 0.4, 0.35, 0.8, 0.6, 0.9]

    func testConfusion() {
        let c = confusion(labels: labels, scores: scores, threshold: 0.5)!
        XCTAssertEqual(c, ConfusionCounts(truePositives: 2, falsePositives: 1, trueNegatives: 2, falseNegatives: 1))
        XCTAssertEqual(c.sensitivity, 2.0 / 3.0)
        XCTAssertEqual(c.specificity, 2.0 / 3.0)
        XCTAssertEqual(c.falseAlarmRate, 1.0 / 3.0)
        XCTAssertEqual(c.precision, 2.0 / 3.0)
        XCTAssertEqual(c.accuracy, 4.0 / 6.0)
        // Score equal to the threshold is flagged; weights add up.
        let w = confusion(labels: labels, scores: scores, threshold: 0.6, weights: [1, 1, 1, 1, 5, 1])!
        XCTAssertEqual(w.falsePositives, 5)
        XCTAssertEqual(w.trueNegatives, 2)
        XCTAssertNil(confusion(labels: labels, scores: scores, threshold: .nan))
        XCTAssertTrue(confusion(labels: [], scores: [], threshold: 0.5)!.accuracy.isNaN)
    }

    func testCostOptimalThreshold() {
        // Costs FP + FN per candidate: +∞ 3, 0.9 2, 0.8 1, 0.6 2, 0.4 3, 0.35 2, 0.1 3.
        XCTAssertEqual(costOptimalThreshold(labels: labels, scores: scores, costFalsePositive: 1, costFalseNegative: 1)?.threshold, 0.8)
        XCTAssertEqual(costOptimalThreshold(labels: labels, scores: scores, costFalsePositive: 1, costFalseNegative: 1)?.cost, 1)
        // FN five times dearer: catching the positive at 0.35 pays.
        XCTAssertEqual(costOptimalThreshold(labels: labels, scores: scores, costFalsePositive: 1, costFalseNegative: 5)?.threshold, 0.35)
        // FP + 2·FN ties at 0.8 and 0.35 (cost 2): the higher threshold wins.
        let tie = costOptimalThreshold(labels: labels, scores: scores, costFalsePositive: 1, costFalseNegative: 2)!
        XCTAssertEqual(tie.threshold, 0.8)
        XCTAssertEqual(tie.cost, 2)
        // Flagging anything costs more than missing everything: +∞.
        XCTAssertEqual(costOptimalThreshold(labels: [1, 0], scores: [0.2, 0.8], costFalsePositive: 1, costFalseNegative: 1)?.threshold,
                       .infinity)
        XCTAssertNil(costOptimalThreshold(labels: [0, 0], scores: [0.2, 0.8], costFalsePositive: 1, costFalseNegative: 1))
        XCTAssertNil(costOptimalThreshold(labels: labels, scores: scores, costFalsePositive: .nan, costFalseNegative: 1))
        XCTAssertNil(costOptimalThreshold(labels: [], scores: [], costFalsePositive: 1, costFalseNegative: 1))
        // A score of +∞ is flagged at threshold +∞: that candidate is the +∞ group's.
        let infinite = costOptimalThreshold(labels: [1, 0, 0], scores: [.infinity, 0.5, 0.1], costFalsePositive: 1, costFalseNegative: 1)!
        XCTAssertEqual(infinite.threshold, .infinity)
        XCTAssertEqual(infinite.cost, 0)
    }

    func testTargetThresholds() {
        // Sensitivity per candidate: +∞ 0, 0.9 ⅓, 0.8 ⅔, 0.6 ⅔, 0.4 ⅔, 0.35 1, 0.1 1.
        XCTAssertEqual(threshold(forSensitivity: 0.6, labels: labels, scores: scores), 0.8)
        XCTAssertEqual(threshold(forSensitivity: 1, labels: labels, scores: scores), 0.35)
        XCTAssertEqual(threshold(forSensitivity: 0, labels: labels, scores: scores), .infinity)
        XCTAssertNil(threshold(forSensitivity: 1.1, labels: labels, scores: scores))
        // Specificity: +∞ 1, 0.9 1, 0.8 1, 0.6 ⅔, 0.4 ⅓, 0.35 ⅓, 0.1 0.
        XCTAssertEqual(threshold(forSpecificity: 0.6, labels: labels, scores: scores), 0.6)
        XCTAssertEqual(threshold(forSpecificity: 1, labels: labels, scores: scores), 0.8)
        XCTAssertEqual(threshold(forSpecificity: 0, labels: labels, scores: scores), 0.1)
        XCTAssertEqual(threshold(forSpecificity: 0.3, labels: labels, scores: scores), 0.35)
        XCTAssertNil(threshold(forSpecificity: 1.01, labels: labels, scores: scores))
        // False-alarm rate: +∞ 0, 0.9 0, 0.8 0, 0.6 ⅓, 0.4 ⅔, 0.35 ⅔, 0.1 1.
        XCTAssertEqual(threshold(forFalseAlarmRate: 0.4, labels: labels, scores: scores), 0.6)
        XCTAssertEqual(threshold(forFalseAlarmRate: 0, labels: labels, scores: scores), 0.8)
        XCTAssertEqual(threshold(forFalseAlarmRate: 1, labels: labels, scores: scores), 0.1)
        XCTAssertNil(threshold(forFalseAlarmRate: -0.1, labels: labels, scores: scores))
        XCTAssertEqual(threshold(forFalseAlarmRate: 0, labels: [0, 1], scores: [0.9, 0.1]), .infinity)
        // A class absent, NaN score or NaN target: nil.
        XCTAssertNil(threshold(forSensitivity: 0.5, labels: [1, 1], scores: [0.1, 0.2]))
        XCTAssertNil(threshold(forSpecificity: 0.5, labels: [0, 1], scores: [.nan, 0.2]))
        XCTAssertNil(threshold(forFalseAlarmRate: .nan, labels: labels, scores: scores))
        // Weighted: the negative at 0.6 weighs 4 of N = 6, so FAR ≤ 0.5 needs threshold 0.8.
        let w: [Double] = [1, 1, 1, 1, 4, 1]
        XCTAssertEqual(threshold(forFalseAlarmRate: 0.5, labels: labels, scores: scores, weights: w), 0.8)
        XCTAssertEqual(thresholdNaive(forFalseAlarmRate: 0.5, labels: labels, scores: scores, weights: w), 0.8)
    }

    /// The targets found are honoured, and the next candidate in the search direction fails them.
    func testTargetsAreTightOnRandomData() {
        for sample in MetricSample.all(seed: 41) {
            let candidates = [Double.infinity] + Set(sample.scores).sorted(by: >)
            func counts(_ t: Double) -> ConfusionCounts {
                confusion(labels: sample.labels, scores: sample.scores, threshold: t, weights: sample.weights)!
            }
            let s = threshold(forSensitivity: 0.75, labels: sample.labels, scores: sample.scores, weights: sample.weights)!
            XCTAssertGreaterThanOrEqual(counts(s).sensitivity, 0.75)
            if let above = candidates.last(where: { $0 > s }) { XCTAssertLessThan(counts(above).sensitivity, 0.75) }
            let f = threshold(forFalseAlarmRate: 0.25, labels: sample.labels, scores: sample.scores, weights: sample.weights)!
            XCTAssertLessThanOrEqual(counts(f).falseAlarmRate, 0.25)
            if let below = candidates.first(where: { $0 < f }) { XCTAssertGreaterThan(counts(below).falseAlarmRate, 0.25) }
            let best = costOptimalThreshold(labels: sample.labels, scores: sample.scores, costFalsePositive: 1, costFalseNegative: 4,
                                            weights: sample.weights)!
            for t in candidates {
                let c = counts(t)
                XCTAssertGreaterThanOrEqual(c.falsePositives + 4 * c.falseNegatives, best.cost - 1e-9)
            }
        }
    }
}
