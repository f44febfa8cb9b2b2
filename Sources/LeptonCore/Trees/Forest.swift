/// Every tree's nodes in one array, child references rewritten to global indices
/// (`≥ 0` node, `< 0` leaf `~c` in ``leafValues``), category words rebased likewise, and the
/// same trees laid out for ``QuickScorer``, which prediction uses when every tree has at most 64
/// leaves. ``Pointers/sumNaive(row:)`` is the plain walk: the reference, tested equal to the bit,
/// and the path for larger trees.
struct Forest: Sendable, Equatable {
    var nodes: [GBDTTree.Node] = []
    var bits: [UInt32] = []
    var leafValues: [Double] = []
    /// Per tree: the root reference (node index, or `~leaf` for a one-leaf tree).
    var roots: [Int32] = []
    /// The trees as QuickScorer reads them; nil when one has more than 64 leaves.
    let quick: QuickScorer?

    static func == (a: Forest, b: Forest) -> Bool {
        a.nodes == b.nodes && a.bits == b.bits && a.leafValues == b.leafValues && a.roots == b.roots
    }

    init(_ trees: [GBDTTree], featureCount: Int) {
        for t in trees {
            let nodeBase = Int32(nodes.count), leafBase = Int32(leafValues.count), bitBase = Int32(bits.count)
            func rebase(_ c: Int32) -> Int32 { c >= 0 ? c + nodeBase : ~(~c + leafBase) }
            for var n in t.nodes {
                n.left = rebase(n.left); n.right = rebase(n.right)
                n.categoryStart += bitBase
                nodes.append(n)
            }
            roots.append(t.nodes.isEmpty ? ~leafBase : nodeBase)
            bits += t.categoryBits
            leafValues += t.leafValues
        }
        quick = QuickScorer(trees, featureCount: featureCount)
    }

    struct Pointers {
        let nodes: UnsafePointer<GBDTTree.Node>
        let bits: UnsafePointer<UInt32>
        let leaves: UnsafePointer<Double>
        let roots: UnsafeBufferPointer<Int32>
        let quick: QuickScorer?

        /// `Σₜ treeₜ(row)` for a row-major row (QuickScorer's scratch on the stack, or on the
        /// heap above 127 trees).
        @inline(__always)
        func sum(row: UnsafePointer<Float>) -> Double {
            if let quick { return quick.sum(row: row) }
            return sumNaive(row: row)
        }

        /// Lanes of scratch ``sum(rows:count:features:into:lanes:)`` needs.
        var scratchLanes: Int { quick.map { $0.trees + 1 } ?? 1 }

        /// `Σₜ treeₜ(row)` for each of `count` row-major rows of `features` values, into
        /// `out[0 ..< count]`: eight rows at a time through QuickScorer's lanes, or walked one by
        /// one. Equal to ``sum(row:)`` row by row, to the bit.
        @inline(__always)
        func sum(rows: UnsafePointer<Float>, count: Int, features: Int, into out: UnsafeMutablePointer<Double>,
                 lanes: UnsafeMutablePointer<SIMD8<UInt64>>) {
            guard let quick else {
                for i in 0..<count { out[i] = sumNaive(row: rows + i * features) }
                return
            }
            if count == 1 {
                // One row (serving, a followed log): the one-row scan, an eighth of the scratch.
                out[0] = lanes.withMemoryRebound(to: UInt64.self, capacity: quick.trees + 1) { quick.sum(row: rows, leaves: $0) }
                return
            }
            var start = 0
            while start < count {
                let n = min(QuickScorer.blockRows, count - start)
                quick.sum(rows: rows + start * features, count: n, into: out + start, lanes: lanes)
                start += n
            }
        }

        /// The plain walk, tree by tree, branching on each decision: the reference for ``sum(row:)``.
        func sumNaive(row: UnsafePointer<Float>) -> Double {
            var s = 0.0
            for root in roots {
                var k = root
                while k >= 0 {
                    let n = nodes[Int(k)]
                    k = GBDTTree.goesLeft(n, row[Int(n.feature)], bits) ? n.left : n.right
                }
                s += leaves[Int(~k)]
            }
            return s
        }
    }

    /// Calls `body` with raw pointers to the arrays. Empty arrays are never dereferenced (no
    /// node means no read of `nodes`; a categorical read implies a non-empty bitset), so a
    /// placeholder address stands in for them.
    func withPointers<R>(_ body: (Pointers) -> R) -> R {
        nodes.withUnsafeBufferPointer { np in
            bits.withUnsafeBufferPointer { bp in
                leafValues.withUnsafeBufferPointer { lp in
                    roots.withUnsafeBufferPointer { rp in
                        body(Pointers(nodes: np.baseAddress ?? UnsafePointer(bitPattern: 64)!,
                                      bits: bp.baseAddress ?? UnsafePointer(bitPattern: 64)!,
                                      leaves: lp.baseAddress ?? UnsafePointer(bitPattern: 64)!, roots: rp, quick: quick))
                    }
                }
            }
        }
    }
}
