import Foundation

/// The Hosmer–Lemeshow goodness-of-fit test of predicted probabilities.
public struct HosmerLemeshow: Sendable, Equatable {
    /// H = Σ_g (O_g − E_g)² / (E_g · (1 − E_g / n_g)).
    public var statistic: Double
    /// max(G − 2, 1).
    public var degreesOfFreedom: Int
    /// P(χ²_df > H).
    public var pValue: Double

    public init(statistic: Double, degreesOfFreedom: Int, pValue: Double) {
        self.statistic = statistic
        self.degreesOfFreedom = degreesOfFreedom
        self.pValue = pValue
    }
}

/// The Hosmer–Lemeshow statistic over G groups:
///
///     H = Σ_g (O_g − E_g)² / (E_g · (1 − E_g / n_g)),   E_g = meanPredicted_g · n_g
///
/// with O_g the positives and n_g the weight of group g. Each term is computed as
/// `expected = meanPredicted · n_g`, `variance = expected · (1 − meanPredicted)`,
/// `(O_g − expected)·(O_g − expected) / variance`, groups without weight or with zero variance
/// skipped — the credit domain's band arithmetic, so bands mapped to bins give the same bits.
/// Degrees of freedom max(G − 2, 1) with G = `bins.count`; p-value from ``chiSquareSurvival(_:degreesOfFreedom:)``.
public func hosmerLemeshow(bins: [ProbabilityBin]) -> HosmerLemeshow {
    var h = 0.0
    for bin in bins where bin.weight > 0 {
        let expected = bin.meanPredicted * bin.weight
        let variance = expected * (1 - bin.meanPredicted)
        if variance > 0 { h += (bin.positives - expected) * (bin.positives - expected) / variance }
    }
    let df = max(bins.count - 2, 1)
    return HosmerLemeshow(statistic: h, degreesOfFreedom: df, pValue: chiSquareSurvival(h, degreesOfFreedom: df))
}

/// The Hosmer–Lemeshow test over `groups` quantile bins of the predicted probabilities
/// (``calibrationBins(labels:probabilities:weights:bins:strategy:)`` with `.quantile`; ties
/// stay together, so G may be smaller). Returns nil when a probability is NaN or there is no
/// weight (empty input included).
public func hosmerLemeshow(labels: [Double], probabilities: [Double], weights: [Double]? = nil,
                           groups: Int = 10) -> HosmerLemeshow? {
    guard let bins = calibrationBins(labels: labels, probabilities: probabilities, weights: weights, bins: groups,
                                     strategy: .quantile), !bins.isEmpty else { return nil }
    return hosmerLemeshow(bins: bins)
}

/// P(χ²_k > x) = Q(k/2, x/2), the regularised upper incomplete gamma function; 1 for x ≤ 0.
public func chiSquareSurvival(_ x: Double, degreesOfFreedom k: Int) -> Double {
    guard x > 0 else { return 1 }
    return regularizedUpperGamma(Double(k) / 2, x / 2)
}

/// Q(a, x) = Γ(a, x) / Γ(a) by its series (x < a + 1) or continued fraction (Numerical Recipes §6.2).
public func regularizedUpperGamma(_ a: Double, _ x: Double) -> Double {
    let logPrefix = -x + a * log(x) - lgamma(a)
    if x < a + 1 {
        var sum = 1 / a, term = 1 / a, ap = a
        for _ in 0..<500 {
            ap += 1
            term *= x / ap
            sum += term
            if abs(term) < abs(sum) * 1e-15 { break }
        }
        return max(0, 1 - sum * exp(logPrefix))
    }
    var b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d
    for i in 1...500 {
        let an = -Double(i) * (Double(i) - a)
        b += 2
        d = an * d + b
        if abs(d) < 1e-300 { d = 1e-300 }
        c = b + an / c
        if abs(c) < 1e-300 { c = 1e-300 }
        d = 1 / d
        let delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15 { break }
    }
    return min(1, exp(logPrefix) * h)
}
