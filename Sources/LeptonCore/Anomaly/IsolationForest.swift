#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import LeptonIO

/// Settings of an isolation forest (Liu, Ting & Zhou, 2008): plain values.
public struct IsolationForestConfig: Sendable, Codable, Equatable {
    public var trees = 100
    /// ψ: rows drawn (without replacement) for each tree.
    public var sampleSize = 256
    public var seed: UInt64 = 0
    /// Threads for fitting and scoring; 0: `auto`, every core (``ThreadCount``).
    public var threads = 0
    public init() {}
}

/// Errors from fitting or scoring an isolation forest.
public enum IsolationForestError: Error, CustomStringConvertible, Equatable {
    case empty
    case shapeMismatch(String)
    case notFinite(row: Int, column: Int)

    public var description: String {
        switch self {
        case .empty: return "isolation forest: no rows to fit. Hint: give it reference data from normal operation."
        case let .shapeMismatch(what): return "isolation forest: \(what)"
        case let .notFinite(row, column):
            return "isolation forest: row \(row), column \(column) is missing or not finite. Hint: impute or drop such rows first."
        }
    }
}

/// Unsupervised anomaly scoring: points that random axis-aligned cuts isolate quickly are unusual.
///
/// Each tree is grown on ψ rows to height ⌈log₂ψ⌉ by cutting a random feature at a uniform
/// random value between its node minimum and maximum. A point's path length h(x) is the depth
/// of the leaf it reaches plus c(m) for the m training rows left there, where
/// c(m) = 2H(m−1) − 2(m−1)/m is the mean unsuccessful-search depth in a binary search tree
/// (H the harmonic number). The score is s(x) = 2^{−E[h(x)]/c(ψ)} ∈ (0, 1]: near 1 for
/// anomalies, about 0.5 or below for ordinary points.
public enum IsolationForest {
    /// Fits on `columns` (one Float array per feature, all the same length).
    public static func fit(_ columns: [[Float]], config: IsolationForestConfig = IsolationForestConfig()) throws -> IsolationForestModel {
        let n = columns.first?.count ?? 0
        guard n > 0, !columns.isEmpty else { throw IsolationForestError.empty }
        guard columns.allSatisfy({ $0.count == n }) else { throw IsolationForestError.shapeMismatch("columns of different lengths") }
        for (j, column) in columns.enumerated() {
            if let i = column.firstIndex(where: { !$0.isFinite }) { throw IsolationForestError.notFinite(row: i, column: j) }
        }
        let sampleSize = min(max(config.sampleSize, 2), n)
        let heightLimit = Int(ceil(log2(Double(sampleSize))))
        var trees = [IsolationTree?](repeating: nil, count: config.trees)
        trees.withUnsafeMutableBufferPointer { slots in
            let slots = UncheckedSendableBox(slots)
            let threads = ThreadCount.resolve(config.threads)
            let chunk = (config.trees + threads - 1) / threads
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                for k in (t * chunk)..<min(config.trees, (t + 1) * chunk) {
                    // Each tree's stream depends on the seed and its index only: thread-count independent.
                    var rng = SeededGenerator(seed: config.seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(k + 1))
                    slots.value[k] = IsolationTree.grow(columns, rows: sampleWithoutReplacement(sampleSize, from: n, using: &rng),
                                                        heightLimit: heightLimit, using: &rng)
                }
            }
        }
        return IsolationForestModel(trees: trees.map { $0! }, sampleSize: sampleSize, featureCount: columns.count,
                                    config: config)
    }

    /// `k` distinct indices of `0..<n` drawn uniformly (Floyd's algorithm: k draws and a set of
    /// k, not an array of n), in the order drawn.
    static func sampleWithoutReplacement(_ k: Int, from n: Int, using rng: inout SeededGenerator) -> [Int] {
        var chosen = Set<Int>(minimumCapacity: k), order: [Int] = []
        order.reserveCapacity(k)
        for j in (n - k)..<n {
            let t = Int.random(in: 0...j, using: &rng)
            let pick = chosen.contains(t) ? j : t
            chosen.insert(pick)
            order.append(pick)
        }
        return order
    }

    /// c(m): the average path length of an unsuccessful search in a binary search tree of m nodes.
    public static func averagePathLength(_ m: Int) -> Double {
        if m <= 1 { return 0 }
        if m == 2 { return 1 }
        let harmonic = log(Double(m - 1)) + 0.577_215_664_901_532_9
        return 2 * harmonic - 2 * Double(m - 1) / Double(m)
    }
}

/// One tree in a flattened layout: node k is a leaf when `feature[k] < 0`.
struct IsolationTree: Sendable, Codable, Equatable {
    var feature: [Int32] = []
    var threshold: [Float] = []
    var left: [Int32] = []
    var right: [Int32] = []
    /// For leaves: depth + c(rows left in the leaf).
    var leafPath: [Float] = []

