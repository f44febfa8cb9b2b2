/// Rows held out to monitor the loss during boosting (and to stop early).
public struct GBDTValidationSet: Sendable {
    public var features: FeatureColumns
    public var labels: [Double]
    public var weights: [Double]?

    public init(features: FeatureColumns, labels: [Double], weights: [Double]? = nil) {
        self.features = features; self.labels = labels; self.weights = weights
    }
}

/// Gradient-boosted decision trees on histograms: the estimator (``GBDTConfig`` →
/// ``fit(_:labels:weights:validation:)`` → ``GBDTModel``).
///
/// Boosting starts from the prior margin `f₀` and adds one tree per round:
/// `f_{m+1}(x) = f_m(x) + η · tree_m(x)`, where `tree_m` is grown leaf-wise on histograms of the
/// current gradients and hessians (see ``GBDTConfig``), on a seeded sample of rows and features.
/// With a validation set and ``GBDTConfig/earlyStoppingRounds``, boosting stops when the
/// validation loss has not improved for that many rounds and the best round's model is kept.
/// The same data, configuration and seed give the same model for any thread count.
public struct GBDT: Sendable {
    public var config: GBDTConfig

    public init(config: GBDTConfig = GBDTConfig()) { self.config = config }

    /// Fits a model.
    /// - Parameters:
    ///   - features: training features (numeric columns with `NaN` for missing, categorical codes).
    ///   - labels: 0/1 for binary log-loss, any finite value for L2.
    ///   - weights: optional per-row weights ≥ 0 (multiplied by the class weights).
    ///   - validation: optional held-out rows for the loss history and early stopping.
    /// - Throws: ``GBDTError`` for bad configuration or data.
    public func fit(_ features: FeatureColumns, labels: [Double], weights: [Double]? = nil,
                    validation: GBDTValidationSet? = nil) throws -> GBDTModel {
        let n = features.rowCount, f = features.columnCount
        guard n > 0 else { throw GBDTError.invalidData("no training rows") }
        guard f > 0 else { throw GBDTError.invalidData("no feature columns") }
        guard labels.count == n else { throw GBDTError.invalidData("\(labels.count) labels for \(n) rows") }
        let categorical = (0..<f).map { features.kinds[$0] == .categorical || config.categoricalFeatures.contains($0) }
        try config.validate(featureCount: f, categorical: categorical)
        if config.earlyStoppingRounds != nil && validation == nil {
            throw GBDTError.invalidConfig("earlyStoppingRounds needs a validation set")
        }
        let objective = config.objective
        let w = try objective.effectiveWeights(labels: labels, weights: weights, config: config)
        guard w.reduce(0, +) > 0 else { throw GBDTError.invalidData("the total weight of the training rows is zero") }
        var validationWeights: [Double] = []
        if let v = validation {
            guard v.features.columnCount == f else {
                throw GBDTError.invalidData("validation set has \(v.features.columnCount) columns, training has \(f)")
            }
            guard v.labels.count == v.features.rowCount else {
                throw GBDTError.invalidData("validation set has \(v.labels.count) labels for \(v.features.rowCount) rows")
            }
            validationWeights = try objective.effectiveWeights(labels: v.labels, weights: v.weights, config: config)
        }
        let threads = resolvedTreeThreads(config.threads)
        let kinds: [FeatureColumns.Kind] = categorical.map { $0 ? .categorical : .numeric }

        // Stage 1: bins.
        let mappers = BinnedData.mappers(for: features, categorical: categorical, maxBins: config.maxBins,
                                         maxCategories: config.maxCategories, minCategoryCount: config.minCategoryCount,
                                         sampleSize: config.binningSampleSize, seed: config.seed, threads: threads)
        let data = BinnedData(features, mappers: mappers, threads: threads)
        let grower = TreeGrower(data: data, config: config, threads: threads)

        let base = objective.baseScore(labels: labels, weights: w)
        var scores = [Double](repeating: base, count: n)
        var derivatives = [SIMD2<Float>](repeating: .zero, count: n)
        var validationScores = [Double](repeating: base, count: validation?.features.rowCount ?? 0)
        var history = GBDTHistory()
        var bestLoss = Double.infinity
        var trees: [GBDTTree] = []
        let allRows = (0..<n).map { Int32($0) }
        let bagSize = max(1, min(n, Int((config.rowSubsample * Double(n)).rounded())))
        let featureSample = max(1, min(f, Int((config.colSubsample * Double(f)).rounded())))
        let subsampling = bagSize < n || featureSample < f
        var rowRNG = SeededGenerator(seed: config.seed &+ 0x5EED_0001)
        var colRNG = SeededGenerator(seed: config.seed &+ 0x5EED_0002)
        var inBag = [Bool](repeating: true, count: n)

        for round in 0..<config.rounds {
            // Derivatives at the current margins.
            labels.withUnsafeBufferPointer { y in
                w.withUnsafeBufferPointer { wp in
                    scores.withUnsafeBufferPointer { s in
                        derivatives.withUnsafeMutableBufferPointer { d in
                            let box = UncheckedSendableBox((y, wp, s, d))
                            parallelFor(n, threads: threads, minimumPerThread: 8192) { range in
                                let (y, wp, s, d) = box.value
                                objective.derivatives(labels: y.baseAddress!, weights: wp.baseAddress!, scores: s.baseAddress!,
                                                      into: d.baseAddress!, range: range)
                            }
                        }
                    }
                }
            }
            // Row sample (selection sampling: exactly bagSize rows, ascending) and feature sample.
            var rows = allRows
            if bagSize < n {
                rows = []
                rows.reserveCapacity(bagSize)
                var needed = bagSize
                for i in 0..<n {
                    let take = rowRNG.nextInt(below: n - i) < needed
                    inBag[i] = take
                    if take { rows.append(Int32(i)); needed -= 1 }
                }
            }
            var used = [Bool](repeating: true, count: f)
            if featureSample < f {
                used = [Bool](repeating: false, count: f)
                for j in colRNG.permutation(f).prefix(featureSample) { used[j] = true }
            }

            let grown = derivatives.withUnsafeBufferPointer { d in
                grower.grow(rows: rows, derivatives: d.baseAddress!, used: used)
            }
            history.roundsRun = round + 1
            if grown.splits.isEmpty {
                // No admissible split: without subsampling every later round would be the same.
                if !subsampling { break }
                continue
            }
            let tree = GBDT.makeTree(grown, mappers: mappers, learningRate: config.learningRate)
            trees.append(tree)

            // Update training margins: in-bag rows by their leaf, out-of-bag rows by routing.
            scores.withUnsafeMutableBufferPointer { s in
                for (leaf, seg) in grown.leafSegments.enumerated() {
                    let v = tree.leafValues[leaf]
                    for r in grower.partition(seg.begin, seg.count) { s[Int(r)] += v }
                }
                if bagSize < n {
                    data.bins.withUnsafeBufferPointer { b in
                        for i in 0..<n where !inBag[i] {
                            s[i] += tree.leafValues[grown.routing.leaf(rowBins: b.baseAddress! + i * data.rowStride)]
                        }
                    }
                }
            }
            // Validation loss and early stopping.
            if let v = validation {
                GBDT.addPredictions(of: tree, on: v.features, to: &validationScores)
                let loss = objective.loss(labels: v.labels, scores: validationScores, weights: validationWeights)
                history.validationLoss.append(loss)
                if loss < bestLoss {
                    bestLoss = loss
                    history.bestRound = trees.count - 1
                }
                if let patience = config.earlyStoppingRounds, let best = history.bestRound, trees.count - 1 - best >= patience {
                    break
                }
            }
        }
        if config.earlyStoppingRounds != nil, let best = history.bestRound {
            trees.removeLast(trees.count - 1 - best)
        }
        return GBDTModel(objective: objective, baseScore: base, trees: trees, featureNames: features.names,
                         featureKinds: kinds, history: history)
    }

