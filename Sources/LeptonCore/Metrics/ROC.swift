/// A receiver operating characteristic curve: the false and true positive rates as the
/// threshold falls from +∞ through every distinct score (flag a row positive when its score is
/// ≥ the threshold), from (0, 0) to (1, 1).
///
/// Named `ROCPoints` rather than `ROCCurve` because LeptonReport's chart input is called
/// `ROCCurve` and modules import both.
public struct ROCPoints: Sendable, Equatable {
    /// FP(t) / N: the weight of negatives flagged over the weight of all negatives.
    public var falsePositiveRates: [Double]
    /// TP(t) / P: the weight of positives flagged over the weight of all positives.
    public var truePositiveRates: [Double]
    /// The threshold of each point: +∞ for the first, (0, 0), then the distinct scores from the
    /// highest down (the last point, the lowest score, flags every row: (1, 1)).
    public var thresholds: [Double]

    public init(falsePositiveRates: [Double], truePositiveRates: [Double], thresholds: [Double]) {
        self.falsePositiveRates = falsePositiveRates
        self.truePositiveRates = truePositiveRates
        self.thresholds = thresholds
    }
}

/// The ROC curve of scores (higher = more likely positive) against 0/1 labels (> 0.5 is
/// positive), with optional non-negative sample weights (nil: every row weighs 1):
///
///     TPR(t) = Σ_{i∈P, sᵢ ≥ t} wᵢ / Σ_{i∈P} wᵢ,   FPR(t) = Σ_{j∈N, sⱼ ≥ t} wⱼ / Σ_{j∈N} wⱼ
///
/// One point for t = +∞ (flag none, (0, 0); a score of +∞ would be flagged there too), then one
/// for each distinct score from the highest down, ending at (1, 1). O(n log n): one sort and
/// one sweep of the tied-score groups. Returns nil when either class has no weight or a score
/// is NaN.
public func rocCurve(labels: [Double], scores: [Double], weights: [Double]? = nil) -> ROCPoints? {
    guard let groups = TiedScoreGroups(labels: labels, scores: scores, weights: weights, function: "rocCurve"),
          groups.hasBothClasses else { return nil }
    var curve = ROCPoints(falsePositiveRates: [0], truePositiveRates: [0], thresholds: [.infinity])
    var tp = 0.0, fp = 0.0
    for g in groups.scores.indices {
        tp += groups.positives[g]
        fp += groups.negatives[g]
        curve.falsePositiveRates.append(fp / groups.totalNegative)
        curve.truePositiveRates.append(tp / groups.totalPositive)
        curve.thresholds.append(groups.scores[g])
    }
    return curve
}

/// The naive twin of ``rocCurve(labels:scores:weights:)``: (0, 0), then ``confusion(labels:scores:threshold:weights:)``
/// evaluated afresh at every distinct score, O(n²).
public func rocCurveNaive(labels: [Double], scores: [Double], weights: [Double]? = nil) -> ROCPoints? {
    checkMetricInputs("rocCurveNaive", labels: labels, values: scores, weights: weights)
    guard !scores.contains(where: \.isNaN) else { return nil }
    guard let none = confusion(labels: labels, scores: scores, threshold: .infinity, weights: weights),
          none.falseNegatives + none.truePositives > 0, none.trueNegatives + none.falsePositives > 0 else { return nil }
    var curve = ROCPoints(falsePositiveRates: [0], truePositiveRates: [0], thresholds: [.infinity])
    for t in Set(scores).sorted(by: >) {
        let c = confusion(labels: labels, scores: scores, threshold: t, weights: weights)!
        curve.falsePositiveRates.append(c.falseAlarmRate)
        curve.truePositiveRates.append(c.sensitivity)
        curve.thresholds.append(t)
    }
    return curve
}

/// Area under the ROC curve: the probability that a random positive scores above a random
/// negative, ties counting one half (the Mann–Whitney U statistic over n₊·n₋), with optional
/// sample weights:
///
///     AUC = Σ_{i∈P} Σ_{j∈N} wᵢwⱼ·([sᵢ > sⱼ] + ½·[sᵢ = sⱼ])  /  (Σ_{P} wᵢ · Σ_{N} wⱼ)
///
/// Computed as the trapezoid area under the points of ``rocCurve(labels:scores:weights:)``,
/// from the same sweep of tied-score groups (highest first): a group of positive weight p and
/// negative weight n, below TP of positives already flagged, adds n·(TP + ½p) — exactly the
/// pairs it loses plus half its own ties. O(n log n). Labels are 0/1 (> 0.5 is positive).
/// Returns nil when either class is absent or a score is NaN (NaN has no rank; ±∞ rank as the
/// extremes).
public func rocAUC(labels: [Double], scores: [Double], weights: [Double]? = nil) -> Double? {
    guard let groups = TiedScoreGroups(labels: labels, scores: scores, weights: weights, function: "rocAUC"),
          groups.hasBothClasses else { return nil }
    var area = 0.0, positivesAbove = 0.0
    for g in groups.scores.indices {
        area += groups.negatives[g] * (positivesAbove + 0.5 * groups.positives[g])
        positivesAbove += groups.positives[g]
    }
    return area / (groups.totalPositive * groups.totalNegative)
}

/// The naive twin of ``rocAUC(labels:scores:weights:)``: every positive–negative pair, O(n²).
public func rocAUCNaive(labels: [Double], scores: [Double], weights: [Double]? = nil) -> Double? {
    checkMetricInputs("rocAUCNaive", labels: labels, values: scores, weights: weights)
    guard !scores.contains(where: \.isNaN) else { return nil }
    var area = 0.0, positive = 0.0, negative = 0.0
    for i in labels.indices where labels[i] > 0.5 { positive += weights?[i] ?? 1 }
    for j in labels.indices where !(labels[j] > 0.5) { negative += weights?[j] ?? 1 }
    guard positive > 0, negative > 0 else { return nil }
    for i in labels.indices where labels[i] > 0.5 {
        for j in labels.indices where !(labels[j] > 0.5) {
            let w = (weights?[i] ?? 1) * (weights?[j] ?? 1)
            area += scores[i] > scores[j] ? w : (scores[i] == scores[j] ? 0.5 * w : 0)
        }
    }
    return area / (positive * negative)
}
