/// Rows grouped by tied score, from the highest score down: the one sweep behind the ROC curve,
/// the AUC, the precision–recall curve, average precision and the threshold searches.
///
/// Group `g` holds every row whose score equals `scores[g]`; `positives[g]` and `negatives[g]`
/// are their total weights (a row is positive when its label is > 0.5). Lowering the threshold
/// `t` to `scores[g]` (flag a row when score ≥ t) flags groups `0...g`. The totals are the
/// sums of the group weights in this order, so the cumulative weights after the last group
/// equal them exactly.
struct TiedScoreGroups {
    /// The distinct scores, strictly decreasing.
    var scores: [Double] = []
    var positives: [Double] = []
    var negatives: [Double] = []
    var totalPositive = 0.0
    var totalNegative = 0.0

    /// Groups the rows; nil when a score is NaN (NaN has no rank; ±∞ rank as the extremes).
    init?(labels: [Double], scores rowScores: [Double], weights: [Double]?, function: String) {
        checkMetricInputs(function, labels: labels, values: rowScores, weights: weights)
        guard !rowScores.contains(where: \.isNaN) else { return nil }
        let order = rowScores.indices.sorted { rowScores[$0] > rowScores[$1] }
        var k = 0
        while k < order.count {
            let score = rowScores[order[k]]
            var positive = 0.0, negative = 0.0
            while k < order.count, rowScores[order[k]] == score {
                let i = order[k]
                let w = weights?[i] ?? 1
                if labels[i] > 0.5 { positive += w } else { negative += w }
                k += 1
            }
            scores.append(score)
            positives.append(positive)
            negatives.append(negative)
            totalPositive += positive
            totalNegative += negative
        }
    }

    /// Whether both classes carry positive weight (else no ranking metric is defined).
    var hasBothClasses: Bool { totalPositive > 0 && totalNegative > 0 }
}

/// Checks the lengths of a metric's inputs: a mismatch is a programmer error.
func checkMetricInputs(_ function: String, labels: [Double], values: [Double], weights: [Double]?) {
    precondition(labels.count == values.count, "\(function): \(labels.count) labels, \(values.count) values")
    precondition(weights == nil || weights!.count == labels.count,
                 "\(function): \(weights?.count ?? 0) weights for \(labels.count) rows")
}

/// The candidate thresholds of the naive twins: +∞ (flag none) and every distinct score, from
/// the highest down (+∞ once when it is also a score). Assumes no NaN.
func candidateThresholds(_ scores: [Double]) -> [Double] {
    var result: [Double] = [.infinity]
    for s in Set(scores).sorted(by: >) where s != .infinity { result.append(s) }
    return result
}
