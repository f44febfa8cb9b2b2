import LeptonIO
/// Saving and loading gradient-boosted trees through the shared model file (``ModelFile``).
///
/// The manifest has kind `"gradient-boosted-trees"`, input shape `[F]` and, in `extra`, the
/// objective, feature names and kinds, tree count and training history (for people and tools).
/// The trees themselves are stored exactly, as named tensors whose 32-bit cells hold raw bit
/// patterns where the value is not a `Float` (integers as `Int32`, `Double`s and 64-bit counts
/// as two little-endian 32-bit words `[low, high]`):
///
/// | tensor            | shape      | cells                                                   |
/// |-------------------|------------|---------------------------------------------------------|
/// | `base_score`      | [2]        | f₀ as a Double                                          |
/// | `tree_sizes`      | [T, 3]     | nodes, leaves, category words of each tree (Int32)      |
/// | `node_int`        | [N, 6]     | feature, flags, left, right, categoryStart, words (Int32) |
/// | `node_threshold`  | [N]        | numeric thresholds (Float values)                       |
/// | `node_gain`       | [N, 2]     | split gains (Double)                                    |
/// | `node_count`      | [N, 2]     | rows through each node (Int64)                          |
/// | `leaf_value`      | [L, 2]     | leaf values (Double)                                    |
/// | `leaf_count`      | [L, 2]     | rows in each leaf (Int64)                               |
/// | `category_bits`   | [W]        | categorical bitset words (UInt32)                       |
///
/// Arrays are the trees' arrays concatenated in order; indices inside a tree stay tree-local.
/// Loading checks every count and reference (children point forward inside the tree, leaves
/// and bitsets in range), so a damaged file fails with ``ModelFileError/malformed(path:reason:)``.
extension GBDTModel {
    /// The manifest kind of gradient-boosted tree models.
    public static let modelKind = "gradient-boosted-trees"

    /// The manifest and tensors that represent this model.
    public func modelFileContents(domain: String? = nil, metrics: [String: Double] = [:],
                                  trainingDataFingerprint: String? = nil, seed: UInt64? = nil) -> ModelFileContents {
        var sizes: [UInt32] = [], nodeInt: [UInt32] = [], thresholds: [Float] = []
        var gains: [Double] = [], nodeCounts: [UInt64] = [], leafValues: [Double] = [], leafCounts: [UInt64] = []
        var bits: [UInt32] = []
        for t in trees {
            sizes += [UInt32(t.nodes.count), UInt32(t.leafCount), UInt32(t.categoryBits.count)]
            for n in t.nodes {
                nodeInt += [UInt32(bitPattern: n.feature), UInt32(n.flags), UInt32(bitPattern: n.left),
                            UInt32(bitPattern: n.right), UInt32(bitPattern: n.categoryStart), UInt32(bitPattern: n.categoryWordCount)]
                thresholds.append(n.threshold)
            }
            gains += t.splitGains
            nodeCounts += t.nodeCounts.map { UInt64($0) }
            leafValues += t.leafValues
            leafCounts += t.leafCounts.map { UInt64($0) }
            bits += t.categoryBits
        }
        let nodes = nodeCounts.count, leaves = leafValues.count
        let tensors: [(name: String, tensor: Tensor)] = [
            ("base_score", Tensor(shape: [2], scalars: BitCells.words([baseScore.bitPattern]))),
            ("tree_sizes", Tensor(shape: [trees.count, 3], scalars: BitCells.cells(sizes))),
            ("node_int", Tensor(shape: [nodes, 6], scalars: BitCells.cells(nodeInt))),
            ("node_threshold", Tensor(shape: [nodes], scalars: thresholds)),
            ("node_gain", Tensor(shape: [nodes, 2], scalars: BitCells.words(gains.map(\.bitPattern)))),
            ("node_count", Tensor(shape: [nodes, 2], scalars: BitCells.words(nodeCounts))),
            ("leaf_value", Tensor(shape: [leaves, 2], scalars: BitCells.words(leafValues.map(\.bitPattern)))),
            ("leaf_count", Tensor(shape: [leaves, 2], scalars: BitCells.words(leafCounts))),
            ("category_bits", Tensor(shape: [bits.count], scalars: BitCells.cells(bits))),
        ]
        var extra: [String: JSONValue] = [
            "objective": .string(objective.rawValue),
            "featureNames": .array(featureNames.map { .string($0) }),
            "featureKinds": .array(featureKinds.map { .string($0.rawValue) }),
            "treeCount": .int(trees.count),
            "roundsRun": .int(history.roundsRun),
            "validationLoss": .array(history.validationLoss.map { .double($0) }),
            "baseScore": .double(baseScore),
        ]
        if let b = history.bestRound { extra["bestRound"] = .int(b) }
        let manifest = ModelManifest(kind: GBDTModel.modelKind, architecture: "histogram-gbdt", domain: domain,
                                     inputShape: [featureCount], classNames: objective == .binaryLogLoss ? ["0", "1"] : [],
                                     metrics: metrics, trainingDataFingerprint: trainingDataFingerprint, seed: seed,
                                     extra: extra)
        return ModelFileContents(manifest: manifest, tensors: tensors)
    }

