import Foundation
import LeptonCore
import LeptonIO

/// The training recipe shared by `lepton-bench cnn`, its gate and (with the same values) the
/// PyTorch peer: Adam, softmax cross-entropy over the classes, reduce-on-plateau and early
/// stopping on validation AUC, best weights restored.
public struct CNNRecipe: @unchecked Sendable {  // `initial` is only read
    public init() {}
    public var model = "cnn-small"
    /// Convolution widths of a smaller cnn-small (nil: 16, 32, 64).
    public var channels: [Int]?
    public var epochs = 30
    public var batchSize = 128
    public var learningRate: Float = 1e-3
    public var seed: UInt64 = 0
    public var threads = 2
    /// Early stopping: epochs without a better validation AUC before stopping.
    public var patience = 6
    /// Reduce-on-plateau: epochs without improvement before the rate is multiplied by `plateauFactor`.
    public var plateauPatience = 2
    public var plateauFactor: Float = 0.3
    /// Training-batch augmentation (nil: none; `lepton-bench cnn` and its PyTorch peer use none).
    public var augmentation: XRayAugmentation?
    /// Transfer learning: start from this network's weights (same architecture; tensors of
    /// another shape, such as the first dense layer at another resolution, keep their initial values).
    public var initial: NeuralNetwork?
    /// Keep the first `frozenBlocks` blocks (top-level layers with weights) fixed.
    public var frozenBlocks = 0
    /// Decoupled weight decay λ: AdamW when positive (w ← w − lr·λ·w each step), Adam when 0.
    public var weightDecay: Float = 0
    /// Learning-rate schedule: reduce-on-plateau from a constant rate (nil), or warm-up then
    /// cosine decay over all the epochs, with this many warm-up epochs.
    public var cosineWarmupEpochs: Int?
    /// Weight each training scan by N / (K · n_c) for its class c (K classes, n_c scans of c),
    /// so every class weighs the same in the loss.
    public var balanceClasses = false
    /// Per-scan intensity normalisation (windowing, inversion), stored in the model; nil: none.
    public var intensity: IntensityNormalization?
    /// Networks trained (seeds `seed`, `seed + 1`, …) whose logits are averaged (``ScanModel/ensemble``).
    public var ensembleSize = 1
    /// Asked after every epoch (a `tune` budget, SIGINT): true ends training with
    /// ``TrainingStopped`` instead of a model trained for fewer epochs than asked.
    public var shouldStop: (@Sendable () -> Bool)?
}

/// Training ended early because ``CNNRecipe/shouldStop`` said so.
public struct TrainingStopped: Error, CustomStringConvertible {
    public var description: String { "stopped before training finished (budget or interrupt)" }
}

/// What one `lepton-bench cnn` run measured.
public struct CNNOutcome: @unchecked Sendable {  // the trained network, read only
    public var network: NeuralNetwork
    public var history: TrainingHistory
    public var valAUC: Double
    public var valAccuracy: Double
    public var testAUC: Double?
    public var testAccuracy: Double?
    public var positiveClass: String
    public var normalization: (mean: Float, std: Float)
}

/// Standardises gray images with one mean and standard deviation (taken from the training set).
public func standardized(_ images: Tensor, mean: Float, std: Float) -> Tensor {
    let scale = 1 / std
    return images.map { ($0 - mean) * scale }
}

/// The mean and standard deviation of every pixel of `images` (accumulated in Double).
public func pixelStatistics(_ images: Tensor) -> (mean: Float, std: Float) {
    images.withUnsafeBufferPointer { p in
        var s = 0.0, s2 = 0.0
        for v in p { s += Double(v); s2 += Double(v) * Double(v) }
        let n = Double(max(p.count, 1)), mean = s / n
        return (Float(mean), Float(max((s2 / n - mean * mean).squareRoot(), 1e-6)))
    }
}

