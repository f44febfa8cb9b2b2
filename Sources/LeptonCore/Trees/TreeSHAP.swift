/// Exact TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2; LightGBM `Tree::TreeSHAP`).
///
/// For a row x, the contribution φⱼ of feature j is its Shapley value for the model output,
/// where the value of a coalition S is the tree's expected output when the features in S are
/// fixed to x and the others follow the training distribution along the tree (each internal
/// node sends an unknown feature's rows to its children in proportion to their training
/// counts). Contributions are additive: `Σⱼ φⱼ(x) + E[f] = f(x)`, with
/// `E[f] = f₀ + Σₜ Σ_leaves value·count/Σ count`.
extension GBDTModel {
    /// SHAP contributions of every row, row-major `rowCount × (featureCount + 1)`: entry
    /// `i·(F+1) + j` is φⱼ of row i, and the last entry of each row is the expected value E[f].
    /// The entries of a row sum to its raw margin (``predictRaw(_:threads:)``).
    public func shap(_ x: FeatureColumns, threads: Int = 0) -> [Double] {
        precondition(x.columnCount == featureCount, "model expects \(featureCount) features, got \(x.columnCount)")
        let f = featureCount
        let expected = baseScore + trees.reduce(0) { $0 + $1.expectedValue }
        let maxDepth = trees.map(\.depth).max() ?? 0
        return shapByRow(x, threads: threads, pathCapacity: (maxDepth + 2) * (maxDepth + 3) / 2) { row, phi, path in
            for t in trees where !t.nodes.isEmpty {
                t.nodes.withUnsafeBufferPointer { np in
                    t.categoryBits.withUnsafeBufferPointer { bp in
                        var walker = SHAPWalker(tree: t, nodes: np.baseAddress!, bits: bp.baseAddress ?? UnsafePointer(bitPattern: 64)!,
                                                row: row, phi: phi)
                        walker.recurse(node: 0, depth: 0, parentPath: path, zeroFraction: 1, oneFraction: 1, feature: -1)
                    }
                }
            }
            phi[f] = expected
        }
    }
}

/// Row-major SHAP contributions of every row of `x` (`rowCount × (columnCount + 1)`, zeroed),
/// rows shared among threads: `contribute(row, phi, path)` gets the row's raw features, its
/// `columnCount + 1` outputs and a scratch path buffer of `pathCapacity` elements of its thread.
func shapByRow(_ x: FeatureColumns, threads: Int, pathCapacity: Int,
               _ contribute: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<SHAPPathElement>) -> Void) -> [Double] {
    let n = x.rowCount, f = x.columnCount, width = f + 1
    var out = [Double](repeating: 0, count: n * width)
    x.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            let box = UncheckedSendableBox((src, dst))
            parallelFor(n, threads: resolvedTreeThreads(threads), minimumPerThread: 64) { range in
                let (src, dst) = box.value
                let row = UnsafeMutablePointer<Float>.allocate(capacity: max(1, f))
                let path = UnsafeMutablePointer<SHAPPathElement>.allocate(capacity: max(1, pathCapacity))
                defer { row.deallocate(); path.deallocate() }
                for i in range {
                    for j in 0..<f { row[j] = src[j * n + i] }
                    contribute(row, dst.baseAddress! + i * width, path)
                }
            }
        }
    }
    return out
}

/// One element of the TreeSHAP path: a feature, the fractions of "zero" (feature unknown) and
/// "one" (feature known) paths flowing through, and the permutation weight.
struct SHAPPathElement {
    var feature: Int
    var zeroFraction: Double
    var oneFraction: Double
    var weight: Double
}

/// The recursive TreeSHAP walk of one tree for one row (no allocation: paths live in a
/// caller-provided triangular buffer of `(D+2)(D+3)/2` elements for depth D).
struct SHAPWalker {
    let tree: GBDTTree
    let nodes: UnsafePointer<GBDTTree.Node>
    let bits: UnsafePointer<UInt32>
    let row: UnsafePointer<Float>
    let phi: UnsafeMutablePointer<Double>

    init(tree: GBDTTree, nodes: UnsafePointer<GBDTTree.Node>, bits: UnsafePointer<UInt32>,
         row: UnsafeMutablePointer<Float>, phi: UnsafeMutablePointer<Double>) {
        self.tree = tree; self.nodes = nodes; self.bits = bits; self.row = UnsafePointer(row); self.phi = phi
    }

