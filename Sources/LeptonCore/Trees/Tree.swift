/// One fitted regression tree in a flattened layout (stage 5: tree and predictor).
///
/// Internal nodes are numbered 0…L−2 (node 0 is the root) and stored as one array of small
/// ``Node`` values; a child reference `c ≥ 0` is an internal node and `c < 0` is the leaf `~c`
/// (`−c − 1`). A tree with one leaf has no nodes. At node k with feature j and raw value x:
/// - numeric: x goes left iff `x ≤ threshold`; `NaN` goes left iff ``Node/defaultLeft``;
/// - categorical: `NaN` or a negative code goes left iff ``Node/defaultLeft``; code c goes left iff
///   bit c of the node's bitset (words `categoryStart ..< categoryStart + categoryWordCount` of
///   ``categoryBits``, bit c at word c/32, bit c mod 32) is set; codes beyond the bitset go left
///   iff ``Node/otherLeft`` (categories unseen or rare in training).
///
/// Leaf values already include the learning rate. The prediction of the tree is the value of
/// the leaf reached.
public struct GBDTTree: Sendable, Equatable {
    /// An internal node (24 bytes, so a whole path of a shallow tree fits in a few cache lines).
    public struct Node: Sendable, Equatable {
        /// Split feature (column index).
        public var feature: Int32
        /// Bit 0: missing goes left; bit 1: categorical split; bit 2: unseen/rare categories go left.
        public var flags: UInt8
        /// Numeric threshold (x ≤ threshold goes left); unused for categorical splits.
        public var threshold: Float
        /// Left child: internal node if ≥ 0, leaf `~left` otherwise.
        public var left: Int32
        /// Right child: internal node if ≥ 0, leaf `~right` otherwise.
        public var right: Int32
        /// First word of the categorical bitset in ``GBDTTree/categoryBits``.
        public var categoryStart: Int32
        /// Number of 32-bit words of the categorical bitset.
        public var categoryWordCount: Int32

        /// Whether missing values go to the left child.
        public var defaultLeft: Bool { flags & 1 != 0 }
        /// Whether this is a categorical split.
        public var isCategorical: Bool { flags & 2 != 0 }
        /// Whether categories outside the bitset go to the left child.
        public var otherLeft: Bool { flags & 4 != 0 }

        public init(feature: Int32, flags: UInt8, threshold: Float, left: Int32, right: Int32,
                    categoryStart: Int32 = 0, categoryWordCount: Int32 = 0) {
            self.feature = feature; self.flags = flags; self.threshold = threshold
            self.left = left; self.right = right
            self.categoryStart = categoryStart; self.categoryWordCount = categoryWordCount
        }
    }

    /// Internal nodes (count = leaf count − 1).
    public var nodes: [Node]
    /// Leaf outputs, shrunk by the learning rate.
    public var leafValues: [Double]
    /// Concatenated categorical bitsets.
    public var categoryBits: [UInt32]
    /// Loss reduction of each node's split (for importance).
    public var splitGains: [Double]
    /// Training rows that reached each internal node (the cover used by TreeSHAP).
    public var nodeCounts: [Int]
    /// Training rows that reached each leaf.
    public var leafCounts: [Int]

    public init(nodes: [Node], leafValues: [Double], categoryBits: [UInt32], splitGains: [Double],
                nodeCounts: [Int], leafCounts: [Int]) {
        precondition(leafValues.count == nodes.count + 1, "a tree with n nodes has n + 1 leaves")
        precondition(splitGains.count == nodes.count && nodeCounts.count == nodes.count && leafCounts.count == leafValues.count,
                     "per-node and per-leaf arrays must match the tree")
        self.nodes = nodes; self.leafValues = leafValues; self.categoryBits = categoryBits
        self.splitGains = splitGains; self.nodeCounts = nodeCounts; self.leafCounts = leafCounts
    }

    /// Number of leaves.
    public var leafCount: Int { leafValues.count }

