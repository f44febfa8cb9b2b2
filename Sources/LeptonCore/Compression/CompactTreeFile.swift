import LeptonIO

/// The compact model file of a compressed tree model (``TreeCompression``): the same manifest
/// as ``GBDTModel/modelFileContents(domain:metrics:trainingDataFingerprint:seed:)`` plus
/// `extra.compression`, and narrower tensors (32-bit cells holding packed bit patterns):
///
/// | tensor              | shape        | cells                                                        |
/// |---------------------|--------------|--------------------------------------------------------------|
/// | `base_score`        | [2]          | f₀ as a Double                                               |
/// | `tree_sizes`        | [T, 3]       | nodes, leaves, category words of each tree                   |
/// | `node_word`         | [N, 3]       | feature u16 · threshold index u16; left i16 · right i16; category start u16 · words u16 |
/// | `node_flags`        | [⌈N/4⌉]      | flags, one byte per node                                     |
/// | `threshold_table`   | [M]          | each feature's distinct thresholds, ascending (Float)        |
/// | `threshold_offsets` | [F + 1]      | where each feature's table starts in `threshold_table`       |
/// | `node_gain`         | [N]          | split gains (Float)                                          |
/// | `node_count`        | [N]          | rows through each node (UInt32, clamped)                     |
/// | `leaf_value`        | by precision | float64: [L, 2] Doubles; float16: [⌈L/2⌉] halves; int8: [⌈L/4⌉] codes (× `leafScale`) |
/// | `leaf_count`        | [L]          | rows in each leaf (UInt32, clamped)                          |
/// | `category_bits`     | [W]          | categorical bitsets                                          |
///
/// Thresholds are exact (an index into the feature's table), so a compact file changes no
/// split; the leaf values are rounded as ``GBDTModel/withLeafPrecision(_:)`` rounds them, and
/// the split gains (used for importance only) are stored as Float.
/// The file is written with model-file major version 2, so a reader of version 1 refuses it
/// with a version error instead of misreading it.
extension GBDTModel {
    /// Why a model cannot be stored compactly (a tree too large for 16-bit indices).
    public struct CompactStorageError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The compact manifest and tensors; `compression` is recorded in the manifest. The leaf
    /// values must already be rounded (``withLeafPrecision(_:)``) for the file to match the model.
    public func compactModelFileContents(compression: TreeCompression, domain: String? = nil,
                                         metrics: [String: Double] = [:]) throws -> ModelFileContents {
        let plain = modelFileContents(domain: domain, metrics: metrics)
        var manifest = plain.manifest
        manifest.extra["compression"] = try JSONValue.encoding(compression)
        guard featureCount <= 1 << 16 else { throw CompactStorageError(description: "more than 65,536 features") }
        // Each feature's distinct thresholds, ascending.
        var tables = [[Float]](repeating: [], count: featureCount)
        for t in trees { for n in t.nodes where !n.isCategorical { tables[Int(n.feature)].append(n.threshold) } }
        tables = tables.map { Array(Set($0.map(\.bitPattern))).map(Float.init(bitPattern:)).sorted { $0 < $1 || ($0.isNaN && !$1.isNaN) } }
        guard tables.allSatisfy({ $0.count <= 1 << 16 }) else { throw CompactStorageError(description: "a feature has more than 65,536 thresholds") }
        let index = tables.map { Dictionary($0.enumerated().map { ($1.bitPattern, UInt32($0)) }, uniquingKeysWith: { a, _ in a }) }
        var offsets: [UInt32] = [0]
        for table in tables { offsets.append(offsets.last! + UInt32(table.count)) }

        var words: [UInt32] = [], flags: [UInt8] = [], gains: [Float] = [], nodeCounts: [UInt32] = []
        var leafCounts: [UInt32] = [], leaves: [Double] = []
        for (k, t) in trees.enumerated() {
            guard t.nodes.count < 1 << 15, t.leafCount <= 1 << 15, t.categoryBits.count < 1 << 16 else {
                throw CompactStorageError(description: "tree \(k) has more than 32,767 nodes or 65,535 category words")
            }
            for n in t.nodes {
                let code = n.isCategorical ? 0 : index[Int(n.feature)][n.threshold.bitPattern]!
                words += [UInt32(n.feature) | code << 16,
                          UInt32(UInt16(bitPattern: Int16(n.left))) | UInt32(UInt16(bitPattern: Int16(n.right))) << 16,
                          UInt32(n.categoryStart) | UInt32(n.categoryWordCount) << 16]
                flags.append(n.flags)
            }
            gains += t.splitGains.map { Float($0) }
            nodeCounts += t.nodeCounts.map { UInt32(clamping: $0) }
            leafCounts += t.leafCounts.map { UInt32(clamping: $0) }
            leaves += t.leafValues
        }
        let leafCells: [Float]
        switch compression.leafPrecision {
        case .float64: leafCells = BitCells.words(leaves.map(\.bitPattern))
        case .float16: leafCells = PackedCells.pack16(leaves.map { Float16(Float($0)).bitPattern })
        case .int8: leafCells = PackedCells.pack8(leaves.map { UInt8(bitPattern: GBDTModel.int8Code($0, scale: compression.leafScale)) })
        }
        let byName = plain.tensorsByName
        let n = flags.count, l = leaves.count
        let tensors: [(name: String, tensor: Tensor)] = [
            ("base_score", byName["base_score"]!),
            ("tree_sizes", byName["tree_sizes"]!),
            ("node_word", Tensor(shape: [n, 3], scalars: BitCells.cells(words))),
            ("node_flags", Tensor(shape: [(n + 3) / 4], scalars: PackedCells.pack8(flags))),
            ("threshold_table", Tensor(shape: [Int(offsets.last!)], scalars: tables.flatMap { $0 })),
            ("threshold_offsets", Tensor(shape: [offsets.count], scalars: BitCells.cells(offsets))),
            ("node_gain", Tensor(shape: [n], scalars: gains)),
            ("node_count", Tensor(shape: [n], scalars: BitCells.cells(nodeCounts))),
            ("leaf_value", Tensor(shape: [leafCells.count], scalars: leafCells)),
            ("leaf_count", Tensor(shape: [l], scalars: BitCells.cells(leafCounts))),
            ("category_bits", byName["category_bits"]!),
        ]
        return ModelFileContents(manifest: manifest, tensors: tensors)
    }

