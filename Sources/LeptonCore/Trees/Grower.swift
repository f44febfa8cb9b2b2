/// A tree as grown on binned data, before conversion to raw thresholds.
struct GrownTree: Sendable {
    /// Internal nodes: split and children (≥ 0 node, < 0 leaf `~c`).
    var splits: [SplitInfo] = []
    var routing = BinnedTreeRouting()
    /// Unshrunk leaf outputs.
    var leafOutputs: [Double] = []
    var leafCounts: [Int] = []
    var leafDepths: [Int] = []
    /// Each leaf's run of row indices in the grower's partition (valid until the next `grow`).
    var leafSegments: [(begin: Int, count: Int)] = []
}

/// Stage 4: leaf-wise tree growth (LightGBM `SerialTreeLearner`).
///
/// Repeatedly splits the leaf with the largest gain until `maxLeaves` leaves exist or no leaf
/// has an admissible split (depth limit, `minDataInLeaf`, `minHessianInLeaf`, `minSplitGain`).
/// Rows live in one index array, partitioned stably in place per split (LightGBM
/// `DataPartition`), so each leaf owns a contiguous run in ascending row order. After a split
/// only the smaller child's histogram is built; the larger one is `parent − smaller`.
///
/// Monotone constraints use LightGBM's basic method: a split on a +1 feature needs
/// `w_left ≤ w_right`; then with `m = (w_left + w_right)/2` the left subtree's outputs are
/// bounded above by m and the right subtree's below by m (reversed for −1). Every leaf left
/// of such a split is ≤ m ≤ every leaf right of it, so the tree — and a sum of such trees —
/// is monotone in that feature.
final class TreeGrower: @unchecked Sendable {
    let data: BinnedData
    let finder: SplitFinder
    let builder: HistogramBuilder
    let maxLeaves: Int
    let maxDepth: Int
    let histSize: Int
    private let pool: UnsafeMutablePointer<HistogramBin>
    private let indices: UnsafeMutablePointer<Int32>
    private let scratch: UnsafeMutablePointer<Int32>

    private struct Leaf {
        var begin: Int
        var count: Int
        var slot: Int
        var sums: NodeSums
        var output: Double
        var depth: Int
        var lower: Double
        var upper: Double
        var split: SplitInfo?
        /// Node whose child pointer refers to this leaf (−1 for the root leaf) and on which side.
        var parent: Int
        var isLeft: Bool
    }

    init(data: BinnedData, config: GBDTConfig, threads: Int) {
        self.data = data
        finder = SplitFinder(config: config, mappers: data.mappers, histogramOffsets: data.histogramOffsets)
        builder = HistogramBuilder(histogramOffsets: data.histogramOffsets, rowStride: data.rowStride, threads: threads)
        maxLeaves = config.maxLeaves
        maxDepth = config.maxDepth ?? Int.max
        histSize = data.histogramOffsets.last!
        pool = .allocate(capacity: max(1, maxLeaves * histSize))
        pool.initialize(repeating: .zero, count: max(1, maxLeaves * histSize))
        indices = .allocate(capacity: max(1, data.rowCount))
        scratch = .allocate(capacity: max(1, data.rowCount))
    }

    deinit {
        pool.deallocate()
        indices.deallocate()
        scratch.deallocate()
    }

    /// The row indices of the last grown tree's partition (leaf segments index into it).
    func partition(_ begin: Int, _ count: Int) -> UnsafeBufferPointer<Int32> {
        UnsafeBufferPointer(start: indices + begin, count: count)
    }

