import Foundation
import LeptonCore

/// How the positive probability is calibrated on the validation scans.
public enum CalibrationMethod: String, Sendable, CaseIterable {
    /// Platt scaling: p = σ(a·m + b), a and b by logistic regression on the margins.
    case platt
    /// Temperature scaling (Guo et al. 2017): p = σ(m / T), T > 0 by the least log-loss; the
    /// ranking and the decision at 0.5 are kept, only the confidence changes.
    case temperature
    /// The network's softmax as it is.
    case none
}

extension ScanModel {
    /// The temperature-scaling calibration [1/T, 0] of `logits` on `labels` (0/1): the scale
    /// s = 1/T minimising the mean log-loss of σ(s·m), found by golden-section search on log s
    /// over [10⁻³, 10³] (the log-loss is convex in s).
    public static func fitTemperature(logits: [[Double]], labels: [Double], positive: Int) -> [Double] {
        let margins = logits.map { margin($0, positive: positive) }
        func loss(_ logScale: Double) -> Double {
            let s = exp(logScale)
            var total = 0.0
            for (m, y) in zip(margins, labels) {
                // −log σ(t) = log(1 + e^{−t}), computed stably.
                let t = (y > 0.5 ? 1 : -1) * s * m
                total += t > 0 ? log1p(exp(-t)) : -t + log1p(exp(t))
            }
            return total / Double(max(margins.count, 1))
        }
        var (low, high) = (log(1e-3), log(1e3))
        let ratio = (5.0.squareRoot() - 1) / 2
        var a = high - ratio * (high - low), b = low + ratio * (high - low)
        var (la, lb) = (loss(a), loss(b))
        for _ in 0..<80 {
            if la <= lb {
                high = b
                (b, lb) = (a, la)
                a = high - ratio * (high - low)
                la = loss(a)
            } else {
                low = a
                (a, la) = (b, lb)
                b = low + ratio * (high - low)
                lb = loss(b)
            }
        }
        return [exp((low + high) / 2), 0]
    }
}