    /// Rebuilds a model from compact contents into the plain tensors, which
    /// ``init(contents:path:)`` then validates as for any file.
    static func expandCompact(_ contents: ModelFileContents, path: String) throws -> ModelFileContents {
        func bad(_ reason: String) -> ModelFileError { .malformed(path: path, reason: reason) }
        guard let json = contents.manifest.extra["compression"],
              let compression = try? json.decoding(TreeCompression.self) else { throw bad("the compression record is malformed") }
        let byName = contents.tensorsByName
        func cells(_ name: String) throws -> [Float] {
            guard let t = byName[name] else { throw bad("tensor '\(name)' is missing") }
            return t.scalars
        }
        let words = BitCells.uint32(try cells("node_word"))
        guard words.count % 3 == 0 else { throw bad("node_word must have 3 columns") }
        let n = words.count / 3
        let flags = PackedCells.unpack8(try cells("node_flags"), count: n)
        let table = try cells("threshold_table")
        let offsets = BitCells.uint32(try cells("threshold_offsets")).map(Int.init)
        let featureCount = contents.manifest.inputShape.first ?? 0
        guard flags.count == n, offsets.count == featureCount + 1, offsets.first == 0, offsets.last == table.count,
              zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else { throw bad("the threshold table is inconsistent") }
        let gains = try cells("node_gain"), nodeCounts = BitCells.uint32(try cells("node_count"))
        let leafCounts = BitCells.uint32(try cells("leaf_count"))
        let l = leafCounts.count
        let leafCells = try cells("leaf_value")
        let leaves: [Double]
        switch compression.leafPrecision {
        case .float64:
            guard leafCells.count == 2 * l else { throw bad("leaf_value has \(leafCells.count) cells for \(l) leaves") }
            leaves = BitCells.uint64(leafCells).map(Double.init(bitPattern:))
        case .float16:
            guard leafCells.count == (l + 1) / 2 else { throw bad("leaf_value has \(leafCells.count) cells for \(l) leaves") }
            leaves = PackedCells.unpack16(leafCells, count: l).map { Double(Float16(bitPattern: $0)) }
        case .int8:
            guard leafCells.count == (l + 3) / 4, compression.leafScale.isFinite else { throw bad("leaf_value has \(leafCells.count) cells for \(l) leaves") }
            leaves = PackedCells.unpack8(leafCells, count: l).map { Double(Int8(bitPattern: $0)) * compression.leafScale }
        }
        guard gains.count == n, nodeCounts.count == n else { throw bad("node tensors have different lengths") }
        var nodeInt: [UInt32] = [], thresholds: [Float] = []
        for k in 0..<n {
            let w0 = words[3 * k], w1 = words[3 * k + 1], w2 = words[3 * k + 2]
            let feature = Int(w0 & 0xFFFF), code = Int(w0 >> 16)
            let categorical = flags[k] & 2 != 0
            guard feature < featureCount, categorical || offsets[feature] + code < offsets[feature + 1] else {
                throw bad("node \(k) has an invalid feature or threshold index")
            }
            thresholds.append(categorical ? 0 : table[offsets[feature] + code])
            let left = Int32(Int16(bitPattern: UInt16(w1 & 0xFFFF))), right = Int32(Int16(bitPattern: UInt16(w1 >> 16)))
            nodeInt += [UInt32(feature), UInt32(flags[k]), UInt32(bitPattern: left), UInt32(bitPattern: right), w2 & 0xFFFF, w2 >> 16]
        }
        var manifest = contents.manifest
        manifest.extra["compression"] = nil
        let tensors: [(name: String, tensor: Tensor)] = [
            ("base_score", byName["base_score"] ?? Tensor(shape: [0])),
            ("tree_sizes", byName["tree_sizes"] ?? Tensor(shape: [0, 3])),
            ("node_int", Tensor(shape: [n, 6], scalars: BitCells.cells(nodeInt))),
            ("node_threshold", Tensor(shape: [n], scalars: thresholds)),
            ("node_gain", Tensor(shape: [n, 2], scalars: BitCells.words(gains.map { Double($0).bitPattern }))),
            ("node_count", Tensor(shape: [n, 2], scalars: BitCells.words(nodeCounts.map(UInt64.init)))),
            ("leaf_value", Tensor(shape: [l, 2], scalars: BitCells.words(leaves.map(\.bitPattern)))),
            ("leaf_count", Tensor(shape: [l, 2], scalars: BitCells.words(leafCounts.map(UInt64.init)))),
            ("category_bits", byName["category_bits"] ?? Tensor(shape: [0])),
        ]
        return ModelFileContents(manifest: manifest, tensors: tensors)
    }

