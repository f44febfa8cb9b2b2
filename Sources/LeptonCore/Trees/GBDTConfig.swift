/// The loss a gradient-boosted model minimises.
public enum GBDTObjective: String, Sendable, Equatable, Codable, CaseIterable {
    /// Binary log-loss on labels y ∈ {0, 1}: ℓ(y, f) = −y·log σ(f) − (1−y)·log(1−σ(f)),
    /// σ(f) = 1/(1+e^−f); gradient g = σ(f) − y, hessian h = σ(f)(1 − σ(f)).
    case binaryLogLoss = "binary"
    /// Squared error ℓ(y, f) = ½(f − y)²; gradient g = f − y, hessian h = 1.
    case l2Regression = "regression"
}

/// Hyperparameters of gradient-boosted decision trees (plain values, no logic).
///
/// Each round fits a tree to the first and second derivatives (gᵢ, hᵢ) of the weighted loss at the
/// current margins. A leaf with sums (G, H) gets the regularised output
/// `w = −sign(G)·max(|G| − λ₁, 0) / (H + λ₂)` times ``learningRate``, and a split is kept when
/// `gain = T(G_L)²/(H_L+λ₂) + T(G_R)²/(H_R+λ₂) − T(G)²/(H+λ₂) > minSplitGain`,
/// with `T(G) = sign(G)·max(|G| − λ₁, 0)`. Trees grow leaf-wise (best gain first).
public struct GBDTConfig: Sendable, Equatable {
    /// The loss to minimise.
    public var objective: GBDTObjective = .binaryLogLoss
    /// Shrinkage η applied to every leaf output.
    public var learningRate: Double = 0.1
    /// Number of boosting rounds (trees), before early stopping.
    public var rounds: Int = 100
    /// Maximum number of leaves per tree (≥ 2).
    public var maxLeaves: Int = 31
    /// Maximum depth of a leaf (root has depth 0); `nil` for no limit.
    public var maxDepth: Int? = nil
    /// Minimum number of training rows in a leaf.
    public var minDataInLeaf: Int = 20
    /// Minimum sum of hessians in a leaf.
    public var minHessianInLeaf: Double = 1e-3
    /// L1 regularisation λ₁ of leaf outputs.
    public var lambdaL1: Double = 0
    /// L2 regularisation λ₂ of leaf outputs.
    public var lambdaL2: Double = 0
    /// Minimum gain for a split to be made.
    public var minSplitGain: Double = 0
    /// Fraction of rows sampled (without replacement, seeded) for each tree; 1 uses all rows.
    public var rowSubsample: Double = 1
    /// Fraction of features sampled (seeded) for each tree; 1 uses all features.
    public var colSubsample: Double = 1
    /// Maximum number of bins for a numeric feature (2…255); missing values get one more bin.
    public var maxBins: Int = 255
    /// Rows used to compute bin boundaries; larger data is subsampled (seeded).
    public var binningSampleSize: Int = 200_000
    /// Per-feature monotone constraint: +1 increasing, −1 decreasing, 0 none. Empty means none.
    /// Only numeric features may be constrained.
    public var monotoneConstraints: [Int8] = []
    /// Indices of features treated as categorical in addition to columns whose kind is
    /// ``FeatureColumns/Kind/categorical``.
    public var categoricalFeatures: Set<Int> = []
    /// Maximum number of distinct categories kept per categorical feature (≤ 254); the rest
    /// share an "other" bucket.
    public var maxCategories: Int = 64
    /// Categories seen fewer times than this in the binning sample go to the "other" bucket.
    public var minCategoryCount: Int = 5
    /// Smoothing s added to the hessian when ordering categories by G/(H + s) (LightGBM `cat_smooth`).
    public var categoricalSmoothing: Double = 10
    /// Extra L2 regularisation for categorical splits (LightGBM `cat_l2`).
    public var categoricalL2: Double = 10
    /// Maximum number of categories sent to one side of a categorical split (LightGBM `max_cat_threshold`).
    public var maxCategoriesPerSplit: Int = 32
    /// Minimum rows per category considered when ordering categories in a node (LightGBM `min_data_per_group`).
    public var minDataPerCategory: Int = 10
    /// Weight multiplier for rows with label 0 (binary objective only).
    public var negativeClassWeight: Double = 1
    /// Weight multiplier for rows with label 1 (binary objective only).
    public var positiveClassWeight: Double = 1
    /// Stop when the validation loss has not improved for this many rounds (needs a validation
    /// set); the model keeps the best round's trees. `nil` disables early stopping.
    public var earlyStoppingRounds: Int? = nil
    /// Seed for every random choice (binning sample, row and column subsampling).
    public var seed: UInt64 = 0
    /// Threads for histogram building and prediction; 0: `auto`, every core (``ThreadCount``). Results do
    /// not depend on the thread count.
    public var threads: Int = 0