    private func cover(_ c: Int32) -> Double {
        Double(c >= 0 ? tree.nodeCounts[Int(c)] : tree.leafCounts[Int(~c)])
    }

    private static func extend(_ p: UnsafeMutablePointer<SHAPPathElement>, _ depth: Int, _ zero: Double, _ one: Double,
                               _ feature: Int) {
        p[depth] = SHAPPathElement(feature: feature, zeroFraction: zero, oneFraction: one, weight: depth == 0 ? 1 : 0)
        var i = depth - 1
        while i >= 0 {
            p[i + 1].weight += one * p[i].weight * Double(i + 1) / Double(depth + 1)
            p[i].weight = zero * p[i].weight * Double(depth - i) / Double(depth + 1)
            i -= 1
        }
    }

    private static func unwind(_ p: UnsafeMutablePointer<SHAPPathElement>, _ depth: Int, _ index: Int) {
        let one = p[index].oneFraction, zero = p[index].zeroFraction
        var next = p[depth].weight
        var i = depth - 1
        while i >= 0 {
            if one != 0 {
                let tmp = p[i].weight
                p[i].weight = next * Double(depth + 1) / (Double(i + 1) * one)
                next = tmp - p[i].weight * zero * Double(depth - i) / Double(depth + 1)
            } else {
                p[i].weight = p[i].weight * Double(depth + 1) / (zero * Double(depth - i))
            }
            i -= 1
        }
        for k in index..<depth {
            p[k].feature = p[k + 1].feature
            p[k].zeroFraction = p[k + 1].zeroFraction
            p[k].oneFraction = p[k + 1].oneFraction
        }
    }

    private static func unwoundSum(_ p: UnsafeMutablePointer<SHAPPathElement>, _ depth: Int, _ index: Int) -> Double {
        let one = p[index].oneFraction, zero = p[index].zeroFraction
        var next = p[depth].weight
        var total = 0.0
        var i = depth - 1
        while i >= 0 {
            if one != 0 {
                let tmp = next * Double(depth + 1) / (Double(i + 1) * one)
                total += tmp
                next = p[i].weight - tmp * zero * (Double(depth - i) / Double(depth + 1))
            } else {
                total += (p[i].weight / zero) / (Double(depth - i) / Double(depth + 1))
            }
            i -= 1
        }
        return total
    }

    mutating func recurse(node: Int32, depth inDepth: Int, parentPath: UnsafeMutablePointer<SHAPPathElement>,
                          zeroFraction: Double, oneFraction: Double, feature: Int) {
        var depth = inDepth
        // This node's path is a copy of the parent's, just after it in the buffer.
        let path = parentPath + depth + 1
        if depth > 0 { path.update(from: parentPath, count: depth) }
        SHAPWalker.extend(path, depth, zeroFraction, oneFraction, feature)
        if node < 0 {
            let value = tree.leafValues[Int(~node)]
            if depth >= 1 {
                for i in 1...depth {
                    let w = SHAPWalker.unwoundSum(path, depth, i)
                    phi[path[i].feature] += w * (path[i].oneFraction - path[i].zeroFraction) * value
                }
            }
            return
        }
        let n = nodes[Int(node)]
        let split = Int(n.feature)
        let hot = GBDTTree.goesLeft(n, row[split], bits) ? n.left : n.right
        let cold = hot == n.left ? n.right : n.left
        let w = cover(node)
        let hotZero = cover(hot) / w, coldZero = cover(cold) / w
        var incomingZero = 1.0, incomingOne = 1.0
        // A feature already on the path is unwound and re-entered with the combined fractions.
        var k = 0
        while k <= depth { if path[k].feature == split { break }; k += 1 }
        if k != depth + 1 {
            incomingZero = path[k].zeroFraction
            incomingOne = path[k].oneFraction
            SHAPWalker.unwind(path, depth, k)
            depth -= 1
        }
        recurse(node: hot, depth: depth + 1, parentPath: path, zeroFraction: hotZero * incomingZero,
                oneFraction: incomingOne, feature: split)
        recurse(node: cold, depth: depth + 1, parentPath: path, zeroFraction: coldZero * incomingZero,
                oneFraction: 0, feature: split)
    }
}
