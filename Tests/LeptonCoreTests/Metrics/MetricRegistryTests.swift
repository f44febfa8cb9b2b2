import Foundation
import LeptonCore
import XCTest

/// One classification metric as a function of (labels, scores, weights), with the properties
/// it should have.
struct RegisteredMetric: Sendable {
    typealias Function = @Sendable (_ labels: [Double], _ scores: [Double], _ weights: [Double]?) -> Double?
    let name: String
    let value: Function
    /// Unchanged by any strictly increasing transform of the scores.
    let rankBased: Bool
    /// An obviously-correct implementation that must agree to 1e-12.
    let naiveTwin: Function?

    init(_ name: String, rankBased: Bool = false, naiveTwin: Function? = nil, _ value: @escaping Function) {
        self.name = name
        self.value = value
        self.rankBased = rankBased
        self.naiveTwin = naiveTwin
    }
}

/// Every metric that the shared properties cover. Scores are drawn in [0, 1] so that the
/// probability metrics can read them as probabilities.
let metricRegistry: [RegisteredMetric] = [
    RegisteredMetric("rocAUC", rankBased: true, naiveTwin: { rocAUCNaive(labels: $0, scores: $1, weights: $2) }) {
        rocAUC(labels: $0, scores: $1, weights: $2)
    },
    RegisteredMetric("ROC curve trapezoid area", rankBased: true, naiveTwin: { rocCurveNaive(labels: $0, scores: $1, weights: $2).map(trapezoidArea) }) {
        rocCurve(labels: $0, scores: $1, weights: $2).map(trapezoidArea)
    },
    RegisteredMetric("averagePrecision", rankBased: true, naiveTwin: { averagePrecisionNaive(labels: $0, scores: $1, weights: $2) }) {
        averagePrecision(labels: $0, scores: $1, weights: $2)
    },
    RegisteredMetric("precision–recall curve mean precision", rankBased: true) {
        precisionRecallCurve(labels: $0, scores: $1, weights: $2).map { $0.precisions.reduce(0, +) / Double($0.precisions.count) }
    },
    RegisteredMetric("brierScore") { brierScore(labels: $0, probabilities: $1, weights: $2) },
    RegisteredMetric("logLoss") { logLoss(labels: $0, probabilities: $1, weights: $2) },
    RegisteredMetric("ECE uniform") { expectedCalibrationError(labels: $0, probabilities: $1, weights: $2) },
    RegisteredMetric("ECE quantile, 4 bins") {
        expectedCalibrationError(labels: $0, probabilities: $1, weights: $2, bins: 4, strategy: .quantile)
    },
    RegisteredMetric("Hosmer–Lemeshow statistic") { hosmerLemeshow(labels: $0, probabilities: $1, weights: $2)?.statistic },
    RegisteredMetric("Hosmer–Lemeshow p-value") { hosmerLemeshow(labels: $0, probabilities: $1, weights: $2, groups: 5)?.pValue },
    RegisteredMetric("cost-optimal cost", rankBased: true, naiveTwin: {
        costOptimalThresholdNaive(labels: $0, scores: $1, costFalsePositive: 1, costFalseNegative: 3, weights: $2)?.cost
    }) {
        costOptimalThreshold(labels: $0, scores: $1, costFalsePositive: 1, costFalseNegative: 3, weights: $2)?.cost
    },
    RegisteredMetric("cost-optimal threshold", naiveTwin: {
        costOptimalThresholdNaive(labels: $0, scores: $1, costFalsePositive: 2, costFalseNegative: 1, weights: $2)?.threshold
    }) {
        costOptimalThreshold(labels: $0, scores: $1, costFalsePositive: 2, costFalseNegative: 1, weights: $2)?.threshold
    },
    RegisteredMetric("accuracy at 0.5") { confusion(labels: $0, scores: $1, threshold: 0.5, weights: $2)?.accuracy },
    RegisteredMetric("threshold for sensitivity 0.8", naiveTwin: { thresholdNaive(forSensitivity: 0.8, labels: $0, scores: $1, weights: $2) }) {
        threshold(forSensitivity: 0.8, labels: $0, scores: $1, weights: $2)
    },
    RegisteredMetric("specificity at sensitivity 0.8", rankBased: true,
                     naiveTwin: { l, s, w in thresholdNaive(forSensitivity: 0.8, labels: l, scores: s, weights: w).flatMap {
                         confusion(labels: l, scores: s, threshold: $0, weights: w)?.specificity } }) { l, s, w in
        threshold(forSensitivity: 0.8, labels: l, scores: s, weights: w).flatMap {
            confusion(labels: l, scores: s, threshold: $0, weights: w)?.specificity
        }
    },
    RegisteredMetric("threshold for specificity 0.7", naiveTwin: { thresholdNaive(forSpecificity: 0.7, labels: $0, scores: $1, weights: $2) }) {
        threshold(forSpecificity: 0.7, labels: $0, scores: $1, weights: $2)
    },
    RegisteredMetric("sensitivity at specificity 0.7", rankBased: true,
                     naiveTwin: { l, s, w in thresholdNaive(forSpecificity: 0.7, labels: l, scores: s, weights: w).flatMap {
                         confusion(labels: l, scores: s, threshold: $0, weights: w)?.sensitivity } }) { l, s, w in
        threshold(forSpecificity: 0.7, labels: l, scores: s, weights: w).flatMap {
            confusion(labels: l, scores: s, threshold: $0, weights: w)?.sensitivity
        }
    },
    RegisteredMetric("threshold for false-alarm rate 0.2",
                     naiveTwin: { thresholdNaive(forFalseAlarmRate: 0.2, labels: $0, scores: $1, weights: $2) }) {
        threshold(forFalseAlarmRate: 0.2, labels: $0, scores: $1, weights: $2)
    },
    RegisteredMetric("sensitivity at false-alarm rate 0.2", rankBased: true) { l, s, w in
        threshold(forFalseAlarmRate: 0.2, labels: l, scores: s, weights: w).flatMap {
            confusion(labels: l, scores: s, threshold: $0, weights: w)?.sensitivity
        }
    },
]

