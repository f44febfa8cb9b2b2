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
/// Rows live in one index array, partitioned stably per split (LightGBM `DataPartition`), so
/// each leaf owns a contiguous run in ascending row order; the rows' (gradient, hessian) pairs
/// are moved along in a parallel array (LightGBM's ordered gradients), so histograms read them
/// sequentially. Large partitions run on all threads (each chunk splits its rows into left and
/// right buffers, then the chunks' runs are concatenated); a stable partition is unique, so the
/// result does not depend on the chunking. After a split only the smaller child's histogram is
/// built; the larger one is `parent − smaller`.
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
    let threads: Int
    private let indices: UnsafeMutablePointer<Int32>
    /// `ordered[k]` = derivatives of row `indices[k]`.
    private let ordered: UnsafeMutablePointer<SIMD2<Float>>
    /// Partition buffers for left and right rows (indices and derivatives).
    private let leftRows: UnsafeMutablePointer<Int32>
    private let rightRows: UnsafeMutablePointer<Int32>
    private let leftDerivatives: UnsafeMutablePointer<SIMD2<Float>>
    private let rightDerivatives: UnsafeMutablePointer<SIMD2<Float>>

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
        self.threads = max(1, threads)
        let n = max(1, data.rowCount)
        indices = .allocate(capacity: n)
        ordered = .allocate(capacity: n)
        leftRows = .allocate(capacity: n)
        rightRows = .allocate(capacity: n)
        leftDerivatives = .allocate(capacity: n)
        rightDerivatives = .allocate(capacity: n)
    }

    deinit {
        pool.deallocate()
        indices.deallocate()
        ordered.deallocate()
        leftRows.deallocate()
        rightRows.deallocate()
        leftDerivatives.deallocate()
        rightDerivatives.deallocate()
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
        let box = UncheckedSendableBox((indices, ordered, derivatives))
        parallelFor(m, threads: threads, minimumPerThread: 65_536) { range in
            let (idx, ord, d) = box.value
            for i in range { ord[i] = d[Int(idx[i])] }
        }
        var total = NodeSums.zero
        for i in 0..<m {
            total.gradient += Double(ordered[i].x)
            total.hessian += Double(ordered[i].y)
        }
        total.count = m
        var tree = GrownTree()
        let bins = data.bins, columns = data.columns
        return bins.withUnsafeBufferPointer { bp -> GrownTree in
          columns.withUnsafeBufferPointer { cp -> GrownTree in
            let binPtr = bp.baseAddress!, columnPtr = cp.baseAddress!
            let rootOutput = LeafMath.output(total, l1: finder.lambdaL1, l2: finder.lambdaL2,
                                             lower: -.infinity, upper: .infinity)
            var leaves = [Leaf(begin: 0, count: m, slot: 0, sums: total, output: rootOutput, depth: 0,
                               lower: -.infinity, upper: .infinity, split: nil, parent: -1, isLeft: false)]
            var freeSlots = Array((1..<maxLeaves).reversed())
            if canSplit(leaves[0]) {
                builder.build(rows: UnsafeBufferPointer(start: indices, count: m), bins: binPtr,
                              derivatives: ordered, into: pool)
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
                                          leftBins: split.leftBins, columns: columnPtr)
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
                                  derivatives: ordered + small.begin, into: newHist)
                    HistogramBuilder.subtract(newHist, from: parentHist, size: histSize)
                    if leftSmaller { l.slot = newSlot; r.slot = parent.slot } else { r.slot = newSlot; l.slot = parent.slot }
                    // Both children's searches at once (each is independent and serial inside).
                    let children = [l, r].filter { canSplit($0) }
                    var found = [SplitInfo?](repeating: nil, count: children.count)
                    found.withUnsafeMutableBufferPointer { out in
                        let box = UncheckedSendableBox((out, pool, children))
                        parallelTasks(children.count, threads: threads) { k in
                            let (out, pool, children) = box.value
                            let c = children[k]
                            out[k] = self.finder.best(hist: pool + c.slot * self.histSize, total: c.sums, parentOutput: c.output,
                                                      lower: c.lower, upper: c.upper, used: used)
                        }
                    }
                    if canSplit(l) { l.split = found[0] }
                    if canSplit(r) { r.split = found[children.count - 1] }
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
    }

    private func canSplit(_ l: Leaf) -> Bool {
        l.depth < maxDepth && l.count >= 2 * finder.minDataInLeaf && l.sums.hessian >= 2 * finder.minHessianInLeaf
    }

    /// Stable partition of `indices[begin ..< begin+count]` (and their ordered derivatives):
    /// rows whose bin of `feature` is in `leftBins` first. Returns the number of left rows.
    ///
    /// The range is cut into chunks (2 per thread for large nodes); each chunk writes its left
    /// and right rows, branch-free, to the same positions of the left and right buffers; then
    /// every chunk copies its two runs to their final places (lefts of chunks 0, 1, …, then
    /// rights of chunks 0, 1, …). Stable, so the result is the same for any chunking.
    private func partition(begin: Int, count: Int, feature: Int, leftBins: BinSet, columns: UnsafePointer<UInt8>) -> Int {
        var table = [UInt8](repeating: 0, count: 256)
        for b in 0..<256 where leftBins.contains(b) { table[b] = 1 }
        let chunks = count < 32_768 ? 1 : min(2 * threads, 16)
        let per = (count + chunks - 1) / chunks
        var lefts = [Int](repeating: 0, count: chunks)
        let column = columns + feature * data.rowCount
        let seg = indices + begin, segD = ordered + begin
        let lr = leftRows + begin, rr = rightRows + begin, ld = leftDerivatives + begin, rd = rightDerivatives + begin
        table.withUnsafeBufferPointer { t in
            lefts.withUnsafeMutableBufferPointer { nl in
                let box = UncheckedSendableBox((t.baseAddress!, nl.baseAddress!))
                parallelTasks(chunks, threads: threads) { c in
                    let (t, nl) = box.value
                    let lo = c * per, hi = min(count, lo + per)
                    var l = lo, r = lo
                    for i in lo..<max(lo, hi) {
                        let row = seg[i], d = segD[i]
                        let goLeft = Int(t[Int(column[Int(row)])])
                        lr[l] = row; ld[l] = d
                        rr[r] = row; rd[r] = d
                        l &+= goLeft
                        r &+= 1 &- goLeft
                    }
                    nl[c] = l - lo
                }
            }
        }
        // Destinations: lefts of chunk c after the lefts of chunks < c; rights after all lefts.
        let totalLeft = lefts.reduce(0, +)
        var leftAt = [Int](repeating: 0, count: chunks), rightAt = [Int](repeating: 0, count: chunks)
        var la = 0, ra = totalLeft
        for c in 0..<chunks {
            let lo = c * per, hi = min(count, lo + per)
            leftAt[c] = la; rightAt[c] = ra
            la += lefts[c]; ra += max(0, hi - lo) - lefts[c]
        }
        let box = UncheckedSendableBox((leftAt, rightAt, lefts))
        parallelTasks(chunks, threads: threads) { c in
            let (leftAt, rightAt, lefts) = box.value
            let lo = c * per, hi = min(count, lo + per)
            guard lo < hi else { return }
            let nl = lefts[c], nr = hi - lo - nl
            (seg + leftAt[c]).update(from: lr + lo, count: nl)
            (segD + leftAt[c]).update(from: ld + lo, count: nl)
            (seg + rightAt[c]).update(from: rr + lo, count: nr)
            (segD + rightAt[c]).update(from: rd + lo, count: nr)
        }
        return totalLeft
    }
}
