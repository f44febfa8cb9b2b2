import Foundation

// Element-wise activations. Each takes any shape and returns the same shape; the backward pass
// multiplies the incoming gradient by the local derivative. One file per activation would
// repeat the same twenty lines six times, so they sit together, forward and backward side by side.

/// Shared machinery: caches input and output, applies `f` forward and `f'` backward.
public class ElementwiseActivation: Layer {
    var input: Tensor?
    var output: Tensor?
    public var summary: String { "\(type(of: self))" }
    public var namedParameters: [(name: String, parameter: Parameter)] { [] }
    public func releaseWorkspaces() {
        input = nil
        output = nil
    }
    func value(_ x: Float) -> Float { x }
    /// Local derivative given input `x` and output `y`.
    func derivative(_ x: Float, _ y: Float) -> Float { 1 }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var out = input
        out.withUnsafeMutableBufferPointer { p in
            let base = UncheckedSendableBox(p)
            parallelFor(p.count, minimumPerThread: 1 << 15) { r in
                for i in r { base.value[i] = value(base.value[i]) }
            }
        }
        self.input = input
        self.output = out
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let x = cached(input, summary), y = cached(output, summary)
        precondition(outputGradient.shape == x.shape, "\(summary).backward: gradient \(outputGradient.shape) vs input \(x.shape)")
        var g = outputGradient
        g.withUnsafeMutableBufferPointer { gp in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeBufferPointer { yp in
                    let box = UncheckedSendableBox((gp, xp, yp))
                    parallelFor(gp.count, minimumPerThread: 1 << 15) { r in
                        let (gp, xp, yp) = box.value
                        for i in r { gp[i] *= derivative(xp[i], yp[i]) }
                    }
                }
            }
        }
        return g
    }
}

/// ReLU: y = max(0, x); ∂y/∂x = 1 if x > 0 else 0. Shape preserved.
///
/// Forward and backward are specialised loops (no per-element dynamic call, vectorisable) that
/// keep only the output (y > 0 ⇔ x > 0); the generic ``ElementwiseActivation`` path with
/// ``value(_:)``/``derivative(_:_:)`` is their naive twin, tested equal.
public final class ReLU: ElementwiseActivation {
    public override init() {}
    override func value(_ x: Float) -> Float { x > 0 ? x : 0 }
    override func derivative(_ x: Float, _ y: Float) -> Float { x > 0 ? 1 : 0 }

    public override func forward(_ input: Tensor, training: Bool) -> Tensor {
        let out = Tensor(shape: input.shape) { yp in
            input.withUnsafeBufferPointer { xp in
                guard !xp.isEmpty else { return }
                let box = UncheckedSendableBox((xp.baseAddress!, yp.baseAddress!))
                parallelFor(xp.count, minimumPerThread: 1 << 16) { r in
                    let (x, y) = box.value
                    for i in r { y[i] = Swift.max(x[i], 0) }
                }
            }
        }
        self.input = nil
        self.output = out
        return out
    }

    /// Records `y` as this layer's output when the preceding layer already applied the ReLU
    /// (a fused Conv2D → ReLU forward), so that ``backward(_:)`` works as after ``forward(_:training:)``.
    func adoptOutput(_ y: Tensor) {
        input = nil
        output = y
    }

    /// Drops the recorded output (the layer ran fused into an inference pass that produced none).
    func forgetOutput() {
        input = nil
        output = nil
    }

    public override func backward(_ outputGradient: Tensor) -> Tensor {
        let y = cached(output, summary)
        precondition(outputGradient.shape == y.shape, "\(summary).backward: gradient \(outputGradient.shape) vs output \(y.shape)")
        return Tensor(shape: y.shape) { dp in
            outputGradient.withUnsafeBufferPointer { gp in
                y.withUnsafeBufferPointer { yp in
                    guard !yp.isEmpty else { return }
                    let box = UncheckedSendableBox((dp.baseAddress!, gp.baseAddress!, yp.baseAddress!))
                    parallelFor(dp.count, minimumPerThread: 1 << 16) { r in
                        let (d, g, y) = box.value
                        // Both loads happen unconditionally, so this is a select, not an
                        // unpredictable branch, and it vectorises.
                        for i in r {
                            let gv = g[i], yv = y[i]
                            d[i] = yv > 0 ? gv : 0
                        }
                    }
                }
            }
        }
    }
}

/// Leaky ReLU: y = x if x > 0 else α·x; ∂y/∂x = 1 or α. Shape preserved.
public final class LeakyReLU: ElementwiseActivation {
    public let slope: Float
    public init(slope: Float = 0.01) { self.slope = slope }
    public override var summary: String { "LeakyReLU(\(slope))" }
    override func value(_ x: Float) -> Float { x > 0 ? x : slope * x }
    override func derivative(_ x: Float, _ y: Float) -> Float { x > 0 ? 1 : slope }
}

/// Sigmoid: y = 1 / (1 + e^−x) (computed without overflow); ∂y/∂x = y (1 − y). Shape preserved.
public final class Sigmoid: ElementwiseActivation {
    public override init() {}
    override func value(_ x: Float) -> Float { stableSigmoid(x) }
    override func derivative(_ x: Float, _ y: Float) -> Float { y * (1 - y) }
}

/// Tanh: y = tanh x; ∂y/∂x = 1 − y². Shape preserved.
public final class Tanh: ElementwiseActivation {
    public override init() {}
    override func value(_ x: Float) -> Float { Foundation.tanh(x) }
    override func derivative(_ x: Float, _ y: Float) -> Float { 1 - y * y }
}

/// GELU (exact form): y = x · Φ(x) with Φ the standard normal CDF, Φ(x) = ½(1 + erf(x/√2));
/// ∂y/∂x = Φ(x) + x · φ(x), φ(x) = e^(−x²/2)/√(2π). Shape preserved.
public final class GELU: ElementwiseActivation {
    public override init() {}
    override func value(_ x: Float) -> Float { x * 0.5 * (1 + Foundation.erf(x * 0.707_106_781_2)) }
    override func derivative(_ x: Float, _ y: Float) -> Float {
        let cdf = 0.5 * (1 + Foundation.erf(x * 0.707_106_781_2))
        let pdf = Foundation.exp(-0.5 * x * x) * 0.398_942_280_4
        return cdf + x * pdf
    }
}

/// σ(x) evaluated without overflowing e^−x for very negative x.
@inline(__always)
func stableSigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
    let e = Foundation.exp(x)
    return e / (1 + e)
}
