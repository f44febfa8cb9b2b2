import LeptonIO

/// The trees of an isolation forest laid out as complete binary trees of their height limit H,
/// for scoring without branches: node k's children are 2k+1 (value < threshold) and 2k+2, and
/// after exactly H steps the walk lands on one of the 2^H bottom slots, which hold the path
/// length h of the leaf above them. A leaf shallower than H becomes a pass-through node
/// (threshold +∞: finite values go left, NaN right, as they do at any node) whose both subtrees
/// lead to it. Scores equal ``IsolationTree/pathLength(_:)``'s walk exactly (the naive twin).
struct CompleteIsolationForest: Sendable, Equatable {
    /// The height limit H of every tree.
    let height: Int
    /// Per tree, 2^H − 1 inner nodes: the feature and the threshold.
    let features: [Int32]
    let thresholds: [Float]
    /// Per tree, 2^H path lengths.
    let bottoms: [Float]
    let treeCount: Int
    /// Trees taller than this keep the pointer walk (2^13 slots of 8 bytes: 64 KB a tree).
    static let maxHeight = 13

    init?(trees: [IsolationTree], height: Int) {
        guard height >= 1, height <= Self.maxHeight, !trees.isEmpty else { return nil }
        let inner = (1 << height) - 1, slots = 1 << height
        var features = [Int32](repeating: 0, count: inner * trees.count)
        var thresholds = [Float](repeating: .infinity, count: inner * trees.count)
        var bottoms = [Float](repeating: 0, count: slots * trees.count)
        for (t, tree) in trees.enumerated() {
            // (slot in the complete tree, node of the original tree, depth)
            var stack: [(Int, Int, Int)] = [(0, 0, 0)]
            while let (slot, node, depth) = stack.popLast() {
                if depth == height {
                    guard tree.feature[node] < 0 else { return nil }  // deeper than its height limit: not ours
                    bottoms[t * slots + slot - inner] = tree.leafPath[node]
                    continue
                }
                if tree.feature[node] >= 0 {
                    features[t * inner + slot] = tree.feature[node]
                    thresholds[t * inner + slot] = tree.threshold[node]
                    stack.append((2 * slot + 1, Int(tree.left[node]), depth + 1))
                    stack.append((2 * slot + 2, Int(tree.right[node]), depth + 1))
                } else {
                    stack.append((2 * slot + 1, node, depth + 1))
                    stack.append((2 * slot + 2, node, depth + 1))
                }
            }
        }
        self.height = height
        self.features = features
        self.thresholds = thresholds
        self.bottoms = bottoms
        treeCount = trees.count
    }

    /// Adds each tree's path length, in tree order, to `totals[r]` for the `count` rows of `rows`
    /// (row-major, `featureCount` values each). Four rows walk together for parallelism.
    func accumulatePathLengths(rows: UnsafePointer<Float>, count: Int, featureCount: Int, into totals: UnsafeMutablePointer<Double>) {
        let inner = (1 << height) - 1, slots = 1 << height
        features.withUnsafeBufferPointer { fp in
            thresholds.withUnsafeBufferPointer { tp in
                bottoms.withUnsafeBufferPointer { bp in
                    for t in 0..<treeCount {
                        let f = fp.baseAddress! + t * inner, th = tp.baseAddress! + t * inner, b = bp.baseAddress! + t * slots
                        var r = 0
                        while r + 4 <= count {
                            let x0 = rows + r * featureCount, x1 = x0 + featureCount, x2 = x1 + featureCount, x3 = x2 + featureCount
                            var k0 = 0, k1 = 0, k2 = 0, k3 = 0
                            for _ in 0..<height {
                                k0 = 2 &* k0 &+ 1 &+ (x0[Int(f[k0])] < th[k0] ? 0 : 1)
                                k1 = 2 &* k1 &+ 1 &+ (x1[Int(f[k1])] < th[k1] ? 0 : 1)
                                k2 = 2 &* k2 &+ 1 &+ (x2[Int(f[k2])] < th[k2] ? 0 : 1)
                                k3 = 2 &* k3 &+ 1 &+ (x3[Int(f[k3])] < th[k3] ? 0 : 1)
                            }
                            totals[r] += Double(b[k0 - inner])
                            totals[r + 1] += Double(b[k1 - inner])
                            totals[r + 2] += Double(b[k2 - inner])
                            totals[r + 3] += Double(b[k3 - inner])
                            r += 4
                        }
                        while r < count {
                            let x = rows + r * featureCount
                            var k = 0
                            for _ in 0..<height { k = 2 &* k &+ 1 &+ (x[Int(f[k])] < th[k] ? 0 : 1) }
                            totals[r] += Double(b[k - inner])
                            r += 1
                        }
                    }
                }
            }
        }
    }
}
