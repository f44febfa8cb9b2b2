import Foundation
import LeptonCore
import LeptonIO

/// A compressed failure model with what a maintenance engineer checks before using it.
public struct FailureCompressionResult: Sendable {
    public var model: FailureModel
    public var description: String
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

    /// Compresses `model` (gbdt) on held-out labelled parts `holdout` (read with the model's schema).
    public static func compress(_ model: FailureModel, holdout: PartsData, trees keep: Int?, leafPrecision: LeafPrecision, tolerance: Double,
                                reselectThreshold: Bool = true, seed: UInt64) throws -> FailureCompressionResult {
        guard let trees = model.trees, model.compression == nil else {
            throw DataError(model.trees == nil ? "--method trees compresses a failure model (boosted trees); this is an anomaly model (isolation forest)"
                                               : "the model is already compressed; compress the model train wrote",
                            hint: model.trees == nil ? "train --kind gbdt on labelled parts to get a failure model." : "give the original model file.")
        }
        let labels = holdout.labels
        guard labels.contains(1), labels.contains(0) else {
            throw DataError("the held-out parts need failures and good parts to measure the model", hint: "give more labelled parts (--val).")
        }
        let x = holdout.features
        let n = keep.map { max(1, min($0, trees.trees.count)) }
            ?? trees.fewestTrees(validation: x, tolerance: tolerance / 2) { averagePrecision(labels: labels, scores: $0) ?? .nan }.trees
        let (rounded, scale) = trees.firstTrees(n).withLeafPrecision(leafPrecision)
        var compressed = FailureModel(spec: model.spec, trees: rounded, forest: nil,
                                      compression: TreeCompression(trees: n, originalTrees: trees.trees.count, leafPrecision: leafPrecision, leafScale: scale))
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
            model: compressed, description: "first \(n) of \(trees.trees.count) trees, \(leafPrecision.rawValue) leaves, 8/16-bit threshold indices",
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
