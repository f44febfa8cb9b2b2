/// Sums of gradients, hessians and rows over a set of rows.
struct NodeSums: Equatable, Sendable {
    var gradient: Double
    var hessian: Double
    var count: Int

    static let zero = NodeSums(gradient: 0, hessian: 0, count: 0)

    static func - (a: NodeSums, b: NodeSums) -> NodeSums {
        NodeSums(gradient: a.gradient - b.gradient, hessian: a.hessian - b.hessian, count: a.count - b.count)
    }

    mutating func add(_ c: HistogramBin) {
        gradient += c.gradient
        hessian += c.hessian
        count += c.count
    }
}

/// A set of bin indices 0…255 (which bins of the split feature go to the left child).
struct BinSet: Equatable, Sendable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    @inline(__always)
    func contains(_ bin: Int) -> Bool {
        let w: UInt64
        switch bin >> 6 {
        case 0: w = words.0
        case 1: w = words.1
        case 2: w = words.2
        default: w = words.3
        }
        return (w >> UInt64(bin & 63)) & 1 == 1
    }

    mutating func insert(_ bin: Int) {
        let bit = UInt64(1) << UInt64(bin & 63)
        switch bin >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    static func == (a: BinSet, b: BinSet) -> Bool { a.words == b.words }

    /// A 256-entry table `table[b] = contains(b)` for branch-free partitioning.
    func table() -> [Bool] { (0..<256).map { contains($0) } }
}

/// Leaf-output algebra with L1/L2 regularisation and output bounds (LightGBM `feature_histogram`).
///
/// With `T(G) = sign(G)·max(|G| − λ₁, 0)`: the optimal output is `w* = −T(G)/(H + λ₂)`, clamped
/// to `[lower, upper]` (monotone bounds), and the loss reduction of a leaf with output w is
/// `gain(w) = −(2·T(G)·w + (H + λ₂)·w²)`, which equals `T(G)²/(H + λ₂)` at `w = w*`.
enum LeafMath {
    @inline(__always)
    static func thresholdL1(_ g: Double, _ l1: Double) -> Double {
        let r = abs(g) - l1
        return r > 0 ? (g > 0 ? r : -r) : 0
    }

    @inline(__always)
    static func output(_ s: NodeSums, l1: Double, l2: Double, lower: Double, upper: Double) -> Double {
        let d = s.hessian + l2
        let w = d > 0 ? -thresholdL1(s.gradient, l1) / d : 0
        return min(max(w, lower), upper)
    }

    @inline(__always)
    static func gain(_ s: NodeSums, l1: Double, l2: Double, output w: Double) -> Double {
        -(2 * thresholdL1(s.gradient, l1) * w + (s.hessian + l2) * w * w)
    }
}

/// The best split found for a leaf.
struct SplitInfo: Sendable {
    var feature: Int
    /// Loss reduction `gain(left) + gain(right) − gain(parent)` (> minSplitGain).
    var gain: Double
    var isCategorical: Bool
    /// Numeric: bins `0...thresholdBin` go left (plus the missing bin when ``defaultLeft``).
    var thresholdBin: Int
    /// Whether the missing bin goes left.
    var defaultLeft: Bool
    /// Every bin that goes left (numeric and categorical alike).
    var leftBins: BinSet
    var left: NodeSums
    var right: NodeSums
    /// Unshrunk outputs of the two children.
    var leftOutput: Double
    var rightOutput: Double
}

/// Stage 3: the best split of a leaf from its histogram.
///
/// Numeric features are scanned left to right over bins twice — missing values sent right,
/// then left — so each split learns its default direction (when the node has no missing values,
/// they default to the child with more rows, as scikit-learn does). Categorical features order
/// their bins (including "other" and "missing") by `G/(H + s)` and try every prefix of up to
/// `maxCategoriesPerSplit` bins from either end, with `λ₂ + catL2` (LightGBM). A candidate needs
/// `minDataInLeaf` rows and `minHessianInLeaf` hessian on each side; under a monotone
/// constraint +1 (−1) it needs `w_left ≤ w_right` (`≥`), with both outputs clamped to the leaf's bounds.
struct SplitFinder: Sendable {
    let lambdaL1: Double
    let lambdaL2: Double
    let minDataInLeaf: Int
    let minHessianInLeaf: Double
    let minSplitGain: Double
    let categoricalSmoothing: Double
    let categoricalL2: Double
    let maxCategoriesPerSplit: Int
    let minDataPerCategory: Int
    /// Per feature: bin count including the missing bin.
    let binCounts: [Int]
    let histogramOffsets: [Int]
    let isCategorical: [Bool]
    /// Per feature monotone constraint (−1, 0, +1).
    let monotone: [Int8]

    init(config: GBDTConfig, mappers: [FeatureBinMapper], histogramOffsets: [Int]) {
        lambdaL1 = config.lambdaL1
        lambdaL2 = config.lambdaL2
        minDataInLeaf = config.minDataInLeaf
        minHessianInLeaf = config.minHessianInLeaf
        minSplitGain = config.minSplitGain
        categoricalSmoothing = config.categoricalSmoothing
        categoricalL2 = config.categoricalL2
        maxCategoriesPerSplit = config.maxCategoriesPerSplit
        minDataPerCategory = config.minDataPerCategory
        binCounts = mappers.map(\.binCount)
        self.histogramOffsets = histogramOffsets
        isCategorical = mappers.map { $0.kind == .categorical }
        monotone = config.monotoneConstraints.isEmpty
            ? Array(repeating: 0, count: mappers.count) : config.monotoneConstraints
    }

