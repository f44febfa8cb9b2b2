/// A bootstrap percentile confidence interval of a metric.
public struct ConfidenceInterval: Sendable, Equatable {
    /// The metric on the full data.
    public var estimate: Double
    /// The (1 − level)/2 and (1 + level)/2 quantiles of the replicate values.
    public var lower: Double
    public var upper: Double
    /// The nominal coverage, e.g. 0.95.
    public var level: Double
    /// The number of replicates whose metric was defined (not nil, not NaN) and so were used.
    public var replicates: Int

    public init(estimate: Double, lower: Double, upper: Double, level: Double, replicates: Int) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
        self.level = level
        self.replicates = replicates
    }
}

/// A stratified bootstrap percentile interval for any metric of (labels, scores, weights):
///
/// Each of `replicates` replicates draws, uniformly with replacement, as many positive rows
/// (label > 0.5) as there are positives and as many negative rows as there are negatives —
/// so every replicate keeps the class counts — carrying each drawn row's weight along, and
/// evaluates `metric` on them (positives first, then negatives). Replicates whose metric is
/// nil or NaN are skipped and not counted. With v₍₀₎ ≤ … ≤ v₍ₘ₋₁₎ the m values used,
///
///     lower = Q((1 − level)/2),  upper = Q((1 + level)/2),
///     Q(q) = v₍ⱼ₎ + (h − j)(v₍ⱼ₊₁₎ − v₍ⱼ₎),  h = (m − 1)·q,  j = ⌊h⌋
///
/// (linear interpolation between order statistics). Every draw comes from
/// `SeededGenerator(seed:)`, so the same data and seed give the same interval. O(replicates · n)
/// plus the metric's cost.
///
/// Returns nil when the metric on the full data is nil or NaN, no replicate gives a value,
/// `replicates` < 1, or `level` is not strictly between 0 and 1.
public func bootstrapConfidenceInterval(labels: [Double], scores: [Double], weights: [Double]? = nil, replicates: Int = 1000,
                                        level: Double = 0.95, seed: UInt64,
                                        metric: (_ labels: [Double], _ scores: [Double], _ weights: [Double]?) -> Double?)
    -> ConfidenceInterval? {
    checkMetricInputs("bootstrapConfidenceInterval", labels: labels, values: scores, weights: weights)
    guard replicates >= 1, level > 0, level < 1,
          let estimate = metric(labels, scores, weights), !estimate.isNaN else { return nil }
    let positives = labels.indices.filter { labels[$0] > 0.5 }
    let negatives = labels.indices.filter { !(labels[$0] > 0.5) }
    var rng = SeededGenerator(seed: seed)
    var values: [Double] = []
    values.reserveCapacity(replicates)
    var rows = [Int](repeating: 0, count: labels.count)
    for _ in 0..<replicates {
        for k in positives.indices { rows[k] = positives[rng.nextInt(below: positives.count)] }
        for k in negatives.indices { rows[positives.count + k] = negatives[rng.nextInt(below: negatives.count)] }
        let value = metric(rows.map { labels[$0] }, rows.map { scores[$0] }, weights.map { w in rows.map { w[$0] } })
        if let value, !value.isNaN { values.append(value) }
    }
    guard !values.isEmpty else { return nil }
    values.sort()
    func quantile(_ q: Double) -> Double {
        let h = Double(values.count - 1) * q
        let j = Int(h.rounded(.down))
        return j + 1 < values.count ? values[j] + (h - Double(j)) * (values[j + 1] - values[j]) : values[j]
    }
    return ConfidenceInterval(estimate: estimate, lower: quantile((1 - level) / 2), upper: quantile((1 + level) / 2),
                              level: level, replicates: values.count)
}
