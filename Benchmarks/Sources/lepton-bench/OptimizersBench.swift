import ArgumentParser
import Foundation
import LeptonCore
import LeptonIO
import LeptonReport
import ScanDiagnosis

/// `lepton-bench optimizers`: the same network, seed and data trained with plain gradient
/// descent, momentum, Adam, Adam with reduce-on-plateau and Adam with a cosine schedule — the
/// training curves side by side (the optimization notebook's figures).
struct OptimizersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimizers",
        abstract: "Train one network five ways (SGD, momentum, Adam, Adam + reduce-on-plateau, Adam + cosine) and compare the curves.",
        discussion: """
            Every run starts from the same initial weights (--seed) and sees the same mini-batches; \
            only the update rule and the learning-rate schedule differ. Prints, per run, the validation \
            loss after the first and last epoch, the best epoch and its validation AUC; --figures writes \
            validation-loss.svg and learning-rate.svg there; --csv writes every epoch of every run.
            """)

    @Option(help: "Training folder: one subfolder of PNG images per class.") var train: String
    @Option(help: "Validation folder (same classes).") var val: String
    @Option(help: "Architecture: \(ModelRegistry.knownNames.joined(separator: ", ")).") var model = "cnn-small"
    @Option(help: "Epochs per run (no early stopping, so the curves run their full length).") var epochs = 12
    @Option(help: "Mini-batch size.") var batchSize = 32
    @Option(help: "Seed for the initial weights and the shuffles (the same for every run).") var seed: UInt64 = 1
    @Option(help: "Threads.") var threads = 2
    @Option(help: "Learning rate of gradient descent and momentum.") var sgdRate: Float = 0.05
    @Option(help: "Adam's learning rate.") var adamRate: Float = 0.002
    @Option(help: "Write validation-loss.svg and learning-rate.svg into this folder.") var figures: String?
    @Option(help: "Write every epoch of every run here (run, epoch, train_loss, val_loss, val_auc, learning_rate).") var csv: String?
    @Flag(help: "Print one JSON object.") var json = false

    struct Run {
        var name: String
        var history: TrainingHistory
    }

    func run() throws {
        let trainSet = try ImageFolder.load(train)
        let valSet = try ImageFolder.load(val, classNames: trainSet.classNames)
        let stats = pixelStatistics(trainSet.images)
        let x = standardized(trainSet.images, mean: stats.mean, std: stats.std)
        let vx = standardized(valSet.images, mean: stats.mean, std: stats.std)
        let spec = ArchitectureSpec(name: model, inputShape: Array(trainSet.images.shape.dropFirst()), outputs: max(2, trainSet.classNames.count))
        let steps = epochs * ((trainSet.count + batchSize - 1) / batchSize)
        let auc = Metric.rocAUC(positiveClass: try trainSet.positiveClassIndex(nil))

        func fit(_ name: String, _ optimizer: some Optimizer, schedule: LearningRateSchedule, plateau: PlateauSettings? = nil) throws -> Run {
            let network = try NeuralNetwork(spec, seed: seed, classNames: trainSet.classNames)
            let config = TrainerConfig(epochs: epochs, batchSize: batchSize, seed: seed, schedule: schedule,
                                       earlyStoppingPatience: nil, restoreBestWeights: false, reduceOnPlateau: plateau, threads: .fixed(threads))
            let history = try network.fit(Trainer(config), optimizer: optimizer, loss: SoftmaxCrossEntropy(), inputs: x, targets: trainSet.targets,
                                          validation: (vx, valSet.targets), metric: auc)
            return Run(name: name, history: history)
        }
        let runs = [
            try fit("gradient descent", SGD(), schedule: .constant(sgdRate)),
            try fit("momentum 0.9", SGD(momentum: 0.9), schedule: .constant(sgdRate)),
            try fit("Adam", Adam(), schedule: .constant(adamRate)),
            try fit("Adam + reduce-on-plateau", Adam(), schedule: .constant(adamRate), plateau: PlateauSettings(factor: 0.5, patience: 1)),
            try fit("Adam + cosine", Adam(), schedule: .cosine(peak: adamRate, warmup: steps / 10, total: steps)),
        ]
        if let figures { try writeFigures(runs, to: figures) }
        if let csv { try writeCSV(runs, to: csv) }
        report(runs)
    }

    func report(_ runs: [Run]) {
        func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "–" }
        if json {
            let items: [JSONValue] = runs.map { run in
                let r = run.history.records
                let best = r.max { ($0.metric ?? -1) < ($1.metric ?? -1) }
                return .object([("run", .string(run.name)), ("first_val_loss", r.first?.validationLoss.map(JSONValue.double) ?? .null),
                                ("last_val_loss", r.last?.validationLoss.map(JSONValue.double) ?? .null),
                                ("best_epoch", .int(best?.epoch ?? 0)), ("best_val_auc", best?.metric.map(JSONValue.double) ?? .null)])
            }
            print(JSONValue.object([("model", .string(model)), ("epochs", .int(epochs)), ("runs", .array(items))]).text)
            return
        }
        print("\(model), \(epochs) epochs, batches of \(batchSize), seed \(seed): the same start and batches for every run")
        print("run                        val loss: epoch 1 → last   best epoch   val AUC there")
        for run in runs {
            let r = run.history.records
            let best = r.max { ($0.metric ?? -1) < ($1.metric ?? -1) }
            print(run.name.padding(toLength: 26, withPad: " ", startingAt: 0)
                  + " \(f(r.first?.validationLoss)) → \(f(r.last?.validationLoss))".padding(toLength: 27, withPad: " ", startingAt: 0)
                  + "\(best?.epoch ?? 0)".padding(toLength: 13, withPad: " ", startingAt: 0) + f(best?.metric))
        }
    }

    func writeFigures(_ runs: [Run], to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func series(_ value: (EpochRecord) -> Double?) -> [Series] {
            runs.map { run in
                let r = run.history.records.filter { value($0) != nil }
                return Series(run.name, x: r.map { Double($0.epoch) }, y: r.map { value($0)! })
            }
        }
        let loss = LineChart(title: "Validation loss by epoch", subtitle: "same network, start and batches; only the update rule differs",
                             x: Axis("epoch"), y: Axis("cross-entropy"), series: series(\.validationLoss), showsPoints: true)
        let rates = LineChart(title: "Learning rate at the end of each epoch", subtitle: "plateau halves it when validation AUC stalls; cosine follows its curve",
                              x: Axis("epoch"), y: Axis("learning rate", scale: .logarithmic), series: series { $0.learningRate }, showsPoints: true)
        try loss.svg().write(toFile: folder + "/validation-loss.svg", atomically: true, encoding: .utf8)
        try rates.svg().write(toFile: folder + "/learning-rate.svg", atomically: true, encoding: .utf8)
    }

    func writeCSV(_ runs: [Run], to path: String) throws {
        let writer = try CSVWriter(path: path)
        try writer.writeRow(["run", "epoch", "train_loss", "val_loss", "val_auc", "learning_rate"])
        for run in runs {
            for r in run.history.records {
                try writer.writeRow([run.name, String(r.epoch), String(r.trainLoss), r.validationLoss.map { String($0) } ?? "",
                                     r.metric.map { String($0) } ?? "", String(r.learningRate)])
            }
        }
        try writer.commit()
    }
}
