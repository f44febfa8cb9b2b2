import ArgumentParser
import Foundation
import LeptonCore
import ScanDiagnosis

/// `lepton-bench compress`: what int8 quantization and channel pruning of cnn-small (or
/// resnet18, `--arch`) buy on this machine — throughput of each against our fp32 at batch 256
/// (interleaved rounds, same threads), validation AUC before and after, and file sizes.
struct CompressBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compress",
        abstract: "Int8 (VNNI and forced AVX2) and pruned cnn-small against our fp32: throughput at batch 256, AUC drop, file size.")

    @Option(help: "Folder with one subfolder of PNG images per class (training).") var train: String
    @Option(help: "Validation folder.") var val: String
    @Option(help: "Architecture trained when no --model is given: cnn-small or resnet18.") var arch = "cnn-small"
    @Option(help: "Training epochs of the fp32 network.") var epochs = 12
    @Option(help: "Threads.") var threads = 2
    @Option(help: "Interleaved timing rounds.") var rounds = 7
    @Option(help: "Calibration: minmax, percentile or entropy.") var calibration = "percentile"
    @Option(help: "A trained cnn-small or resnet18 model file to start from (instead of training).") var model: String?
    @Option(help: "Fine-tuning epochs after pruning half the filters (0: no pruning figure).") var pruneEpochs = 5
    @Option(help: "Save the fp32 network it trained (or loaded) here, for a later run with --model.") var saveModel: String?
    @Flag(help: "Int8 weight codes within ±63 (resnet18; the AVX2 kernel's faster sums).") var narrowWeights = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        Threading.setCount(threads)
        let trainFolder = try ImageFolder.load(train), valFolder = try ImageFolder.load(val)
        let network: NeuralNetwork, stats: (mean: Float, std: Float)
        if let model {
            let m = try ScanModel.read(path: model)
            (network, stats) = (m.network, (m.spec.mean, m.spec.std))
        } else {
            var recipe = CNNRecipe()
            recipe.model = arch
            recipe.epochs = epochs
            recipe.threads = threads
            let outcome = try trainCNN(recipe, train: trainFolder, val: valFolder, test: nil, positiveName: nil)
            (network, stats) = (outcome.network, outcome.normalization)
        }
        if let saveModel {
            let (h, w) = (trainFolder.images.shape[2], trainFolder.images.shape[3])
            let spec = ScanModel.Spec(classNames: trainFolder.classNames, positiveClass: 1, mean: stats.mean, std: stats.std, height: h, width: w,
                                      threshold: 0.5, rule: .youden, calibration: nil, intensity: nil)
            try ScanModel(network: network, spec: spec).write(to: saveModel, metrics: [:],
                                                              provenance: .current(tool: "lepton-bench compress", seed: nil, dataFile: train))
        }
        let vx = standardized(valFolder.images, mean: stats.mean, std: stats.std)
        let calibrationImages = standardized(trainFolder.evenlySpaced(512).images, mean: stats.mean, std: stats.std)
        let positive = 1
        let labels = valFolder.binaryLabels(positive: positive)
        func auc(_ net: NeuralNetwork) -> Double {
            let p = Softmax.rows(net.predict(vx))
            return rocAUC(labels: labels, scores: (0..<labels.count).map { Double(p[flat: $0 * 2 + positive]) }) ?? .nan
        }
        guard let method = ActivationCalibration(rawValue: calibration) else { throw ValidationError("--calibration: minmax, percentile or entropy") }
        let q = try Int8Quantizer.quantize(network.model, inputShape: network.architecture.inputShape, calibration: calibrationImages, method: method,
                                           narrowWeights: narrowWeights)
        let int8 = NeuralNetwork(architecture: network.architecture, model: Sequential([q]), classNames: network.classNames,
                                 compression: NetworkCompression(method: .int8, calibration: method))
        let batch = vx.sliceBatch(0..<min(256, vx.shape[0]))
        let records = batch.shape[0]
        var rows: [(String, Double, Double, Double)] = []  // name, throughput ratio, fp32, other
        func compare(_ name: String, _ other: () -> Void) {
            let r = SpeedMeter.interleavedSpeedup(records: records, rounds: rounds, minimumSeconds: 0.1,
                                                  a: { _ = network.predict(batch) }, b: other)
            rows.append((name, r.speedup, r.throughputA, r.throughputB))
        }
        q.path = .best
        compare("int8-\(q.path.rawValue)") { _ = int8.predict(batch) }
        if Int8KernelPath.avx2.isAvailable && q.path != .avx2 {
            q.path = .avx2
            compare("int8-avx2") { _ = int8.predict(batch) }
            q.path = .best
        }
        // Structured pruning of half the filters, fine-tuned, against the same fp32 network.
        var pruned: (network: NeuralNetwork, auc: Double)?
        if pruneEpochs > 0 {
            let p = try ChannelPruning.prune(network, ratio: 0.5)
            let (t, v) = ScanTraining.split(trainFolder, seed: 0)
            let config = TrainerConfig(epochs: pruneEpochs, batchSize: 128, seed: 0, schedule: .constant(3e-4), earlyStoppingPatience: 3,
                                       restoreBestWeights: true, threads: .fixed(threads))
            _ = try p.fit(Trainer(config), optimizer: Adam(), loss: SoftmaxCrossEntropy(),
                          inputs: standardized(t.images, mean: stats.mean, std: stats.std), targets: t.targets,
                          validation: (standardized(v.images, mean: stats.mean, std: stats.std), v.targets),
                          metric: .rocAUC(positiveClass: positive))
            pruned = (p, auc(p))
            compare("prune50") { _ = p.predict(batch) }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lepton-compress-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try network.save(to: dir + "/f.lepton")
        try int8.save(to: dir + "/q.lepton")
        let fp32Bytes = try FileManager.default.attributesOfItem(atPath: dir + "/f.lepton")[.size] as! Int
        let int8Bytes = try FileManager.default.attributesOfItem(atPath: dir + "/q.lepton")[.size] as! Int
        let before = auc(network), after = auc(int8)
        if json {
            var o: [String: Any] = ["auc_fp32": before, "auc_int8": after, "auc_drop": before - after, "bytes_fp32": fp32Bytes,
                                    "bytes_int8": int8Bytes, "size_ratio": Double(int8Bytes) / Double(fp32Bytes), "threads": threads,
                                    "batch": records, "calibration": calibration, "fp32_kernels": Conv2D.kernels,
                                    "arch": network.architecture.name, "narrow_weights": narrowWeights]
            for (name, ratio, a, b) in rows {
                let key = name.replacingOccurrences(of: "-", with: "_")
                o["\(key)_speedup"] = ratio
                o["\(key)_images_per_second"] = b
                o["\(key)_fp32_images_per_second"] = a  // the fp32 rounds interleaved with this one
                if o["fp32_images_per_second"] == nil { o["fp32_images_per_second"] = a }
            }
            if let pruned {
                o["prune50_auc"] = pruned.auc
                o["prune50_auc_drop"] = before - pruned.auc
            }
            print(String(data: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), encoding: .utf8)!)
        } else {
            print(String(format: "validation AUC fp32 %.4f, int8 %.4f (drop %.4f); file %d → %d bytes (%.2f×)", before, after, before - after,
                         fp32Bytes, int8Bytes, Double(int8Bytes) / Double(fp32Bytes)))
            if let pruned { print(String(format: "pruned 50%% of the filters, fine-tuned %d epochs: AUC %.4f (drop %.4f)", pruneEpochs, pruned.auc, before - pruned.auc)) }
            for (name, ratio, a, b) in rows {
                print(String(format: "%@: %.0f images/s vs fp32 %.0f images/s at batch %d on %d threads: %.2f×", name, b, a, records, threads, ratio))
            }
        }
    }
}

