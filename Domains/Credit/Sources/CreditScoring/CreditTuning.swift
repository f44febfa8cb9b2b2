import Foundation
import LeptonCore
import LeptonIO

/// One candidate of `lepton-credit tune`: a model family and size, a compression and a thread count.
public struct CreditTuneCandidate: Sendable, Equatable {
    public enum Compression: Sendable, Equatable {
        case none
        /// The fewest trees within the tolerance, leaves at this precision.
        case trees(LeafPrecision)
        /// A scorecard on the fewest characteristics within the tolerance.
        case characteristics
    }

    public var kind: CreditModelKind
    /// Scorecard: most bins per characteristic.
    public var maxBins = 6
    /// Boosted: rounds, leaves, learning rate.
    public var rounds = 300
    public var maxLeaves = 6
    public var learningRate = 0.03
    public var compression: Compression = .none
    public var threads = 1

    /// A name that says what it is: `gbdt-300x6-lr0.03-trees-int8-t2`.
    public var name: String {
        var s = kind == .scorecard ? "scorecard-bins\(maxBins)" : "gbdt-\(rounds)x\(maxLeaves)-lr\(learningRate)"
        switch compression {
        case .none: break
        case .trees(let p): s += "-trees-" + (p == .float64 ? "f64" : (p == .float16 ? "f16" : "int8"))
        case .characteristics: s += "-fewer-characteristics"
        }
        return threads > 1 ? s + "-t\(threads)" : s
    }

    public init(kind: CreditModelKind, maxBins: Int = 6, rounds: Int = 300, maxLeaves: Int = 6, learningRate: Double = 0.03,
                compression: Compression = .none, threads: Int = 1) {
        self.kind = kind; self.maxBins = maxBins; self.rounds = rounds; self.maxLeaves = maxLeaves
        self.learningRate = learningRate; self.compression = compression; self.threads = threads
    }

    /// What trains the model (compression and threads aside): candidates sharing it share one fit.
    var trainingKey: String { kind == .scorecard ? "scorecard-\(maxBins)" : "gbdt-\(rounds)-\(maxLeaves)-\(learningRate)" }

    /// The candidate space: scorecards at two bin counts, with and without fewer characteristics;
    /// boosted models at three sizes, uncompressed and with fewer trees at 8 and 16 bits; and
    /// the boosted candidates' batch scoring on two threads (so the thread count is measured, not assumed).
    public static let space: [CreditTuneCandidate] = {
        var out: [CreditTuneCandidate] = []
        for bins in [6, 4] {
            out.append(CreditTuneCandidate(kind: .scorecard, maxBins: bins))
            out.append(CreditTuneCandidate(kind: .scorecard, maxBins: bins, compression: .characteristics))
        }
        for (rounds, leaves, rate) in [(300, 6, 0.03), (600, 4, 0.02), (150, 15, 0.05)] {
            for compression in [CreditTuneCandidate.Compression.none, .trees(.int8), .trees(.float16)] {
                out.append(CreditTuneCandidate(kind: .gbdt, rounds: rounds, maxLeaves: leaves, learningRate: rate, compression: compression))
            }
        }
        out.append(CreditTuneCandidate(kind: .gbdt, compression: .trees(.int8), threads: 2))
        out.append(CreditTuneCandidate(kind: .gbdt, threads: 2))
        return out
    }()
}

/// `lepton-credit tune`: trains, compresses and measures every candidate of
/// ``CreditTuneCandidate/space`` by successive halving (a cheap fidelity f fits on a share f of
/// the training rows, at least 200, and boosts √f of the rounds: fewer rounds alone would
/// rank slow learning rates too low), measures them on held-out loans, and chooses.
public final class CreditTuning {
    /// The metric the navigator ranks credit models by, and its default tolerance.
    public static let metricName = "auc"
    public static let defaultTolerance = 0.005

    public let candidates: [CreditTuneCandidate]
    /// Rows the models are fitted on, rows the compressions choose their size on, rows every
    /// figure is measured on: three disjoint sets.
    let training: CreditDataset
    let choice: CreditDataset
    let holdout: CreditDataset
    let config: ScorecardConfig
    let seed: UInt64
    let cost: CostModel
    /// Fitted models by training key and fidelity (compressions and thread counts of one fit share it).
    public let fits = FitReuse<CreditModel>()
    /// Each candidate's model, and its file, at the highest fidelity it reached.
    public private(set) var models: [CreditModel?]
    public private(set) var files: [String?]
    let folder: String

