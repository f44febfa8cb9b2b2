import Foundation
import LeptonCore
import LeptonIO

/// How well a model flags failures on labelled parts (the core's metrics): ROC-AUC and PR-AUC
/// (average precision, the step-wise sum as scikit-learn's `average_precision_score`) with
/// stratified bootstrap intervals, precision, recall and F1 at the model's threshold, recall at
/// the target false-alarm rate, and false alarms per 1,000 parts (domain figures).
public struct FailureEvaluation: Sendable {
    public var n: Int
    public var positives: Int
    public var rocAUC: Double
    public var prAUC: Double
    public var rocInterval: ConfidenceInterval?
    public var prInterval: ConfidenceInterval?
    public var threshold: Double
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// Flagged good parts per 1,000 parts at the threshold: 1000 · FP / n.
    public var falseAlarmsPer1000: Double
    /// The target false-alarm rate and the recall at the threshold that meets it on these data.
    public var targetFalseAlarmRate: Double?
    public var recallAtTargetRate: Double?

    public init(labels: [Double], scores: [Double], threshold: Double, targetFalseAlarmRate: Double?, seed: UInt64, bootstrap: Int = 500) {
        n = labels.count
        positives = Int(labels.reduce(0, +))
        rocAUC = LeptonCore.rocAUC(labels: labels, scores: scores) ?? .nan
        prAUC = averagePrecision(labels: labels, scores: scores) ?? .nan
        rocInterval = bootstrap > 0 ? bootstrapConfidenceInterval(labels: labels, scores: scores, replicates: bootstrap, seed: seed) {
            LeptonCore.rocAUC(labels: $0, scores: $1, weights: $2)
        } : nil
        prInterval = bootstrap > 0 ? bootstrapConfidenceInterval(labels: labels, scores: scores, replicates: bootstrap, seed: seed &+ 1) {
            averagePrecision(labels: $0, scores: $1, weights: $2)
        } : nil
        self.threshold = threshold
        let c = confusion(labels: labels, scores: scores, threshold: threshold) ?? ConfusionCounts()
        let flagged = c.truePositives + c.falsePositives
        precision = flagged > 0 ? c.truePositives / flagged : .nan
        recall = positives > 0 ? c.truePositives / Double(positives) : .nan
        f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : .nan
        falseAlarmsPer1000 = n > 0 ? 1000 * c.falsePositives / Double(n) : .nan
        self.targetFalseAlarmRate = targetFalseAlarmRate
        if let rate = targetFalseAlarmRate, let t = LeptonCore.threshold(forFalseAlarmRate: rate, labels: labels, scores: scores) {
            recallAtTargetRate = confusion(labels: labels, scores: scores, threshold: t)?.sensitivity
        }
    }

    /// The `--json` fields.
    public var jsonFields: [(String, JSONValue)] {
        func interval(_ c: ConfidenceInterval?) -> JSONValue { c.map { .array([.double($0.lower), .double($0.upper)]) } ?? .null }
        return [("n", .int(n)), ("positives", .int(positives)), ("roc_auc", .double(rocAUC)), ("roc_auc_ci", interval(rocInterval)),
                ("pr_auc", .double(prAUC)), ("pr_auc_ci", interval(prInterval)), ("threshold", .double(threshold)),
                ("precision", .double(precision)), ("recall", .double(recall)), ("f1", .double(f1)),
                ("false_alarms_per_1000", .double(falseAlarmsPer1000)),
                ("recall_at_target_false_alarm_rate", recallAtTargetRate.map { .double($0) } ?? .null)]
    }

    /// Console lines.
    public var lines: [String] {
        func ci(_ c: ConfidenceInterval?) -> String { c.map { String(format: " (95%% CI %.4f–%.4f)", $0.lower, $0.upper) } ?? "" }
        var lines = [String(format: "%d parts, %d failures", n, positives),
                     String(format: "ROC-AUC %.4f%@  PR-AUC %.4f%@", rocAUC, ci(rocInterval), prAUC, ci(prInterval)),
                     String(format: "at threshold %.4f: precision %.3f  recall %.3f  F1 %.3f  false alarms %.1f per 1,000 parts",
                            threshold, precision, recall, f1, falseAlarmsPer1000)]
        if let rate = targetFalseAlarmRate, let r = recallAtTargetRate {
            lines.append(String(format: "recall at a %.1f%% false-alarm rate (threshold set on these data): %.3f", rate * 100, r))
        }
        return lines
    }
}
