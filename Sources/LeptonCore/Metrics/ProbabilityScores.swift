import Foundation

/// Brier score, the mean squared error of predicted probabilities against 0/1 labels, with
/// optional sample weights (nil: every row weighs 1):
///
///     Brier = Σ wᵢ (pᵢ − yᵢ)² / Σ wᵢ
///
/// Summed in row order as `total + wᵢ·((pᵢ − yᵢ)·(pᵢ − yᵢ))`, so unweighted (or unit-weighted)
/// it is bit for bit the credit domain's `(1/n) Σ (pdᵢ − yᵢ)²`. NaN for empty input (or zero
/// total weight); NaN when a probability is NaN.
public func brierScore(labels: [Double], probabilities: [Double], weights: [Double]? = nil) -> Double {
    checkMetricInputs("brierScore", labels: labels, values: probabilities, weights: weights)
    guard !labels.isEmpty else { return .nan }
    var total = 0.0, totalWeight = 0.0
    for i in labels.indices {
        let w = weights?[i] ?? 1
        let d = probabilities[i] - labels[i]
        total += w * (d * d)
        totalWeight += w
    }
    return total / totalWeight
}

/// Log-loss (binary cross-entropy) of predicted probabilities against 0/1 labels, with optional
/// sample weights (nil: every row weighs 1):
///
///     log-loss = −Σ wᵢ [yᵢ ln qᵢ + (1 − yᵢ) ln(1 − qᵢ)] / Σ wᵢ,   qᵢ = pᵢ clipped to [10⁻¹⁵, 1 − 10⁻¹⁵]
///
/// For yᵢ exactly 0 or 1 only the one logarithm is taken. Unweighted (or unit-weighted) it is
/// bit for bit the credit domain's log-loss. NaN for empty input (or zero total weight); NaN
/// when a probability is NaN.
public func logLoss(labels: [Double], probabilities: [Double], weights: [Double]? = nil) -> Double {
    checkMetricInputs("logLoss", labels: labels, values: probabilities, weights: weights)
    guard !labels.isEmpty else { return .nan }
    var total = 0.0, totalWeight = 0.0
    for i in labels.indices {
        let y = labels[i], w = weights?[i] ?? 1
        let q = min(max(probabilities[i], 1e-15), 1 - 1e-15)
        total -= w * (y == 1 ? log(q) : (y == 0 ? log(1 - q) : y * log(q) + (1 - y) * log(1 - q)))
        totalWeight += w
    }
    return total / totalWeight
}
