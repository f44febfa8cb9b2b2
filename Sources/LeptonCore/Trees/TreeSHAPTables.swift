/// TreeSHAP with per-leaf tables computed once per model (the idea of Yang 2021, "Fast
/// TreeSHAP", v2): the same exact values as ``GBDTModel/shap(_:threads:)``, in O(T·L·D) per row
/// instead of O(T·L·D²), for models whose paths use few distinct features.
///
/// **Why it works.** Path-dependent TreeSHAP values a coalition S by
/// `f_S(x) = Σ_leaves v_l · Π_{j ∈ U_l} (j ∈ S ? o_lj(x) : z_lj)`, where U_l are the distinct
/// features on the path to leaf l, `o_lj ∈ {0,1}` says whether x takes every turn toward l at
/// the nodes splitting on j, and `z_lj` is the product of those nodes' cover ratios
/// (child/parent). Each leaf is a game of d = |U_l| players, and the Shapley value of the sum
/// is the sum of the leaves' values. With K = {j : o_lj = 1} and the Shapley weights
/// `w(s) = s!(d−s−1)!/d!`, a leaf contributes
///
///   φ_i = (1 − z_i) · R(K) · E(K ∖ {i})   for i ∈ K,
///   φ_i = −R(K) · E(K)                    for i ∉ K,
///
/// where `R(K) = v · Π_{j ∉ K} z_j` and `E(T) = Σ_{S ⊆ T} w(|S|) Π_{j ∈ T∖S} z_j
/// = Σ_k w(k) e_{|T|−k}(z_T)` (e_m the elementary symmetric polynomials of T's ratios). R and
/// E are tabulated for all 2^d subsets of each leaf's features, so scoring a row only finds K
/// for each leaf and reads 2 table entries per feature on its path.
public struct TreeSHAPTables: Sendable {
    /// A turn on a leaf's path: the internal node (its index among all trees' nodes), the
    /// direction toward the leaf, and the leaf-local bit of the node's feature.
    struct Condition: Sendable {
        var node: Int32
        /// 1 when the leaf is to the left.
        var left: UInt8
        var bit: UInt8
    }

    /// One leaf's slices of the flat arrays.
    struct Leaf: Sendable {
        /// Its distinct path features and their `1 − z` from here; `featureCount` of them.
        var featureStart: Int32
        var featureCount: Int32
        /// Its turns from here (node indices are the forest's, all trees in one array).
        var conditionStart: Int32
        var conditionCount: Int32
        /// Its 2^d table entries (R, E) from here.
        var tableStart: Int
    }

    let model: GBDTModel
    /// Every leaf of every tree, in tree order.
    let leaves: [Leaf]
    let features: [Int32]
    let oneMinusZ: [Double]
    let conditions: [Condition]
    /// R(K) and E(K) side by side, so one leaf's two reads share a cache line.
    let table: [SIMD2<Double>]
    let expected: Double

