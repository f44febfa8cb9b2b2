import Foundation
import LeptonCore
import LeptonIO

/// A compressed failure model with what a maintenance engineer checks before using it.
public struct FailureCompressionResult: Sendable {
    public var model: FailureModel
    public var description: String
    /// Whether the tree count was chosen on the same parts the figures are measured on (then optimistic).
    public var choiceOnHoldout: Bool
    /// ROC-AUC and PR-AUC on the held-out parts, with paired bootstrap intervals of the change.
    public var rocAUC: MetricChange
    public var prAUC: MetricChange
    /// Recall at the model's target false-alarm rate (threshold chosen on these parts for each model).
    public var recallBefore: Double?
    public var recallAfter: Double?
    public var targetFalseAlarmRate: Double?
    /// The stored threshold and the compressed model's (re-selected on the held-out parts by the model's rule).
    public var thresholdBefore: Double
    public var thresholdAfter: Double
    public var eceBefore: Double
    public var eceAfter: Double
    public var speedup: Double
    public var throughputBefore: Double
    public var throughputAfter: Double
    public var batchSize: Int
    public var parts: Int
}

/// `lepton-qc compress`: fewer trees and narrower leaves for a failure model (boosted trees).
public enum FailureCompression {
    public static let batchSize = 1024

    /// The compressed model alone (LeptonCore's ``GBDTModel/compressed(keep:choice:tolerance:metric:minGain:precision:)``):
    /// the tree count chosen by PR-AUC on the labelled parts `choice`.
    public static func compressTrees(_ model: FailureModel, choice: PartsData, trees keep: Int?, leafPrecision: LeafPrecision, tolerance: Double,
                                     minGain: Double? = nil) throws -> (model: FailureModel, description: String) {
        guard let trees = model.trees, model.compression == nil else {
            throw DataError(model.trees == nil ? "--method trees compresses a failure model (boosted trees); this is an anomaly model (isolation forest)"
                                               : "the model is already compressed; compress the model train wrote",
                            hint: model.trees == nil ? "train --kind gbdt on labelled parts to get a failure model." : "give the original model file.")
        }
        guard choice.labels.contains(1), choice.labels.contains(0) else {
            throw DataError("the labelled parts need failures and good parts to choose the tree count", hint: "give more labelled parts.")
        }
        let c = trees.compressed(keep: keep, choice: choice.features, tolerance: tolerance,
                                 metric: { averagePrecision(labels: choice.labels, scores: $0) ?? .nan }, minGain: minGain, precision: leafPrecision)
        return (FailureModel(spec: model.spec, trees: c.model, forest: nil, compression: c.compression), c.description)
    }

    /// Compresses `model` (gbdt) and re-checks it on held-out labelled parts `holdout` (read with
    /// the model's schema). The tree count is chosen on `choice` when given (other labelled parts:
    /// the figures after are then not biased by the choice), else on `holdout` itself.
    public static func compress(_ model: FailureModel, holdout: PartsData, choice: PartsData? = nil, trees keep: Int?, leafPrecision: LeafPrecision,
                                tolerance: Double, minGain: Double? = nil, reselectThreshold: Bool = true,
                                seed: UInt64) throws -> FailureCompressionResult {
        let labels = holdout.labels
        guard labels.contains(1), labels.contains(0) else {
            throw DataError("the held-out parts need failures and good parts to measure the model", hint: "give more labelled parts (--val).")
        }
        let (compressedModel, description) = try compressTrees(model, choice: choice ?? holdout, trees: keep, leafPrecision: leafPrecision,
                                                               tolerance: tolerance, minGain: minGain)
        var compressed = compressedModel
        let trees = model.trees!, rounded = compressed.trees!
        let x = holdout.features
        let before = try model.scores(x, threads: 1), after = try compressed.scores(x, threads: 1)
        if reselectThreshold, let t = try? FailureTraining.chooseThreshold(model.spec.thresholdRule, labels: labels, scores: after) {
            compressed.spec.threshold = t
        }
        let rate: Double? = { if case let .falseAlarmRate(r) = model.spec.thresholdRule { return r }; return nil }()
        func recall(_ scores: [Double]) -> Double? {
            guard let rate, let t = threshold(forFalseAlarmRate: rate, labels: labels, scores: scores) else { return nil }
            return confusion(labels: labels, scores: scores, threshold: t)?.sensitivity
        }
        let roc = pairedBootstrapDifference(labels: labels, before: before, after: after, seed: seed) { rocAUC(labels: $0, scores: $1) }
        let pr = pairedBootstrapDifference(labels: labels, before: before, after: after, seed: seed &+ 1) { averagePrecision(labels: $0, scores: $1) }
        let batch = FailureModel.rows(x, count: min(batchSize, max(1, x.rowCount * 8)))
        let speed = SpeedMeter.interleavedSpeedup(records: batch.rowCount, rounds: 5, a: { _ = trees.predictRaw(batch, threads: 1) },
                                                  b: { _ = rounded.predictRaw(batch, threads: 1) })
        let missing = MetricChange(before: .nan, after: .nan, difference: nil)
        return FailureCompressionResult(
            model: compressed, description: description, choiceOnHoldout: choice == nil && keep == nil,
            rocAUC: roc ?? missing, prAUC: pr ?? missing, recallBefore: recall(before), recallAfter: recall(after), targetFalseAlarmRate: rate,
            thresholdBefore: model.spec.threshold, thresholdAfter: compressed.spec.threshold,
            eceBefore: expectedCalibrationError(labels: labels, probabilities: before) ?? .nan,
            eceAfter: expectedCalibrationError(labels: labels, probabilities: after) ?? .nan,
            speedup: speed.speedup, throughputBefore: speed.throughputA, throughputAfter: speed.throughputB, batchSize: batch.rowCount,
            parts: labels.count)
    }
}

extension FailureModel {
    /// `count` rows of `x`, cycling (a batch for timing).
    static func rows(_ x: FeatureColumns, count: Int) -> FeatureColumns {
        FailureTraining.subset(x, (0..<count).map { $0 % max(1, x.rowCount) })
    }
}