    /// The best split over the `used` features of a leaf with sums `total`, output `parentOutput`
    /// and output bounds `[lower, upper]`; `nil` when no split improves the loss by more than
    /// `minSplitGain` under the limits.
    func best(hist: UnsafePointer<HistogramBin>, total: NodeSums, parentOutput: Double, lower: Double, upper: Double,
              used: [Bool]) -> SplitInfo? {
        if total.count < 2 * minDataInLeaf || total.hessian < 2 * minHessianInLeaf { return nil }
        let parentGain = LeafMath.gain(total, l1: lambdaL1, l2: lambdaL2, output: parentOutput)
        var best: SplitInfo? = nil
        for j in 0..<binCounts.count where used[j] {
            let h = hist + histogramOffsets[j]
            let candidate = isCategorical[j]
                ? bestCategorical(feature: j, hist: h, total: total, parentGain: parentGain, lower: lower, upper: upper)
                : bestNumeric(feature: j, hist: h, total: total, parentGain: parentGain, lower: lower, upper: upper)
            if let c = candidate, c.gain > (best?.gain ?? -Double.infinity) { best = c }
        }
        return best
    }

    @inline(__always)
    private func admissible(_ s: NodeSums) -> Bool {
        s.count >= minDataInLeaf && s.hessian >= minHessianInLeaf
    }

    func bestNumeric(feature j: Int, hist: UnsafePointer<HistogramBin>, total: NodeSums, parentGain: Double,
                     lower: Double, upper: Double) -> SplitInfo? {
        let nb = binCounts[j] - 1  // non-missing bins; hist[nb] is the missing bin
        let missing = hist[nb]
        let mono = monotone[j]
        var bestGain = parentGain + minSplitGain
        var found = false
        var bestT = 0, bestMissingLeft = false
        var bestLeft = NodeSums.zero, bestWL = 0.0, bestWR = 0.0
        for missingLeft in (missing.count > 0 ? [false, true] : [false]) {
            var left = NodeSums.zero
            if missingLeft { left.add(missing) }
            for t in 0..<nb {
                left.add(hist[t])
                if !admissible(left) { continue }
                let right = total - left
                if !admissible(right) { break }
                let wl = LeafMath.output(left, l1: lambdaL1, l2: lambdaL2, lower: lower, upper: upper)
                let wr = LeafMath.output(right, l1: lambdaL1, l2: lambdaL2, lower: lower, upper: upper)
                if (mono > 0 && wl > wr) || (mono < 0 && wl < wr) { continue }
                let g = LeafMath.gain(left, l1: lambdaL1, l2: lambdaL2, output: wl)
                    + LeafMath.gain(right, l1: lambdaL1, l2: lambdaL2, output: wr)
                if g > bestGain {
                    bestGain = g; found = true
                    bestT = t; bestMissingLeft = missingLeft; bestLeft = left; bestWL = wl; bestWR = wr
                }
            }
        }
        guard found else { return nil }
        let right = total - bestLeft
        // Without missing values in the node, missing values follow the bigger child.
        let defaultLeft = missing.count > 0 ? bestMissingLeft : bestLeft.count >= right.count
        var set = BinSet()
        for b in 0...bestT { set.insert(b) }
        if defaultLeft { set.insert(nb) }
        return SplitInfo(feature: j, gain: bestGain - parentGain, isCategorical: false, thresholdBin: bestT,
                         defaultLeft: defaultLeft, leftBins: set, left: bestLeft, right: right,
                         leftOutput: bestWL, rightOutput: bestWR)
    }

    func bestCategorical(feature j: Int, hist: UnsafePointer<HistogramBin>, total: NodeSums, parentGain: Double,
                         lower: Double, upper: Double) -> SplitInfo? {
        let bins = binCounts[j]
        let l2 = lambdaL2 + categoricalL2
        var eligible: [Int] = []
        eligible.reserveCapacity(bins)
        for b in 0..<bins where hist[b].count >= max(1, minDataPerCategory) { eligible.append(b) }
        if eligible.isEmpty { return nil }
        let s = categoricalSmoothing
        func ratio(_ b: Int) -> Double { hist[b].gradient / (hist[b].hessian + s) }
        eligible.sort { ratio($0) != ratio($1) ? ratio($0) < ratio($1) : $0 < $1 }
        let maxK = min(maxCategoriesPerSplit, (eligible.count + 1) / 2)
        var bestGain = parentGain + minSplitGain
        var found = false
        var bestK = 0, bestAscending = true, bestLeft = NodeSums.zero, bestWL = 0.0, bestWR = 0.0
        for ascending in [true, false] {
            var left = NodeSums.zero
            for k in 0..<maxK {
                let b = ascending ? eligible[k] : eligible[eligible.count - 1 - k]
                left.add(hist[b])
                if !admissible(left) { continue }
                let right = total - left
                if !admissible(right) { break }
                let wl = LeafMath.output(left, l1: lambdaL1, l2: l2, lower: lower, upper: upper)
                let wr = LeafMath.output(right, l1: lambdaL1, l2: l2, lower: lower, upper: upper)
                let g = LeafMath.gain(left, l1: lambdaL1, l2: l2, output: wl)
                    + LeafMath.gain(right, l1: lambdaL1, l2: l2, output: wr)
                if g > bestGain {
                    bestGain = g; found = true
                    bestK = k; bestAscending = ascending; bestLeft = left; bestWL = wl; bestWR = wr
                }
            }
        }
        guard found else { return nil }
        var set = BinSet()
        for k in 0...bestK { set.insert(bestAscending ? eligible[k] : eligible[eligible.count - 1 - k]) }
        let missingBin = bins - 1
        return SplitInfo(feature: j, gain: bestGain - parentGain, isCategorical: true, thresholdBin: -1,
                         defaultLeft: set.contains(missingBin), leftBins: set, left: bestLeft, right: total - bestLeft,
                         leftOutput: bestWL, rightOutput: bestWR)
    }
}