/// `lepton-bench prune-speed`: inference throughput of a channel-pruned ResNet-18 (each block's
/// inner width halved) against the full one, same weights' shapes otherwise, at batch 64 on 2
/// threads in alternating rounds. Speed does not depend on the weights' values, so both are
/// seeded initialisations (no data needed); accuracy after fine-tuning is `lepton-scan compress`'s job.
struct PruneSpeedBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune-speed",
                                                    abstract: "Channel-pruned ResNet-18 against the full one: inference throughput.")
    @Option(help: "Input size (square).") var size = 28
    @Option(help: "Share of each block's inner channels removed.") var ratio = 0.5
    @Option(help: "Batch size.") var batch = 64
    @Option(help: "Threads.") var threads = 2
    @Option(help: "Interleaved rounds.") var rounds = 5

    func run() throws {
        Threading.setCount(threads)
        let full = try NeuralNetwork(ArchitectureSpec(name: "resnet18", inputShape: [1, size, size], outputs: 2), seed: 1)
        let pruned = try ChannelPruning.prune(full, ratio: ratio)
        var rng = SeededGenerator(seed: 2)
        let x = Tensor(shape: [batch, 1, size, size], scalars: (0..<(batch * size * size)).map { _ in rng.nextNormal() })
        let r = SpeedMeter.interleavedSpeedup(records: batch, rounds: rounds, minimumSeconds: 0.3,
                                              a: { _ = full.predict(x) }, b: { _ = pruned.predict(x) })
        print(String(format: "resnet18 %d×%d, inner widths %@: %.0f images/s vs full %.0f images/s at batch %d on %d threads: %.2f×; parameters %d → %d",
                     size, size, (pruned.architecture.channels ?? []).map(String.init).joined(separator: "/"), r.throughputB, r.throughputA,
                     batch, threads, r.speedup, full.parameterCount, pruned.parameterCount))
    }
}

