import LeptonIO
/// A neural network built from a named architecture: the object a caller trains, predicts with,
/// saves and loads. The layers live in ``model``; ``architecture`` is what rebuilds them.
public final class NeuralNetwork {
    /// The manifest `kind` of neural-network model files.
    public static let kind = "neural-network"

    public let architecture: ArchitectureSpec
    public let model: Sequential
    /// Class names, in output order (may be empty).
    public var classNames: [String]

    /// Builds `architecture` with weights initialised from `seed`.
    public init(_ architecture: ArchitectureSpec, seed: UInt64, classNames: [String] = []) throws {
        self.architecture = architecture
        self.model = try ModelRegistry.build(architecture, seed: seed)
        self.classNames = classNames
    }

    /// Trainable scalars.
    public var parameterCount: Int { model.trainableParameterCount }

    /// Trains in place with `trainer` (see ``Trainer/fit(_:optimizer:loss:inputs:targets:sampleWeights:validation:metric:callbacks:)``).
    /// Inputs are (N, ``ArchitectureSpec/inputShape``…).
    public func fit<O: Optimizer>(
        _ trainer: Trainer, optimizer: O, loss: some Loss, inputs: Tensor, targets: Tensor,
        sampleWeights: [Float]? = nil, validation: (inputs: Tensor, targets: Tensor)? = nil,
        metric: Metric = .accuracy, callbacks: TrainingCallbacks = TrainingCallbacks()
    ) throws -> TrainingHistory {
        checkInput(inputs)
        return try trainer.fit(model, optimizer: optimizer, loss: loss, inputs: inputs, targets: targets,
                               sampleWeights: sampleWeights, validation: validation, metric: metric, callbacks: callbacks)
    }

    /// Raw outputs (logits), (N, outputs), computed in inference mode in batches.
    public func predict(_ inputs: Tensor, batchSize: Int = 256) -> Tensor {
        checkInput(inputs)
        return Trainer.predict(model, inputs, batchSize: batchSize)
    }

    /// Class probabilities: softmax of the logits for ≥ 2 outputs, (N, K); σ(logit) for one, (N, 1).
    public func predictProbabilities(_ inputs: Tensor, batchSize: Int = 256) -> Tensor {
        let logits = predict(inputs, batchSize: batchSize)
        return architecture.outputs >= 2 ? Softmax.rows(logits) : logits.map(stableSigmoid)
    }

    /// Predicted class index per sample.
    public func predictClasses(_ inputs: Tensor, batchSize: Int = 256) -> [Int] {
        predictedClasses(predict(inputs, batchSize: batchSize))
    }

    private func checkInput(_ x: Tensor) {
        precondition(Array(x.shape.dropFirst()) == architecture.inputShape,
                     "\(architecture.name): inputs must be (N, \(architecture.inputShape.map(String.init).joined(separator: ", "))), got \(x.shape)")
    }

    /// The manifest for this network, with `details` filled in by the caller.
    public func manifest(_ details: ModelManifest? = nil) -> ModelManifest {
        var m = details ?? ModelManifest(kind: NeuralNetwork.kind)
        m.kind = NeuralNetwork.kind
        m.architecture = architecture.name
        m.inputShape = architecture.inputShape
        if m.classNames.isEmpty { m.classNames = classNames }
        m.extra["outputs"] = .int(architecture.outputs)
        m.extra["hiddenUnits"] = .array(architecture.hiddenUnits.map { .int($0) })
        return m
    }

    /// Saves architecture, manifest details and every tensor (including BatchNorm running
    /// statistics) to a model file, atomically. Kind, architecture and input shape of `details`
    /// are overwritten with this network's.
    public func save(to path: String, details: ModelManifest? = nil) throws {
        try ModelFile.write(path: path, manifest: manifest(details), tensors: model.stateSnapshot())
    }

    /// Loads a network saved by ``save(to:details:)``; returns it with its manifest.
    public static func load(from path: String) throws -> (network: NeuralNetwork, manifest: ModelManifest) {
        let contents = try ModelFile.read(path: path, expectedKind: kind)
        let m = contents.manifest
        guard let name = m.architecture, let outputs = m.extra["outputs"]?.number, outputs >= 1, outputs == outputs.rounded(),
              outputs < Double(Int32.max) else {
            throw ModelFileError.malformed(path: path, reason: "manifest lacks architecture or outputs")
        }
        let hidden = (m.extra["hiddenUnits"]?.array ?? []).compactMap { $0.number }.map { Int(max(0, min($0, 1e9))) }
        let spec = ArchitectureSpec(name: name, inputShape: m.inputShape, outputs: Int(outputs), hiddenUnits: hidden)
        // Guard against a manifest that would build an absurdly large network before the tensors
        // are compared: the saved tensors bound the real size.
        let savedScalars = contents.tensors.reduce(0) { $0 + $1.tensor.count }
        let declared = spec.inputShape.reduce(1) { $0.multipliedReportingOverflow(by: max($1, 0)).partialValue }
        guard spec.inputShape.allSatisfy({ $0 > 0 && $0 < 1 << 20 }), declared < 1 << 28,
              spec.outputs <= savedScalars, spec.hiddenUnits.allSatisfy({ $0 <= savedScalars }) else {
            throw ModelFileError.malformed(path: path, reason: "manifest shapes do not match the stored tensors")
        }
        let network: NeuralNetwork
        do {
            network = try NeuralNetwork(spec, seed: m.seed ?? 0, classNames: m.classNames)
            try network.model.loadState(contents.tensorsByName)
        } catch {
            throw ModelFileError.malformed(path: path, reason: "\(error)")
        }
        guard network.model.namedParameters.count == contents.tensors.count else {
            throw ModelFileError.malformed(path: path, reason: "the file has \(contents.tensors.count) tensors, \(name) has \(network.model.namedParameters.count)")
        }
        return (network, m)
    }
}
