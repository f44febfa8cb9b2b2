import Foundation
import LeptonCore
import LeptonIO

/// How `lepton-credit compress` makes a model smaller.
public enum CreditCompressionMethod: String, Sendable, CaseIterable {
    /// Boosted model: the first N trees (N the fewest within the tolerance of the best held-out
    /// AUC, or `--trees`), leaf values at 8 or 16 bits, thresholds as exact 8/16-bit indices.
    case trees
    /// Scorecard: refitted on the training data with only the characteristics of highest IV
    /// (the fewest within the tolerance of the best held-out AUC, or `--keep`).
    case characteristics

    /// Every method the navigator knows (`compress` accepts these names), and which apply here.
    public static let navigatorMethods = ["int8", "prune", "cluster", "distill", "trees", "characteristics"]
}

/// Settings of a credit compression.
public struct CreditCompressionSettings: Sendable {
    /// Largest held-out AUC loss accepted when the method chooses its own size.
    public var tolerance = 0.005
    /// Trees to keep (nil: chosen on the held-out loans).
    public var trees: Int?
    public var leafPrecision: LeafPrecision = .int8
    /// Merge bottom splits whose gain is below this (fewer leaves); nil: keep every leaf.
    public var minGain: Double?
    /// Characteristics to keep (nil: chosen on the held-out loans).
    public var keep: Int?
    /// Training data for a scorecard refit.
    public var training: CreditDataset?
    public var threads = 1
    public var seed: UInt64 = 42
    /// Store the cost-optimal cut-off re-selected on the held-out loans in the compressed
    /// model (fewer trees shrink the margins, so the stored cut-off no longer means the same).
    public var reselectCutoff = true

    public init() {}
}

/// A compressed credit model with what a credit officer checks before using it.
public struct CreditCompressionResult: Sendable {
    public var model: CreditModel
    /// What was done, in words (`first 120 of 300 trees, 8-bit leaves`).
    public var description: String
    public var bytesBefore: Int
    public var bytesAfter: Int
    /// Held-out AUC before and after, with a paired bootstrap interval of the change.
    public var auc: MetricChange
    /// Expected calibration error of the PDs before and after.
    public var eceBefore: Double
    public var eceAfter: Double
    /// The model's stored cut-off, and the cost-optimal cut-off re-selected on the held-out
    /// loans for the original and for the compressed model.
    public var cutoffStored: Int
    public var cutoffRevalidatedBefore: Int
    public var cutoffRevalidatedAfter: Int
    /// The cut-off the compressed model stores (the re-selected one unless asked to keep it).
    public var cutoffUsed: Int
    /// Over applicants both models decline: the share of the original's top-3 reason
    /// characteristics the compressed model also gives (1 = same reasons).
    public var reasonAgreement: Double
    /// Declines compared for ``reasonAgreement``.
    public var declinesCompared: Int
    /// Decisions that differ (the original at its cut-off, the compressed model at ``cutoffUsed``).
    public var decisionsChanged: Int
    /// Boosted models: whether every monotone constraint still holds on the held-out records
    /// swept across each constrained characteristic's thresholds (nil for a scorecard).
    public var monotoneHolds: Bool?
    /// Throughput of the compressed model ÷ the original's at the batch size, interleaved.
    public var speedup: Double
    public var throughputBefore: Double
    public var throughputAfter: Double
    public var batchSize: Int
    public var holdoutRows: Int
    /// Whether the size was chosen on the same held-out loans the figures are measured on (the
    /// figures after are then optimistic).
    public var choiceOnHoldout = false
}

public enum CreditCompression {
    /// The batch size credit throughput is measured at.
    public static let batchSize = 1024

