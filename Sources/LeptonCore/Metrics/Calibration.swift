/// One bin of predicted probabilities: the rows it holds, their mean prediction and the
/// observed share of positives — a point of a reliability diagram, a group of the
/// Hosmer–Lemeshow test.
///
/// Named `ProbabilityBin` rather than `CalibrationBin` because LeptonReport's chart input is
/// called `CalibrationBin` and modules import both.
public struct ProbabilityBin: Sendable, Equatable {
    /// Uniform bins: the bin's edges on [0, 1]. Quantile bins: the smallest and largest
    /// probability in the bin.
    public var lower: Double
    public var upper: Double
    /// The number of rows (unweighted) or their total weight: n_g.
    public var weight: Double
    /// Σ wᵢpᵢ / Σ wᵢ over the bin.
    public var meanPredicted: Double
    /// positives / weight.
    public var observedRate: Double
    /// The weight of the positive rows (label > 0.5): O_g.
    public var positives: Double

    public init(lower: Double, upper: Double, weight: Double, meanPredicted: Double, observedRate: Double, positives: Double) {
        self.lower = lower
        self.upper = upper
        self.weight = weight
        self.meanPredicted = meanPredicted
        self.observedRate = observedRate
        self.positives = positives
    }
}

/// How ``calibrationBins(labels:probabilities:weights:bins:strategy:)`` cuts [0, 1].
public enum CalibrationStrategy: Sendable, Equatable {
    /// B bins of equal width: row i goes to bin ⌊pᵢ·B⌋ (probability 1 into the last bin;
    /// values outside [0, 1] into the first or last).
    case uniform
    /// About equal weight per bin: rows sorted by probability, bin b closing at the first
    /// tied-probability group where the cumulative weight reaches (b + 1)·W / B. Ties stay
    /// together, so fewer than B bins may come out.
    case quantile
}

/// Rows of predicted probabilities grouped into bins (see ``CalibrationStrategy``), lowest
/// first, with optional sample weights (nil: every row weighs 1). Bins without weight are
/// left out. Returns nil when a probability is NaN; an empty list when there is no weight
/// (empty input included). `bins` must be at least 1.
public func calibrationBins(labels: [Double], probabilities: [Double], weights: [Double]? = nil, bins: Int = 10,
                            strategy: CalibrationStrategy = .uniform) -> [ProbabilityBin]? {
    checkMetricInputs("calibrationBins", labels: labels, values: probabilities, weights: weights)
    precondition(bins >= 1, "calibrationBins: \(bins) bins")
    guard !probabilities.contains(where: \.isNaN) else { return nil }
    switch strategy {
    case .uniform: return uniformBins(labels: labels, probabilities: probabilities, weights: weights, bins: bins)
    case .quantile: return quantileBins(labels: labels, probabilities: probabilities, weights: weights, bins: bins)
    }
}

/// The running sums of one bin.
private struct BinSums {
    var weight = 0.0, predicted = 0.0, positives = 0.0

    mutating func add(label: Double, probability: Double, weight w: Double) {
        weight += w
        predicted += w * probability
        if label > 0.5 { positives += w }
    }

    func bin(lower: Double, upper: Double) -> ProbabilityBin {
        ProbabilityBin(lower: lower, upper: upper, weight: weight, meanPredicted: predicted / weight,
                       observedRate: positives / weight, positives: positives)
    }
}

private func uniformBins(labels: [Double], probabilities: [Double], weights: [Double]?, bins: Int) -> [ProbabilityBin] {
    var sums = [BinSums](repeating: BinSums(), count: bins)
    for i in labels.indices {
        let x = min(max(probabilities[i], 0), 1)
        sums[min(Int(x * Double(bins)), bins - 1)].add(label: labels[i], probability: probabilities[i], weight: weights?[i] ?? 1)
    }
    return sums.indices.filter { sums[$0].weight > 0 }.map {
        sums[$0].bin(lower: Double($0) / Double(bins), upper: Double($0 + 1) / Double(bins))
    }
}

private func quantileBins(labels: [Double], probabilities: [Double], weights: [Double]?, bins: Int) -> [ProbabilityBin] {
    let order = probabilities.indices.sorted {
        probabilities[$0] != probabilities[$1] ? probabilities[$0] < probabilities[$1] : $0 < $1
    }
    // Tied-probability groups: [start, end) ranges of `order` and their weights.
    var groups: [(start: Int, end: Int, weight: Double)] = []
    var k = 0
    while k < order.count {
        var end = k, w = 0.0
        while end < order.count, probabilities[order[end]] == probabilities[order[k]] {
            w += weights?[order[end]] ?? 1
            end += 1
        }
        groups.append((k, end, w))
        k = end
    }
    let total = groups.reduce(0.0) { $0 + $1.weight }
    guard total > 0 else { return [] }
    var result: [ProbabilityBin] = []
    var sums = BinSums(), cumulative = 0.0, b = 0, binStart = 0
    for (g, group) in groups.enumerated() {
        for r in group.start..<group.end {
            let i = order[r]
            sums.add(label: labels[i], probability: probabilities[i], weight: weights?[i] ?? 1)
        }
        cumulative += group.weight
        let last = g == groups.count - 1
        guard last || cumulative * Double(bins) >= Double(b + 1) * total else { continue }
        if sums.weight > 0 {
            result.append(sums.bin(lower: probabilities[order[binStart]], upper: probabilities[order[group.end - 1]]))
        }
        while b < bins, cumulative * Double(bins) >= Double(b + 1) * total { b += 1 }
        sums = BinSums()
        binStart = group.end
    }
    return result
}

/// Expected calibration error over the bins of ``calibrationBins(labels:probabilities:weights:bins:strategy:)``:
///
///     ECE = Σ_b (W_b / W) · |observedRate_b − meanPredicted_b|,   W = Σ_b W_b
///
/// Returns nil when a probability is NaN or there is no weight (empty input included).
public func expectedCalibrationError(labels: [Double], probabilities: [Double], weights: [Double]? = nil, bins: Int = 10,
                                     strategy: CalibrationStrategy = .uniform) -> Double? {
    guard let binned = calibrationBins(labels: labels, probabilities: probabilities, weights: weights, bins: bins,
                                       strategy: strategy), !binned.isEmpty else { return nil }
    let total = binned.reduce(0.0) { $0 + $1.weight }
    return binned.reduce(0.0) { $0 + $1.weight / total * abs($1.observedRate - $1.meanPredicted) }
}
