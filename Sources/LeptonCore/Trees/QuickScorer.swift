/// Tree-ensemble scoring by QuickScorer (Lucchese et al., SIGIR 2015): instead of walking each
/// tree from its root, visit every split node of the forest feature by feature in ascending order
/// of threshold and mark, with one AND, the leaves a false split rules out.
///
/// **Why it works.** Number each tree's leaves left to right and keep one bit per leaf. A split
/// that sends the row right (`x > t`) rules out exactly the leaves of its left subtree; the leaf
/// the row reaches is the leftmost one no false split rules out — the lowest set bit of
/// `v_t = AND of the false splits' masks`. For one feature, the splits with `t < x` are a prefix
/// of the thresholds sorted ascending, so each feature costs one scan that stops at the first
/// true split: no branch depends on the tree's shape, and a row costs about one AND per false
/// split (half the nodes) instead of a mispredicted branch per level.
///
/// Missing values: a split sends NaN right when its default is right, so a missing feature ANDs
/// the masks of those splits. Categorical splits (and any split whose threshold is NaN) are
/// decided one by one with ``GBDTTree/goesLeft(_:_:_:)``. The leaf reached in each tree is the
/// plain walk's, and the leaf values are added in tree order, so the margin equals
/// ``Forest/Pointers/sumNaive(row:)`` to the bit (tested). Trees of more than 64 leaves do not
/// fit a bit mask; a forest with one is walked plainly.
final class QuickScorer: @unchecked Sendable {
    /// Tree count and feature count.
    let trees: Int
    let features: Int
    /// A split as the scan reads it: the leaves it leaves standing when false, and its tree.
    struct Split {
        var mask: UInt64
        var tree: Int
    }

    /// Numeric splits of feature j: `featureStart[j] ..< featureStart[j + 1]`, by threshold
    /// ascending, each feature's list closed by a sentinel (threshold +∞, the spare tree slot
    /// `trees`) that stops the scan for any x that is not NaN.
    private let featureStart: UnsafeMutablePointer<Int>
    private let thresholds: UnsafeMutablePointer<Float>
    private let splits: UnsafeMutablePointer<Split>
    /// Splits that send a missing value right, per feature: `missingStart[j] ..< missingStart[j + 1]`.
    private let missingStart: UnsafeMutablePointer<Int>
    private let missingTree: UnsafeMutablePointer<Int32>
    private let missingMask: UnsafeMutablePointer<UInt64>
    /// Splits decided one at a time (categorical, or a NaN threshold).
    private let otherNodes: [GBDTTree.Node]
    private let otherTree: [Int32]
    private let otherMask: [UInt64]
    private let bits: [UInt32]
    /// Per tree: the mask of all its leaves, and its leaf values left to right from `leafStart[t]`.
    private let allLeaves: UnsafeMutablePointer<UInt64>
    private let leafStart: UnsafeMutablePointer<Int>
    private let leafValues: UnsafeMutablePointer<Double>