    /// Writes the model to `path` atomically in the shared model file format.
    public func write(to path: String, domain: String? = nil, metrics: [String: Double] = [:]) throws {
        let c = modelFileContents(domain: domain, metrics: metrics)
        try ModelFile.write(path: path, manifest: c.manifest, tensors: c.tensors)
    }

    /// Reads a model written by ``write(to:domain:metrics:)``.
    public static func read(path: String) throws -> GBDTModel {
        try GBDTModel(contents: ModelFile.read(path: path, expectedKind: modelKind), path: path)
    }

    /// Rebuilds a model from decoded model-file contents, validating every structure.
    public init(contents: ModelFileContents, path: String = "<memory>") throws {
        // A compressed model's compact tensors (Compression/CompactTreeFile.swift) are expanded
        // first and then validated like any file's.
        let contents = contents.manifest.extra["compression"] != nil && contents.manifest.kind == GBDTModel.modelKind
            ? try GBDTModel.expandCompact(contents, path: path) : contents
        func bad(_ reason: String) -> ModelFileError { .malformed(path: path, reason: reason) }
        let m = contents.manifest
        guard m.kind == GBDTModel.modelKind else { throw ModelFileError.wrongKind(path: path, expected: GBDTModel.modelKind, found: m.kind) }
        guard let objectiveName = m.extra["objective"]?.string, let objective = GBDTObjective(rawValue: objectiveName) else {
            throw bad("missing or unknown objective")
        }
        guard let names = m.extra["featureNames"]?.array?.compactMap(\.string),
              let kindNames = m.extra["featureKinds"]?.array?.compactMap(\.string),
              names.count == kindNames.count, m.inputShape == [names.count] else {
            throw bad("feature names, kinds and input shape disagree")
        }
        let kinds = try kindNames.map { k -> FeatureColumns.Kind in
            guard let kind = FeatureColumns.Kind(rawValue: k) else { throw bad("unknown feature kind '\(k)'") }
            return kind
        }
        let byName = contents.tensorsByName
        func tensor(_ name: String, columns: Int?) throws -> Tensor {
            guard let t = byName[name] else { throw bad("tensor '\(name)' is missing") }
            if let c = columns {
                guard t.rank == 2, t.shape[1] == c else { throw bad("tensor '\(name)' must have \(c) columns") }
            } else {
                guard t.rank == 1 else { throw bad("tensor '\(name)' must have rank 1") }
            }
            return t
        }
        let baseWords = try tensor("base_score", columns: nil)
        guard baseWords.count == 2 else { throw bad("base_score must hold 2 words") }
        let sizes = BitCells.uint32(try tensor("tree_sizes", columns: 3).scalars)
        let nodeInt = BitCells.uint32(try tensor("node_int", columns: 6).scalars).map { Int32(bitPattern: $0) }
        let thresholds = try tensor("node_threshold", columns: nil).scalars
        let gains = BitCells.uint64(try tensor("node_gain", columns: 2).scalars).map(Double.init(bitPattern:))
        let nodeCounts = BitCells.uint64(try tensor("node_count", columns: 2).scalars)
        let leafValues = BitCells.uint64(try tensor("leaf_value", columns: 2).scalars).map(Double.init(bitPattern:))
        let leafCounts = BitCells.uint64(try tensor("leaf_count", columns: 2).scalars)
        let bits = BitCells.uint32(try tensor("category_bits", columns: nil).scalars)
        let nodeTotal = gains.count
        guard nodeInt.count == 6 * nodeTotal, thresholds.count == nodeTotal, nodeCounts.count == nodeTotal,
              leafCounts.count == leafValues.count else { throw bad("node and leaf tensors have different lengths") }

        var trees: [GBDTTree] = []
        var nodeAt = 0, leafAt = 0, bitAt = 0
        for t in 0..<(sizes.count / 3) {
            let nc = Int(sizes[3 * t]), lc = Int(sizes[3 * t + 1]), wc = Int(sizes[3 * t + 2])
            guard lc == nc + 1, nodeAt + nc <= nodeTotal, leafAt + lc <= leafValues.count, bitAt + wc <= bits.count else {
                throw bad("tree \(t) has inconsistent sizes")
            }
            var nodes: [GBDTTree.Node] = []
            for k in 0..<nc {
                let c = nodeInt[(6 * (nodeAt + k))..<(6 * (nodeAt + k) + 6)].map { $0 }
                let node = GBDTTree.Node(feature: c[0], flags: UInt8(truncatingIfNeeded: c[1]), threshold: thresholds[nodeAt + k],
                                         left: c[2], right: c[3], categoryStart: c[4], categoryWordCount: c[5])
                guard (0..<Int32(names.count)).contains(node.feature), c[1] >= 0, c[1] < 8 else {
                    throw bad("tree \(t) node \(k) has an invalid feature or flags")
                }
                for child in [node.left, node.right] {
                    // Children point forward (no cycles) to a node or to a leaf of this tree.
                    guard child >= 0 ? (Int(child) > k && Int(child) < nc) : Int(~child) < lc else {
                        throw bad("tree \(t) node \(k) has an invalid child reference")
                    }
                }
                guard node.categoryStart >= 0, node.categoryWordCount >= 0,
                      Int(node.categoryStart) + Int(node.categoryWordCount) <= wc else {
                    throw bad("tree \(t) node \(k) has an invalid category bitset")
                }
                if node.isCategorical && kinds[Int(node.feature)] != .categorical {
                    throw bad("tree \(t) node \(k) splits numeric feature \(node.feature) by category")
                }
                nodes.append(node)
            }
            trees.append(GBDTTree(
                nodes: nodes, leafValues: Array(leafValues[leafAt..<(leafAt + lc)]),
                categoryBits: Array(bits[bitAt..<(bitAt + wc)]), splitGains: Array(gains[nodeAt..<(nodeAt + nc)]),
                nodeCounts: nodeCounts[nodeAt..<(nodeAt + nc)].map { Int(clamping: $0) },
                leafCounts: leafCounts[leafAt..<(leafAt + lc)].map { Int(clamping: $0) }))
            guard trees.last!.isTree else { throw bad("tree \(t) reaches a node or leaf from more than one parent") }
            nodeAt += nc; leafAt += lc; bitAt += wc
        }
        guard sizes.count % 3 == 0, nodeAt == nodeTotal, leafAt == leafValues.count, bitAt == bits.count else {
            throw bad("tree sizes do not cover the node, leaf and bitset tensors")
        }
        let history = GBDTHistory(validationLoss: m.extra["validationLoss"]?.array?.compactMap(\.number) ?? [],
                                  bestRound: m.extra["bestRound"]?.number.map { Int($0) },
                                  roundsRun: Int(m.extra["roundsRun"]?.number ?? Double(trees.count)))
        self.init(objective: objective, baseScore: Double(bitPattern: BitCells.uint64(baseWords.scalars)[0]), trees: trees,
                  featureNames: names, featureKinds: kinds, history: history)
    }
}

/// Exact storage of integers and doubles in `Float` tensor cells through bit patterns.
enum BitCells {
    static func cells(_ v: [UInt32]) -> [Float] { v.map { Float(bitPattern: $0) } }
    static func uint32(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }
    /// 64-bit values as `[low, high]` 32-bit words.
    static func words(_ v: [UInt64]) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(2 * v.count)
        for x in v {
            out.append(Float(bitPattern: UInt32(truncatingIfNeeded: x)))
            out.append(Float(bitPattern: UInt32(truncatingIfNeeded: x >> 32)))
        }
        return out
    }
    static func uint64(_ v: [Float]) -> [UInt64] {
        stride(from: 0, to: v.count - 1, by: 2).map { UInt64(v[$0].bitPattern) | UInt64(v[$0 + 1].bitPattern) << 32 }
    }
}