    /// Grows one tree on `rows` (ascending row numbers) with per-row derivatives, considering
    /// only features with `used[j]`.
    func grow(rows: [Int32], derivatives: UnsafePointer<SIMD2<Float>>, used: [Bool]) -> GrownTree {
        let m = rows.count
        rows.withUnsafeBufferPointer { src in
            if m > 0 { indices.update(from: src.baseAddress!, count: m) }
        }
        var total = NodeSums.zero
        for i in 0..<m {
            let r = Int(indices[i])
            total.gradient += Double(derivatives[r].x)
            total.hessian += Double(derivatives[r].y)
        }
        total.count = m
        var tree = GrownTree()
        let bins = data.bins
        return bins.withUnsafeBufferPointer { bp -> GrownTree in
            let binPtr = bp.baseAddress!
            let rootOutput = LeafMath.output(total, l1: finder.lambdaL1, l2: finder.lambdaL2,
                                             lower: -.infinity, upper: .infinity)
            var leaves = [Leaf(begin: 0, count: m, slot: 0, sums: total, output: rootOutput, depth: 0,
                               lower: -.infinity, upper: .infinity, split: nil, parent: -1, isLeft: false)]
            var freeSlots = Array((1..<maxLeaves).reversed())
            if canSplit(leaves[0]) {
                builder.build(rows: UnsafeBufferPointer(start: indices, count: m), bins: binPtr,
                              derivatives: derivatives, into: pool)
                leaves[0].split = finder.best(hist: pool, total: total, parentOutput: rootOutput,
                                              lower: -.infinity, upper: .infinity, used: used)
            }
            while leaves.count < maxLeaves {
                // The leaf with the largest gain (first on ties).
                var pick = -1, pickGain = -Double.infinity
                for (i, l) in leaves.enumerated() { if let s = l.split, s.gain > pickGain { pick = i; pickGain = s.gain } }
                if pick < 0 { break }
                let parent = leaves[pick]
                let split = parent.split!
                let node = tree.splits.count
                // Link the new node where the leaf was.
                if parent.parent >= 0 {
                    if parent.isLeft { tree.routing.left[parent.parent] = Int32(node) } else { tree.routing.right[parent.parent] = Int32(node) }
                }
                let rightId = leaves.count
                tree.splits.append(split)
                tree.routing.features.append(split.feature)
                tree.routing.leftBins.append(split.leftBins)
                tree.routing.left.append(~Int32(pick))
                tree.routing.right.append(~Int32(rightId))
                let leftCount = partition(begin: parent.begin, count: parent.count, feature: split.feature,
                                          leftBins: split.leftBins, bins: binPtr)
                precondition(leftCount == split.left.count, "partition disagrees with the histogram")

                var lower = (parent.lower, parent.lower), upper = (parent.upper, parent.upper)
                let mono = finder.monotone[split.feature]
                if mono != 0 {
                    let mid = (split.leftOutput + split.rightOutput) / 2
                    if mono > 0 { upper.0 = min(upper.0, mid); lower.1 = max(lower.1, mid) } else { lower.0 = max(lower.0, mid); upper.1 = min(upper.1, mid) }
                }
                var l = Leaf(begin: parent.begin, count: leftCount, slot: parent.slot, sums: split.left,
                             output: split.leftOutput, depth: parent.depth + 1, lower: lower.0, upper: upper.0,
                             split: nil, parent: node, isLeft: true)
                var r = Leaf(begin: parent.begin + leftCount, count: parent.count - leftCount, slot: -1, sums: split.right,
                             output: split.rightOutput, depth: parent.depth + 1, lower: lower.1, upper: upper.1,
                             split: nil, parent: node, isLeft: false)
                let willSplitMore = leaves.count + 1 < maxLeaves
                if willSplitMore && (canSplit(l) || canSplit(r)) {
                    // Build the smaller child, subtract it from the parent for the larger one.
                    let newSlot = freeSlots.removeLast()
                    let parentHist = pool + parent.slot * histSize, newHist = pool + newSlot * histSize
                    let leftSmaller = l.count <= r.count
                    let small = leftSmaller ? l : r
                    builder.build(rows: UnsafeBufferPointer(start: indices + small.begin, count: small.count), bins: binPtr,
                                  derivatives: derivatives, into: newHist)
                    HistogramBuilder.subtract(newHist, from: parentHist, size: histSize)
                    if leftSmaller { l.slot = newSlot; r.slot = parent.slot } else { r.slot = newSlot; l.slot = parent.slot }
                    if canSplit(l) {
                        l.split = finder.best(hist: pool + l.slot * histSize, total: l.sums, parentOutput: l.output,
                                              lower: l.lower, upper: l.upper, used: used)
                    }
                    if canSplit(r) {
                        r.split = finder.best(hist: pool + r.slot * histSize, total: r.sums, parentOutput: r.output,
                                              lower: r.lower, upper: r.upper, used: used)
                    }
                } else {
                    l.slot = parent.slot
                }
                leaves[pick] = l
                leaves.append(r)
            }
            tree.leafOutputs = leaves.map(\.output)
            tree.leafCounts = leaves.map(\.count)
            tree.leafDepths = leaves.map(\.depth)
            tree.leafSegments = leaves.map { ($0.begin, $0.count) }
            return tree
        }
    }

    private func canSplit(_ l: Leaf) -> Bool {
        l.depth < maxDepth && l.count >= 2 * finder.minDataInLeaf && l.sums.hessian >= 2 * finder.minHessianInLeaf
    }

    /// Stable in-place partition of `indices[begin ..< begin+count]`: rows whose bin of `feature`
    /// is in `leftBins` first. Returns the number of left rows.
    private func partition(begin: Int, count: Int, feature: Int, leftBins: BinSet, bins: UnsafePointer<UInt8>) -> Int {
        let table = leftBins.table()
        let f = data.rowStride
        return table.withUnsafeBufferPointer { t in
            var nl = 0, nr = 0
            let seg = indices + begin
            for i in 0..<count {
                let r = seg[i]
                if t[Int(bins[Int(r) &* f &+ feature])] {
                    seg[nl] = r; nl += 1  // nl ≤ i: writes stay behind the read cursor
                } else {
                    scratch[nr] = r; nr += 1
                }
            }
            (seg + nl).update(from: scratch, count: nr)
            return nl
        }
    }
}
