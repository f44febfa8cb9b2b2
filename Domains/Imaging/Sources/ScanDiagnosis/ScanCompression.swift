import Foundation
import LeptonCore
import LeptonIO

/// How `lepton-scan compress` makes a scan classifier smaller or faster.
public enum ScanCompressionMethod: String, Sendable, CaseIterable {
    /// Int8 post-training quantization, calibrated on sample scans (cnn-small shapes).
    case int8
    /// Structured channel pruning with fine-tuning (cnn-small), or unstructured magnitude pruning.
    case prune
    /// Weight sharing: k-means codebooks of 16 to 256 centroids per weight tensor.
    case cluster
    /// A smaller cnn-small trained on the model's softened outputs and the labels.
    case distill
}

/// Settings of a scan compression (the command's options).
public struct ScanCompressionSettings: Sendable {
    /// Share of filters (structured) or weights (unstructured) removed.
    public var ratio = 0.5
    /// `channels` (structured, faster) or `unstructured` (sparser file, same speed).
    public var structure = "channels"
    public var scope: MagnitudePruning.Scope = .layer
    public var clusters = 16
    public var calibration: ActivationCalibration = .percentile
    /// Fine-tuning epochs after structured pruning (0: none), and training epochs of a student.
    public var epochs = 5
    public var studentEpochs = 20
    /// The student's three convolution widths.
    public var studentChannels = [8, 16, 32]
    public var temperature: Float = 4
    public var alpha: Float = 0.7
    public var seed: UInt64 = 42
    public var threads = 2
    /// Store the operating threshold re-selected (by the model's rule) on the held-out scans.
    public var reselectThreshold = true
    public var batchSize = 256

    public init() {}
}

/// A compressed scan classifier with the figures a radiologist's team checks before using it.
public struct ScanCompressionResult: @unchecked Sendable {  // holds a ScanModel (read only)
    public var model: ScanModel
    public var description: String
    public var auc: MetricChange
    /// Every clinical figure with its bootstrap CI, before (at the stored threshold) and after
    /// (at the compressed model's threshold).
    public var before: ScanEvaluation
    public var after: ScanEvaluation
    /// The compressed model's figures at the original's stored threshold.
    public var afterAtStoredThreshold: ScanEvaluation
    public var thresholdBefore: Double
    public var thresholdAfter: Double
    public var speedup: Double
    public var throughputBefore: Double
    public var throughputAfter: Double
    public var batchSize: Int
    public var threads: Int
    public var notes: [String]
    /// Whether the threshold was re-selected on the held-out scans the figures are measured on
    /// (the figures at it are then optimistic).
    public var thresholdOnHoldout: Bool
}

