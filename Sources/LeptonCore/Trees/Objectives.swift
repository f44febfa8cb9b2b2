import Foundation

/// Stage 6: losses, their derivatives, the prior and the link function.
///
/// With effective row weights `wᵢ = sampleWeightᵢ · classWeight(yᵢ)`:
/// - binary log-loss: `gᵢ = wᵢ(σ(fᵢ) − yᵢ)`, `hᵢ = wᵢ σ(fᵢ)(1 − σ(fᵢ))`; prior margin
///   `f₀ = log(p̄/(1 − p̄))` with `p̄ = Σwᵢyᵢ / Σwᵢ`; loss `softplus(f) − y·f`.
/// - L2: `gᵢ = wᵢ(fᵢ − yᵢ)`, `hᵢ = wᵢ`; prior `f₀ = Σwᵢyᵢ / Σwᵢ`; loss `(f − y)²`.
extension GBDTObjective {
    /// The prior margin `f₀` (base score) from labels and effective weights.
    public func baseScore(labels: [Double], weights: [Double]) -> Double {
        var sw = 0.0, swy = 0.0
        for (y, w) in zip(labels, weights) { sw += w; swy += w * y }
        guard sw > 0 else { return 0 }
        let mean = swy / sw
        switch self {
        case .binaryLogLoss:
            let p = min(max(mean, 1e-15), 1 - 1e-15)
            return Foundation.log(p / (1 - p))
        case .l2Regression:
            return mean
        }
    }

    /// Writes gradients and hessians of rows `range` at margins `scores`.
    /// Pairs are stored interleaved, `(gᵢ, hᵢ)` at index i, so the histogram reads one 8-byte cell per row.
    func derivatives(labels: UnsafePointer<Double>, weights: UnsafePointer<Double>, scores: UnsafePointer<Double>,
                     into out: UnsafeMutablePointer<SIMD2<Float>>, range: Range<Int>) {
        switch self {
        case .binaryLogLoss:
            for i in range {
                let p = 1 / (1 + Foundation.exp(-scores[i]))
                let w = weights[i]
                out[i] = SIMD2(Float(w * (p - labels[i])), Float(w * p * (1 - p)))
            }
        case .l2Regression:
            for i in range {
                let w = weights[i]
                out[i] = SIMD2(Float(w * (scores[i] - labels[i])), Float(w))
            }
        }
    }

    /// Weighted mean loss at margins `scores` (log-loss, or mean squared error for L2).
    public func loss(labels: [Double], scores: [Double], weights: [Double]) -> Double {
        var s = 0.0, sw = 0.0
        for i in labels.indices {
            let f = scores[i], y = labels[i], w = weights[i]
            switch self {
            case .binaryLogLoss:
                let softplus = max(f, 0) + Foundation.log1p(Foundation.exp(-abs(f)))
                s += w * (softplus - y * f)
            case .l2Regression:
                s += w * (f - y) * (f - y)
            }
            sw += w
        }
        return sw > 0 ? s / sw : 0
    }

    /// The link from margin to prediction: `σ(f)` for binary, identity for L2.
    @inline(__always)
    public func transform(_ raw: Double) -> Double {
        switch self {
        case .binaryLogLoss: return 1 / (1 + Foundation.exp(-raw))
        case .l2Regression: return raw
        }
    }

    /// Checks labels (finite; 0 or 1 for binary) and returns effective weights
    /// `sampleWeight · classWeight(y)`.
    func effectiveWeights(labels: [Double], weights: [Double]?, config: GBDTConfig) throws -> [Double] {
        if let w = weights, w.count != labels.count {
            throw GBDTError.invalidData("\(w.count) weights for \(labels.count) labels")
        }
        var out = [Double](repeating: 1, count: labels.count)
        for i in labels.indices {
            let y = labels[i]
            guard y.isFinite else { throw GBDTError.invalidData("label of row \(i) is not finite (\(y))") }
            var w = weights?[i] ?? 1
            guard w.isFinite, w >= 0 else { throw GBDTError.invalidData("weight of row \(i) must be finite and ≥ 0 (got \(w))") }
            if self == .binaryLogLoss {
                guard y == 0 || y == 1 else {
                    throw GBDTError.invalidData("binary labels must be 0 or 1; row \(i) has \(y)")
                }
                w *= y == 1 ? config.positiveClassWeight : config.negativeClassWeight
            }
            out[i] = w
        }
        return out
    }
}
