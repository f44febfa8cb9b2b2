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