    static func grow(_ columns: [[Float]], rows: [Int], heightLimit: Int,
                     using rng: inout SeededGenerator) -> IsolationTree {
        var tree = IsolationTree()
        var rows = rows
        _ = tree.build(columns, &rows, 0..<rows.count, depth: 0, heightLimit: heightLimit, using: &rng)
        return tree
    }

    private mutating func addNode() -> Int {
        feature.append(-1); threshold.append(0); left.append(-1); right.append(-1); leafPath.append(0)
        return feature.count - 1
    }

    private mutating func build(_ columns: [[Float]], _ rows: inout [Int], _ range: Range<Int>, depth: Int,
                                heightLimit: Int, using rng: inout SeededGenerator) -> Int {
        let node = addNode()
        if range.count <= 1 || depth >= heightLimit {
            leafPath[node] = Float(Double(depth) + IsolationForest.averagePathLength(range.count))
            return node
        }
        // Features that still vary in this node; pick one at random.
        var candidates: [(feature: Int, low: Float, high: Float)] = []
        for (j, column) in columns.enumerated() {
            var low = Float.infinity, high = -Float.infinity
            for i in range {
                let v = column[rows[i]]
                low = min(low, v)
                high = max(high, v)
            }
            if high > low { candidates.append((j, low, high)) }
        }
        guard !candidates.isEmpty else {
            leafPath[node] = Float(Double(depth) + IsolationForest.averagePathLength(range.count))
            return node
        }
        let pick = candidates[Int.random(in: 0..<candidates.count, using: &rng)]
        var cut = Float(Double.random(in: Double(pick.low)..<Double(pick.high), using: &rng))
        if cut <= pick.low { cut = pick.low.nextUp }  // rows with value < cut go left: both sides non-empty
        var split = range.lowerBound
        for i in range where columns[pick.feature][rows[i]] < cut {
            rows.swapAt(i, split)
            split += 1
        }
        feature[node] = Int32(pick.feature)
        threshold[node] = cut
        let l = build(columns, &rows, range.lowerBound..<split, depth: depth + 1, heightLimit: heightLimit, using: &rng)
        let r = build(columns, &rows, split..<range.upperBound, depth: depth + 1, heightLimit: heightLimit, using: &rng)
        left[node] = Int32(l)
        right[node] = Int32(r)
        return node
    }

    /// h(x) for the point whose feature j is `value(j)`.
    @inline(__always)
    func pathLength(_ value: (Int) -> Float) -> Float {
        var node = 0
        while feature[node] >= 0 {
            node = Int(value(Int(feature[node])) < threshold[node] ? left[node] : right[node])
        }
        return leafPath[node]
    }
}

/// A fitted isolation forest.
public struct IsolationForestModel: Sendable, Codable, Equatable {
    let trees: [IsolationTree]
    public let sampleSize: Int
    public let featureCount: Int
    public let config: IsolationForestConfig
    /// The trees as complete binary trees for branch-free scoring (derived, not stored; nil for
    /// trees too tall, which keep the pointer walk). Held by reference: copies of the model share it.
    private let layoutBox: LayoutBox
    var layout: CompleteIsolationForest? { layoutBox.layout }

    private final class LayoutBox: Sendable {
        let layout: CompleteIsolationForest?
        init(_ layout: CompleteIsolationForest?) { self.layout = layout }
    }

    public static func == (a: IsolationForestModel, b: IsolationForestModel) -> Bool {
        a.trees == b.trees && a.sampleSize == b.sampleSize && a.featureCount == b.featureCount && a.config == b.config
    }

    enum CodingKeys: String, CodingKey { case trees, sampleSize, featureCount, config }

    init(trees: [IsolationTree], sampleSize: Int, featureCount: Int, config: IsolationForestConfig) {
        (self.trees, self.sampleSize, self.featureCount, self.config) = (trees, sampleSize, featureCount, config)
        layoutBox = LayoutBox(CompleteIsolationForest(trees: trees, height: Int(ceil(log2(Double(max(sampleSize, 2)))))))
    }

