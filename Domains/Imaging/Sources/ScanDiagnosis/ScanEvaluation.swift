import Foundation
import LeptonCore
import LeptonIO

/// Clinical figures of a classifier on labelled scans, each with a stratified bootstrap 95 %
/// interval (the core's percentile bootstrap): AUC; accuracy, sensitivity, specificity, PPV,
/// NPV, F1 and MCC at the operating point; expected calibration error.
///
///     sensitivity = TP/(TP+FN)   specificity = TN/(TN+FP)   PPV = TP/(TP+FP)   NPV = TN/(TN+FN)
///     F1 = 2TP/(2TP+FP+FN)       MCC = (TP·TN − FP·FN)/√((TP+FP)(TP+FN)(TN+FP)(TN+FN))
public struct ScanEvaluation: Sendable {
    public var n: Int
    public var positives: Int
    public var threshold: Double
    /// Each figure's value and 95 % interval, in the order of ``names``.
    public var figures: [(name: String, value: Double, interval: ConfidenceInterval?)]
    public var ece: Double

    public static let names = ["auc", "accuracy", "sensitivity", "specificity", "ppv", "npv", "f1", "mcc"]

    public init(labels: [Double], scores: [Double], threshold: Double, seed: UInt64, replicates: Int = 1000) {
        n = labels.count
        positives = Int(labels.reduce(0, +))
        self.threshold = threshold
        func atThreshold(_ name: String) -> (_ l: [Double], _ s: [Double], _ w: [Double]?) -> Double? {
            { l, s, _ in
                guard let c = confusion(labels: l, scores: s, threshold: threshold) else { return nil }
                let (tp, fp, tn, fn) = (c.truePositives, c.falsePositives, c.trueNegatives, c.falseNegatives)
                func ratio(_ a: Double, _ b: Double) -> Double? { b > 0 ? a / b : nil }
                switch name {
                case "accuracy": return ratio(tp + tn, tp + tn + fp + fn)
                case "sensitivity": return ratio(tp, tp + fn)
                case "specificity": return ratio(tn, tn + fp)
                case "ppv": return ratio(tp, tp + fp)
                case "npv": return ratio(tn, tn + fn)
                case "f1": return ratio(2 * tp, 2 * tp + fp + fn)
                default:
                    let d = ((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)).squareRoot()
                    return d > 0 ? (tp * tn - fp * fn) / d : 0
                }
            }
        }
        var figures: [(String, Double, ConfidenceInterval?)] = []
        for (k, name) in Self.names.enumerated() {
            let metric: (_ l: [Double], _ s: [Double], _ w: [Double]?) -> Double? =
                name == "auc" ? { rocAUC(labels: $0, scores: $1, weights: $2) } : atThreshold(name)
            let value = metric(labels, scores, nil) ?? .nan
            let interval = bootstrapConfidenceInterval(labels: labels, scores: scores, replicates: replicates, seed: seed &+ UInt64(k), metric: metric)
            figures.append((name, value, interval))
        }
        self.figures = figures
        ece = expectedCalibrationError(labels: labels, probabilities: scores) ?? .nan
    }

    public func value(_ name: String) -> Double { figures.first { $0.name == name }?.value ?? .nan }

    /// The `--json` fields: each figure with `_ci_low` and `_ci_high`, then `ece`, `threshold`, `n`.
    public var jsonFields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = []
        for f in figures {
            fields.append((f.name, .double(f.value)))
            fields.append(("\(f.name)_ci_low", f.interval.map { .double($0.lower) } ?? .null))
            fields.append(("\(f.name)_ci_high", f.interval.map { .double($0.upper) } ?? .null))
        }
        fields += [("ece", .double(ece)), ("threshold", .double(threshold)), ("n", .int(n)), ("positives", .int(positives))]
        return fields
    }

    public var lines: [String] {
        ["\(n) scans, \(positives) positive; operating threshold \(String(format: "%.4f", threshold))"]
            + figures.map { f in
                String(format: "%-12@ %.4f", f.name, f.value) + (f.interval.map { String(format: "  (95%% CI %.4f–%.4f)", $0.lower, $0.upper) } ?? "")
            }
            + [String(format: "expected calibration error %.4f", ece)]
    }
}