    /// Whether this is a tree, not a graph: every node but the root and every leaf has exactly
    /// one parent (a one-leaf tree's leaf is its root). A shared subtree would make a small
    /// model unfold into exponentially many paths.
    public var isTree: Bool {
        var nodeParents = [Int](repeating: 0, count: nodes.count), leafParents = [Int](repeating: 0, count: leafCount)
        for node in nodes {
            for child in [node.left, node.right] {
                if child >= 0 {
                    guard Int(child) < nodeParents.count else { return false }
                    nodeParents[Int(child)] += 1
                } else {
                    guard Int(~child) < leafParents.count else { return false }
                    leafParents[Int(~child)] += 1
                }
            }
        }
        if nodes.isEmpty { return leafParents.count == 1 }
        return nodeParents[0] == 0 && nodeParents.dropFirst().allSatisfy { $0 == 1 } && leafParents.allSatisfy { $0 == 1 }
    }

    /// Maximum number of edges from the root to a leaf.
    public var depth: Int {
        guard !nodes.isEmpty else { return 0 }
        var best = 0
        var stack: [(Int32, Int)] = [(0, 0)]
        while let (c, d) = stack.popLast() {
            if c < 0 { best = max(best, d); continue }
            let n = nodes[Int(c)]
            stack.append((n.left, d + 1)); stack.append((n.right, d + 1))
        }
        return best
    }

    /// Cover-weighted mean of the leaf values: `Σ_leaves value·count / Σ count`, the tree's
    /// expected output over its training rows (TreeSHAP's base value).
    public var expectedValue: Double {
        let total = leafCounts.reduce(0, +)
        guard total > 0 else { return leafValues.reduce(0, +) / Double(leafValues.count) }
        var s = 0.0
        for (v, c) in zip(leafValues, leafCounts) { s += v * Double(c) }
        return s / Double(total)
    }

    /// The decision at a node for raw value x: true for the left child.
    @inline(__always)
    static func goesLeft(_ node: Node, _ x: Float, _ bits: UnsafePointer<UInt32>) -> Bool {
        if node.flags & 2 == 0 {
            // Branch-free: (x ≤ t) or (x is NaN and missing goes left).
            let le = UInt8(x <= node.threshold ? 1 : 0), nan = UInt8(x.isNaN ? 1 : 0)
            return (le | (nan & node.flags)) & 1 != 0
        }
        guard let code = FeatureBinMapper.code(x) else { return node.flags & 1 != 0 }
        let word = code >> 5
        if word >= Int(node.categoryWordCount) { return node.flags & 4 != 0 }
        return (bits[Int(node.categoryStart) &+ word] >> UInt32(code & 31)) & 1 != 0
    }

    /// The leaf reached by a row whose feature j is `value(j)`.
    @inline(__always)
    func leaf(nodes: UnsafePointer<Node>, bits: UnsafePointer<UInt32>, _ value: (Int) -> Float) -> Int {
        if self.nodes.isEmpty { return 0 }
        var k: Int32 = 0
        while true {
            let n = nodes[Int(k)]
            k = GBDTTree.goesLeft(n, value(Int(n.feature)), bits) ? n.left : n.right
            if k < 0 { return Int(~k) }
        }
    }

    /// The leaf reached by one row of raw features (`row[j]` is feature j).
    public func leafIndex(row: [Float]) -> Int {
        nodes.withUnsafeBufferPointer { np in
            categoryBits.withUnsafeBufferPointer { bp in
                row.withUnsafeBufferPointer { r in
                    leaf(nodes: np.baseAddress ?? UnsafePointer(bitPattern: 8)!, bits: bp.baseAddress ?? UnsafePointer(bitPattern: 4)!) { r[$0] }
                }
            }
        }
    }

    /// The tree's output for one row of raw features.
    public func predict(row: [Float]) -> Double { leafValues[leafIndex(row: row)] }
}

/// Per-node bin decisions of a tree being trained, for routing binned rows (out-of-bag rows).
struct BinnedTreeRouting: Sendable {
    var features: [Int] = []
    var leftBins: [BinSet] = []
    var left: [Int32] = []
    var right: [Int32] = []

    /// The leaf of a row given its row-major bins.
    @inline(__always)
    func leaf(rowBins: UnsafePointer<UInt8>) -> Int {
        if features.isEmpty { return 0 }
        var k: Int32 = 0
        while true {
            let i = Int(k)
            k = leftBins[i].contains(Int(rowBins[features[i]])) ? left[i] : right[i]
            if k < 0 { return Int(~k) }
        }
    }
}
