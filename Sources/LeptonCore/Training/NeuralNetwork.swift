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
    /// How the network was compressed (nil: as trained). An int8 network's ``model`` is one
    /// ``Int8ConvNet``; the other methods keep ordinary layers.
    public let compression: NetworkCompression?

    /// A network made of `model` (a compressed one, built by LeptonCore's `Compression/`).
    public init(architecture: ArchitectureSpec, model: Sequential, classNames: [String], compression: NetworkCompression?) {
        self.architecture = architecture
        self.model = model
        self.classNames = classNames
        self.compression = compression
    }

    /// Builds `architecture` with weights initialised from `seed`.
    public init(_ architecture: ArchitectureSpec, seed: UInt64, classNames: [String] = []) throws {
        self.architecture = architecture
        self.model = try ModelRegistry.build(architecture, seed: seed)
        self.classNames = classNames
        self.compression = nil
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
        if let channels = architecture.channels { m.extra["channels"] = .array(channels.map { .int($0) }) }
        if let compression { m.extra["compression"] = try? JSONValue.encoding(compression) }
        return m
    }

    /// Saves architecture, manifest details and every tensor (including BatchNorm running
    /// statistics) to a model file, atomically. Kind, architecture and input shape of `details`
    /// are overwritten with this network's.
    public func save(to path: String, details: ModelManifest? = nil) throws {
        try save(to: path, details: details, ensemble: [])
    }

    /// Saves this network with the other members of an ensemble (same architecture): their
    /// tensors are stored under `member<k>.` (k = 1, 2, …) and ``loadEnsemble(from:)`` reads
    /// them back; ``load(from:)`` reads this network alone.
    public func save(to path: String, details: ModelManifest?, ensemble: [NeuralNetwork]) throws {
        precondition(ensemble.allSatisfy { $0.architecture == architecture }, "save: ensemble members of another architecture")
        precondition(ensemble.isEmpty || compression == nil, "save: a compressed network is saved alone")
        var m = manifest(details)
        if !ensemble.isEmpty { m.extra["ensembleMembers"] = .int(ensemble.count + 1) }
        let own = compression.map { $0.encode(model.stateSnapshot()) } ?? model.stateSnapshot()
        let tensors = own + ensemble.enumerated().flatMap { k, member in
            member.model.stateSnapshot().map { ("member\(k + 1).\($0.name)", $0.tensor) }
        }
        try ModelFile.write(path: path, manifest: m, tensors: tensors)
    }

    /// Loads every network of a file written by ``save(to:details:ensemble:)`` (one network
    /// when it holds no ensemble), the first one first, with the manifest.
    public static func loadEnsemble(from path: String) throws -> (networks: [NeuralNetwork], manifest: ModelManifest) {
        let (first, manifest) = try load(from: path)
        let count = manifest.extra["ensembleMembers"]?.number.map { Int(max(1, min($0, 1000))) } ?? 1
        guard count > 1 else { return ([first], manifest) }
        let contents = try ModelFile.read(path: path, expectedKind: kind)
        var networks = [first]
        for k in 1..<count {
            let prefix = "member\(k)."
            let tensors = Dictionary(contents.tensors.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), $0.tensor) },
                                     uniquingKeysWith: { a, _ in a })
            let member = try NeuralNetwork(first.architecture, seed: 0, classNames: first.classNames)
            guard tensors.count == member.model.namedParameters.count else {
                throw ModelFileError.malformed(path: path, reason: "ensemble member \(k) has \(tensors.count) tensors, \(first.architecture.name) has \(member.model.namedParameters.count)")
            }
            do { try member.model.loadState(tensors) } catch { throw ModelFileError.malformed(path: path, reason: "ensemble member \(k): \(error)") }
            networks.append(member)
        }
        return (networks, manifest)
    }

    /// The convolution weights a cnn-small of `spec`'s widths holds (0 for other architectures):
    /// a file must store at least this many (packed) cells' worth, so a tiny file cannot make
    /// the loader build a huge network.
    static func convolutionWeights(_ spec: ArchitectureSpec) -> Int {
        if spec.name == "resnet18", let w = spec.channels {
            // Each inner width appears in two 3×3 convolutions against widths of at most 512.
            return w.reduce(0) { $0 + 2 * 9 * 512 * min($1, 1 << 20) } / 8
        }
        guard spec.name == "cnn-small", let w = spec.channels, w.count == 3, let c = spec.inputShape.first else { return 0 }
        let (a, b, d) = (min(w[0], 1 << 20), min(w[1], 1 << 20), min(w[2], 1 << 20))
        return 9 * (min(c, 1 << 20) * a + a * b + b * d)
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
        let channels = m.extra["channels"]?.array?.compactMap { $0.number }.map { Int(max(0, min($0, 1e9))) }
        let spec = ArchitectureSpec(name: name, inputShape: m.inputShape, outputs: Int(outputs), hiddenUnits: hidden, channels: channels)
        var compression: NetworkCompression?
        if let json = m.extra["compression"] {
            do { compression = try json.decoding(NetworkCompression.self) } catch {
                throw ModelFileError.malformed(path: path, reason: "the compression record is malformed (\(error))")
            }
        }
        // Guard against a manifest that would build an absurdly large network before the tensors
        // are compared: the saved tensors bound the real size (codes are packed up to 8 to a cell).
        let savedScalars = contents.tensors.reduce(0) { $0 + $1.tensor.count } * (compression == nil ? 1 : 32)
        let declared = spec.inputShape.reduce(1) { $0.multipliedReportingOverflow(by: max($1, 0)).partialValue }
        guard spec.inputShape.allSatisfy({ $0 > 0 && $0 < 1 << 20 }), declared < 1 << 28,
              spec.outputs <= savedScalars, spec.hiddenUnits.allSatisfy({ $0 <= savedScalars }),
              (spec.channels ?? []).allSatisfy({ $0 >= 1 && $0 <= savedScalars }),
              NeuralNetwork.convolutionWeights(spec) <= savedScalars else {
            throw ModelFileError.malformed(path: path, reason: "manifest shapes do not match the stored tensors")
        }
        var network: NeuralNetwork
        let tensors = try compression.map { try $0.decode(contents.tensors, path: path) } ?? contents.tensors
        do {
            network = try NeuralNetwork(spec, seed: m.seed ?? 0, classNames: m.classNames)
            if compression?.method == .int8 {
                let int8 = try Int8Quantizer.skeleton(of: network.model, inputShape: spec.inputShape)
                // Saved as layer 0 of a Sequential: names "0.stage0.weight_q"….
                try int8.load(Dictionary(tensors.map { ($0.name.hasPrefix("0.") ? String($0.name.dropFirst(2)) : $0.name, $0.tensor) },
                                         uniquingKeysWith: { a, _ in a }),
                              layout: compression?.weightLayout ?? .tapMajor)
                // The codes are in the kernels' order now, whatever the file's was.
                var loaded = compression
                loaded?.weightLayout = .blockMajor
                network = NeuralNetwork(architecture: spec, model: Sequential([int8]), classNames: m.classNames, compression: loaded)
            } else {
                try network.model.loadState(Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }))
                if compression != nil {
                    network = NeuralNetwork(architecture: spec, model: network.model, classNames: m.classNames, compression: compression)
                }
            }
        } catch let error as ModelFileError {
            throw error
        } catch {
            throw ModelFileError.malformed(path: path, reason: "\(error)")
        }
        let ownTensors = tensors.filter { !$0.name.hasPrefix("member") }.count
        guard network.model.namedParameters.count == ownTensors else {
            throw ModelFileError.malformed(path: path, reason: "the file has \(ownTensors) tensors, \(name) has \(network.model.namedParameters.count)")
        }
        return (network, m)
    }
}
