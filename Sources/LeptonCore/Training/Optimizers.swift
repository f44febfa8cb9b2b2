import CLeptonKernels
import Foundation

/// An update rule with per-parameter state (momentum buffers, moment estimates…).
///
/// `update` receives the parameter values, ∂L/∂values, the state made by `makeState`, the
/// learning rate of this step and the 1-based step number, and updates values and state in place.
public protocol Optimizer: Sendable {
    associatedtype State
    /// Fresh state for a parameter with these values.
    func makeState(for value: Tensor) -> State
    /// One step: `value ← value − lr · direction(gradient, state)`.
    func update(_ value: inout Tensor, gradient: Tensor, state: inout State, learningRate: Float, step: Int)
}

/// Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay
/// (PyTorch's formulation).
///
/// `g ← ∇ + λ·w`; `v ← μ·v + g`; direction `d = g + μ·v` (Nesterov) or `d = v`; `w ← w − lr·d`.
/// With μ = 0 this is plain SGD.
public struct SGD: Optimizer {
    public var momentum: Float
    public var nesterov: Bool
    public var weightDecay: Float

    public init(momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(momentum >= 0 && weightDecay >= 0, "SGD: momentum and weight decay must be non-negative")
        precondition(!nesterov || momentum > 0, "SGD: Nesterov needs a positive momentum")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// The velocity buffer v.
    public func makeState(for value: Tensor) -> Tensor { Tensor(shape: value.shape) }

    public func update(_ value: inout Tensor, gradient: Tensor, state v: inout Tensor, learningRate: Float, step: Int) {
        let (mu, wd, nest) = (momentum, weightDecay, nesterov)
        value.withUnsafeMutableBufferPointer { w in
            gradient.withUnsafeBufferPointer { grad in
                v.withUnsafeMutableBufferPointer { vel in
                    for i in w.indices {
                        let g = grad[i] + wd * w[i]
                        if mu == 0 {
                            w[i] -= learningRate * g
                        } else {
                            vel[i] = mu * vel[i] + g
                            w[i] -= learningRate * (nest ? g + mu * vel[i] : vel[i])
                        }
                    }
                }
            }
        }
    }
}

/// The first and second moment estimates of Adam-family optimizers.
public struct AdamState: Sendable {
    public var m: Tensor
    public var v: Tensor
}

/// Adam (Kingma & Ba) with optional L2 weight decay folded into the gradient.
///
/// `g ← ∇ + λ·w`; `m ← β₁m + (1−β₁)g`; `v ← β₂v + (1−β₂)g²`;
/// `w ← w − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)`.
public struct Adam: Optimizer {
    public var beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2) && epsilon > 0 && weightDecay >= 0,
                     "Adam: invalid hyper-parameters")
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
    }

    public func makeState(for value: Tensor) -> AdamState { AdamState(m: Tensor(shape: value.shape), v: Tensor(shape: value.shape)) }

    public func update(_ value: inout Tensor, gradient: Tensor, state: inout AdamState, learningRate: Float, step: Int) {
        adamStep(&value, gradient, &state, learningRate, step, beta1, beta2, epsilon, l2: weightDecay, decoupled: 0)
    }
}

/// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay.
///
/// `w ← w − lr·λ·w`, then the Adam step on the raw gradient:
/// `m ← β₁m + (1−β₁)∇`; `v ← β₂v + (1−β₂)∇²`; `w ← w − lr · m̂ / (√v̂ + ε)`.
public struct AdamW: Optimizer {
    public var beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2) && epsilon > 0 && weightDecay >= 0,
                     "AdamW: invalid hyper-parameters")
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
    }

    public func makeState(for value: Tensor) -> AdamState { AdamState(m: Tensor(shape: value.shape), v: Tensor(shape: value.shape)) }

    public func update(_ value: inout Tensor, gradient: Tensor, state: inout AdamState, learningRate: Float, step: Int) {
        adamStep(&value, gradient, &state, learningRate, step, beta1, beta2, epsilon, l2: 0, decoupled: weightDecay)
    }
}

