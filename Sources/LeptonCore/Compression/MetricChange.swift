/// The change of a metric when a model is replaced by its compressed twin, scored on the same
/// rows, with a paired bootstrap interval of the difference.
public struct MetricChange: Sendable, Equatable {
    public var before: Double
    public var after: Double
    /// `after − before` on the full data, and its percentile interval over paired replicates.
    public var difference: ConfidenceInterval?

    public init(before: Double, after: Double, difference: ConfidenceInterval?) {
        self.before = before
        self.after = after
        self.difference = difference
    }
}

/// A paired, stratified bootstrap interval of `metric(after) − metric(before)`:
///
/// each replicate draws positives and negatives with replacement (keeping the class counts, as
/// ``bootstrapConfidenceInterval(labels:scores:weights:replicates:level:seed:metric:)`` does)
/// and evaluates the metric on the *same* drawn rows for both score vectors, so the interval
/// reflects the change itself rather than the sampling noise of either metric. Returns nil when
/// the metric is undefined on the full data.
public func pairedBootstrapDifference(labels: [Double], before: [Double], after: [Double], replicates: Int = 1000,
                                      level: Double = 0.95, seed: UInt64,
                                      metric: (_ labels: [Double], _ scores: [Double]) -> Double?) -> MetricChange? {
    precondition(labels.count == before.count && labels.count == after.count, "pairedBootstrapDifference: lengths differ")
    guard let b = metric(labels, before), let a = metric(labels, after), b.isFinite, a.isFinite else { return nil }
    // Stack the two score vectors so the shared bootstrap draws one set of rows for both.
    let n = labels.count
    let stacked = zip(before, after).map { [$0, $1] }
    var rng = SeededGenerator(seed: seed)
    let positives = labels.indices.filter { labels[$0] > 0.5 }
    let negatives = labels.indices.filter { !(labels[$0] > 0.5) }
    var values: [Double] = []
    var rows = [Int](repeating: 0, count: n)
    for _ in 0..<max(0, replicates) {
        for k in positives.indices { rows[k] = positives[rng.nextInt(below: positives.count)] }
        for k in negatives.indices { rows[positives.count + k] = negatives[rng.nextInt(below: negatives.count)] }
        let l = rows.map { labels[$0] }
        if let mb = metric(l, rows.map { stacked[$0][0] }), let ma = metric(l, rows.map { stacked[$0][1] }), mb.isFinite, ma.isFinite {
            values.append(ma - mb)
        }
    }
    guard !values.isEmpty, level > 0, level < 1 else { return MetricChange(before: b, after: a, difference: nil) }
    values.sort()
    func quantile(_ q: Double) -> Double {
        let h = Double(values.count - 1) * q
        let j = Int(h.rounded(.down))
        return j + 1 < values.count ? values[j] + (h - Double(j)) * (values[j + 1] - values[j]) : values[j]
    }
    return MetricChange(before: b, after: a,
                        difference: ConfidenceInterval(estimate: a - b, lower: quantile((1 - level) / 2), upper: quantile((1 + level) / 2),
                                                       level: level, replicates: values.count))
}
