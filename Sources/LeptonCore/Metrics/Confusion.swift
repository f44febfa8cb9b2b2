/// The weighted confusion matrix of a binary classifier at one threshold. Each count is a sum
/// of row weights (the number of rows when unweighted). A rate whose denominator is zero is NaN.
public struct ConfusionCounts: Sendable, Equatable {
    /// Positives flagged (score ≥ threshold).
    public var truePositives: Double
    /// Negatives flagged.
    public var falsePositives: Double
    /// Negatives not flagged.
    public var trueNegatives: Double
    /// Positives not flagged.
    public var falseNegatives: Double

    public init(truePositives: Double = 0, falsePositives: Double = 0, trueNegatives: Double = 0, falseNegatives: Double = 0) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.trueNegatives = trueNegatives
        self.falseNegatives = falseNegatives
    }

    /// Sensitivity (recall, true positive rate): TP / (TP + FN).
    public var sensitivity: Double { truePositives / (truePositives + falseNegatives) }
    /// Specificity (true negative rate): TN / (TN + FP).
    public var specificity: Double { trueNegatives / (trueNegatives + falsePositives) }
    /// False-alarm rate (false positive rate, 1 − specificity): FP / (FP + TN).
    public var falseAlarmRate: Double { falsePositives / (falsePositives + trueNegatives) }
    /// Precision (positive predictive value): TP / (TP + FP).
    public var precision: Double { truePositives / (truePositives + falsePositives) }
    /// Accuracy: (TP + TN) / (TP + FP + TN + FN).
    public var accuracy: Double {
        (truePositives + trueNegatives) / (truePositives + falsePositives + trueNegatives + falseNegatives)
    }
}

/// The confusion matrix when a row is predicted positive if its score is ≥ `threshold`
/// (labels 0/1, > 0.5 is positive; optional weights, nil: every row weighs 1). O(n).
/// Returns nil when the threshold or a score is NaN; empty input gives all-zero counts.
public func confusion(labels: [Double], scores: [Double], threshold: Double, weights: [Double]? = nil) -> ConfusionCounts? {
    checkMetricInputs("confusion", labels: labels, values: scores, weights: weights)
    guard !threshold.isNaN, !scores.contains(where: \.isNaN) else { return nil }
    var c = ConfusionCounts()
    for i in labels.indices {
        let w = weights?[i] ?? 1
        switch (labels[i] > 0.5, scores[i] >= threshold) {
        case (true, true): c.truePositives += w
        case (true, false): c.falseNegatives += w
        case (false, true): c.falsePositives += w
        case (false, false): c.trueNegatives += w
        }
    }
    return c
}
