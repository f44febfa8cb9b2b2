import Foundation

/// A learning-rate schedule: a pure function of the 0-based optimizer step.
public struct LearningRateSchedule: Sendable {
    /// The rate at a step.
    public let rate: @Sendable (Int) -> Float
    /// A short description for histories and logs.
    public let name: String

    public init(name: String, _ rate: @escaping @Sendable (Int) -> Float) {
        self.name = name
        self.rate = rate
    }

    /// The rate at `step`.
    public func callAsFunction(_ step: Int) -> Float { rate(step) }

    /// `lr(t) = r`.
    public static func constant(_ r: Float) -> LearningRateSchedule {
        LearningRateSchedule(name: "constant(\(r))") { _ in r }
    }

    /// `lr(t) = r₀ · γ^⌊t / every⌋`.
    public static func stepDecay(initial r0: Float, factor gamma: Float, every: Int) -> LearningRateSchedule {
        precondition(every > 0, "stepDecay: `every` must be positive")
        return LearningRateSchedule(name: "step(\(r0), ×\(gamma) every \(every))") { t in
            r0 * Float(Foundation.pow(Double(gamma), Double(max(t, 0) / every)))
        }
    }

    /// `lr(t) = r₀ · γ^t`.
    public static func exponential(initial r0: Float, decay gamma: Float) -> LearningRateSchedule {
        LearningRateSchedule(name: "exponential(\(r0), \(gamma))") { t in
            r0 * Float(Foundation.pow(Double(gamma), Double(max(t, 0))))
        }
    }

    /// Linear warmup from 0 to `peak` over `warmup` steps, then cosine decay to `minimum` at
    /// `total` steps (held at `minimum` afterwards):
    /// `lr(t) = peak·(t+1)/warmup` for t < warmup, else
    /// `min + ½(peak − min)(1 + cos(π·(t − warmup)/(total − warmup)))`.
    public static func cosine(peak: Float, warmup: Int = 0, total: Int, minimum: Float = 0) -> LearningRateSchedule {
        precondition(warmup >= 0 && total > warmup, "cosine: need 0 ≤ warmup < total")
        return LearningRateSchedule(name: "cosine(\(peak), warmup \(warmup), total \(total))") { t in
            if t < warmup { return peak * Float(t + 1) / Float(warmup) }
            let progress = min(1, Double(t - warmup) / Double(total - warmup))
            return minimum + Float(0.5 * Double(peak - minimum) * (1 + Foundation.cos(Double.pi * progress)))
        }
    }

    /// One-cycle (Smith; PyTorch's cosine variant): from `maxRate / divFactor` up to `maxRate` over
    /// the first `warmupFraction · total` steps, then down to `maxRate / (divFactor · finalDivFactor)`
    /// at `total`, both legs cosine-shaped.
    public static func oneCycle(maxRate: Float, total: Int, warmupFraction: Double = 0.3,
                                divFactor: Float = 25, finalDivFactor: Float = 1e4) -> LearningRateSchedule {
        precondition(total > 1 && warmupFraction > 0 && warmupFraction < 1, "oneCycle: invalid configuration")
        let start = maxRate / divFactor, end = start / finalDivFactor
        let up = max(1, Int((warmupFraction * Double(total)).rounded()) - 1)
        @Sendable func anneal(_ a: Float, _ b: Float, _ p: Double) -> Float {
            b + Float((Double(a - b) / 2) * (1 + Foundation.cos(Double.pi * min(max(p, 0), 1))))
        }
        return LearningRateSchedule(name: "one-cycle(\(maxRate), total \(total))") { t in
            if t <= up { return anneal(start, maxRate, Double(t) / Double(up)) }
            return anneal(maxRate, end, Double(t - up) / Double(max(1, total - 1 - up)))
        }
    }
}

/// Reduce-on-plateau: multiplies the learning rate by `factor` when the monitored validation
/// metric has not improved by more than `threshold` (relative) for `patience` epochs.
/// The only stateful rate controller; the ``Trainer`` multiplies the schedule by ``scale``.
public final class ReduceOnPlateau {
    public let factor: Float, patience: Int, threshold: Double, minimumScale: Float
    public let higherIsBetter: Bool
    /// The current multiplier (starts at 1).
    public private(set) var scale: Float = 1
    private var best: Double?
    private var badEpochs = 0

    public init(factor: Float = 0.1, patience: Int = 2, threshold: Double = 1e-4,
                minimumScale: Float = 1e-4, higherIsBetter: Bool) {
        precondition(factor > 0 && factor < 1 && patience >= 0, "ReduceOnPlateau: invalid configuration")
        self.factor = factor; self.patience = patience; self.threshold = threshold
        self.minimumScale = minimumScale; self.higherIsBetter = higherIsBetter
    }

    /// Records one epoch's metric; returns `true` when the rate was lowered.
    @discardableResult
    public func observe(_ metric: Double) -> Bool {
        let improved: Bool
        if let best {
            improved = higherIsBetter ? metric > best + threshold * abs(best) : metric < best - threshold * abs(best)
        } else {
            improved = true
        }
        if improved {
            best = metric
            badEpochs = 0
            return false
        }
        badEpochs += 1
        if badEpochs > patience && scale > minimumScale {
            scale = max(minimumScale, scale * factor)
            badEpochs = 0
            return true
        }
        return false
    }
}
