/// What ``NeuralNetwork/transferWeights(from:)`` did.
public struct WeightTransfer: Sendable, Equatable {
    /// Names of the tensors copied (same name and shape in both networks).
    public var copied: [String]
    /// Names of this network's tensors left at their initial values (absent from the source or
    /// of another shape: a new input resolution changes the first dense layer, a new class count
    /// the last one).
    public var kept: [String]
}

/// Why a network cannot start from another one.
public struct WeightTransferError: Error, CustomStringConvertible {
    public var description: String
}

extension NeuralNetwork {
    /// Starts this network from `source`: every tensor (weights, biases, BatchNorm statistics)
    /// with the same name and shape is copied; the rest keep their initial values. Both must be
    /// the same architecture (by name), and at least one tensor must be copied.
    @discardableResult
    public func transferWeights(from source: NeuralNetwork) throws -> WeightTransfer {
        guard source.architecture.name == architecture.name else {
            throw WeightTransferError(description: "the starting model is \(source.architecture.name), this one is \(architecture.name): weights carry over only between networks of one architecture")
        }
        let available = Dictionary(source.model.namedParameters.map { ($0.name, $0.parameter.value) }, uniquingKeysWith: { a, _ in a })
        var transfer = WeightTransfer(copied: [], kept: [])
        for (name, parameter) in model.namedParameters {
            if let tensor = available[name], tensor.shape == parameter.value.shape {
                parameter.value = tensor
                transfer.copied.append(name)
            } else {
                transfer.kept.append(name)
            }
        }
        guard !transfer.copied.isEmpty else {
            throw WeightTransferError(description: "no tensor of the starting model matches this network's shapes")
        }
        return transfer
    }

    /// Freezes the first `n` blocks: the first `n` top-level layers that have trainable
    /// parameters (a convolution, a dense layer, a residual stage) stop being updated by the
    /// optimizer. Returns the number of scalars frozen. BatchNorm layers in frozen blocks still
    /// update their running statistics in training, as in PyTorch's train mode.
    @discardableResult
    public func freezeLeadingBlocks(_ n: Int) -> Int {
        var remaining = n, frozen = 0
        for layer in model.layers where remaining > 0 {
            let trainable = layer.trainableParameters
            guard !trainable.isEmpty else { continue }
            for p in trainable {
                p.isTrainable = false
                frozen += p.value.count
            }
            remaining -= 1
        }
        return frozen
    }

    /// The number of top-level layers with trainable parameters (the most ``freezeLeadingBlocks(_:)`` can freeze).
    public var trainableBlockCount: Int { model.layers.filter { !$0.trainableParameters.isEmpty }.count }
}
