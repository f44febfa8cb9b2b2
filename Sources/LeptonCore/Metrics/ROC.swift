/// Area under the ROC curve: the probability that a random positive scores above a random
/// negative, ties counting one half (the Mann–Whitney U statistic over n₊·n₋), with optional
/// sample weights:
///
///     AUC = Σ_{i∈P} Σ_{j∈N} wᵢwⱼ·[sᵢ > sⱼ] + ½·wᵢwⱼ·[sᵢ = sⱼ]  /  (Σ_{P} wᵢ · Σ_{N} wⱼ)
///
/// Computed in O(n log n) by sorting scores and sweeping tied groups. Labels are 0/1 (or
/// `true` for positive). Returns nil when either class is absent or a score is NaN (NaN has no
/// rank; ±∞ rank as the extremes).
public func rocAUC(labels: [Double], scores: [Double], weights: [Double]? = nil) -> Double? {
    precondition(labels.count == scores.count, "rocAUC: \(labels.count) labels, \(scores.count) scores")
    precondition(weights == nil || weights!.count == labels.count, "rocAUC: weights of the wrong length")
    guard !scores.contains(where: \.isNaN) else { return nil }
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var negativesBelow = 0.0, totalPositive = 0.0, totalNegative = 0.0, area = 0.0
    var k = 0
    while k < order.count {
        // One group of tied scores.
        var groupPositive = 0.0, groupNegative = 0.0
        var end = k
        while end < order.count, scores[order[end]] == scores[order[k]] {
            let i = order[end]
            let w = weights?[i] ?? 1
            if labels[i] > 0.5 { groupPositive += w } else { groupNegative += w }
            end += 1
        }
        area += groupPositive * (negativesBelow + 0.5 * groupNegative)
        negativesBelow += groupNegative
        totalPositive += groupPositive
        totalNegative += groupNegative
        k = end
    }
    guard totalPositive > 0, totalNegative > 0 else { return nil }
    return area / (totalPositive * totalNegative)
}

/// The naive twin of ``rocAUC(labels:scores:weights:)``: every positive–negative pair, O(n²).
public func rocAUCNaive(labels: [Double], scores: [Double], weights: [Double]? = nil) -> Double? {
    var area = 0.0, positive = 0.0, negative = 0.0
    for i in labels.indices where labels[i] > 0.5 { positive += weights?[i] ?? 1 }
    for j in labels.indices where labels[j] <= 0.5 { negative += weights?[j] ?? 1 }
    guard positive > 0, negative > 0 else { return nil }
    for i in labels.indices where labels[i] > 0.5 {
        for j in labels.indices where labels[j] <= 0.5 {
            let w = (weights?[i] ?? 1) * (weights?[j] ?? 1)
            area += scores[i] > scores[j] ? w : (scores[i] == scores[j] ? 0.5 * w : 0)
        }
    }
    return area / (positive * negative)
}