public enum ScanCompression {
    /// Compresses `model`; figures on `holdout` (labelled scans it was not trained on). `calibration`
    /// (int8) and `training` (fine-tuning, distillation) are scans of the model's size.
    public static func compress(_ model: ScanModel, method: ScanCompressionMethod, holdout: ImageFolder, calibration: ImageFolder?,
                                training: ImageFolder?, settings: ScanCompressionSettings) throws -> ScanCompressionResult {
        guard model.ensemble.isEmpty else {
            throw DataError("the model is an ensemble of \(model.members.count) networks; compress takes one network",
                            hint: "train with --ensemble 1, or compress each member's model file.")
        }
        for (what, folder) in [("held-out", holdout), ("calibration", calibration), ("training", training)] {
            guard let folder else { continue }
            let (h, w) = (folder.images.shape[2], folder.images.shape[3])
            guard h == model.spec.height, w == model.spec.width else {
                throw DataError("the \(what) scans are \(w)×\(h), the model takes \(model.spec.width)×\(model.spec.height)",
                                hint: "give scans of the model's size (as train saw them).")
            }
            guard what == "calibration" || folder.classNames == model.spec.classNames else {
                throw DataError("the \(what) scans have classes \(folder.classNames.joined(separator: ", ")), the model \(model.spec.classNames.joined(separator: ", "))",
                                hint: "give folders with the model's classes.")
            }
        }
        var notes: [String] = []
        let network: NeuralNetwork, description: String
        var refitCalibration = false
        switch method {
        case .int8:
            guard let sample = calibration ?? training else {
                throw DataError("int8 calibrates activation ranges on sample scans", hint: "give --calibration FOLDER (100 or more scans of the training kind).")
            }
            guard sample.count >= 2 else {
                throw DataError("int8 calibration needs at least 2 scans, the calibration folder has \(sample.count)",
                                hint: "give 100 or more scans of the training kind.")
            }
            do {
                let q = try Int8Quantizer.quantize(model.network.model, inputShape: model.network.architecture.inputShape,
                                                   calibration: model.prepared(sample.images), method: settings.calibration)
                network = NeuralNetwork(architecture: model.network.architecture, model: Sequential([q]), classNames: model.network.classNames,
                                        compression: NetworkCompression(method: .int8, calibration: settings.calibration))
            } catch let error as QuantizationError {
                throw DataError("\(error)", hint: "int8 runs the cnn-small and resnet18 networks lepton-scan train makes; distill another network to a cnn-small first.")
            }
            description = "int8 weights (per channel) and 7-bit activations (per tensor, \(settings.calibration.rawValue) calibration on \(sample.count) scans), \(Int8KernelPath.best.rawValue) kernels"
        case .prune:
            guard settings.ratio > 0, settings.ratio < 1 else {
                throw DataError("--ratio \(settings.ratio) is not a pruning ratio", hint: "give a share between 0 and 1, e.g. 0.5.")
            }
            if settings.structure == "unstructured" {
                let copy = try copyNetwork(model.network)
                let names = MagnitudePruning.prune(copy.model, ratio: settings.ratio, scope: settings.scope)
                network = NeuralNetwork(architecture: copy.architecture, model: copy.model, classNames: copy.classNames,
                                        compression: NetworkCompression(method: .prune, pruning: "unstructured", ratio: settings.ratio, sparseTensors: names))
                description = String(format: "%.0f%% of the weights zeroed (smallest magnitude, %@), stored sparse; the dense kernels run as before", settings.ratio * 100, settings.scope.rawValue)
            } else {
                do {
                    network = try ChannelPruning.prune(model.network, ratio: settings.ratio)
                } catch let error as QuantizationError {
                    throw DataError("\(error)", hint: "prune a cnn-small or resnet18 with --structure channels, or any network with --structure unstructured.")
                }
                if let training, settings.epochs > 0 {
                    try fineTune(network, model: model, data: training, epochs: settings.epochs, seed: settings.seed, threads: settings.threads, teacher: nil,
                                 settings: settings)
                    refitCalibration = true
                } else {
                    notes.append("not fine-tuned: give the training scans with --data to fine-tune after pruning")
                }
                description = "\(Int(settings.ratio * 100))% of the filters removed (smallest L1 norm): widths \((network.architecture.channels ?? []).map(String.init).joined(separator: "/"))"
                    + (refitCalibration ? ", fine-tuned \(settings.epochs) epochs" : "")
            }
        case .cluster:
            guard settings.clusters >= 2, settings.clusters <= 256 else {
                throw DataError("--clusters \(settings.clusters) is not a codebook size", hint: "give 16, 32 or 64 (2 to 256).")
            }
            let copy = try copyNetwork(model.network)
            let names = WeightClustering.cluster(copy.model, k: settings.clusters)
            network = NeuralNetwork(architecture: copy.architecture, model: copy.model, classNames: copy.classNames,
                                    compression: NetworkCompression(method: .cluster, clusters: settings.clusters, clusteredTensors: names))
            description = "\(settings.clusters)-centroid codebooks for \(names.count) weight tensors (\(settings.clusters <= 16 ? 4 : 8)-bit codes); weights decoded on load, so the speed is the float network's"
        case .distill:
            guard let training else {
                throw DataError("distillation trains a student on the teacher's outputs", hint: "give the training scans with --data.")
            }
            let spec = ArchitectureSpec(name: "cnn-small", inputShape: model.network.architecture.inputShape,
                                        outputs: model.network.architecture.outputs, channels: settings.studentChannels)
            let student = try NeuralNetwork(spec, seed: settings.seed, classNames: model.network.classNames)
            try fineTune(student, model: model, data: training, epochs: settings.studentEpochs, seed: settings.seed, threads: settings.threads,
                         teacher: model.network, settings: settings)
            network = NeuralNetwork(architecture: spec, model: student.model, classNames: student.classNames,
                                    compression: NetworkCompression(method: .distill, source: model.network.architecture.name))
            refitCalibration = true
            description = String(format: "cnn-small student (widths %@) distilled from the %@ (T = %.1f, α = %.2f, %d epochs)",
                                 settings.studentChannels.map(String.init).joined(separator: "/"), model.network.architecture.name,
                                 Double(settings.temperature), Double(settings.alpha), settings.studentEpochs)
        }
        var compressed = ScanModel(network: network, spec: model.spec)
        if refitCalibration, let training, model.spec.calibration != nil {
            // The new network's logits have another scale: Platt scaling again, on the training scans' validation split.
            let (_, val) = ScanTraining.split(training, seed: settings.seed)
            let labels = val.binaryLabels(positive: model.spec.positiveClass)
            if Set(labels).count == 2, let fitted = try? ScanModel.fitCalibration(logits: compressed.logits(val.images), labels: labels,
                                                                                  positive: model.spec.positiveClass), fitted[0] > 0 {
                compressed.spec.calibration = fitted
            }
        }
        // The threshold is re-selected on labelled calibration scans of the model's classes when
        // there are such (other scans than the held-out ones), else on the held-out scans.
        let thresholdScans = calibration.flatMap { c in
            c.classNames == model.spec.classNames && Set(c.binaryLabels(positive: model.spec.positiveClass)).count == 2 ? c : nil
        }
        return try recheck(original: model, compressed: compressed, description: description, holdout: holdout, thresholdScans: thresholdScans,
                           settings: settings, notes: notes)
    }