    /// Compresses `model` with `method`, re-checking on `holdoutPath` (loans with outcomes the
    /// model was not trained on). Sizes (trees, characteristics) are chosen on `choicePath` when
    /// given — other held-out loans, so the figures after are not biased by the choice — else on
    /// the held-out loans themselves (``CreditCompressionResult/choiceOnHoldout`` says so).
    public static func compress(_ model: CreditModel, method: CreditCompressionMethod, holdoutPath: String, choicePath: String? = nil,
                                settings: CreditCompressionSettings) throws -> CreditCompressionResult {
        let holdout = try CreditHoldout.read(path: holdoutPath, model: model)
        let choicePath = choicePath ?? holdoutPath
        let choice = choicePath == holdoutPath ? holdout : try CreditHoldout.read(path: choicePath, model: model)
        guard holdout.labels.contains(1), holdout.labels.contains(0) else {
            throw DataError("\(holdoutPath): the held-out loans need both outcomes to measure AUC (\(holdout.count) rows, \(Int(holdout.labels.reduce(0, +))) bad)",
                            hint: "give a larger held-out file.")
        }
        let compressed: CreditModel, description: String
        switch (method, model) {
        case let (.trees, .boosted(boosted)):
            (compressed, description) = compressTrees(boosted, choice: choice, settings: settings)
        case let (.characteristics, .scorecard(card)):
            (compressed, description) = try compressCharacteristics(card, holdoutPath: choicePath, settings: settings)
        case (.trees, .scorecard):
            throw DataError("--method trees compresses a boosted model; this is a scorecard",
                            hint: "use --method characteristics for a scorecard (fewer characteristics by IV).")
        case (.characteristics, .boosted):
            throw DataError("--method characteristics compresses a scorecard; this is a boosted model",
                            hint: "use --method trees for a boosted model.")
        }
        var result = try recheck(original: model, compressed: compressed, description: description, holdout: holdout,
                                 holdoutPath: holdoutPath, settings: settings)
        result.choiceOnHoldout = choicePath == holdoutPath && (settings.trees == nil || method == .characteristics) && (settings.keep == nil || method == .trees)
        return result
    }

    /// Fewer trees and narrower leaves (LeptonCore's ``GBDTModel/compressed(keep:choice:tolerance:metric:minGain:precision:)``),
    /// the tree count chosen by AUC on `choice`.
    public static func compressTrees(_ boosted: BoostedCreditModel, choice: CreditHoldout,
                                     settings: CreditCompressionSettings) -> (CreditModel, String) {
        let x = choice.featureColumns(0..<choice.count, names: boosted.trees.featureNames)
        let c = boosted.trees.compressed(keep: settings.trees, choice: x, tolerance: settings.tolerance,
                                         metric: { rocAUC(labels: choice.labels, scores: $0) ?? .nan },
                                         minGain: settings.minGain, precision: settings.leafPrecision)
        return (.boosted(BoostedCreditModel(spec: boosted.spec, trees: c.model, compression: c.compression)), c.description)
    }

    /// A scorecard refitted on fewer characteristics.
    static func compressCharacteristics(_ card: Scorecard, holdoutPath: String,
                                        settings: CreditCompressionSettings) throws -> (CreditModel, String) {
        try compressCharacteristics(card, settings: settings) { candidate in
            let holdout = try CreditHoldout.read(path: holdoutPath, model: .scorecard(candidate))
            return rocAUC(labels: holdout.labels, scores: CreditModel.scorecard(candidate).score(holdout).pd) ?? .nan
        }
    }

    /// A scorecard refitted on its `settings.keep` characteristics of highest IV, or on the
    /// fewest whose held-out AUC (`auc`) is within the tolerance of the best.
    public static func compressCharacteristics(_ card: Scorecard, settings: CreditCompressionSettings,
                                               auc: (Scorecard) throws -> Double) throws -> (CreditModel, String) {
        guard let training = settings.training else {
            throw DataError("compressing a scorecard refits it on fewer characteristics, which needs its training data",
                            hint: "give the training CSV with --data.")
        }
        let have = card.entries.count
        func refit(_ k: Int) throws -> Scorecard {
            var config = card.config
            config.selection.maxCharacteristics = k
            return try ScorecardTrainer.fit(training, config: config, threads: settings.threads).scorecard
        }
        if let k = settings.keep {
            let refitted = try refit(max(1, min(k, have)))
            return (.scorecard(refitted), "\(refitted.entries.count) of \(have) characteristics (highest IV), refitted")
        }
        var candidates: [(card: Scorecard, auc: Double)] = []
        for k in 1...max(1, have) {
            let c = try refit(k)
            candidates.append((c, try auc(c)))
        }
        let best = max(try auc(card), candidates.map(\.auc).filter(\.isFinite).max() ?? -.infinity)
        let chosen = candidates.first { $0.auc >= best - settings.tolerance } ?? candidates[candidates.count - 1]
        return (.scorecard(chosen.card), "\(chosen.card.entries.count) of \(have) characteristics (highest IV), refitted")
    }

