/// Inverted dropout, seeded.
///
/// - Forward (training): `y = x ⊙ m / (1 − p)` with mᵢ ~ Bernoulli(1 − p) drawn from the layer's
///   own ``SeededGenerator``; (inference): `y = x`. Any shape.
/// - Backward: `∂L/∂x = g ⊙ m / (1 − p)` (identity at inference).
///
/// The mask stream is fixed by `seed`: the same seed and the same sequence of calls give the
/// same masks. ``reseed(_:)`` restarts the stream.
public final class Dropout: Layer {
    public let rate: Float
    private var rng: SeededGenerator
    private var mask: Tensor?
    public func releaseWorkspaces() { mask = nil }

    public init(rate: Float, seed: UInt64) {
        precondition(rate >= 0 && rate < 1, "Dropout rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.rng = SeededGenerator(seed: seed)
    }

    /// Restarts the mask stream from `seed`.
    public func reseed(_ seed: UInt64) { rng = SeededGenerator(seed: seed) }

    public var summary: String { "Dropout(\(rate))" }
    public var namedParameters: [(name: String, parameter: Parameter)] { [] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard training, rate > 0 else {
            mask = nil
            return input
        }
        let keep = 1 - rate, scale = 1 / (1 - rate)
        var m = Tensor(shape: input.shape)
        m.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = rng.nextUniform() < keep ? scale : 0 }
        }
        mask = m
        return input * m
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let mask else { return outputGradient }
        return outputGradient * mask
    }
}
