import ArgumentParser
import Foundation
import LeptonCore
import ScanDiagnosis

/// `lepton-bench cnn-speed`: training time per epoch, peak memory and inference throughput of a
/// registry network, measured like `Benchmarks/peers/cnn_torch.py` (same keys in its JSON).
struct CNNSpeedBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnn-speed",
        abstract: "Time training epochs and batched inference of cnn-small or resnet18 on a folder-per-class PNG tree.",
        discussion: """
            Trains --epochs epochs (Adam, lr 1e-3, softmax cross-entropy, no validation) and reports \
            the best epoch's seconds, then runs inference (training: false) over the same images at \
            --inference-batch, best of --inference-passes passes. Pixels are standardised as in `lepton-bench cnn`.
            """)

    @Option(help: "Folder with one subfolder of PNG images per class.")
    var train: String
    @Option(help: "Architecture: \(ModelRegistry.knownNames.joined(separator: ", ")).")
    var model = "cnn-small"
    @Option(help: "Training epochs timed.")
    var epochs = 3
    @Option(name: .customLong("batch-size"), help: "Training mini-batch size.")
    var batchSize = 128
    @Option(name: .customLong("inference-batch"), help: "Inference batch size.")
    var inferenceBatch = 256
    @Option(help: "Threads for kernels and BLAS.")
    var threads = 2
    @Option(help: "Use only this many images, evenly spaced over the sorted files (for resnet18).")
    var limit: Int?
    @Option(help: "Seed for initial weights and shuffles.")
    var seed: UInt64 = 0
    @Option(name: .customLong("inference-passes"), help: "Timed inference passes over the images (0: none); the best is reported.")
    var inferencePasses = 5
    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard epochs > 0, batchSize > 0, inferenceBatch > 0, threads > 0, inferencePasses >= 0 else {
            throw ValidationError("epochs, batch sizes and threads must be positive")
        }
        guard ModelRegistry.knownNames.contains(model) else {
            throw ValidationError(ArchitectureError.unknownModel(model, known: ModelRegistry.knownNames).description)
        }
    }

    func run() throws {
        let folder: ImageFolder
        do {
            folder = try ImageFolder.load(train).evenlySpaced(limit)
        } catch let error as ImageFolderError {
            throw ValidationError(error.description)
        }
        let stats = pixelStatistics(folder.images)
        let x = standardized(folder.images, mean: stats.mean, std: stats.std)
        let spec = ArchitectureSpec(name: model, inputShape: Array(x.shape.dropFirst()),
                                    outputs: max(2, folder.classNames.count))
        let network = try NeuralNetwork(spec, seed: seed, classNames: folder.classNames)
        let config = TrainerConfig(epochs: epochs, batchSize: batchSize, seed: seed, schedule: .constant(1e-3),
                                   restoreBestWeights: false, threads: .fixed(threads))
        let history = try network.fit(Trainer(config), optimizer: Adam(), loss: SoftmaxCrossEntropy(),
                                      inputs: x, targets: folder.targets)
        let seconds = history.records.map(\.seconds)
        let residentAfterFit = residentMegabytes() // (fit has released the layers' workspaces)
        var bestPass = Double.infinity
        var checksum = 0.0
        for _ in 0..<inferencePasses {
            let (out, t) = secondsTaken { network.predict(x, batchSize: inferenceBatch) }
            bestPass = min(bestPass, t)
            checksum = Double(out.sum())
        }
        let imagesPerSecond = inferencePasses > 0 ? Double(folder.count) / bestPass : 0
        if json {
            printJSON(["tool": "lepton", "model": model, "threads": threads, "batch_size": batchSize,
                       "train_images": folder.count, "parameters": network.parameterCount, "epochs": epochs,
                       "seconds_per_epoch": seconds.min() ?? 0, "first_epoch_seconds": seconds.first ?? 0,
                       "images_per_s": imagesPerSecond, "inference_batch": inferenceBatch,
                       "final_train_loss": history.records.last?.trainLoss ?? 0, "checksum": checksum,
                       "peak_rss_mb": peakResidentMegabytes(), "rss_after_fit_mb": residentAfterFit, "blas_kernels": BLAS.kernels,
                       "conv_kernels": Conv2D.kernels])
        } else {
            print("OpenBLAS kernels: \(BLAS.kernels); convolutions: \(Conv2D.kernels)")
            print(String(format: "%d images, %d epochs: best %.3f s/epoch (first %.3f s); inference %.0f images/s at batch %d; peak RSS %.0f MB",
                         folder.count, epochs, seconds.min() ?? 0, seconds.first ?? 0, imagesPerSecond,
                         inferenceBatch, peakResidentMegabytes()) + " (\(model), \(threads) threads)")
        }
    }
}