    /// The scorer of `trees` over `featureCount` features, or nil when a tree has more than 64
    /// leaves or reaches a node or leaf from two parents (the plain walk handles both).
    init?(_ treeList: [GBDTTree], featureCount: Int) {
        guard treeList.allSatisfy({ $0.leafCount <= 64 && $0.isTree }) else { return nil }
        trees = treeList.count
        features = featureCount
        var numeric: [[(threshold: Float, tree: Int32, mask: UInt64)]] = Array(repeating: [], count: featureCount)
        var missing: [[(tree: Int32, mask: UInt64)]] = Array(repeating: [], count: featureCount)
        var otherNodes: [GBDTTree.Node] = [], otherTree: [Int32] = [], otherMask: [UInt64] = []
        var bits: [UInt32] = [], allLeaves: [UInt64] = [], leafStart = [0], values: [Double] = []
        for (t, tree) in treeList.enumerated() {
            let bitBase = Int32(bits.count)
            bits += tree.categoryBits
            // Leaves numbered left to right; each node's left subtree as a range of those numbers.
            var order: [Int] = []
            var leftRange = [(Int, Int)](repeating: (0, 0), count: tree.nodes.count)
            func visit(_ c: Int32) -> (Int, Int) {
                if c < 0 {
                    order.append(Int(~c))
                    return (order.count - 1, order.count)
                }
                let n = tree.nodes[Int(c)]
                let l = visit(n.left), r = visit(n.right)
                leftRange[Int(c)] = l
                return (l.0, r.1)
            }
            if tree.nodes.isEmpty { order = [0] } else { _ = visit(0) }
            let full: UInt64 = order.count == 64 ? .max : (1 << UInt64(order.count)) - 1
            allLeaves.append(full)
            values += order.map { tree.leafValues[$0] }
            leafStart.append(values.count)
            for (k, n) in tree.nodes.enumerated() {
                let (lo, hi) = leftRange[k]
                let leftLeaves: UInt64 = (hi - lo == 64 ? .max : ((1 << UInt64(hi - lo)) - 1)) << UInt64(lo)
                let mask = full & ~leftLeaves
                if n.isCategorical || n.threshold.isNaN {
                    var node = n
                    node.categoryStart += bitBase
                    otherNodes.append(node); otherTree.append(Int32(t)); otherMask.append(mask)
                } else {
                    numeric[Int(n.feature)].append((n.threshold, Int32(t), mask))
                    if !n.defaultLeft { missing[Int(n.feature)].append((Int32(t), mask)) }
                }
            }
        }
        let splitCount = numeric.reduce(0) { $0 + $1.count } + featureCount, missingSplits = missing.reduce(0) { $0 + $1.count }
        featureStart = .allocate(capacity: featureCount + 1)
        thresholds = .allocate(capacity: max(1, splitCount))
        splits = .allocate(capacity: max(1, splitCount))
        missingStart = .allocate(capacity: featureCount + 1)
        missingTree = .allocate(capacity: max(1, missingSplits))
        missingMask = .allocate(capacity: max(1, missingSplits))
        var at = 0, missingAt = 0
        for j in 0..<featureCount {
            featureStart[j] = at
            missingStart[j] = missingAt
            // A stable sort keeps equal thresholds in tree order (any order gives the same ANDs).
            for s in numeric[j].enumerated().sorted(by: { ($0.element.threshold, $0.offset) < ($1.element.threshold, $1.offset) }) {
                thresholds[at] = s.element.threshold
                splits[at] = Split(mask: s.element.mask, tree: Int(s.element.tree))
                at += 1
            }
            // The sentinel: no x is above +∞ (NaN is scanned elsewhere), so the scan stops here
            // at the latest; its slot is a spare, never read.
            thresholds[at] = .infinity
            splits[at] = Split(mask: .max, tree: treeList.count)
            at += 1
            for m in missing[j] {
                missingTree[missingAt] = m.tree; missingMask[missingAt] = m.mask
                missingAt += 1
            }
        }
        featureStart[featureCount] = at
        missingStart[featureCount] = missingAt
        self.otherNodes = otherNodes; self.otherTree = otherTree; self.otherMask = otherMask; self.bits = bits
        self.allLeaves = .allocate(capacity: max(1, trees))
        self.allLeaves.initialize(from: allLeaves, count: trees)
        self.leafStart = .allocate(capacity: trees + 1)
        self.leafStart.initialize(from: leafStart, count: trees + 1)
        leafValues = .allocate(capacity: max(1, values.count))
        leafValues.initialize(from: values, count: values.count)
    }

    deinit {
        for p in [featureStart, leafStart, missingStart] { p.deallocate() }
        thresholds.deallocate(); splits.deallocate()
        missingTree.deallocate(); missingMask.deallocate()
        allLeaves.deallocate(); leafValues.deallocate()
    }