    /// `holdout`: loans to measure on (`--val`); nil: a seeded stratified quarter of `data` is
    /// held out. Of the rest, a seeded fifth chooses the compressions' sizes and the models are
    /// fitted on the other four fifths.
    public init(data: CreditDataset, holdout: CreditDataset?, config: ScorecardConfig, seed: UInt64, cost: CostModel, folder: String,
                candidates: [CreditTuneCandidate] = CreditTuneCandidate.space) {
        let split = tuningSplit(labels: data.labels, holdOut: holdout == nil, seed: seed)
        (training, choice, self.holdout) = (data.subset(split.fit), data.subset(split.choice), holdout ?? data.subset(split.holdout))
        self.config = config
        self.seed = seed
        self.cost = cost
        self.candidates = candidates
        models = [CreditModel?](repeating: nil, count: candidates.count)
        files = [String?](repeating: nil, count: candidates.count)
        self.folder = folder
    }

    /// The training rows at `fidelity`: all at 1, else a seeded stratified share (at least 200 rows).
    func sample(_ fidelity: Double) -> CreditDataset {
        guard fidelity < 1, training.count > 200 else { return training }
        let keep = max(200, Int(Double(training.count) * fidelity))
        let folds = stratifiedFolds(labels: training.labels, folds: max(2, training.count / keep), seed: seed &+ 7)
        return training.subset(folds.indices.filter { folds[$0] == 0 })
    }

    /// Rows the models are fitted on and measured on.
    public var trainingRows: Int { training.count }
    public var choiceRows: Int { choice.count }
    public var holdoutRows: Int { holdout.count }

    /// Trains (or reuses), compresses and measures candidate `i` at `fidelity`.
    public func evaluate(_ i: Int, fidelity: Double) throws -> (candidate: NavigatorCandidate, computeSeconds: Double) {
        let c = candidates[i]
        let base = try fits.model("\(c.trainingKey)@\(fidelity)") { () throws -> CreditModel in
            var cfg = config
            cfg.binning.maxBins = c.maxBins
            // A cheap fidelity also fits on a seeded stratified sample of the rows (at least 200).
            let training = sample(fidelity)
            let model: CreditModel
            switch c.kind {
            case .scorecard:
                model = .scorecard(try ScorecardTrainer.fit(training, config: cfg, threads: 1).scorecard)
            case .gbdt:
                var boosting = BoostingConfig()
                boosting.rounds = max(10, Int((Double(c.rounds) * fidelity.squareRoot()).rounded()))
                boosting.maxLeaves = c.maxLeaves
                boosting.learningRate = c.learningRate
                boosting.seed = seed
                model = .boosted(try BoostedTrainer.fit(training, config: cfg, boosting: boosting, threads: 1).model)
            }
            return model
        }
        var spent = base.reused ? 0 : base.seconds
        let t0 = SpeedMeter.now()
        var settings = CreditCompressionSettings()
        settings.tolerance = Self.defaultTolerance
        settings.seed = seed
        settings.training = sample(fidelity)
        let model: CreditModel
        switch (c.compression, base.model) {
        case (.none, _): model = base.model
        case let (.trees(precision), .boosted(boosted)):
            settings.leafPrecision = precision
            model = CreditCompression.compressTrees(boosted, choice: CreditHoldout(choice, model: base.model), settings: settings).0
        case let (.characteristics, .scorecard(card)):
            model = try CreditCompression.compressCharacteristics(card, settings: settings) { candidate in
                let m = CreditModel.scorecard(candidate)
                return rocAUC(labels: self.choice.labels, scores: m.score(CreditHoldout(self.choice, model: m)).pd) ?? .nan
            }.0
        default:
            throw DataError("candidate \(c.name) pairs a compression with a model it does not apply to", hint: "")
        }
        let compressSeconds = SpeedMeter.now() - t0
        models[i] = model
        let measuredOn = CreditHoldout(holdout, model: model)
        let scores = model.score(measuredOn, reasonCount: 0)
        let auc = rocAUC(labels: measuredOn.labels, scores: scores.pd) ?? .nan
        let speed = model.measureSpeed(on: measuredOn, batch: CreditCompression.batchSize, threads: c.threads)
        // The size of the file as `tune` writes it (chosen.lepton is this file).
        let path = "\(folder)/\(c.name).lepton"
        try model.write(to: path, provenance: RunProvenance.current(tool: "lepton-credit", seed: seed, dataFile: nil))
        files[i] = path
        let bytes = fileByteCount(path) ?? 0
        let trainingSeconds = base.seconds + compressSeconds
        spent += compressSeconds
        return (NavigatorCandidate(name: c.name, metric: auc, speed: speed, bytes: bytes,
                                  costPerMillion: cost.costPerMillion(cpuSecondsPerPrediction: speed.cpuSecondsPerRecord),
                                  trainingSeconds: trainingSeconds, trainingCost: cost.cost(cpuSeconds: trainingSeconds),
                                  extra: ["ece": expectedCalibrationError(labels: measuredOn.labels, probabilities: scores.pd) ?? .nan],
                                  fidelity: fidelity), spent)
    }
}