    /// The tables of `model`, or nil when a path has more than `maxPathFeatures` distinct
    /// features or the tables would exceed `maxTableEntries` doubles (use the recursive
    /// ``GBDTModel/shap(_:threads:)`` then).
    public init?(model: GBDTModel, maxPathFeatures: Int = 14, maxTableEntries: Int = 1 << 23) {
        let maxPathFeatures = min(maxPathFeatures, 24)  // 2^d table entries per leaf
        self.model = model
        var leaves: [Leaf] = []
        var features: [Int32] = [], oneMinusZ: [Double] = [], conditions: [Condition] = []
        var r: [Double] = [], e: [Double] = []
        var nodeBase: Int32 = 0
        for tree in model.trees {
            // Each leaf's path as (node, left) pairs, found depth-first.
            var paths = [[(Int32, Bool)]](repeating: [], count: tree.leafCount)
            if !tree.nodes.isEmpty {
                var stack: [(Int32, [(Int32, Bool)])] = [(0, [])]
                while let (c, path) = stack.popLast() {
                    if c < 0 { paths[Int(~c)] = path; continue }
                    let n = tree.nodes[Int(c)]
                    stack.append((n.left, path + [(c, true)]))
                    stack.append((n.right, path + [(c, false)]))
                }
            }
            for (leafIndex, path) in paths.enumerated() {
                let featureStart = features.count, conditionStart = conditions.count
                var leafFeatures: [Int32] = [], z: [Double] = []
                for (node, left) in path {
                    let n = tree.nodes[Int(node)]
                    let child = left ? n.left : n.right
                    let parentCover = Double(tree.nodeCounts[Int(node)])
                    let childCover = Double(child >= 0 ? tree.nodeCounts[Int(child)] : tree.leafCounts[Int(~child)])
                    let ratio = parentCover > 0 ? childCover / parentCover : 0
                    let k: Int
                    if let existing = leafFeatures.firstIndex(of: n.feature) {
                        k = existing; z[k] *= ratio
                    } else {
                        guard leafFeatures.count < maxPathFeatures else { return nil }
                        k = leafFeatures.count; leafFeatures.append(n.feature); z.append(ratio)
                    }
                    conditions.append(Condition(node: nodeBase + node, left: left ? 1 : 0, bit: UInt8(k)))
                }
                let d = leafFeatures.count
                guard d <= maxPathFeatures, r.count + (1 << d) <= maxTableEntries else { return nil }
                features += leafFeatures
                oneMinusZ += z.map { 1 - $0 }
                leaves.append(Leaf(featureStart: Int32(featureStart), featureCount: Int32(d), conditionStart: Int32(conditionStart),
                                   conditionCount: Int32(conditions.count - conditionStart), tableStart: r.count))
                TreeSHAPTables.tabulate(value: tree.leafValues[leafIndex], z: z, r: &r, e: &e)
            }
            nodeBase += Int32(tree.nodes.count)
        }
        self.leaves = leaves
        self.features = features; self.oneMinusZ = oneMinusZ; self.conditions = conditions
        table = zip(r, e).map { SIMD2($0, $1) }
        expected = model.baseScore + model.trees.reduce(0) { $0 + $1.expectedValue }
    }

    /// Appends R(K) and E(K) for every K ⊆ {0…d−1} of one leaf with value `value` and ratios `z`.
    static func tabulate(value: Double, z: [Double], r: inout [Double], e: inout [Double]) {
        let d = z.count
        // Shapley weights w(s) = s!(d−s−1)!/d! for s = 0…d−1, by the ratio w(s+1)/w(s) = (s+1)/(d−s−1).
        var w = [Double](repeating: 0, count: max(1, d))
        if d > 0 {
            w[0] = 1 / Double(d)
            for s in 0..<(d - 1) { w[s + 1] = w[s] * Double(s + 1) / Double(d - s - 1) }
        }
        // Elementary symmetric polynomials of each subset's ratios, subset by subset: adding the
        // lowest member j to T∖{j} multiplies the generating polynomial by (1 + z_j t).
        let count = 1 << d
        var poly = [Double](repeating: 0, count: count * (d + 1))
        poly[0] = 1
        for set in 1..<count {
            let j = set.trailingZeroBitCount, rest = set & (set - 1)
            let size = set.nonzeroBitCount
            for m in 0...size {
                let carried = poly[rest * (d + 1) + m]
                let added = m > 0 ? poly[rest * (d + 1) + m - 1] * z[j] : 0
                poly[set * (d + 1) + m] = carried + added
            }
        }
        for set in 0..<count {
            var outside = value
            for j in 0..<d where set & (1 << j) == 0 { outside *= z[j] }
            r.append(outside)
            let size = set.nonzeroBitCount
            var total = 0.0
            if size < d { for k in 0...size { total += w[k] * poly[set * (d + 1) + size - k] } }
            e.append(total)
        }
    }

