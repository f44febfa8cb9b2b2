// Threshold searches over scores (higher = more likely positive; a row is flagged positive when
// its score is ≥ the threshold). The candidates are +∞ (flag none) and every distinct score,
// from the highest down; when some score is +∞ the threshold +∞ flags those rows, so it is then
// the candidate of that score rather than "flag none". Each search is one sort and one sweep of
// the tied-score groups, O(n log n), with a naive twin that evaluates
// ``confusion(labels:scores:threshold:weights:)`` at every candidate, O(n²). All return nil when
// a score is NaN or either class has no weight.

/// One candidate threshold of a sweep and the weights it flags.
private struct SweepPoint {
    var threshold: Double
    /// Weight of positives and of negatives with score ≥ threshold.
    var truePositives: Double
    var falsePositives: Double
}

/// The candidates, highest threshold first, with the class totals; nil on NaN or one class.
private func sweepPoints(_ function: String, labels: [Double], scores: [Double],
                         weights: [Double]?) -> (points: [SweepPoint], positive: Double, negative: Double)? {
    guard let groups = TiedScoreGroups(labels: labels, scores: scores, weights: weights, function: function),
          groups.hasBothClasses else { return nil }
    var points: [SweepPoint] = []
    if groups.scores[0] != .infinity { points.append(SweepPoint(threshold: .infinity, truePositives: 0, falsePositives: 0)) }
    var tp = 0.0, fp = 0.0
    for g in groups.scores.indices {
        tp += groups.positives[g]
        fp += groups.negatives[g]
        points.append(SweepPoint(threshold: groups.scores[g], truePositives: tp, falsePositives: fp))
    }
    return (points, groups.totalPositive, groups.totalNegative)
}

/// The candidates with their confusion matrices, computed afresh for each; nil on NaN or one class.
private func naiveCandidates(_ function: String, labels: [Double], scores: [Double],
                             weights: [Double]?) -> [(threshold: Double, counts: ConfusionCounts)]? {
    checkMetricInputs(function, labels: labels, values: scores, weights: weights)
    guard !scores.contains(where: \.isNaN) else { return nil }
    let candidates = candidateThresholds(scores).map { t in
        (threshold: t, counts: confusion(labels: labels, scores: scores, threshold: t, weights: weights)!)
    }
    let c = candidates[0].counts
    guard c.truePositives + c.falseNegatives > 0, c.falsePositives + c.trueNegatives > 0 else { return nil }
    return candidates
}

/// Among (threshold, cost) pairs listed highest threshold first: the highest threshold whose
/// cost is within 10⁻⁹ of the minimum.
private func cheapest(_ candidates: [(threshold: Double, cost: Double)]) -> (threshold: Double, cost: Double)? {
    guard let minimum = candidates.map(\.cost).min() else { return nil }
    return candidates.first { $0.cost <= minimum + 1e-9 }
}

/// The threshold minimising the expected misclassification cost
///
///     cost(t) = costFalsePositive · FP(t) + costFalseNegative · FN(t)
///
/// with FP(t) the weight of negatives scoring ≥ t and FN(t) the weight of positives scoring
/// < t. Candidates: +∞ (flag none) and every distinct score. Among the candidates whose cost is
/// within 10⁻⁹ of the minimum, the highest threshold (fewest flagged) wins; its cost is
/// returned with it. Returns nil when a cost is not finite, a score is NaN or either class has
/// no weight (empty input included).
public func costOptimalThreshold(labels: [Double], scores: [Double], costFalsePositive: Double, costFalseNegative: Double,
                                 weights: [Double]? = nil) -> (threshold: Double, cost: Double)? {
    guard costFalsePositive.isFinite, costFalseNegative.isFinite,
          let sweep = sweepPoints("costOptimalThreshold", labels: labels, scores: scores, weights: weights) else { return nil }
    return cheapest(sweep.points.map { point in
        (point.threshold, costFalsePositive * point.falsePositives + costFalseNegative * (sweep.positive - point.truePositives))
    })
}