    /// Creates the default configuration (LightGBM-like defaults).
    public init() {}

    /// Creates a configuration with the most common settings changed.
    public init(objective: GBDTObjective, rounds: Int = 100, learningRate: Double = 0.1, maxLeaves: Int = 31,
                seed: UInt64 = 0) {
        self.objective = objective
        self.rounds = rounds
        self.learningRate = learningRate
        self.maxLeaves = maxLeaves
        self.seed = seed
    }
}

/// Why gradient boosting could not fit: bad data or a configuration that cannot work.
public enum GBDTError: Error, Equatable, CustomStringConvertible {
    /// A hyperparameter is out of range.
    case invalidConfig(String)
    /// Labels, weights or features do not fit together or hold impossible values.
    case invalidData(String)

    public var description: String {
        switch self {
        case .invalidConfig(let m): return "invalid GBDT configuration: \(m)"
        case .invalidData(let m): return "invalid GBDT training data: \(m)"
        }
    }
}

extension GBDTConfig {
    /// Checks every hyperparameter against the number of features; throws ``GBDTError/invalidConfig(_:)``.
    func validate(featureCount: Int, categorical: [Bool]) throws {
        func fail(_ m: String) -> GBDTError { .invalidConfig(m) }
        guard learningRate > 0, learningRate.isFinite else { throw fail("learningRate must be > 0 (got \(learningRate))") }
        guard rounds >= 0 else { throw fail("rounds must be ≥ 0") }
        guard maxLeaves >= 2 else { throw fail("maxLeaves must be ≥ 2 (got \(maxLeaves))") }
        if let d = maxDepth, d < 1 { throw fail("maxDepth must be ≥ 1 or nil (got \(d))") }
        guard minDataInLeaf >= 1 else { throw fail("minDataInLeaf must be ≥ 1") }
        guard minHessianInLeaf >= 0 else { throw fail("minHessianInLeaf must be ≥ 0") }
        guard lambdaL1 >= 0, lambdaL2 >= 0 else { throw fail("lambdaL1 and lambdaL2 must be ≥ 0") }
        guard minSplitGain >= 0 else { throw fail("minSplitGain must be ≥ 0") }
        guard rowSubsample > 0, rowSubsample <= 1 else { throw fail("rowSubsample must be in (0, 1]") }
        guard colSubsample > 0, colSubsample <= 1 else { throw fail("colSubsample must be in (0, 1]") }
        guard (2...255).contains(maxBins) else { throw fail("maxBins must be in 2…255 (got \(maxBins))") }
        guard binningSampleSize >= 1 else { throw fail("binningSampleSize must be ≥ 1") }
        guard (1...254).contains(maxCategories) else { throw fail("maxCategories must be in 1…254") }
        guard minCategoryCount >= 1 else { throw fail("minCategoryCount must be ≥ 1") }
        guard categoricalSmoothing >= 0, categoricalL2 >= 0 else { throw fail("categorical smoothing and L2 must be ≥ 0") }
        guard maxCategoriesPerSplit >= 1 else { throw fail("maxCategoriesPerSplit must be ≥ 1") }
        guard minDataPerCategory >= 1 else { throw fail("minDataPerCategory must be ≥ 1") }
        guard negativeClassWeight > 0, positiveClassWeight > 0 else { throw fail("class weights must be > 0") }
        if let e = earlyStoppingRounds, e < 1 { throw fail("earlyStoppingRounds must be ≥ 1 or nil") }
        guard threads >= 0 else { throw fail("threads must be ≥ 0") }
        if !monotoneConstraints.isEmpty {
            guard monotoneConstraints.count == featureCount else {
                throw fail("monotoneConstraints has \(monotoneConstraints.count) entries for \(featureCount) features")
            }
            for (j, c) in monotoneConstraints.enumerated() {
                guard (-1...1).contains(c) else { throw fail("monotone constraint of feature \(j) must be −1, 0 or +1") }
                if c != 0 && categorical[j] { throw fail("feature \(j) is categorical and cannot be monotone-constrained") }
            }
        }
        for j in categoricalFeatures where !(0..<featureCount).contains(j) {
            throw fail("categorical feature index \(j) is out of range 0..<\(featureCount)")
        }
    }
}