    /// Writes one row's contributions to `phi` (`featureCount + 1` entries, the last one the
    /// expected value E[f]); `row[j]` is feature j's raw value.
    public func contributions(row: UnsafePointer<Float>, into phi: UnsafeMutablePointer<Double>) {
        let f = model.featureCount
        for j in 0..<f { phi[j] = 0 }
        phi[f] = expected
        // Every split's decision for this row (all trees' nodes in one array), then each leaf's
        // pattern from its turns.
        let nodeCount = model.forest.nodes.count
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, nodeCount)) { buffer in
            let goesLeft = buffer.baseAddress!
            model.forest.withPointers { fp in
                for k in 0..<nodeCount { goesLeft[k] = GBDTTree.goesLeft(fp.nodes[k], row[Int(fp.nodes[k].feature)], fp.bits) ? 1 : 0 }
            }
            leaves.withUnsafeBufferPointer { leaves in features.withUnsafeBufferPointer { features in
                oneMinusZ.withUnsafeBufferPointer { oneMinusZ in conditions.withUnsafeBufferPointer { conditions in
                    table.withUnsafeBufferPointer { table in
                        for leaf in leaves {
                            let d = Int(leaf.featureCount)
                            var pattern = (1 << d) - 1
                            for c in Int(leaf.conditionStart)..<Int(leaf.conditionStart + leaf.conditionCount) {
                                // Branch-free: clear the feature's bit when the row turns away from the leaf.
                                let condition = conditions[c]
                                let away = Int(goesLeft[Int(condition.node)] ^ condition.left)
                                pattern &= ~(away << Int(condition.bit))
                            }
                            let entries = table.baseAddress! + leaf.tableStart
                            let rk = entries[pattern].x
                            let outside = -rk * entries[pattern].y
                            let first = Int(leaf.featureStart)
                            for k in 0..<d {
                                let bit = 1 << k
                                let inside = oneMinusZ[first + k] * rk * entries[pattern ^ bit].y
                                phi[Int(features[first + k])] += pattern & bit != 0 ? inside : outside
                            }
                        }
                    }
                } }
            } }
        }
    }

    /// SHAP contributions of every row, in the layout of ``GBDTModel/shap(_:threads:)``.
    public func shap(_ x: FeatureColumns, threads: Int = 0) -> [Double] {
        precondition(x.columnCount == model.featureCount, "model expects \(model.featureCount) features, got \(x.columnCount)")
        return shapByRow(x, threads: threads, pathCapacity: 0) { row, phi, _ in contributions(row: row, into: phi) }
    }
}

/// One row's SHAP contributions for explaining single decisions: through ``TreeSHAPTables``
/// when the model's paths allow them, through the recursive ``GBDTModel/shap(_:threads:)``
/// otherwise (same values either way).
public struct SHAPExplainer: Sendable {
    public let model: GBDTModel
    let tables: TreeSHAPTables?

    /// Builds the tables once (milliseconds for hundreds of trees); keep the explainer. Paths
    /// with more than `maxPathFeatures` distinct features use the recursive walk.
    public init(model: GBDTModel, maxPathFeatures: Int = 14) {
        self.model = model
        tables = TreeSHAPTables(model: model, maxPathFeatures: maxPathFeatures)
    }

    /// `featureCount + 1` values: φⱼ for each feature, then E[f]; they sum to the raw margin.
    public func contributions(row: [Float]) -> [Double] {
        precondition(row.count == model.featureCount, "model expects \(model.featureCount) features, got \(row.count)")
        guard let tables else {
            return model.shap(FeatureColumns(columnMajor: row, rowCount: 1, names: model.featureNames, kinds: model.featureKinds),
                              threads: 1)
        }
        var phi = [Double](repeating: 0, count: row.count + 1)
        phi.withUnsafeMutableBufferPointer { out in
            row.withUnsafeBufferPointer { tables.contributions(row: $0.baseAddress!, into: out.baseAddress!) }
        }
        return phi
    }
}
