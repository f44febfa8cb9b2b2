import ArgumentParser
import Foundation
import LeptonCore
import LeptonIO

/// The training recipe shared by `lepton-bench cnn`, its gate and (with the same values) the
/// PyTorch peer: Adam, softmax cross-entropy over the classes, reduce-on-plateau and early
/// stopping on validation AUC, best weights restored.
struct CNNRecipe {
    var model = "cnn-small"
    var epochs = 30
    var batchSize = 128
    var learningRate: Float = 1e-3
    var seed: UInt64 = 0
    var threads = 2
    /// Early stopping: epochs without a better validation AUC before stopping.
    var patience = 6
    /// Reduce-on-plateau: epochs without improvement before the rate is multiplied by `plateauFactor`.
    var plateauPatience = 2
    var plateauFactor: Float = 0.3
}

/// What one `lepton-bench cnn` run measured.
struct CNNOutcome {
    var network: NeuralNetwork
    var history: TrainingHistory
    var valAUC: Double
    var valAccuracy: Double
    var testAUC: Double?
    var testAccuracy: Double?
    var positiveClass: String
    var normalization: (mean: Float, std: Float)
}

/// Standardises gray images with one mean and standard deviation (taken from the training set).
func standardized(_ images: Tensor, mean: Float, std: Float) -> Tensor {
    let scale = 1 / std
    return images.map { ($0 - mean) * scale }
}

/// The mean and standard deviation of every pixel of `images` (accumulated in Double).
func pixelStatistics(_ images: Tensor) -> (mean: Float, std: Float) {
    images.withUnsafeBufferPointer { p in
        var s = 0.0, s2 = 0.0
        for v in p { s += Double(v); s2 += Double(v) * Double(v) }
        let n = Double(max(p.count, 1)), mean = s / n
        return (Float(mean), Float(max((s2 / n - mean * mean).squareRoot(), 1e-6)))
    }
}

