import Foundation

/// Softmax over the last axis, input and output (N, K).
///
/// - Forward: `yᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m)` with m = maxⱼ xⱼ (shift for stability).
/// - Backward: `∂L/∂xᵢ = yᵢ (gᵢ − Σⱼ gⱼ yⱼ)`.
///
/// For classification training prefer ``SoftmaxCrossEntropy`` on logits (fused, more stable);
/// this layer is for models that must output probabilities.
public final class Softmax: Layer {
    private var output: Tensor?
    public func releaseWorkspaces() { output = nil }
    public init() {}
    public var summary: String { "Softmax" }
    public var namedParameters: [(name: String, parameter: Parameter)] { [] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.rank == 2, "Softmax expects (N, K), got \(input.shape)")
        let y = Softmax.rows(input)
        output = y
        return y
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let y = cached(output, summary)
        precondition(outputGradient.shape == y.shape, "Softmax.backward: gradient \(outputGradient.shape) vs \(y.shape)")
        let k = y.shape[1]
        var g = outputGradient
        g.withUnsafeMutableBufferPointer { gp in
            y.withUnsafeBufferPointer { yp in
                for n in 0..<y.shape[0] {
                    var dot: Float = 0
                    for j in 0..<k { dot += gp[n * k + j] * yp[n * k + j] }
                    for j in 0..<k { gp[n * k + j] = yp[n * k + j] * (gp[n * k + j] - dot) }
                }
            }
        }
        return g
    }

    /// Row-wise softmax of a (N, K) tensor, max-shifted.
    public static func rows(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2, "softmax rows expects (N, K), got \(x.shape)")
        let k = x.shape[1]
        var y = x
        y.withUnsafeMutableBufferPointer { p in
            for n in 0..<x.shape[0] {
                let row = n * k
                var m = -Float.infinity
                for j in 0..<k { m = Swift.max(m, p[row + j]) }
                var s: Float = 0
                for j in 0..<k { let e = Foundation.exp(p[row + j] - m); p[row + j] = e; s += e }
                for j in 0..<k { p[row + j] /= s }
            }
        }
        return y
    }
}
