import Foundation

/// A training objective: a scalar loss of a batch of model outputs against targets, and its
/// gradient with respect to the outputs.
///
/// All losses here are weighted means, `L = Σₙ ωₙ ℓₙ / Σₙ ωₙ`, where ωₙ is the sample weight
/// (1 when `sampleWeights` is nil) times the class weight where the loss has one. A batch
/// whose weights sum to zero has loss 0 and gradient 0.
public protocol Loss: Sendable {
    /// A short name for histories and logs, e.g. `"softmax-cross-entropy"`.
    var name: String { get }
    /// Returns L and ∂L/∂output (shape of `output`). `sampleWeights` has one entry per sample (N).
    func evaluate(output: Tensor, target: Tensor, sampleWeights: [Float]?) -> (value: Float, gradient: Tensor)
}

extension Loss {
    /// Unweighted evaluation.
    public func evaluate(output: Tensor, target: Tensor) -> (value: Float, gradient: Tensor) {
        evaluate(output: output, target: target, sampleWeights: nil)
    }
}

private func checkWeights(_ w: [Float]?, _ n: Int, _ name: String) {
    if let w { precondition(w.count == n, "\(name): \(w.count) sample weights for \(n) samples") }
}

/// Mean squared error.
///
/// Shapes: output and target (N, …) equal; D = elements per sample.
/// - Forward: `ℓₙ = (1/D) Σ_d (oₙd − tₙd)²`, `L = Σ wₙ ℓₙ / Σ wₙ`.
/// - Gradient: `∂L/∂oₙd = 2 wₙ (oₙd − tₙd) / (D Σ wₙ)`.
public struct MeanSquaredError: Loss {
    public init() {}
    public var name: String { "mse" }

    public func evaluate(output: Tensor, target: Tensor, sampleWeights: [Float]?) -> (value: Float, gradient: Tensor) {
        precondition(output.shape == target.shape, "mse: output \(output.shape) vs target \(target.shape)")
        let n = output.shape.first ?? 1, d = max(1, output.count / max(n, 1))
        checkWeights(sampleWeights, n, name)
        let total = Double(sampleWeights?.reduce(0, +) ?? Float(n))
        var grad = Tensor(shape: output.shape)
        guard total > 0 else { return (0, grad) }
        var loss = 0.0
        output.withUnsafeBufferPointer { o in
            target.withUnsafeBufferPointer { t in
                grad.withUnsafeMutableBufferPointer { g in
                    for i in 0..<n {
                        let w = Double(sampleWeights?[i] ?? 1)
                        for j in 0..<d {
                            let diff = Double(o[i * d + j]) - Double(t[i * d + j])
                            loss += w * diff * diff / Double(d)
                            g[i * d + j] = Float(2 * w * diff / (Double(d) * total))
                        }
                    }
                }
            }
        }
        return (Float(loss / total), grad)
    }
}

/// Binary cross-entropy on logits (sigmoid fused in, numerically stable).
///
/// Shapes: logits z and targets y ∈ [0, 1] equal, (N) or (N, K) for K independent labels.
/// - Forward: `ℓ = max(z, 0) − z·y + log(1 + e^(−|z|))` (= −y log σ(z) − (1−y) log(1−σ(z))),
///   element weight `ω = wₙ · (y·c₁ + (1 − y)·c₀)` with class weights (c₀, c₁),
///   `L = Σ ω ℓ / Σ ω`.
/// - Gradient: `∂L/∂z = ω (σ(z) − y) / Σ ω`.
public struct BinaryCrossEntropyWithLogits: Loss {
    /// Weights (c₀, c₁) of negative and positive targets; (1, 1) by default.
    public var classWeights: (negative: Float, positive: Float)

    public init(negativeWeight: Float = 1, positiveWeight: Float = 1) {
        precondition(negativeWeight >= 0 && positiveWeight >= 0, "class weights must be non-negative")
        classWeights = (negativeWeight, positiveWeight)
    }

    public var name: String { "binary-cross-entropy" }