/// Trains `recipe` on `train`, selects the epoch on `val`, and scores `test` when given.
public func trainCNN(_ recipe: CNNRecipe, train: ImageFolder, val: ImageFolder, test: ImageFolder?,
              positiveName: String?) throws -> CNNOutcome {
    let positive = try train.positiveClassIndex(positiveName)
    let stats = pixelStatistics(train.images)
    let x = standardized(train.images, mean: stats.mean, std: stats.std)
    let vx = standardized(val.images, mean: stats.mean, std: stats.std)
    let spec = ArchitectureSpec(name: recipe.model, inputShape: Array(train.images.shape.dropFirst()),
                                outputs: max(2, train.classNames.count), channels: recipe.model == "cnn-small" ? recipe.channels : nil)
    let network = try NeuralNetwork(spec, seed: recipe.seed, classNames: train.classNames)
    if let initial = recipe.initial { try network.transferWeights(from: initial) }
    if recipe.frozenBlocks > 0 {
        guard recipe.frozenBlocks < network.trainableBlockCount else {
            throw DataError("cannot freeze \(recipe.frozenBlocks) blocks: \(recipe.model) has \(network.trainableBlockCount)",
                            hint: "freeze fewer blocks than the network has, so something is left to train.")
        }
        network.freezeLeadingBlocks(recipe.frozenBlocks)
    }
    guard recipe.epochs >= 1, recipe.batchSize >= 1, train.count >= 1 else {
        throw DataError("cannot train \(recipe.epochs) epochs of batches of \(recipe.batchSize) on \(train.count) scans",
                        hint: "give --epochs and --batch-size of at least 1, and training scans.")
    }
    let stepsPerEpoch = (train.count + recipe.batchSize - 1) / recipe.batchSize
    let schedule: LearningRateSchedule = recipe.cosineWarmupEpochs.map { warmup in
        .cosine(peak: recipe.learningRate, warmup: min(warmup, recipe.epochs - 1) * stepsPerEpoch, total: recipe.epochs * stepsPerEpoch)
    } ?? .constant(recipe.learningRate)
    let config = TrainerConfig(
        epochs: recipe.epochs, batchSize: recipe.batchSize, seed: recipe.seed,
        schedule: schedule, earlyStoppingPatience: recipe.patience,
        restoreBestWeights: true,
        reduceOnPlateau: recipe.cosineWarmupEpochs == nil ? PlateauSettings(factor: recipe.plateauFactor, patience: recipe.plateauPatience) : nil,
        threads: .fixed(recipe.threads))
    let weights: [Float]? = recipe.balanceClasses ? balancedClassWeights(train.labels, classes: train.classNames.count) : nil
    let auc = Metric.rocAUC(positiveClass: positive)
    let progress = isatty(STDERR_FILENO) == 1
    let callbacks = TrainingCallbacks(onBatchEnd: nil, onEpochEnd: { record in
            if progress {
                FileHandle.standardError.write(Data(String(
                    format: "epoch %d: train loss %.4f, val AUC %.4f, lr %.2g, %.2f s\n", record.epoch,
                    record.trainLoss, record.metric ?? .nan, record.learningRate, record.seconds).utf8))
            }
            return !(recipe.shouldStop?() ?? false)
        }, augment: recipe.augmentation.map { a in { x, epoch, batch in a.apply(x, epoch: epoch, batch: batch) } })
    func fit(_ optimizer: some Optimizer) throws -> TrainingHistory {
        try network.fit(Trainer(config), optimizer: optimizer, loss: SoftmaxCrossEntropy(), inputs: x, targets: train.targets,
                        sampleWeights: weights, validation: (vx, val.targets), metric: auc, callbacks: callbacks)
    }
    let history = recipe.weightDecay > 0 ? try fit(AdamW(weightDecay: recipe.weightDecay)) : try fit(Adam())
    if recipe.shouldStop?() ?? false { throw TrainingStopped() }
    let valOut = network.predict(vx)
    var outcome = CNNOutcome(
        network: network, history: history, valAUC: auc.evaluate(valOut, val.targets),
        valAccuracy: Metric.accuracy.evaluate(valOut, val.targets), positiveClass: train.classNames[positive],
        normalization: stats)
    if let test {
        let testOut = network.predict(standardized(test.images, mean: stats.mean, std: stats.std))
        outcome.testAUC = auc.evaluate(testOut, test.targets)
        outcome.testAccuracy = Metric.accuracy.evaluate(testOut, test.targets)
    }
    return outcome
}


/// Per-scan weights N / (K · n_c) for labels in 0..<classes (classes without scans are skipped):
/// each class's weights sum to N / K, so the loss weighs every class alike.
public func balancedClassWeights(_ labels: [Int], classes: Int) -> [Float] {
    var counts = [Int](repeating: 0, count: max(classes, 1))
    for l in labels where counts.indices.contains(l) { counts[l] += 1 }
    let present = counts.filter { $0 > 0 }.count
    return labels.map { l in
        counts.indices.contains(l) && counts[l] > 0 ? Float(labels.count) / Float(present * counts[l]) : 1
    }
}