/// Trapezoid area under an ROC curve's points.
func trapezoidArea(_ curve: ROCPoints) -> Double {
    var area = 0.0
    for k in 1..<curve.falsePositiveRates.count {
        area += (curve.falsePositiveRates[k] - curve.falsePositiveRates[k - 1])
            * (curve.truePositiveRates[k] + curve.truePositiveRates[k - 1]) / 2
    }
    return area
}

/// Random labelled scores in [0, 1] with many ties (eight levels), both classes present,
/// positives more likely at high scores, and integer weights 1…4.
struct MetricSample {
    var labels: [Double]
    var scores: [Double]
    var weights: [Double]

    init(_ rng: inout SeededGenerator, rows: Int) {
        scores = (0..<rows).map { _ in Double(rng.nextInt(below: 8)) / 7 }
        labels = scores.map { s in Double(rng.nextInt(below: 100)) < 15 + 70 * s ? 1 : 0 }
        labels[0] = 1
        labels[1] = 0
        weights = (0..<rows).map { _ in Double(rng.nextInt(below: 4) + 1) }
    }

    static func all(seed: UInt64, count: Int = 40) -> [MetricSample] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in MetricSample(&rng, rows: 2 + rng.nextInt(below: 70)) }
    }
}

/// Both nil, both NaN, equal, or within `tolerance` relative to the larger magnitude (at least 10⁻³).
func metricValuesAgree(_ a: Double?, _ b: Double?, tolerance: Double) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    if a == b { return true }
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-3)
}

final class MetricRegistryTests: XCTestCase {
    func testUnitWeightsEqualNoWeightsExactly() {
        for sample in MetricSample.all(seed: 1) {
            let ones = [Double](repeating: 1, count: sample.labels.count)
            for metric in metricRegistry {
                let bare = metric.value(sample.labels, sample.scores, nil)
                let unit = metric.value(sample.labels, sample.scores, ones)
                XCTAssertNotNil(bare, "\(metric.name): both classes, no NaN — defined")
                XCTAssertTrue(metricValuesAgree(bare, unit, tolerance: 0), "\(metric.name): \(String(describing: bare)) vs \(String(describing: unit))")
            }
        }
    }

