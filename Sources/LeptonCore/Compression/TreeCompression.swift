/// Precision of the leaf values a compressed tree model keeps.
public enum LeafPrecision: String, Sendable, Codable, CaseIterable {
    /// 64-bit, as trained.
    case float64
    /// IEEE half precision (11 significant bits): relative error ≤ 2⁻¹¹.
    case float16
    /// Linear 8-bit codes: `v ≈ code · s`, `s = max|v| / 127`, code ∈ −127…127 (absolute error ≤ s/2).
    case int8

    /// Bytes per stored leaf value.
    public var bytes: Int {
        switch self {
        case .float64: return 8
        case .float16: return 2
        case .int8: return 1
        }
    }
}

/// How a tree model was compressed (stored in the model file's manifest as `extra.compression`).
public struct TreeCompression: Sendable, Equatable, Codable {
    /// Trees kept (the first ones, in boosting order).
    public var trees: Int
    /// Trees before compression.
    public var originalTrees: Int
    public var leafPrecision: LeafPrecision
    /// Scale of the 8-bit leaf codes (`v = code · leafScale`); 0 otherwise.
    public var leafScale: Double
    /// Bottom splits with less gain were merged (``GBDTTree/pruned(minGain:)``); nil: none.
    public var minGain: Double?

    public init(trees: Int, originalTrees: Int, leafPrecision: LeafPrecision, leafScale: Double = 0, minGain: Double? = nil) {
        self.trees = trees; self.originalTrees = originalTrees; self.leafPrecision = leafPrecision; self.leafScale = leafScale
        self.minGain = minGain
    }
}

extension GBDTModel {
    /// The model made of its first `count` trees (1 ≤ count ≤ trees): boosting is additive, so
    /// this is exactly the model boosting would have returned after `count` rounds.
    public func firstTrees(_ count: Int) -> GBDTModel {
        precondition(count >= 1 && count <= max(1, trees.count), "firstTrees: 1…\(trees.count) trees")
        return GBDTModel(objective: objective, baseScore: baseScore, trees: Array(trees.prefix(count)), featureNames: featureNames,
                         featureKinds: featureKinds, history: history)
    }

    /// The raw margins after each tree count in `counts` (ascending), for rows `x`:
    /// `f_t(x) = f₀ + Σ_{s<t} tree_s(x)`, computed in one pass over the trees.
    public func stagedRaw(_ x: FeatureColumns, counts: [Int]) -> [[Double]] {
        precondition(counts == counts.sorted() && counts.allSatisfy { $0 >= 0 && $0 <= trees.count }, "stagedRaw: ascending counts within the model")
        var margin = [Double](repeating: baseScore, count: x.rowCount)
        var out: [[Double]] = []
        var next = 0
        for t in 0...trees.count {
            while next < counts.count && counts[next] == t { out.append(margin); next += 1 }
            if t == trees.count || next == counts.count { break }
            // One tree's contribution to every row, through the batch predictor.
            let single = GBDTModel(objective: objective, baseScore: 0, trees: [trees[t]], featureNames: featureNames, featureKinds: featureKinds)
            for (i, v) in single.predictRaw(x, threads: 1).enumerated() { margin[i] += v }
        }
        return out
    }

    /// The fewest trees whose `metric` on validation rows is within `tolerance` of the best
    /// over the tree counts tried (every tree count up to 50, then about 50 evenly spaced counts),
    /// with that best. `metric(margins)` is larger-is-better (AUC, or −log-loss).
    public func fewestTrees(validation x: FeatureColumns, tolerance: Double,
                            metric: ([Double]) -> Double) -> (trees: Int, metric: Double, best: Double) {
        guard trees.count > 1 else { return (max(1, trees.count), metric(predictRaw(x, threads: 1)), metric(predictRaw(x, threads: 1))) }
        let step = max(1, trees.count / 50)
        var counts = Array(stride(from: 1, through: trees.count, by: step))
        if counts.last != trees.count { counts.append(trees.count) }
        let values = stagedRaw(x, counts: counts).map(metric)
        let best = values.filter(\.isFinite).max() ?? values[values.count - 1]
        let k = values.firstIndex { $0.isFinite && $0 >= best - tolerance } ?? (values.count - 1)
        return (counts[k], values[k], best)
    }

    /// The model with leaf values rounded to `precision` (what a compact model file stores, so
    /// predictions in memory are those of the loaded file). Thresholds are kept exactly: the
    /// compact file stores them as 8- or 16-bit indices into each feature's sorted table of
    /// distinct thresholds.
    public func withLeafPrecision(_ precision: LeafPrecision) -> (model: GBDTModel, scale: Double) {
        let scale = precision == .int8 ? GBDTModel.int8LeafScale(trees) : 0
        let rounded = trees.map { t -> GBDTTree in
            var t = t
            t.leafValues = t.leafValues.map { GBDTModel.roundLeaf($0, precision, scale: scale) }
            return t
        }
        return (GBDTModel(objective: objective, baseScore: baseScore, trees: rounded, featureNames: featureNames,
                          featureKinds: featureKinds, history: history), scale)
    }

    /// `max|v| / 127` over every leaf (1 when all leaves are 0).
    static func int8LeafScale(_ trees: [GBDTTree]) -> Double {
        let m = trees.reduce(0.0) { max($0, $1.leafValues.reduce(0.0) { max($0, abs($1)) }) }
        return m > 0 && m.isFinite ? m / 127 : 1
    }

    /// One leaf value as `precision` stores it.
    static func roundLeaf(_ v: Double, _ precision: LeafPrecision, scale: Double) -> Double {
        switch precision {
        case .float64: return v
        case .float16: return Double(Float16(Float(v)))
        case .int8: return Double(int8Code(v, scale: scale)) * scale
        }
    }

    static func int8Code(_ v: Double, scale: Double) -> Int8 {
        guard v.isFinite, scale > 0 else { return 0 }
        return Int8(max(-127, min(127, (v / scale).rounded())))
    }
}

extension GBDTModel {
    /// The compression every tree domain applies (`compress --method trees`): the first N trees
    /// — `keep`, or the fewest whose `metric` of the margins on the `choice` rows is within
    /// `tolerance / 2` of the best tree count — then bottom splits with gain below `minGain`
    /// merged, then the leaves rounded to `precision`. Returns the model, the record the compact
    /// file stores and a description for people.
    public func compressed(keep: Int?, choice: FeatureColumns, tolerance: Double, metric: ([Double]) -> Double,
                           minGain: Double?, precision: LeafPrecision) -> (model: GBDTModel, compression: TreeCompression, description: String) {
        let n = keep.map { max(1, min($0, trees.count)) } ?? fewestTrees(validation: choice, tolerance: tolerance / 2, metric: metric).trees
        let first = firstTrees(n)
        let shaped = minGain.map { first.prunedLeaves(minGain: $0) } ?? first
        let (rounded, scale) = shaped.withLeafPrecision(precision)
        let record = TreeCompression(trees: n, originalTrees: trees.count, leafPrecision: precision, leafScale: scale, minGain: minGain)
        let merged = minGain.map { ", splits with gain below \($0) merged (\(first.leafCount) → \(shaped.leafCount) leaves)" } ?? ""
        return (rounded, record, "first \(n) of \(trees.count) trees\(merged), \(precision.rawValue) leaves, 8/16-bit threshold indices")
    }
}
