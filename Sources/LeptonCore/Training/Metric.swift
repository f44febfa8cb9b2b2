/// A validation metric: a function of a batch of model outputs and targets, plus its direction.
public struct Metric: Sendable {
    public let name: String
    /// Whether larger values are better (accuracy) or smaller (a loss).
    public let higherIsBetter: Bool
    /// Computes the metric for outputs (N, …) against targets.
    public let evaluate: @Sendable (_ outputs: Tensor, _ targets: Tensor) -> Double

    public init(name: String, higherIsBetter: Bool, _ evaluate: @escaping @Sendable (Tensor, Tensor) -> Double) {
        self.name = name
        self.higherIsBetter = higherIsBetter
        self.evaluate = evaluate
    }

    /// Fraction of correct predictions. Outputs (N, K ≥ 2): arg-max against targets given as
    /// (N) class indices or (N, K) one-hot rows. Outputs (N) or (N, 1): a logit, positive ⇔ class 1,
    /// against targets ≥ 0.5 ⇔ class 1.
    public static let accuracy = Metric(name: "accuracy", higherIsBetter: true) { outputs, targets in
        predictedClasses(outputs).enumerated().reduce(0.0) { acc, item in
            acc + (item.element == targetClass(targets, item.offset, outputs) ? 1 : 0)
        } / Double(max(outputs.shape.first ?? 0, 1))
    }

    /// Area under the ROC curve of one class against the rest (higher is better), through
    /// ``rocAUC(labels:scores:weights:)``.
    ///
    /// Scores: for outputs (N, K ≥ 2), the softmax probability of `positiveClass`; for outputs
    /// (N) or (N, 1), the logit itself (then `positiveClass` must be 1). Labels: a sample is
    /// positive when its target class (as for ``accuracy``) equals `positiveClass`. A validation
    /// set holding only one class gives 0.5 (no ranking is possible).
    public static func rocAUC(positiveClass: Int = 1) -> Metric {
        precondition(positiveClass >= 0, "rocAUC metric: negative class index")
        return Metric(name: "auc", higherIsBetter: true) { outputs, targets in
            let n = outputs.shape.first ?? 0
            let scores: [Double]
            if outputs.rank == 2 && outputs.shape[1] >= 2 {
                precondition(positiveClass < outputs.shape[1], "rocAUC metric: class \(positiveClass) of \(outputs.shape[1])")
                let p = Softmax.rows(outputs)
                let k = outputs.shape[1]
                scores = (0..<n).map { Double(p[flat: $0 * k + positiveClass]) }
            } else {
                precondition(positiveClass == 1, "rocAUC metric: a single logit scores class 1, not \(positiveClass)")
                precondition(outputs.count == n, "rocAUC metric: outputs must be (N, K), (N, 1) or (N), got \(outputs.shape)")
                scores = outputs.scalars.map(Double.init)
            }
            let labels = (0..<n).map { targetClass(targets, $0, outputs) == positiveClass ? 1.0 : 0.0 }
            return LeptonCore.rocAUC(labels: labels, scores: scores) ?? 0.5
        }
    }

    /// The value of a loss (lower is better), e.g. `Metric.loss(SoftmaxCrossEntropy())`.
    public static func loss(_ loss: some Loss) -> Metric {
        Metric(name: loss.name, higherIsBetter: false) { outputs, targets in
            Double(loss.evaluate(output: outputs, target: targets).value)
        }
    }
}

/// Predicted class per sample: arg-max for (N, K ≥ 2), `logit > 0` for (N) or (N, 1).
public func predictedClasses(_ outputs: Tensor) -> [Int] {
    if outputs.rank == 2 && outputs.shape[1] >= 2 { return outputs.argmaxRows() }
    precondition(outputs.count == outputs.shape.first ?? 0, "predictedClasses: outputs must be (N, K), (N, 1) or (N), got \(outputs.shape)")
    return outputs.scalars.map { $0 > 0 ? 1 : 0 }
}

private func targetClass(_ targets: Tensor, _ i: Int, _ outputs: Tensor) -> Int {
    if targets.rank == 2 && targets.shape[1] >= 2 {
        let k = targets.shape[1]
        var best = 0
        for j in 1..<k where targets[flat: i * k + j] > targets[flat: i * k + best] { best = j }
        return best
    }
    let v = targets[flat: i]
    if outputs.rank == 2 && outputs.shape[1] >= 2 { return Int(v) }
    return v >= 0.5 ? 1 : 0
}
