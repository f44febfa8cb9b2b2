import Foundation

/// Knowledge distillation (Hinton et al., 2015): a student learns from a teacher's softened
/// outputs and from the labels.
///
/// The target of sample n is a row of K + 1 values: the teacher's K logits t, then the class c.
/// With temperature T, p = softmax(t / T), q = softmax(s / T) for the student's logits s:
///
///     ℓₙ = α · T² · KL(p ‖ q) + (1 − α) · (−log softmax(s)_c)
///     ∂ℓₙ/∂s = α · T · (q − p) + (1 − α) · (softmax(s) − onehot(c))
///
/// (T² keeps the soft term's gradients on the scale of the hard term's). Weighted mean over the
/// batch like every loss here. Targets of shape (N) — classes only, as a validation set has —
/// give the hard term alone (softmax cross-entropy).
public struct DistillationLoss: Loss {
    public var temperature: Float
    public var alpha: Float

    public init(temperature: Float = 4, alpha: Float = 0.7) {
        precondition(temperature > 0 && alpha >= 0 && alpha <= 1, "distillation: T > 0, 0 ≤ α ≤ 1")
        self.temperature = temperature
        self.alpha = alpha
    }

    public var name: String { "distillation" }

    /// Training targets: each sample's teacher logits, then its class.
    public static func targets(teacherLogits: Tensor, labels: [Int]) -> Tensor {
        let n = teacherLogits.shape[0], k = teacherLogits.shape[1]
        precondition(labels.count == n, "distillation targets: one label per sample")
        var out = [Float]()
        out.reserveCapacity(n * (k + 1))
        for i in 0..<n {
            for j in 0..<k { out.append(teacherLogits[flat: i * k + j]) }
            out.append(Float(labels[i]))
        }
        return Tensor(shape: [n, k + 1], scalars: out)
    }

    public func evaluate(output: Tensor, target: Tensor, sampleWeights: [Float]?) -> (value: Float, gradient: Tensor) {
        let n = output.shape[0], k = output.shape[1]
        if target.shape == [n] { return SoftmaxCrossEntropy().evaluate(output: output, target: target, sampleWeights: sampleWeights) }
        precondition(target.shape == [n, k + 1], "distillation: targets must be (N, K + 1) or (N), got \(target.shape)")
        let total = Double(sampleWeights?.reduce(0, +) ?? Float(n))
        var grad = Tensor(shape: output.shape)
        guard total > 0 else { return (0, grad) }
        let t = Double(temperature), a = Double(alpha)
        var loss = 0.0
        func softmax(_ z: [Double]) -> [Double] {
            let m = z.max() ?? 0
            let e = z.map { exp($0 - m) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
        for i in 0..<n {
            let w = Double(sampleWeights?[i] ?? 1)
            let s = (0..<k).map { Double(output[flat: i * k + $0]) }
            let teacher = (0..<k).map { Double(target[flat: i * (k + 1) + $0]) }
            let c = max(0, min(k - 1, Int(target[flat: i * (k + 1) + k])))
            let p = softmax(teacher.map { $0 / t }), q = softmax(s.map { $0 / t }), hard = softmax(s)
            var kl = 0.0
            for j in 0..<k where p[j] > 0 { kl += p[j] * (log(p[j]) - log(max(q[j], 1e-300))) }
            loss += w * (a * t * t * kl - (1 - a) * log(max(hard[c], 1e-300)))
            for j in 0..<k {
                let g = a * t * (q[j] - p[j]) + (1 - a) * (hard[j] - (j == c ? 1 : 0))
                grad[flat: i * k + j] = Float(w * g / total)
            }
        }
        return (Float(loss / total), grad)
    }
}