/// `lepton-bench int8-speed`: inference throughput of an int8 network against the float one it
/// was quantized from, at batch 256 on 2 threads in alternating rounds. Speed does not depend on
/// the weights' values, so the network is a seeded initialisation calibrated on seeded images (no
/// data needed); validation AUC is `lepton-bench compress`'s job.
struct Int8SpeedBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "int8-speed",
                                                    abstract: "An int8 network against its float network: inference throughput.")
    @Option(help: "Architecture: cnn-small or resnet18.") var arch = "resnet18"
    @Option(help: "Input size (square).") var size = 28
    @Option(help: "Batch size.") var batch = 256
    @Option(help: "Threads.") var threads = 2
    @Option(help: "Interleaved rounds.") var rounds = 5
    @Flag(help: "Weight codes within ±63 (resnet18; the AVX2 kernel's faster sums).") var narrowWeights = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        Threading.setCount(threads)
        let float = try NeuralNetwork(ArchitectureSpec(name: arch, inputShape: [1, size, size], outputs: 2), seed: 1)
        var rng = SeededGenerator(seed: 2)
        let x = Tensor(shape: [batch, 1, size, size], scalars: (0..<(batch * size * size)).map { _ in rng.nextNormal() })
        let q = try Int8Quantizer.quantize(float.model, inputShape: [1, size, size], calibration: x.sliceBatch(0..<min(batch, 64)),
                                           method: .percentile, narrowWeights: narrowWeights)
        var results: [String: Any] = ["arch": arch, "batch": batch, "threads": threads, "fp32_kernels": Conv2D.kernels,
                                      "narrow_weights": narrowWeights]
        for path in Int8KernelPath.allCases where path != .naive && path.isAvailable {
            q.path = path
            let r = SpeedMeter.interleavedSpeedup(records: batch, rounds: rounds, minimumSeconds: 0.3,
                                                  a: { _ = float.predict(x) }, b: { _ = q.forward(x, training: false) })
            results["int8_\(path.rawValue)_speedup"] = r.speedup
            results["int8_\(path.rawValue)_images_per_second"] = r.throughputB
            results["int8_\(path.rawValue)_fp32_images_per_second"] = r.throughputA
            if !json {
                print(String(format: "%@ %d×%d int8 (%@%@): %.0f images/s vs fp32 %.0f images/s at batch %d on %d threads: %.2f×", arch, size, size,
                             path.rawValue, narrowWeights ? ", narrow weights" : "", r.throughputB, r.throughputA, batch, threads, r.speedup))
            }
        }
        if json { print(String(data: try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys]), encoding: .utf8)!) }
    }
}
