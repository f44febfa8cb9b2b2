import Foundation
import LeptonCore
import LeptonIO

/// One candidate of `lepton-scan tune`: a network size, a compression and a thread count.
public struct ScanTuneCandidate: Sendable, Equatable {
    public enum Compression: Sendable, Equatable {
        case none
        case int8(ActivationCalibration)
        case cluster(Int)
        /// Structured channel pruning (fine-tuned), optionally then int8.
        case prune(Double, int8: Bool)
        /// Unstructured magnitude pruning, stored sparse.
        case sparse(Double)
        /// A student of these widths distilled from the base, optionally then int8.
        case distill([Int], int8: Bool)
    }

    /// cnn-small widths of the base network (nil: 16, 32, 64).
    public var channels: [Int]?
    public var compression: Compression = .none
    public var threads = 2

    public var name: String {
        var s = channels.map { "cnn-small-" + $0.map(String.init).joined(separator: "-") } ?? "cnn-small"
        switch compression {
        case .none: break
        case .int8(let c): s += "-int8-\(c.rawValue)"
        case .cluster(let k): s += "-cluster\(k)"
        case let .prune(r, int8): s += "-prune\(Int(r * 100))" + (int8 ? "-int8" : "")
        case .sparse(let r): s += "-sparse\(Int(r * 100))"
        case let .distill(w, int8): s += "-distill-" + w.map(String.init).joined(separator: "-") + (int8 ? "-int8" : "")
        }
        return s + "-t\(threads)"
    }

    /// The space: cnn-small and a half-width one trained from scratch, every compression method
    /// (int8 with three calibrations, clustering at 16 and 64 centroids, channel pruning at 25 and
    /// 50 % — the latter also then int8 —, unstructured pruning, a distilled student with and
    /// without int8), and the fp32 and int8 networks on 1 thread as well as 2.
    public static let space: [ScanTuneCandidate] = {
        var out: [ScanTuneCandidate] = [ScanTuneCandidate()]
        out += ActivationCalibration.allCases.map { ScanTuneCandidate(compression: .int8($0)) }
        out += [ScanTuneCandidate(compression: .cluster(16)), ScanTuneCandidate(compression: .cluster(64)),
                ScanTuneCandidate(compression: .prune(0.5, int8: false)), ScanTuneCandidate(compression: .prune(0.5, int8: true)),
                ScanTuneCandidate(compression: .prune(0.25, int8: false)), ScanTuneCandidate(compression: .sparse(0.5)),
                ScanTuneCandidate(compression: .distill([8, 16, 32], int8: false)), ScanTuneCandidate(compression: .distill([8, 16, 32], int8: true)),
                ScanTuneCandidate(channels: [8, 16, 32]),
                ScanTuneCandidate(threads: 1), ScanTuneCandidate(compression: .int8(.percentile), threads: 1)]
        return out
    }()
}

/// `lepton-scan tune`: trains the base networks (a ninth, a third, then all of the epochs), compresses
/// and measures every candidate on held-out scans, by successive halving.
public final class ScanTuning: @unchecked Sendable {  // used from one thread
    public static let metricName = "auc"
    public static let defaultTolerance = 0.005

    public let candidates: [ScanTuneCandidate]
    let train: ImageFolder, val: ImageFolder, holdout: ImageFolder
    let recipe: CNNRecipe
    let seed: UInt64
    let cost: CostModel
    let folder: String
    /// Asked after every training epoch (the command's budget and SIGINT): a base network whose
    /// training it stops is not measured (its candidates fail with ``TrainingStopped``).
    public var shouldStop: (@Sendable () -> Bool)?
    /// Trained base models by widths and fidelity; compressions of one base share it.
    public let fits = FitReuse<ScanModel>()
    /// Each candidate's model file (in `folder`) at the highest fidelity it reached.
    public private(set) var files: [String?]

    /// `holdout` (`--val`): scans to measure on; nil: a seeded fifth of `data`. The rest of
    /// `data` is split again into training and early-stopping scans. Candidate files go to `folder`.
    public init(data: ImageFolder, holdout: ImageFolder?, recipe: CNNRecipe, seed: UInt64, cost: CostModel, folder: String,
                candidates: [ScanTuneCandidate] = ScanTuneCandidate.space) {
        let (rest, measured) = holdout.map { (data, $0) } ?? ScanTraining.split(data, seed: seed)
        (train, val) = ScanTraining.split(rest, seed: seed &+ 1)
        self.holdout = measured
        self.recipe = recipe
        self.seed = seed
        self.cost = cost
        self.folder = folder
        self.candidates = candidates
        files = [String?](repeating: nil, count: candidates.count)
    }