    /// Decodes a model, refusing trees whose nodes could send a walk out of its arrays or its
    /// row (the layout walks through raw pointers): equal, non-empty arrays; features in
    /// `-1..<featureCount`; children after their node and inside the tree.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let trees = try c.decode([IsolationTree].self, forKey: .trees)
        let featureCount = try c.decode(Int.self, forKey: .featureCount), sampleSize = try c.decode(Int.self, forKey: .sampleSize)
        func corrupt(_ what: String) -> DecodingError {
            DecodingError.dataCorrupted(DecodingError.Context(codingPath: c.codingPath, debugDescription: "isolation forest: \(what)"))
        }
        guard featureCount >= 1, sampleSize >= 1, !trees.isEmpty else { throw corrupt("no trees, features or sample") }
        for (t, tree) in trees.enumerated() {
            let n = tree.feature.count
            guard n > 0, [tree.threshold.count, tree.left.count, tree.right.count, tree.leafPath.count].allSatisfy({ $0 == n }) else {
                throw corrupt("tree \(t) has arrays of different lengths")
            }
            for k in 0..<n where tree.feature[k] >= 0 {
                guard Int(tree.feature[k]) < featureCount, (k + 1..<n).contains(Int(tree.left[k])), (k + 1..<n).contains(Int(tree.right[k])) else {
                    throw corrupt("tree \(t), node \(k): feature or child out of range")
                }
            }
            guard tree.feature.allSatisfy({ $0 >= -1 }) else { throw corrupt("tree \(t): a feature below -1") }
        }
        self.init(trees: trees, sampleSize: sampleSize, featureCount: featureCount, config: try c.decode(IsolationForestConfig.self, forKey: .config))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(trees, forKey: .trees)
        try c.encode(sampleSize, forKey: .sampleSize)
        try c.encode(featureCount, forKey: .featureCount)
        try c.encode(config, forKey: .config)
    }

    /// Anomaly scores s(x) ∈ (0, 1] of each row of `columns` (same features as in fitting); 0.5
    /// for every row when the forest was fitted on a single row.
    public func scores(_ columns: [[Float]]) throws -> [Double] {
        try scores(columns, useLayout: true)
    }

    /// ``scores(_:)`` through the complete-tree layout or (`useLayout` false, the naive twin) the
    /// pointer walk of each tree; the two are equal.
    func scores(_ columns: [[Float]], useLayout: Bool) throws -> [Double] {
        guard columns.count == featureCount else {
            throw IsolationForestError.shapeMismatch("the model has \(featureCount) features, the data \(columns.count)")
        }
        let n = columns.first?.count ?? 0
        guard columns.allSatisfy({ $0.count == n }) else { throw IsolationForestError.shapeMismatch("columns of different lengths") }
        let normaliser = IsolationForest.averagePathLength(sampleSize)
        // Fitted on one row, no tree can isolate anything (c(1) = 0): every score is the neutral 0.5.
        guard normaliser > 0 else { return [Double](repeating: 0.5, count: n) }
        var result = [Double](repeating: 0, count: n)
        let f = featureCount, treeCount = Double(trees.count)
        result.withUnsafeMutableBufferPointer { out in
            let out = UncheckedSendableBox(out)
            forEachRowBlock(rows: n, blocks: ThreadCount.resolve(config.threads)) { _, range in
                guard useLayout, let layout else {
                    for i in range {
                        var total = 0.0
                        for tree in trees { total += Double(tree.pathLength { columns[$0][i] }) }
                        out.value[i] = exp2(-(total / treeCount) / normaliser)
                    }
                    return
                }
                // Blocks of rows, transposed to row-major, walk every tree while it sits in cache.
                let block = min(256, range.count)  // a batch job's block (64 rows), or one served row
                let rows = UnsafeMutablePointer<Float>.allocate(capacity: max(1, block * f))
                defer { rows.deallocate() }
                var start = range.lowerBound
                while start < range.upperBound {
                    let end = min(range.upperBound, start + block)
                    for j in 0..<f {
                        columns[j].withUnsafeBufferPointer { col in
                            for i in start..<end { rows[(i - start) * f + j] = col[i] }
                        }
                    }
                    let totals = out.value.baseAddress! + start
                    for i in 0..<(end - start) { totals[i] = 0 }
                    layout.accumulatePathLengths(rows: rows, count: end - start, featureCount: f, into: totals)
                    for i in 0..<(end - start) { totals[i] = exp2(-(totals[i] / treeCount) / normaliser) }
                    start = end
                }
            }
        }
        return result
    }

    /// The score threshold that flags at most a share `falseAlarmRate` of `referenceScores`
    /// (scores of data known to be normal): the ⌊α·n⌋-th largest reference score, so that a
    /// point is flagged when its score is strictly above it.
    public static func threshold(forFalseAlarmRate falseAlarmRate: Double, referenceScores: [Double]) -> Double {
        precondition((0...1).contains(falseAlarmRate), "false-alarm rate must be in [0, 1]")
        precondition(!referenceScores.isEmpty, "threshold needs reference scores")
        let sorted = referenceScores.sorted(by: >)
        let k = min(Int((falseAlarmRate * Double(sorted.count)).rounded(.down)), sorted.count - 1)
        return sorted[k]
    }
}