    /// AUC change (paired bootstrap), clinical figures with CIs at each model's threshold (the
    /// compressed one's re-selected on the held-out scans by the model's rule), speed.
    static func recheck(original: ScanModel, compressed: ScanModel, description: String, holdout: ImageFolder, thresholdScans: ImageFolder?,
                        settings: ScanCompressionSettings, notes: [String]) throws -> ScanCompressionResult {
        var compressed = compressed
        let labels = holdout.binaryLabels(positive: original.spec.positiveClass)
        guard Set(labels).count == 2 else {
            throw DataError("the held-out scans need both classes to measure AUC and sensitivity", hint: "give a labelled folder with every class.")
        }
        let a = original.probabilities(holdout.images), b = compressed.probabilities(holdout.images)
        if settings.reselectThreshold {
            let t = thresholdScans.map { on in
                original.spec.rule.threshold(labels: on.binaryLabels(positive: original.spec.positiveClass), scores: compressed.probabilities(on.images))
            } ?? original.spec.rule.threshold(labels: labels, scores: b)
            if let t { compressed.spec.threshold = t }
        }
        let change = pairedBootstrapDifference(labels: labels, before: a, after: b, replicates: 1000, seed: settings.seed) {
            rocAUC(labels: $0, scores: $1)
        } ?? MetricChange(before: .nan, after: .nan, difference: nil)
        let batch = batchImages(holdout.images, size: settings.batchSize)
        let speed = SpeedMeter.interleavedSpeedup(records: batch.shape[0], rounds: 5, minimumSeconds: 0.1,
                                                  a: { _ = original.probabilities(batch) }, b: { _ = compressed.probabilities(batch) })
        return ScanCompressionResult(
            model: compressed, description: description, auc: change,
            before: ScanEvaluation(labels: labels, scores: a, threshold: original.spec.threshold, seed: settings.seed),
            after: ScanEvaluation(labels: labels, scores: b, threshold: compressed.spec.threshold, seed: settings.seed),
            afterAtStoredThreshold: ScanEvaluation(labels: labels, scores: b, threshold: original.spec.threshold, seed: settings.seed),
            thresholdBefore: original.spec.threshold, thresholdAfter: compressed.spec.threshold, speedup: speed.speedup,
            throughputBefore: speed.throughputA, throughputAfter: speed.throughputB, batchSize: batch.shape[0], threads: Threading.count,
            notes: notes, thresholdOnHoldout: settings.reselectThreshold && thresholdScans == nil)
    }

    /// `size` images from `images`, cycling when there are fewer.
    public static func batchImages(_ images: Tensor, size: Int) -> Tensor {
        let n = images.shape[0], per = images.count / max(n, 1)
        var out = [Float]()
        out.reserveCapacity(size * per)
        let s = images.scalars
        for i in 0..<size { out += s[((i % n) * per)..<((i % n + 1) * per)] }
        return Tensor(shape: [size] + Array(images.shape.dropFirst()), scalars: out)
    }

    /// An independent copy of a network (same architecture and tensors).
    static func copyNetwork(_ n: NeuralNetwork) throws -> NeuralNetwork {
        guard n.compression == nil || n.compression?.method == .distill else {
            throw DataError("the model is already compressed (\(n.compression!.method.rawValue)); compress the original", hint: "give the model train wrote.")
        }
        let copy = try NeuralNetwork(n.architecture, seed: 0, classNames: n.classNames)
        try copy.model.loadState(Dictionary(n.model.stateSnapshot().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }))
        return copy
    }

    /// Trains `network` on a seeded split of `data` (early stopping on the other part's AUC, best
    /// weights restored), on scans prepared as `model` prepares them: with the labels (fine-tuning)
    /// or with a teacher's softened outputs and the labels (distillation).
    static func fineTune(_ network: NeuralNetwork, model: ScanModel, data: ImageFolder, epochs: Int, seed: UInt64, threads: Int,
                         teacher: NeuralNetwork?, settings: ScanCompressionSettings) throws {
        let (train, val) = ScanTraining.split(data, seed: seed)
        let x = model.prepared(train.images), vx = model.prepared(val.images)
        // Batches of 128 as train uses; 32 on small sets, so that a few epochs are still enough steps.
        let config = TrainerConfig(epochs: epochs, batchSize: train.count < 1000 ? 32 : 128, seed: seed, schedule: .constant(teacher == nil ? 3e-4 : 1e-3),
                                   earlyStoppingPatience: teacher == nil ? 3 : 6, restoreBestWeights: true,
                                   reduceOnPlateau: teacher == nil ? nil : PlateauSettings(factor: 0.3, patience: 2), threads: .fixed(threads))
        let metric = Metric.rocAUC(positiveClass: model.spec.positiveClass)
        if let teacher {
            let targets = DistillationLoss.targets(teacherLogits: teacher.predict(x), labels: train.labels)
            _ = try network.fit(Trainer(config), optimizer: Adam(), loss: DistillationLoss(temperature: settings.temperature, alpha: settings.alpha),
                                inputs: x, targets: targets, validation: (vx, val.targets), metric: metric)
        } else {
            _ = try network.fit(Trainer(config), optimizer: Adam(), loss: SoftmaxCrossEntropy(), inputs: x, targets: train.targets,
                                validation: (vx, val.targets), metric: metric)
        }
    }
}