    func testPermutationInvariance() {
        var rng = SeededGenerator(seed: 2)
        for sample in MetricSample.all(seed: 3) {
            // Dyadic and non-dyadic fractional weights, so that reordering changes the rounding.
            let weights = sample.weights.map { $0 / 3 + 0.125 }
            let p = rng.permutation(sample.labels.count)
            for metric in metricRegistry {
                for w in [nil, weights] {
                    let before = metric.value(sample.labels, sample.scores, w)
                    let after = metric.value(p.map { sample.labels[$0] }, p.map { sample.scores[$0] }, w.map { w in p.map { w[$0] } })
                    XCTAssertTrue(metricValuesAgree(before, after, tolerance: 1e-12),
                                  "\(metric.name): \(String(describing: before)) vs \(String(describing: after)) after a permutation")
                }
            }
        }
    }

    func testIntegerWeightsEqualDuplicatedRows() {
        var rng = SeededGenerator(seed: 4)
        for sample in MetricSample.all(seed: 5) {
            var rows: [Int] = []
            for (i, w) in sample.weights.enumerated() { rows += [Int](repeating: i, count: Int(w)) }
            rows = rng.permutation(rows.count).map { rows[$0] }
            for metric in metricRegistry {
                let weighted = metric.value(sample.labels, sample.scores, sample.weights)
                let duplicated = metric.value(rows.map { sample.labels[$0] }, rows.map { sample.scores[$0] }, nil)
                XCTAssertTrue(metricValuesAgree(weighted, duplicated, tolerance: 1e-9),
                              "\(metric.name): weighted \(String(describing: weighted)), duplicated \(String(describing: duplicated))")
            }
        }
    }

    func testRankBasedMetricsIgnoreMonotoneTransforms() {
        for sample in MetricSample.all(seed: 6) {
            let transformed = sample.scores.map { exp(4 * $0) - 7 }
            for metric in metricRegistry where metric.rankBased {
                for w in [nil, sample.weights] {
                    let before = metric.value(sample.labels, sample.scores, w)
                    let after = metric.value(sample.labels, transformed, w)
                    XCTAssertTrue(metricValuesAgree(before, after, tolerance: 1e-12),
                                  "\(metric.name): \(String(describing: before)) vs \(String(describing: after)) after exp")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(metricRegistry.filter(\.rankBased).count, 7)
    }

    func testAgreementWithNaiveTwins() {
        for sample in MetricSample.all(seed: 7) {
            for metric in metricRegistry {
                guard let naive = metric.naiveTwin else { continue }
                for w in [nil, sample.weights, sample.weights.map { $0 / 8 }] {
                    let fast = metric.value(sample.labels, sample.scores, w)
                    let slow = naive(sample.labels, sample.scores, w)
                    XCTAssertTrue(metricValuesAgree(fast, slow, tolerance: 1e-12),
                                  "\(metric.name): \(String(describing: fast)) vs naive \(String(describing: slow))")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(metricRegistry.filter { $0.naiveTwin != nil }.count, 9)
    }

    /// Empty input, one class, NaN and infinite scores: an answer (nil or a number), never a trap
    /// or a hang; ranking metrics answer nil when there is no ranking.
    func testDegenerateInputsDoNotTrap() {
        let sample = MetricSample.all(seed: 8, count: 1)[0]
        var withNaN = sample.scores
        withNaN[withNaN.count / 2] = .nan
        var withInfinity = sample.scores
        withInfinity[0] = .infinity
        withInfinity[1] = -.infinity
        let cases: [(String, [Double], [Double], [Double]?, Bool)] = [
            ("empty", [], [], nil, true),
            ("empty, weighted", [], [], [], true),
            ("one row", [1], [0.5], nil, true),
            ("negatives only", sample.labels.map { _ in 0 }, sample.scores, nil, true),
            ("positives only", sample.labels.map { _ in 1 }, sample.scores, sample.weights, true),
            ("zero weights", sample.labels, sample.scores, sample.weights.map { _ in 0 }, true),
            ("a NaN score", sample.labels, withNaN, nil, true),
            ("infinite scores", sample.labels, withInfinity, nil, false),
        ]
        for metric in metricRegistry {
            for (name, labels, scores, weights, noRanking) in cases {
                let value = metric.value(labels, scores, weights)
                if metric.rankBased && noRanking {
                    XCTAssertNil(value, "\(metric.name) on \(name)")
                }
            }
        }
    }
}