    /// `Σₜ treeₜ(row)` for a row-major row of ``features`` values, with `leaves` as scratch
    /// (one word per tree and a spare).
    @inline(__always)
    func sum(row: UnsafePointer<Float>, leaves v: UnsafeMutablePointer<UInt64>) -> Double {
        // The pointers in locals: the ANDs through `v` would otherwise make the compiler reload them.
        let thresholds = thresholds, splits = splits, featureStart = featureStart
        let missingStart = missingStart, missingTree = missingTree, missingMask = missingMask
        let trees = trees, features = features
        v.initialize(from: allLeaves, count: trees)
        for j in 0..<features {
            let x = row[j]
            if x.isNaN {
                for i in missingStart[j]..<missingStart[j + 1] { v[Int(missingTree[i])] &= missingMask[i] }
            } else {
                var i = featureStart[j]
                while thresholds[i] < x {
                    v[splits[i].tree] &= splits[i].mask
                    i += 1
                }
            }
        }
        if !otherNodes.isEmpty {
            bits.withUnsafeBufferPointer { bp in
                let b = bp.baseAddress ?? UnsafePointer(bitPattern: 64)!
                for k in otherNodes.indices where !GBDTTree.goesLeft(otherNodes[k], row[Int(otherNodes[k].feature)], b) {
                    v[Int(otherTree[k])] &= otherMask[k]
                }
            }
        }
        let leafStart = leafStart, leafValues = leafValues
        var s = 0.0
        for t in 0..<trees { s += leafValues[leafStart[t] + v[t].trailingZeroBitCount] }
        return s
    }

    /// Rows scored at once by ``sum(rows:count:into:lanes:)``.
    static let blockRows = 8

    /// `Σₜ treeₜ(row)` for each of `count` (≤ ``blockRows``) row-major rows at `rows`, into
    /// `out[0 ..< count]`, with `lanes` as scratch (``blockRows`` words per tree and a spare).
    ///
    /// The vectorised QuickScorer (Lucchese et al., SIGIR 2016): the rows are lanes. For each
    /// feature, one threshold is compared with all eight rows' values at once, and each row's
    /// leaf mask of that split's tree is ANDed where the split is false for it; the scan stops
    /// at the first threshold no row exceeds. The leaves reached are the one-row scan's, and the
    /// leaf values are added in tree order, so every sum equals ``sum(row:leaves:)`` to the bit.
    func sum(rows: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Double>,
             lanes v: UnsafeMutablePointer<SIMD8<UInt64>>) {
        precondition(count >= 0 && count <= Self.blockRows)
        let thresholds = thresholds, splits = splits, featureStart = featureStart
        let missingStart = missingStart, missingTree = missingTree, missingMask = missingMask
        let trees = trees, features = features
        for t in 0..<trees { v[t] = SIMD8(repeating: allLeaves[t]) }
        for j in 0..<features {
            // Missing values and the lanes past `count` scan as −∞: no split is true for them.
            var x = SIMD8<Double>(repeating: -.infinity)
            var missing = false
            for k in 0..<count {
                let value = rows[k * features + j]
                if value.isNaN { missing = true } else { x[k] = Double(value) }
            }
            var i = featureStart[j]
            while true {
                let falseSplit = SIMD8<Double>(repeating: Double(thresholds[i])) .< x
                guard any(falseSplit) else { break }
                let keep = SIMD8<UInt64>(truncatingIfNeeded: unsafeBitCast(falseSplit, to: SIMD8<Int64>.self))
                v[splits[i].tree] &= SIMD8(repeating: splits[i].mask) | ~keep
                i += 1
            }
            if missing {
                for k in 0..<count where rows[k * features + j].isNaN {
                    for m in missingStart[j]..<missingStart[j + 1] { v[Int(missingTree[m])][k] &= missingMask[m] }
                }
            }
        }
        if !otherNodes.isEmpty {
            bits.withUnsafeBufferPointer { bp in
                let b = bp.baseAddress ?? UnsafePointer(bitPattern: 64)!
                for n in otherNodes.indices {
                    let node = otherNodes[n], tree = Int(otherTree[n])
                    for k in 0..<count where !GBDTTree.goesLeft(node, rows[k * features + Int(node.feature)], b) {
                        v[tree][k] &= otherMask[n]
                    }
                }
            }
        }
        let leafStart = leafStart, leafValues = leafValues
        for k in 0..<count {
            var s = 0.0
            for t in 0..<trees { s += leafValues[leafStart[t] + v[t][k].trailingZeroBitCount] }
            out[k] = s
        }
    }

    /// `Σₜ treeₜ(row)` with scratch on the stack.
    func sum(row: UnsafePointer<Float>) -> Double {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: trees + 1) { sum(row: row, leaves: $0.baseAddress!) }
    }
}
