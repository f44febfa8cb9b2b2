import Foundation
import LeptonCore
import LeptonIO

/// One candidate of `lepton-qc tune`: a boosted model's size, a compression and a thread count.
public struct FailureTuneCandidate: Sendable, Equatable {
    public var rounds: Int
    public var maxLeaves: Int
    public var learningRate: Double
    /// Leaf precision after keeping the fewest trees within the tolerance (nil: uncompressed).
    public var compression: LeafPrecision?
    public var threads = 1

    public var name: String {
        "gbdt-\(rounds)x\(maxLeaves)" + (compression.map { "-trees-" + ($0 == .int8 ? "int8" : ($0 == .float16 ? "f16" : "f64")) } ?? "")
            + (threads > 1 ? "-t\(threads)" : "")
    }

    var trainingKey: String { "\(rounds)-\(maxLeaves)-\(learningRate)" }

    /// Four model sizes (the default 100 × 15 at 0.1; 300 × 15 at 0.05; 100 × 7; 50 × 31 at 0.2),
    /// each uncompressed and with fewer trees at 8 and 16 bits, and the default's batch scoring on 2 threads.
    public static let space: [FailureTuneCandidate] = {
        var out: [FailureTuneCandidate] = []
        for (rounds, leaves, rate) in [(100, 15, 0.1), (300, 15, 0.05), (100, 7, 0.1), (50, 31, 0.2)] {
            for compression in [nil, LeafPrecision.int8, .float16] {
                out.append(FailureTuneCandidate(rounds: rounds, maxLeaves: leaves, learningRate: rate, compression: compression))
            }
        }
        out.append(FailureTuneCandidate(rounds: 100, maxLeaves: 15, learningRate: 0.1, compression: .int8, threads: 2))
        out.append(FailureTuneCandidate(rounds: 100, maxLeaves: 15, learningRate: 0.1, compression: nil, threads: 2))
        return out
    }()
}

/// `lepton-qc tune`: failure models trained (a ninth, a third, then all of the rounds), compressed and
/// measured on held-out parts; the metric is PR-AUC (failures are rare), with recall at the
/// target false-alarm rate beside it.
public final class FailureTuning: @unchecked Sendable {  // used from one thread
    public static let metricName = "pr_auc"
    public static let defaultTolerance = 0.01

    public let candidates: [FailureTuneCandidate]
    /// Parts the models are fitted on, parts the compressions choose their tree count on, parts
    /// every figure is measured on: three disjoint sets.
    let train: PartsData
    let choice: PartsData
    let holdout: PartsData
    let base: FailureConfig
    let cost: CostModel
    let target: String, positive: String
    /// Where each candidate's model file is written (its size is the file's).
    let folder: String
    /// Fitted models by size and fidelity (compressions and thread counts of one fit share it).
    public let fits = FitReuse<FailureModel>()
    public private(set) var models: [FailureModel?]
    /// Each candidate's model file at the highest fidelity it reached.
    public private(set) var files: [String?]

    /// `holdout` nil: a seeded stratified quarter of `data` is held out. Of the rest, a seeded fifth
    /// chooses the compressions' tree counts and the models are fitted on the other four fifths.
    public init(data: PartsData, holdout: PartsData?, config: FailureConfig, target: String, positive: String, cost: CostModel,
                folder: String, candidates: [FailureTuneCandidate] = FailureTuneCandidate.space) {
        let split = tuningSplit(labels: data.labels, holdOut: holdout == nil, seed: config.seed)
        (train, choice, self.holdout) = (data.subset(split.fit), data.subset(split.choice), holdout ?? data.subset(split.holdout))
        base = config
        self.cost = cost
        self.target = target
        self.positive = positive
        self.folder = folder
        self.candidates = candidates
        models = [FailureModel?](repeating: nil, count: candidates.count)
        files = [String?](repeating: nil, count: candidates.count)
    }

    public var counts: (train: Int, choice: Int, holdout: Int) { (train.count, choice.count, holdout.count) }

    public func evaluate(_ i: Int, fidelity: Double) throws -> (candidate: NavigatorCandidate, computeSeconds: Double) {
        let c = candidates[i]
        let fitted = try fits.model("\(c.trainingKey)@\(fidelity)") { () throws -> FailureModel in
            var config = base
            config.rounds = max(10, Int((Double(c.rounds) * fidelity).rounded()))
            config.maxLeaves = c.maxLeaves
            config.learningRate = c.learningRate
            config.threads = 1
            config.folds = 3
            return try FailureTraining.fit(train, config: config, target: target, positive: positive).model
        }
        var spent = fitted.reused ? 0 : fitted.seconds
        let t0 = SpeedMeter.now()
        var model = fitted.model
        if let precision = c.compression {
            model = try FailureCompression.compressTrees(model, choice: choice, trees: nil, leafPrecision: precision,
                                                         tolerance: Self.defaultTolerance).model
        }
        let seconds = fitted.seconds + SpeedMeter.now() - t0
        spent += SpeedMeter.now() - t0
        models[i] = model
        let x = holdout.features
        let scores = try model.scores(x, threads: 1)
        let labels = holdout.labels
        var recall = Double.nan
        if case let .falseAlarmRate(rate) = model.spec.thresholdRule, let t = threshold(forFalseAlarmRate: rate, labels: labels, scores: scores) {
            recall = confusion(labels: labels, scores: scores, threshold: t)?.sensitivity ?? .nan
        }
        let trees = model.trees!
        let rows = (0..<x.rowCount).map { x.row($0) }
        let batch = FailureModel.rows(x, count: FailureCompression.batchSize)
        let speed = SpeedMeter.measure(records: batch.rowCount, threads: c.threads, warmup: 50, repeats: 1000,
                                       single: { i in _ = trees.predictRaw(row: rows[i % rows.count]) },
                                       batch: { _ = trees.predictRaw(batch, threads: c.threads) })
        let path = "\(folder)/\(c.name).lepton"
        try FailureModelFile.write(model, to: path, metrics: [:], provenance: RunProvenance.current(tool: "lepton-qc", seed: base.seed, dataFile: nil))
        files[i] = path
        return (NavigatorCandidate(name: c.name, metric: averagePrecision(labels: labels, scores: scores) ?? .nan, speed: speed,
                                  bytes: fileByteCount(path) ?? 0,
                                  costPerMillion: cost.costPerMillion(cpuSecondsPerPrediction: speed.cpuSecondsPerRecord),
                                  trainingSeconds: seconds, trainingCost: cost.cost(cpuSeconds: seconds),
                                  extra: ["roc_auc": rocAUC(labels: labels, scores: scores) ?? .nan, "recall_at_target_false_alarm_rate": recall],
                                  fidelity: fidelity), spent)
    }
}
