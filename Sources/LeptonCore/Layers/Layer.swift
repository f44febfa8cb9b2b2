/// A learnable (or tracked) tensor of a layer together with the gradient of the loss with
/// respect to it. A reference type so optimizers update the layer's weights in place.
public final class Parameter {
    /// The current values.
    public var value: Tensor
    /// ∂loss/∂value from the latest ``Layer/backward(_:)`` (same shape as ``value``).
    public var gradient: Tensor
    /// `false` for tracked state that is saved with the model but not optimised
    /// (BatchNorm running mean and variance).
    public var isTrainable: Bool

    public init(_ value: Tensor, trainable: Bool = true) {
        self.value = value
        self.gradient = Tensor(shape: value.shape)
        self.isTrainable = trainable
    }
}

/// A differentiable building block of a network.
///
/// Contract (Caffe-style, stateful): ``forward(_:training:)`` may cache what the backward
/// pass needs; ``backward(_:)`` takes ∂loss/∂output for the *latest* forward call, overwrites
/// every parameter's ``Parameter/gradient`` with ∂loss/∂parameter and returns ∂loss/∂input.
/// Shapes are preconditions (programmer errors), not thrown errors.
public protocol Layer: AnyObject {
    /// A short human-readable description, e.g. `Conv2D(1→16, 3×3, stride 1, pad 1)`.
    var summary: String { get }
    /// Computes the output for a batch. `training` switches batch statistics / dropout.
    func forward(_ input: Tensor, training: Bool) -> Tensor
    /// Back-propagates ∂loss/∂output of the latest forward call; returns ∂loss/∂input.
    func backward(_ outputGradient: Tensor) -> Tensor
    /// Parameters (and tracked state) with stable, path-like names (`"weight"`, `"3.bias"`).
    var namedParameters: [(name: String, parameter: Parameter)] { get }
    /// Like ``backward(_:)`` when the caller does not need ∂loss/∂input (the first layer of a
    /// network during training): parameter gradients are set the same way, and a layer may skip
    /// the input-gradient work. The default calls ``backward(_:)`` and drops its result.
    func backwardParameters(_ outputGradient: Tensor)
    /// Drops what the latest passes kept for a backward pass or reuse (cached activations,
    /// workspaces): memory a trained model does not need. ``Trainer/fit(_:optimizer:loss:inputs:targets:sampleWeights:validation:metric:callbacks:)``
    /// calls it when it returns. The next forward pass builds them again; a backward pass right
    /// after it traps, as after an inference pass. The default does nothing.
    func releaseWorkspaces()
}

extension Layer {
    public func backwardParameters(_ outputGradient: Tensor) { _ = backward(outputGradient) }
    public func releaseWorkspaces() {}

    /// Parameters in a stable order, trainable or not.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }
    /// Only the parameters an optimizer should update.
    public var trainableParameters: [Parameter] { parameters.filter(\.isTrainable) }
    /// The number of trainable scalars.
    public var trainableParameterCount: Int { trainableParameters.reduce(0) { $0 + $1.value.count } }

    /// Copies of every named tensor (for saving or for restoring the best weights).
    public func stateSnapshot() -> [(name: String, tensor: Tensor)] {
        namedParameters.map { ($0.name, $0.parameter.value) }
    }

    /// Restores tensors by name; every parameter must be present with its exact shape.
    public func loadState(_ tensors: [String: Tensor]) throws {
        for (name, p) in namedParameters {
            guard let t = tensors[name] else { throw LayerStateError.missingTensor(name) }
            guard t.shape == p.value.shape else {
                throw LayerStateError.shapeMismatch(name: name, expected: p.value.shape, found: t.shape)
            }
            p.value = t
        }
    }

    /// Sets every gradient to zero.
    public func zeroGradients() {
        for p in parameters { p.gradient = Tensor(shape: p.value.shape) }
    }
}

/// Why a set of named tensors could not be loaded into a layer.
public enum LayerStateError: Error, Equatable, CustomStringConvertible {
    case missingTensor(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missingTensor(let n): return "tensor '\(n)' is missing from the saved state"
        case .shapeMismatch(let n, let e, let f): return "tensor '\(n)' has shape \(f), the model expects \(e)"
        }
    }
}

/// Prefixes the names of a child's parameters with `prefix.`.
func prefixed(_ prefix: String, _ items: [(name: String, parameter: Parameter)]) -> [(name: String, parameter: Parameter)] {
    items.map { ("\(prefix).\($0.name)", $0.parameter) }
}

/// Retrieves the cached forward value or stops with a clear message when backward is called
/// before forward.
@inline(__always)
func cached<T>(_ value: T?, _ layer: String) -> T {
    guard let value else { preconditionFailure("\(layer).backward called before forward") }
    return value
}
