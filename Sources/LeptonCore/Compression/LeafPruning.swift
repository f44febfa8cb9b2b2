/// Fewer leaves: a split whose loss reduction is below `minGain` and whose two children are
/// leaves is replaced by one leaf, the cover-weighted mean of the two
/// (`v = (v_L·n_L + v_R·n_R) / (n_L + n_R)`, the prediction the rows of both had on average),
/// repeated from the bottom up. Monotone constraints still hold: a constant between a left
/// value ≤ the right one stays between its neighbours.
extension GBDTTree {
    /// The tree with every weak bottom split merged (nodes renumbered in pre-order, children after parents).
    public func pruned(minGain: Double) -> GBDTTree {
        guard !nodes.isEmpty else { return self }
        indirect enum Shape {
            case leaf(Double, Int)
            case node(Int, Shape, Shape)
        }
        func shape(_ c: Int32) -> Shape {
            if c < 0 { return .leaf(leafValues[Int(~c)], leafCounts[Int(~c)]) }
            let k = Int(c)
            let l = shape(nodes[k].left), r = shape(nodes[k].right)
            if splitGains[k] < minGain, case let .leaf(lv, lc) = l, case let .leaf(rv, rc) = r {
                let total = lc + rc
                return .leaf(total > 0 ? (lv * Double(lc) + rv * Double(rc)) / Double(total) : (lv + rv) / 2, total)
            }
            return .node(k, l, r)
        }
        var newNodes: [Node] = [], gains: [Double] = [], counts: [Int] = [], values: [Double] = [], newLeafCounts: [Int] = []
        func emit(_ s: Shape) -> Int32 {
            switch s {
            case let .leaf(v, n):
                values.append(v)
                newLeafCounts.append(n)
                return ~Int32(values.count - 1)
            case let .node(k, l, r):
                let at = newNodes.count
                newNodes.append(nodes[k])
                gains.append(splitGains[k])
                counts.append(nodeCounts[k])
                let left = emit(l), right = emit(r)
                newNodes[at].left = left
                newNodes[at].right = right
                return Int32(at)
            }
        }
        _ = emit(shape(0))
        return GBDTTree(nodes: newNodes, leafValues: values, categoryBits: categoryBits, splitGains: gains, nodeCounts: counts,
                        leafCounts: newLeafCounts)
    }
}

extension GBDTModel {
    /// Every tree with its weak bottom splits merged (``GBDTTree/pruned(minGain:)``).
    public func prunedLeaves(minGain: Double) -> GBDTModel {
        GBDTModel(objective: objective, baseScore: baseScore, trees: trees.map { $0.pruned(minGain: minGain) }, featureNames: featureNames,
                  featureKinds: featureKinds, history: history)
    }

    /// Total leaves over the trees.
    public var leafCount: Int { trees.reduce(0) { $0 + $1.leafCount } }
}
