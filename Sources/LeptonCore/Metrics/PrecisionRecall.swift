/// A precision–recall curve: one point per distinct score, from the highest score down
/// (recall rising to 1), flagging a row when its score is ≥ the threshold.
///
/// Named `PrecisionRecallPoints` rather than `PrecisionRecallCurve` because LeptonReport's
/// chart input is called `PrecisionRecallCurve` and modules import both.
public struct PrecisionRecallPoints: Sendable, Equatable {
    /// TP(t) / P.
    public var recalls: [Double]
    /// TP(t) / (TP(t) + FP(t)); 1 where nothing of positive weight is flagged yet.
    public var precisions: [Double]
    /// The distinct scores, strictly decreasing.
    public var thresholds: [Double]

    public init(recalls: [Double], precisions: [Double], thresholds: [Double]) {
        self.recalls = recalls
        self.precisions = precisions
        self.thresholds = thresholds
    }
}

/// The precision–recall curve of scores (higher = more likely positive) against 0/1 labels
/// (> 0.5 is positive), with optional sample weights (nil: every row weighs 1):
///
///     recall(t) = TP(t) / P,   precision(t) = TP(t) / (TP(t) + FP(t))
///
/// at t = each distinct score from the highest down (no artificial (0, 1) anchor is added).
/// O(n log n): the tied-score sweep of ``rocCurve(labels:scores:weights:)``. Returns nil when
/// either class has no weight or a score is NaN.
public func precisionRecallCurve(labels: [Double], scores: [Double], weights: [Double]? = nil) -> PrecisionRecallPoints? {
    guard let groups = TiedScoreGroups(labels: labels, scores: scores, weights: weights, function: "precisionRecallCurve"),
          groups.hasBothClasses else { return nil }
    var curve = PrecisionRecallPoints(recalls: [], precisions: [], thresholds: groups.scores)
    var tp = 0.0, fp = 0.0
    for g in groups.scores.indices {
        tp += groups.positives[g]
        fp += groups.negatives[g]
        curve.recalls.append(tp / groups.totalPositive)
        curve.precisions.append(tp + fp > 0 ? tp / (tp + fp) : 1)
    }
    return curve
}

/// Average precision, scikit-learn's definition (no interpolation): over the tied-score groups
/// from the highest score down,
///
///     AP = Σₙ (Rₙ − Rₙ₋₁) · Pₙ,   R₀ = 0
///
/// with Rₙ and Pₙ the recall and precision once group n is flagged; Rₙ − Rₙ₋₁ = pₙ / P for a
/// group of positive weight pₙ (groups without positive weight add nothing). Weighted sums
/// replace counts when `weights` are given. O(n log n). Returns nil when either class has no
/// weight or a score is NaN.
public func averagePrecision(labels: [Double], scores: [Double], weights: [Double]? = nil) -> Double? {
    guard let groups = TiedScoreGroups(labels: labels, scores: scores, weights: weights, function: "averagePrecision"),
          groups.hasBothClasses else { return nil }
    var ap = 0.0, tp = 0.0, fp = 0.0
    for g in groups.scores.indices {
        tp += groups.positives[g]
        fp += groups.negatives[g]
        if groups.positives[g] != 0 { ap += groups.positives[g] / groups.totalPositive * (tp / (tp + fp)) }
    }
    return ap
}

/// The naive twin of ``averagePrecision(labels:scores:weights:)``: recall and precision
/// recomputed by ``confusion(labels:scores:threshold:weights:)`` at every distinct score,
/// summed as Σ (Rₙ − Rₙ₋₁)·Pₙ. O(n²).
public func averagePrecisionNaive(labels: [Double], scores: [Double], weights: [Double]? = nil) -> Double? {
    checkMetricInputs("averagePrecisionNaive", labels: labels, values: scores, weights: weights)
    guard !scores.contains(where: \.isNaN),
          let none = confusion(labels: labels, scores: scores, threshold: .infinity, weights: weights),
          none.truePositives + none.falseNegatives > 0, none.falsePositives + none.trueNegatives > 0 else { return nil }
    var ap = 0.0, previousRecall = 0.0
    for t in Set(scores).sorted(by: >) {
        let c = confusion(labels: labels, scores: scores, threshold: t, weights: weights)!
        let recall = c.sensitivity
        if recall != previousRecall { ap += (recall - previousRecall) * c.precision }
        previousRecall = recall
    }
    return ap
}