    public var counts: (train: Int, val: Int, holdout: Int) { (train.count, val.count, holdout.count) }

    /// The base model, the seconds it took to train, and whether it was reused.
    func base(_ channels: [Int]?, fidelity: Double) throws -> (model: ScanModel, seconds: Double, reused: Bool) {
        try fits.model("\(channels ?? [])@\(fidelity)") {
            var r = recipe
            r.epochs = max(2, Int((Double(recipe.epochs) * fidelity).rounded()))
            r.channels = channels
            r.seed = seed
            r.shouldStop = shouldStop
            return try ScanTraining.run(train: train, val: val, recipe: r, positive: nil, rule: .youden, seed: seed).model
        }
    }

    /// Trains (or reuses), compresses and measures candidate `i` at `fidelity`.
    public func evaluate(_ i: Int, fidelity: Double) throws -> (candidate: NavigatorCandidate, computeSeconds: Double) {
        let c = candidates[i]
        let (baseModel, baseSeconds, hit) = try base(c.channels, fidelity: fidelity)
        // Calibration (int8) on at most 512 training scans, evenly spaced.
        let calibrationScans = train.evenlySpaced(512)
        var settings = ScanCompressionSettings()
        settings.seed = seed
        settings.threads = 2
        settings.epochs = max(1, Int((5 * fidelity).rounded()))
        settings.studentEpochs = max(2, Int((20 * fidelity).rounded()))
        let t0 = SpeedMeter.now()
        var model = baseModel
        func apply(_ method: ScanCompressionMethod, to m: ScanModel, _ change: (inout ScanCompressionSettings) -> Void) throws -> ScanModel {
            var s = settings
            change(&s)
            return try ScanCompression.compress(m, method: method, holdout: val, calibration: calibrationScans, training: train, settings: s).model
        }
        switch c.compression {
        case .none: break
        case .int8(let calibration): model = try apply(.int8, to: model) { $0.calibration = calibration }
        case .cluster(let k): model = try apply(.cluster, to: model) { $0.clusters = k }
        case let .prune(ratio, int8):
            model = try apply(.prune, to: model) { $0.ratio = ratio }
            if int8 { model = try apply(.int8, to: model) { _ in } }
        case .sparse(let ratio): model = try apply(.prune, to: model) { $0.ratio = ratio; $0.structure = "unstructured" }
        case let .distill(widths, int8):
            model = try apply(.distill, to: model) { $0.studentChannels = widths }
            if int8 { model = try apply(.int8, to: model) { _ in } }
        }
        let compressSeconds = SpeedMeter.now() - t0
        let trainingSeconds = baseSeconds + compressSeconds
        let path = "\(folder)/\(c.name).lepton"
        try model.write(to: path, metrics: [:], provenance: RunProvenance.current(tool: "lepton-scan", seed: seed, dataFile: nil))
        files[i] = path
        let labels = holdout.binaryLabels(positive: model.spec.positiveClass)
        let scores = model.probabilities(holdout.images)
        let evaluation = ScanEvaluation(labels: labels, scores: scores, threshold: model.spec.threshold, seed: seed, replicates: 500)
        let sensitivity = evaluation.figures.first { $0.name == "sensitivity" }
        let speed = measure(model, threads: c.threads)
        return (NavigatorCandidate(name: c.name, metric: rocAUC(labels: labels, scores: scores) ?? .nan, speed: speed,
                                  bytes: fileByteCount(path) ?? 0,
                                  costPerMillion: cost.costPerMillion(cpuSecondsPerPrediction: speed.cpuSecondsPerRecord),
                                  trainingSeconds: trainingSeconds, trainingCost: cost.cost(cpuSeconds: trainingSeconds * Double(recipe.threads)),
                                  extra: ["sensitivity": sensitivity?.value ?? .nan, "sensitivity_lower_ci": sensitivity?.interval?.lower ?? .nan,
                                          "ece": evaluation.ece],
                                  fidelity: fidelity), (hit ? 0 : baseSeconds) + compressSeconds)
    }

    /// p50/p99 of one scan, and throughput at batch 256, on `threads` threads.
    func measure(_ model: ScanModel, threads: Int) -> SpeedMeasurement {
        let saved = Threading.count
        Threading.setCount(threads)
        defer { Threading.setCount(saved) }
        let singles = (0..<min(64, holdout.count)).map { holdout.images.sliceBatch($0..<($0 + 1)) }
        let batch = ScanCompression.batchImages(holdout.images, size: 256)
        return SpeedMeter.measure(records: 256, threads: threads, warmup: 10, repeats: 200, minimumSeconds: 0.1,
                                  single: { i in _ = model.probabilities(singles[i % singles.count]) },
                                  batch: { _ = model.probabilities(batch) })
    }
}