    /// The re-checks: AUC change with its CI, calibration, cut-off, reasons, monotonicity, size, speed.
    static func recheck(original: CreditModel, compressed: CreditModel, description: String, holdout: CreditHoldout,
                        holdoutPath: String, settings: CreditCompressionSettings) throws -> CreditCompressionResult {
        // A refitted scorecard may use other characteristics: it reads the file its own way.
        var compressed = compressed
        let after = compressed.characteristicNames == original.characteristicNames
            ? holdout : try CreditHoldout.read(path: holdoutPath, model: compressed)
        let labels = holdout.labels
        let config = original.config
        func revalidated(_ scores: [Int]) -> Int {
            CreditMetrics.costOptimalCutoff(labels: labels, scores: scores, costBadAccepted: config.costBadAccepted,
                                            costGoodRejected: config.costGoodRejected)
        }
        let a = original.score(holdout)
        var b = compressed.score(after)
        let cutoffAfter = revalidated(b.scores)
        if settings.reselectCutoff && cutoffAfter != compressed.cutoff {
            compressed = compressed.withCutoff(cutoffAfter)
            b = compressed.score(after)  // declines, and so reasons, follow the cut-off
        }
        guard after.labels == labels else {
            throw DataError("\(holdoutPath): the two models rejected different rows", hint: "check the held-out file for malformed rows.")
        }
        let change = pairedBootstrapDifference(labels: labels, before: a.pd, after: b.pd, replicates: 1000, seed: settings.seed) {
            rocAUC(labels: $0, scores: $1)
        } ?? MetricChange(before: .nan, after: .nan, difference: nil)
        var agreement = 0.0, compared = 0, changed = 0
        for i in labels.indices {
            if (a.scores[i] >= original.cutoff) != (b.scores[i] >= compressed.cutoff) { changed += 1 }
            guard !a.reasons[i].isEmpty, !b.reasons[i].isEmpty else { continue }
            agreement += Double(Set(a.reasons[i]).intersection(b.reasons[i]).count) / Double(a.reasons[i].count)
            compared += 1
        }
        var monotone: Bool?
        if case let .boosted(model) = compressed { monotone = monotoneConstraintsHold(model, holdout: holdout) }
        let batch = min(batchSize, max(1, holdout.count * 8))
        let speed = SpeedMeter.interleavedSpeedup(records: batch, rounds: 5,
                                                  a: original.batchScorer(holdout, batch: batch, threads: settings.threads),
                                                  b: compressed.batchScorer(after, batch: batch, threads: settings.threads))
        let provenance = RunProvenance.current(tool: "lepton-credit", seed: settings.seed, dataFile: nil)
        return CreditCompressionResult(
            model: compressed, description: description,
            bytesBefore: try original.fileContents(provenance: provenance).encoded().count,
            bytesAfter: try compressed.fileContents(provenance: provenance).encoded().count,
            auc: change,
            eceBefore: expectedCalibrationError(labels: labels, probabilities: a.pd) ?? .nan,
            eceAfter: expectedCalibrationError(labels: labels, probabilities: b.pd) ?? .nan,
            cutoffStored: original.cutoff, cutoffRevalidatedBefore: revalidated(a.scores), cutoffRevalidatedAfter: cutoffAfter, cutoffUsed: compressed.cutoff,
            reasonAgreement: compared > 0 ? agreement / Double(compared) : 1, declinesCompared: compared, decisionsChanged: changed,
            monotoneHolds: monotone, speedup: speed.speedup, throughputBefore: speed.throughputA, throughputAfter: speed.throughputB,
            batchSize: batch, holdoutRows: holdout.count)
    }

    /// Sweeps each monotone-constrained numeric characteristic of up to 200 held-out records
    /// across every threshold the trees use for it (and beyond both ends), and checks that the
    /// log-odds of default never move against the constraint.
    public static func monotoneConstraintsHold(_ model: BoostedCreditModel, holdout: CreditHoldout) -> Bool {
        let trees = model.trees
        for (j, feature) in model.spec.features.enumerated() where feature.constraint != 0 && trees.featureKinds[j] == .numeric {
            var cuts = Set<Float>()
            for t in trees.trees { for n in t.nodes where Int(n.feature) == j && !n.isCategorical { cuts.insert(n.threshold) } }
            guard !cuts.isEmpty else { continue }
            let sorted = cuts.sorted()
            var sweep: [Float] = [sorted[0] - 1]
            for (k, c) in sorted.enumerated() { sweep.append(c); if k + 1 < sorted.count { sweep.append((c + sorted[k + 1]) / 2) } }
            sweep.append(sorted[sorted.count - 1] + 1)
            for i in 0..<min(200, holdout.count) {
                var row = Array(holdout.features[(i * holdout.width)..<((i + 1) * holdout.width)])
                var previous = -Double.infinity * Double(feature.constraint)
                for v in sweep {
                    row[j] = v
                    let f = trees.predictRaw(row: row)
                    if feature.constraint > 0 ? f < previous - 1e-12 : f > previous + 1e-12 { return false }
                    previous = f
                }
            }
        }
        return true
    }
}