    /// How the model in `contents` was compressed, if it was.
    public static func compression(of manifest: ModelManifest) -> TreeCompression? {
        manifest.extra["compression"].flatMap { try? $0.decoding(TreeCompression.self) }
    }
}

/// Bytes and 16-bit values packed into 32-bit tensor cells (little-endian within a cell).
enum PackedCells {
    static func pack8(_ v: [UInt8]) -> [Float] {
        stride(from: 0, to: v.count, by: 4).map { i in
            var w: UInt32 = 0
            for k in 0..<4 where i + k < v.count { w |= UInt32(v[i + k]) << (8 * k) }
            return Float(bitPattern: w)
        }
    }
    static func unpack8(_ cells: [Float], count: Int) -> [UInt8] {
        guard cells.count * 4 >= count else { return [] }
        return (0..<count).map { UInt8(truncatingIfNeeded: cells[$0 / 4].bitPattern >> (8 * UInt32($0 % 4))) }
    }
    static func pack16(_ v: [UInt16]) -> [Float] {
        stride(from: 0, to: v.count, by: 2).map { i in
            Float(bitPattern: UInt32(v[i]) | (i + 1 < v.count ? UInt32(v[i + 1]) << 16 : 0))
        }
    }
    static func unpack16(_ cells: [Float], count: Int) -> [UInt16] {
        guard cells.count * 2 >= count else { return [] }
        return (0..<count).map { UInt16(truncatingIfNeeded: cells[$0 / 2].bitPattern >> (16 * UInt32($0 % 2))) }
    }
}