/// Trains `recipe` on `train`, selects the epoch on `val`, and scores `test` when given.
func trainCNN(_ recipe: CNNRecipe, train: ImageFolder, val: ImageFolder, test: ImageFolder?,
              positiveName: String?) throws -> CNNOutcome {
    let positive = try train.positiveClassIndex(positiveName)
    let stats = pixelStatistics(train.images)
    let x = standardized(train.images, mean: stats.mean, std: stats.std)
    let vx = standardized(val.images, mean: stats.mean, std: stats.std)
    let spec = ArchitectureSpec(name: recipe.model, inputShape: Array(train.images.shape.dropFirst()),
                                outputs: max(2, train.classNames.count))
    let network = try NeuralNetwork(spec, seed: recipe.seed, classNames: train.classNames)
    let config = TrainerConfig(
        epochs: recipe.epochs, batchSize: recipe.batchSize, seed: recipe.seed,
        schedule: .constant(recipe.learningRate), earlyStoppingPatience: recipe.patience,
        restoreBestWeights: true,
        reduceOnPlateau: PlateauSettings(factor: recipe.plateauFactor, patience: recipe.plateauPatience),
        threads: .fixed(recipe.threads))
    let auc = Metric.rocAUC(positiveClass: positive)
    let progress = isatty(STDERR_FILENO) == 1
    let history = try network.fit(
        Trainer(config), optimizer: Adam(), loss: SoftmaxCrossEntropy(), inputs: x, targets: train.targets,
        validation: (vx, val.targets), metric: auc,
        callbacks: TrainingCallbacks(onEpochEnd: { record in
            if progress {
                FileHandle.standardError.write(Data(String(
                    format: "epoch %d: train loss %.4f, val AUC %.4f, lr %.2g, %.2f s\n", record.epoch,
                    record.trainLoss, record.metric ?? .nan, record.learningRate, record.seconds).utf8))
            }
            return true
        }))
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

/// `lepton-bench cnn`: the stable command for checking image-classifier quality from outside.
struct CNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnn",
        abstract: "Train a CNN on a folder-per-class PNG tree, select the epoch on validation AUC, report AUCs.",
        discussion: """
            Class names come from the subfolders of --train (sorted); the positive class for AUC is \
            the second in sorted order unless --positive names it. Recipe: Adam, softmax \
            cross-entropy, reduce-on-plateau and early stopping on validation AUC, best weights \
            restored; pixels standardised with the training set's mean and standard deviation. \
            seconds_per_epoch is the mean over epochs of training plus scoring the validation set.
            """)

    @Option(help: "Training folder: one subfolder of PNG images per class.")
    var train: String
    @Option(help: "Validation folder (same classes); selects the epoch.")
    var val: String
    @Option(help: "Optional test folder (same classes), scored once with the selected weights.")
    var test: String?
    @Option(help: "Architecture: \(ModelRegistry.knownNames.joined(separator: ", ")).")
    var model = "cnn-small"
    @Option(help: "Maximum epochs.")
    var epochs = 30
    @Option(help: "Seed for initial weights and shuffles.")
    var seed: UInt64 = 0
    @Option(help: "Threads for kernels and BLAS.")
    var threads = 2
    @Option(name: .customLong("batch-size"), help: "Mini-batch size.")
    var batchSize = 128
    @Option(name: .customLong("learning-rate"), help: "Adam learning rate.")
    var learningRate: Float = 1e-3
    @Option(help: "Early stopping: epochs without a better validation AUC.")
    var patience = 6
    @Option(help: "The positive class for AUC (default: the second class in sorted order).")
    var positive: String?
    @Option(help: "Save the trained network to this model file.")
    var save: String?
    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard epochs > 0, batchSize > 0, threads > 0, patience >= 0, learningRate > 0 else {
            throw ValidationError("epochs, batch size, threads and learning rate must be positive")
        }
        guard ModelRegistry.knownNames.contains(model) else {
            throw ValidationError(ArchitectureError.unknownModel(model, known: ModelRegistry.knownNames).description)
        }
    }

    func run() throws {
        let trainSet: ImageFolder, valSet: ImageFolder, testSet: ImageFolder?
        do {
            trainSet = try ImageFolder.load(train)
            valSet = try ImageFolder.load(val, classNames: trainSet.classNames)
            testSet = try test.map { try ImageFolder.load($0, classNames: trainSet.classNames) }
        } catch let error as ImageFolderError {
            throw ValidationError(error.description)
        }
        var recipe = CNNRecipe()
        recipe.model = model
        recipe.epochs = epochs
        recipe.seed = seed
        recipe.threads = threads
        recipe.batchSize = batchSize
        recipe.learningRate = learningRate
        recipe.patience = patience
        let outcome: CNNOutcome
        do {
            outcome = try trainCNN(recipe, train: trainSet, val: valSet, test: testSet, positiveName: positive)
        } catch let error as ImageFolderError {
            throw ValidationError(error.description)
        }
        let records = outcome.history.records
        let secondsPerEpoch = records.map(\.seconds).reduce(0, +) / Double(max(records.count, 1))
        if let save {
            var manifest = ModelManifest(kind: NeuralNetwork.kind, domain: "imaging")
            manifest.seed = seed
            manifest.metrics = ["val_auc": outcome.valAUC, "val_accuracy": outcome.valAccuracy]
            manifest.preprocessing = ["gray_mean": .double(Double(outcome.normalization.mean)),
                                      "gray_std": .double(Double(outcome.normalization.std))]
            try outcome.network.save(to: save, details: manifest)
        }
        if json {
            var object: [String: Any] = [
                "tool": "lepton", "model": model, "parameters": outcome.network.parameterCount,
                "classes": trainSet.classNames, "positive_class": outcome.positiveClass,
                "train_images": trainSet.count, "val_images": valSet.count,
                "val_auc": outcome.valAUC, "val_accuracy": outcome.valAccuracy,
                "epochs": records.count, "best_epoch": outcome.history.bestEpoch,
                "stopped_early": outcome.history.stoppedEarly,
                "seconds_per_epoch": secondsPerEpoch, "peak_rss_mb": peakResidentMegabytes(),
                "threads": outcome.history.threads, "batch_size": batchSize, "seed": seed,
            ]
            if let t = outcome.testAUC { object["test_auc"] = t }
            if let t = outcome.testAccuracy { object["test_accuracy"] = t }
            if let testSet { object["test_images"] = testSet.count }
            printJSON(object)
        } else {
            print("\(model) on \(trainSet.count) images (\(trainSet.classNames.count) classes, positive '\(outcome.positiveClass)'): "
                  + String(format: "val AUC %.4f, accuracy %.4f; best epoch %d of %d, %.2f s/epoch, peak RSS %.0f MB",
                           outcome.valAUC, outcome.valAccuracy, outcome.history.bestEpoch, records.count,
                           secondsPerEpoch, peakResidentMegabytes()))
            if let t = outcome.testAUC, let a = outcome.testAccuracy {
                print(String(format: "test AUC %.4f, accuracy %.4f (%d images)", t, a, testSet?.count ?? 0))
            }
        }
    }
}
