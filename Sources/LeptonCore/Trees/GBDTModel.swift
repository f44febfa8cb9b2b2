/// What happened during boosting.
public struct GBDTHistory: Sendable, Equatable {
    /// Validation loss after each round (log-loss for binary, mean squared error for L2); empty
    /// without a validation set.
    public var validationLoss: [Double]
    /// The round (0-based) with the lowest validation loss, when a validation set was given.
    public var bestRound: Int?
    /// Rounds actually run (early stopping or exhausted splits can end boosting early).
    public var roundsRun: Int

    public init(validationLoss: [Double] = [], bestRound: Int? = nil, roundsRun: Int = 0) {
        self.validationLoss = validationLoss; self.bestRound = bestRound; self.roundsRun = roundsRun
    }
}

/// How to measure a feature's importance.
public enum GBDTImportance: String, Sendable, CaseIterable {
    /// Total loss reduction `Σ gain` of the splits on the feature.
    case gain
    /// Number of splits on the feature.
    case splitCount
}

/// A fitted gradient-boosted tree ensemble.
///
/// The raw margin of a row x is `f(x) = f₀ + Σₜ treeₜ(x)` (``baseScore`` plus the leaf each tree
/// reaches; leaf values include the learning rate). ``predict(_:threads:)`` applies the link:
/// `σ(f)` for binary log-loss, identity for L2. Prediction runs over one flattened array of all
/// trees' nodes, in parallel over blocks of rows, with no allocation per row.
public struct GBDTModel: Sendable, Equatable {
    /// The loss the model was fitted for.
    public let objective: GBDTObjective
    /// Prior margin `f₀`.
    public let baseScore: Double
    /// The trees, in boosting order.
    public let trees: [GBDTTree]
    /// Names of the features (columns) the model expects.
    public let featureNames: [String]
    /// Kinds of the features; categorical columns take integer codes.
    public let featureKinds: [FeatureColumns.Kind]
    /// Training history.
    public let history: GBDTHistory
    /// All trees in one flattened layout for prediction.
    let forest: Forest

    /// Assembles a model from its parts (fitting, or loading a model file).
    public init(objective: GBDTObjective, baseScore: Double, trees: [GBDTTree], featureNames: [String],
                featureKinds: [FeatureColumns.Kind], history: GBDTHistory = GBDTHistory()) {
        precondition(featureNames.count == featureKinds.count, "one kind per feature name")
        for t in trees {
            for n in t.nodes { precondition((0..<featureNames.count).contains(Int(n.feature)), "split feature out of range") }
        }
        self.objective = objective
        self.baseScore = baseScore
        self.trees = trees
        self.featureNames = featureNames
        self.featureKinds = featureKinds
        self.history = history
        forest = Forest(trees, featureCount: featureNames.count)
    }

    /// Number of features the model expects.
    public var featureCount: Int { featureNames.count }

    // MARK: Prediction

    /// Raw margins `f(x)` of every row of `x` (columns in the model's feature order).
    public func predictRaw(_ x: FeatureColumns, threads: Int = 0) -> [Double] {
        precondition(x.columnCount == featureCount, "model expects \(featureCount) features, got \(x.columnCount)")
        let n = x.rowCount, f = featureCount
        var out = [Double](repeating: 0, count: n)
        let block = 64
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let box = UncheckedSendableBox((src, dst))
                forest.withPointers { fp in
                    parallelFor(n, threads: resolvedTreeThreads(threads), minimumPerThread: 2048) { range in
                        let (src, dst) = box.value
                        // One buffer per chunk: a block of rows transposed to row-major.
                        let rows = UnsafeMutablePointer<Float>.allocate(capacity: max(1, block * f))
                        let lanes = UnsafeMutablePointer<SIMD8<UInt64>>.allocate(capacity: fp.scratchLanes)
                        defer { rows.deallocate(); lanes.deallocate() }
                        var start = range.lowerBound
                        while start < range.upperBound {
                            let end = min(range.upperBound, start + block)
                            for j in 0..<f {
                                let col = src.baseAddress! + j * n
                                for i in start..<end { rows[(i - start) * f + j] = col[i] }
                            }
                            let out = dst.baseAddress! + start
                            fp.sum(rows: rows, count: end - start, features: f, into: out, lanes: lanes)
                            for i in 0..<(end - start) { out[i] += baseScore }
                            start = end
                        }
                    }
                }
            }
        }
        return out
    }

    /// Raw margin of one row (`row[j]` is feature j); allocates only above 127 trees.
    public func predictRaw(row: [Float]) -> Double {
        precondition(row.count == featureCount, "model expects \(featureCount) features, got \(row.count)")
        return row.withUnsafeBufferPointer { r in forest.withPointers { baseScore + $0.sum(row: r.baseAddress!) } }
    }

    /// Raw margins of `out.count` rows stored row-major in `rows` (`rows[i · featureCount + j]`
    /// is feature j of row i), eight at a time: for callers that fill a block of rows as they
    /// read them. Each equals ``predictRaw(row:)`` of its row, to the bit.
    public func predictRaw(rows: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(rows.count == out.count * featureCount, "\(rows.count) values for \(out.count) rows of \(featureCount) features")
        guard let dst = out.baseAddress else { return }
        // Rows of no features (a model of a constant label) have no values to point at.
        let src = rows.baseAddress ?? UnsafePointer(bitPattern: 64)!
        forest.withPointers { fp in
            withUnsafeTemporaryAllocation(of: SIMD8<UInt64>.self, capacity: fp.scratchLanes) { lanes in
                fp.sum(rows: src, count: out.count, features: featureCount, into: dst, lanes: lanes.baseAddress!)
            }
        }
        for i in 0..<out.count { dst[i] += baseScore }
    }

    /// Predictions: probabilities of class 1 for binary log-loss, values for L2.
    public func predict(_ x: FeatureColumns, threads: Int = 0) -> [Double] {
        predictRaw(x, threads: threads).map(objective.transform)
    }

    /// Probabilities of class 1, `σ(f(x))`.
    /// - Precondition: the objective is binary log-loss.
    public func predictProbability(_ x: FeatureColumns, threads: Int = 0) -> [Double] {
        precondition(objective == .binaryLogLoss, "predictProbability needs a binary model")
        return predict(x, threads: threads)
    }

    // MARK: Importance

    /// Per-feature importance: total split gain or number of splits, over all trees.
    public func featureImportance(_ kind: GBDTImportance) -> [Double] {
        var out = [Double](repeating: 0, count: featureCount)
        for t in trees {
            for (k, n) in t.nodes.enumerated() {
                out[Int(n.feature)] += kind == .gain ? t.splitGains[k] : 1
            }
        }
        return out
    }
}