/// One Adam step over a tensor: `lepton_adam_update` (CLeptonKernels/optimizers.c, vectorised) on
/// both threads; element-wise, so the split changes no bit. ``naiveAdamStep`` is its twin.
func adamStep(_ value: inout Tensor, _ gradient: Tensor, _ state: inout AdamState, _ lr: Float, _ step: Int,
              _ b1: Float, _ b2: Float, _ eps: Float, l2: Float, decoupled: Float) {
    let (c1, c2) = adamBiasCorrections(b1, b2, step)
    value.withUnsafeMutableBufferPointer { wp in
        gradient.withUnsafeBufferPointer { gp in
            state.m.withUnsafeMutableBufferPointer { mp in
                state.v.withUnsafeMutableBufferPointer { vp in
                    guard !wp.isEmpty else { return }
                    // Safe: ranges are disjoint.
                    let box = UncheckedSendableBox((wp.baseAddress!, gp.baseAddress!, mp.baseAddress!, vp.baseAddress!))
                    parallelFor(wp.count, minimumPerThread: 1 << 16) { r in
                        let (w, g, m, v) = box.value
                        let at = r.lowerBound
                        lepton_adam_update(w + at, g + at, m + at, v + at, r.count, lr, b1, b2, eps, c1, c2, l2, decoupled)
                    }
                }
            }
        }
    }
}

/// `(1 − β₁ᵗ, 1 − β₂ᵗ)` for 1-based step t.
private func adamBiasCorrections(_ b1: Float, _ b2: Float, _ step: Int) -> (Float, Float) {
    precondition(step >= 1, "Adam steps are 1-based")
    return (1 - Float(Foundation.pow(Double(b1), Double(step))), 1 - Float(Foundation.pow(Double(b2), Double(step))))
}

/// The scalar twin of ``adamStep``: `g = ∂L/∂w + l2·w`, `w ← w − lr·λ·w` (decoupled decay λ),
/// `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`, `w ← w − lr·(m/c₁)/(√(v/c₂) + ε)`.
func naiveAdamStep(_ value: inout Tensor, _ gradient: Tensor, _ state: inout AdamState, _ lr: Float, _ step: Int,
                   _ b1: Float, _ b2: Float, _ eps: Float, l2: Float, decoupled: Float) {
    let (c1, c2) = adamBiasCorrections(b1, b2, step)
    value.withUnsafeMutableBufferPointer { w in
        gradient.withUnsafeBufferPointer { grad in
            state.m.withUnsafeMutableBufferPointer { m in
                state.v.withUnsafeMutableBufferPointer { v in
                    for i in w.indices {
                        let g = grad[i] + l2 * w[i]
                        w[i] -= lr * decoupled * w[i]
                        m[i] = b1 * m[i] + (1 - b1) * g
                        v[i] = b2 * v[i] + (1 - b2) * g * g
                        w[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
                    }
                }
            }
        }
    }
}

/// Binds an optimizer to a list of parameters and keeps their states and the step counter.
public final class OptimizerRunner<O: Optimizer> {
    public let optimizer: O
    public let parameters: [Parameter]
    private var states: [O.State]
    /// Steps taken so far.
    public private(set) var stepCount = 0

    /// Optimizes the trainable parameters of `parameters`.
    public init(_ optimizer: O, parameters: [Parameter]) {
        self.optimizer = optimizer
        self.parameters = parameters.filter(\.isTrainable)
        self.states = self.parameters.map { optimizer.makeState(for: $0.value) }
    }

    /// Applies one update to every parameter from its current gradient.
    public func step(learningRate: Float) {
        stepCount += 1
        for i in parameters.indices {
            let p = parameters[i]
            optimizer.update(&p.value, gradient: p.gradient, state: &states[i], learningRate: learningRate, step: stepCount)
        }
    }
}

/// Gradient clipping by global norm: if `‖g‖ = √(Σ_p Σ g²) > maxNorm`, every gradient is scaled
/// by `maxNorm / ‖g‖`. Returns the norm before clipping.
@discardableResult
public func clipGradients(_ parameters: [Parameter], maxNorm: Float) -> Float {
    precondition(maxNorm > 0, "clipGradients: maxNorm must be positive")
    var total = 0.0
    for p in parameters { let n = Double(p.gradient.l2Norm()); total += n * n }
    let norm = Float(total.squareRoot())
    if norm > maxNorm {
        let scale = maxNorm / norm
        for p in parameters { p.gradient = p.gradient * scale }
    }
    return norm
}