    public func evaluate(output: Tensor, target: Tensor, sampleWeights: [Float]?) -> (value: Float, gradient: Tensor) {
        precondition(output.shape == target.shape, "bce: logits \(output.shape) vs target \(target.shape)")
        let n = output.shape.first ?? 1, k = max(1, output.count / max(n, 1))
        checkWeights(sampleWeights, n, name)
        var grad = Tensor(shape: output.shape)
        var loss = 0.0, total = 0.0
        let (c0, c1) = (Double(classWeights.negative), Double(classWeights.positive))
        output.withUnsafeBufferPointer { o in
            target.withUnsafeBufferPointer { t in
                grad.withUnsafeMutableBufferPointer { g in
                    for i in 0..<n {
                        let w = Double(sampleWeights?[i] ?? 1)
                        for j in 0..<k {
                            let z = Double(o[i * k + j]), y = Double(t[i * k + j])
                            let omega = w * (y * c1 + (1 - y) * c0)
                            loss += omega * (max(z, 0) - z * y + Foundation.log1p(Foundation.exp(-abs(z))))
                            total += omega
                            g[i * k + j] = Float(omega * (Double(stableSigmoid(Float(z))) - y))
                        }
                    }
                }
            }
        }
        guard total > 0 else { return (0, Tensor(shape: output.shape)) }
        return (Float(loss / total), grad * Float(1 / total))
    }
}

/// Softmax cross-entropy on logits (log-sum-exp, numerically stable).
///
/// Shapes: logits z (N, K); target either (N) class indices stored as floats, or (N, K) class
/// probabilities (one-hot or soft, rows summing to 1).
/// - Forward: `log pₙₖ = zₙₖ − m − log Σⱼ e^(zₙⱼ − m)` with m = maxⱼ zₙⱼ, `ℓₙ = −Σₖ tₙₖ log pₙₖ`,
///   sample weight `ωₙ = wₙ · Σₖ tₙₖ cₖ` (class weights c, default 1), `L = Σ ωₙ ℓₙ / Σ ωₙ`.
/// - Gradient: `∂L/∂zₙₖ = ωₙ (pₙₖ − tₙₖ) / Σ ωₙ`.
public struct SoftmaxCrossEntropy: Loss {
    /// Optional per-class weights (K).
    public var classWeights: [Float]?

    public init(classWeights: [Float]? = nil) {
        if let classWeights { precondition(classWeights.allSatisfy { $0 >= 0 }, "class weights must be non-negative") }
        self.classWeights = classWeights
    }

    public var name: String { "softmax-cross-entropy" }

    public func evaluate(output: Tensor, target: Tensor, sampleWeights: [Float]?) -> (value: Float, gradient: Tensor) {
        precondition(output.rank == 2, "softmax cross-entropy: logits must be (N, K), got \(output.shape)")
        let n = output.shape[0], k = output.shape[1]
        let hard = target.shape == [n]
        precondition(hard || target.shape == output.shape,
                     "softmax cross-entropy: target must be (N) indices or (N, K) probabilities, got \(target.shape)")
        if let classWeights { precondition(classWeights.count == k, "softmax cross-entropy: \(classWeights.count) class weights for \(k) classes") }
        checkWeights(sampleWeights, n, name)
        var grad = Tensor(shape: output.shape)
        var loss = 0.0, total = 0.0
        output.withUnsafeBufferPointer { z in
            target.withUnsafeBufferPointer { t in
                grad.withUnsafeMutableBufferPointer { g in
                    for i in 0..<n {
                        let row = i * k
                        var m = -Float.infinity
                        for j in 0..<k { m = max(m, z[row + j]) }
                        var s = 0.0
                        for j in 0..<k { s += Foundation.exp(Double(z[row + j] - m)) }
                        let logSum = Double(m) + Foundation.log(s)
                        let w = Double(sampleWeights?[i] ?? 1)
                        var rowLoss = 0.0, classWeight = 0.0, targetMass = 0.0
                        if hard {
                            let label = Int(t[i])
                            precondition(label >= 0 && label < k && Float(label) == t[i],
                                         "softmax cross-entropy: label \(t[i]) is not a class index in 0..<\(k)")
                            rowLoss = logSum - Double(z[row + label])
                            classWeight = Double(classWeights?[label] ?? 1)
                            targetMass = 1
                        } else {
                            for j in 0..<k where t[row + j] != 0 {
                                rowLoss -= Double(t[row + j]) * (Double(z[row + j]) - logSum)
                                classWeight += Double(t[row + j]) * Double(classWeights?[j] ?? 1)
                                targetMass += Double(t[row + j])
                            }
                        }
                        let omega = w * classWeight
                        loss += omega * rowLoss
                        total += omega
                        for j in 0..<k {
                            let p = Foundation.exp(Double(z[row + j]) - logSum)
                            let tj = hard ? (j == Int(t[i]) ? 1.0 : 0.0) : Double(t[row + j])
                            g[row + j] = Float(omega * (p * targetMass - tj))
                        }
                    }
                }
            }
        }
        guard total > 0 else { return (0, Tensor(shape: output.shape)) }
        return (Float(loss / total), grad * Float(1 / total))
    }
}
