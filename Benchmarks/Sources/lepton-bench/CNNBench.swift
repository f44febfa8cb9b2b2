import ArgumentParser
import Foundation
import LeptonCore
import LeptonIO
import ScanDiagnosis

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