    /// Converts a tree grown on bins to raw thresholds and category bitsets, shrinking leaves by η.
    static func makeTree(_ g: GrownTree, mappers: [FeatureBinMapper], learningRate: Double) -> GBDTTree {
        var nodes: [GBDTTree.Node] = []
        var bits: [UInt32] = []
        for (k, s) in g.splits.enumerated() {
            let m = mappers[s.feature]
            var node = GBDTTree.Node(feature: Int32(s.feature), flags: s.defaultLeft ? 1 : 0, threshold: 0,
                                     left: g.routing.left[k], right: g.routing.right[k])
            if s.isCategorical {
                node.flags |= 2
                if s.leftBins.contains(m.otherBin) { node.flags |= 4 }
                let codes = m.codeToBin.count
                let words = (codes + 31) / 32
                node.categoryStart = Int32(bits.count)
                node.categoryWordCount = Int32(words)
                var w = [UInt32](repeating: 0, count: words)
                for c in 0..<codes where s.leftBins.contains(Int(m.codeToBin[c])) { w[c >> 5] |= 1 << UInt32(c & 31) }
                bits += w
            } else {
                node.threshold = s.thresholdBin < m.thresholds.count ? m.thresholds[s.thresholdBin] : .infinity
            }
            nodes.append(node)
        }
        return GBDTTree(nodes: nodes, leafValues: g.leafOutputs.map { $0 * learningRate }, categoryBits: bits,
                        splitGains: g.splits.map(\.gain), nodeCounts: g.splits.map { $0.left.count + $0.right.count },
                        leafCounts: g.leafCounts)
    }

    /// Adds one tree's outputs on raw column-major features to `scores`.
    static func addPredictions(of tree: GBDTTree, on x: FeatureColumns, to scores: inout [Double]) {
        let n = x.rowCount
        tree.nodes.withUnsafeBufferPointer { np in
            tree.categoryBits.withUnsafeBufferPointer { bp in
                x.withUnsafeBufferPointer { v in
                    let nodes = np.baseAddress ?? UnsafePointer(bitPattern: 64)!
                    let bits = bp.baseAddress ?? UnsafePointer(bitPattern: 64)!
                    for i in 0..<n {
                        let leaf = tree.leaf(nodes: nodes, bits: bits) { v[$0 * n + i] }
                        scores[i] += tree.leafValues[leaf]
                    }
                }
            }
        }
    }
}
