/// How the range of a layer's input activations is chosen from calibration data.
public enum ActivationCalibration: String, Sendable, Codable, CaseIterable {
    /// The largest value seen (and the smallest, for an input that can be negative).
    case minmax
    /// The 99.99th percentile of the values (robust to a few outliers).
    case percentile
    /// The clipping threshold T minimising the Kullback–Leibler divergence between the
    /// histogram of the values and its 128-level quantization clipped at T (TensorRT's
    /// entropy calibration), over 2048 histogram bins.
    case entropy

    /// The clipping threshold for non-negative values (post-ReLU activations).
    public func threshold(_ values: [Float]) -> Float {
        let finite = values.filter(\.isFinite)
        guard let maxValue = finite.max(), maxValue > 0 else { return 1 }
        switch self {
        case .minmax: return maxValue
        case .percentile:
            let sorted = finite.sorted()
            return max(sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * 0.9999))], maxValue * 1e-6)
        case .entropy: return Self.entropyThreshold(finite, maxValue: maxValue)
        }
    }

    /// KL-divergence calibration: histogram of |v| in 2048 bins over [0, max]; for each
    /// candidate i ≥ 128 bins, P = the first i bins with the tail added to the last, Q = P merged
    /// into 128 levels and spread back over the non-empty bins; T = the (i + ½)-th bin edge of the
    /// i minimising KL(P ‖ Q).
    static func entropyThreshold(_ values: [Float], maxValue: Float) -> Float {
        let bins = 2048, levels = 128
        var histogram = [Double](repeating: 0, count: bins)
        let width = maxValue / Float(bins)
        guard width.isNormal else { return maxValue }  // values too small to histogram
        for v in values where v > 0 { histogram[min(bins - 1, Int(v / width))] += 1 }
        var best = bins, bestDivergence = Double.infinity
        for i in stride(from: levels, through: bins, by: 16) {
            var p = Array(histogram[0..<i])
            p[i - 1] += histogram[i...].reduce(0, +)
            var q = [Double](repeating: 0, count: i)
            let per = Double(i) / Double(levels)
            for level in 0..<levels {
                let lo = Int(Double(level) * per), hi = max(lo + 1, Int(Double(level + 1) * per))
                let slice = histogram[lo..<min(hi, i)]
                let nonEmpty = slice.filter { $0 > 0 }.count
                guard nonEmpty > 0 else { continue }
                let share = slice.reduce(0, +) / Double(nonEmpty)
                for k in lo..<min(hi, i) where histogram[k] > 0 { q[k] = share }
            }
            let ps = p.reduce(0, +), qs = q.reduce(0, +)
            guard ps > 0, qs > 0 else { continue }
            var divergence = 0.0
            for k in 0..<i where p[k] > 0 {
                let pk = p[k] / ps, qk = max(q[k] / qs, 1e-12)
                divergence += pk * log(pk / qk)
            }
            if divergence < bestDivergence { (best, bestDivergence) = (i, divergence) }
        }
        return (Float(best) + 0.5) * width
    }
}

import Foundation