/// The naive twin of ``costOptimalThreshold(labels:scores:costFalsePositive:costFalseNegative:weights:)``.
public func costOptimalThresholdNaive(labels: [Double], scores: [Double], costFalsePositive: Double, costFalseNegative: Double,
                                      weights: [Double]? = nil) -> (threshold: Double, cost: Double)? {
    guard costFalsePositive.isFinite, costFalseNegative.isFinite,
          let candidates = naiveCandidates("costOptimalThresholdNaive", labels: labels, scores: scores, weights: weights)
    else { return nil }
    return cheapest(candidates.map { c in
        (c.threshold, costFalsePositive * c.counts.falsePositives + costFalseNegative * c.counts.falseNegatives)
    })
}

/// The highest candidate threshold whose sensitivity TP(t) / P is ≥ `target` — the most
/// selective threshold that still catches that share of the positive weight. +∞ (flag none)
/// when `target` ≤ 0; the lowest score when `target` is 1. Returns nil when `target` is NaN
/// or above 1 (impossible), a score is NaN, or either class has no weight.
public func threshold(forSensitivity target: Double, labels: [Double], scores: [Double], weights: [Double]? = nil) -> Double? {
    guard let sweep = sweepPoints("threshold(forSensitivity:)", labels: labels, scores: scores, weights: weights) else { return nil }
    return sweep.points.first { $0.truePositives / sweep.positive >= target }?.threshold
}

/// The lowest candidate threshold whose specificity TN(t) / N = (N − FP(t)) / N is ≥ `target`
/// — the most inclusive threshold that still clears that share of the negative weight. The
/// lowest score when `target` ≤ 0; +∞ (flag none) when even the highest score flags too much
/// negative weight.
/// Returns nil when `target` is NaN or above 1 (impossible), a score is NaN, or either class
/// has no weight.
public func threshold(forSpecificity target: Double, labels: [Double], scores: [Double], weights: [Double]? = nil) -> Double? {
    guard let sweep = sweepPoints("threshold(forSpecificity:)", labels: labels, scores: scores, weights: weights) else { return nil }
    return sweep.points.last { (sweep.negative - $0.falsePositives) / sweep.negative >= target }?.threshold
}

/// The lowest candidate threshold whose false-alarm rate FP(t) / N is ≤ `target` — the most
/// inclusive threshold that flags at most that share of the negative weight. The lowest score
/// when `target` ≥ 1; +∞ (flag none) when even the highest score flags too much negative
/// weight. Returns nil when `target` is NaN or negative (impossible), a score is NaN, or
/// either class has no weight.
public func threshold(forFalseAlarmRate target: Double, labels: [Double], scores: [Double], weights: [Double]? = nil) -> Double? {
    guard let sweep = sweepPoints("threshold(forFalseAlarmRate:)", labels: labels, scores: scores, weights: weights) else { return nil }
    return sweep.points.last { $0.falsePositives / sweep.negative <= target }?.threshold
}

/// The naive twin of ``threshold(forSensitivity:labels:scores:weights:)``.
public func thresholdNaive(forSensitivity target: Double, labels: [Double], scores: [Double], weights: [Double]? = nil) -> Double? {
    naiveCandidates("thresholdNaive(forSensitivity:)", labels: labels, scores: scores, weights: weights)?
        .first { $0.counts.sensitivity >= target }?.threshold
}

/// The naive twin of ``threshold(forSpecificity:labels:scores:weights:)``.
public func thresholdNaive(forSpecificity target: Double, labels: [Double], scores: [Double], weights: [Double]? = nil) -> Double? {
    naiveCandidates("thresholdNaive(forSpecificity:)", labels: labels, scores: scores, weights: weights)?
        .last { $0.counts.specificity >= target }?.threshold
}

/// The naive twin of ``threshold(forFalseAlarmRate:labels:scores:weights:)``.
public func thresholdNaive(forFalseAlarmRate target: Double, labels: [Double], scores: [Double], weights: [Double]? = nil) -> Double? {
    naiveCandidates("thresholdNaive(forFalseAlarmRate:)", labels: labels, scores: scores, weights: weights)?
        .last { $0.counts.falseAlarmRate <= target }?.threshold
}
