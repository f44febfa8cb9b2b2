/// Unstructured magnitude pruning: the weights of smallest magnitude set to zero.
///
/// - per layer: in each weight tensor (rank ≥ 2) the ⌊ratio · n⌋ entries of smallest |w|;
/// - global: one threshold over every weight tensor, so layers lose different shares.
/// Ties at the threshold are broken by position (the earlier entry is pruned first), so exactly
/// the asked number goes. The network keeps its shape: the dense kernels run as before (no
/// speed-up, as for every dense-kernel library); the file stores the tensors sparse.
public enum MagnitudePruning {
    public enum Scope: String, Sendable, CaseIterable { case layer, global }

    /// Prunes `model` in place; returns the names of the tensors pruned.
    @discardableResult
    public static func prune(_ model: some Layer, ratio: Double, scope: Scope) -> [String] {
        precondition(ratio > 0 && ratio < 1, "pruning ratio in (0, 1)")
        let targets = model.namedParameters.filter { $0.parameter.isTrainable && $0.parameter.value.rank >= 2 }
        switch scope {
        case .layer:
            for (_, p) in targets { p.value = zeroSmallest(p.value, count: Int(ratio * Double(p.value.count))) }
        case .global:
            // (|w|, tensor, index) ordered; the first ⌊ratio·N⌋ go.
            var all: [(Float, Int, Int)] = []
            for (t, (_, p)) in targets.enumerated() { for (i, v) in p.value.scalars.enumerated() { all.append((abs(v), t, i)) } }
            all.sort { $0.0 != $1.0 ? $0.0 < $1.0 : ($0.1 != $1.1 ? $0.1 < $1.1 : $0.2 < $1.2) }
            var values = targets.map { $0.parameter.value.scalars }
            for (_, t, i) in all.prefix(Int(ratio * Double(all.count))) { values[t][i] = 0 }
            for (t, (_, p)) in targets.enumerated() { p.value = Tensor(shape: p.value.shape, scalars: values[t]) }
        }
        return targets.map(\.name)
    }

    static func zeroSmallest(_ t: Tensor, count: Int) -> Tensor {
        var v = t.scalars
        let order = v.indices.sorted { abs(v[$0]) != abs(v[$1]) ? abs(v[$0]) < abs(v[$1]) : $0 < $1 }
        for i in order.prefix(count) { v[i] = 0 }
        return Tensor(shape: t.shape, scalars: v)
    }
}
